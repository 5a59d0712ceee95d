//! Settings → DNS Providers: the list (with ambiguity warnings and each
//! provider's actions together: Test Connection with its suffix picker,
//! edit, delete), the hostname resolver, the add form (the type is chosen
//! first and only its token and config inputs are rendered, see
//! [`crate::web::typed`]), the edit page (no token needed; a separate token
//! replacement), and the delete confirmation.

use maud::{html, Markup};
use serde_json::{Map, Value};
use shared::error::WireError;
use shared::protocol::dns::{ProviderMeta, ProviderType, Resolution};

use super::{csrf_input, form_error, page, Chrome, Widget};
use crate::web::fields::{
    provider_fields, provider_type_label, token_fields, Field, ACCESS_KEY_ID, TOKEN,
};
use crate::web::forms::providers::{config_input, token_input};
use crate::web::typed::{self, FormType};
use crate::web::when;

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
                        aria-invalid=[err.map(|_| "true")] autofocus[err.is_some()] aria-describedby=[err.map(|_| "r-host-error")];
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
    html! {
        article.card.provider data-provider=(p.id) data-label=(p.label) aria-labelledby={"h-" (p.id)} {
            h2 id={"h-" (p.id)} { (p.label) }
            dl.kv {
                dt { "Type" } dd data-type=(p.provider_type.as_str()) { (provider_type_label(p.provider_type)) }
                dt { "Domain suffixes" } dd { ul.tags { @for s in &p.domain_suffixes { li { (s) } } } }
                dt { "Token" } dd {
                    @if p.secret_ref.is_some() { span.badge.ok { "set" } } @else { span.muted { "none" } }
                }
                dt { "Updated" } dd.small { (when::time(&p.updated_at)) }
            }
            @if p.ambiguous {
                p.notice.warn data-ambiguous {
                    "Ambiguous: another provider has the same domain suffix, so which one is used for those names is not well defined. Remove the suffix from one of them."
                }
            }
            div.row-actions.provider-actions role="group" aria-label={"Actions for " (p.label)} {
                form.test-form method="post" action={"/providers/" (p.id) "/test"} data-test-form data-panel=(panel) {
                    (csrf_input(chrome.csrf))
                    @if p.domain_suffixes.len() > 1 {
                        label.small for={"t-suffix-" (p.id)} { "Test suffix" }
                        select id={"t-suffix-" (p.id)} name="suffix" {
                            @for s in &p.domain_suffixes { option value=(s) { (s) } }
                        }
                    }
                    button type="submit" { "Test Connection" }
                }
                a.button.secondary href={"/providers/" (p.id) "/edit"} aria-label={"Edit " (p.label)} { "Edit" }
                a.button.secondary href={"/providers/" (p.id) "/delete"} aria-label={"Delete " (p.label)} { "Delete" }
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
            div.page-head {
                h1 { "DNS Providers" }
                a.button href="/providers/new" { "Add provider" }
            }
            @if providers.is_empty() {
                div.card.empty #empty {
                    p { strong { "No DNS providers yet:" } " add the one that hosts your domains, so certificates can be validated with DNS-01 records automatically. Without one, each record is added by hand." }
                    p { a.button href="/providers/new" { "Add your first DNS provider" } }
                }
            } @else {
                div #providers { @for p in providers { (provider_card(chrome, p)) } }
            }
            (resolver(resolve))
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

fn config_fieldset(t: ProviderType, draft: &Draft, err: Option<&WireError>) -> Markup {
    let fields = provider_fields(t);
    if fields.is_empty() {
        return html! {};
    }
    let hit = config_error_key(t, err);
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
        fieldset data-value=(t.as_str()) data-type-fields {
            legend { (provider_type_label(t)) " settings" }
            @for i in inputs { (i) }
        }
    }
}

/// The core field a token input's errors are reported under: the core
/// says `apiToken`; the server's own Route 53 join names the access key ID.
fn token_error_key(field: &Field) -> &'static str {
    match field.key {
        ACCESS_KEY_ID => ACCESS_KEY_ID,
        _ => TOKEN,
    }
}

/// Which token inputs a form shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenUse {
    /// The add form: required, with the provider's help.
    Add,
    /// The settings form: optional, kept when empty.
    Keep,
    /// The token replacement form.
    Replace,
}

/// "API key" stays, "Secret access key" → "secret access key".
fn lower_first(label: &str) -> String {
    let mut chars = label.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            format!("{}{b}{}", a.to_lowercase(), chars.as_str())
        }
        _ => label.to_string(),
    }
}

/// The token inputs of type `t` (never filled in).
fn token_inputs(t: ProviderType, use_: TokenUse, err: Option<&WireError>) -> Markup {
    let prefix = match use_ {
        TokenUse::Add | TokenUse::Keep => "p-token",
        TokenUse::Replace => "t-token",
    };
    let fields = token_fields(t);
    let single = fields.len() == 1;
    let rendered: Vec<Markup> = fields
        .iter()
        .map(|field| {
            let id = if single {
                prefix.to_string()
            } else {
                format!("{prefix}-{}", field.key)
            };
            let name = token_input(field.key);
            let label = match use_ {
                TokenUse::Keep => format!("New {}", lower_first(field.label)),
                TokenUse::Add | TokenUse::Replace => field.label.to_string(),
            };
            let hint = match use_ {
                TokenUse::Keep => "Leave empty to keep the stored one. Needed again only when the server address changes.",
                TokenUse::Add | TokenUse::Replace => field.hint,
            };
            let mut w = Widget::of(field, &id, &name).key(token_error_key(field));
            w.label = &label;
            w.hint = hint;
            w.required = use_ != TokenUse::Keep;
            w.error_from(err).render()
        })
        .collect();
    html! { @for m in rendered { (m) } }
}

fn form_keys(t: ProviderType, err: Option<&WireError>) -> Vec<String> {
    let mut keys: Vec<String> = ["type", "label", "domainSuffixes", TOKEN, ACCESS_KEY_ID]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if config_error_key(t, err).is_some() {
        keys.push("config".into());
    }
    keys
}

/// The add page: the type chooser until a type is picked, then the form
/// with only that type's token and config inputs.
pub fn new(chrome: &Chrome<'_>, draft: &Draft, err: Option<&WireError>) -> Markup {
    let Some(chosen) = ProviderType::from_value(&draft.provider_type) else {
        return page(
            "Add DNS provider",
            chrome,
            html! {
                h1 { "Add DNS provider" }
                (form_error(err, &[]))
                (typed::chooser::<ProviderType>("/providers/new", "Where is the DNS of your domains hosted?"))
                p { a href="/providers" { "Back to DNS providers" } }
            },
        );
    };
    let title = format!("Add DNS provider: {}", provider_type_label(chosen));
    page(
        &title,
        chrome,
        html! {
            h1 { "Add DNS provider" }
            (form_error(err, &form_keys(chosen, err)))
            form.stack.card #provider-form method="post" action="/providers" novalidate data-type-form {
                (csrf_input(chrome.csrf))
                (typed::type_select("p-type", "type", "Provider type", chosen, super::error_for(err, "type")))
                (Widget::text("p-label", "label", "Label", Some(&draft.label)).required().error_from(err).render())
                (Widget::text("p-suffixes", "domainSuffixes", "Domain suffixes", Some(&draft.suffixes)).required()
                    .hint("The domains this provider answers for, comma or space separated, e.g. example.com, example.org").error_from(err).render())
                @if chosen.needs_token() {
                    fieldset data-value=(chosen.as_str()) data-token-fields {
                        legend { (provider_type_label(chosen)) " credentials" }
                        (token_inputs(chosen, TokenUse::Add, err))
                        p.hint.small { "Stored encrypted in the vault and never shown again." }
                    }
                } @else {
                    p.hint data-no-token { "No credentials: when a certificate needs a DNS-01 record, SSLBoard shows the TXT record to add by hand and checks that it is visible." }
                }
                (config_fieldset(chosen, draft, err))
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
            p { "Type: " strong { (provider_type_label(t)) } " · " span.mono.small { (p.id) } " · updated " (when::time(&p.updated_at)) }
            section aria-labelledby="h-settings" {
                h2 #h-settings { "Settings" }
                (form_error(settings_err, &form_keys(t, settings_err)))
                form.stack.card #provider-edit method="post" action={"/providers/" (p.id)} novalidate {
                    (csrf_input(chrome.csrf))
                    (Widget::text("p-label", "label", "Label", Some(&draft.label)).required().error_from(settings_err).render())
                    (Widget::text("p-suffixes", "domainSuffixes", "Domain suffixes", Some(&draft.suffixes)).required()
                        .hint("Comma or space separated").error_from(settings_err).render())
                    (config_fieldset(t, draft, settings_err))
                    @if t.needs_token() {
                        (token_inputs(t, TokenUse::Keep, settings_err))
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
                    (form_error(token_err, &[TOKEN.into(), ACCESS_KEY_ID.into()]))
                    form.stack.card #token-form method="post" action={"/providers/" (p.id) "/token"} novalidate {
                        (csrf_input(chrome.csrf))
                        (token_inputs(t, TokenUse::Replace, token_err))
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

#[cfg(test)]
mod tests {
    use super::super::test_support::{input_names, render};
    use super::*;
    use crate::web::fields::token_fields;

    #[test]
    fn the_add_form_has_only_the_chosen_types_inputs_and_words() {
        for t in ProviderType::ALL {
            let draft = Draft {
                provider_type: t.as_str().into(),
                label: "L".into(),
                suffixes: "a.test".into(),
                ..Draft::default()
            };
            let html = render(|c| new(c, &draft, None));
            let mut want: Vec<String> = ["type", "label", "domainSuffixes"]
                .iter()
                .map(|s| s.to_string())
                .collect();
            want.extend(token_fields(t).iter().map(|f| token_input(f.key)));
            want.extend(provider_fields(t).iter().map(|f| config_input(t, f.key)));
            want.sort();
            assert_eq!(input_names(&html), want, "{t:?}");
            for other in ProviderType::ALL {
                if other == t {
                    continue;
                }
                for f in token_fields(other) {
                    if !token_fields(t).iter().any(|g| g.label == f.label) {
                        assert!(
                            !html.contains(&format!(">{}<", f.label)),
                            "{t:?} shows {}",
                            f.label
                        );
                    }
                }
            }
            assert!(!html.contains("ACCESS_KEY_ID:SECRET_ACCESS_KEY"), "{t:?}");
        }
    }
}
