//! The web transport's gate, from outside, over real HTTP against a real
//! `ui-bridge web` tree: the one-time login, the cookie's attributes, and
//! the refusals — no or wrong cookie, foreign Host (DNS rebinding), foreign
//! or missing Origin, missing or wrong CSRF token, cross-site fetches,
//! other methods — plus the security headers on every answer, and that no
//! secret value comes back in any page or in the Test Connection stream.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use reqwest::blocking::{Client, Response};
use reqwest::header::{HeaderMap, HeaderValue};
use sslboard_tests::tree::{KeySource, TreeOptions};
use sslboard_tests::web::WebTree;
use sslboard_tests::{dns, random_hex, required_env};

struct Session {
    web: WebTree,
    client: Client,
    cookie: String,
    csrf: String,
    _dir: tempfile::TempDir,
}

fn client(web: &WebTree) -> Client {
    web.client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .build()
        .unwrap()
}

fn start(extra_env: &[(&str, String)]) -> (tempfile::TempDir, WebTree) {
    start_with(KeySource::random_env(), extra_env)
}

fn start_with(key: KeySource, extra_env: &[(&str, String)]) -> (tempfile::TempDir, WebTree) {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = TreeOptions::new(dir.path(), key);
    for (k, v) in extra_env {
        opts.extra_env.push((k.to_string(), v.clone()));
    }
    let web = WebTree::start(opts);
    (dir, web)
}

fn csrf_of(html: &str) -> String {
    let marker = r#"<meta name="csrf-token" content=""#;
    let at = html.find(marker).expect("csrf meta") + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

fn login(extra_env: &[(&str, String)]) -> Session {
    login_with(KeySource::random_env(), extra_env)
}

fn login_with(key: KeySource, extra_env: &[(&str, String)]) -> Session {
    let (dir, web) = start_with(key, extra_env);
    let client = client(&web);
    let r = client.get(&web.login_url).send().unwrap();
    assert_eq!(r.status(), 303, "login");
    assert_eq!(r.headers()["location"], "/");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    let lower = set.to_ascii_lowercase();
    assert!(lower.contains("httponly"), "{set}");
    assert!(lower.contains("samesite=strict"), "{set}");
    assert!(lower.contains("path=/"), "{set}");
    let cookie = set.split(';').next().unwrap().to_string();
    assert!(
        cookie.starts_with(&format!("sslboard_session_{}=", web.port)),
        "{cookie}"
    );
    let page = client
        .get(format!("{}/welcome", web.base))
        .header("cookie", &cookie)
        .send()
        .unwrap();
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&page.text().unwrap());
    Session {
        web,
        client,
        cookie,
        csrf,
        _dir: dir,
    }
}

impl Session {
    fn get(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        let mut h = HeaderMap::new();
        h.insert("cookie", HeaderValue::from_str(&self.cookie).unwrap());
        for (k, v) in headers {
            h.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        self.client
            .get(format!("{}{path}", self.web.base))
            .headers(h)
            .send()
            .unwrap()
    }

    /// A form POST with the given extra headers (cookie included unless overridden).
    fn post(&self, path: &str, body: &str, headers: &[(&str, &str)]) -> Response {
        let mut h = HeaderMap::new();
        h.insert("cookie", HeaderValue::from_str(&self.cookie).unwrap());
        h.insert(
            "content-type",
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        );
        for (k, v) in headers {
            h.insert(
                reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        self.client
            .post(format!("{}{path}", self.web.base))
            .headers(h)
            .body(body.to_string())
            .send()
            .unwrap()
    }

    fn origin(&self) -> String {
        self.web.base.clone()
    }

    fn secret_form(&self, name: &str, value: &str, csrf: Option<&str>) -> String {
        let mut q = url_encode(&[
            ("name", name),
            ("type", "api_key"),
            ("kind", "generic"),
            ("data.api_key.value", value),
        ]);
        if let Some(c) = csrf {
            q = format!("_csrf={c}&{q}");
        }
        q
    }
}

fn url_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn assert_secure_headers(r: &Response, what: &str) {
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap();
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{what}: CSP {csp} lacks {part}");
    }
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["cache-control"], "no-store", "{what}");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert!(h.contains_key("referrer-policy"), "{what}");
}

#[test]
fn login_token_works_once_and_wrong_tokens_are_refused() {
    let (_dir, web) = start(&[]);
    let c = client(&web);
    let base = &web.base;
    for bad in [
        "/login",
        "/login?token=",
        "/login?token=00",
        &format!("/login?token={}", "0".repeat(64)),
    ] {
        let r = c.get(format!("{base}{bad}")).send().unwrap();
        assert_eq!(r.status(), 403, "{bad}");
        assert!(r.headers().get("set-cookie").is_none(), "{bad}");
        assert_secure_headers(&r, bad);
    }
    let r = c.get(&web.login_url).send().unwrap();
    assert_eq!(r.status(), 303);
    let again = c.get(&web.login_url).send().unwrap();
    assert_eq!(again.status(), 403, "the launch token worked twice");
    assert!(again.headers().get("set-cookie").is_none());
}

#[test]
fn requests_without_a_valid_session_are_refused() {
    let s = login(&[]);
    for path in [
        "/secrets",
        "/",
        "/providers",
        "/secrets/new",
        "/nope",
        &format!("/providers/dns_prov_{}/test/1/events", random_hex(16)),
    ] {
        let r = s
            .client
            .get(format!("{}{path}", s.web.base))
            .send()
            .unwrap();
        assert_eq!(r.status(), 401, "no cookie: {path}");
        assert_secure_headers(&r, path);
        let wrong = format!("sslboard_session_{}={}", s.web.port, random_hex(32));
        let r = s
            .client
            .get(format!("{}{path}", s.web.base))
            .header("cookie", wrong)
            .send()
            .unwrap();
        assert_eq!(r.status(), 401, "wrong cookie: {path}");
    }
    // Assets too: nothing is served before login.
    let page = s.get("/secrets", &[]).text().unwrap();
    let js = page
        .split("src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(js.starts_with("/assets/app-"), "{js}");
    let r = s.client.get(format!("{}{js}", s.web.base)).send().unwrap();
    assert_eq!(r.status(), 401);
    let r = s.get(&js, &[]);
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    // A POST without a cookie is refused before anything else.
    let body = s.secret_form("nocookie", "v", Some(&s.csrf));
    let r = s.post(
        "/secrets",
        &body,
        &[("cookie", "x=y"), ("origin", &s.origin())],
    );
    assert_eq!(r.status(), 401);
}

#[test]
fn foreign_host_headers_are_refused() {
    let s = login(&[]);
    let other_port = format!("127.0.0.1:{}", s.web.port.wrapping_add(1));
    let evil = format!("evil.example:{}", s.web.port);
    let loopback = format!("127.0.0.1:{}", s.web.port);
    let localhost = format!("localhost:{}", s.web.port);
    let name_other_port = format!("{}:{}", s.web.host, s.web.port.wrapping_add(1));
    let other_name = format!("sslboard-{}.localhost:{}", random_hex(8), s.web.port);
    let sub = format!("x.{}:{}", s.web.host, s.web.port);
    for host in [
        evil.as_str(),
        "evil.example",
        other_port.as_str(),
        loopback.as_str(),
        localhost.as_str(),
        name_other_port.as_str(),
        other_name.as_str(),
        sub.as_str(),
        s.web.host.as_str(),
        "127.0.0.1",
        "localhost",
        "[::1]",
    ] {
        let r = s.get("/secrets", &[("host", host)]);
        assert_eq!(r.status(), 421, "Host {host}");
        assert_secure_headers(&r, host);
        let body = s.secret_form("rebound", "v", Some(&s.csrf));
        let r = s.post(
            "/secrets",
            &body,
            &[("host", host), ("origin", &format!("http://{host}"))],
        );
        assert_eq!(r.status(), 421, "POST with Host {host}");
    }
    let ours = format!("{}:{}", s.web.host, s.web.port);
    assert_eq!(s.get("/secrets", &[("host", &ours)]).status(), 200);
    // the login link itself is bound to the Host check
    let (_d, web) = start(&[]);
    let r = client(&web)
        .get(&web.login_url)
        .header("host", format!("127.0.0.1:{}", web.port))
        .send()
        .unwrap();
    assert_eq!(r.status(), 421);
    assert_eq!(
        client(&web).get(&web.login_url).send().unwrap().status(),
        303
    );
}

/// The session lives under a per-launch `*.localhost` name with a host-only
/// cookie, so other servers on 127.0.0.1 (other ports) never receive it; and
/// the cookie carried to another port's origin cannot act here.
#[test]
fn the_session_cookie_is_bound_to_the_launch_host_name() {
    let s = login(&[]);
    let (_d, other) = start(&[]);
    assert_ne!(s.web.host, other.host, "two launches share a host name");
    // host-only: no Domain attribute (a Domain would widen it to subdomains)
    let (_d2, fresh) = start(&[]);
    let r = client(&fresh).get(&fresh.login_url).send().unwrap();
    let set = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(!set.contains("domain="), "{set}");
    // With the right cookie and CSRF token, but from another port's origin or
    // addressed to another port: refused, and nothing is created.
    let body = s.secret_form("other_port", "v", Some(&s.csrf));
    let other_origin = format!("http://{}:{}", s.web.host, other.port);
    let loopback_origin = format!("http://127.0.0.1:{}", s.web.port);
    let localhost_origin = format!("http://localhost:{}", s.web.port);
    for origin in [&other_origin, &loopback_origin, &localhost_origin] {
        let r = s.post("/secrets", &body, &[("origin", origin)]);
        assert_eq!(r.status(), 403, "Origin {origin}");
    }
    let other_host = format!("{}:{}", s.web.host, other.port);
    let r = s.post(
        "/secrets",
        &body,
        &[("host", &other_host), ("origin", &other_origin)],
    );
    assert_eq!(r.status(), 421);
    // The cookie sent to the other launch (another port) does not work there either.
    let r = client(&other)
        .get(format!("{}/secrets", other.base))
        .header("cookie", &s.cookie)
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    // Method check: the same request from our own origin works.
    let list = s.get("/secrets", &[]).text().unwrap();
    assert!(!list.contains("other_port"), "a refused request acted");
    let r = s.post("/secrets", &body, &[("origin", &s.origin())]);
    assert_eq!(r.status(), 303);
    assert!(s
        .get("/secrets", &[])
        .text()
        .unwrap()
        .contains("other_port"));
}

#[test]
fn state_changes_need_a_same_origin_origin_and_the_csrf_token() {
    let s = login(&[]);
    let origin = s.origin();
    let good = s.secret_form("made_by_test", "CANARY-unused", Some(&s.csrf));
    let evil_same_port = format!("http://evil.example:{}", s.web.port);
    let https = format!("https://{}:{}", s.web.host, s.web.port);
    let loopback = format!("http://127.0.0.1:{}", s.web.port);
    let no_port = format!("http://{}", s.web.host);
    for bad_origin in [
        "http://evil.example",
        evil_same_port.as_str(),
        https.as_str(),
        "null",
        "http://127.0.0.1",
        loopback.as_str(),
        no_port.as_str(),
    ] {
        let r = s.post("/secrets", &good, &[("origin", bad_origin)]);
        assert_eq!(r.status(), 403, "Origin {bad_origin}");
        assert_secure_headers(&r, bad_origin);
    }
    let r = s.post("/secrets", &good, &[]);
    assert_eq!(r.status(), 403, "no Origin");

    let no_csrf = s.secret_form("made_by_test", "v", None);
    assert_eq!(
        s.post("/secrets", &no_csrf, &[("origin", &origin)])
            .status(),
        403,
        "no CSRF token"
    );
    let wrong = s.secret_form("made_by_test", "v", Some(&"ab".repeat(32)));
    assert_eq!(
        s.post("/secrets", &wrong, &[("origin", &origin)]).status(),
        403,
        "wrong CSRF token"
    );
    let not_hex = s.secret_form("made_by_test", "v", Some("zz"));
    assert_eq!(
        s.post("/secrets", &not_hex, &[("origin", &origin)])
            .status(),
        403
    );
    let wrong_header = s.post(
        "/secrets",
        &no_csrf,
        &[("origin", &origin), ("x-csrf-token", &"cd".repeat(32))],
    );
    assert_eq!(wrong_header.status(), 403, "wrong CSRF header");
    // The lock button, the delete and Test Connection forms are guarded the same way.
    for path in [
        "/vault/lock",
        "/secrets/sec_x/delete",
        "/providers/dns_prov_x/delete",
        "/providers/dns_prov_x/test",
        "/providers/dns_prov_x/test/1/cancel",
        "/accounts",
        "/accounts/acct_x/delete",
        "/certificates",
        "/certificates/cert_x/delete",
        "/certificates/issue/1/cancel",
        "/certificates/cert_x/renew",
        "/certificates/cert_x/export",
        "/certificates/cert_x/revoke",
    ] {
        assert_eq!(
            s.post(path, "", &[("origin", &origin)]).status(),
            403,
            "{path} without CSRF"
        );
        assert_eq!(
            s.post(
                path,
                &format!("_csrf={}", s.csrf),
                &[("origin", "http://evil.example")]
            )
            .status(),
            403,
            "{path} with a foreign Origin"
        );
    }
    // Other methods and cross-site fetches are refused.
    let r = s
        .client
        .delete(format!("{}/secrets", s.web.base))
        .header("cookie", &s.cookie)
        .send()
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(
        s.get("/secrets", &[("sec-fetch-site", "cross-site")])
            .status(),
        403
    );
    assert_eq!(
        s.get("/secrets", &[("sec-fetch-site", "same-site")])
            .status(),
        403
    );
    assert_eq!(
        s.get("/secrets", &[("sec-fetch-site", "same-origin")])
            .status(),
        200
    );
    // Nothing was created by any refused request; the right one works, by field or header.
    let list = s.get("/secrets", &[]).text().unwrap();
    assert!(
        !list.contains("made_by_test"),
        "a refused request created a secret"
    );
    let r = s.post("/secrets", &good, &[("origin", &origin)]);
    assert_eq!(r.status(), 303, "the same request with everything right");
    let by_header = s.secret_form("made_by_header", "v2", None);
    let r = s.post(
        "/secrets",
        &by_header,
        &[("origin", &origin), ("x-csrf-token", &s.csrf)],
    );
    assert_eq!(r.status(), 303);
    let list = s.get("/secrets", &[]).text().unwrap();
    assert!(list.contains("made_by_test") && list.contains("made_by_header"));
    // The CSRF token of one session does not work for another launch's session.
    let other = login(&[]);
    let r = other.post(
        "/secrets",
        &s.secret_form("cross_session", "v", Some(&s.csrf)),
        &[("origin", &other.origin())],
    );
    assert_eq!(r.status(), 403);
}

#[test]
fn no_secret_value_is_ever_served() {
    let pdns = dns::pdns();
    let s = login(&[("SSLBOARD_DNS_NAMESERVERS", dns::pdns_dns().to_string())]);
    let origin = s.origin();
    let canary = format!("CANARY{}", random_hex(12));
    let mut served = String::new();
    let mut take = |r: Response, what: &str| {
        assert_secure_headers(&r, what);
        let status = r.status();
        let body = r.text().unwrap();
        assert!(!body.contains(&canary), "{what} served the canary");
        assert!(!body.contains(&pdns.key), "{what} served the PowerDNS key");
        served.push_str(&body);
        (status, body)
    };
    // created, then re-rendered after an error (the value must not come back)
    let ok = s.secret_form("canary_secret", &canary, Some(&s.csrf));
    let (st, _) = take(s.post("/secrets", &ok, &[("origin", &origin)]), "create");
    assert_eq!(st, 303);
    let dup = s.secret_form("canary_secret", &format!("{canary}2"), Some(&s.csrf));
    let (st, body) = take(s.post("/secrets", &dup, &[("origin", &origin)]), "conflict");
    assert_eq!(st, 409);
    assert!(
        body.contains(r#"data-error-for="name""#),
        "conflict not next to the name"
    );
    let bad = s.secret_form("bad name", &format!("{canary}3"), Some(&s.csrf));
    let (st, _) = take(s.post("/secrets", &bad, &[("origin", &origin)]), "bad name");
    assert_eq!(st, 422);
    let (_, list) = take(s.get("/secrets", &[]), "list");
    assert!(list.contains("canary_secret") && list.contains(">set<"));
    let sref = list
        .split("sec_")
        .nth(1)
        .map(|r| format!("sec_{}", &r[..32]))
        .unwrap();
    let (st, _) = take(s.get(&format!("/secrets/{sref}/edit"), &[]), "edit");
    assert_eq!(st, 200);

    // a PowerDNS provider, its Test Connection stream replayed twice
    let form = format!(
        "_csrf={}&{}",
        s.csrf,
        url_encode(&[
            ("type", "powerdns"),
            ("label", "pdns"),
            ("domainSuffixes", dns::PDNS_ZONE),
            ("apiToken", &pdns.key),
            ("config.powerdns.serverUrl", &pdns.api),
        ])
    );
    let (st, _) = take(
        s.post("/providers", &form, &[("origin", &origin)]),
        "provider",
    );
    assert_eq!(st, 303);
    let (_, page) = take(s.get("/providers", &[]), "providers");
    let id = page
        .split("data-provider=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = s.post(
        &format!("/providers/{id}/test"),
        "",
        &[("origin", &origin), ("x-csrf-token", &s.csrf)],
    );
    assert_eq!(r.status(), 200);
    let started: serde_json::Value = r.json().unwrap();
    let events = started["events"].as_str().unwrap().to_string();
    let t0 = Instant::now();
    let (st, stream) = take(s.get(&events, &[]), "events");
    assert_eq!(st, 200);
    assert!(t0.elapsed() < Duration::from_secs(100));
    assert!(stream.contains("event: progress"), "{stream}");
    assert!(stream.contains("event: result"), "{stream}");
    assert!(stream.contains(r#""success":true"#), "{stream}");
    let (_, replay) = take(s.get(&events, &[]), "events replay");
    assert_eq!(replay, stream, "a late reader sees every event");
    // another provider's path does not reach this run; a cancel after the end finds nothing
    let (st, _) = take(
        s.get(
            &format!(
                "/providers/dns_prov_{}/test/{}/events",
                random_hex(16),
                started["run"]
            ),
            &[],
        ),
        "foreign run",
    );
    assert_eq!(st, 404);
    let r = s.post(
        &format!("/providers/{id}/test/{}/cancel", started["run"]),
        "",
        &[("origin", &origin), ("x-csrf-token", &s.csrf)],
    );
    let (st, body) = take(r, "cancel");
    assert_eq!(st, 200);
    assert!(body.contains(r#""cancelled":false"#), "{body}");
    assert!(
        !s.web.stderr().contains(&canary),
        "a log line carries the canary"
    );
    assert!(!served.is_empty());
    let _ = required_env("SSLBOARD_TEST_PDNS_API");
}

/// A fresh data dir shows the first-run page at `/` (where the key lives,
/// values never shown again, what to add first); once something is stored,
/// `/` is the secrets list.
#[test]
fn the_first_run_page_guides_until_something_is_stored() {
    let s = login(&[]);
    let r = s.get("/", &[]);
    assert_eq!(r.status(), 200);
    let body = r.text().unwrap();
    for words in [
        "Where the master key lives",
        r#"data-key-source="env""#,
        "SSLBOARD_MASTER_KEY",
        "never shown again",
        "What to add first",
        r#"href="/providers/new""#,
    ] {
        assert!(body.contains(words), "first-run page lacks {words}");
    }
    let body = s.secret_form("first", "v", Some(&s.csrf));
    assert_eq!(
        s.post("/secrets", &body, &[("origin", &s.origin())])
            .status(),
        303
    );
    let r = s.get("/", &[]);
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/secrets");
    assert_eq!(s.get("/welcome", &[]).status(), 200);
}

/// Without a usable credential store the pages say how to fix it, in words:
/// the header, the first-run page, and a form that needed the key.
#[test]
fn keyring_unavailable_shows_the_fix_in_words() {
    let s = login_with(KeySource::None, &[]);
    let r = s.get("/secrets", &[]);
    assert_eq!(r.status(), 503);
    let page = r.text().unwrap();
    assert!(
        page.contains(r#"data-fix="keyring_unavailable""#) && page.contains("To fix it"),
        "the list does not say how to fix it: {page}"
    );
    let body = s.secret_form("needs_key", "v", Some(&s.csrf));
    let r = s.post("/secrets", &body, &[("origin", &s.origin())]);
    assert_eq!(r.status(), 503);
    let page = r.text().unwrap();
    assert!(
        page.contains(r#"data-form-error="keyring_unavailable""#),
        "no form-level error: {page}"
    );
    for words in ["To fix it", "SSLBOARD_KEY_SOURCE=env", "scripts/run"] {
        assert!(page.contains(words), "the fix lacks {words}");
    }
    let welcome = s.get("/welcome", &[]).text().unwrap();
    assert!(
        welcome.contains(r#"data-fix="keyring_unavailable""#)
            || welcome.contains(r#"data-key-source="keyring""#),
        "{welcome}"
    );
}

/// A typed form's type change (`_rerender`, the no-JavaScript path) renders
/// the new type's form on the server: nothing is saved, the non-secret
/// inputs come back, the value typed for the old type does not. Route 53's
/// two token inputs are joined into one stored token.
#[test]
fn a_type_change_rerenders_without_saving_or_echoing_a_value() {
    let s = login(&[]);
    let origin = s.origin();
    let canary = format!("CANARY{}", random_hex(12));
    let form = format!(
        "_csrf={}&{}",
        s.csrf,
        url_encode(&[
            ("_rerender", "1"),
            ("type", "basic_auth"),
            ("name", "kept_name"),
            ("label", "kept label"),
            ("data.api_key.value", &canary),
        ])
    );
    let r = s.post("/secrets", &form, &[("origin", &origin)]);
    assert_eq!(r.status(), 200);
    let page = r.text().unwrap();
    assert!(!page.contains(&canary), "the old type's value came back");
    assert!(page.contains(r#"value="kept_name""#) && page.contains(r#"value="kept label""#));
    assert!(page.contains(r#"name="data.basic_auth.password""#));
    assert!(!page.contains(r#"name="data.api_key.value""#));
    let list = s.get("/secrets", &[]).text().unwrap();
    assert!(!list.contains("kept_name"), "a re-render saved the secret");

    let form = format!(
        "_csrf={}&{}",
        s.csrf,
        url_encode(&[
            ("_rerender", "1"),
            ("type", "route53"),
            ("label", "r53"),
            ("domainSuffixes", "r53.example.test"),
            ("apiToken", &canary),
        ])
    );
    let page = s
        .post("/providers", &form, &[("origin", &origin)])
        .text()
        .unwrap();
    assert!(!page.contains(&canary));
    assert!(
        page.contains(r#"name="token.accessKeyId""#)
            && page.contains(r#"name="token.secretAccessKey""#)
    );
    assert!(!page.contains(r#"name="apiToken""#));
    let form = format!(
        "_csrf={}&{}",
        s.csrf,
        url_encode(&[
            ("type", "route53"),
            ("label", "r53"),
            ("domainSuffixes", "r53.example.test"),
            ("token.accessKeyId", "AKIAEXAMPLE"),
            ("token.secretAccessKey", &canary),
        ])
    );
    let r = s.post("/providers", &form, &[("origin", &origin)]);
    assert_eq!(r.status(), 303);
    let list = s.get("/providers", &[]).text().unwrap();
    assert!(list.contains("r53.example.test") && !list.contains(&canary));
    assert!(
        !s.web.stderr().contains(&canary),
        "a log line carries the canary"
    );
}

/// The EAB HMAC key of an ACME account form goes to the core once: a form
/// shown again after an error (here the directory cannot be reached) or
/// after a change of CA keeps the key ID (the positive control: the same
/// scan finds what the form echoes) and never the key, in any page or log.
#[test]
fn the_eab_hmac_key_is_never_served() {
    let s = login(&[]);
    let origin = s.origin();
    let canary = format!("CANARY{}", random_hex(12));
    let kid = format!("kid-{}", random_hex(6));
    let form = |extra: &[(&str, &str)]| {
        let mut pairs = vec![
            ("type", "custom"),
            ("directoryUrl", "https://127.0.0.1:1/dir"),
            ("contact", "ops@example.test"),
            ("eab.kid", kid.as_str()),
            ("eab.hmacKey", canary.as_str()),
            ("termsOfServiceAgreed", "1"),
        ];
        pairs.extend_from_slice(extra);
        format!("_csrf={}&{}", s.csrf, url_encode(&pairs))
    };
    let r = s.post("/accounts", &form(&[]), &[("origin", &origin)]);
    assert_secure_headers(&r, "account error");
    assert!(r.status().is_client_error() || r.status().is_server_error());
    let body = r.text().unwrap();
    assert!(
        body.contains(&format!(r#"value="{kid}""#)),
        "key ID not kept"
    );
    assert!(body.contains(r#"name="eab.hmacKey""#), "no HMAC input");
    assert!(
        !body.contains(&canary),
        "the error page served the HMAC key"
    );
    let r = s.post(
        "/accounts",
        &form(&[("_rerender", "1")]),
        &[("origin", &origin)],
    );
    assert_eq!(r.status(), 200);
    let body = r.text().unwrap();
    assert!(
        body.contains(&format!(r#"value="{kid}""#)),
        "key ID not kept"
    );
    assert!(
        !body.contains(&canary),
        "the re-rendered form served the HMAC key"
    );
    let list = s.get("/accounts", &[]).text().unwrap();
    assert!(
        list.contains("No ACME accounts yet"),
        "an account was created"
    );
    assert!(!list.contains(&canary));
    assert!(
        !s.web.stderr().contains(&canary),
        "a log line carries the HMAC key"
    );
}
