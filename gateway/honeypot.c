/* honeypot.c -- the dummy IVR and the honeypot record. See honeypot.h.
 *
 * The sink keeps nothing for ordinary calls (its per-stream state stays NULL). honeypot_enter()
 * gives a stream an hcall; a bidirectional Twilio stream also gets a 20 ms uv_timer that feeds
 * the current prompt, one frame per tick, to media_send_audio() -- the connection's bounded
 * outbound queue (outq) -- so a prompt never sits in memory twice and a barge-in has at most
 * one frame to take back. The hcall outlives its stream only until its timer handle closed.
 */
#include "honeypot.h"

#include <cjson/cJSON.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "audio.h"
#include "log.h"
#include "media.h"
#include "registry.h"
#include "store_fraud.h"
#include "stream.h"
#include "webhook.h"
#include "webhook_payload.h"
#include "wsecret.h"

#define HP_FRAME 160 /* 20 ms at 8 kHz */
#define HP_FRAME_MS 20
#define HP_NAME_MAX 32
#define HP_DIGITS_MAX 64
#define HP_PATH_MAX 512
#define HP_MENU_FILE_MAX (64 * 1024)

typedef struct {
    char name[HP_NAME_MAX + 1];
    int16_t *pcm;
    size_t n;
    int next[256]; /* by DTMF digit: menu index, -1 none */
} hp_menu;

struct honeypot {
    app *a;
    audio_sink sink;
    int slot;
    hp_menu menus[HONEYPOT_MENUS_MAX];
    int n_menus, start;
};

typedef struct hcall {
    honeypot *h;
    stream *s; /* NULL once ended */
    char uuid[STREAM_UUID_LEN + 1];
    char call_sid[TW_SID_MAX];
    uv_timer_t timer;
    bool timer_open;   /* the handle must be closed before the hcall is freed */
    bool ivr;          /* the IVR plays (bidirectional stream, menu configured) */
    int menu;          /* current menu */
    size_t pos;        /* next sample of its prompt */
    bool playing;      /* prompt frames still to send */
    unsigned marks_out;/* marks sent and not yet echoed */
    uint64_t entered_ms;
    char reason[16];
    int risk;
    char digits[HP_DIGITS_MAX + 1];
    char path[HP_PATH_MAX];
    double speech_s;
    unsigned barge_ins, prompts_sent, prompts_heard, serial;
} hcall;

/* ---- the menu file ------------------------------------------------------------------------ */

static int menu_index(const honeypot *h, const char *name)
{
    for (int i = 0; i < h->n_menus; i++)
        if (strcmp(h->menus[i].name, name) == 0)
            return i;
    return -1;
}

static int load_prompt(hp_menu *m, const char *dir, const char *file, char *err, size_t errcap)
{
    char path[1024], why[256];
    if (strstr(file, "..") || file[0] == '/') {
        snprintf(err, errcap, "honeypot menu: prompt \"%s\" must be a path below the menu's folder",
                 file);
        return -1;
    }
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (bio_audio_read(path, &m->pcm, &m->n, why, sizeof why) != 0) {
        snprintf(err, errcap, "honeypot menu: prompt %s: %s", path, why);
        return -1;
    }
    if (m->n == 0 || m->n > (size_t)HONEYPOT_PROMPT_MAX_S * 8000) {
        snprintf(err, errcap, "honeypot menu: prompt %s is empty or longer than %d s", path,
                 HONEYPOT_PROMPT_MAX_S);
        return -1;
    }
    return 0;
}

/* First pass: names and prompts; second: options, which may name any menu. */
static int parse_menus(honeypot *h, const cJSON *menus, const char *dir, char *err, size_t errcap)
{
    const cJSON *m;
    cJSON_ArrayForEach(m, menus) {
        const cJSON *prompt = cJSON_GetObjectItem(m, "prompt");
        if (h->n_menus == HONEYPOT_MENUS_MAX || strlen(m->string) > HP_NAME_MAX ||
            !cJSON_IsString(prompt)) {
            snprintf(err, errcap, "honeypot menu \"%s\": at most %d menus, names of %d bytes, "
                     "each with a \"prompt\" file", m->string, HONEYPOT_MENUS_MAX, HP_NAME_MAX);
            return -1;
        }
        hp_menu *hm = &h->menus[h->n_menus++];
        snprintf(hm->name, sizeof hm->name, "%s", m->string);
        if (load_prompt(hm, dir, prompt->valuestring, err, errcap) != 0)
            return -1;
    }
    for (int i = 0; i < h->n_menus; i++) {
        hp_menu *hm = &h->menus[i];
        for (int d = 0; d < 256; d++)
            hm->next[d] = -1;
        const cJSON *opt;
        cJSON_ArrayForEach(opt, cJSON_GetObjectItem(cJSON_GetObjectItem(menus, hm->name), "options")) {
            int to = cJSON_IsString(opt) ? menu_index(h, opt->valuestring) : -1;
            if (strlen(opt->string) != 1 || !strchr("0123456789*#", opt->string[0]) || to < 0) {
                snprintf(err, errcap, "honeypot menu \"%s\": option \"%s\" must be one DTMF "
                         "digit naming a menu", hm->name, opt->string);
                return -1;
            }
            hm->next[(unsigned char)opt->string[0]] = to;
        }
    }
    return 0;
}

static int load_menu(honeypot *h, const char *file, char *err, size_t errcap)
{
    FILE *f = fopen(file, "rb");
    char *text = f ? calloc(1, HP_MENU_FILE_MAX + 1) : NULL;
    size_t len = text ? fread(text, 1, HP_MENU_FILE_MAX + 1, f) : 0;
    if (f)
        fclose(f);
    cJSON *root = text && len <= HP_MENU_FILE_MAX ? cJSON_Parse(text) : NULL;
    free(text);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", file);
    int rc = -1;
    const cJSON *start = cJSON_GetObjectItem(root, "start");
    const cJSON *menus = cJSON_GetObjectItem(root, "menus");
    if (!root || !cJSON_IsString(start) || !cJSON_IsObject(menus))
        snprintf(err, errcap, "honeypot menu %s: not a JSON object with \"start\" and \"menus\" "
                 "(at most %d bytes)", file, HP_MENU_FILE_MAX);
    else if (parse_menus(h, menus, dirname(dir), err, errcap) == 0 &&
             (h->start = menu_index(h, start->valuestring)) < 0)
        snprintf(err, errcap, "honeypot menu %s: \"start\" names no menu", file);
    else if (h->n_menus > 0 && h->start >= 0)
        rc = 0;
    cJSON_Delete(root);
    return rc;
}

/* ---- the record ------------------------------------------------------------------------------ */

static uint64_t since(const hcall *c) { return uv_now(c->h->a->loop) - c->entered_ms; }

static void record(hcall *c, const char *event, const char *detail)
{
    char t[24];
    snprintf(t, sizeof t, "%llu", (unsigned long long)since(c));
    const char *kv[] = {"stream", c->uuid, "call_sid", c->call_sid, "event", event, "t_ms", t,
                        "menu", c->h->n_menus ? c->h->menus[c->menu].name : "",
                        "detail", detail ? detail : ""};
    store_honeypot_log(c->h->a->store, kv, sizeof kv / sizeof kv[0] / 2);
}

static whp_honeypot_call summary(const hcall *c)
{
    return (whp_honeypot_call){
        .stream_uuid = c->uuid, .call_sid = c->call_sid, .reason = c->reason, .risk = c->risk,
        .ivr = c->ivr, .dtmf = c->digits, .menu_path = c->path, .speech_seconds = c->speech_s,
        .duration_seconds = since(c) / 1000.0, .barge_ins = c->barge_ins,
        .prompts_sent = c->prompts_sent, .prompts_heard = c->prompts_heard};
}

/* The record goes to the isolated Redis stream and, when configured, to honeypot_webhook,
 * signed like every other webhook (with the deployment's secret: nothing goes out unsigned). */
static void report(hcall *c)
{
    whp_honeypot_call rec = summary(c);
    cJSON *o = whp_honeypot_record(&rec);
    char *flat = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    record(c, "end", flat);
    free(flat);
    const app *a = c->h->a;
    if (!a->cfg->honeypot_webhook[0])
        return;
    const char *secret = wsecret_get(a->wsecret);
    char *body = secret ? whp_honeypot(c->uuid, &rec) : NULL;
    if (!body || webhook_send(a->webhooks, a->cfg->honeypot_webhook, secret, body,
                              strlen(body)) != 0)
        log_write(LOG_WARN, c->uuid, NULL, NULL, 0, "honeypot webhook not sent");
    free(body);
}

/* ---- the IVR ----------------------------------------------------------------------------------- */

static void play(hcall *c, int menu)
{
    c->menu = menu;
    c->pos = 0;
    c->playing = true;
    c->prompts_sent++;
    size_t len = strlen(c->path);
    snprintf(c->path + len, sizeof c->path - len, "%s%s", len ? ">" : "", c->h->menus[menu].name);
    record(c, "prompt", NULL);
}

/* One 20 ms frame of the prompt; after the last, the mark that tells when it was heard. */
static void on_frame(uv_timer_t *t)
{
    hcall *c = t->data;
    if (c->s && !c->s->conn) {
        /* Entered from a sink's on_start, before the WebSocket owns the stream: the IVR starts
         * at the next tick. A stream that never gets a connection (an HTTP push stream) has
         * no way back to the caller: only flagged. */
        if (since(c) >= 5 * HP_FRAME_MS) {
            c->ivr = false;
            uv_timer_stop(t);
        }
        return;
    }
    if (!c->s || !c->playing)
        return;
    const hp_menu *m = &c->h->menus[c->menu];
    int16_t pcm[HP_FRAME] = {0};
    uint8_t g711[HP_FRAME];
    size_t k = m->n - c->pos < HP_FRAME ? m->n - c->pos : HP_FRAME;
    memcpy(pcm, m->pcm + c->pos, k * sizeof *pcm);
    g711_encode(c->s->law, pcm, HP_FRAME, g711);
    if (media_send_audio(c->s, g711, HP_FRAME) != 0)
        return; /* queue full: the frame is sent at the next tick */
    c->pos += k;
    if (c->pos < m->n)
        return;
    char mark[TW_NAME_MAX];
    snprintf(mark, sizeof mark, "hp-%u-%s", ++c->serial, m->name);
    c->playing = false;
    if (media_send_mark(c->s, mark) == 0)
        c->marks_out++;
}

static void barge_in(hcall *c, const char *how)
{
    if (!c->ivr || (!c->playing && !c->marks_out))
        return;
    c->playing = false;
    c->barge_ins++;
    media_send_clear(c->s); /* Twilio drops the queued audio and returns the marks */
    record(c, "barge_in", how);
}

/* ---- the sink ----------------------------------------------------------------------------------- */

static int on_start(void *ud, stream *s, void **state)
{
    honeypot *h = ud;
    h->slot = (int)(state - s->sink_state); /* the state stays NULL until honeypot_enter */
    return 0;
}

static void on_audio(void *ud, stream *s, void *state, const int16_t *pcm, size_t n,
                     uint64_t ts)
{
    (void)ud, (void)s, (void)ts;
    hcall *c = state;
    if (!c || n == 0)
        return;
    double e = 0;
    for (size_t i = 0; i < n; i++)
        e += (double)pcm[i] * pcm[i];
    if (sqrt(e / (double)n) < HONEYPOT_SPEECH_RMS)
        return;
    c->speech_s += (double)n / 8000;
    barge_in(c, "speech");
}

static void on_dtmf(void *ud, stream *s, void *state, char digit)
{
    (void)ud, (void)s;
    hcall *c = state;
    if (!c)
        return;
    size_t len = strlen(c->digits);
    if (len < HP_DIGITS_MAX)
        c->digits[len] = digit;
    char d[2] = {digit, 0};
    record(c, "dtmf", d);
    if (!c->ivr)
        return;
    barge_in(c, "dtmf");
    int next = c->h->menus[c->menu].next[(unsigned char)digit];
    play(c, next >= 0 ? next : c->menu); /* an unknown digit replays the menu */
}

static void on_mark(void *ud, stream *s, void *state, const char *name)
{
    (void)ud, (void)s;
    hcall *c = state;
    if (!c || strncmp(name, "hp-", 3) != 0)
        return;
    if (c->marks_out)
        c->marks_out--;
    c->prompts_heard++;
    record(c, "mark", name);
}

static void on_closed(uv_handle_t *t) { free(t->data); }

static void on_stop(void *ud, stream *s, void *state, stream_end_reason why)
{
    (void)ud, (void)why;
    hcall *c = state;
    if (!c)
        return;
    s->sink_state[c->h->slot] = NULL;
    c->s = NULL;
    report(c);
    if (c->timer_open) {
        uv_timer_stop(&c->timer);
        uv_close((uv_handle_t *)&c->timer, on_closed);
    } else {
        free(c);
    }
}

/* ---- entry ----------------------------------------------------------------------------------- */

bool honeypot_active(const honeypot *h, const stream *s)
{
    return h && s && h->slot >= 0 && s->sink_state[h->slot] != NULL;
}

void honeypot_enter(honeypot *h, stream *s, const char *reason, int risk)
{
    if (!h || !s || h->slot < 0 || honeypot_active(h, s))
        return;
    hcall *c = calloc(1, sizeof *c);
    if (!c) {
        log_write(LOG_ERROR, s->uuid, stream_session_id(s), NULL, 0, "honeypot: out of memory");
        return;
    }
    c->h = h;
    c->s = s;
    snprintf(c->uuid, sizeof c->uuid, "%s", s->uuid);
    snprintf(c->call_sid, sizeof c->call_sid, "%s", s->call_sid);
    snprintf(c->reason, sizeof c->reason, "%s", reason);
    c->risk = risk;
    c->entered_ms = uv_now(h->a->loop);
    const char *bidir = stream_param(s, "bidirectional");
    c->ivr = h->n_menus > 0 && s->dialect == DIALECT_TWILIO && bidir && strcmp(bidir, "true") == 0;
    if (c->ivr && uv_timer_init(h->a->loop, &c->timer) == 0) {
        c->timer.data = c;
        c->timer_open = true;
        uv_timer_start(&c->timer, on_frame, HP_FRAME_MS, HP_FRAME_MS);
    } else {
        c->ivr = false;
    }
    s->sink_state[h->slot] = c;
    const char *kv[] = {"reason", reason, "ivr", c->ivr ? "true" : "false"};
    log_write(LOG_WARN, s->uuid, stream_session_id(s), kv, 2,
              "call sent to the honeypot (risk %d): nothing more is forwarded", risk);
    record(c, "enter", reason);
    if (c->ivr)
        play(c, h->start);
}

honeypot *honeypot_new(app *a, char *err, size_t errcap)
{
    err[0] = '\0';
    honeypot *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    h->a = a;
    h->slot = -1;
    h->sink = (audio_sink){.name = "honeypot", .ud = h, .on_start = on_start,
                           .on_audio = on_audio, .on_dtmf = on_dtmf, .on_mark = on_mark,
                           .on_stop = on_stop};
    if ((a->cfg->honeypot_menu[0] && load_menu(h, a->cfg->honeypot_menu, err, errcap) != 0) ||
        registry_add_sink(a->reg, &h->sink) != 0) {
        if (!err[0])
            snprintf(err, errcap, "cannot register the honeypot");
        honeypot_free(h);
        return NULL;
    }
    return h;
}

void honeypot_free(honeypot *h)
{
    if (!h)
        return;
    for (int i = 0; i < h->n_menus; i++)
        free(h->menus[i].pcm);
    free(h);
}
