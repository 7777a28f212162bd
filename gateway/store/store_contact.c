/* store_contact.c -- an Amazon Connect contact becomes a session (see store_contact_register()
 * in store.h).
 *
 * Three steps, each answering through a callback: look the normalised caller number up in the
 * customer directory (skipped for anonymous and invalid numbers), save the session, and once
 * Redis acknowledged the save, build the flat response the contact flow turns into contact
 * attributes. The contact state (ct) copies what it needs from the event, so the caller may free
 * the event as soon as store_contact_register() returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "connect.h"
#include "phone.h"
#include "store/store_int.h"

typedef struct {
    store *s;
    store_contact_cb *cb;
    void *arg;
    phone_kind kind;
    char caller[PHONE_E164_MAX];
    char *session_id, *contact_id, *raw_caller, *external_id;
    char *dialled, *channel, *start_time, *network_type, *location; /* NULL = absent ("NA") */
    char **extra; /* attr.* and param.* pairs for the session */
    size_t n_extra;
    char **reply; /* opt->extra pairs for the response */
    size_t n_reply;
} ct;

static void ct_free(ct *c) {
    for (size_t i = 0; i < 2 * c->n_extra; i++) free(c->extra[i]);
    for (size_t i = 0; i < 2 * c->n_reply; i++) free(c->reply[i]);
    free(c->extra), free(c->reply);
    free(c->session_id), free(c->contact_id), free(c->raw_caller), free(c->external_id);
    free(c->dialled), free(c->channel), free(c->start_time), free(c->network_type);
    free(c->location);
    free(c);
}

static void ct_fail(ct *c, store_status st, const char *err) {
    c->cb(c->arg, st, NULL, c->session_id, err);
    ct_free(c);
}

static const char *ct_status(const ct *c) {
    if (c->kind == PHONE_INVALID) return "invalid";
    if (c->kind == PHONE_ANONYMOUS || !c->external_id) return "anonymous";
    return "known";
}

/* E.164, "anonymous", or the number as received when it is not a phone number. */
static const char *ct_caller(const ct *c) { return c->kind == PHONE_INVALID ? c->raw_caller : c->caller; }

/* Step 3: the save is acknowledged; answer the contact flow. */
static void ct_saved(void *arg, store_status st, const char *err) {
    ct *c = arg;
    if (st != STORE_OK) {
        ct_fail(c, st, err);
        return;
    }
    size_t n = 6 + c->n_reply;
    connect_pair *p = calloc(n, sizeof *p);
    if (!p) {
        ct_fail(c, STORE_ERROR, "out of memory");
        return;
    }
    const char *known = c->external_id && c->kind == PHONE_E164 ? "true" : "false";
    const char *fixed[][2] = {
        {"session_id", c->session_id}, {"contact_id", c->contact_id},
        {"caller", ct_caller(c)},
        {"caller_status", ct_status(c)}, {"caller_known", known},
        {"external_id", c->external_id ? c->external_id : ""},
    };
    for (size_t i = 0; i < 6; i++) p[i] = (connect_pair){(char *)fixed[i][0], (char *)fixed[i][1]};
    for (size_t i = 0; i < c->n_reply; i++) p[6 + i] = (connect_pair){c->reply[2 * i], c->reply[2 * i + 1]};
    char *out = malloc(CONNECT_MAX_RESPONSE + 1);
    connect_error cerr;
    if (out && connect_build_response(p, n, out, CONNECT_MAX_RESPONSE + 1, &cerr) >= 0)
        c->cb(c->arg, STORE_OK, out, c->session_id, NULL);
    else
        c->cb(c->arg, out ? STORE_INVALID : STORE_ERROR, NULL, c->session_id, out ? cerr.msg : "out of memory");
    free(out);
    free(p);
    ct_free(c);
}

/* Step 2: save the session. */
static void ct_save(ct *c) {
    store_session ss = {
        .session_id = c->session_id, .contact_id = c->contact_id,
        .caller = ct_caller(c),
        .caller_status = ct_status(c), .external_id = c->external_id, .dialled = c->dialled,
        .channel = c->channel, .start_time = c->start_time, .network_type = c->network_type,
        .location = c->location, .extra = (const char *const *)c->extra, .n_extra = c->n_extra,
    };
    store_audit(c->s, "contact", NULL, c->session_id, c->contact_id, NULL, NULL);
    store_session_save(c->s, &ss, ct_saved, c);
}

/* Step 1 (a real number): the directory answered. */
static void ct_looked_up(void *arg, store_status st, const char *id, const char *err) {
    ct *c = arg;
    if (st == STORE_OK && !(c->external_id = strdup(id))) st = STORE_ERROR, err = "out of memory";
    if (st != STORE_OK && st != STORE_NOT_FOUND) {
        ct_fail(c, st, err);
        return;
    }
    ct_save(c);
}

static const char *ct_attr(const struct connect_event *ev, const char *key) {
    const char *v = connect_attribute(ev, key);
    return v ? v : connect_parameter(ev, key);
}

/* strdup that keeps NULL as NULL; -1 only when out of memory. */
static int ct_dup(char **out, const char *v) {
    *out = v ? strdup(v) : NULL;
    return v && !*out ? -1 : 0;
}

static int ct_push(char ***arr, size_t *n, const char *prefix, const char *k, const char *v) {
    char **a = realloc(*arr, (2 * *n + 2) * sizeof *a);
    if (!a) return -1;
    *arr = a;
    if (asprintf(&a[2 * *n], "%s%s", prefix, k) < 0) return -1;
    if (!(a[2 * *n + 1] = strdup(v ? v : ""))) return free(a[2 * *n]), -1;
    (*n)++;
    return 0;
}

static int ct_copy(ct *c, const struct connect_event *ev, const store_contact_options *opt) {
    const char *sid = ct_attr(ev, "session_id");
    if (ct_dup(&c->session_id, sid && *sid ? sid : ev->contact_id) ||
        ct_dup(&c->contact_id, ev->contact_id) ||
        ct_dup(&c->raw_caller, ev->customer.address ? ev->customer.address : "") ||
        ct_dup(&c->dialled, ev->system.address) || ct_dup(&c->channel, ev->channel) ||
        ct_dup(&c->start_time, ev->initiation_timestamp) ||
        ct_dup(&c->network_type, ct_attr(ev, "network_type")) ||
        ct_dup(&c->location, ct_attr(ev, "location")))
        return -1;
    for (size_t i = 0; i < ev->n_attributes; i++)
        if (ct_push(&c->extra, &c->n_extra, "attr.", ev->attributes[i].key, ev->attributes[i].value)) return -1;
    for (size_t i = 0; i < ev->n_parameters; i++)
        if (ct_push(&c->extra, &c->n_extra, "param.", ev->parameters[i].key, ev->parameters[i].value)) return -1;
    for (size_t i = 0; opt && i < opt->n_extra; i++)
        if (ct_push(&c->reply, &c->n_reply, "", opt->extra[2 * i], opt->extra[2 * i + 1])) return -1;
    return 0;
}

int store_contact_register(store *s, const struct connect_event *ev,
                           const store_contact_options *opt, store_contact_cb *cb, void *arg) {
    if (store_state(s) != STORE_LINK_CONNECTED) {
        cb(arg, STORE_UNAVAILABLE, NULL, NULL, "Redis is not connected");
        return -1;
    }
    ct *c = calloc(1, sizeof *c);
    if (!c || (c->s = s, c->cb = cb, c->arg = arg, ct_copy(c, ev, opt))) {
        if (c) ct_free(c);
        cb(arg, STORE_ERROR, NULL, NULL, "out of memory");
        return -1;
    }
    phone_options po = {opt ? opt->default_cc : NULL, opt ? opt->idd_prefix : NULL,
                        opt ? opt->trunk_prefix : NULL};
    c->kind = phone_normalise(ev->customer.address, &po, c->caller, NULL);
    if (c->kind != PHONE_E164) {
        ct_save(c);
        return 0;
    }
    return store_directory_get(s, c->caller, ct_looked_up, c) ? -1 : 0;
}
