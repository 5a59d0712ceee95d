//! Server-rendered pages (maud). This module holds the frame every page
//! shares — header with the vault's lock state and Lock button, navigation,
//! notices — and the form widgets that put a core error next to the field
//! it names. Secret inputs have no way to carry a value back into a page.

pub mod accounts;
pub mod certificates;
pub mod guidance;
pub mod providers;
pub mod secrets;
pub mod welcome;
pub mod workflows;

use maud::{html, Markup, DOCTYPE};
use shared::error::WireError;
use shared::protocol::secrets::VaultStatus;

use super::assets::Assets;
use super::fields::{Field, Input};
use super::guard::CSRF_FIELD;

/// Which section a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    /// Settings → Secrets.
    Secrets,
    /// Settings → DNS Providers.
    Providers,
    /// Settings → ACME accounts.
    Accounts,
    /// Settings → Certificates.
    Certificates,
    /// Settings → Workflows.
    Workflows,
    /// Getting started (the first-run page).
    Welcome,
}

/// How a notice looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Something worked.
    Info,
    /// Worth attention.
    Warn,
    /// Something failed.
    Error,
}

/// A message at the top of a page.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Look.
    pub tone: Tone,
    /// Text.
    pub text: String,
}

impl Notice {
    /// An info notice.
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            tone: Tone::Info,
            text: text.into(),
        }
    }

    /// A warning.
    pub fn warn(text: impl Into<String>) -> Self {
        Self {
            tone: Tone::Warn,
            text: text.into(),
        }
    }

    /// An error.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            tone: Tone::Error,
            text: text.into(),
        }
    }
}

/// What every page's frame needs.
pub struct Chrome<'a> {
    /// The session's CSRF token.
    pub csrf: &'a str,
    /// The vault's state, or why it is unknown.
    pub vault: Result<VaultStatus, WireError>,
    /// Current section.
    pub nav: Nav,
    /// Notices to show.
    pub notices: Vec<Notice>,
    /// Static files.
    pub assets: &'a Assets,
    /// Path of this page (where Lock comes back to).
    pub here: String,
    /// Reload the page after this many seconds when scripts are off (a
    /// running issuance followed without JavaScript).
    pub refresh: Option<u32>,
}

/// The hidden CSRF input of every form.
pub fn csrf_input(csrf: &str) -> Markup {
    html! { input type="hidden" name=(CSRF_FIELD) value=(csrf); }
}

fn vault_badge(vault: &Result<VaultStatus, WireError>) -> Markup {
    match vault {
        Ok(v) if v.unlocked => html! {
            span.badge.unlocked data-vault="unlocked" title={"Key source: " (v.key_source)} { "Vault unlocked" }
        },
        Ok(v) if guidance::key_source_unavailable(&v.key_source) => html! {
            a.badge.unknown data-vault="unavailable" href="/welcome#key" title={"Key source: " (v.key_source)} { "Vault unavailable: how to fix" }
        },
        Ok(v) => html! {
            span.badge.locked data-vault="locked" title={"Key source: " (v.key_source)} { "Vault locked" }
        },
        Err(e) => html! {
            span.badge.unknown data-vault="unknown" title=(e.message) { "Vault state unknown" }
        },
    }
}

fn notices(list: &[Notice]) -> Markup {
    html! {
        @for n in list {
            @let (class, role) = match n.tone {
                Tone::Info => ("notice info", "status"),
                Tone::Warn => ("notice warn", "status"),
                Tone::Error => ("notice error", "alert"),
            };
            div class=(class) role=(role) { (n.text) }
        }
    }
}

/// A whole page.
pub fn page(title: &str, chrome: &Chrome<'_>, body: Markup) -> Markup {
    let a = chrome.assets;
    let current = |n: Nav| if chrome.nav == n { Some("page") } else { None };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="csrf-token" content=(chrome.csrf);
                title { (title) " · SSLBoard settings" }
                link rel="icon" href=(a.icon.path) type="image/svg+xml";
                link rel="stylesheet" href=(a.css.path) integrity=(a.css.integrity);
                script src=(a.js.path) integrity=(a.js.integrity) defer {}
                @if let Some(secs) = chrome.refresh {
                    noscript { meta http-equiv="refresh" content=(secs); }
                }
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "SSLBoard · Settings" }
                    nav aria-label="Settings" {
                        ul {
                            li { a href="/secrets" aria-current=[current(Nav::Secrets)] { "Secrets" } }
                            li { a href="/providers" aria-current=[current(Nav::Providers)] { "DNS Providers" } }
                            li { a href="/accounts" aria-current=[current(Nav::Accounts)] { "ACME accounts" } }
                            li { a href="/certificates" aria-current=[current(Nav::Certificates)] { "Certificates" } }
                            li { a href="/workflows" aria-current=[current(Nav::Workflows)] { "Workflows" } }
                            li { a href="/welcome" aria-current=[current(Nav::Welcome)] { "Getting started" } }
                        }
                    }
                    div.vault {
                        (vault_badge(&chrome.vault))
                        form method="post" action="/vault/lock" {
                            (csrf_input(chrome.csrf))
                            input type="hidden" name="next" value=(chrome.here);
                            button type="submit" { "Lock" }
                        }
                    }
                }
                main #main {
                    (notices(&chrome.notices))
                    (body)
                }
            }
        }
    }
}

/// True when a core error's field names the input `key` (`tags[2]` → `tags`).
pub fn names(err_field: &str, key: &str) -> bool {
    err_field == key
        || err_field
            .strip_prefix(key)
            .is_some_and(|rest| rest.starts_with('['))
}

/// The message of `err` when it concerns `key`.
pub fn error_for<'a>(err: Option<&'a WireError>, key: &str) -> Option<&'a str> {
    let e = err?;
    let f = e.field.as_deref()?;
    names(f, key).then_some(e.message.as_str())
}

/// A form-level error: `err` when no input of `keys` shows it.
pub fn form_error(err: Option<&WireError>, keys: &[String]) -> Markup {
    let Some(e) = err else { return html! {} };
    let shown = e
        .field
        .as_deref()
        .is_some_and(|f| keys.iter().any(|k| names(f, k)));
    if shown {
        return html! {
            div.notice.error role="alert" tabindex="-1" data-form-error="field" { "Please correct the field marked below." }
        };
    }
    html! {
        div.notice.error role="alert" tabindex="-1" data-form-error=(e.code.as_str()) {
            @let fix = guidance::fix(e);
            @if fix.0.is_empty() {
                p { (e.message) }
            } @else {
                (fix)
                p.small.details { "Details: " (e.message) }
            }
        }
    }
}

/// One input with its label, hint and error.
pub struct Widget<'a> {
    /// `id` (and `for` of the label).
    pub id: &'a str,
    /// Form name.
    pub name: &'a str,
    /// Core field it maps to (for errors).
    pub key: &'a str,
    /// Label.
    pub label: &'a str,
    /// Drawing.
    pub input: Input,
    /// Required.
    pub required: bool,
    /// Hint.
    pub hint: &'a str,
    /// Value to show: ignored for `Password`, `WriteOnly` and `Area` (secrets are write-only).
    pub value: Option<&'a str>,
    /// Error message.
    pub error: Option<&'a str>,
}

impl<'a> Widget<'a> {
    /// A plain text input.
    pub fn text(id: &'a str, name: &'a str, label: &'a str, value: Option<&'a str>) -> Self {
        Self {
            id,
            name,
            key: name,
            label,
            input: Input::Text,
            required: false,
            hint: "",
            value,
            error: None,
        }
    }

    /// A widget for a table field.
    pub fn of(field: &'a Field, id: &'a str, name: &'a str) -> Self {
        Self {
            id,
            name,
            key: field.key,
            label: field.label,
            input: field.input,
            required: field.required,
            hint: field.hint,
            value: None,
            error: None,
        }
    }

    /// Marks it required.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Sets the hint.
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = hint;
        self
    }

    /// Sets the core field key (for error matching).
    pub fn key(mut self, key: &'a str) -> Self {
        self.key = key;
        self
    }

    /// Attaches the error of `err` that names this widget's key.
    pub fn error_from(mut self, err: Option<&'a WireError>) -> Self {
        self.error = error_for(err, self.key);
        self
    }

    /// The markup.
    pub fn render(&self) -> Markup {
        let hint_id = format!("{}-hint", self.id);
        let err_id = format!("{}-error", self.id);
        let mut described = Vec::new();
        if !self.hint.is_empty() {
            described.push(hint_id.as_str());
        }
        if self.error.is_some() {
            described.push(err_id.as_str());
        }
        let described = (!described.is_empty()).then(|| described.join(" "));
        let invalid = self.error.map(|_| "true");
        html! {
            div.field data-field=(self.key) {
                label for=(self.id) {
                    (self.label)
                    @if !self.required { span.muted.small { " (optional)" } }
                }
                @match self.input {
                    Input::Text => input type="text" id=(self.id) name=(self.name)
                        value=[self.value] required[self.required]
                        autocomplete="off" spellcheck="false"
                        aria-describedby=[described.as_deref()] aria-invalid=[invalid] autofocus[invalid.is_some()];
                    Input::WriteOnly => input type="text" id=(self.id) name=(self.name)
                        required[self.required] autocomplete="off" spellcheck="false"
                        data-secret-input aria-describedby=[described.as_deref()] aria-invalid=[invalid] autofocus[invalid.is_some()];
                    Input::Password => input type="password" id=(self.id) name=(self.name)
                        required[self.required] autocomplete="off" spellcheck="false"
                        data-secret-input aria-describedby=[described.as_deref()] aria-invalid=[invalid] autofocus[invalid.is_some()];
                    Input::Area => textarea id=(self.id) name=(self.name)
                        required[self.required] autocomplete="off" spellcheck="false"
                        data-secret-input aria-describedby=[described.as_deref()] aria-invalid=[invalid] autofocus[invalid.is_some()] {}
                }
                @if !self.hint.is_empty() { p.hint id=(hint_id) { (self.hint) } }
                @if let Some(e) = self.error { p.error id=(err_id) data-error-for=(self.key) { (e) } }
            }
        }
    }
}

/// A `<select>` with label and error.
pub fn select(
    id: &str,
    name: &str,
    label: &str,
    options: &[(&str, &str)],
    chosen: Option<&str>,
    error: Option<&str>,
) -> Markup {
    let err_id = format!("{id}-error");
    html! {
        div.field data-field=(name) {
            label for=(id) { (label) }
            select id=(id) name=(name)
                aria-describedby=[error.map(|_| err_id.as_str())] aria-invalid=[error.map(|_| "true")] autofocus[error.is_some()] {
                @for (value, text) in options {
                    option value=(value) selected[chosen == Some(*value)] { (text) }
                }
            }
            @if let Some(e) = error { p.error id=(err_id) data-error-for=(name) { (e) } }
        }
    }
}

/// A multi-line input for non-secret text (host lists, request bodies):
/// unlike [`Input::Area`], which is for values, it is filled in again.
pub struct TextArea<'a> {
    /// `id` (and `for` of the label).
    pub id: &'a str,
    /// Form name.
    pub name: &'a str,
    /// Core field it maps to (for `data-field`).
    pub key: &'a str,
    /// Label.
    pub label: &'a str,
    /// Hint (may be empty).
    pub hint: &'a str,
    /// Text to show.
    pub value: &'a str,
    /// Error message.
    pub error: Option<&'a str>,
    /// Visible lines.
    pub rows: u32,
}

impl TextArea<'_> {
    /// The markup.
    pub fn render(&self) -> Markup {
        let hint_id = format!("{}-hint", self.id);
        let err_id = format!("{}-error", self.id);
        let mut described = Vec::new();
        if !self.hint.is_empty() {
            described.push(hint_id.as_str());
        }
        if self.error.is_some() {
            described.push(err_id.as_str());
        }
        let described = (!described.is_empty()).then(|| described.join(" "));
        html! {
            div.field data-field=(self.key) {
                label for=(self.id) { (self.label) span.muted.small { " (optional)" } }
                textarea.plain id=(self.id) name=(self.name) rows=(self.rows)
                    autocomplete="off" spellcheck="false"
                    aria-describedby=[described.as_deref()] aria-invalid=[self.error.map(|_| "true")] autofocus[self.error.is_some()] { (self.value) }
                @if !self.hint.is_empty() { p.hint id=(hint_id) { (self.hint) } }
                @if let Some(e) = self.error { p.error id=(err_id) data-error-for=(self.key) { (e) } }
            }
        }
    }
}

/// A plain page with a title and a message (errors, not-found).
pub fn message(title: &str, chrome: &Chrome<'_>, text: &str, back: (&str, &str)) -> Markup {
    message_with(title, chrome, text, html! {}, back)
}

/// A plain page with a title, a message, more explanation, and a way back.
pub fn message_with(
    title: &str,
    chrome: &Chrome<'_>,
    text: &str,
    more: Markup,
    back: (&str, &str),
) -> Markup {
    page(
        title,
        chrome,
        html! {
            h1 { (title) }
            p { (text) }
            (more)
            p { a href=(back.0) { (back.1) } }
        },
    )
}

#[cfg(test)]
pub(crate) mod test_support {
    //! A page frame for rendering tests.
    use super::*;

    /// Renders `f` with a plain frame (env key source, unlocked).
    pub fn render(f: impl FnOnce(&Chrome<'_>) -> Markup) -> String {
        let assets = Assets::new();
        let chrome = Chrome {
            csrf: "csrf",
            vault: Ok(VaultStatus {
                unlocked: true,
                key_source: shared::protocol::secrets::KeySourceState::Ready(
                    shared::protocol::secrets::KeySource::Env,
                ),
            }),
            nav: Nav::Secrets,
            notices: Vec::new(),
            assets: &assets,
            here: "/".into(),
            refresh: None,
        };
        f(&chrome).into_string()
    }

    /// The `name` of every input, select and textarea in `html`.
    pub fn input_names(html: &str) -> Vec<String> {
        let mut out = Vec::new();
        for tag in ["<input ", "<select ", "<textarea "] {
            for piece in html.split(tag).skip(1) {
                let attrs = piece.split('>').next().unwrap_or_default();
                if attrs.contains("type=\"hidden\"") {
                    continue;
                }
                if let Some(name) = attrs.split("name=\"").nth(1) {
                    out.push(name.split('"').next().unwrap_or_default().to_string());
                }
            }
        }
        out.sort();
        out
    }
}
