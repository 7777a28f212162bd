// console_e2e.cjs -- the operator console in headless Chromium (run by browser.sh).
//
// Against a real gateway with its model and a real Redis: two voiceprints are enrolled from
// fixture recordings through POST /import; the browser signs in; callprint-call streams a
// genuine call of the first speaker in real time while the page must show it appear (caller
// masked), its score chart grow and its verdict arrive; the health tab must show Redis and the
// workers; the speakers tab must find the second voiceprint and delete it after the
// confirmation dialog (checked through the REST API afterwards). Keyboard use of the tabs is
// checked too. Screenshots are written to CONSOLE_SHOTS.
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { spawn } = require("node:child_process");
const http = require("node:http");

const { chromium } = require(path.join(process.env.CONSOLE_MODULES, "playwright-core"));
const URL_ = process.env.CONSOLE_URL;
const PASSWORD = process.env.CONSOLE_PASSWORD;
const SHOTS = process.env.CONSOLE_SHOTS;
const BIN = process.env.CONSOLE_BIN;
const FIX = process.env.CONSOLE_FIXTURES;
const GENUINE = "console-e2e-speaker-0120";
const DOOMED = "console-e2e-speaker-0594";

let passed = 0, failed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e.stack || e}`);
    throw e;
  }
}

// One µ-law WAV from the data chunks of a folder of µ-law WAV fixtures (8 kHz mono).
function ulawWav(dir) {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".wav")).sort();
  const data = Buffer.concat(files.map((f) => {
    const b = fs.readFileSync(path.join(dir, f));
    const i = b.indexOf("data");
    return b.subarray(i + 8, i + 8 + b.readUInt32LE(i + 4));
  }));
  const h = Buffer.alloc(44);
  h.write("RIFF", 0); h.writeUInt32LE(36 + data.length, 4); h.write("WAVE", 8);
  h.write("fmt ", 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(7, 20); h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24); h.writeUInt32LE(8000, 28); h.writeUInt16LE(1, 32); h.writeUInt16LE(8, 34);
  h.write("data", 36); h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]).toString("base64");
}

async function rest(method, p, token, body) {
  const res = await fetch(URL_ + "/api/v2" + p, {
    method, body: body && JSON.stringify(body),
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: "Token " + token } : {}) } });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function login() {
  for (let i = 0; i < 100; i++) { // 503 while Redis is still connecting
    const r = await rest("POST", "/auth/login", null, { username: "admin", password: PASSWORD });
    if (r.status === 200) return r.json.token;
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error("cannot log in");
}

// A webhook receiver on 127.0.0.1: /ok answers 200, anything else 500; counts what it got.
function startReceiver() {
  const got = { ok: 0, fail: 0 };
  const srv = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const ok = req.url === "/ok";
      got[ok ? "ok" : "fail"]++;
      res.writeHead(ok ? 200 : 500).end();
    });
  });
  return new Promise((done) => srv.listen(0, "127.0.0.1", () => {
    got.url = `http://127.0.0.1:${srv.address().port}`;
    got.close = () => srv.close();
    done(got);
  }));
}

// callprint-call streaming a fixture folder in real time as one call (zero-integration mode).
function startCall(folder, externalId, mode, caller, webhook) {
  const dir = path.join(FIX, folder);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".wav")).sort().map((f) => path.join(dir, f));
  const args = ["--url", URL_.replace("http", "ws") + "/stream", "-p", "external_id=" + externalId,
                "-p", "mode=" + mode, "-p", "caller=" + caller,
                ...(webhook ? ["-p", "webhook=" + webhook] : []), ...files];
  const p = spawn(path.join(BIN, "callprint-call"), args, { stdio: ["ignore", "pipe", "inherit"] });
  p.done = new Promise((ok) => p.on("exit", (code) => ok(code)));
  return p;
}

// The number of scores the chart of the call's card says it holds.
async function scoreCount(card) {
  const label = await card.locator("svg.chart").getAttribute("aria-label");
  const m = /(\d+) scores/.exec(label || "");
  return m ? Number(m[1]) : 0;
}

async function main() {
  const token = await login();
  await step("two voiceprints enrolled from fixture recordings (POST /import)", async () => {
    const r = await rest("POST", "/import", token, { recordings: [
      { external_id: GENUINE, audio: ulawWav(path.join(FIX, "speechocean762_0120", "enroll")), overwrite: true },
      { external_id: DOOMED, audio: ulawWav(path.join(FIX, "speechocean762_0594", "enroll")), overwrite: true }] });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.created, 2, JSON.stringify(r.json));
  });

  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true,
                                          args: ["--no-sandbox", "--disable-gpu"] });
  const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
  const consoleErrors = [];
  // The refused sign-in's 401 is expected; any other error is not.
  page.on("console", (m) => m.type() === "error" && !/status of 401/.test(m.text()) &&
                            consoleErrors.push(m.text()));
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  try {
    await step("a wrong password is refused on the page", async () => {
      await page.goto(URL_ + "/console/");
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator("#login-error").filter({ hasText: /password|credentials|invalid/i }).waitFor();
      assert.equal(await page.locator("#app-view").isVisible(), false);
    });

    await step("sign in with the REST account; the live stream connects", async () => {
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("tab", { name: "Live calls" }).waitFor();
      await page.locator("#conn.live").waitFor({ timeout: 10000 });
      await page.locator("#calls-summary").filter({ hasText: /running/ }).waitFor();
      await page.screenshot({ path: path.join(SHOTS, "1-signed-in.png") });
    });

    // The genuine caller (its webhooks delivered), an impostor claiming the same identity (its
    // webhook receiver failing), and an enrolment.
    const hooks = await startReceiver();
    const call = startCall("speechocean762_0120/test", GENUINE, "verify", "+447911123456", hooks.url + "/ok");
    const impostor = startCall("speechocean762_0594/test", GENUINE, "verify", "+12025550143", hooks.url + "/fail");
    const enrol = startCall("speechocean762_1027/enroll", "console-e2e-new-1027", "enroll", "+33612345678");
    const card = page.locator("article.call").filter({ hasText: "+4479" });
    const fake = page.locator("article.call").filter({ hasText: "+1202" });
    const enrolCard = page.locator("article.call").filter({ hasText: "console-e2e-new-1027" });
    await step("the call appears with its caller masked, mode and speaker", async () => {
      await card.waitFor({ timeout: 15000 });
      const title = await card.locator("h3").textContent();
      assert.match(title, /^\+4479\*+56$/, "caller shown masked");
      assert.ok(!(await page.content()).includes("447911123456"), "the full number is nowhere");
      assert.equal(await card.locator(".badge").first().textContent(), "verify");
    });

    let first = 0;
    await step("its score chart updates while the call runs", async () => {
      const deadline = Date.now() + 20000;
      while ((first = await scoreCount(card)) < 1 && Date.now() < deadline) await page.waitForTimeout(250);
      assert.ok(first >= 1, "a first score");
      let later = first;
      while (later <= first && Date.now() < deadline) {
        await page.waitForTimeout(250);
        later = await scoreCount(card);
      }
      assert.ok(later > first, `the chart grew (${first} -> ${later} scores)`);
      assert.ok(await card.locator("svg.chart polyline").count() === 1);
      await page.screenshot({ path: path.join(SHOTS, "2-live-call.png") });
    });

    await step("the enrolment shows its progress towards the speech it needs", async () => {
      const bar = enrolCard.locator("progress");
      await bar.waitFor();
      const v0 = Number(await bar.getAttribute("value"));
      await page.waitForFunction((el) => Number(el.getAttribute("value")) > 0,
                                 await bar.elementHandle(), { timeout: 15000 });
      assert.ok(Number(await bar.getAttribute("value")) > v0 || v0 > 0, "net speech grows");
      assert.equal(await bar.getAttribute("max"), "20");
    });

    await step("its verdict arrives: verified, in the header and the timeline", async () => {
      await card.locator(".verdict.verified").waitFor({ timeout: 20000 });
      assert.match(await card.locator(".verdict").textContent(), /^verified \d+\.\d$/);
      await card.locator(".timeline li").filter({ hasText: "verify: verified" }).waitFor();
      assert.equal(await call.done, 0, "callprint-call ended normally");
      await card.locator(".badge").filter({ hasText: "ended" }).waitFor({ timeout: 10000 });
      await page.screenshot({ path: path.join(SHOTS, "3-verdict.png") });
    });

    await step("the impostor claiming the same identity is not verified", async () => {
      assert.equal(await impostor.done, 0, "callprint-call ended normally");
      await fake.locator(".badge").filter({ hasText: "ended" }).waitFor({ timeout: 10000 });
      assert.equal(await fake.locator(".verdict.verified").count(), 0);
      assert.equal(await fake.locator(".timeline li").filter({ hasText: "verify: verified" }).count(), 0);
      await fake.locator(".verdict.not_verified").waitFor();
    });

    await step("the fraud risk the gateway puts on verify jobs is shown: an alarm for the impostor", async () => {
      await fake.locator(".flag:not(.info)").filter({ hasText: /^verify risk \d+\/100 – .*voice mismatch/ }).waitFor();
      await card.locator(".flag.info").filter({ hasText: /^verify risk \d+\/100/ }).waitFor();
      assert.equal(await card.locator(".flag:not(.info)").count(), 0, "no alarm for the genuine caller");
    });
    enrol.kill("SIGINT");
    await enrol.done;

    await step("webhook delivery state per call: delivered as the receiver saw, failures shown", async () => {
      const re = /verify \(zero-integration\): (\d+) sent, (\d+) delivered/;
      const deadline = Date.now() + 15000;
      let m = null;
      for (;;) { // the last webhook follows the end of the call: wait until the counts settle
        m = re.exec(await card.locator(".webhooks").textContent());
        if ((m && Number(m[2]) === hooks.ok && hooks.ok > 0) || Date.now() > deadline) break;
        await page.waitForTimeout(250);
      }
      assert.ok(m, "the genuine call lists its subscription");
      assert.ok(hooks.ok > 0, "the receiver got the genuine call's webhooks");
      assert.equal(Number(m[2]), hooks.ok, "delivered = what the receiver answered 200");
      await fake.locator(".webhooks.failing").filter({ hasText: /failed \(last: HTTP 500\)/ }).waitFor({ timeout: 15000 });
      hooks.close();
    });

    await step("the tabs work from the keyboard (arrows, Home/End)", async () => {
      await page.getByRole("tab", { name: "Live calls" }).focus();
      await page.keyboard.press("ArrowRight");
      assert.equal(await page.getByRole("tab", { name: "Speakers" }).getAttribute("aria-selected"), "true");
      assert.equal(await page.evaluate(() => document.activeElement.id), "tab-speakers");
      await page.keyboard.press("End");
      assert.equal(await page.getByRole("tab", { name: "Health" }).getAttribute("aria-selected"), "true");
      assert.ok(await page.locator("#panel-health").isVisible());
    });

    await step("health shows Redis, streams, verdict latency and the worker queues", async () => {
      const health = page.locator("#health");
      await health.getByRole("region", { name: "Redis" }).filter({ hasText: "connected" }).waitFor();
      await health.getByRole("region", { name: "Verdict latency" }).filter({ hasText: /p99 \d/ }).waitFor();
      assert.equal(await health.locator("table tbody tr").count(), 2, "one row per worker");
      await page.screenshot({ path: path.join(SHOTS, "4-health.png") });
    });

    await step("speakers: a caller number finds its speaker through the directory", async () => {
      assert.equal((await rest("PUT", "/directory", token, { phone: "+447911123456", external_id: GENUINE })).status, 200);
      await page.getByRole("tab", { name: "Speakers" }).click();
      await page.getByLabel("Search voiceprints by external_id").fill("+44 7911 123456");
      await page.keyboard.press("Enter");
      const hit = page.locator("#search-results button", { hasText: `${GENUINE} (directory: +447911123456)` });
      await hit.waitFor();
      await hit.click();
      await page.locator("#speaker-meta").filter({ hasText: "Net speech" }).waitFor();
    });

    await step("speakers: find a voiceprint, delete it after confirming", async () => {
      await page.getByRole("tab", { name: "Speakers" }).click();
      await page.getByLabel("Search voiceprints by external_id").fill("e2e-SPEAKER-0594");
      await page.keyboard.press("Enter");
      const hit = page.locator("#search-results button", { hasText: DOOMED });
      await hit.waitFor();
      assert.equal(await page.locator("#search-results li").count(), 1, "only the matching id");
      await hit.click();
      await page.locator("#speaker-meta").filter({ hasText: "Net speech" }).waitFor();
      await page.getByRole("button", { name: /Delete voiceprint/ }).click();
      const dialog = page.getByRole("dialog");
      await dialog.waitFor();
      assert.match(await dialog.textContent(), new RegExp(DOOMED));
      await page.screenshot({ path: path.join(SHOTS, "5-confirm-delete.png") });
      await dialog.getByRole("button", { name: "Cancel" }).click();
      assert.equal((await rest("GET", "/voiceprint/" + DOOMED, token)).status, 200, "cancel keeps it");
      await page.getByRole("button", { name: /Delete voiceprint/ }).click();
      await dialog.getByRole("button", { name: "Delete" }).click();
      await page.locator("#search-status").filter({ hasText: "Deleted" }).waitFor();
      assert.equal((await rest("GET", "/voiceprint/" + DOOMED, token)).status, 404, "gone from Redis");
      assert.equal((await rest("GET", "/voiceprint/" + GENUINE, token)).status, 200, "the other stays");
    });

    await step("spoof and risk fields, when a job carries them, are shown as flags", async () => {
      // The fields other modules add to a verify job (spoof verdict and score, risk score
      // against its threshold with reasons): rendered from a snapshot given to the page's own
      // event handler, the live stream stopped first so that it does not replace it.
      await page.getByRole("tab", { name: "Live calls" }).click();
      await page.evaluate(() => {
        stopStream();
        const job = { type: "verify", external_id: "x", origin: "api", status: 200, result: "not verified",
                      score: 3.1, speech_length: 6, subscribers: 0, spoof: "spoof", spoof_score: 91.5,
                      risk: 82, risk_threshold: 50, risk_reasons: ["VOICE_MISMATCH", "VOICE_SPOOFING"] };
        const ok = { ...job, result: "verified", score: 97, spoof: "bonafide", spoof_score: 4, risk: 10,
                     risk_reasons: [] };
        const call = (uuid, j) => ({ uuid, dialect: "twilio", caller: "+4479******00", started: "2026-01-01T00:00:00.000Z",
                                     duration_s: 9, ended: false, mode: "verify", external_id: "x", speech_s: 6,
                                     jobs: [j], scores: [[6, j.score]], timeline: [], webhooks: [] });
        onEvent("event: snapshot\ndata: " + JSON.stringify({ time_ms: Date.now(), calls_total: 2,
          thresholds: { verified: 90, not_sure: 60 }, calls: [call("u-spoofed", job), call("u-genuine", ok)],
          health: {}, console: {} }));
      });
      const bad = page.locator('article[data-uuid="u-spoofed"] .flag');
      assert.deepEqual(await bad.allTextContents(),
                       ["verify spoof: spoof (score 91.5)", "verify risk 82/100 – voice mismatch, voice spoofing"]);
      assert.equal(await page.locator('article[data-uuid="u-spoofed"] .flag.info').count(), 0, "both alarms");
      assert.equal(await page.locator('article[data-uuid="u-genuine"] .flag.info').count(), 2, "no alarm");
      await page.screenshot({ path: path.join(SHOTS, "6-flags.png") });
    });

    await step("no script error on the page", async () => {
      assert.deepEqual(consoleErrors, []);
    });
  } finally {
    await page.screenshot({ path: path.join(SHOTS, "last.png") }).catch(() => {});
    await browser.close();
  }
}

main().then(
  () => console.log(`console browser test: ${passed} passed, ${failed} failed`),
  (e) => {
    if (!failed) console.log("FAIL: " + (e.stack || e));
    console.log(`console browser test: ${passed} passed, ${Math.max(failed, 1)} failed`);
    process.exit(1);
  });
