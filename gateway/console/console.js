// console.js -- the callprint operator console (plain JavaScript, no framework, no build).
//
// Sign-in: POST /api/v2/auth/login; the token is kept in sessionStorage (this tab only, gone
// when it closes) and sent as "Authorization: Token ..." on every request, as by any REST
// client. Live data: GET /api/v2/console/events, a server-sent-events stream read with fetch()
// (EventSource cannot send the Authorization header); each "snapshot" event replaces the view.
// A silent stream is restarted after STALE_MS; a 401 signs out. Every text that comes from a
// call (caller, external_id, ...) goes through textContent, never through HTML.
"use strict";

const API = "/api/v2";
const STALE_MS = 5000;
const SVGNS = "http://www.w3.org/2000/svg";

const state = { token: sessionStorage.getItem("callprint.token"), abort: null, watchdog: null,
                cursor: "0", query: "", selected: null, lastSnapshot: 0 };
const $ = (id) => document.getElementById(id);

// ---- small helpers ----

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

const words = (s) => String(s || "").replace(/_/g, " ");
const num = (x, d = 1) => (typeof x === "number" && isFinite(x) ? x.toFixed(d) : "–");

function clock(s) {
  s = Math.max(0, Math.round(s || 0));
  const m = Math.floor(s / 60), r = s % 60;
  return m + ":" + String(r).padStart(2, "0");
}

function setConn(text, cls) {
  const c = $("conn");
  c.textContent = text;
  c.className = "conn " + (cls || "");
}

async function api(method, path, body) {
  const opt = { method, headers: { Authorization: "Token " + state.token }, cache: "no-store" };
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.body = JSON.stringify(body);
  }
  const res = await fetch(API + path, opt);
  if (res.status === 401) {
    signOut("Your session expired: sign in again.");
    throw new Error("signed out");
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || "HTTP " + res.status);
  return data;
}

// ---- sign-in ----

async function signIn(ev) {
  ev.preventDefault();
  const err = $("login-error");
  err.textContent = "";
  const body = { username: $("username").value, password: $("password").value };
  try {
    const res = await fetch(API + "/auth/login", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok || !data.token) throw new Error(data.error || "sign-in failed (HTTP " + res.status + ")");
    state.token = data.token;
    sessionStorage.setItem("callprint.token", data.token);
    $("password").value = "";
    showApp();
  } catch (e) {
    err.textContent = e.message;
  }
}

function signOut(message) {
  if (state.token)
    fetch(API + "/auth/logout", { method: "POST", headers: { Authorization: "Token " + state.token } })
      .catch(() => {});
  state.token = null;
  sessionStorage.removeItem("callprint.token");
  stopStream();
  $("app-view").hidden = true;
  $("logout").hidden = true;
  $("login-view").hidden = false;
  $("login-error").textContent = message || "";
  setConn("signed out", "");
  $("password").focus();
}

function showApp() {
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  $("logout").hidden = false;
  $("tab-calls").focus();
  startStream();
}

// ---- tabs (WAI-ARIA tabs pattern: arrows move, Home/End jump) ----

function selectTab(tab) {
  for (const t of document.querySelectorAll('[role="tab"]')) {
    const on = t === tab;
    t.setAttribute("aria-selected", on ? "true" : "false");
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute("aria-controls")).hidden = !on;
  }
  tab.focus();
}

function tabKeys(ev) {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const i = tabs.indexOf(document.activeElement);
  if (i < 0) return;
  const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
  if (next === undefined) return;
  ev.preventDefault();
  selectTab(tabs[(next + tabs.length) % tabs.length]);
}

// ---- the event stream ----

function stopStream() {
  if (state.abort) state.abort.abort();
  state.abort = null;
  clearTimeout(state.watchdog);
}

function armWatchdog() {
  clearTimeout(state.watchdog);
  state.watchdog = setTimeout(() => {
    setConn("no update for " + STALE_MS / 1000 + " s: reconnecting", "down");
    startStream();
  }, STALE_MS);
}

async function startStream() {
  stopStream();
  if (!state.token) return;
  const ctl = new AbortController();
  state.abort = ctl;
  armWatchdog();
  try {
    const res = await fetch(API + "/console/events", {
      headers: { Authorization: "Token " + state.token }, signal: ctl.signal, cache: "no-store" });
    if (res.status === 401) return signOut("Your session expired: sign in again.");
    if (!res.ok) {
      const data = await res.json().catch(() => ({}));
      throw new Error(data.error || "HTTP " + res.status);
    }
    setConn("live", "live");
    await readEvents(res.body.getReader(), ctl);
    throw new Error("the gateway closed the stream");
  } catch (e) {
    if (ctl.signal.aborted || state.abort !== ctl) return;
    setConn("disconnected (" + e.message + "): retrying", "down");
    clearTimeout(state.watchdog);
    state.watchdog = setTimeout(startStream, 2000);
  }
}

async function readEvents(reader, ctl) {
  const dec = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done || ctl.signal.aborted) return;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      onEvent(block);
    }
  }
}

function onEvent(block) {
  let name = "message", data = "";
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data += line.slice(5).trim();
  }
  if (name !== "snapshot") return;
  armWatchdog();
  const snap = JSON.parse(data);
  state.lastSnapshot = Date.now();
  renderCalls(snap);
  renderHealth(snap);
}

// ---- live calls ----

function latestVerify(call) {
  return (call.jobs || []).find((j) => j.type === "verify");
}

function verdictOf(call) {
  const v = latestVerify(call);
  if (!v) return null;
  if (v.status === 200) return v.result.replace(/ /g, "_");
  return null;
}

function chart(call, thr) {
  const W = 400, H = 120, L = 28, B = 16, T = 6;
  const pts = call.scores || [];
  const tmax = Math.max(10, call.duration_s || 0, ...pts.map((p) => p[0]));
  const x = (t) => L + (t / tmax) * (W - L - 4);
  const y = (s) => T + (1 - s / 100) * (H - T - B);
  const last = pts.length ? pts[pts.length - 1][1] : null;
  const s = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
    "aria-label": pts.length ? `Verification score over time: ${pts.length} scores, latest ${num(last)}`
                             : "Verification score over time: no score yet" });
  s.append(svg("line", { class: "axis", x1: L, y1: y(0), x2: W, y2: y(0) }));
  s.append(svg("line", { class: "axis", x1: L, y1: y(100), x2: L, y2: y(0) }));
  for (const v of [0, 50, 100]) {
    const t = svg("text", { x: 2, y: y(v) + 3 });
    t.textContent = v;
    s.append(t);
  }
  if (thr) {
    s.append(svg("line", { class: "thr-ok", x1: L, x2: W, y1: y(thr.verified), y2: y(thr.verified) }));
    s.append(svg("line", { class: "thr-warn", x1: L, x2: W, y1: y(thr.not_sure), y2: y(thr.not_sure) }));
  }
  const tl = svg("text", { x: W - 40, y: H - 3 });
  tl.textContent = clock(tmax);
  s.append(tl);
  if (pts.length) {
    s.append(svg("polyline", { class: "line",
      points: pts.map((p) => x(p[0]).toFixed(1) + "," + y(p[1]).toFixed(1)).join(" ") }));
    const p = pts[pts.length - 1];
    s.append(svg("circle", { class: "dot", cx: x(p[0]), cy: y(p[1]), r: 3 }));
  }
  return s;
}

// Spoof and risk fields of the call or its jobs, when the gateway has them: the known ones
// ("spoof" + "spoof_score"; "risk" against "risk_threshold", with "risk_reasons") read
// properly, anything else spoof- or risk-like shown as it is.
const FLAG_RE = /spoof|risk|liveness|replay|synthetic|fraud/i;
const KNOWN = new Set(["spoof", "spoof_score", "risk", "risk_threshold", "risk_reasons"]);

function flagChip(text, alarm) {
  return el("span", { class: "flag" + (alarm ? "" : " info"), text });
}

function knownFlags(obj, where, out) {
  if (typeof obj.spoof === "string") {
    const score = typeof obj.spoof_score === "number" ? ` (score ${num(obj.spoof_score)})` : "";
    out.push(flagChip(`${where}spoof: ${words(obj.spoof)}${score}`, obj.spoof === "spoof"));
  }
  if (typeof obj.risk === "number") {
    const thr = typeof obj.risk_threshold === "number" ? obj.risk_threshold : 50;
    const why = Array.isArray(obj.risk_reasons) && obj.risk_reasons.length
      ? " – " + obj.risk_reasons.map((r) => words(typeof r === "object" ? r.reason || r.code || JSON.stringify(r) : r).toLowerCase()).join(", ")
      : "";
    out.push(flagChip(`${where}risk ${num(obj.risk, 0)}/100${why}`, obj.risk >= thr));
  }
}

function flags(call) {
  const out = [];
  const scan = (obj, where) => {
    knownFlags(obj || {}, where, out);
    for (const [k, v] of Object.entries(obj || {})) {
      if (KNOWN.has(k) || !FLAG_RE.test(k) || v === null || v === undefined || v === false) continue;
      const text = typeof v === "object" ? JSON.stringify(v) : String(v);
      out.push(flagChip(`${where}${words(k)}: ${text}`, v === true || /spoof|high|fail|detected|true/i.test(text)));
    }
  };
  scan(call, "");
  for (const j of call.jobs || []) scan(j, j.type + " ");
  return out.length ? el("div", { class: "flags", "aria-label": "Spoof and risk flags" }, ...out) : null;
}

function enrolProgress(call) {
  const e = (call.jobs || []).find((j) => j.type === "enroll");
  if (!e) return null;
  const need = call.enroll_need_s || 20, have = Math.min(e.speech_length || 0, need);
  const id = "enrol-" + call.uuid;
  const done = e.status === 201 ? " – voiceprint created" : e.status === 409 ? " – already enrolled" : "";
  return el("div", { class: "progress" },
    el("label", { for: id, text: "Enrolment" }),
    el("progress", { id, max: need, value: have }),
    el("span", { text: `${num(have)} / ${num(need, 0)} s${done}` }));
}

function timeline(call) {
  const ol = el("ol", { class: "timeline", "aria-label": "Verdict timeline" });
  for (const e of call.timeline || []) {
    const score = e.score !== undefined ? ` (${num(e.score)})` : "";
    ol.append(el("li", {}, el("time", { text: clock(e.t) }),
      el("span", { class: "what", text: `${e.type}: ${words(e.what)}${score}` })));
  }
  if (!ol.children.length) ol.append(el("li", { text: "no verdict yet" }));
  return ol;
}

function webhooks(call) {
  const w = call.webhooks || [];
  if (!w.length) return el("p", { class: "webhooks", text: "Webhooks: none subscribed" });
  const last = (s) => (s.last_status ? "HTTP " + s.last_status : s.last_error || "no answer");
  const parts = w.map((s) => `${s.type}${s.implicit ? " (zero-integration)" : ""}: ` +
    `${s.sent} sent, ${s.delivered} delivered` +
    (s.failed ? `, ${s.failed} failed (last: ${last(s)})` : "") +
    (s.refused ? `, ${s.refused} refused` : ""));
  const failing = w.some((s) => s.failed || s.refused);
  return el("p", { class: "webhooks" + (failing ? " failing" : ""), text: "Webhooks: " + parts.join("; ") });
}

function callCard(call, thr) {
  const verdict = verdictOf(call);
  const v = latestVerify(call);
  const cls = ["call", verdict || "", call.ended ? "ended" : ""].join(" ");
  const titleId = "call-" + call.uuid;
  const verdictText = verdict ? `${words(verdict)} ${num(v.score)}`
                    : v ? words(v.result) : "";
  return el("article", { class: cls, "data-uuid": call.uuid, "aria-labelledby": titleId },
    el("header", {},
      el("h3", { id: titleId, text: call.caller || "unknown caller" }),
      el("span", { class: "badge", text: call.mode }),
      call.ended ? el("span", { class: "badge", text: "ended" }) : null,
      el("span", { class: "verdict " + (verdict || ""), text: verdictText })),
    el("dl", { class: "meta" },
      el("dt", { text: "Speaker" }), el("dd", { class: "external-id", text: call.external_id || "–" }),
      el("dt", { text: "Duration" }), el("dd", { class: "duration", text: clock(call.duration_s) }),
      el("dt", { text: "Dialect" }), el("dd", { text: call.dialect }),
      el("dt", { text: "Net speech" }), el("dd", { class: "speech", text: num(call.speech_s) + " s" })),
    enrolProgress(call),
    call.mode.includes("verify") ? chart(call, thr) : null,
    flags(call),
    timeline(call),
    webhooks(call));
}

function renderCalls(snap) {
  const calls = (snap.calls || []).slice().sort((a, b) => (a.ended - b.ended) ||
                                                          (b.started < a.started ? -1 : 1));
  const running = snap.calls_total || 0;
  $("calls-summary").textContent = `${running} call${running === 1 ? "" : "s"} running` +
    (calls.length < running ? `, ${calls.length} followed` : "") +
    ` · updated ${new Date(snap.time_ms).toLocaleTimeString()}`;
  const box = $("calls");
  const cards = calls.map((c) => callCard(c, snap.thresholds));
  if (!cards.length) cards.push(el("p", { class: "summary", text: "No call right now." }));
  box.replaceChildren(...cards);
}

// ---- health ----

function stat(title, big, cls, ...rows) {
  return el("section", { class: "card", "aria-label": title },
    el("h2", { text: title }), el("p", { class: "big " + (cls || ""), text: big }), ...rows);
}

const line = (text) => el("p", { class: "summary", text });

function renderHealth(snap) {
  const h = snap.health || {};
  const lat = h.verdict_latency_ms || {}, wh = h.webhooks || {}, r = h.redis || {};
  const rows = (h.workers || []).map((w, i) => el("tr", {},
    el("td", { text: "worker " + i }), el("td", { text: `${w.queue_depth} / ${w.queue_len}` }),
    el("td", { text: w.queue_max_depth }), el("td", { text: w.streams }),
    el("td", { text: w.dropped }), el("td", { text: w.refused })));
  const head = el("tr", {}, ...["", "queue", "deepest", "streams", "audio dropped", "refused"]
    .map((t) => el("th", { scope: "col", text: t })));
  $("health").replaceChildren(
    stat("Readiness", h.ready ? "ready" : "not ready", h.ready ? "ok" : "bad",
      line((h.not_ready ? "reason: " + h.not_ready : "up " + clock(h.uptime_s)) +
           (h.maintenance ? " · maintenance" : "") + (h.draining ? " · stopping" : ""))),
    stat("Streams", `${h.streams_running ?? "–"} / ${h.streams_max ?? "–"}`, "",
      line(`${h.streams_started ?? 0} started, ${h.streams_refused ?? 0} refused`)),
    stat("Verdict latency", `p50 ${num(lat.p50)} ms`, "",
      line(`p99 ${num(lat.p99)} ms over ${lat.count ?? 0} verdicts (last 1-2 min)`)),
    stat("Webhooks", `${wh.failed ?? 0} failed`, wh.failed ? "bad" : "ok",
      line(`${wh.delivered ?? 0} delivered of ${wh.sent ?? 0}; ${wh.dropped ?? 0} dropped, ` +
           `${wh.retries ?? 0} retries, ${wh.queued ?? 0} queued`)),
    stat("Redis", r.state || "–", r.state === "connected" ? "ok" : "bad",
      line(`${r.queued_writes ?? 0} writes queued, ${r.writes_failed ?? 0} failed, ` +
           `${r.reads_failed ?? 0} reads failed`)),
    stat("Console", `${snap.console?.clients ?? 0} / ${snap.console?.clients_max ?? 0}`, "",
      line("consoles connected")),
    el("section", { class: "card wide", "aria-label": "Worker queues" },
      el("h2", { text: "Worker queues" }),
      rows.length ? el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows))
                  : line("no biometric workers (model not loaded)")));
}

// ---- speakers and voiceprints ----

function resultItem(id, note) {
  const b = el("button", { type: "button", text: note ? `${id} (${note})` : id });
  b.addEventListener("click", () => showSpeaker(id, b));
  return el("li", {}, b);
}

// A query that looks like a phone number is also looked up in the caller directory.
async function searchDirectory(q) {
  if (!/^\+?[\d\s().-]{6,}$/.test(q)) return;
  const res = await fetch(API + "/directory/" + encodeURIComponent(q),
                          { headers: { Authorization: "Token " + state.token }, cache: "no-store" });
  if (!res.ok) return;
  const entry = await res.json();
  if (entry.external_id) $("search-results").append(resultItem(entry.external_id, "directory: " + entry.phone));
}

async function search(ev, more) {
  if (ev) ev.preventDefault();
  if (!more) {
    state.query = $("search-q").value.trim();
    state.cursor = "0";
    $("search-results").replaceChildren();
    $("speaker").hidden = true;
  }
  const status = $("search-status");
  status.textContent = "Searching…";
  try {
    if (!more) await searchDirectory(state.query);
    const q = new URLSearchParams({ q: state.query, limit: "50", cursor: state.cursor });
    const data = await api("GET", "/voiceprints?" + q);
    const list = $("search-results");
    for (const id of data.external_ids) list.append(resultItem(id));
    state.cursor = data.next_cursor;
    $("search-more").hidden = data.next_cursor === "0";
    const n = list.children.length;
    status.textContent = n ? `${n} voiceprint${n === 1 ? "" : "s"} found` +
                             (data.next_cursor === "0" ? "" : " so far") : "No voiceprint matches.";
  } catch (e) {
    status.textContent = "Search failed: " + e.message;
  }
}

async function showSpeaker(id, button) {
  for (const b of document.querySelectorAll("#search-results button")) b.removeAttribute("aria-current");
  button.setAttribute("aria-current", "true");
  state.selected = { id, button };
  const box = $("speaker");
  $("speaker-title").textContent = id;
  $("speaker-meta").replaceChildren(el("dt", { text: "Loading…" }));
  box.hidden = false;
  try {
    const vp = await api("GET", "/voiceprint/" + encodeURIComponent(id));
    $("speaker-meta").replaceChildren(
      el("dt", { text: "Enrolled" }), el("dd", { text: new Date(vp.created).toLocaleString() }),
      el("dt", { text: "Net speech" }), el("dd", { text: num(vp.speech_length) + " s" }),
      el("dt", { text: "Enrolment stream" }), el("dd", { text: vp.stream_uuid }),
      el("dt", { text: "Size" }), el("dd", { text: vp.size + " bytes" }));
  } catch (e) {
    $("speaker-meta").replaceChildren(el("dt", { text: "Error" }), el("dd", { text: e.message }));
  }
}

function askDelete() {
  if (!state.selected) return;
  $("confirm-text").textContent = `The voiceprint of "${state.selected.id}" will be deleted: ` +
    "the speaker is opted out (calls verifying against it stop at once, and no enrolment is " +
    "accepted until an administrator removes the opt-out through the API).";
  $("confirm").showModal();
}

async function confirmDelete() {
  $("confirm").close();
  const sel = state.selected;
  const status = $("search-status");
  try {
    await api("POST", "/optout", { external_id: sel.id });
    sel.button.parentElement.remove();
    $("speaker").hidden = true;
    state.selected = null;
    status.textContent = `Deleted the voiceprint of "${sel.id}" (opted out).`;
    $("search-q").focus();
  } catch (e) {
    status.textContent = "Delete failed: " + e.message;
    $("speaker-delete").focus();
  }
}

// ---- start ----

function init() {
  $("login-form").addEventListener("submit", signIn);
  $("logout").addEventListener("click", () => signOut("Signed out."));
  for (const t of document.querySelectorAll('[role="tab"]')) t.addEventListener("click", () => selectTab(t));
  document.querySelector('[role="tablist"]').addEventListener("keydown", tabKeys);
  $("search-form").addEventListener("submit", (ev) => search(ev, false));
  $("search-more").addEventListener("click", () => search(null, true));
  $("speaker-delete").addEventListener("click", askDelete);
  $("confirm-cancel").addEventListener("click", () => { $("confirm").close(); $("speaker-delete").focus(); });
  $("confirm-delete").addEventListener("click", confirmDelete);
  if (state.token) showApp();
  else $("password").focus();
}

init();
