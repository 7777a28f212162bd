/* api_httpstream.c -- HTTP push streams (the Voice Verify manual's "HTTP streams").
 *
 *   POST   /api/v2/stream/HTTP            {"info":{"source_uuid":..,...},"frequency":8000}
 *                                         -> 201 {"uuid","frequency"}
 *   POST   /api/v2/stream/HTTP/data/{uuid} raw s16le mono samples at that frequency
 *   DELETE /api/v2/stream/HTTP/{uuid}     close
 *
 * An HTTP stream is an ordinary registry stream (stream_create + registry_admit), so the
 * biometric sink, live enrol/verify, subscriptions, listings and force-off treat it like a
 * WebSocket stream; its `info` pairs become its customParameters (source_uuid included).
 * This file is its owner: end_fn (hs_end) removes it from the registry and frees it,
 * whatever ended it -- DELETE (STREAM_END_STOP), no data for http_stream_timeout_ms
 * (STREAM_END_TIMEOUT, default 10 s), force-off (FORCED) or shutdown (SHUTDOWN).
 *
 * Audio: the body's bytes are little-endian 16-bit samples (an odd length is refused); a
 * stream opened at another rate goes through its own speexdsp resampler (state kept across
 * pushes, so block boundaries leave no clicks) to 8 kHz, then to the sinks in 100 ms
 * blocks with a timestamp from the samples delivered so far.
 */
#include <speex/speex_resampler.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "common/log.h"

#define HS_RATE_MIN 8000
#define HS_RATE_MAX 48000
#define HS_BLOCK 800 /* samples handed to the sinks at once (100 ms at 8 kHz) */

typedef struct api_hstream {
    struct api_hstream *next;
    api *api;
    stream *s;
    int rate;
    SpeexResamplerState *rs; /* NULL at 8 kHz */
    uint64_t samples;        /* delivered at 8 kHz */
    uint64_t pushes, blocks;
    uv_timer_t idle;
} hstream;

static void hs_end(stream *s, stream_end_reason why);

bool api_httpstream_is(const stream *s)
{
    return s->end_fn == hs_end;
}

size_t api_httpstream_count(const api *p)
{
    return p ? p->n_hstreams : 0;
}

static void idle_closed(uv_handle_t *t)
{
    free(t->data);
}

static void hs_end(stream *s, stream_end_reason why)
{
    hstream *h = s->end_arg;
    api *p = h->api;
    for (hstream **pp = &p->hstreams; *pp; pp = &(*pp)->next)
        if (*pp == h) {
            *pp = h->next;
            break;
        }
    p->n_hstreams--;
    if (why == STREAM_END_TIMEOUT)
        p->hstreams_timed_out++;
    log_write(LOG_INFO, s->uuid, NULL, LOG_KV("reason", stream_end_reason_name(why)),
              "HTTP stream ended after %.1f s of audio", (double)h->samples / 8000.0);
    registry_remove(p->a->reg, s, why);
    stream_free(s);
    if (h->rs)
        speex_resampler_destroy(h->rs);
    h->s = NULL;
    uv_timer_stop(&h->idle);
    uv_close((uv_handle_t *)&h->idle, idle_closed);
}

static void on_idle(uv_timer_t *t)
{
    hstream *h = t->data;
    if (h->s)
        stream_end(h->s, STREAM_END_TIMEOUT);
}

static void touch(hstream *h)
{
    app *a = h->api->a;
    h->s->last_msg_ms = uv_now(a->loop);
    uv_timer_start(&h->idle, on_idle, (uint64_t)a->cfg->http_stream_timeout_ms, 0);
}

/* info's string/number/bool members become customParameters (bounded like Twilio's). */
static const char *set_params(stream *s, const cJSON *info)
{
    if (!info || cJSON_IsNull(info))
        return NULL;
    if (!cJSON_IsObject(info))
        return "\"info\" must be an object";
    size_t n = (size_t)cJSON_GetArraySize(info);
    if (n > TW_MAX_PARAMS)
        return "\"info\" has too many members (at most 32)";
    s->params = n ? calloc(n, sizeof *s->params) : NULL;
    if (n && !s->params)
        return "out of memory";
    const cJSON *v;
    cJSON_ArrayForEach(v, info)
    {
        char num[64];
        const char *val = cJSON_IsString(v) ? v->valuestring : NULL;
        if (cJSON_IsNumber(v))
            snprintf(num, sizeof num, "%.17g", v->valuedouble), val = num;
        else if (cJSON_IsBool(v))
            val = cJSON_IsTrue(v) ? "true" : "false";
        if (!val)
            return "\"info\" values must be strings, numbers or booleans";
        if (!*v->string || strlen(v->string) >= TW_PARAM_KEY_MAX ||
            strlen(val) >= TW_PARAM_VALUE_MAX)
            return "an \"info\" key is empty or longer than 63 characters, or a value longer "
                   "than 511";
        tw_param *tp = &s->params[s->n_params++];
        snprintf(tp->key, sizeof tp->key, "%s", v->string);
        snprintf(tp->value, sizeof tp->value, "%s", val);
    }
    return NULL;
}

/* Frequency from the body: absent = 8000. -1 with a 400 sent. */
static int body_rate(http_req *req, const cJSON *body)
{
    const cJSON *f = body ? cJSON_GetObjectItemCaseSensitive(body, "frequency") : NULL;
    if (!f || cJSON_IsNull(f))
        return 8000;
    /* Range first: casting an out-of-range double to int is undefined. */
    if (!cJSON_IsNumber(f) || !(f->valuedouble >= HS_RATE_MIN && f->valuedouble <= HS_RATE_MAX) ||
        f->valuedouble != (double)(int)f->valuedouble) {
        http_reply_error(req, 400, "\"frequency\" must be an integer from 8000 to 48000 (Hz)");
        return -1;
    }
    return (int)f->valuedouble;
}

static int admit_status(registry_status st)
{
    return st == REG_MAINTENANCE ? 423 : st == REG_NO_SLOT ? 403 : st == REG_DUPLICATE ? 409 : 503;
}

static const char *admit_text(registry_status st)
{
    return st == REG_MAINTENANCE ? "maintenance: new streams are refused"
           : st == REG_NO_SLOT   ? "no free stream slot (max_streams reached)"
           : st == REG_DUPLICATE ? "duplicate stream uuid"
                                 : "no processing capacity for a new stream";
}

/* Build the stream and its owner state; NULL with *why set. */
static hstream *hs_new(app *a, const cJSON *body, int rate, const char **why)
{
    hstream *h = calloc(1, sizeof *h);
    stream *s = h ? stream_create(NULL, "", "", uv_now(a->loop)) : NULL;
    *why = "out of memory";
    if (s) {
        h->s = s;
        *why = set_params(s, body ? cJSON_GetObjectItemCaseSensitive(body, "info") : NULL);
    }
    if (s && !*why && rate != 8000) {
        int e = 0;
        h->rs = speex_resampler_init(1, (spx_uint32_t)rate, 8000, 8, &e);
        if (!h->rs)
            *why = "the resampler could not be created";
    }
    if (*why || !s) {
        if (s)
            stream_free(s);
        free(h);
        return NULL;
    }
    h->api = a->api;
    h->rate = rate;
    s->dialect = DIALECT_TWILIO;
    snprintf(s->stream_sid, sizeof s->stream_sid, "HTTP-%s", s->uuid);
    s->end_fn = hs_end;
    s->end_arg = h;
    return h;
}

static http_result h_open(http_req *req, void *ud)
{
    app *a = ud;
    if (!api_auth(a, req))
        return HTTP_DONE;
    size_t len;
    http_req_body(req, &len);
    cJSON *body = len ? api_json_body(req) : NULL;
    if (len && !body)
        return HTTP_DONE;
    int rate = body_rate(req, body);
    const char *why = NULL;
    hstream *h = rate > 0 ? hs_new(a, body, rate, &why) : NULL;
    cJSON_Delete(body);
    if (rate < 0)
        return HTTP_DONE;
    if (!h) {
        http_reply_error(req, strcmp(why, "out of memory") ? 400 : 500, why);
        return HTTP_DONE;
    }
    h->s->authenticated = true; /* opened with an API token */
    registry_status st = registry_admit(a->reg, h->s);
    if (st != REG_OK) {
        if (h->rs)
            speex_resampler_destroy(h->rs);
        stream_free(h->s);
        free(h);
        http_reply_error(req, admit_status(st), admit_text(st));
        return HTTP_DONE;
    }
    uv_timer_init(a->loop, &h->idle);
    h->idle.data = h;
    h->next = a->api->hstreams;
    a->api->hstreams = h;
    a->api->n_hstreams++;
    a->api->hstreams_opened++;
    touch(h);
    log_write(LOG_INFO, h->s->uuid, NULL, NULL, 0, "HTTP stream opened at %d Hz", rate);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "uuid", h->s->uuid);
    cJSON_AddNumberToObject(o, "frequency", rate);
    api_send(req, 201, o);
    return HTTP_DONE;
}

/* The open HTTP stream named by the path of an authenticated request, or NULL with the
 * reply (401/400/404) sent. */
static hstream *path_stream(app *a, http_req *req)
{
    if (!api_auth(a, req))
        return NULL;
    char id[STREAM_UUID_LEN + 1];
    if (!api_path_id(req, "stream uuid", STREAM_UUID_LEN, id, sizeof id))
        return NULL;
    stream *s = registry_by_uuid(a->reg, id);
    if (!s || !api_httpstream_is(s)) {
        http_reply_error(req, 404, s ? "that stream is not an HTTP stream"
                                     : "no open HTTP stream with that uuid");
        return NULL;
    }
    return s->end_arg;
}

/* Little-endian bytes to samples, resampled to 8 kHz; *n in, *out_n out. */
static int16_t *to_8k(hstream *h, const unsigned char *b, size_t n, size_t *out_n)
{
    int16_t *in = malloc((n ? n : 1) * sizeof *in);
    if (!in)
        return NULL;
    for (size_t i = 0; i < n; i++)
        in[i] = (int16_t)(uint16_t)(b[2 * i] | (b[2 * i + 1] << 8));
    if (!h->rs) {
        *out_n = n;
        return in;
    }
    size_t cap = (size_t)((double)n * 8000.0 / h->rate) + 64;
    int16_t *out = malloc(cap * sizeof *out);
    if (out) {
        spx_uint32_t il = (spx_uint32_t)n, ol = (spx_uint32_t)cap;
        speex_resampler_process_int(h->rs, 0, in, &il, out, &ol);
        *out_n = ol;
    }
    free(in);
    return out;
}

static http_result h_data(http_req *req, void *ud)
{
    app *a = ud;
    hstream *h = path_stream(a, req);
    if (!h)
        return HTTP_DONE;
    size_t len;
    const char *body = http_req_body(req, &len);
    if (len % 2) {
        http_reply_error(req, 400, "the body must be 16-bit samples (an even number of bytes)");
        return HTTP_DONE;
    }
    size_t n = 0;
    int16_t *pcm = to_8k(h, (const unsigned char *)body, len / 2, &n);
    if (!pcm) {
        http_reply_error(req, 500, "out of memory");
        return HTTP_DONE;
    }
    stream *s = h->s;
    h->pushes++;
    s->messages++;
    for (size_t off = 0; off < n; off += HS_BLOCK) {
        size_t k = n - off < HS_BLOCK ? n - off : HS_BLOCK;
        uint64_t ts = h->samples / 8;
        stream_account_media(s, TW_TRACK_INBOUND, ++h->blocks, ts, k);
        registry_audio(a->reg, s, pcm + off, k, ts);
        h->samples += k;
    }
    free(pcm);
    touch(h);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "uuid", s->uuid);
    cJSON_AddNumberToObject(o, "samples", (double)n);
    cJSON_AddNumberToObject(o, "seconds", (double)h->samples / 8000.0);
    api_send(req, 200, o);
    return HTTP_DONE;
}

static http_result h_close(http_req *req, void *ud)
{
    app *a = ud;
    hstream *h = path_stream(a, req);
    if (!h)
        return HTTP_DONE;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "uuid", h->s->uuid);
    cJSON_AddNumberToObject(o, "seconds", (double)h->samples / 8000.0);
    stream_end(h->s, STREAM_END_STOP);
    api_send(req, 200, o);
    return HTTP_DONE;
}

void api_httpstream_register(app *a)
{
    api_route(a, "POST", API_PREFIX "/stream/HTTP", h_open);
    api_route(a, "POST", API_PREFIX "/stream/HTTP/data/*", h_data);
    api_route(a, "DELETE", API_PREFIX "/stream/HTTP/*", h_close);
}
