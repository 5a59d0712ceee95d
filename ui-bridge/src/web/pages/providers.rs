//! Settings → DNS Providers: the list (with ambiguity warnings and a Test
//! Connection control per provider), the hostname resolver, the add form
//! (type dropdown, per-type config fieldsets, token), the edit page (no
//! token needed; a separate token replacement), and the delete confirmation.

use maud::{html, Markup};
use serde_json::{Map, Value};
use shared::error::WireError;
use shared::protocol::dns::{ProviderMeta, ProviderType, Resolution};

use super::{csrf_input, form_error, page, select, Chrome, Widget};
use crate::web::fields::{provider_fields, provider_type_label, token_label};
use crate::web::forms::providers::config_input;

/// The resolver box's input and outcome.
pub struct Resolve<'a> {
    /// Hostname typed.
    pub hostname: &'a str,
    /// The answer, when one was asked for.
    pub outcome: Option<Result<Resolution, WireError>>,
}

fn resolver(r: &Resolve<'_>) -> Markup {
    let err = r.outcome.as_ref().and_then(|o| o.as_ref().err());
    html! {
        section.card aria-labelledby="h-resolve" #resolver {
            h2 #h-resolve { "Which provider answers for a hostname?" }
            form.filters method="get" action="/providers" role="search" {
                div.field {
                    label for="r-host" { "Hostname" }
                    input type="text" id="r-host" name="hostname" value=(r.hostname) autocomplete="off" spellcheck="false"
                        aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| "r-host-error")];
                }
                div.actions { button type="submit" { "Resolve" } }
            }
            @match &r.outcome {
                None => {}
                Some(Err(e)) => p.error #r-host-error data-error-for="hostname" role="alert" { (e.message) },
                Some(Ok(Resolution::Provider { provider, matched_suffix, warnings })) => {
                    div #resolution data-mode="provider" role="status" {
                        p { "Uses " strong { (provider.label) } " (" (provider_type_label(provider.provider_type)) ") through the suffix " code { (matched_suffix) } "." }
                        @for w in warnings { p.notice.warn data-warning { (w) } }
                    }
                }
                Some(Ok(Resolution::Manual { instructions })) => {
                    div #resolution data-mode="manual" role="status" {
                        p { "No provider covers this hostname: the TXT record is added by hand." }
                        dl.kv {
                            dt { "Record name" } dd.mono { (instructions.record_name) }
                            dt { "Type" } dd { (instructions.record_type) }
                            dt { "Value" } dd.mono { (instructions.value.as_deref().unwrap_or("the challenge value, given when a certificate is requested")) }
                            dt { "Check" } dd.mono { (instructions.check) }
                        }
                    }
                }
            }
        }
    }
}

fn provider_card(chrome: &Chrome<'_>, p: &ProviderMeta) -> Markup {
    let panel = format!("test-panel-{}", p.id);
    let suffix_opts: Vec<(&str, &str)> = p
        .domain_suffixes
        .iter()
        .map(|s| (s.as_str(), s.as_str()))
        .collect();
    html! {
        article.card.provider data-provider=(p.id) data-label=(p.label) aria-labelledby={"h-" (p.id)} {
            h2 id={"h-" (p.id)} { (p.label) }
            dl.kv {
                dt { "Type" } dd data-type=(p.provider_type.as_str()) { (provider_type_label(p.provider_type)) }
                dt { "Domain suffixes" } dd { ul.tags { @for s in &p.domain_suffixes { li { (s) } } } }
                dt { "Token" } dd {
                    @if p.secret_ref.is_some() { span.badge.ok { "set" } } @else { span.muted { "none" } }
                }
                dt { "Updated" } dd.small { (p.updated_at) }
            }
            @if p.ambiguous {
                p.notice.warn data-ambiguous {
                    "Ambiguous: another provider has the same domain suffix, so which one is used for those names is not well defined. Remove the suffix from one of them."
                }
            }
            div.actions {
                a.button.secondary href={"/providers/" (p.id) "/edit"} aria-label={"Edit " (p.label)} { "Edit" }
                a.button.secondary href={"/providers/" (p.id) "/delete"} aria-label={"Delete " (p.label)} { "Delete" }
                form.actions method="post" action={"/providers/" (p.id) "/test"} data-test-form data-panel=(panel) {
                    (csrf_input(chrome.csrf))
                    @if suffix_opts.len() > 1 {
                        label for={"t-suffix-" (p.id)} { "Suffix" }
                        select id={"t-suffix-" (p.id)} name="suffix" {
                            @for (v, t) in &suffix_opts { option value=(v) { (t) } }
                        }
                    }
                    button type="submit" { "Test Connection" }
                }
            }
            noscript { p.small.muted { "Test Connection needs JavaScript for its live progress." } }
            div.test-panel id=(panel) role="status" aria-live="polite" hidden {}
        }
    }
}

/// The list page.
pub fn list(chrome: &Chrome<'_>, providers: &[ProviderMeta], resolve: &Resolve<'_>) -> Markup {
    page(
        "DNS Providers",
        chrome,
        html! {
            h1 { "DNS Providers" }
            p.actions { a.button href="/providers/new" { "Add provider" } }
            (resolver(resolve))
            @if providers.is_empty() {
                p #empty { "No DNS providers yet. Without one, DNS-01 records are added by hand." }
            } @else {
                div #providers { @for p in providers { (provider_card(chrome, p)) } }
            }
        },
    )
}

/// Non-secret values echoed back into a provider form after an error.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// Type.
    pub provider_type: String,
    /// Label.
    pub label: String,
    /// Suffixes as typed.
    pub suffixes: String,
    /// Config values by input name (`config.<type>.<field>`).
    pub config: Map<String, Value>,
}

impl Draft {
    /// The draft of an existing provider.
    pub fn of(p: &ProviderMeta) -> Self {
        let stored: Map<String, Value> = serde_json::from_str(&p.config_json).unwrap_or_default();
        let config = stored
            .into_iter()
            .map(|(k, v)| (config_input(p.provider_type, &k), v))
            .collect();
        Self {
            provider_type: p.provider_type.as_str().into(),
            label: p.label.clone(),
            suffixes: p.domain_suffixes.join(", "),
            config,
        }
    }
}

fn config_error_key(t: ProviderType, err: Option<&WireError>) -> Option<&'static str> {
    let e = err?;
    if e.field.as_deref() != Some("config") {
        return None;
    }
    provider_fields(t)
        .iter()
        .find(|f| e.message.contains(f.key))
        .map(|f| f.key)
}

fn config_fieldset(
    t: ProviderType,
    chosen: ProviderType,
    draft: &Draft,
    err: Option<&WireError>,
    switchable: bool,
) -> Markup {
    let fields = provider_fields(t);
    if fields.is_empty() {
        return html! {};
    }
    let on = t == chosen;
    let hit = if on { config_error_key(t, err) } else { None };
    let inputs: Vec<Markup> = fields
        .iter()
        .map(|field| {
            let name = config_input(t, field.key);
            let id = format!("c-{}-{}", t.as_str(), field.key);
            let mut w = Widget::of(field, &id, &name);
            w.value = draft.config.get(&name).and_then(Value::as_str);
            if hit == Some(field.key) {
                w.error = err.map(|e| e.message.as_str());
            }
            w.render()
        })
        .collect();
    html! {
        fieldset data-group=[switchable.then_some("provider-type")] data-value=(t.as_str()) hidden[!on] disabled[!on] {
            legend { (provider_type_label(t)) " settings" }
            @for i in inputs { (i) }
        }
    }
}

fn form_keys(t: ProviderType, err: Option<&WireError>) -> Vec<String> {
    let mut keys: Vec<String> = ["type", "label", "domainSuffixes", "apiToken"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if config_error_key(t, err).is_some() {
        keys.push("config".into());
    }
    keys
}

fn token_hint() -> String {
    ProviderType::ALL
        .iter()
        .filter(|t| t.needs_token())
        .map(|t| format!("{}: {}", provider_type_label(*t), token_label(*t)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// The add page.
pub fn new(chrome: &Chrome<'_>, draft: &Draft, err: Option<&WireError>) -> Markup {
    let chosen = ProviderType::parse(&draft.provider_type).unwrap_or(ProviderType::Cloudflare);
    let types: Vec<(&str, &str)> = ProviderType::ALL
        .iter()
        .map(|t| (t.as_str(), provider_type_label(*t)))
        .collect();
    let with_token: Vec<&str> = ProviderType::ALL
        .iter()
        .filter(|t| t.needs_token())
        .map(|t| t.as_str())
        .collect();
    let hint = token_hint();
    page(
        "Add DNS provider",
        chrome,
        html! {
            h1 { "Add DNS provider" }
            (form_error(err, &form_keys(chosen, err)))
            form.stack.card #provider-form method="post" action="/providers" novalidate {
                (csrf_input(chrome.csrf))
                (select("p-type", "type", "Provider type", &types, Some(chosen.as_str()), super::error_for(err, "type"), Some("provider-type")))
                (Widget::text("p-label", "label", "Label", Some(&draft.label)).required().error_from(err).render())
                (Widget::text("p-suffixes", "domainSuffixes", "Domain suffixes", Some(&draft.suffixes)).required()
                    .hint("Comma or space separated, e.g. example.com, example.org").error_from(err).render())
                div data-group-show="provider-type" data-values=(with_token.join(" ")) hidden[!chosen.needs_token()] {
                    (Widget { input: crate::web::fields::Input::Password, required: true, hint: &hint,
                        ..Widget::text("p-token", "apiToken", "API token", None) }.error_from(err).render())
                }
                @for t in ProviderType::ALL { (config_fieldset(t, chosen, draft, err, true)) }
                div.actions {
                    button type="submit" { "Add provider" }
                    a.button.secondary href="/providers" { "Cancel" }
                }
            }
        },
    )
}

/// Which edit form an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditForm {
    /// Label, suffixes, config.
    Settings,
    /// Token replacement.
    Token,
}

/// The edit page.
pub fn edit(
    chrome: &Chrome<'_>,
    p: &ProviderMeta,
    draft: &Draft,
    err: Option<(EditForm, &WireError)>,
) -> Markup {
    let t = p.provider_type;
    let settings_err = err
        .filter(|(f, _)| *f == EditForm::Settings)
        .map(|(_, e)| e);
    let token_err = err.filter(|(f, _)| *f == EditForm::Token).map(|(_, e)| e);
    let title = format!("Provider {}", p.label);
    page(
        &title,
        chrome,
        html! {
            h1 { "Edit " (p.label) }
            p { "Type: " strong { (provider_type_label(t)) } " · " span.mono.small { (p.id) } }
            section aria-labelledby="h-settings" {
                h2 #h-settings { "Settings" }
                (form_error(settings_err, &form_keys(t, settings_err)))
                form.stack.card #provider-edit method="post" action={"/providers/" (p.id)} novalidate {
                    (csrf_input(chrome.csrf))
                    (Widget::text("p-label", "label", "Label", Some(&draft.label)).required().error_from(settings_err).render())
                    (Widget::text("p-suffixes", "domainSuffixes", "Domain suffixes", Some(&draft.suffixes)).required()
                        .hint("Comma or space separated").error_from(settings_err).render())
                    (config_fieldset(t, t, draft, settings_err, false))
                    @if t.needs_token() {
                        (Widget { input: crate::web::fields::Input::Password,
                            hint: "Leave empty to keep the stored token. Needed again only when the server address changes.",
                            ..Widget::text("p-token", "apiToken", "New token", None) }.error_from(settings_err).render())
                    }
                    div.actions {
                        button type="submit" { "Save changes" }
                        a.button.secondary href="/providers" { "Cancel" }
                    }
                }
            }
            @if t.needs_token() {
                section aria-labelledby="h-token" {
                    h2 #h-token { "Replace token" }
                    p.hint.small { "The stored token is never shown. The new one replaces it under the same reference." }
                    (form_error(token_err, &["apiToken".into()]))
                    form.stack.card #token-form method="post" action={"/providers/" (p.id) "/token"} novalidate {
                        (csrf_input(chrome.csrf))
                        (Widget { input: crate::web::fields::Input::Password, required: true,
                            ..Widget::text("t-token", "apiToken", token_label(t), None) }.error_from(token_err).render())
                        div.actions { button type="submit" { "Replace token" } }
                    }
                }
            }
            p { a.button.danger href={"/providers/" (p.id) "/delete"} { "Delete…" } }
            p { a href="/providers" { "Back to DNS providers" } }
        },
    )
}

/// The delete confirmation.
pub fn confirm_delete(chrome: &Chrome<'_>, p: &ProviderMeta) -> Markup {
    page(
        "Delete DNS provider",
        chrome,
        html! {
            h1 { "Delete " (p.label) "?" }
            p { "The provider " strong { (p.label) } " and its stored token are deleted. Names under "
                (p.domain_suffixes.join(", ")) " fall back to another provider or to manual records." }
            form.actions method="post" action={"/providers/" (p.id) "/delete"} {
                (csrf_input(chrome.csrf))
                button.danger type="submit" { "Delete provider" }
                a.button.secondary href="/providers" { "Cancel" }
            }
        },
    )
}
