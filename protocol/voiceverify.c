/* voiceverify.c -- the Voice Verify dialect's replies on /stream (its manual's
 * "WebSockets"). See voiceverify.h. Written with twilio_build.c's JSON writer, so the same
 * escaping and the same fixed key order.
 */
#include "voiceverify.h"

#include "json_writer.h"

int vv_build_connected(char *buf, size_t cap)
{
    jw w = {buf, cap, 0, buf == NULL || cap == 0};
    jw_lit(&w, "{\"version\":\"1.0.0\",\"event\":\"connected\",\"msg\":");
    jw_str(&w, vv_status_msg(200));
    jw_lit(&w, ",\"status\":200");
    return jw_end(&w);
}

int vv_build_ping(char *buf, size_t cap)
{
    jw w = jw_begin(buf, cap, "ping");
    jw_key(&w, "msg");
    jw_str(&w, vv_status_msg(100));
    jw_lit(&w, ",\"status\":100");
    return jw_end(&w);
}

int vv_build_reply(char *buf, size_t cap, const char *stream_sid, const char *uuid,
                   const char *event, int status, const char *msg)
{
    jw w = {buf, cap, 0, buf == NULL || cap == 0};
    jw_lit(&w, "{\"id\":");
    jw_str(&w, stream_sid);
    jw_key(&w, "uuid");
    jw_str(&w, uuid);
    if (status == 201)
        jw_lit(&w, ",\"retries\":0");
    jw_key(&w, "event");
    jw_str(&w, event);
    jw_key(&w, "msg");
    jw_str(&w, msg ? msg : vv_status_msg(status));
    jw_key(&w, "status");
    jw_int(&w, status);
    return jw_end(&w);
}

const char *vv_status_msg(int status)
{
    switch (status) {
    case 100:
        return "Ping.";
    case 200:
        return "Connection established.";
    case 201:
        return "Stream started.";
    case 204:
        return "Stream stopped.";
    case 400:
        return "Bad request.";
    case 403:
    case 503:
        return "Resource is unavailable.";
    case 404:
        return "Stream not found.";
    case 408:
        return "Request timeout.";
    case 409:
        return "Stream already exists.";
    case 413:
        return "Message too large.";
    case 423:
        return "Maintenance mode set.";
    case 500:
        return "Internal server error.";
    case 502:
        return "Connection error.";
    }
    return "Unknown status.";
}
