/* stream_json.c -- stream state to JSON. See stream_json.h. */
#include "streams/stream_json.h"

static cJSON *track_json(const stream_track *t)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "media", (double)t->media);
    cJSON_AddNumberToObject(j, "bytes", (double)t->bytes);
    cJSON_AddNumberToObject(j, "seconds", (double)t->bytes / 8000.0);
    cJSON_AddNumberToObject(j, "gaps", (double)t->gaps);
    cJSON_AddNumberToObject(j, "gap_ms", (double)t->gap_ms);
    cJSON_AddNumberToObject(j, "out_of_order", (double)t->out_of_order);
    cJSON_AddNumberToObject(j, "chunks_missing", (double)t->chunks_missing);
    return j;
}

cJSON *stream_to_json(const stream *s, uint64_t now_ms)
{
    cJSON *j = cJSON_CreateObject();
    if (!j)
        return NULL;
    cJSON_AddStringToObject(j, "uuid", s->uuid);
    cJSON_AddStringToObject(j, "streamSid", s->stream_sid);
    cJSON_AddStringToObject(j, "callSid", s->call_sid);
    cJSON_AddStringToObject(j, "accountSid", s->account_sid);
    cJSON_AddStringToObject(j, "dialect", stream_dialect_name(s->dialect));
    cJSON_AddStringToObject(j, "encoding", s->law == G711_ALAW ? "audio/x-alaw" : "audio/x-mulaw");
    cJSON *tracks = cJSON_AddArrayToObject(j, "tracks");
    if (s->tracks & TW_TRACK_INBOUND)
        cJSON_AddItemToArray(tracks, cJSON_CreateString("inbound"));
    if (s->tracks & TW_TRACK_OUTBOUND)
        cJSON_AddItemToArray(tracks, cJSON_CreateString("outbound"));
    cJSON *params = cJSON_AddObjectToObject(j, "customParameters");
    for (size_t i = 0; i < s->n_params; i++)
        cJSON_AddStringToObject(params, s->params[i].key, s->params[i].value);
    cJSON_AddNumberToObject(j, "age_ms", (double)(now_ms - s->started_ms));
    cJSON_AddNumberToObject(j, "idle_ms", (double)(now_ms - s->last_msg_ms));
    cJSON_AddNumberToObject(j, "messages", (double)s->messages);
    cJSON_AddNumberToObject(j, "errors", (double)s->errors);
    cJSON_AddItemToObject(j, "inbound", track_json(&s->track[0]));
    cJSON_AddItemToObject(j, "outbound", track_json(&s->track[1]));
    cJSON *d = cJSON_AddObjectToObject(j, "dtmf");
    cJSON_AddNumberToObject(d, "count", (double)s->dtmf_count);
    cJSON_AddStringToObject(d, "digits", s->dtmf);
    cJSON *m = cJSON_AddObjectToObject(j, "marks");
    cJSON_AddNumberToObject(m, "sent", (double)s->marks_sent);
    cJSON_AddNumberToObject(m, "received", (double)s->marks_received);
    cJSON_AddNumberToObject(m, "pending", (double)s->n_pending);
    cJSON_AddNumberToObject(j, "media_sent", (double)s->media_sent);
    cJSON_AddNumberToObject(j, "clears_sent", (double)s->clears_sent);
    return j;
}
