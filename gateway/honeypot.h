/* honeypot.h -- where suspicious calls go: a dummy IVR that keeps the caller busy and records
 * what they do, while nothing of the call reaches the organisation's API any more.
 *
 * Entry. Fraud screening (fraud.c) sends a call here once its risk reaches
 * honeypot_threshold (setting, default 90) or its number is deny-listed. From then on:
 *   - the session gets honeypot = true (fraud.c writes it), and org-API forwarding
 *     (sessions_verdict.c) refuses every session so marked -- also verdicts arriving after
 *     the call ended, and on other gateway nodes sharing the Redis;
 *   - verify answers (webhooks, REST) carry "honeypot": true;
 *   - on a bidirectional Twilio stream (<Connect><Stream> with the custom parameter
 *     bidirectional=true: Twilio's start message does not say whether the stream is
 *     bidirectional) the gateway plays the dummy IVR of honeypot_menu. A one-way stream
 *     (<Start><Stream>) is only flagged.
 *
 * The IVR. honeypot_menu is a JSON file:
 *     {"start": "main",
 *      "menus": {"main": {"prompt": "main.wav", "options": {"1": "balance", "2": "agent"}},
 *                "balance": {"prompt": "balance.wav", "options": {"0": "main"}}, ...}}
 * Prompts are audio files (paths relative to the menu file; any format the recording reader
 * takes, resampled to 8 kHz), read once at start, at most HONEYPOT_PROMPT_MAX_S each. A menu's
 * prompt is sent as outbound `media` messages of 20 ms paced by a 20 ms timer, followed by a
 * `mark` (the prompt counts as heard when Twilio echoes it). A DTMF digit naming an option
 * goes to that menu; any other digit replays the current one. DTMF or speech (inbound audio
 * above HONEYPOT_SPEECH_RMS) while a prompt plays or its mark is pending is a barge-in: the
 * gateway sends `clear` and stops the prompt.
 *
 * The record. Every event -- enter, prompt, mark, dtmf, barge_in, menu, end -- is appended to
 * its own Redis stream (P honeypot, capped like the audit stream, fields: stream, call_sid,
 * event, t_ms since entry, menu, detail), isolated from the audit trail and the sessions. At
 * the end of the call its summary (digits, menu path, speech seconds, barge-ins, prompts
 * heard, duration) goes to the stream and, signed like every webhook, to honeypot_webhook.
 *
 * Loop thread only.
 */
#ifndef CALLPRINT_HONEYPOT_H
#define CALLPRINT_HONEYPOT_H

#include <stdbool.h>
#include <stddef.h>

struct app;
struct stream;
typedef struct honeypot honeypot;

#define HONEYPOT_MENUS_MAX 32
#define HONEYPOT_PROMPT_MAX_S 120
#define HONEYPOT_SPEECH_RMS 600.0 /* inbound RMS (of 32767) counted as the caller speaking */

/* Register the sink and load honeypot_menu (when set). NULL with err set on a bad menu. */
honeypot *honeypot_new(struct app *a, char *err, size_t errcap);
/* Every call ended first (the registry's streams). */
void honeypot_free(honeypot *h);

/* Send a live stream to the honeypot (idempotent). reason: "DENY_LISTED" or "RISK". */
void honeypot_enter(honeypot *h, struct stream *s, const char *reason, int risk);
/* Whether a live stream is in the honeypot. */
bool honeypot_active(const honeypot *h, const struct stream *s);

#endif
