/* stream_json.h -- a stream's state as JSON, for the REST API, status pages and logs.
 *
 * One place decides the field names, so that listing streams (REST), describing one, and
 * any debugging dump agree. The caller owns the returned cJSON tree.
 */
#ifndef CALLPRINT_STREAM_JSON_H
#define CALLPRINT_STREAM_JSON_H

#include <cjson/cJSON.h>
#include <stdint.h>

#include "streams/stream.h"

/* {"uuid","streamSid","callSid","accountSid","dialect","encoding","tracks",
 *  "customParameters":{..},"age_ms","idle_ms","messages","errors",
 *  "inbound":{media,bytes,seconds,gaps,gap_ms,out_of_order,chunks_missing},"outbound":{..},
 *  "dtmf":{"count","digits"},"marks":{"sent","received","pending"},"media_sent","clears_sent"} */
cJSON *stream_to_json(const stream *s, uint64_t now_ms);

#endif
