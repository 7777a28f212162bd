/* voiceverify.h -- the Voice Verify dialect's replies on /stream (its manual's "WebSockets").
 *
 * A client that connected with ?dialect=voiceverify gets, besides Twilio's messages, the
 * manual's acknowledgements and errors {id, uuid, event, msg, status}, a connected ack and a
 * keep-alive ping. Same convention as twilio.h's builders: each writes a NUL-terminated JSON
 * text into buf (capacity cap) and returns its length, or -1 if cap is too small.
 * Pure code: no I/O, no globals.
 */
#ifndef CALLPRINT_VOICEVERIFY_H
#define CALLPRINT_VOICEVERIFY_H

#include <stddef.h>

/* {"version":"1.0.0","event":"connected","msg":"Connection established.","status":200} */
int vv_build_connected(char *buf, size_t cap);
/* {"event":"ping","msg":"Ping.","status":100} */
int vv_build_ping(char *buf, size_t cap);
/* {"id":sid,"uuid":uuid,["retries":0,]"event":event,"msg":msg,"status":status}; retries is
 * included for the start acknowledgement (status 201) as the manual shows. A NULL msg means
 * vv_status_msg(status); a NULL stream_sid or uuid is written as "". */
int vv_build_reply(char *buf, size_t cap, const char *stream_sid, const char *uuid,
                   const char *event, int status, const char *msg);
/* The manual's fixed message for a status code ("Stream started.", "Request timeout.", ...).
 * Beyond the manual's table: 400 "Bad request." (malformed message), 413 "Message too large.";
 * anything else "Unknown status.". */
const char *vv_status_msg(int status);

#endif
