/* http_client.h -- asynchronous HTTP(S) client on the libuv loop (libcurl multi).
 *
 * One http_client per loop. Requests are fire-and-callback: the request is copied at
 * submission (URL, headers, body, TLS paths), so the caller may free its buffers at once,
 * and the completion callback runs on the loop thread exactly once per accepted request --
 * with the HTTP status, or a curl error, or `cancelled` when the client is closed first.
 *
 * Bounds: at most `max_inflight` transfers run at once; up to `max_queued` more wait in FIFO
 * order; beyond that http_client_request() refuses (returns HTTP_EBUSY) instead of growing.
 * TLS verification (peer and host name) is on unless a request explicitly turns it off.
 * Redirects are never followed (a webhook must not be bounced elsewhere).
 */
#ifndef CALLPRINT_HTTP_CLIENT_H
#define CALLPRINT_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

typedef struct http_client http_client;

typedef struct {
    size_t max_inflight;      /* transfers at once (default 64) */
    size_t max_queued;        /* waiting transfers beyond that (default 1024) */
    long timeout_ms;          /* default total timeout per request (default 10000) */
    long connect_timeout_ms;  /* default connect timeout (default 5000) */
    const char *user_agent;   /* default "callprint/<version>" */
} http_client_options;

typedef struct {
    const char *ca_file;   /* PEM bundle of trusted CAs; NULL = system store */
    const char *cert_file; /* client certificate (PEM) for mutual TLS; NULL = none */
    const char *key_file;  /* its private key (PEM) */
    bool insecure;         /* true disables peer AND host verification (tests, never default) */
} http_tls_options;

typedef struct {
    const char *method;          /* NULL = "GET"; "POST", "PUT", "DELETE", ... */
    const char *url;             /* http:// or https:// only */
    const char *const *headers;  /* NULL-terminated "Name: value" list, or NULL */
    const void *body;            /* request body (copied), or NULL */
    size_t body_len;
    long timeout_ms;             /* 0 = client default */
    long connect_timeout_ms;     /* 0 = client default */
    size_t max_response;         /* response body bytes kept (default 65536; rest discarded) */
    http_tls_options tls;
} http_request;

typedef struct {
    long status;          /* HTTP status code; 0 when no response arrived */
    int curl_code;        /* CURLcode; 0 (CURLE_OK) when a response arrived */
    const char *error;    /* message when curl_code != 0 or cancelled, else "" */
    bool cancelled;       /* the client was closed before the transfer finished */
    bool timed_out;       /* curl_code == CURLE_OPERATION_TIMEDOUT */
    double elapsed;       /* seconds from submission to completion (includes queueing) */
    const char *body;     /* response body, NUL-terminated, valid during the callback */
    size_t body_len;
} http_response;

typedef void (*http_done_cb)(const http_response *res, void *arg);
typedef void (*http_closed_cb)(void *arg);

#define HTTP_EBUSY (-2) /* inflight and queue full */
#define HTTP_EINVAL (-1) /* bad request (no URL, bad scheme) or client closing */

http_client *http_client_new(uv_loop_t *loop, const http_client_options *opt);

/* Submit a request; cb(arg) is called once on the loop thread. Returns 0, HTTP_EBUSY or
 * HTTP_EINVAL (then cb is never called). */
int http_client_request(http_client *c, const http_request *req, http_done_cb cb, void *arg);

size_t http_client_inflight(const http_client *c); /* running transfers */
size_t http_client_queued(const http_client *c);   /* waiting transfers */

/* Begin shutdown: new requests are refused; running and queued ones may finish for up to
 * drain_ms (0 = cancel at once), then the rest complete with `cancelled`. When every handle
 * is closed the client frees itself and calls closed(arg); keep running the loop until then.
 * Safe to call from a completion callback. */
void http_client_close(http_client *c, long drain_ms, http_closed_cb closed, void *arg);

#endif
