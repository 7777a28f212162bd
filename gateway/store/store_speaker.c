/* store_speaker.c -- last access and opt-out tombstones. See store_speaker.h.
 *
 * Each operation is one Lua script over the voiceprint hash, the set of all voiceprints and the
 * tombstone hash, so that an opt-out racing an enrolment (from another gateway node) ends with
 * either the tombstone and no voiceprint, or the enrolment refused -- never both kept.
 */
#include "store/store_speaker.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store_int.h"

#include "common/time.h"

/* {tombstone time or false, created_ms or false, last_accessed_ms or false, exists} */
static const char spk_get_script[] =
    "return {redis.call('HGET', KEYS[2], ARGV[1]),\n"
    "        redis.call('HGET', KEYS[1], 'created_ms'),\n"
    "        redis.call('HGET', KEYS[1], 'last_accessed_ms'),\n"
    "        redis.call('EXISTS', KEYS[1])}\n";

static const char spk_touch_script[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "redis.call('HSET', KEYS[1], 'last_accessed_ms', ARGV[1])\n"
    "return 1\n";

static const char spk_optout_script[] =
    "local had = redis.call('DEL', KEYS[1])\n"
    "redis.call('SREM', KEYS[3], ARGV[1])\n"
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])\n"
    "return had\n";

static int64_t reply_ms(const redisReply *r)
{
    return r && r->type == REDIS_REPLY_STRING ? strtoll(r->str, NULL, 10) : 0;
}

static void spk_got(void *ctx, store_status st, redisReply *rep, const char *err)
{
    sctx *c = ctx;
    store_speaker sp = {0};
    if (st == STORE_OK && (rep->type != REDIS_REPLY_ARRAY || rep->elements != 4))
        st = STORE_ERROR, err = "unexpected reply to the speaker read";
    if (st == STORE_OK) {
        sp.opted_out_ms = reply_ms(rep->element[0]);
        sp.opted_out = rep->element[0]->type == REDIS_REPLY_STRING;
        sp.enrolled = rep->element[3]->type == REDIS_REPLY_INTEGER && rep->element[3]->integer;
        if (sp.enrolled) {
            sp.created_ms = reply_ms(rep->element[1]);
            sp.last_accessed_ms = reply_ms(rep->element[2]);
            if (!sp.last_accessed_ms) /* written before last access was kept */
                sp.last_accessed_ms = sp.created_ms;
        }
        if (!sp.enrolled && !sp.opted_out)
            st = STORE_NOT_FOUND, err = "no voiceprint and no opt-out for this external_id";
    }
    c->cb.speaker(c->arg, st, st == STORE_OK ? &sp : NULL, err);
    sctx_free(c);
}

int store_speaker_get(store *s, const char *external_id, store_speaker_cb *cb, void *arg)
{
    STORE_BEGIN_PTR(s, external_id, store_id_ok(external_id), STORE_ID_WHY, cb, arg, speaker, c, b);
    sb_cmd(b), sb_arg(b, "EVAL"), sb_arg(b, spk_get_script), sb_arg(b, "2");
    sb_key(b, s, "voiceprint:%s", external_id), sb_key(b, s, "optouts"), sb_arg(b, external_id);
    return sb_read(s, b, spk_got, c);
}

static void done_nop(void *arg, store_status st, const char *err)
{
    (void)arg, (void)st, (void)err;
}

int store_speaker_touch(store *s, const char *external_id, store_done_cb *cb, void *arg)
{
    if (!cb)
        cb = done_nop;
    STORE_BEGIN_DONE(s, external_id, store_id_ok(external_id), STORE_ID_WHY, cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "EVAL"), sb_arg(b, spk_touch_script), sb_arg(b, "1");
    sb_key(b, s, "voiceprint:%s", external_id), sb_argf(b, "%lld", (long long)time_now_ms());
    return sb_write(s, b, store_reply_found, c);
}

int store_speaker_optout(store *s, const char *external_id, store_done_cb *cb, void *arg)
{
    STORE_BEGIN_DONE(s, external_id, store_id_ok(external_id), STORE_ID_WHY, cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "EVAL"), sb_arg(b, spk_optout_script), sb_arg(b, "3");
    sb_key(b, s, "voiceprint:%s", external_id), sb_key(b, s, "optouts");
    sb_key(b, s, "voiceprints");
    sb_arg(b, external_id), sb_argf(b, "%lld", (long long)time_now_ms());
    return sb_write(s, b, store_reply_found, c);
}

int store_speaker_optout_remove(store *s, const char *external_id, store_done_cb *cb, void *arg)
{
    STORE_BEGIN_DONE(s, external_id, store_id_ok(external_id), STORE_ID_WHY, cb, arg, c, b);
    sb_cmd(b), sb_arg(b, "HDEL"), sb_key(b, s, "optouts"), sb_arg(b, external_id);
    return sb_write(s, b, store_reply_found, c);
}
