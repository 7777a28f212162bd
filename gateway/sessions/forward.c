/* forward.c -- org-API forwarding: one job per forward, retried with backoff. See forward.h.
 *
 * A job owns copies of everything it sends (body, idempotency key), so the session that asked
 * may end while the forward is still retrying. Each attempt goes through http_client (which
 * copies the request again); between attempts the job sleeps on its own uv_timer, created on
 * the first retry. A job is freed when its timer handle (if any) has closed, which is also
 * what forward_close() waits for, together with the http_client.
 *
 * Duplicate suppression is local and bounded: the last FWD_RECENT "<session>\n<verdict>" keys
 * submitted are kept in a ring. A forward for a key in the ring is refused. Across nodes and
 * restarts the Idempotency-Key header is what lets the receiver drop a repeat.
 */
#include "sessions/forward.h"

#include "common/list.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_client.h"
#include "common/log.h"

#define FWD_RECENT 1024
#define FWD_ID_MAX 512

typedef struct fjob {
    forward *f;
    char *session_id, *idem_header, *body;
    size_t body_len;
    int attempt; /* attempts made so far */
    bool timer_used, in_flight;
    uv_timer_t timer;
    forward_done_cb *cb;
    void *arg;
    struct fjob *prev, *next;
} fjob;

struct forward {
    uv_loop_t *loop;
    http_client *http;
    char *url, *auth_header, *cert, *key, *ca, *on;
    long timeout_ms;
    int attempts;
    unsigned backoff_ms;
    char *recent[FWD_RECENT];
    size_t recent_next;
    fjob *jobs;
    forward_stats st;
    bool closing, http_open;
    void (*closed)(void *arg);
    void *closed_arg;
};

static char *dup_opt(const char *s)
{
    return s && *s ? strdup(s) : NULL;
}

forward *forward_new(uv_loop_t *loop, const forward_options *o, char *err, size_t errcap)
{
    forward *f = calloc(1, sizeof *f);
    if (!f) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    f->loop = loop;
    f->on = strdup(o->on_verdict && *o->on_verdict ? o->on_verdict : "verified");
    f->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 5000;
    f->attempts = o->attempts > 0 ? o->attempts : 3;
    f->backoff_ms = o->backoff_ms ? o->backoff_ms : 500;
    if (!o->url || !*o->url)
        return f; /* forwarding off */
    if (strncmp(o->url, "https://", 8) && strncmp(o->url, "http://", 7)) {
        snprintf(err, errcap, "forward_url: expected an http:// or https:// URL");
        goto fail;
    }
    if ((o->client_cert && *o->client_cert) != (o->client_key && *o->client_key)) {
        snprintf(err, errcap, "forward_client_cert and forward_client_key go together");
        goto fail;
    }
    f->url = strdup(o->url);
    f->cert = dup_opt(o->client_cert);
    f->key = dup_opt(o->client_key);
    f->ca = dup_opt(o->ca_file);
    char hdr[1024] = "";
    if (o->api_key && *o->api_key)
        snprintf(hdr, sizeof hdr, "X-API-Key: %s", o->api_key);
    else if (o->bearer_token && *o->bearer_token)
        snprintf(hdr, sizeof hdr, "Authorization: Bearer %s", o->bearer_token);
    if (strpbrk(hdr, "\r\n")) {
        snprintf(err, errcap, "forward_api_key / forward_bearer_token must be one line");
        goto fail;
    }
    f->auth_header = dup_opt(hdr);
    http_client_options ho = {.max_inflight = 16, .max_queued = 1024, .timeout_ms = f->timeout_ms};
    f->http = http_client_new(loop, &ho);
    if (!f->http) {
        snprintf(err, errcap, "cannot create the forwarding HTTP client");
        goto fail;
    }
    f->http_open = true;
    return f;
fail:
    forward_free(f);
    return NULL;
}

bool forward_enabled(const forward *f)
{
    return f && f->url && !f->closing;
}

bool forward_wants(const forward *f, const char *verdict)
{
    return forward_enabled(f) && verdict && strcmp(verdict, f->on) == 0;
}

/* ---- duplicate suppression ------------------------------------------------------------------- */

static bool recent_has(const forward *f, const char *key)
{
    for (size_t i = 0; i < FWD_RECENT; i++)
        if (f->recent[i] && strcmp(f->recent[i], key) == 0)
            return true;
    return false;
}

static void recent_add(forward *f, const char *key)
{
    free(f->recent[f->recent_next]);
    f->recent[f->recent_next] = strdup(key);
    f->recent_next = (f->recent_next + 1) % FWD_RECENT;
}

/* ---- jobs ------------------------------------------------------------------------------------ */

static void maybe_closed(forward *f)
{
    if (f->closing && !f->jobs && !f->http_open && f->closed) {
        void (*cb)(void *) = f->closed;
        f->closed = NULL;
        cb(f->closed_arg);
    }
}

static void job_free(fjob *j)
{
    forward *f = j->f;
    free(j->session_id);
    free(j->idem_header);
    free(j->body);
    free(j);
    maybe_closed(f);
}

static void on_timer_closed(uv_handle_t *h)
{
    job_free(h->data);
}

static void job_finish(fjob *j, bool ok, long status, const char *text)
{
    forward *f = j->f;
    char na[16];
    snprintf(na, sizeof na, "%d", j->attempt);
    log_write(ok ? LOG_INFO : LOG_WARN, NULL, j->session_id, LOG_KV("attempts", na),
              "org-API forward %s: %s", ok ? "delivered" : "failed", text);
    if (ok)
        f->st.delivered++;
    else
        f->st.failed++;
    f->st.in_progress--;
    if (j->cb)
        j->cb(j->arg, j->session_id, ok, status, j->attempt, text);
    LIST_UNLINK(f->jobs, j);
    if (j->timer_used)
        uv_close((uv_handle_t *)&j->timer, on_timer_closed);
    else
        job_free(j);
}

static bool retryable(long status)
{
    return status == 0 || status == 408 || status == 425 || status == 429 || status >= 500;
}

static void job_send(fjob *j);

static void on_backoff(uv_timer_t *t)
{
    job_send(t->data);
}

/* An attempt failed: retry after the backoff, or give up. */
static void job_failed(fjob *j, long status, const char *why)
{
    forward *f = j->f;
    char text[320];
    if (!retryable(status) || j->attempt >= f->attempts || f->closing) {
        if (status)
            snprintf(text, sizeof text, "failed: HTTP %ld after %d attempt%s", status, j->attempt,
                     j->attempt == 1 ? "" : "s");
        else
            snprintf(text, sizeof text, "failed: %s after %d attempt%s", why, j->attempt,
                     j->attempt == 1 ? "" : "s");
        job_finish(j, false, status, text);
        return;
    }
    if (!j->timer_used) {
        uv_timer_init(f->loop, &j->timer);
        j->timer.data = j;
        j->timer_used = true;
    }
    uint64_t delay = (uint64_t)f->backoff_ms << (j->attempt - 1 < 10 ? j->attempt - 1 : 10);
    uv_timer_start(&j->timer, on_backoff, delay, 0);
}

static void on_response(const http_response *res, void *arg)
{
    fjob *j = arg;
    j->in_flight = false;
    if (res->status >= 200 && res->status < 300) {
        char text[16];
        snprintf(text, sizeof text, "%ld", res->status);
        job_finish(j, true, res->status, text);
        return;
    }
    job_failed(j, res->cancelled ? 0 : res->status,
               res->cancelled              ? "shutdown"
               : res->error && *res->error ? res->error
                                           : "no response");
}

static void job_send(fjob *j)
{
    forward *f = j->f;
    const char *headers[4] = {"Content-Type: application/json", j->idem_header, NULL, NULL};
    if (f->auth_header)
        headers[2] = f->auth_header;
    http_request rq = {
        .method = "POST",
        .url = f->url,
        .headers = headers,
        .body = j->body,
        .body_len = j->body_len,
        .timeout_ms = f->timeout_ms,
        .tls = {.ca_file = f->ca, .cert_file = f->cert, .key_file = f->key},
    };
    if (j->attempt++ > 0)
        f->st.retries++;
    int rc = f->closing ? HTTP_EINVAL : http_client_request(f->http, &rq, on_response, j);
    if (rc == 0) {
        j->in_flight = true;
        return;
    }
    job_failed(j, 0, rc == HTTP_EBUSY ? "too many forwards in flight" : "shutdown");
}

/* Header values must be one printable line. */
static bool header_safe(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return false;
    return true;
}

int forward_submit(forward *f, const char *session_id, const char *external_id, const char *verdict,
                   const char *json, forward_done_cb *cb, void *arg)
{
    if (!forward_enabled(f) || !session_id || !json)
        return -1;
    if (!external_id || !*external_id)
        external_id = "NA";
    if (strlen(session_id) > FWD_ID_MAX || strlen(external_id) > FWD_ID_MAX ||
        !header_safe(session_id) || !header_safe(external_id))
        return -1;
    char key[2 * FWD_ID_MAX + 64];
    snprintf(key, sizeof key, "%s\n%s", session_id, verdict ? verdict : "");
    if (recent_has(f, key)) {
        f->st.duplicates++;
        return 1;
    }
    fjob *j = calloc(1, sizeof *j);
    char idem[2 * FWD_ID_MAX + 32];
    snprintf(idem, sizeof idem, "Idempotency-Key: %s:%s", session_id, external_id);
    if (!j || !(j->session_id = strdup(session_id)) || !(j->idem_header = strdup(idem)) ||
        !(j->body = strdup(json))) {
        if (j)
            free(j->session_id), free(j->idem_header);
        free(j);
        return -1;
    }
    recent_add(f, key);
    f->st.in_progress++;
    j->f = f;
    j->body_len = strlen(json);
    j->cb = cb;
    j->arg = arg;
    LIST_PUSH(f->jobs, j);
    job_send(j);
    return 0;
}

static void on_http_closed(void *arg)
{
    forward *f = arg;
    f->http_open = false;
    f->http = NULL;
    maybe_closed(f);
}

void forward_close(forward *f, long drain_ms, void (*closed)(void *arg), void *arg)
{
    if (f->closing)
        return;
    f->closing = true;
    f->closed = closed;
    f->closed_arg = arg;
    /* Jobs sleeping between attempts give up now; those in flight finish or are cancelled. */
    for (fjob *j = f->jobs, *next; j; j = next) {
        next = j->next;
        if (!j->in_flight) {
            if (j->timer_used)
                uv_timer_stop(&j->timer);
            job_failed(j, 0, "shutdown");
        }
    }
    if (f->http_open)
        http_client_close(f->http, drain_ms, on_http_closed, f);
    else
        maybe_closed(f);
}

void forward_free(forward *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < FWD_RECENT; i++)
        free(f->recent[i]);
    free(f->url);
    free(f->auth_header);
    free(f->cert);
    free(f->key);
    free(f->ca);
    free(f->on);
    free(f);
}

void forward_get_stats(const forward *f, forward_stats *out)
{
    if (f)
        *out = f->st;
    else
        memset(out, 0, sizeof *out);
}
