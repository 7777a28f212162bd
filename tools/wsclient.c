/* wsclient.c -- lws client connections. See wsclient.h.
 *
 * A connection object outlives its wsi by design: the user holds a wsc_conn until on_close,
 * after which the object is freed. Fragmented sends are queued as one item with a fragment
 * size; the writable callback emits LWS_WRITE_TEXT then LWS_WRITE_CONTINUATION pieces with
 * LWS_WRITE_NO_FIN on all but the last.
 */
#include <uv.h>

#include "tools/wsclient.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/lwslog.h"

typedef struct item {
    struct item *next;
    size_t len, off, frag; /* frag 0 = one frame */
    unsigned char data[];  /* LWS_PRE + len */
} item;

struct wsc_conn {
    wsc_ctx *x;
    struct lws *wsi;
    wsc_callbacks cb;
    void *ud;
    item *head, *tail;
    size_t queued;
    bool open, closing;
    bool in_connect, dead; /* lws may fail synchronously inside connect */
    int close_code;
    char *hdr[WSC_HEADERS_MAX * 2];
    size_t n_hdr;
    char *rx;
    size_t rx_len;
};

struct wsc_ctx {
    uv_loop_t *loop;
    struct lws_context *ctx;
    void *foreign_loops[1];
    struct lws_protocols protocols[2];
};

static void conn_free(wsc_conn *c)
{
    while (c->head) {
        item *i = c->head;
        c->head = i->next;
        free(i);
    }
    for (size_t i = 0; i < c->n_hdr * 2; i++)
        free(c->hdr[i]);
    free(c->rx);
    free(c);
}

static void conn_finish(wsc_conn *c, int http_status)
{
    c->wsi = NULL;
    c->open = false;
    if (c->in_connect) { /* wsc_connect reports the failure itself */
        c->dead = true;
        return;
    }
    if (c->cb.on_close)
        c->cb.on_close(c, c->ud, http_status, c->close_code);
    conn_free(c);
}

static int append_headers(wsc_conn *c, struct lws *wsi, unsigned char **p, unsigned char *end)
{
    for (size_t i = 0; i < c->n_hdr; i++) {
        char name[96];
        snprintf(name, sizeof name, "%s:", c->hdr[2 * i]);
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                        (const unsigned char *)c->hdr[2 * i + 1],
                                        (int)strlen(c->hdr[2 * i + 1]), p, end))
            return -1;
    }
    return 0;
}

static int on_writable(wsc_conn *c)
{
    item *i = c->head;
    if (!i && c->closing) {
        /* Normal closure, written by hand: lws drops lws_close_reason() when a WRITEABLE
         * callback returns -1 (see media.c). Opcode 4 is lws's private LWS_WRITE_CLOSE. */
        unsigned char frame[LWS_PRE + 2] = {0};
        frame[LWS_PRE] = 1000 >> 8;
        frame[LWS_PRE + 1] = 1000 & 0xff;
        lws_write(c->wsi, frame + LWS_PRE, 2, (enum lws_write_protocol)4);
        return -1;
    }
    if (!i)
        return 0;
    size_t n = i->frag && i->len - i->off > i->frag ? i->frag : i->len - i->off;
    bool last = i->off + n == i->len;
    int flags = i->off == 0 ? LWS_WRITE_TEXT : LWS_WRITE_CONTINUATION;
    if (!last)
        flags |= LWS_WRITE_NO_FIN;
    /* Bytes before data+off were sent already (or are the LWS_PRE headroom). */
    if (lws_write(c->wsi, i->data + LWS_PRE + i->off, n, (enum lws_write_protocol)flags) <
        (int)n)
        return -1;
    i->off += n;
    if (last) {
        c->head = i->next;
        if (!c->head)
            c->tail = NULL;
        c->queued -= i->len;
        free(i);
    }
    if (c->head || c->closing)
        lws_callback_on_writable(c->wsi);
    return 0;
}

static int on_receive(wsc_conn *c, struct lws *wsi, const void *in, size_t len)
{
    char *p = realloc(c->rx, c->rx_len + len + 1);
    if (!p)
        return -1;
    c->rx = p;
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    c->rx[c->rx_len] = '\0';
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi) > 0)
        return 0;
    size_t n = c->rx_len;
    c->rx_len = 0;
    if (c->cb.on_text)
        c->cb.on_text(c, c->ud, c->rx, n);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    (void)user;
    wsc_conn *c = lws_get_opaque_user_data(wsi);
    if (!c)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return append_headers(c, wsi, (unsigned char **)in, *(unsigned char **)in + len);
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->open = true;
        if (c->cb.on_open)
            c->cb.on_open(c, c->ud);
        if (c->head || c->closing)
            lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return on_receive(c, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writable(c);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2)
            c->close_code = (((const unsigned char *)in)[0] << 8) | ((const unsigned char *)in)[1];
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        int status = (int)lws_http_client_http_response(wsi); /* 0 if none was read */
        lws_set_opaque_user_data(wsi, NULL);
        conn_finish(c, status);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        lws_set_opaque_user_data(wsi, NULL);
        conn_finish(c, 0);
        return 0;
    default:
        return 0;
    }
}

wsc_ctx *wsc_new(uv_loop_t *loop)
{
    return wsc_new_tls(loop, NULL);
}

wsc_ctx *wsc_new_tls(uv_loop_t *loop, const char *ca_file)
{
    wsc_ctx *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    lwslog_init();
    x->loop = loop;
    x->foreign_loops[0] = loop;
    x->protocols[0] = (struct lws_protocols){.name = "callprint-client", .callback = callback,
                                             .rx_buffer_size = 4096};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    /* TLS is always initialised so wss:// works; peers are verified against the system
     * store, or against ca_file (a private CA) when given. */
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = ca_file;
    info.foreign_loops = x->foreign_loops;
    info.pcontext = &x->ctx;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = x->protocols;
    x->ctx = lws_create_context(&info);
    if (!x->ctx) {
        free(x);
        return NULL;
    }
    return x;
}

void wsc_close_all(wsc_ctx *x)
{
    if (x->ctx)
        lws_context_destroy(x->ctx);
}

bool wsc_is_closed(const wsc_ctx *x)
{
    return x->ctx == NULL;
}

void wsc_free(wsc_ctx *x)
{
    free(x);
}

/* ws[s]://host[:port][/path] -> parts. */
static int parse_url(const char *url, char *host, size_t hcap, int *port, char *path,
                     size_t pcap, bool *tls)
{
    *tls = strncmp(url, "wss://", 6) == 0;
    if (!*tls && strncmp(url, "ws://", 5) != 0)
        return -1;
    const char *h = url + (*tls ? 6 : 5), *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    const char *colon = memchr(h, ':', hl);
    size_t namel = colon ? (size_t)(colon - h) : hl;
    if (namel == 0 || namel >= hcap)
        return -1;
    memcpy(host, h, namel);
    host[namel] = '\0';
    *port = colon ? atoi(colon + 1) : *tls ? 443 : 80;
    snprintf(path, pcap, "%s", slash ? slash : "/");
    return *port > 0 && *port < 65536 ? 0 : -1;
}

wsc_conn *wsc_connect(wsc_ctx *x, const char *url, const char *const *headers, size_t n,
                      const wsc_callbacks *cb, void *ud)
{
    char host[256], path[1024];
    int port;
    bool tls;
    if (!x->ctx || n > WSC_HEADERS_MAX ||
        parse_url(url, host, sizeof host, &port, path, sizeof path, &tls) != 0)
        return NULL;
    wsc_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->x = x;
    c->cb = *cb;
    c->ud = ud;
    for (size_t i = 0; i < n * 2; i++)
        if (!(c->hdr[i] = strdup(headers[i]))) {
            c->n_hdr = (i + 1) / 2; /* free what was copied */
            conn_free(c);
            return NULL;
        }
    c->n_hdr = n;
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = x->ctx;
    ci.address = host;
    ci.port = port;
    char hostport[300]; /* the Host header: with the port, as browsers and Twilio send it */
    snprintf(hostport, sizeof hostport, port == (tls ? 443 : 80) ? "%s" : "%s:%d", host, port);
    ci.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
    ci.path = path;
    ci.host = hostport;
    ci.origin = host;
    ci.ietf_version_or_minus_one = -1;
    ci.opaque_user_data = c;
    ci.pwsi = &c->wsi;
    c->in_connect = true;
    struct lws *wsi = lws_client_connect_via_info(&ci);
    c->in_connect = false;
    if (!wsi || c->dead) {
        if (wsi)
            lws_set_opaque_user_data(wsi, NULL);
        conn_free(c);
        return NULL;
    }
    return c;
}

static int enqueue(wsc_conn *c, const char *text, size_t len, size_t frag)
{
    if (c->closing || (!c->wsi && !c->open) || c->queued + len > WSC_QUEUE_MAX_BYTES)
        return -1;
    item *i = malloc(sizeof *i + LWS_PRE + len);
    if (!i)
        return -1;
    i->next = NULL;
    i->len = len;
    i->off = 0;
    i->frag = frag;
    memcpy(i->data + LWS_PRE, text, len);
    if (c->tail)
        c->tail->next = i;
    else
        c->head = i;
    c->tail = i;
    c->queued += len;
    if (c->open)
        lws_callback_on_writable(c->wsi);
    return 0;
}

int wsc_send(wsc_conn *c, const char *text, size_t len)
{
    return enqueue(c, text, len, 0);
}

int wsc_send_fragmented(wsc_conn *c, const char *text, size_t len, size_t frag)
{
    return enqueue(c, text, len, frag ? frag : len);
}

void wsc_close(wsc_conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    if (c->open)
        lws_callback_on_writable(c->wsi);
}

bool wsc_is_open(const wsc_conn *c)
{
    return c->open;
}

size_t wsc_queued(const wsc_conn *c)
{
    return c->queued;
}
