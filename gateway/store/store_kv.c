/* store_kv.c -- named settings in Redis (GET/SET P kv:<name>). See store_kv.h. */
#include "store/store_kv.h"

#include "store/store_int.h"

int store_kv_get(store *s, const char *name, store_id_cb *cb, void *arg)
{
    STORE_BEGIN_PTR(s, NULL, store_id_ok(name), "bad setting name", cb, arg, id, c, b);
    sb_cmd(b), sb_arg(b, "GET"), sb_key(b, s, "kv:%s", name);
    return sb_read(s, b, store_reply_id, c);
}

int store_kv_set(store *s, const char *name, const char *value, store_done_cb *cb, void *arg)
{
    STORE_BEGIN_DONE(s, NULL, store_id_ok(name) && value, "bad setting", cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "SET"), sb_key(b, s, "kv:%s", name), sb_arg(b, value);
    return sb_write(s, b, store_reply_done, c);
}

int store_kv_set_nx(store *s, const char *name, const char *value, store_done_cb *cb, void *arg)
{
    STORE_BEGIN_DONE(s, NULL, store_id_ok(name) && value, "bad setting", cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "SET"), sb_key(b, s, "kv:%s", name), sb_arg(b, value), sb_arg(b, "NX");
    return sb_write(s, b, store_reply_done, c);
}
