/* stream.c -- per-stream state and per-message bookkeeping. See stream.h. */
#include "streams/stream.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next_id = 1; /* loop thread only */

int stream_uuid4(char out[STREAM_UUID_LEN + 1])
{
    unsigned char b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, STREAM_UUID_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}

stream *stream_create(const char *uuid, const char *stream_sid, const char *call_sid,
                      uint64_t now_ms)
{
    stream *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (uuid)
        snprintf(s->uuid, sizeof s->uuid, "%s", uuid);
    else if (stream_uuid4(s->uuid) != 0) {
        free(s);
        return NULL;
    }
    s->id = next_id++;
    snprintf(s->stream_sid, sizeof s->stream_sid, "%s", stream_sid ? stream_sid : "");
    snprintf(s->call_sid, sizeof s->call_sid, "%s", call_sid ? call_sid : "");
    s->tracks = TW_TRACK_INBOUND;
    s->law = G711_ULAW;
    s->started_ms = s->last_msg_ms = now_ms;
    return s;
}

void stream_end(stream *s, stream_end_reason why)
{
    if (s->end_fn)
        s->end_fn(s, why);
}

stream *stream_new(const tw_msg *start, const char *uuid, stream_dialect dialect, uint64_t now_ms)
{
    stream *s = stream_create(uuid,
                              start->stream_sid[0] ? start->stream_sid : start->u.start.stream_sid,
                              start->u.start.call_sid, now_ms);
    if (!s)
        return NULL;
    snprintf(s->account_sid, sizeof s->account_sid, "%s", start->u.start.account_sid);
    s->dialect = dialect;
    s->tracks = start->u.start.tracks ? start->u.start.tracks : TW_TRACK_INBOUND;
    s->law = strcmp(start->u.start.format.encoding, "audio/x-alaw") == 0 ? G711_ALAW : G711_ULAW;
    if (start->u.start.n_params) {
        s->params = malloc(start->u.start.n_params * sizeof *s->params);
        if (!s->params) {
            free(s);
            return NULL;
        }
        memcpy(s->params, start->u.start.params, start->u.start.n_params * sizeof *s->params);
        s->n_params = start->u.start.n_params;
    }
    return s;
}

void stream_free(stream *s)
{
    if (!s)
        return;
    free(s->params);
    free(s->pending_marks);
    free(s);
}

const char *stream_param(const stream *s, const char *key)
{
    for (size_t i = 0; i < s->n_params; i++)
        if (strcmp(s->params[i].key, key) == 0)
            return s->params[i].value;
    return NULL;
}

bool stream_account_media(stream *s, unsigned track, uint64_t chunk, uint64_t ts_ms, size_t n)
{
    stream_track *t = &s->track[track == TW_TRACK_OUTBOUND ? 1 : 0];
    bool anomaly = false;
    t->media++;
    t->bytes += n;
    if (t->seen) {
        if (chunk <= t->last_chunk || ts_ms + STREAM_GAP_TOLERANCE_MS < t->next_ts_ms) {
            /* Backwards in chunk order, or earlier than the audio already received: a
             * reordered (or replayed) message. Its position says nothing about gaps. */
            t->out_of_order++;
            return true;
        }
        if (chunk > t->last_chunk + 1)
            t->chunks_missing += chunk - t->last_chunk - 1;
        if (ts_ms > t->next_ts_ms + STREAM_GAP_TOLERANCE_MS) {
            t->gaps++;
            t->gap_ms += ts_ms - t->next_ts_ms;
            anomaly = true;
        }
    }
    t->seen = true;
    t->last_chunk = chunk;
    t->next_ts_ms = ts_ms + n / 8; /* 8 samples per ms at 8 kHz, one byte per sample */
    return anomaly;
}

void stream_account_dtmf(stream *s, char digit)
{
    size_t n = strlen(s->dtmf);
    if (n == STREAM_DTMF_KEEP) { /* keep the latest digits */
        memmove(s->dtmf, s->dtmf + 1, n - 1);
        n--;
    }
    s->dtmf[n] = digit;
    s->dtmf[n + 1] = '\0';
    s->dtmf_count++;
}

bool stream_mark_add(stream *s, const char *name)
{
    if (!s->pending_marks) {
        s->pending_marks = calloc(STREAM_MARKS_MAX, sizeof *s->pending_marks);
        if (!s->pending_marks)
            return false;
    }
    if (s->n_pending == STREAM_MARKS_MAX)
        return false;
    snprintf(s->pending_marks[s->n_pending++], TW_NAME_MAX, "%s", name);
    return true;
}

bool stream_mark_remove(stream *s, const char *name)
{
    for (size_t i = 0; i < s->n_pending; i++) {
        if (strcmp(s->pending_marks[i], name) == 0) {
            memmove(s->pending_marks[i], s->pending_marks[i + 1],
                    (s->n_pending - i - 1) * sizeof *s->pending_marks);
            s->n_pending--;
            return true;
        }
    }
    return false;
}

double stream_seconds(const stream *s, unsigned track)
{
    return (double)s->track[track == TW_TRACK_OUTBOUND ? 1 : 0].bytes / 8000.0;
}

const char *stream_dialect_name(stream_dialect d)
{
    return d == DIALECT_VOICEVERIFY ? "voiceverify" : "twilio";
}

const char *stream_end_reason_name(stream_end_reason why)
{
    static const char *const names[] = {"stop", "closed", "timeout", "shutdown", "forced"};
    return (unsigned)why < sizeof names / sizeof names[0] ? names[why] : "unknown";
}
