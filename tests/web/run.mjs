// End-to-end tests of `ui-bridge web` in Debian's Chromium (playwright-core,
// no browser download). scripts/web-test starts the server and passes:
//   SSLBOARD_WEB_URL            the login URL ui-bridge printed
//   SSLBOARD_TEST_PDNS_API      PowerDNS API (zone example.test exists)
//   SSLBOARD_TEST_PDNS_API_KEY  its key (a canary too: it must never be served)
//   SSLBOARD_WEB_OUT            where screenshots go
//   SSLBOARD_WEB_URL_NOKEY      login URL of a second server started without
//                               any usable key source (keyring_unavailable)
//   SSLBOARD_WEB_R53_PORT       port the server's SSLBOARD_ROUTE53_API_URL
//                               points at: a stand-in here checks each
//                               request's SigV4 signature like AWS does
//   SSLBOARD_TEST_PEBBLE_DIR, SSLBOARD_TEST_PEBBLE_CA (path of the CA PEM
//                               of pebble's HTTPS), SSLBOARD_TEST_PEBBLE_EAB_DIR,
//                               _EAB_KID, _EAB_HMAC (a canary too)
//                               the real pebble (ACME test CA) validating
//                               through the same PowerDNS
//   SSLBOARD_WEB_ONLY           optional regex: run only the scenarios whose
//                               name matches (login and the final checks
//                               always run); each one left out is listed
// Every page and form state is checked with axe-core (npm, pinned): zero
// serious or critical violations.
// Every response the browser receives is scanned for the canary values.
// Prints one line per test and `web-e2e: N passed, N failed` at the end.
import { chromium } from "playwright-core";
import { mkdirSync, rmSync, mkdtempSync, readFileSync, statSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import { randomBytes, createHash, createHmac, generateKeyPairSync } from "node:crypto";

const LOGIN = need("SSLBOARD_WEB_URL");
const LOGIN_NOKEY = need("SSLBOARD_WEB_URL_NOKEY");
const R53_PORT = Number(need("SSLBOARD_WEB_R53_PORT"));
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PDNS_API = need("SSLBOARD_TEST_PDNS_API");
const PDNS_KEY = need("SSLBOARD_TEST_PDNS_API_KEY");
const OUT = process.env.SSLBOARD_WEB_OUT || "test-output/web";
const BASE = new URL(LOGIN).origin;
const PORT = new URL(LOGIN).port;
const HOSTPORT = new URL(LOGIN).host; // sslboard-<random>.localhost:PORT
const RUN = randomBytes(4).toString("hex");
const C = "CANARY" + randomBytes(6).toString("hex");
const canary = (f) => `${C}x${f}`;
const PEBBLE_DIR = need("SSLBOARD_TEST_PEBBLE_DIR");
const PEBBLE_CA = readFileSync(need("SSLBOARD_TEST_PEBBLE_CA"), "utf8");
const PEBBLE_EAB_DIR = need("SSLBOARD_TEST_PEBBLE_EAB_DIR");
const PEBBLE_EAB_KID = need("SSLBOARD_TEST_PEBBLE_EAB_KID");
const PEBBLE_EAB_HMAC = need("SSLBOARD_TEST_PEBBLE_EAB_HMAC");
const ONLY = process.env.SSLBOARD_WEB_ONLY ? new RegExp(process.env.SSLBOARD_WEB_ONLY) : null;
// The key-kind secret holds a real key (the core refuses a PEM it cannot sign
// with): every body line but the first (a fixed ASN.1 prefix) is a canary.
const KEY_PEM = generateKeyPairSync("ec", {
  namedCurve: "P-256",
  privateKeyEncoding: { type: "pkcs8", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;
const KEY_LINES = KEY_PEM.split("\n").filter((l) => l && !l.startsWith("-----")).slice(1);
const CANARIES = () => [C, PDNS_KEY, PEBBLE_EAB_HMAC, ...KEY_LINES];

function need(name) {
  const v = process.env[name];
  if (!v) { console.error(`${name} is not set (run scripts/web-test)`); process.exit(2); }
  return v;
}

mkdirSync(OUT, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), "sslboard-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1280, height: 900 },
});
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(15000);
const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// ---- canary scan of every response, CSP and script errors ----
const scans = [];
let scanned = 0;
const leaks = [];
const pageErrors = [];
const unread = [];
function scanText(where, text) {
  for (const c of CANARIES()) {
    if (text.includes(c)) { leaks.push(`${where} contains ${c === PDNS_KEY ? "the PowerDNS key" : c === PEBBLE_EAB_HMAC ? "the EAB HMAC key" : KEY_LINES.includes(c) ? "a line of the private key" : "a canary"}`); }
  }
}
// The scanner finds what it looks for (negative control).
scanText("self-check", `xx${canary("selfcheck")}xx ${PDNS_KEY} ${PEBBLE_EAB_HMAC} ${KEY_LINES[0]}`);
if (leaks.length !== 4) { console.error("canary scanner self-check failed"); process.exit(2); }
leaks.length = 0;
function watch(p) {
p.on("response", (r) => {
  if (!r.url().startsWith(BASE)) { return; }
  const status = r.status();
  const read = r.body().then((b) => { scanned++; scanText(r.url(), b.toString("latin1")); return true; })
    .catch(() => true); // redirects have no body
  // An event stream the page closed may never end; any other body does
  // (a slow machine may take a while to hand it over).
  const late = new Promise((res) => setTimeout(res, r.url().endsWith("/events") ? 8000 : 60000, false));
  scans.push(Promise.race([read, late]).then((ok) => {
    if (!ok && !(status >= 300 && status < 400)) { unread.push(r.url()); }
  }));
});
}
watch(page);
page.on("console", (m) => { if (m.type() === "error") { pageErrors.push(m.text()); } });
page.on("pageerror", (e) => pageErrors.push(String(e)));

// ---- a Route 53 stand-in that verifies SigV4 as AWS does ----
// The core signs with the token's two halves; a valid signature under the
// secret typed into the form proves the token is exactly ID:SECRET.
const r53 = { secret: null, seen: [] };
const uriEnc = (x) => encodeURIComponent(x).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
function sigv4(req, body, secret) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/
    .exec(req.headers.authorization || "");
  if (!m) { return { keyId: null, valid: false }; }
  const [, keyId, date, region, service, signed, sig] = m;
  const u = new URL(req.url, "http://stand-in");
  const query = [...u.searchParams].map(([k, v]) => `${uriEnc(k)}=${uriEnc(v)}`).sort().join("&");
  const path = u.pathname.split("/").map(uriEnc).join("/"); // non-S3: encoded twice
  const headers = signed.split(";").map((h) => `${h}:${String(req.headers[h] ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const creq = [req.method, path, query, headers, signed, createHash("sha256").update(body).digest("hex")].join("\n");
  const sts = ["AWS4-HMAC-SHA256", req.headers["x-amz-date"], `${date}/${region}/${service}/aws4_request`,
    createHash("sha256").update(creq).digest("hex")].join("\n");
  let k = createHmac("sha256", "AWS4" + secret).update(date).digest();
  for (const part of [region, service, "aws4_request"]) { k = createHmac("sha256", k).update(part).digest(); }
  return { keyId, valid: createHmac("sha256", k).update(sts).digest("hex") === sig };
}
const r53Server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks);
    const v = sigv4(req, body, r53.secret || "");
    // method check: the same request under another secret must not verify
    const control = sigv4(req, body, (r53.secret || "") + "x").valid;
    r53.seen.push({ ...v, control });
    const [status, code] = v.valid ? [404, "NoSuchHostedZone"] : [403, "SignatureDoesNotMatch"];
    res.writeHead(status, { "content-type": "text/xml" });
    res.end(`<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><Error><Type>Sender</Type><Code>${code}</Code><Message>stand-in: ${code}</Message></Error><RequestId>0</RequestId></ErrorResponse>`);
  });
});
await new Promise((r) => r53Server.listen(R53_PORT, "127.0.0.1", r));

// ---- tiny runner ----
let passed = 0;
let failed = 0;
const ALWAYS = new Set(["login exchanges the token once for an HttpOnly SameSite=Strict cookie"]);
let left = 0;
async function test(name, fn, { always = false } = {}) {
  if (ONLY && !always && !ALWAYS.has(name) && !ONLY.test(name)) {
    left++;
    console.log(`left out (SSLBOARD_WEB_ONLY): ${name}`);
    return;
  }
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
    await shot(`FAILED-${name.replace(/[^a-z0-9]+/gi, "-")}`).catch(() => {});
  }
}
function assert(cond, msg) { if (!cond) { throw new Error(msg); } }
// axe-core on the current state of `p` (evaluated over CDP, so the page's
// CSP, which forbids inline scripts, stays in force).
const axeResults = []; // {state, violations: [{id, impact, help, targets}]}
async function axe(name, p = page) {
  const has = await p.evaluate(() => typeof window.axe !== "undefined");
  if (!has) { await p.evaluate(AXE + "\n;0"); }
  const r = await p.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  const violations = r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  axeResults.push({ state: name, url: p.url(), violations });
  return violations;
}
const serious = (vs) => vs.filter((v) => v.impact === "serious" || v.impact === "critical");
async function shot(name, p = page) {
  await p.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
  if (!name.startsWith("FAILED")) { await axe(name, p); }
}
async function notice() { return (await page.locator(".notice").allTextContents()).join(" | "); }
async function vaultState() { return page.locator("[data-vault]").getAttribute("data-vault"); }

/// A raw request with node:http (so Host and Origin can be forged).
function raw(method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port: PORT, method, path, headers }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("latin1") }));
    });
    req.on("error", reject);
    if (body) { req.write(body); }
    req.end();
  });
}
async function cookieHeader() {
  const cs = await context.cookies(BASE);
  return cs.map((c) => `${c.name}=${c.value}`).join("; ");
}
async function csrf() { return page.locator('meta[name="csrf-token"]').getAttribute("content"); }

// ---- secrets helpers ----
const names = {
  api: `api_${RUN}`, basic: `basic_${RUN}`, bearer: `bearer_${RUN}`, oauth: `oauth_${RUN}`,
  custom: `custom_${RUN}`, pem: `pem_${RUN}`,
};
function soon(days) { return new Date(Date.now() + days * 86400e3).toISOString().replace(/\.\d+Z$/, "Z"); }

async function addSecret(name, type, kind, fill, extra = {}) {
  await page.goto(`${BASE}/secrets/new`);
  await page.locator(`[data-chooser] a[data-type="${type}"]`).click();
  await page.getByLabel("Name", { exact: true }).fill(name);
  if (kind !== "generic") { await page.getByLabel("Kind").selectOption(kind); }
  await fill(page.locator(`fieldset[data-value="${type}"]`));
  if (extra.tags) { await page.getByLabel("Tags").fill(extra.tags); }
  if (extra.label) { await page.getByLabel("Label").fill(extra.label); }
  if (extra.shot) { await shot(extra.shot); }
  await page.getByRole("button", { name: "Save secret" }).click();
  await page.waitForURL(`${BASE}/secrets`);
  const n = await notice();
  assert(n.includes(`Secret ${name} saved (value: set)`), `no saved notice for ${name}: ${n}`);
  const row = page.locator(`tr[data-secret="${name}"]`);
  assert(await row.count() === 1, `${name} is not listed`);
  assert((await row.locator('td[data-label="Value"]').textContent()).trim() === "set", `${name} value is not "set"`);
}

// ================= scenarios =================
await test("login exchanges the token once for an HttpOnly SameSite=Strict cookie", async () => {
  await page.goto(LOGIN);
  assert(page.url() === `${BASE}/`, `landed on ${page.url()}`);
  const [c] = await context.cookies(BASE);
  assert(c && c.httpOnly && c.sameSite === "Strict", `cookie ${JSON.stringify(c && { ...c, value: "…" })}`);
  assert(["locked", "unlocked"].includes(await vaultState()), "no vault state in the header");
  const again = await raw("GET", new URL(LOGIN).pathname + new URL(LOGIN).search, { headers: { Host: HOSTPORT } });
  assert(again.status === 403, `second login gave ${again.status}`);
  const csp = (await raw("GET", "/secrets", { headers: { Host: HOSTPORT, Cookie: await cookieHeader() } })).headers["content-security-policy"] || "";
  assert(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), `CSP: ${csp}`);
});

await test("the session cookie stays with this launch's host name; other local servers never get it", async () => {
  assert(/^sslboard-[0-9a-f]{16}\.localhost$/.test(new URL(LOGIN).hostname), `login URL host ${new URL(LOGIN).hostname}`);
  const [ours] = await context.cookies(BASE);
  assert(ours && ours.name.startsWith("sslboard_session"), "method check: the browser holds no session cookie");
  assert(!ours.domain.startsWith("."), `cookie is not host-only: ${ours.domain}`);
  const seen = [];
  const srv = http.createServer((req, res) => { seen.push([req.url, req.headers.cookie || ""]); res.end("another local server"); });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const p = srv.address().port;
  const other = await context.newPage();
  try {
    for (const u of [`http://127.0.0.1:${p}/`, `http://localhost:${p}/`]) { await other.goto(u); }
    // and our own address on the other port: same name, another server
    await other.goto(`http://127.0.0.1:${p}/`, { referer: BASE });
  } finally {
    await other.close();
    srv.close();
  }
  assert(seen.filter(([u]) => u === "/").length === 3, `the other server saw ${JSON.stringify(seen)}`);
  assert(seen.every(([, c]) => !c.includes("sslboard_session")), `another local server received the session cookie: ${JSON.stringify(seen)}`);
  // the page still works with its cookie
  await page.goto(`${BASE}/secrets`);
  assert(["locked", "unlocked"].includes(await vaultState()), "session lost");
});

await test("first run: where the key lives, values never shown again, what to add first; empty lists say what to do", async () => {
  await page.goto(`${BASE}/`);
  const main = await page.locator("main").textContent();
  for (const w of ["Where the master key lives", "SSLBOARD_MASTER_KEY", "never shown again", "What to add first"]) {
    assert(main.includes(w), `first-run page lacks "${w}"`);
  }
  assert(await page.locator('[data-key-source="env"]').count() === 1, "key source not explained");
  assert(await page.getByRole("link", { name: "Add a DNS provider" }).count() === 1, "no first step");
  await shot("first-run");
  await page.goto(`${BASE}/secrets`);
  const es = await page.locator("#empty").textContent();
  assert(/No secrets yet/.test(es) && await page.locator("#empty a").count() === 1, `secrets empty state: ${es}`);
  await shot("secrets-empty");
  await page.goto(`${BASE}/providers`);
  const ep = await page.locator("#empty").textContent();
  assert(/No DNS providers yet: add the one that hosts your domains/.test(ep), `providers empty state: ${ep}`);
  await shot("providers-empty");
});

// ---- only the chosen type's inputs ----
const COMMON_SECRET = ["type", "name", "label", "description", "tags", "external_path"];
// Every generic type also asks where a workflow may send it (allowedHosts);
// a private key never goes into a request.
const SECRET_INPUTS = {
  api_key: ["data.api_key.value", "allowed_hosts"],
  basic_auth: ["data.basic_auth.username", "data.basic_auth.password", "allowed_hosts"],
  bearer_token: ["data.bearer_token.token", "data.bearer_token.expiresAt", "allowed_hosts"],
  oauth: ["data.oauth.clientId", "data.oauth.clientSecret", "data.oauth.accessToken", "data.oauth.refreshToken",
    "data.oauth.tokenUrl", "data.oauth.scopes", "allowed_hosts"],
  custom: ["custom.0.name", "custom.0.value", "custom.1.name", "custom.1.value", "custom.2.name", "custom.2.value", "allowed_hosts"],
  private_key: ["kind", "data.private_key.pem"],
};
const COMMON_PROVIDER = ["type", "label", "domainSuffixes"];
const PROVIDER_INPUTS = {
  cloudflare: ["apiToken"],
  digitalocean: ["apiToken"],
  route53: ["token.accessKeyId", "token.secretAccessKey", "config.route53.hostedZoneId", "config.route53.region"],
  manual: [],
  powerdns: ["apiToken", "config.powerdns.serverUrl", "config.powerdns.serverId"],
  rfc2136: ["apiToken", "config.rfc2136.server", "config.rfc2136.tsigKeyName", "config.rfc2136.tsigAlgorithm"],
};
const TOKEN_WORDS = {
  cloudflare: ["API token"], digitalocean: ["API token"], powerdns: ["API key"],
  rfc2136: ["TSIG secret (base64)"], route53: ["Access key ID", "Secret access key"], manual: [],
};
/// Names of the form's controls (hidden inputs aside), and those of them visible.
async function controls(form) {
  return form.evaluate((f) => {
    const all = [...f.querySelectorAll("input:not([type=hidden]), select, textarea")];
    const vis = all.filter((e) => e.offsetParent !== null || e.closest("details:not([open])"));
    return { all: all.map((e) => e.name).sort(), visible: vis.map((e) => e.name).sort() };
  });
}
const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

await test("add secret: the type comes first, and each type's form has only its inputs", async () => {
  await page.goto(`${BASE}/secrets/new`);
  const offered = await page.locator("[data-chooser] a").evaluateAll((as) => as.map((a) => a.dataset.type));
  assert(same(offered, Object.keys(SECRET_INPUTS)), `chooser offers ${offered}`);
  assert(await page.locator("#secret-form").count() === 0, "the form is shown before a type is chosen");
  await shot("secret-new-chooser");
  for (const [type, inputs] of Object.entries(SECRET_INPUTS)) {
    await page.goto(`${BASE}/secrets/new`);
    await page.locator(`[data-chooser] a[data-type="${type}"]`).click();
    await page.waitForURL(`${BASE}/secrets/new?type=${type}`);
    const c = await controls(page.locator("#secret-form"));
    const want = [...COMMON_SECRET, ...inputs];
    assert(same(c.all, want), `${type}: form has ${c.all}, expected ${want}`);
    assert(same(c.visible, want), `${type}: visible ${c.visible}`);
    const first = await page.locator("#secret-form .field").first().getAttribute("data-field");
    assert(first === "type", `${type}: the first field is ${first}`);
    await shot(`secret-new-type-${type}`);
  }
});

await test("add provider: the type comes first, each type shows only its inputs and its own words", async () => {
  await page.goto(`${BASE}/providers/new`);
  const offered = await page.locator("[data-chooser] a").evaluateAll((as) => as.map((a) => a.dataset.type));
  assert(same(offered, Object.keys(PROVIDER_INPUTS)), `chooser offers ${offered}`);
  await shot("provider-new-chooser");
  for (const [type, inputs] of Object.entries(PROVIDER_INPUTS)) {
    await page.goto(`${BASE}/providers/new?type=${type}`);
    const form = page.locator("#provider-form");
    const c = await controls(form);
    const want = [...COMMON_PROVIDER, ...inputs];
    assert(same(c.all, want), `${type}: form has ${c.all}, expected ${want}`);
    assert(same(c.visible, want), `${type}: visible ${c.visible}`);
    for (const w of TOKEN_WORDS[type]) {
      assert(await form.getByLabel(w, { exact: true }).count() === 1, `${type}: no input labelled "${w}"`);
    }
    const text = await form.textContent();
    for (const [other, words] of Object.entries(TOKEN_WORDS)) {
      if (other === type) { continue; }
      for (const w of words) {
        if (TOKEN_WORDS[type].includes(w)) { continue; }
        assert(!text.includes(w), `${type}: the form speaks of "${w}" (${other})`);
      }
    }
    assert(!/ACCESS_KEY_ID:SECRET_ACCESS_KEY/.test(text), `${type}: asks for the joined Route 53 token`);
    await shot(`provider-new-type-${type}`);
  }
});

await test("switching the secret type (JS: on change) keeps non-secret inputs, sends and refills no secret", async () => {
  await page.goto(`${BASE}/secrets/new?type=api_key`);
  await page.getByLabel("Name", { exact: true }).fill(`switch_${RUN}`);
  await page.getByLabel("Label").fill("switch label");
  await page.getByLabel("Tags").fill("a, b");
  await page.getByLabel("Description").fill("kept description");
  await page.getByLabel("Allowed hosts").fill("api.example.test");
  await page.locator("#secret-form").getByLabel("API key").fill(canary("switch"));
  const posted = page.waitForRequest((r) => r.method() === "POST" && r.url() === `${BASE}/secrets`);
  await page.getByLabel("Type", { exact: true }).selectOption("basic_auth");
  const body = (await posted).postData() || "";
  assert(body.includes("_rerender=") && !body.includes(C), "the switch sent a secret value");
  await page.locator('fieldset[data-value="basic_auth"]').waitFor();
  assert(await page.getByLabel("Name", { exact: true }).inputValue() === `switch_${RUN}`, "name lost");
  assert(await page.getByLabel("Label").inputValue() === "switch label", "label lost");
  assert(await page.getByLabel("Tags").inputValue() === "a, b", "tags lost");
  assert(await page.getByLabel("Description").inputValue() === "kept description", "description lost");
  assert(await page.getByLabel("Allowed hosts").inputValue() === "api.example.test", "allowed hosts lost");
  const c = await controls(page.locator("#secret-form"));
  assert(same(c.all, [...COMMON_SECRET, ...SECRET_INPUTS.basic_auth]), `after the switch: ${c.all}`);
  for (const input of await page.locator("[data-secret-input]").all()) {
    assert((await input.inputValue()) === "", "a secret input was filled in");
  }
  assert(await page.locator('[data-rerender-button]').isHidden(), "the Change type button shows with JS");
  assert(await page.evaluate(() => document.activeElement && document.activeElement.id) === "s-type", "focus left the type select");
  assert(page.url() === `${BASE}/secrets/new?type=basic_auth`, `address not updated: ${page.url()}`);
  await shot("secret-type-switched");
});

await test("switching the provider type keeps label and suffixes; secrets are never refilled", async () => {
  await page.goto(`${BASE}/providers/new?type=cloudflare`);
  await page.getByLabel("Label").fill(`Switch ${RUN}`);
  await page.getByLabel("Domain suffixes").fill("a.example.test, b.example.test");
  await page.locator("#p-token").fill(canary("cfswitch"));
  await page.getByLabel("Provider type").selectOption("route53");
  await page.locator("#p-token-accessKeyId").waitFor();
  assert(await page.getByLabel("Label").inputValue() === `Switch ${RUN}`, "label lost");
  assert(await page.getByLabel("Domain suffixes").inputValue() === "a.example.test, b.example.test", "suffixes lost");
  assert(await page.locator("#p-token-accessKeyId").inputValue() === "" && await page.locator("#p-token-secretAccessKey").inputValue() === "", "token refilled");
  await page.getByLabel("Provider type").selectOption("powerdns");
  await page.locator("#c-powerdns-serverUrl").waitFor();
  assert(await page.evaluate(() => document.activeElement && document.activeElement.id) === "p-type", "focus left the type select");
  assert(await page.getByLabel("Label").inputValue() === `Switch ${RUN}`, "label lost on the second switch");
  assert(await page.locator("#p-token").inputValue() === "", "token refilled");
  await shot("provider-type-switched");
});

await test("without JavaScript the type is changed with a button, and the form re-renders on the server", async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: chromiumArgs });
  try {
    const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    await ctx.addCookies(await context.cookies(BASE));
    const p = await ctx.newPage();
    p.setDefaultTimeout(15000);
    watch(p);
    await p.goto(`${BASE}/providers/new?type=cloudflare`);
    await p.getByLabel("Label").fill(`NoJS ${RUN}`);
    await p.getByLabel("Domain suffixes").fill("nojs.example.test");
    await p.locator("#p-token").fill(canary("nojs"));
    await p.getByLabel("Provider type").selectOption("route53");
    assert(await p.locator("#p-token-accessKeyId").count() === 0, "the form changed without a round trip");
    await p.getByRole("button", { name: "Change type" }).click();
    await p.locator("#p-token-accessKeyId").waitFor();
    assert(await p.getByLabel("Label").inputValue() === `NoJS ${RUN}`, "label lost");
    assert(await p.getByLabel("Domain suffixes").inputValue() === "nojs.example.test", "suffixes lost");
    assert(await p.locator("#p-token-secretAccessKey").inputValue() === "", "token refilled");
    const c = await controls(p.locator("#provider-form"));
    assert(same(c.all, [...COMMON_PROVIDER, ...PROVIDER_INPUTS.route53]), `after the switch: ${c.all}`);
    await p.screenshot({ path: join(OUT, "provider-type-switched-nojs.png"), fullPage: true });
    await p.goto(`${BASE}/secrets/new`);
    await p.locator('[data-chooser] a[data-type="oauth"]').click();
    await p.getByLabel("Name", { exact: true }).fill(`nojs_${RUN}`);
    await p.getByLabel("Type", { exact: true }).selectOption("custom");
    await p.getByRole("button", { name: "Change type" }).click();
    await p.locator("#c-0-name").waitFor();
    assert(await p.getByLabel("Name", { exact: true }).inputValue() === `nojs_${RUN}`, "name lost");
    await p.screenshot({ path: join(OUT, "secret-type-switched-nojs.png"), fullPage: true });
    // A refused submit without JavaScript: the page that comes back has the
    // field in error focused (autofocus), as the script does with JavaScript.
    await p.goto(`${BASE}/secrets/new`);
    await p.locator('[data-chooser] a[data-type="private_key"]').click();
    await p.getByLabel("Name", { exact: true }).fill(`nojs_key_${RUN}`);
    await p.getByLabel("Kind").selectOption("managed_private_key");
    await p.getByLabel("Private key (PEM)").fill("not a key");
    await p.getByRole("button", { name: "Save secret" }).click();
    const invalid = p.locator('[aria-invalid="true"]');
    await invalid.first().waitFor();
    const errorId = await invalid.first().getAttribute("id");
    const focused = await p.evaluate(() => document.activeElement && document.activeElement.id);
    assert(errorId === "d-private_key-pem" && focused === errorId, `focus on ${focused}, field in error ${errorId}`);
    await p.screenshot({ path: join(OUT, "secret-error-focused-nojs.png"), fullPage: true });
  } finally {
    await browser.close();
  }
});

await test("add a secret of each type", async () => {
  await addSecret(names.api, "api_key", "generic", async (fs) => {
    await fs.getByLabel("API key").fill(canary("apikey"));
  }, { tags: "prod, web", label: "Main API", shot: "secret-new-api-key" });
  await addSecret(names.basic, "basic_auth", "generic", async (fs) => {
    await fs.getByLabel("Username").fill("alice");
    await fs.getByLabel("Password").fill(canary("password"));
  }, { tags: "staging" });
  await addSecret(names.bearer, "bearer_token", "generic", async (fs) => {
    await fs.getByLabel("Token").fill(canary("bearer"));
    await fs.getByLabel("Expires at").fill(soon(5));
  }, { tags: "prod" });
  await addSecret(names.oauth, "oauth", "generic", async (fs) => {
    await fs.getByLabel("Client ID").fill("client-1");
    await fs.getByLabel("Client secret").fill(canary("clientsecret"));
    await fs.getByLabel("Refresh token").fill(canary("refresh"));
    await fs.getByLabel("Token URL").fill("https://auth.example.test/token");
  }, { shot: "secret-new-oauth" });
  await addSecret(names.custom, "custom", "generic", async (fs) => {
    await fs.locator("#c-0-name").fill("host");
    await fs.locator("#c-0-value").fill(canary("customhost"));
    await fs.locator("#c-1-name").fill("port");
    await fs.locator("#c-1-value").fill(canary("customport"));
    await fs.getByRole("button", { name: "Add field" }).click();
    await fs.locator("#c-3-name").fill("extra");
    await fs.locator("#c-3-value").fill(canary("customextra"));
  }, { shot: "secret-new-custom" });
  await addSecret(names.pem, "private_key", "managed_private_key", async (fs) => {
    await fs.getByLabel("Private key (PEM)").fill(KEY_PEM);
  });
  const custom = page.locator(`tr[data-secret="${names.custom}"]`);
  assert(await custom.count() === 1, "custom listed");
  await page.goto(`${BASE}/secrets/${await refOf(names.custom)}/edit`);
  const fields = await page.locator("#secret-details").textContent();
  assert(fields.includes("extra") && fields.includes("host") && fields.includes("port"), `custom fields: ${fields}`);
  await page.goto(`${BASE}/secrets`);
  await shot("secrets-list");
});

async function refOf(name) {
  await page.goto(`${BASE}/secrets`);
  const t = await page.locator(`tr[data-secret="${name}"] td[data-label="Name"] .mono`).textContent();
  return t.trim();
}

await test("the list shows metadata and an expiry warning, never a value", async () => {
  await page.goto(`${BASE}/secrets`);
  const bearer = page.locator(`tr[data-secret="${names.bearer}"]`);
  assert(await bearer.locator('[data-expiry="soon"]').count() === 1, "no expiry warning for a token expiring in 5 days");
  const api = page.locator(`tr[data-secret="${names.api}"]`);
  const text = await api.textContent();
  assert(text.includes("Main API") && text.includes("prod") && text.includes("web") && text.includes("Generic") && text.includes("API key"), `api row: ${text}`);
  const pemRow = await page.locator(`tr[data-secret="${names.pem}"]`).textContent();
  assert(pemRow.includes("Managed private key"), `pem row: ${pemRow}`);
  const html = await page.content();
  assert(!html.includes(C), "a canary is in the list");
  const times = await page.locator("#secrets time[data-when]").evaluateAll((ts) => ts.map((t) => [t.textContent, t.title, t.getAttribute("datetime")]));
  assert(times.length > 0, "no dates in the list");
  for (const [text, title, dt] of times) {
    assert(!/\d{4}-\d{2}-\d{2}T/.test(text) && !text.includes(dt), `a raw timestamp is shown: ${text}`);
    assert(title && title !== dt && /\d/.test(title), `no exact time in the tooltip: ${title}`);
  }
  const expected = await page.evaluate(() => new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }).format(0, "second"));
  assert(times.some(([text]) => text === expected || /minute|second|now/.test(text)), `no relative time: ${times.map((t) => t[0])}`);
  // another reader's locale and time zone: the same page in German, Berlin time
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: chromiumArgs });
  try {
    const ctx = await browser.newContext({ locale: "de-DE", timezoneId: "Europe/Berlin" });
    await ctx.addCookies(await context.cookies(BASE));
    const p = await ctx.newPage();
    watch(p);
    await p.goto(`${BASE}/secrets`);
    const [text, title] = await p.locator("#secrets time[data-when]").first().evaluate((t) => [t.textContent, t.title]);
    assert(/jetzt|vor|Sekunde|Minute/.test(text), `not relative in German: ${text}`);
    assert(/(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)/.test(title) && /MEZ|MESZ|GMT\+[12]|Mitteleuropäische/.test(title), `tooltip not in German / Berlin time: ${title}`);
  } finally {
    await browser.close();
  }
  const actions = await page.locator(`tr[data-secret="${names.api}"] td[data-label="Actions"] .row-actions a`).allTextContents();
  assert(same(actions, ["Edit", "Delete"]), `row actions not together: ${actions}`);
});

await test("core errors appear next to their field; secret inputs come back empty", async () => {
  await page.goto(`${BASE}/secrets/new?type=api_key`);
  await page.getByLabel("Name", { exact: true }).fill("bad name!");
  await page.locator('fieldset[data-value="api_key"]').getByLabel("API key").fill(canary("rejected"));
  await page.getByLabel("Label").fill("kept label");
  await page.getByRole("button", { name: "Save secret" }).click();
  const err = page.locator('[data-field="name"] [data-error-for="name"]');
  assert(await err.count() === 1, "no error next to the name");
  assert((await page.getByLabel("Name", { exact: true }).getAttribute("aria-invalid")) === "true", "name not marked invalid");
  const described = await page.getByLabel("Name", { exact: true }).getAttribute("aria-describedby");
  assert(described && described.split(" ").includes("s-name-error") && await page.locator("#s-name-error").count() === 1, `error not tied to the field: ${described}`);
  assert(await page.evaluate(() => document.activeElement && document.activeElement.id) === "s-name", "focus did not move to the first error");
  assert(await page.getByLabel("Label").inputValue() === "kept label", "label not kept");
  for (const input of await page.locator("[data-secret-input]").all()) {
    assert((await input.inputValue()) === "", "a secret input was filled back in");
  }
  await shot("secret-error-next-to-field");
  await page.getByLabel("Name", { exact: true }).fill(`expiry_${RUN}`);
  await page.getByLabel("Type", { exact: true }).selectOption("bearer_token");
  const fs = page.locator('fieldset[data-value="bearer_token"]');
  await fs.waitFor();
  assert(await page.getByLabel("Name", { exact: true }).inputValue() === `expiry_${RUN}`, "name lost on the type switch");
  await fs.getByLabel("Token").fill(canary("rejected2"));
  await fs.getByLabel("Expires at").fill("next tuesday");
  await page.getByRole("button", { name: "Save secret" }).click();
  assert(await page.locator('[data-field="data.expiresAt"] [data-error-for="data.expiresAt"]').count() === 1, "no error next to Expires at");
  assert(await page.evaluate(() => document.activeElement && document.activeElement.name) === "data.bearer_token.expiresAt", "focus is not on Expires at");
  await shot("secret-error-expiry");
  await page.getByLabel("Name", { exact: true }).fill(names.api);
  await page.getByLabel("Type", { exact: true }).selectOption("api_key");
  await page.locator('fieldset[data-value="api_key"]').waitFor();
  await page.getByLabel("Name", { exact: true }).fill(names.api);
  await page.locator('fieldset[data-value="api_key"]').getByLabel("API key").fill(canary("dup"));
  await page.getByRole("button", { name: "Save secret" }).click();
  assert(await page.locator('[data-error-for="name"]').count() === 1, "no conflict error next to the name");
});

await test("filter by kind, type and tag", async () => {
  await page.goto(`${BASE}/secrets`);
  await page.getByLabel("Type").selectOption("basic_auth");
  await page.getByRole("button", { name: "Filter" }).click();
  let rows = await page.locator("tr[data-secret]").evaluateAll((r) => r.map((x) => x.dataset.secret));
  assert(rows.length === 1 && rows[0] === names.basic, `type filter: ${rows}`);
  await page.goto(`${BASE}/secrets`);
  await page.getByLabel("Tag").fill("prod");
  await page.getByRole("button", { name: "Filter" }).click();
  rows = await page.locator("tr[data-secret]").evaluateAll((r) => r.map((x) => x.dataset.secret));
  assert(rows.includes(names.api) && rows.includes(names.bearer) && !rows.includes(names.basic), `tag filter: ${rows}`);
  await shot("secrets-filtered-by-tag");
  await page.goto(`${BASE}/secrets`);
  await page.getByLabel("Kind").selectOption("managed_private_key");
  await page.getByRole("button", { name: "Filter" }).click();
  rows = await page.locator("tr[data-secret]").evaluateAll((r) => r.map((x) => x.dataset.secret));
  assert(rows.length === 1 && rows[0] === names.pem, `kind filter: ${rows}`);
});

await test("edit metadata", async () => {
  await page.goto(`${BASE}/secrets`);
  await page.getByRole("link", { name: `Edit ${names.basic}` }).click();
  await page.locator("#meta-form").getByLabel("Label").fill("Staging login");
  await page.locator("#meta-form").getByLabel("Tags").fill("staging, shared");
  await shot("secret-edit");
  await page.getByRole("button", { name: "Save details" }).click();
  assert((await notice()).includes("details saved"), await notice());
  await page.goto(`${BASE}/secrets`);
  const row = await page.locator(`tr[data-secret="${names.basic}"]`).textContent();
  assert(row.includes("Staging login") && row.includes("shared"), `row after edit: ${row}`);
});

await test("replace a value (reference kept, value shown only as set)", async () => {
  const ref = await refOf(names.api);
  await page.goto(`${BASE}/secrets/${ref}/edit`);
  const stamp = () => page.locator("#secret-details time").evaluateAll((ts) => ts.map((t) => t.getAttribute("datetime")).join(" "));
  const before = await stamp();
  await page.locator("#value-form").getByLabel("API key").fill(canary("apikey2"));
  await page.getByRole("button", { name: "Replace value" }).click();
  const n = await notice();
  assert(n.includes("value replaced (value: set)"), n);
  assert(page.url() === `${BASE}/secrets/${ref}/edit`, `reference changed: ${page.url()}`);
  const after = await stamp();
  assert(before !== after, "updatedAt did not change");
  assert(await page.locator("#value-form [data-secret-input]").inputValue() === "", "value input not empty");
  // an empty replacement is refused next to the field
  await page.getByRole("button", { name: "Replace value" }).click();
  assert(await page.locator('#value-form [data-error-for="data.value"]').count() === 1, "no error for an empty replacement");
});

await test("delete with confirmation", async () => {
  await page.goto(`${BASE}/secrets`);
  await page.getByRole("link", { name: `Delete ${names.oauth}` }).click();
  assert((await page.locator("h1").textContent()).includes(names.oauth), "no confirmation page");
  await shot("secret-delete-confirm");
  await page.getByRole("button", { name: "Delete secret" }).click();
  assert((await notice()).includes(`Secret ${names.oauth} deleted`), await notice());
  assert(await page.locator(`tr[data-secret="${names.oauth}"]`).count() === 0, "still listed");
});

// ---- DNS providers ----
const pdnsLabel = `PowerDNS ${RUN}`;
const badLabel = `Broken ${RUN}`;
const manualLabel = `Manual ${RUN}`;

async function addProvider(type, label, suffixes, token, config = {}) {
  await page.goto(`${BASE}/providers/new?type=${type}`);
  await page.getByLabel("Label").fill(label);
  await page.getByLabel("Domain suffixes").fill(suffixes);
  if (token !== null && typeof token === "object") {
    for (const [k, v] of Object.entries(token)) { await page.locator(`#p-token-${k}`).fill(v); }
  } else if (token !== null) { await page.locator("#p-token").fill(token); }
  for (const [k, v] of Object.entries(config)) { await page.locator(`#c-${type}-${k}`).fill(v); }
  return page.getByRole("button", { name: "Add provider" });
}
const card = (label) => page.locator(`article[data-label="${label}"]`);

async function runTest(label) {
  await page.goto(`${BASE}/providers`);
  const c = card(label);
  const panelId = await c.locator("form[data-test-form]").getAttribute("data-panel");
  await page.evaluate((id) => {
    window.__progress = [];
    const panel = document.getElementById(id);
    new MutationObserver(() => {
      const live = panel.querySelector("[data-live]");
      if (live && live.textContent && window.__progress[window.__progress.length - 1] !== live.textContent) {
        window.__progress.push(live.textContent);
      }
      if (panel.querySelector("progress")) { window.__sawBar = true; }
    }).observe(panel, { subtree: true, childList: true, characterData: true });
  }, panelId);
  const started = page.waitForResponse((r) => r.url().endsWith("/test") && r.request().method() === "POST");
  await c.getByRole("button", { name: "Test Connection" }).click();
  const body = await (await started).json();
  await c.locator("[data-result]").waitFor({ timeout: 120000 });
  return { c, run: body, progress: await page.evaluate(() => window.__progress), bar: await page.evaluate(() => !!window.__sawBar) };
}

await test("add a PowerDNS provider; Test Connection succeeds with live progress", async () => {
  const add = await addProvider("powerdns", pdnsLabel, "example.test", PDNS_KEY, { serverUrl: PDNS_API });
  await shot("provider-new-powerdns");
  await add.click();
  await page.waitForURL(`${BASE}/providers`);
  assert((await notice()).includes(`Provider ${pdnsLabel} added (token: set)`), await notice());
  const c = card(pdnsLabel);
  assert(await c.count() === 1, "provider not listed");
  const text = await c.textContent();
  assert(text.includes("PowerDNS") && text.includes("example.test"), `card: ${text}`);
  const { run, progress, bar } = await runTest(pdnsLabel);
  const result = await c.locator("[data-result]").getAttribute("data-result");
  assert(result === "success", `result ${result}: ${await c.locator(".outcome").textContent()}`);
  assert(bar, "no progress bar was shown");
  const steps = progress.map((p) => p.split(":")[0]);
  for (const s of ["Zone lookup", "Create record", "Verify on nameservers", "Clean up"]) {
    assert(steps.includes(s), `progress never showed ${s}: ${JSON.stringify(progress)}`);
  }
  for (const s of ["zone_lookup", "create", "verify", "cleanup"]) {
    assert(await c.locator(`li[data-step="${s}"]`).getAttribute("data-status") === "ok", `step ${s} not ok`);
  }
  await shot("provider-test-success");
  // the event stream itself, fetched again with the session cookie: replayed, canary-free
  const sse = await raw("GET", run.events, { headers: { Host: HOSTPORT, Cookie: await cookieHeader() } });
  assert(sse.status === 200 && sse.headers["content-type"].startsWith("text/event-stream"), `events: ${sse.status}`);
  assert(sse.body.includes("event: progress") && sse.body.includes("event: result"), "stream lacks progress/result");
  for (const x of CANARIES()) { assert(!sse.body.includes(x), "the event stream carries a canary"); }
});

await test("a failing Test Connection shows its suggestions", async () => {
  const add = await addProvider("powerdns", badLabel, `bad${RUN}.example.test`, canary("badtoken"), { serverUrl: PDNS_API });
  await add.click();
  await page.waitForURL(`${BASE}/providers`);
  const { c } = await runTest(badLabel);
  assert(await c.locator("[data-result]").getAttribute("data-result") === "failure", "did not fail");
  const sugg = await c.locator("ul.suggestions li").allTextContents();
  assert(sugg.length > 0, "no suggestions");
  assert(sugg.join(" ").match(/token|permission|401|403/i), `suggestions: ${sugg}`);
  await shot("provider-test-failure");
});

await test("provider form errors appear next to their field", async () => {
  const add = await addProvider("powerdns", `E ${RUN}`, "example..test", "k", { serverUrl: "not a url" });
  await add.click();
  const errs = await page.locator("[data-error-for]").evaluateAll((e) => e.map((x) => x.dataset.errorFor));
  assert(errs.length === 1, `errors: ${errs}`);
  assert(await page.locator("#p-token").inputValue() === "", "token filled back in");
  await page.getByLabel("Domain suffixes").fill(`ok${RUN}.test`);
  await page.locator("#p-token").fill(canary("tok"));
  await page.getByRole("button", { name: "Add provider" }).click();
  assert(await page.locator('[data-field="serverUrl"] [data-error-for="serverUrl"]').count() === 1, "no error next to the API URL");
  await shot("provider-error-next-to-field");
});

await test("ambiguity warning and the resolver", async () => {
  const add = await addProvider("manual", manualLabel, "example.test", null);
  await add.click();
  await page.waitForURL(`${BASE}/providers`);
  const n = await notice();
  assert(/ambigu|same suffix|also/i.test(n), `no ambiguity warning in ${n}`);
  assert(await card(manualLabel).locator("[data-ambiguous]").count() === 1, "manual card not flagged");
  assert(await card(pdnsLabel).locator("[data-ambiguous]").count() === 1, "powerdns card not flagged");
  await shot("providers-ambiguous");
  await page.locator("#r-host").fill("www.example.test");
  await page.getByRole("button", { name: "Resolve" }).click();
  const res = page.locator("#resolution");
  assert(await res.getAttribute("data-mode") === "provider", "resolver did not pick a provider");
  assert(await res.locator("[data-warning]").count() > 0, "resolver shows no ambiguity warning");
  await shot("providers-resolver");
  await page.locator("#r-host").fill(`host.nowhere${RUN}.invalid`);
  await page.getByRole("button", { name: "Resolve" }).click();
  assert(await page.locator("#resolution").getAttribute("data-mode") === "manual", "no manual instructions");
  const txt = await page.locator("#resolution").textContent();
  assert(txt.includes(`_acme-challenge.host.nowhere${RUN}.invalid`) && txt.includes("TXT"), txt);
  await shot("providers-resolver-manual");
  await page.locator("#r-host").fill("not a host!");
  await page.getByRole("button", { name: "Resolve" }).click();
  assert(await page.locator('[data-error-for="hostname"]').count() === 1, "no error next to the hostname");
  // removing the duplicate clears the warning
  await page.goto(`${BASE}/providers`);
  await card(manualLabel).getByRole("link", { name: `Delete ${manualLabel}` }).click();
  await page.getByRole("button", { name: "Delete provider" }).click();
  assert(await card(pdnsLabel).locator("[data-ambiguous]").count() === 0, "warning stays after removing the duplicate");
});

await test("edit a provider without its token; replace the token", async () => {
  await page.goto(`${BASE}/providers`);
  await card(pdnsLabel).getByRole("link", { name: `Edit ${pdnsLabel}` }).click();
  const edit = page.locator("#provider-edit");
  assert(await edit.getByLabel("API URL").inputValue() === PDNS_API, "config not prefilled");
  assert(await edit.locator("#p-token").inputValue() === "", "token prefilled");
  await shot("provider-edit");
  const newLabel = `${pdnsLabel} main`;
  await edit.getByLabel("Label").fill(newLabel);
  await edit.getByLabel("Domain suffixes").fill(`example.test, sub${RUN}.example.test`);
  await page.getByRole("button", { name: "Save changes" }).click();
  assert((await notice()).includes(`Provider ${newLabel} saved (token: set)`), await notice());
  const c = card(newLabel);
  assert((await c.textContent()).includes(`sub${RUN}.example.test`), "suffix not saved");
  // an endpoint change without the token is refused next to the token field
  await c.getByRole("link", { name: `Edit ${newLabel}` }).click();
  await page.locator("#provider-edit").getByLabel("API URL").fill("http://127.0.0.1:1");
  await page.getByRole("button", { name: "Save changes" }).click();
  assert(await page.locator('#provider-edit [data-error-for="apiToken"]').count() === 1, "endpoint change without token not refused at the token");
  await page.goto(`${BASE}/providers`);
  await c.getByRole("link", { name: `Edit ${newLabel}` }).click();
  await page.locator("#token-form").getByLabel("API key").fill(PDNS_KEY);
  await page.getByRole("button", { name: "Replace token" }).click();
  assert((await notice()).includes("token replaced"), await notice());
  const { c: after } = await runTest(newLabel);
  assert(await after.locator("[data-result]").getAttribute("data-result") === "success", "test after token replacement failed");
});

await test("provider actions sit together; the suffix picker is next to Test Connection only with more than one suffix", async () => {
  await page.goto(`${BASE}/providers`);
  const multi = card(`${pdnsLabel} main`);
  const group = multi.locator(".provider-actions");
  const form = group.locator("form[data-test-form]");
  assert(await form.locator("select[name=suffix]").count() === 1, "no suffix picker for two suffixes");
  const opts = await form.locator("select[name=suffix] option").allTextContents();
  assert(opts.length === 2, `suffix options ${opts}`);
  assert(await group.getByRole("link", { name: /^Edit / }).count() === 1 && await group.getByRole("link", { name: /^Delete / }).count() === 1, "edit/delete not with Test Connection");
  const single = card(badLabel).locator(".provider-actions");
  assert(await single.locator("select[name=suffix]").count() === 0, "a suffix picker for one suffix");
  const dates = await multi.locator("time[data-when]").evaluateAll((ts) => ts.map((t) => [t.textContent, t.title]));
  assert(dates.length === 1 && !/T\d\d:/.test(dates[0][0]) && dates[0][1], `provider date: ${dates}`);
  await shot("providers-list");
});

await test("Route 53: two fields arrive as one ACCESS_KEY_ID:SECRET_ACCESS_KEY token", async () => {
  const label = `Route53 ${RUN}`;
  const keyId = `AKIA${RUN.toUpperCase()}`;
  r53.secret = canary("r53secret");
  const add = await addProvider("route53", label, `r53${RUN}.example.test`, { accessKeyId: keyId, secretAccessKey: r53.secret }, { region: "us-east-1" });
  await shot("provider-new-route53-filled");
  await add.click();
  await page.waitForURL(`${BASE}/providers`);
  assert((await notice()).includes(`Provider ${label} added (token: set)`), await notice());
  // Test Connection through the core: dns-proc splits the stored token and
  // signs its Route 53 calls with both halves; the stand-in verifies each
  // signature under the secret typed above (and answers "no such zone").
  r53.seen.length = 0;
  const { c } = await runTest(label);
  const outcome = await c.locator(".outcome").textContent();
  assert(await c.locator("[data-result]").getAttribute("data-result") === "failure", `unexpected result: ${outcome}`);
  assert(!/credentials|no `:`/.test(outcome), `the stored token is not ACCESS_KEY_ID:SECRET: ${outcome}`);
  assert(r53.seen.length > 0, `the core never called the Route 53 stand-in: ${outcome}`);
  assert(r53.seen.every((x) => x.keyId === keyId), `access key IDs seen: ${r53.seen.map((x) => x.keyId)}`);
  assert(r53.seen.every((x) => x.valid), `a signature did not verify under the typed secret: ${outcome}`);
  assert(r53.seen.every((x) => !x.control), "the signature check accepts any secret (method check)");
  assert(/zone_lookup/.test(outcome) && /NoSuchHostedZone|zone/i.test(outcome), `not the stand-in's answer: ${outcome}`);
  // the edit page asks for the two halves again, both to replace the token
  await page.goto(`${BASE}/providers`);
  await card(label).getByRole("link", { name: `Edit ${label}` }).click();
  const settings = await controls(page.locator("#provider-edit"));
  assert(same(settings.all, ["label", "domainSuffixes", "config.route53.hostedZoneId", "config.route53.region", "token.accessKeyId", "token.secretAccessKey"]), `edit form: ${settings.all}`);
  const tf = page.locator("#token-form");
  assert(same((await controls(tf)).all, ["token.accessKeyId", "token.secretAccessKey"]), "token form");
  await tf.getByLabel("Access key ID").fill(`AKIANEW${RUN.toUpperCase()}`);
  await tf.getByLabel("Secret access key").fill(canary("r53new"));
  await shot("provider-edit-route53");
  await page.getByRole("button", { name: "Replace token" }).click();
  assert((await notice()).includes(`Provider ${label} token replaced`), await notice());
  // one half alone is refused next to the missing half, nothing refilled
  const again = await addProvider("route53", `${label} 2`, `r53b${RUN}.example.test`, { accessKeyId: "AKIAONLY" });
  await again.click();
  assert(await page.locator('#provider-form [data-error-for="apiToken"]').count() === 1, "missing secret access key not reported at its field");
  assert(await page.locator("#p-token-accessKeyId").inputValue() === "", "access key ID refilled");
  assert(await page.evaluate(() => document.activeElement && document.activeElement.id) === "p-token-secretAccessKey", "focus not on the missing half");
  await shot("provider-route53-error");
  await page.goto(`${BASE}/providers`);
  await card(label).getByRole("link", { name: `Delete ${label}` }).click();
  await page.getByRole("button", { name: "Delete provider" }).click();
});

await test("deleting a provider deletes its token secret", async () => {
  await page.goto(`${BASE}/secrets?kind=dns_provider_token`);
  const before = await page.locator("tr[data-secret]").count();
  assert(before >= 2, `expected provider tokens, found ${before}`);
  assert((await page.locator("tr[data-secret]").first().textContent()).includes("managed by its"), "owned token is editable");
  await page.goto(`${BASE}/providers`);
  await card(badLabel).getByRole("link", { name: `Delete ${badLabel}` }).click();
  await shot("provider-delete-confirm");
  await page.getByRole("button", { name: "Delete provider" }).click();
  assert((await notice()).includes("and its token deleted"), await notice());
  await page.goto(`${BASE}/secrets?kind=dns_provider_token`);
  assert(await page.locator("tr[data-secret]").count() === before - 1, "token secret still there");
});

await test("lock: header shows locked; creating a secret still works and unlocks", async () => {
  await page.goto(`${BASE}/providers`);
  await page.getByRole("button", { name: "Lock" }).click();
  await page.waitForURL(`${BASE}/providers`);
  assert(await vaultState() === "locked", `header says ${await vaultState()}`);
  await shot("header-locked");
  await page.goto(`${BASE}/secrets`);
  assert(await vaultState() === "locked", "listing unlocked the vault");
  await addSecret(`afterlock_${RUN}`, "api_key", "generic", async (fs) => {
    await fs.getByLabel("API key").fill(canary("afterlock"));
  });
  assert(await vaultState() === "unlocked", `header says ${await vaultState()} after a create`);
  await shot("header-unlocked-after-create");
});

await test("keyring unavailable: the pages say how to fix it, in words", async () => {
  const p = await context.newPage();
  try {
    p.setDefaultTimeout(15000);
    await p.goto(LOGIN_NOKEY);
    const base = new URL(LOGIN_NOKEY).origin;
    assert(p.url() === `${base}/` || p.url() === `${base}/secrets`, `landed on ${p.url()}`);
    await p.goto(`${base}/welcome`);
    const w = await p.locator("main").textContent();
    assert(/credential store/i.test(w), `welcome: ${w}`);
    await shot("nokey-welcome", p);
    await p.goto(`${base}/secrets/new?type=api_key`);
    await p.getByLabel("Name", { exact: true }).fill(`nokey_${RUN}`);
    await p.locator("#secret-form").getByLabel("API key").fill(canary("nokey"));
    await p.getByRole("button", { name: "Save secret" }).click();
    const fix = p.locator('[data-form-error="keyring_unavailable"] [data-fix="keyring_unavailable"]');
    assert(await fix.count() === 1, "no fix for keyring_unavailable");
    const text = await fix.textContent();
    for (const words of ["To fix it", "SSLBOARD_KEY_SOURCE=env", "scripts/run"]) {
      assert(text.includes(words), `the fix lacks "${words}"`);
    }
    assert(await p.evaluate(() => document.activeElement && document.activeElement.dataset.formError) === "keyring_unavailable", "focus not on the error");
    await shot("nokey-form-error", p);
    await p.goto(`${base}/secrets`);
    assert(await p.locator('[data-fix="keyring_unavailable"]').count() === 1, "the list does not say how to fix it");
    await shot("nokey-secrets", p);
  } finally {
    await p.close();
  }
});

// ---- ACME accounts and certificates (real pebble, validating through the real PowerDNS) ----
// Each of these pages waits on the CA (and the tree behind it): a longer
// default wait for them, back to the harness's 15 s after the block.
page.setDefaultTimeout(45000);
const ACME_SUFFIX = `acme${RUN}.example.test`;
const acmePdns = `PowerDNS ACME ${RUN}`;
const acmeManual = `Manual ACME ${RUN}`;
const MANUAL_ZONE = `manual${RUN}.test`;
let pebbleAccount = null; // id of the account at pebble
let issuedId = null; // a certificate issued through the pages

const ACCOUNT_COMMON = ["type", "contact", "keyType", "eab.kid", "eab.hmacKey", "termsOfServiceAgreed"];
const ACCOUNT_INPUTS = { letsencrypt: [], "letsencrypt-staging": [], custom: ["directoryUrl", "caPem"] };

async function pdnsApi(method, path, body) {
  const r = await fetch(`${PDNS_API}/api/v1/servers/localhost${path}`, {
    method, headers: { "X-API-Key": PDNS_KEY, "Content-Type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, text: await r.text() };
}
async function setTxt(zone, name, values) {
  const rrset = values.length
    ? { name: `${name}.`, type: "TXT", ttl: 60, changetype: "REPLACE", records: values.map((v) => ({ content: `"${v}"`, disabled: false })) }
    : { name: `${name}.`, type: "TXT", changetype: "DELETE" };
  const r = await pdnsApi("PATCH", `/zones/${zone}.`, { rrsets: [rrset] });
  assert(r.status === 204, `PowerDNS PATCH ${zone}: ${r.status} ${r.text}`);
}
async function fillAccount(p, { dir, contact, kid, hmac, agree, ca = PEBBLE_CA }) {
  await p.goto(`${BASE}/accounts/new?type=custom`);
  await p.getByLabel("Directory URL").fill(dir);
  await p.getByLabel("CA certificate (PEM)").fill(ca);
  if (contact) { await p.getByLabel("Contact e-mail").fill(contact); }
  if (kid) { await p.getByLabel("EAB key ID").fill(kid); }
  if (hmac) { await p.getByLabel("EAB HMAC key").fill(hmac); }
  if (agree) { await p.getByLabel("I agree to the certificate authority's terms of service").check(); }
}
const accountRow = (id) => page.locator(`tr[data-account="${id}"]`);
/// Every text the run page's live region showed, from the page's first
/// parse (an init script, so no event can slip by before it watches), and
/// the per-name rows seen while the run went on.
await page.addInitScript(() => {
  if (!/^\/certificates\/issue\/\d+$/.test(location.pathname)) { return; }
  window.__live = [];
  window.__rows = new Set();
  new MutationObserver(() => {
    const live = document.querySelector("#issue-run [data-live]");
    const t = live && live.textContent;
    if (t && window.__live[window.__live.length - 1] !== t) { window.__live.push(t); }
    document.querySelectorAll("#issue-run[data-done=false] tr[data-name]").forEach((r) => window.__rows.add(r.dataset.name));
  }).observe(document, { subtree: true, childList: true, characterData: true });
});
async function watchRun(timeout = 150000) {
  await page.waitForURL(/\/certificates\/issue\/\d+$/);
  await page.locator("#issue-run [data-outcome]").waitFor({ timeout });
  return { live: await page.evaluate(() => window.__live || []), rows: await page.evaluate(() => [...(window.__rows || [])]) };
}
/// Waits for the run's outcome, adding (like the user) every TXT record the
/// page asks for by hand, and removing them afterwards.
async function runAnsweringManual(timeout = 150000) {
  await page.waitForURL(/\/certificates\/issue\/\d+$/);
  const added = [];
  const end = Date.now() + timeout;
  try {
    while (await page.locator("#issue-run [data-outcome]").count() === 0) {
      assert(Date.now() < end, `no outcome: ${await page.locator("#issue-run").textContent()}`);
      for (const rec of await page.locator("#issue-run[data-done=false] [data-manual-record]").all()) {
        const name = (await rec.locator("[data-record-name]").textContent().catch(() => "")).trim();
        const value = (await rec.locator("[data-record-value]").textContent().catch(() => "")).trim();
        if (name && value && !added.some((a) => a[0] === name && a[1] === value)) {
          await setTxt(MANUAL_ZONE, name, [value]);
          added.push([name, value]);
        }
      }
      await page.waitForTimeout(500);
    }
  } finally {
    for (const [name] of added) { await setTxt(MANUAL_ZONE, name, []); }
  }
}
async function manualZone() {
  const z = await pdnsApi("POST", "/zones", { name: `${MANUAL_ZONE}.`, kind: "Native", nameservers: ["ns1.example.test."] });
  assert(z.status === 201 || z.status === 409, `zone: ${z.status} ${z.text}`);
}
async function issueForm(names, { keyType } = {}) {
  await page.goto(`${BASE}/certificates/new`);
  await page.getByLabel("Names").fill(names);
  await page.getByLabel("ACME account").selectOption(pebbleAccount);
  if (keyType) { await page.getByLabel("Certificate key type").selectOption(keyType); }
}

await test("ACME accounts: empty states, the CA chosen first, only its inputs; Let's Encrypt presets fix the URL and link the terms", async () => {
  await page.goto(`${BASE}/accounts`);
  const es = await page.locator("#empty").textContent();
  assert(/No ACME accounts yet/.test(es) && await page.locator("#empty a").count() === 1, `accounts empty state: ${es}`);
  await shot("accounts-empty");
  await page.goto(`${BASE}/certificates`);
  const ce = await page.locator("#empty").textContent();
  assert(/first add an ACME account/.test(ce), `certificates empty state: ${ce}`);
  await shot("certificates-empty");
  await page.goto(`${BASE}/certificates/new`);
  assert(await page.locator("#issue-form").count() === 0 && /No ACME account yet/.test(await page.locator("#empty").textContent()), "issue form without an account");
  await page.goto(`${BASE}/accounts/new`);
  const offered = await page.locator("[data-chooser] a").evaluateAll((as) => as.map((a) => a.dataset.type));
  assert(same(offered, Object.keys(ACCOUNT_INPUTS)), `chooser offers ${offered}`);
  await shot("account-new-chooser");
  for (const [type, inputs] of Object.entries(ACCOUNT_INPUTS)) {
    await page.goto(`${BASE}/accounts/new`);
    await page.locator(`[data-chooser] a[data-type="${type}"]`).click();
    await page.waitForURL(`${BASE}/accounts/new?type=${type}`);
    const c = await controls(page.locator("#account-form"));
    assert(same(c.all, [...ACCOUNT_COMMON, ...inputs]), `${type}: form has ${c.all}`);
    assert(same(c.visible, [...ACCOUNT_COMMON, ...inputs]), `${type}: visible ${c.visible}`);
    if (type !== "custom") {
      const want = type === "letsencrypt" ? "https://acme-v02.api.letsencrypt.org/directory" : "https://acme-staging-v02.api.letsencrypt.org/directory";
      assert(await page.locator("[data-directory]").getAttribute("data-directory") === want, `${type}: directory`);
      const terms = page.locator("a[data-terms]");
      assert(await terms.count() === 1 && (await terms.getAttribute("href")).startsWith("https://letsencrypt.org/"), `${type}: no terms link`);
    }
    assert(await page.getByLabel("I agree to the certificate authority's terms of service").getAttribute("required") !== null, "terms box not required");
    await shot(`account-new-${type}`);
  }
  // switching the CA (JS) keeps the contact and the key ID, sends and refills no HMAC key
  await page.goto(`${BASE}/accounts/new?type=letsencrypt`);
  await page.getByLabel("Contact e-mail").fill("ops@example.test");
  await page.getByLabel("EAB key ID").fill("kid-switch");
  await page.getByLabel("EAB HMAC key").fill(canary("eabswitch"));
  const posted = page.waitForRequest((r) => r.method() === "POST" && r.url() === `${BASE}/accounts`);
  await page.getByLabel("Certificate authority", { exact: true }).selectOption("custom");
  assert(!((await posted).postData() || "").includes(C), "the switch sent the HMAC key");
  await page.getByLabel("Directory URL").waitFor();
  assert(await page.getByLabel("Contact e-mail").inputValue() === "ops@example.test", "contact lost");
  assert(await page.getByLabel("EAB key ID").inputValue() === "kid-switch", "key ID lost");
  assert(await page.getByLabel("EAB HMAC key").inputValue() === "", "HMAC key refilled");
  assert(page.url() === `${BASE}/accounts/new?type=custom`, `address not updated: ${page.url()}`);
});

await test("create an ACME account at pebble: the terms come from its directory, errors sit at their field, the EAB HMAC key never comes back", async () => {
  // Not agreeing: the core names the directory's terms, shown at the box.
  await fillAccount(page, { dir: PEBBLE_DIR, contact: `web-${RUN}@example.test` });
  await page.getByRole("button", { name: "Create account" }).click();
  assert(await page.locator('[data-field="termsOfServiceAgreed"] [data-error-for="termsOfServiceAgreed"]').count() === 1, "no error at the terms box");
  const terms = await page.locator("[data-terms]").getAttribute("data-terms");
  assert(terms && terms.length > 3, `pebble's terms not shown: ${terms}`);
  assert(await page.evaluate(() => document.activeElement && document.activeElement.id) === "a-terms", "focus not on the terms box");
  assert(await page.getByLabel("Directory URL").inputValue() === PEBBLE_DIR, "directory URL lost");
  assert((await page.getByLabel("CA certificate (PEM)").inputValue()).includes("BEGIN CERTIFICATE"), "CA PEM lost");
  await shot("account-error-terms");
  // A CA that requires EAB, without it: the error at the EAB fields.
  await fillAccount(page, { dir: PEBBLE_EAB_DIR, agree: true });
  await page.getByRole("button", { name: "Create account" }).click();
  assert(await page.locator('[data-error-for="eab"]').count() === 1, `no EAB error: ${await page.locator("main").textContent()}`);
  // One half of the binding: refused at the missing half, nothing refilled.
  await fillAccount(page, { dir: PEBBLE_EAB_DIR, agree: true, hmac: PEBBLE_EAB_HMAC });
  await page.getByRole("button", { name: "Create account" }).click();
  assert(await page.locator('[data-error-for="eab.kid"]').count() === 1, "no error at the key ID");
  assert(await page.getByLabel("EAB HMAC key").inputValue() === "", "HMAC key refilled after an error");
  await shot("account-error-eab");
  // A wrong HMAC key: the CA refuses; the key is not echoed.
  await fillAccount(page, { dir: PEBBLE_EAB_DIR, agree: true, kid: PEBBLE_EAB_KID, hmac: canary("wronghmac").replace(/[^A-Za-z0-9]/g, "") });
  await page.getByRole("button", { name: "Create account" }).click();
  assert(await page.locator("[data-form-error]").count() === 1, "no error for a wrong HMAC key");
  assert(await page.getByLabel("EAB HMAC key").inputValue() === "", "HMAC key refilled after a CA error");
  // The right binding: created.
  await fillAccount(page, { dir: PEBBLE_EAB_DIR, agree: true, kid: PEBBLE_EAB_KID, hmac: PEBBLE_EAB_HMAC, contact: `eab-${RUN}@example.test` });
  await shot("account-new-custom-filled");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${BASE}/accounts`);
  assert(/ACME account .* created/.test(await notice()), await notice());
  // The plain pebble account the certificates use.
  await fillAccount(page, { dir: PEBBLE_DIR, agree: true, contact: `web-${RUN}@example.test` });
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(`${BASE}/accounts`);
  const rows = await page.locator("tr[data-account]").evaluateAll((rs) => rs.map((r) => [r.dataset.account, r.textContent]));
  assert(rows.length === 2, `accounts listed: ${rows.length}`);
  const plain = rows.find(([, t]) => t.includes(`web-${RUN}@example.test`));
  assert(plain && plain[1].includes(PEBBLE_DIR) && plain[1].includes("valid"), `pebble account row: ${plain}`);
  pebbleAccount = plain[0];
  await shot("accounts-list");
});

await test("delete an ACME account with confirmation, deactivating it at the CA", async () => {
  await page.goto(`${BASE}/accounts`);
  const eab = await page.locator("tr[data-account]").evaluateAll((rs, run) => rs.map((r) => [r.dataset.account, r.textContent])
    .find(([, t]) => t.includes(`eab-${run}@`)), RUN);
  assert(eab, "the EAB account is not listed");
  await page.locator(`tr[data-account="${eab[0]}"]`).getByRole("link", { name: /^Delete / }).click();
  assert((await page.locator("h1").textContent()).includes("Delete the account"), "no confirmation page");
  await page.getByLabel("Also deactivate it at the CA").check();
  await shot("account-delete-confirm");
  await page.getByRole("button", { name: "Delete account" }).click();
  await page.waitForURL(`${BASE}/accounts`);
  assert(/deleted \(deactivated at the CA\)/.test(await notice()), await notice());
  assert(await accountRow(eab[0]).count() === 0, "still listed");
  assert(await accountRow(pebbleAccount).count() === 1, "the other account went too");
});

await test("issue a certificate: live progress per name (provider, ambiguity warning) over SSE to success; details; chain download", async () => {
  assert(pebbleAccount, "no pebble account (the account scenario failed)");
  // Two providers on one suffix: the older (PowerDNS) is used, with a warning.
  const add = await addProvider("powerdns", acmePdns, ACME_SUFFIX, PDNS_KEY, { serverUrl: PDNS_API });
  await add.click();
  await page.waitForURL(`${BASE}/providers`);
  await (await addProvider("manual", acmeManual, ACME_SUFFIX, null)).click();
  await page.waitForURL(`${BASE}/providers`);
  // A third name no provider covers holds the run until the test adds its
  // record, so the page is seen live whatever the machine's speed.
  await manualZone();
  const held = `held.${MANUAL_ZONE}`;
  const names = [`www.${ACME_SUFFIX}`, ACME_SUFFIX];
  await issueForm(`${names[0]},\n${names[1]} ${held}`);
  await shot("certificate-new");
  await page.getByRole("button", { name: "Issue certificate" }).click();
  await page.waitForURL(/\/certificates\/issue\/\d+$/);
  const rec = page.locator(`#issue-run[data-done=false] tr[data-name="${held}"] [data-manual-record]`);
  await rec.waitFor({ timeout: 90000 });
  // while it runs: each PowerDNS name's provider and the ambiguity warning
  for (const n of names) {
    const row = page.locator(`#issue-run[data-done=false] tr[data-name="${n}"]`);
    await row.locator('td[data-provider]').waitFor({ timeout: 60000 });
    assert((await row.locator('td[data-label="Provider"]').textContent()).includes(acmePdns), `${n}: provider not shown`);
    assert(await row.locator("[data-warning]").count() >= 1, `${n}: no ambiguity warning`);
  }
  assert(await page.locator("#run-progress").count() === 1, "no progress bar while running");
  await shot("certificate-issue-running");
  const recordName = (await rec.locator("[data-record-name]").textContent()).trim();
  const value = (await rec.locator("[data-record-value]").textContent()).trim();
  await setTxt(MANUAL_ZONE, recordName, [value]);
  let live, rows;
  try {
    ({ live, rows } = await watchRun());
  } finally {
    await setTxt(MANUAL_ZONE, recordName, []);
  }
  const run = page.url();
  const out = page.locator("#issue-run [data-outcome]");
  assert(await out.getAttribute("data-outcome") === "success", `not issued: ${await page.locator("#issue-run").textContent()}`);
  assert(live.length >= 3, `live progress seen: ${JSON.stringify(live)}`);
  for (const step of ["present", "propagate", "validate"]) {
    assert(live.some((l) => l.includes(`${step}:`)), `progress never showed ${step}: ${JSON.stringify(live)}`);
  }
  for (const n of [...names, held]) {
    assert(rows.includes(n), `no row for ${n} while running: ${rows}`);
    assert(await page.locator(`#issue-run tr[data-name="${n}"]`).count() === 1, `no row for ${n}`);
  }
  names.push(held);
  assert(await page.evaluate(() => document.activeElement && document.activeElement.dataset.outcome) === "success", "focus not on the outcome");
  await shot("certificate-issue-success");
  // the event stream, fetched again: replayed, with the result, canary-free
  const sse = await raw("GET", new URL(run).pathname + "/events", { headers: { Host: HOSTPORT, Cookie: await cookieHeader() } });
  assert(sse.status === 200 && sse.headers["content-type"].startsWith("text/event-stream"), `events: ${sse.status}`);
  assert(sse.body.includes("event: progress") && sse.body.includes("event: result") && sse.body.includes('"success":true'), "stream lacks progress/result");
  scanText("issue events", sse.body);
  // details
  issuedId = await out.locator("[data-certificate-link]").getAttribute("data-certificate-link");
  await out.getByRole("link", { name: "View certificate" }).click();
  await page.waitForURL(`${BASE}/certificates/${issuedId}`);
  const det = await page.locator("#certificate-details").textContent();
  for (const n of names) { assert(det.includes(n), `details lack ${n}`); }
  const chain = await page.locator("#chain").textContent();
  assert((chain.match(/BEGIN CERTIFICATE/g) || []).length >= 2, "the chain lacks leaf + intermediate");
  assert(!/PRIVATE KEY/.test(await page.content()), "a private key on the details page");
  await shot("certificate-details");
  const [dl] = await Promise.all([page.waitForEvent("download"), page.locator("[data-download]").click()]);
  assert(dl.suggestedFilename().endsWith(".pem"), `file name ${dl.suggestedFilename()}`);
  const file = readFileSync(await dl.path(), "utf8");
  assert(file === chain, "the downloaded chain differs from the page's");
  scanText("chain download", file);
  // the list
  await page.goto(`${BASE}/certificates`);
  const row = page.locator(`tr[data-certificate="${issuedId}"]`);
  assert(await row.count() === 1, "not listed");
  assert(await row.locator("[data-status]").getAttribute("data-status") === "valid", "status");
  const exp = await row.locator('td[data-label="Expires"] time').evaluate((t) => [t.textContent, t.title]);
  assert(exp[0] && !/T\d\d:/.test(exp[0]) && exp[1], `expiry: ${exp}`);
  await shot("certificates-list");
});

await test("renew (a new key, renewedFrom, the old one kept), export to files (key 0600, existing files refused), revoke with a reason", async () => {
  assert(issuedId, "no certificate (the issue scenario failed)");
  await page.goto(`${BASE}/certificates/${issuedId}`);
  assert(await page.locator("dd[data-renew-at] time").count() === 1, "no renewal time");
  const oldKey = (await page.locator("[data-key-ref]").textContent()).trim();
  const oldType = await page.locator("#certificate-details").evaluate((d) => d.textContent.match(/\(ec-p\d+|rsa-\d+\)/)?.[0]);
  await shot("certificate-details-lifecycle");
  await page.getByRole("button", { name: "Renew now" }).click();
  await runAnsweringManual(); // its name under the manual zone waits for its record
  const out = page.locator("#issue-run [data-outcome]");
  assert(await out.getAttribute("data-outcome") === "success", `not renewed: ${await page.locator("#issue-run").textContent()}`);
  assert((await page.locator("#h-run").textContent()).includes("Renewal finished"), "not shown as a renewal");
  assert(await page.locator("[data-renewal-of]").getAttribute("data-renewal-of") === issuedId, "renewal of what?");
  await shot("certificate-renew-success");
  const renewedId = await out.locator("[data-certificate-link]").getAttribute("data-certificate-link");
  assert(renewedId && renewedId !== issuedId, `renewed id ${renewedId}`);
  await page.goto(`${BASE}/certificates/${renewedId}`);
  assert(await page.locator("[data-renewed-from]").getAttribute("data-renewed-from") === issuedId, "renewedFrom not shown");
  assert((await page.locator("[data-key-ref]").textContent()).trim() !== oldKey, "the renewal kept the key");
  assert(await page.locator("#certificate-details").evaluate((d) => d.textContent.match(/\(ec-p\d+|rsa-\d+\)/)?.[0]) === oldType, "the key type changed");
  await page.goto(`${BASE}/certificates`);
  assert(await page.locator(`tr[data-certificate="${issuedId}"]`).count() === 1 && await page.locator(`tr[data-certificate="${renewedId}"]`).count() === 1, "both are not listed");
  await shot("certificates-list-renewed");

  // export: files, modes, the chain as the page shows it
  const base = mkdtempSync(join(tmpdir(), "sslboard-export-"));
  const dir = join(base, "deploy");
  try {
    await page.goto(`${BASE}/certificates/${renewedId}`);
    const chain = await page.locator("#chain").textContent();
    await page.getByLabel("Directory").fill(dir);
    await page.getByLabel("Include the private key (privkey.pem)").check();
    await shot("certificate-export-filled");
    await page.getByRole("button", { name: "Export files" }).click();
    await page.waitForURL(`${BASE}/certificates/${renewedId}#export`);
    const n = await notice();
    assert(/Exported 4 file\(s\)/.test(n) && n.includes(`${dir}/privkey.pem (600)`), `export notice: ${n}`);
    assert((statSync(dir).mode & 0o777) === 0o700, `dir mode ${(statSync(dir).mode & 0o777).toString(8)}`);
    assert((statSync(join(dir, "privkey.pem")).mode & 0o777) === 0o600, "privkey.pem is not 0600");
    assert(readFileSync(join(dir, "fullchain.pem"), "utf8") === chain, "fullchain.pem is not the chain");
    assert(await page.locator("[data-deploy-to]").getAttribute("data-deploy-to") === dir, "deployTo not shown");
    await shot("certificate-exported");
    // the key in the file (positive control) is in no page, stream or download
    const keyPem = readFileSync(join(dir, "privkey.pem"), "utf8");
    assert(/BEGIN PRIVATE KEY/.test(keyPem), "privkey.pem holds no key");
    const keyBody = keyPem.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
    const cookie = await cookieHeader();
    for (const path of [`/certificates/${renewedId}`, `/certificates/${renewedId}/chain.pem`, "/certificates", `/certificates/${issuedId}`]) {
      const r = await raw("GET", path, { headers: { Host: HOSTPORT, Cookie: cookie } });
      assert(r.status === 200, `${path}: ${r.status}`);
      const flat = r.body.replace(/\s+/g, "");
      assert(!flat.includes(keyBody.slice(0, 40)) && !flat.includes(keyBody.slice(-40)), `${path} serves the exported key`);
    }
    // again without overwrite: refused next to the field, files untouched
    const before = statSync(join(dir, "cert.pem")).mtimeMs;
    await page.goto(`${BASE}/certificates/${renewedId}`);
    assert(await page.getByLabel("Directory").inputValue() === dir, "the last export's directory not offered");
    await page.getByLabel("Replace existing files").uncheck();
    await page.getByRole("button", { name: "Export files" }).click();
    assert(await page.locator('[data-field="overwrite"] [data-error-for="overwrite"]').count() === 1, `no error at overwrite: ${await page.locator("#export").textContent()}`);
    assert(await page.evaluate(() => document.activeElement && document.activeElement.id) === "e-overwrite", "focus not on the error");
    assert(statSync(join(dir, "cert.pem")).mtimeMs === before, "a refused export touched the files");
    await shot("certificate-export-error");
  } finally {
    rmSync(base, { recursive: true, force: true });
  }

  // revoke with a reason
  await page.goto(`${BASE}/certificates/${renewedId}`);
  await page.getByRole("link", { name: "Revoke…" }).click();
  assert((await page.locator("h1").textContent()).includes("Revoke the certificate"), "no confirmation page");
  await page.getByLabel("Reason").selectOption("superseded");
  await shot("certificate-revoke-confirm");
  await page.getByRole("button", { name: "Revoke certificate" }).click();
  await page.waitForURL(`${BASE}/certificates/${renewedId}`);
  assert(/revoked/.test(await notice()), await notice());
  assert(await page.locator("dd[data-status]").getAttribute("data-status") === "revoked", "status not revoked");
  assert(await page.getByRole("link", { name: "Revoke…" }).count() === 0 && await page.locator("#renew").count() === 0, "revoke/renew still offered");
  await shot("certificate-revoked");
  await page.goto(`${BASE}/certificates`);
  assert(await page.locator(`tr[data-certificate="${renewedId}"] [data-status]`).first().getAttribute("data-status") === "revoked", "list status");
});

await test("a failing issuance shows the CA's problem and suggestions, and offers the form again", async () => {
  const bad = `a_b.${ACME_SUFFIX}`;
  await issueForm(bad);
  await page.getByRole("button", { name: "Issue certificate" }).click();
  await watchRun(60000);
  const out = page.locator("#issue-run [data-outcome]");
  assert(await out.getAttribute("data-outcome") === "failure", "did not fail");
  assert(await out.getAttribute("data-failed-step") === "order", `failed step ${await out.getAttribute("data-failed-step")}`);
  assert(await out.locator('[data-problem="urn:ietf:params:acme:error:malformed"]').count() === 1, `no CA problem: ${await out.textContent()}`);
  assert((await out.textContent()).includes("_"), "the CA's detail is not shown");
  const sugg = await page.locator("#issue-run ul.suggestions li").allTextContents();
  assert(sugg.length > 0 && /underscore|malformed/i.test(sugg.join(" ")), `suggestions: ${sugg}`);
  await shot("certificate-issue-failure");
  await page.getByRole("link", { name: "Change the names and try again" }).click();
  assert(await page.getByLabel("Names").inputValue() === bad, "names not carried back to the form");
  assert(await page.getByLabel("ACME account").inputValue() === pebbleAccount, "account not carried back");
  // a form error stays next to its field, with focus on it
  await page.getByLabel("Names").fill("  ");
  await page.getByRole("button", { name: "Issue certificate" }).click();
  assert(await page.locator('[data-field="names"] [data-error-for="names"]').count() === 1, "no error next to Names");
  assert(await page.evaluate(() => document.activeElement && document.activeElement.id) === "c-names", "focus not on Names");
  await shot("certificate-new-error");
});

await test("a name no provider covers: the run shows the TXT record to add by hand, and succeeds once it is there", async () => {
  await manualZone();
  const name = `host.${MANUAL_ZONE}`;
  await issueForm(name);
  await page.getByRole("button", { name: "Issue certificate" }).click();
  await page.waitForURL(/\/certificates\/issue\/\d+$/);
  const rec = page.locator(`#issue-run tr[data-name="${name}"] [data-manual-record]`);
  await rec.waitFor({ timeout: 60000 });
  const recordName = (await rec.locator("[data-record-name]").textContent()).trim();
  const value = (await rec.locator("[data-record-value]").textContent()).trim();
  assert(recordName === `_acme-challenge.${name}`, `record name ${recordName}`);
  assert(/^[A-Za-z0-9_-]{43}$/.test(value), `record value ${value}`);
  assert((await page.locator(`#issue-run tr[data-name="${name}"] td[data-label="Provider"]`).textContent()).includes("by hand"), "provider cell does not say by hand");
  await shot("certificate-issue-manual");
  // the test plays the user: adds the record at the DNS host
  await setTxt(MANUAL_ZONE, recordName, [value]);
  try {
    await page.locator("#issue-run [data-outcome]").waitFor({ timeout: 150000 });
    assert(await page.locator("#issue-run [data-outcome]").getAttribute("data-outcome") === "success",
      `not issued: ${await page.locator("#issue-run").textContent()}`);
    assert(await page.locator("#issue-run [data-not-cleaned]").count() === 1, "no word about the record left to remove");
  } finally {
    await setTxt(MANUAL_ZONE, recordName, []);
  }
});

await test("without JavaScript an issuance is followed by the page reloading itself", async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: chromiumArgs });
  try {
    const ctx = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1280, height: 900 } });
    await ctx.addCookies(await context.cookies(BASE));
    const p = await ctx.newPage();
    p.setDefaultTimeout(15000);
    watch(p);
    await p.goto(`${BASE}/certificates/new`);
    await p.getByLabel("Names").fill(`nojs-${RUN}.${ACME_SUFFIX}`);
    await p.getByLabel("ACME account").selectOption(pebbleAccount);
    await p.getByRole("button", { name: "Issue certificate" }).click();
    await p.waitForURL(/\/certificates\/issue\/\d+$/);
    // no script: the outcome arrives through <noscript><meta refresh> reloads
    await p.locator("#issue-run[data-done=true] [data-outcome]").waitFor({ timeout: 150000 });
    assert(await p.locator("[data-outcome]").getAttribute("data-outcome") === "success", `not issued: ${await p.locator("#issue-run").textContent()}`);
    await p.screenshot({ path: join(OUT, "certificate-issue-nojs.png"), fullPage: true });
  } finally {
    await browser.close();
  }
});

// ---- workflows (after the issuance scenarios: a valid certificate exists) ----
/// A loopback HTTP receiver the workflow's http_request node calls: it
/// records each request and answers after a pause, so the run page is seen
/// while the node is running.
const hook = { seen: [], delayMs: 1500 };
const hookServer = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    hook.seen.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
    setTimeout(() => { res.writeHead(200, { "content-type": "text/plain" }); res.end("reloaded"); }, hook.delayMs);
  });
});
await new Promise((r) => hookServer.listen(0, "127.0.0.1", r));
const HOOK_PORT = hookServer.address().port;
const wfSecret = `wfkey_${RUN}`;
const wfName = `Deploy ${RUN}`;
const wfValue = canary("workflow");
let workflowId = null;
await page.addInitScript(() => {
  if (!/^\/workflows\/[^/]+\/runs\/\d+$/.test(location.pathname)) { return; }
  window.__wflive = [];
  window.__wfsteps = [];
  new MutationObserver(() => {
    const live = document.querySelector("#workflow-run [data-live]");
    const t = live && live.textContent;
    if (t && window.__wflive[window.__wflive.length - 1] !== t) { window.__wflive.push(t); }
    document.querySelectorAll("#workflow-run[data-done=false] li[data-step]").forEach((li) => {
      const s = `${li.dataset.step}=${li.dataset.status}`;
      if (!window.__wfsteps.includes(s)) { window.__wfsteps.push(s); }
    });
  }).observe(document, { subtree: true, childList: true, characterData: true });
});
/// Fills the add form: one http_request node (the header references the
/// secret), then an export_files node added on the server.
async function fillWorkflow(dir) {
  await page.goto(`${BASE}/workflows/new`);
  await page.locator("#wf-name").fill(wfName);
  await page.locator("#n0-name").fill("notify");
  await page.locator("#n0-method").selectOption("POST");
  await page.locator("#n0-url").fill(`http://127.0.0.1:${HOOK_PORT}/hook/{{certificate.id}}`);
  await page.locator("#n0-h0-name").fill("Authorization");
  await page.locator("#n0-h0-value").fill(`Bearer {{secrets.${wfSecret}.value}}`);
  await page.locator("#n0-body").fill("{{certificate.fullchainPem}}");
  await page.locator("#n0-expectStatus").fill("200");
  await page.getByRole("button", { name: "Add step: Export files" }).click();
  await page.locator("#node-1").waitFor();
  assert(await page.evaluate(() => document.activeElement && document.activeElement.id) === "n1-name", "focus not on the new step");
  assert(await page.locator("#n0-h0-value").inputValue() === `Bearer {{secrets.${wfSecret}.value}}`, "adding a step lost the header");
  assert(await page.locator("#n0-body").inputValue() === "{{certificate.fullchainPem}}", "adding a step lost the body");
  await page.locator("#n1-name").fill("files");
  await page.locator("#n1-dir").fill(dir);
}

await test("workflows: a missing secret is shown at its node, field and character; fixed with allowedHosts; Run now live to success; past runs; the receiver got the value; export files written; delete", async () => {
  const base = mkdtempSync(join(tmpdir(), "sslboard-wf-"));
  const dir = join(base, "deploy");
  try {
    await page.goto(`${BASE}/workflows`);
    assert(await page.locator('nav a[href="/workflows"][aria-current="page"]').count() === 1, "no Workflows entry in the navigation");
    assert((await page.locator("#empty").textContent()).includes("No workflows yet"), "no empty state");
    await shot("workflows-empty");
    await page.goto(`${BASE}/workflows/new`);
    await shot("workflow-new");

    // 1. The secret does not exist yet: refused at its node, field and offset.
    await fillWorkflow(dir);
    await shot("workflow-new-two-steps");
    // Enter in a text input saves (not the first step button of the form).
    await page.locator("#wf-name").press("Enter");
    const err = page.locator('#node-0 [data-error-for="headers.Authorization"]');
    await err.waitFor();
    const msg = (await err.locator("p.error").textContent()).trim();
    assert(msg === `at character 8: secret \`${wfSecret}\` does not exist`, `error at the header: ${msg}`);
    assert(await page.locator("#n0-h0-value").getAttribute("aria-invalid") === "true", "the header value is not marked invalid");
    assert(await page.locator("#node-0").getAttribute("data-invalid") === "true", "the step is not marked");
    const caret = await err.locator("[data-caret]").textContent();
    const [shown, mark] = caret.split("\n");
    assert(shown.startsWith("Bearer {{secrets.") && mark === " ".repeat(7) + "^", `caret: ${JSON.stringify(caret)}`);
    assert(await page.evaluate(() => document.activeElement && document.activeElement.id) === "n0-h0-value", "focus not on the field in error");
    assert(await page.locator("#node-1").count() === 1 && await page.locator("#n0-h1-name").count() === 0, "Enter changed the steps instead of saving");
    const summary = await page.locator("#workflow-problems").textContent();
    assert(summary.includes(`header Authorization at character 8: secret \`${wfSecret}\` does not exist`), `summary: ${summary}`);
    assert(await page.locator("#n1-dir").inputValue() === dir && await page.locator("#n0-url").inputValue().then((u) => u.includes("{{certificate.id}}")), "the form lost what was typed");
    await shot("workflow-error-offset");
    // Check lists the same problem without saving.
    await page.getByRole("button", { name: "Check references" }).click();
    assert(await page.locator("#check-result").getAttribute("data-check") === "problems", "Check found no problem");
    assert(await page.locator('#node-0 [data-error-for="headers.Authorization"]').count() === 1, "Check did not place the problem");
    await page.goto(`${BASE}/workflows`);
    assert(await page.locator("tr[data-workflow]").count() === 0, "a refused workflow was saved");

    // 2. The secret, with the receiver's host allowed.
    await page.goto(`${BASE}/secrets/new?type=api_key`);
    await page.getByLabel("Name", { exact: true }).fill(wfSecret);
    await page.locator('fieldset[data-value="api_key"]').getByLabel("API key").fill(wfValue);
    await page.getByLabel("Allowed hosts").fill("127.0.0.1\nhooks.example.test");
    await shot("secret-new-allowed-hosts");
    await page.getByRole("button", { name: "Save secret" }).click();
    await page.waitForURL(`${BASE}/secrets`);
    await page.locator(`tr[data-secret="${wfSecret}"]`).getByRole("link", { name: `Edit ${wfSecret}` }).click();
    const hosts = await page.locator("[data-allowed-hosts]").textContent();
    assert(hosts.includes("127.0.0.1") && hosts.includes("hooks.example.test"), `allowed hosts on the details: ${hosts}`);
    assert(await page.getByLabel("Allowed hosts").inputValue() === "127.0.0.1\nhooks.example.test", "the value form does not start from the current hosts");
    assert((await page.locator("#v-hosts-hint").textContent()).includes("needs the value again"), "the form does not say a new list needs the value");
    await shot("secret-allowed-hosts");
    // A new list without the value: refused, the list unchanged.
    await page.getByLabel("Allowed hosts").fill("127.0.0.1");
    await page.getByRole("button", { name: "Replace value" }).click();
    assert(await page.locator('#value-form [aria-invalid="true"]').count() + await page.locator("[data-form-error]").count() >= 1, "a new list without the value was not refused");
    assert(await page.getByLabel("Allowed hosts").inputValue() === "127.0.0.1", "the typed list was lost");
    assert((await page.locator("[data-allowed-hosts]").textContent()).includes("hooks.example.test"), "the list changed without the value");
    await shot("secret-allowed-hosts-refused");
    // With the value: the list is replaced.
    await page.locator('fieldset[data-value="api_key"]').getByLabel("API key").fill(wfValue);
    await page.getByRole("button", { name: "Replace value" }).click();
    await page.waitForURL(/\/secrets\/sec_[0-9a-f]+\/edit$/);
    const now = (await page.locator("[data-allowed-hosts]").textContent()).trim();
    assert(now === "127.0.0.1", `allowed hosts after the change: ${now}`);

    // 3. The same workflow again: Check finds the reference, Save saves.
    await fillWorkflow(dir);
    await page.getByRole("button", { name: "Check references" }).click();
    assert(await page.locator("#check-result").getAttribute("data-check") === "ok", `check: ${await page.locator("#check-result").textContent()}`);
    assert(await page.locator(`#references tr[data-reference="${wfSecret}"]`).count() === 1, "the reference is not listed");
    await shot("workflow-check-ok");
    await page.getByRole("button", { name: "Save workflow" }).click();
    await page.waitForURL(/\/workflows\/wf_[0-9a-f]+$/);
    workflowId = page.url().split("/").pop();
    assert((await notice()).includes(`Workflow ${wfName} saved (2 step(s), 1 secret reference(s))`), await notice());
    assert((await page.locator("[data-references]").textContent()).includes(`{{secrets.${wfSecret}.value}}`), "references not shown");
    assert(await page.locator("#runs article[data-run]").count() === 0, "runs before any run");
    await shot("workflow-details");

    // 4. Run now against a certificate: live progress, then the result.
    const certId = await page.locator("#r-cert").inputValue();
    assert(/^cert_/.test(certId), `no certificate offered: ${certId}`);
    const seenBefore = hook.seen.length;
    await page.getByRole("button", { name: "Run now" }).click();
    await page.waitForURL(/\/workflows\/wf_[0-9a-f]+\/runs\/\d+$/);
    const runUrl = page.url();
    await page.locator('#workflow-run[data-done=false] li[data-step="notify"][data-status="running"]').waitFor({ timeout: 20000 });
    assert(await page.locator("#run-progress").count() === 1, "no progress bar while running");
    await shot("workflow-run-running");
    await page.locator("#workflow-run [data-outcome]").waitFor({ timeout: 60000 });
    const live = await page.evaluate(() => window.__wflive || []);
    const steps = await page.evaluate(() => window.__wfsteps || []);
    assert(await page.locator("#workflow-run [data-outcome]").getAttribute("data-outcome") === "success", `run: ${await page.locator("#workflow-run").textContent()}`);
    assert(live.some((l) => l.startsWith("notify: running")) && live.some((l) => l.startsWith("notify: succeeded")), `live: ${JSON.stringify(live)}`);
    assert(steps.includes("notify=running"), `steps seen while running: ${steps}`);
    const row = (n) => page.locator(`#workflow-run .run-nodes tr[data-node="${n}"]`);
    assert(await row("notify").getAttribute("data-status") === "succeeded" && await row("files").getAttribute("data-status") === "succeeded", "a step did not succeed");
    assert((await row("notify").locator("[data-http-status]").textContent()).trim() === "200", "HTTP status not shown");
    assert(await page.evaluate(() => document.activeElement && document.activeElement.dataset.outcome) === "success", "focus not on the outcome");
    await shot("workflow-run-success");
    // The receiver got the value and the chain; the files are there.
    assert(hook.seen.length === seenBefore + 1, `the receiver got ${hook.seen.length - seenBefore} request(s)`);
    const got = hook.seen[hook.seen.length - 1];
    assert(got.method === "POST" && got.url === `/hook/${certId}`, `request: ${got.method} ${got.url}`);
    assert(got.headers.authorization === `Bearer ${wfValue}`, "the receiver did not get the secret's value");
    const chain = await raw("GET", `/certificates/${certId}/chain.pem`, { headers: { Host: HOSTPORT, Cookie: await cookieHeader() } });
    assert(chain.status === 200 && got.body === chain.body && got.body.includes("BEGIN CERTIFICATE"), "the body is not the certificate's chain");
    for (const f of ["fullchain.pem", "cert.pem", "chain.pem"]) {
      assert(statSync(join(dir, f)).isFile(), `${f} not written`);
    }
    assert(readFileSync(join(dir, "fullchain.pem"), "utf8") === chain.body, "fullchain.pem is not the chain");
    assert(!existsSync(join(dir, "privkey.pem")), "privkey.pem written without includeKey");
    // The event stream: replayed, canary-free.
    const sse = await raw("GET", new URL(runUrl).pathname + "/events", { headers: { Host: HOSTPORT, Cookie: await cookieHeader() } });
    assert(sse.status === 200 && sse.body.includes("event: progress") && sse.body.includes("event: result") && sse.body.includes('"success":true'), "stream lacks progress/result");
    scanText("workflow events", sse.body);

    // 5. Past runs, newest first, each with its steps.
    await page.goto(`${BASE}/workflows/${workflowId}`);
    const runs = page.locator("#runs article[data-run]");
    assert(await runs.count() === 1 && await runs.first().getAttribute("data-success") === "true", "the run is not in past runs");
    assert(await runs.first().locator('tr[data-node="notify"][data-status="succeeded"]').count() === 1, "the run's steps are not shown");
    await shot("workflow-runs");
    // A failing run: the receiver's host taken off the URL's allowed list is
    // not possible without the value, so break the request instead.
    hook.delayMs = 0;
    await page.goto(`${BASE}/workflows/${workflowId}/edit`);
    await page.locator("#n0-expectStatus").fill("204");
    await page.locator("#wf-enabled").uncheck();
    await page.getByRole("button", { name: "Save workflow" }).click();
    await page.waitForURL(`${BASE}/workflows/${workflowId}`);
    await page.getByRole("button", { name: "Run now" }).click();
    await page.locator("#workflow-run [data-outcome]").waitFor({ timeout: 60000 });
    assert(await page.locator("#workflow-run [data-outcome]").getAttribute("data-outcome") === "failure", "a 200 where 204 is expected did not fail");
    assert(await row("files").getAttribute("data-status") === "skipped", "the step after a failed one was not skipped");
    assert((await row("notify").locator("[data-node-error]").textContent()).length > 0, "no error for the failed step");
    await shot("workflow-run-failed");
    await page.goto(`${BASE}/workflows/${workflowId}`);
    assert(await runs.count() === 2 && await runs.first().getAttribute("data-success") === "false", "newest run not first");

    // 6. The list, then delete with confirmation.
    await page.goto(`${BASE}/workflows`);
    const listed = page.locator(`tr[data-workflow="${workflowId}"]`);
    assert(await listed.locator("[data-steps]").textContent() === "2", "steps");
    assert(await listed.locator("[data-enabled]").getAttribute("data-enabled") === "false", "not shown disabled");
    assert(await listed.locator("[data-run-status]").getAttribute("data-run-status") === "failed", "last run status");
    await shot("workflows-list");
    for (const [w, h] of [[390, 844], [1280, 900]]) {
      await page.setViewportSize({ width: w, height: h });
      for (const path of ["/workflows", `/workflows/${workflowId}`, `/workflows/${workflowId}/edit`]) {
        await page.goto(`${BASE}${path}`);
        const sw = await page.evaluate(() => document.documentElement.scrollWidth);
        assert(sw <= w, `${path} at ${w}px scrolls sideways (${sw}px)`);
        const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
          .filter((e) => !e.labels || e.labels.length === 0).map((e) => e.name || e.id));
        assert(unlabelled.length === 0, `${path}: unlabelled ${unlabelled}`);
      }
    }
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE}/workflows/${workflowId}/edit`);
    await shot("workflow-edit-390");
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${BASE}/workflows`);
    await listed.getByRole("link", { name: `Delete ${wfName}` }).click();
    assert((await page.locator("h1").textContent()).includes(`Delete workflow ${wfName}`), "no confirmation page");
    await shot("workflow-delete-confirm");
    await page.getByRole("button", { name: "Delete workflow" }).click();
    await page.waitForURL(`${BASE}/workflows`);
    assert((await notice()).includes(`Workflow ${wfName} and its runs deleted`), await notice());
    assert(await page.locator(`tr[data-workflow="${workflowId}"]`).count() === 0, "still listed");
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

await test("delete a certificate with confirmation", async () => {
  assert(issuedId, "no certificate (the issue scenario failed)");
  await page.goto(`${BASE}/certificates`);
  const before = await page.locator("tr[data-certificate]").count();
  await page.locator(`tr[data-certificate="${issuedId}"]`).getByRole("link", { name: /^Delete / }).click();
  assert((await page.locator("h1").textContent()).includes("Delete the certificate"), "no confirmation page");
  await shot("certificate-delete-confirm");
  await page.getByRole("button", { name: "Delete certificate" }).click();
  await page.waitForURL(`${BASE}/certificates`);
  assert(/and its key deleted/.test(await notice()), await notice());
  assert(await page.locator(`tr[data-certificate="${issuedId}"]`).count() === 0, "still listed");
  assert(await page.locator("tr[data-certificate]").count() === before - 1, "another certificate went too");
});

await test("ACME pages: keyboard and labels; 1280 px and 390 px without horizontal scrolling", async () => {
  const certs = await page.goto(`${BASE}/certificates`).then(() => page.locator("tr[data-certificate]").evaluateAll((rs) => rs.map((r) => r.dataset.certificate)));
  const paths = [["/accounts", "accounts"], ["/accounts/new", "account-new"], ["/accounts/new?type=custom", "account-new-custom-form"],
    ["/certificates", "certificates"], ["/certificates/new", "certificate-new-form"]];
  if (certs.length) { paths.push([`/certificates/${certs[0]}`, "certificate-details-page"]); }
  for (const [path] of paths) {
    await page.goto(`${BASE}${path}`);
    await page.keyboard.press("Tab");
    assert(await page.evaluate(() => document.activeElement && document.activeElement.className) === "skip", `${path}: first Tab`);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
      .filter((e) => !e.labels || e.labels.length === 0).map((e) => e.name || e.id));
    assert(unlabelled.length === 0, `${path}: unlabelled ${unlabelled}`);
  }
  // the issue form by keyboard alone: fill, Tab to the button, Enter
  await page.goto(`${BASE}/certificates/new`);
  await page.getByLabel("Names").focus();
  await page.keyboard.type(`a_b.kbd.${ACME_SUFFIX}`);
  for (let i = 0; i < 3; i++) { await page.keyboard.press("Tab"); }
  assert(await page.evaluate(() => document.activeElement && document.activeElement.textContent) === "Issue certificate", "Tab order does not reach the button");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/certificates\/issue\/\d+$/);
  await page.locator("#issue-run [data-outcome]").waitFor({ timeout: 60000 });
  for (const [w, h] of [[1280, 900], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    for (const [path, name] of [...paths, [new URL(page.url()).pathname, "certificate-run"]]) {
      await page.goto(`${BASE}${path}`);
      const sw = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(sw <= w, `${path} at ${w}px scrolls sideways (${sw}px)`);
      await shot(`${name}-${w}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

page.setDefaultTimeout(15000);

await test("keyboard and labels: skip link first, every control labelled", async () => {
  for (const path of ["/secrets", "/secrets/new", "/secrets/new?type=oauth", "/secrets/new?type=custom", "/providers", "/providers/new", "/providers/new?type=route53", "/welcome"]) {
    await page.goto(`${BASE}${path}`);
    await page.keyboard.press("Tab");
    const first = await page.evaluate(() => document.activeElement && document.activeElement.className);
    assert(first === "skip", `${path}: first Tab lands on ${first}`);
    const unlabelled = await page.evaluate(() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
      .filter((e) => !e.labels || e.labels.length === 0).map((e) => e.name || e.id));
    assert(unlabelled.length === 0, `${path}: unlabelled ${unlabelled}`);
  }
  // submit the filter form by keyboard alone
  await page.goto(`${BASE}/secrets`);
  await page.getByLabel("Tag").focus();
  await page.keyboard.type("staging");
  await page.keyboard.press("Enter");
  await page.waitForURL(/tag=staging/);
  assert(await page.locator(`tr[data-secret="${names.basic}"]`).count() === 1, "keyboard filter");
});

await test("layouts at 1280 px and 390 px have no horizontal scrolling", async () => {
  for (const [w, h] of [[1280, 900], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    for (const [path, name] of [["/secrets", "secrets"], ["/secrets/new", "secret-new"], ["/secrets/new?type=oauth", "secret-new-oauth-form"], ["/providers", "providers"], ["/providers/new", "provider-new"], ["/providers/new?type=rfc2136", "provider-new-rfc2136-form"], ["/welcome", "welcome"]]) {
      await page.goto(`${BASE}${path}`);
      const sw = await page.evaluate(() => document.documentElement.scrollWidth);
      assert(sw <= w, `${path} at ${w}px scrolls sideways (${sw}px)`);
      await shot(`${name}-${w}`);
    }
  }
  await page.setViewportSize({ width: 1280, height: 900 });
});

await test("refusals: no cookie, foreign Host, foreign Origin, no CSRF token", async () => {
  const host = HOSTPORT;
  const cookie = await cookieHeader();
  const token = await csrf();
  const form = `_csrf=${token}&name=refused_${RUN}&type=api_key&data.api_key.value=${canary("refused")}`;
  const post = (headers, body = form) => raw("POST", "/secrets", { headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers }, body });
  assert((await raw("GET", "/secrets", { headers: { Host: host } })).status === 401, "no cookie");
  assert((await raw("GET", "/secrets", { headers: { Host: `evil.example:${PORT}`, Cookie: cookie } })).status === 421, "foreign Host");
  assert((await post({ Host: host, Cookie: cookie, Origin: "http://evil.example" })).status === 403, "foreign Origin");
  assert((await post({ Host: host, Cookie: cookie })).status === 403, "no Origin");
  assert((await post({ Host: host, Cookie: cookie, Origin: BASE }, form.replace(/^_csrf=[0-9a-f]+&/, ""))).status === 403, "no CSRF token");
  assert((await post({ Host: host, Cookie: cookie, Origin: BASE }, form.replace(/^_csrf=([0-9a-f])/, (_, c) => `_csrf=${c === "0" ? "1" : "0"}`))).status === 403, "wrong CSRF token");
  const fromPage = await page.evaluate(async () => { const r = await fetch("/vault/lock", { method: "POST" }); await r.text(); return r.status; });
  assert(fromPage === 403, `same-origin POST without a CSRF token gave ${fromPage}`);
  const ok = await post({ Host: host, Cookie: cookie, Origin: BASE });
  assert(ok.status === 303, `the same request with everything right gave ${ok.status}`);
});

await test("axe-core: zero serious or critical violations on every page and form state", async () => {
  // States not screenshotted above.
  for (const path of ["/secrets?type=basic_auth", "/providers?hostname=www.example.test"]) {
    await page.goto(`${BASE}${path}`);
    await axe(path);
  }
  assert(axeResults.length >= (ONLY ? 1 : 30), `only ${axeResults.length} states were checked`);
  // The checker finds what it looks for: a page with a label-less input fails.
  await page.goto(`${BASE}/welcome`);
  await page.evaluate(() => { const i = document.createElement("input"); i.type = "text"; document.querySelector("main").append(i); });
  const control = serious(await axe("method-check"));
  axeResults.pop();
  assert(control.some((v) => v.id === "label"), "axe did not flag an unlabelled input (method check)");
  const bad = axeResults.flatMap((r) => serious(r.violations).map((v) => `${r.state}: ${v.impact} ${v.id} (${v.help}) at ${v.targets.join(", ")}`));
  const minor = axeResults.reduce((n, r) => n + r.violations.length, 0);
  console.log(`     axe checked ${axeResults.length} states; ${minor} violation(s) in all, ${bad.length} serious or critical`);
  assert(bad.length === 0, bad.join("\n"));
}, { always: true });

await test("no canary in any served byte; no CSP or script errors", async () => {
  await Promise.all(scans);
  // Bodies the browser never handed over (event streams): fetch them again raw.
  for (const u of unread) {
    assert(u.endsWith("/events"), `could not read the body of ${u}`);
    const r = await raw("GET", new URL(u).pathname, { headers: { Host: HOSTPORT, Cookie: await cookieHeader() } });
    scanned++;
    scanText(u, r.body);
  }
  assert(scanned > (ONLY ? 5 : 50), `only ${scanned} responses were scanned`);
  assert(leaks.length === 0, leaks.join("\n"));
  const bad = pageErrors.filter((e) => !/status of (4\d\d)/.test(e));
  assert(bad.length === 0, `page errors: ${bad.join("\n")}`);
  console.log(`     scanned ${scanned} responses`);
}, { always: true });

await context.close();
r53Server.close();
hookServer.close();
rmSync(profile, { recursive: true, force: true });
if (left) { console.log(`${left} scenario(s) left out by SSLBOARD_WEB_ONLY=${process.env.SSLBOARD_WEB_ONLY}`); }
console.log(`web-e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
