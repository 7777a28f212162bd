// callprint contact forwarder -- an AWS Lambda (Node.js 18 or later) for Amazon Connect.
//
// A contact flow's "Invoke AWS Lambda function" block calls this function with the contact
// event. It POSTs the event, unchanged, to callprint's POST /api/v2/connect/contact and returns
// callprint's answer -- a flat map of strings (session_id, caller_known, external_id,
// stream_url, ...) -- which the flow reads as $.External.<key> and may save as contact
// attributes. Any failure throws, so the flow takes the block's Error branch and the call goes
// on without callprint.
//
// Environment:
//   CALLPRINT_URL             https://gw.example.com (no trailing slash)
//   CALLPRINT_API_TOKEN       an API token ("Authorization: Token ..."), or
//   CALLPRINT_ADMIN_PASSWORD  the admin password: the function logs in, keeps the token for
//                             the life of the container and logs in again after a 401
//   CALLPRINT_TIMEOUT_MS      per request, default 3000 (Connect waits at most 8 s)
// Keep the secrets in the function's encrypted environment or Secrets Manager; never log them.

const base = (process.env.CALLPRINT_URL || "").replace(/\/+$/, "");
const timeoutMs = Number(process.env.CALLPRINT_TIMEOUT_MS || 3000);
let token = process.env.CALLPRINT_API_TOKEN || "";

async function post(path, body, auth) {
  const headers = { "Content-Type": "application/json" };
  if (auth) headers.Authorization = `Token ${auth}`;
  return fetch(base + path, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
}

async function login() {
  const password = process.env.CALLPRINT_ADMIN_PASSWORD;
  if (!password) throw new Error("set CALLPRINT_API_TOKEN or CALLPRINT_ADMIN_PASSWORD");
  const res = await post("/api/v2/auth/login", { username: "admin", password });
  if (!res.ok) throw new Error(`callprint login failed: HTTP ${res.status}`);
  token = (await res.json()).token;
}

export const handler = async (event) => {
  if (!base) throw new Error("CALLPRINT_URL is not set");
  if (!token) await login();
  let res = await post("/api/v2/connect/contact", event, token);
  if (res.status === 401 && process.env.CALLPRINT_ADMIN_PASSWORD) {
    await login();
    res = await post("/api/v2/connect/contact", event, token);
  }
  const text = await res.text();
  if (!res.ok) throw new Error(`callprint answered HTTP ${res.status}: ${text.slice(0, 200)}`);
  const map = JSON.parse(text);
  // Connect accepts only a flat map of strings.
  const out = {};
  for (const [k, v] of Object.entries(map)) if (typeof v === "string") out[k] = v;
  console.log(JSON.stringify({ contact_id: out.contact_id, session_id: out.session_id,
                               caller_status: out.caller_status }));
  return out;
};
