/* media_dialect.c -- what differs between the two dialects of /stream, one table each.
 *
 * The message code (media_msg.c) and the connection code (media.c) never test the dialect:
 * they call the connection's table. Twilio's table answers nothing a Twilio client did not
 * ask for (Twilio must never receive an unknown message) and closes a connection that has no
 * stream left to carry; Voice Verify's follows its manual: acknowledgements and errors
 * {id, uuid, event, msg, status}, the connected check and acknowledgement, the keep-alive
 * ping, a 413 reply before closing on an oversized message. The tables reach the client only
 * through the connection's queue and close (media_conn_send, media_conn_close).
 */
#include "ingest/media_int.h"

#include <string.h>

#include "common/log.h"

/* ---- Twilio ----------------------------------------------------------------------------- */

static void tw_reply(media_conn *c, const char *sid, const char *uuid, const char *event,
                     int status, const char *msg)
{
    (void)c, (void)sid, (void)uuid, (void)event, (void)status, (void)msg;
}

static int tw_connected(media_conn *c, const tw_msg *msg)
{
    (void)c, (void)msg;
    return 0;
}

static const char *tw_start_invalid(const tw_msg *msg, const char *sid)
{
    (void)msg;
    return *sid ? NULL : "streamSid is empty.";
}

/* A refused start on a connection that carries no other stream: Twilio would go on
 * streaming into the void for the whole call, so the connection is closed with 4000 + the
 * status (see media_int.h) and Twilio ends the <Stream>. */
static void tw_refused(media_conn *c, int status)
{
    if (c->n_streams == 0)
        media_conn_close(c, MEDIA_CLOSE_REFUSED_BASE + status, vv_status_msg(status));
}

/* A Twilio connection exists for its stream: idle without one, it is dead weight. */
static void tw_tick(media_conn *c, uint64_t now)
{
    if (!c->streams && !c->closing &&
        now - c->last_msg_ms >= (uint64_t)c->m->cfg->stream_timeout_ms) {
        log_write(LOG_INFO, NULL, NULL, NULL, 0, "idle media connection without stream closed");
        media_conn_close(c, LWS_CLOSE_STATUS_NORMAL, "bye");
    }
}

/* Only the close: -1 ends the connection from the receive callback. */
static int tw_oversize(media_conn *c)
{
    lws_close_reason(c->wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                     (unsigned char *)"message too large", 17);
    return -1;
}

/* ---- Voice Verify ----------------------------------------------------------------------- */

static void vv_reply(media_conn *c, const char *sid, const char *uuid, const char *event,
                     int status, const char *msg)
{
    media_ctx *m = c->m;
    int n = vv_build_reply(m->out, sizeof m->out, sid, uuid, event, status, msg);
    media_conn_send(c, m->out, n);
}

static int vv_connected(media_conn *c, const tw_msg *msg)
{
    if (strcmp(msg->u.connected.version, "1.0.0") != 0)
        return -1;
    int n = vv_build_connected(c->m->out, sizeof c->m->out);
    media_conn_send(c, c->m->out, n);
    return 0;
}

/* The manual's validation of a start: the sids are blank or 34 characters ("Leave them
 * blank or ensure they are 34 characters long"), customParameters.uuid a UUID4. */
static const char *vv_start_invalid(const tw_msg *msg, const char *sid)
{
    const char *uuid = tw_param_get(msg, "uuid");
    if (*sid && !tw_sid_valid(sid))
        return "streamSid must be blank or 34 characters [A-Za-z0-9].";
    if (msg->u.start.account_sid[0] && !tw_sid_valid(msg->u.start.account_sid))
        return "accountSid must be blank or 34 characters [A-Za-z0-9].";
    if (msg->u.start.call_sid[0] && !tw_sid_valid(msg->u.start.call_sid))
        return "callSid must be blank or 34 characters [A-Za-z0-9].";
    if (!uuid)
        return "customParameters.uuid is required.";
    if (!tw_uuid4_valid(uuid))
        return "customParameters.uuid must be a UUID4.";
    if (msg->u.start.format.sample_rate != 8000 || msg->u.start.format.channels != 1)
        return "mediaFormat must be 8000 Hz, 1 channel.";
    return NULL;
}

/* The refusal was the error reply; the connection stays for the client's other streams. */
static void vv_refused(media_conn *c, int status)
{
    (void)c, (void)status;
}

/* The keep-alive; an idle connection may stay open (the ping keeps it). */
static void vv_tick(media_conn *c, uint64_t now)
{
    if (now < c->next_ping_ms)
        return;
    int n = vv_build_ping(c->m->out, sizeof c->m->out);
    media_conn_send(c, c->m->out, n);
    c->next_ping_ms = now + (uint64_t)c->m->cfg->ping_interval_ms;
}

/* The client is told (413) before the close, which follows the queued reply. */
static int vv_oversize(media_conn *c)
{
    vv_reply(c, "", "", "media", 413, vv_status_msg(413));
    media_conn_close(c, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
    return 0;
}

static const media_dialect dialects[] = {
    [DIALECT_TWILIO] = {tw_reply, tw_connected, tw_start_invalid, tw_refused, tw_tick, tw_oversize},
    [DIALECT_VOICEVERIFY] = {vv_reply, vv_connected, vv_start_invalid, vv_refused, vv_tick,
                             vv_oversize},
};

const media_dialect *media_dialect_of(stream_dialect d)
{
    return &dialects[d == DIALECT_VOICEVERIFY ? DIALECT_VOICEVERIFY : DIALECT_TWILIO];
}
