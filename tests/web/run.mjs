// End-to-end tests of `ui-bridge web` in Debian's Chromium (playwright-core,
// no browser download). scripts/web-test starts the server and passes:
//   SSLBOARD_WEB_URL            the login URL ui-bridge printed
//   SSLBOARD_TEST_PDNS_API      PowerDNS API (zone example.test exists)
//   SSLBOARD_TEST_PDNS_API_KEY  its key (a canary too: it must never be served)
//   SSLBOARD_WEB_OUT            where screenshots go
// Every response the browser receives is scanned for the canary values.
// Prints one line per test and `web-e2e: N passed, N failed` at the end.
import { chromium } from "playwright-core";
import { mkdirSync, rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import { randomBytes } from "node:crypto";

const LOGIN = need("SSLBOARD_WEB_URL");
const PDNS_API = need("SSLBOARD_TEST_PDNS_API");
const PDNS_KEY = need("SSLBOARD_TEST_PDNS_API_KEY");
const OUT = process.env.SSLBOARD_WEB_OUT || "test-output/web";
const BASE = new URL(LOGIN).origin;
const PORT = new URL(LOGIN).port;
const HOSTPORT = new URL(LOGIN).host; // sslboard-<random>.localhost:PORT
const RUN = randomBytes(4).toString("hex");
const C = "CANARY" + randomBytes(6).toString("hex");
const canary = (f) => `${C}x${f}`;
const CANARIES = () => [C, PDNS_KEY];

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

// ---- canary scan of every response, CSP and script errors ----
const scans = [];
let scanned = 0;
const leaks = [];
const pageErrors = [];
const unread = [];
function scanText(where, text) {
  for (const c of CANARIES()) {
    if (text.includes(c)) { leaks.push(`${where} contains ${c === PDNS_KEY ? "the PowerDNS key" : "a canary"}`); }
  }
}
// The scanner finds what it looks for (negative control).
scanText("self-check", `xx${canary("selfcheck")}xx ${PDNS_KEY}`);
if (leaks.length !== 2) { console.error("canary scanner self-check failed"); process.exit(2); }
leaks.length = 0;
page.on("response", (r) => {
  if (!r.url().startsWith(BASE)) { return; }
  const status = r.status();
  const read = r.body().then((b) => { scanned++; scanText(r.url(), b.toString("latin1")); return true; })
    .catch(() => true); // redirects have no body
  const late = new Promise((res) => setTimeout(res, 8000, false));
  scans.push(Promise.race([read, late]).then((ok) => {
    if (!ok && !(status >= 300 && status < 400)) { unread.push(r.url()); }
  }));
});
page.on("console", (m) => { if (m.type() === "error") { pageErrors.push(m.text()); } });
page.on("pageerror", (e) => pageErrors.push(String(e)));

// ---- tiny runner ----
let passed = 0;
let failed = 0;
async function test(name, fn) {
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
async function shot(name) { await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true }); }
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
function pem() {
  let body = canary("pem") + "A".repeat(40);
  while (body.length % 4) { body += "A"; }
  return `-----BEGIN PRIVATE KEY-----\n${body}\n-----END PRIVATE KEY-----\n`;
}
function soon(days) { return new Date(Date.now() + days * 86400e3).toISOString().replace(/\.\d+Z$/, "Z"); }

async function addSecret(name, type, kind, fill, extra = {}) {
  await page.goto(`${BASE}/secrets/new`);
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Kind").selectOption(kind);
  await page.getByLabel("Type", { exact: true }).selectOption(type);
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
  assert(page.url() === `${BASE}/secrets`, `landed on ${page.url()}`);
  const [c] = await context.cookies(BASE);
  assert(c && c.httpOnly && c.sameSite === "Strict", `cookie ${JSON.stringify(c && { ...c, value: "…" })}`);
  assert(["locked", "unlocked"].includes(await vaultState()), "no vault state in the header");
  const again = await raw("GET", new URL(LOGIN).pathname + new URL(LOGIN).search, { headers: { Host: HOSTPORT } });
  assert(again.status === 403, `second login gave ${again.status}`);
  const csp = (await page.request.get(`${BASE}/secrets`)).headers()["content-security-policy"] || "";
  assert(csp.includes("default-src 'none'") && csp.includes("script-src 'self'"), `CSP: ${csp}`);
});

await test("the session cookie stays with this launch's host name; other local servers never get it", async () => {
  assert(/^sslboard-[0-9a-f]{16}\.localhost$/.test(new URL(LOGIN).hostname), `login URL host ${new URL(LOGIN).hostname}`);
  const [ours] = await context.cookies(BASE);
  assert(ours && ours.name.startsWith("sslboard_session"), "method check: the browser holds no session cookie");
  assert(!ours.domain.startsWith("."), `cookie is not host-only: ${ours.domain}`);
  const seen = [];
  const srv = http.createServer((req, res) => { seen.push(req.headers.cookie || ""); res.end("another local server"); });
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
  assert(seen.length === 3, `the other server saw ${seen.length} requests`);
  assert(seen.every((c) => !c.includes("sslboard_session")), `another local server received the session cookie: ${seen}`);
  // the page still works with its cookie
  await page.goto(`${BASE}/secrets`);
  assert(["locked", "unlocked"].includes(await vaultState()), "session lost");
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
    await fs.getByLabel("Private key (PEM)").fill(pem());
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
});

await test("core errors appear next to their field; secret inputs come back empty", async () => {
  await page.goto(`${BASE}/secrets/new`);
  await page.getByLabel("Name", { exact: true }).fill("bad name!");
  await page.getByLabel("Type", { exact: true }).selectOption("api_key");
  await page.locator('fieldset[data-value="api_key"]').getByLabel("API key").fill(canary("rejected"));
  await page.getByLabel("Label").fill("kept label");
  await page.getByRole("button", { name: "Save secret" }).click();
  const err = page.locator('[data-field="name"] [data-error-for="name"]');
  assert(await err.count() === 1, "no error next to the name");
  assert((await page.getByLabel("Name", { exact: true }).getAttribute("aria-invalid")) === "true", "name not marked invalid");
  assert(await page.getByLabel("Label").inputValue() === "kept label", "label not kept");
  for (const input of await page.locator("[data-secret-input]").all()) {
    assert((await input.inputValue()) === "", "a secret input was filled back in");
  }
  await shot("secret-error-next-to-field");
  await page.getByLabel("Name", { exact: true }).fill(`expiry_${RUN}`);
  await page.getByLabel("Type", { exact: true }).selectOption("bearer_token");
  const fs = page.locator('fieldset[data-value="bearer_token"]');
  await fs.getByLabel("Token").fill(canary("rejected2"));
  await fs.getByLabel("Expires at").fill("next tuesday");
  await page.getByRole("button", { name: "Save secret" }).click();
  assert(await page.locator('[data-field="data.expiresAt"] [data-error-for="data.expiresAt"]').count() === 1, "no error next to Expires at");
  await page.getByLabel("Name", { exact: true }).fill(names.api);
  await page.getByLabel("Type", { exact: true }).selectOption("api_key");
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
  const before = await page.locator("#secret-details").textContent();
  await page.locator("#value-form").getByLabel("API key").fill(canary("apikey2"));
  await page.getByRole("button", { name: "Replace value" }).click();
  const n = await notice();
  assert(n.includes("value replaced (value: set)"), n);
  assert(page.url() === `${BASE}/secrets/${ref}/edit`, `reference changed: ${page.url()}`);
  const after = await page.locator("#secret-details").textContent();
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
  await page.goto(`${BASE}/providers/new`);
  await page.getByLabel("Provider type").selectOption(type);
  await page.getByLabel("Label").fill(label);
  await page.getByLabel("Domain suffixes").fill(suffixes);
  if (token !== null) { await page.locator("#p-token").fill(token); }
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

await test("deleting a provider deletes its token secret", async () => {
  await page.goto(`${BASE}/secrets?kind=dns_provider_token`);
  const before = await page.locator("tr[data-secret]").count();
  assert(before >= 2, `expected provider tokens, found ${before}`);
  assert((await page.locator("tr[data-secret]").first().textContent()).includes("managed by its provider"), "owned token is editable");
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

await test("keyboard and labels: skip link first, every control labelled", async () => {
  for (const path of ["/secrets", "/secrets/new", "/providers", "/providers/new"]) {
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
    for (const [path, name] of [["/secrets", "secrets"], ["/secrets/new", "secret-new"], ["/providers", "providers"], ["/providers/new", "provider-new"]]) {
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
  assert((await post({ Host: host, Cookie: cookie, Origin: BASE }, form.replace(/^_csrf=[0-9a-f]/, "_csrf=0"))).status === 403, "wrong CSRF token");
  const fromPage = await page.evaluate(async () => { const r = await fetch("/vault/lock", { method: "POST" }); await r.text(); return r.status; });
  assert(fromPage === 403, `same-origin POST without a CSRF token gave ${fromPage}`);
  const ok = await post({ Host: host, Cookie: cookie, Origin: BASE });
  assert(ok.status === 303, `the same request with everything right gave ${ok.status}`);
});

await test("no canary in any served byte; no CSP or script errors", async () => {
  await Promise.all(scans);
  // Bodies the browser never handed over (event streams): fetch them again raw.
  for (const u of unread) {
    assert(u.endsWith("/events"), `could not read the body of ${u}`);
    const r = await raw("GET", new URL(u).pathname, { headers: { Host: HOSTPORT, Cookie: await cookieHeader() } });
    scanned++;
    scanText(u, r.body);
  }
  assert(scanned > 50, `only ${scanned} responses were scanned`);
  assert(leaks.length === 0, leaks.join("\n"));
  const bad = pageErrors.filter((e) => !/status of (4\d\d)/.test(e));
  assert(bad.length === 0, `page errors: ${bad.join("\n")}`);
  console.log(`     scanned ${scanned} responses`);
});

await context.close();
rmSync(profile, { recursive: true, force: true });
console.log(`web-e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
