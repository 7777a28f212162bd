/* console.c -- the console's clients, its tick and its web files. See console.h.
 *
 * Clients are a small array (console_clients_max entries): each holds its request (a
 * streamed reply, http.h) and when it last took a snapshot. The tick builds one snapshot text
 * and offers it to each client; http_stream_send refuses while the previous one is still
 * going out, which is the whole per-client bound: no queue exists to grow.
 *
 * Web files come from console_assets.c, generated at build time from gateway/console/web/ by
 * console_embed.cmake, so the binary serves them with no file beside it and no network.
 */
#include <uv.h>

#include "console/console.h"

#include <stdio.h>
#include <stdlib.h>
#include <openssl/crypto.h>
#include <string.h>

#include "api/api.h"
#include "core/app.h"
#include "console/console_assets.h"
#include "console/console_int.h"
#include "common/log.h"
#include "common/time.h"

typedef struct {
    http_req *req; /* NULL: free slot */
    uint64_t last_ok_ms; /* loop time of the last snapshot taken (or of the start) */
    char token[CONSOLE_TOKEN_MAX + 1]; /* checked every tick: a revoked token ends the stream */
} cclient;

struct console {
    app *a;
    uv_timer_t tick;
    bool tick_open, ticking, closed;
    cclient *clients;
    size_t max_clients;
    ccalls *calls;
    console_stats st;
};

/* ---- web files ---- */

static const char *mime_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    static const char *const map[][2] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".svg", "image/svg+xml"},
        {".png", "image/png"}, {".ico", "image/x-icon"}};
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (strcmp(dot, map[i][0]) == 0)
            return map[i][1];
    return "application/octet-stream";
}

/* The page runs only its own files: no inline script, nothing from elsewhere, no framing. */
static void security_headers(http_req *req)
{
    http_add_header(req, "Content-Security-Policy",
                    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' "
                    "data:; connect-src 'self'; base-uri 'none'; form-action 'none'; "
                    "frame-ancestors 'none'");
    http_add_header(req, "X-Content-Type-Options", "nosniff");
    http_add_header(req, "Referrer-Policy", "no-referrer");
    http_add_header(req, "Cache-Control", "no-cache");
}

static http_result get_file(http_req *req, void *ud)
{
    (void)ud;
    const char *name = http_req_path_rest(req);
    if (!*name)
        name = "index.html";
    for (size_t i = 0; i < console_assets_count; i++) {
        const console_asset *f = &console_assets[i];
        if (strcmp(f->name, name) != 0)
            continue;
        security_headers(req);
        http_reply(req, 200, mime_of(name), (const char *)f->data, f->len);
        return HTTP_DONE;
    }
    http_reply_error(req, 404, "no such console file");
    return HTTP_DONE;
}

static http_result get_root(http_req *req, void *ud)
{
    (void)ud;
    http_add_header(req, "Location", "/console/");
    http_reply(req, 301, "text/plain", "", 0);
    return HTTP_DONE;
}

/* ---- clients ---- */

static void client_drop(console *c, cclient *cl)
{
    http_req *req = cl->req;
    cl->req = NULL;
    OPENSSL_cleanse(cl->token, sizeof cl->token);
    c->st.clients--;
    http_stream_end(req);
}

static void on_client_gone(http_req *req, void *ud)
{
    console *c = ud;
    for (size_t i = 0; i < c->max_clients; i++)
        if (c->clients[i].req == req) {
            client_drop(c, &c->clients[i]);
            return;
        }
}

/* The snapshot as one SSE event: "event: snapshot\ndata: <JSON on one line>\n\n". */
static char *snapshot_event(console *c, uint64_t now_ms, size_t *len)
{
    cJSON *root = cJSON_CreateObject();
    if (!root)
        return NULL;
    cJSON_AddNumberToObject(root, "time_ms", (double)time_now_ms());
    ccalls_render(c->calls, root, now_ms);
    ccalls_health(c->calls, root, now_ms);
    cJSON *con = cJSON_AddObjectToObject(root, "console");
    cJSON_AddNumberToObject(con, "clients", (double)c->st.clients);
    cJSON_AddNumberToObject(con, "clients_max", (double)c->max_clients);
    cJSON_AddNumberToObject(con, "dropped", (double)c->st.dropped);
    cJSON_AddNumberToObject(con, "revoked", (double)c->st.revoked);
    cJSON_AddNumberToObject(con, "skipped", (double)c->st.skipped);
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json)
        return NULL;
    size_t n = strlen(json);
    char *ev = malloc(n + 32);
    if (ev)
        *len = (size_t)snprintf(ev, n + 32, "event: snapshot\ndata: %s\n\n", json);
    cJSON_free(json);
    return ev;
}

static void offer(console *c, cclient *cl, const char *ev, size_t len, uint64_t now_ms)
{
    if (auth_check(c->a->auth, cl->token) != AUTH_OK) {
        log_write(LOG_INFO, NULL, NULL, LOG_KV("client", http_req_peer(cl->req)),
                  "console stream ended: its token was revoked or expired");
        c->st.revoked++;
        client_drop(c, cl);
        return;
    }
    int r = http_stream_send(cl->req, ev, len);
    if (r == 0) {
        cl->last_ok_ms = now_ms;
        c->st.snapshots++;
        return;
    }
    c->st.skipped += r > 0;
    if (r < 0 || now_ms - cl->last_ok_ms >= CONSOLE_STALL_MS) {
        log_write(LOG_WARN, NULL, NULL, LOG_KV("client", http_req_peer(cl->req)),
                  "console client dropped: it took no update for %d s", CONSOLE_STALL_MS / 1000);
        c->st.dropped++;
        client_drop(c, cl);
    }
}

static void tick_stop(console *c)
{
    if (c->ticking) {
        uv_timer_stop(&c->tick);
        c->ticking = false;
        ccalls_clear(c->calls);
    }
}

static void on_tick(uv_timer_t *t)
{
    console *c = t->data;
    if (c->st.clients == 0) {
        tick_stop(c);
        return;
    }
    uint64_t now = uv_now(c->a->loop);
    api_record_refresh(c->a); /* a password changed on another gateway revokes the tokens */
    ccalls_refresh(c->calls, now);
    size_t len = 0;
    char *ev = snapshot_event(c, now, &len);
    if (!ev)
        return;
    for (size_t i = 0; i < c->max_clients; i++)
        if (c->clients[i].req)
            offer(c, &c->clients[i], ev, len, now);
    free(ev);
}

http_result console_attach(console *c, http_req *req, const char *token)
{
    cclient *slot = NULL;
    for (size_t i = 0; !slot && i < c->max_clients; i++)
        if (!c->clients[i].req)
            slot = &c->clients[i];
    if (c->closed || !slot) {
        c->st.refused += !c->closed;
        http_add_header(req, "Retry-After", "5");
        http_reply_error(req, 503, c->closed ? "shutting down"
                                             : "too many console clients (console_clients_max)");
        return HTTP_DONE;
    }
    if (http_stream_begin(req, 200, "text/event-stream; charset=utf-8", CONSOLE_SNDBUF) != 0) {
        http_reply_error(req, 500, "cannot start the event stream");
        return HTTP_DONE;
    }
    http_req_on_abort(req, on_client_gone, c);
    snprintf(slot->token, sizeof slot->token, "%s", token);
    slot->req = req;
    slot->last_ok_ms = uv_now(c->a->loop);
    c->st.clients++;
    c->st.opened++;
    /* The first snapshot comes at once: a console shows data on opening, not a second later. */
    if (!c->ticking) {
        c->ticking = true;
        uv_timer_start(&c->tick, on_tick, 0, CONSOLE_TICK_MS);
    } else {
        on_tick(&c->tick);
    }
    return HTTP_DEFERRED;
}

/* ---- lifetime ---- */

console *console_new(app *a)
{
    console *c = calloc(1, sizeof *c);
    size_t max = a->cfg->console_clients_max > 0 ? (size_t)a->cfg->console_clients_max : 1;
    if (c) {
        c->a = a;
        c->max_clients = max;
        c->clients = calloc(max, sizeof *c->clients);
        c->calls = ccalls_new(a);
    }
    if (!c || !c->clients || !c->calls) {
        console_free(c);
        return NULL;
    }
    uv_timer_init(a->loop, &c->tick);
    c->tick.data = c;
    c->tick_open = true;
    if (a->live)
        live_on_verdict(a->live, ccalls_on_state, c->calls);
    /* The files first: an exact route also matches its path with a trailing slash, and
     * "/console/" must be the page, not the redirect to it. */
    http_route(a->router, "GET", "/console/*", get_file, c);
    http_route(a->router, "GET", "/console", get_root, c);
    return c;
}

void console_close(console *c)
{
    if (!c || c->closed)
        return;
    c->closed = true;
    for (size_t i = 0; i < c->max_clients; i++)
        if (c->clients[i].req)
            client_drop(c, &c->clients[i]);
    tick_stop(c);
    if (c->tick_open) {
        uv_close((uv_handle_t *)&c->tick, NULL);
        c->tick_open = false;
    }
}

void console_free(console *c)
{
    if (!c)
        return;
    ccalls_free(c->calls);
    free(c->clients);
    free(c);
}

void console_webhook_result(console *c, const webhook_result *r)
{
    ccalls_on_webhook(c->calls, r);
}

void console_get_stats(const console *c, console_stats *out)
{
    *out = c ? c->st : (console_stats){0};
}
