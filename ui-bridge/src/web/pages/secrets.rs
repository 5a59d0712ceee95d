//! Settings → Secrets: the list with filters, the add form (the type is
//! chosen first and only its inputs are rendered, see [`crate::web::typed`]),
//! the edit page (metadata and value replacement apart), and the delete
//! confirmation. Values are never rendered: the list says "set", secret
//! inputs are always empty.

use maud::{html, Markup};
use shared::error::WireError;
use shared::protocol::secrets::{SecretKind, SecretMeta, SecretType};

use super::{csrf_input, form_error, page, select, Chrome, TextArea, Widget};
use crate::web::expiry::{expiry, Expiry};
use crate::web::fields::{secret_fields, secret_type_label, CUSTOM_ROWS};
use crate::web::forms::secrets::{data_input, HOSTS_INPUT};
use crate::web::typed::{self, FormType};
use crate::web::when;

/// The list's filters, as given in the query.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Filters {
    /// Kind.
    pub kind: Option<String>,
    /// Type.
    #[serde(rename = "type")]
    pub secret_type: Option<String>,
    /// Tag.
    pub tag: Option<String>,
    /// Cursor.
    pub after: Option<String>,
}

impl Filters {
    /// The filters without the cursor, as a query string.
    pub fn query(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("kind", &self.kind),
            ("type", &self.secret_type),
            ("tag", &self.tag),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.append_pair(k, v);
            }
        }
        q.finish()
    }
}

fn kind_label(k: SecretKind) -> &'static str {
    match k {
        SecretKind::DnsProviderToken => "DNS provider token",
        SecretKind::AcmeAccountKey => "ACME account key",
        SecretKind::ManagedPrivateKey => "Managed private key",
        SecretKind::Generic => "Generic",
    }
}

fn value_state(s: &SecretMeta) -> Markup {
    match (&s.external, s.has_local_value) {
        (Some(e), true) => {
            html! { span.badge.ok { "set" } " " span.small.muted { "external: " (e.path) } }
        }
        (Some(e), false) => html! { span.small { "external: " (e.path) } },
        (None, true) => html! { span.badge.ok data-value-state="set" { "set" } },
        (None, false) => html! { span.badge.warn { "not set" } },
    }
}

fn expiry_cell(s: &SecretMeta) -> Markup {
    match expiry(s) {
        Expiry::None => html! { span.muted { "—" } },
        Expiry::Expired(at) => {
            html! { span.badge.bad data-expiry="expired" { "expired " (when(&at)) } }
        }
        Expiry::Soon(at) => {
            html! { span.badge.warn data-expiry="soon" { "expires soon: " (when(&at)) } }
        }
        Expiry::Later(at) => html! { span { (when(&at)) } },
    }
}

fn when(t: &str) -> Markup {
    when::time(t)
}

fn owner_cell(s: &SecretMeta) -> Markup {
    match &s.owner {
        Some(o) => html! { a href={"/providers/" (o) "/edit"} title=(o) { "DNS provider" } },
        None => html! { span.muted { "—" } },
    }
}

fn filters_form(f: &Filters) -> Markup {
    let mut kinds = vec![("", "Any kind")];
    kinds.extend(SecretKind::ALL.iter().map(|k| (k.as_str(), kind_label(*k))));
    let mut types = vec![("", "Any type")];
    types.extend(
        SecretType::ALL
            .iter()
            .map(|t| (t.as_str(), secret_type_label(*t))),
    );
    html! {
        form.filters.card method="get" action="/secrets" role="search" aria-label="Filter secrets" {
            (select("f-kind", "kind", "Kind", &kinds, f.kind.as_deref(), None))
            (select("f-type", "type", "Type", &types, f.secret_type.as_deref(), None))
            div.field {
                label for="f-tag" { "Tag" }
                input type="search" id="f-tag" name="tag" value=[f.tag.as_deref()];
            }
            div.actions {
                button type="submit" { "Filter" }
                a.button.secondary href="/secrets" { "Clear" }
            }
        }
    }
}

fn actions_cell(s: &SecretMeta) -> Markup {
    match &s.owner {
        None => html! {
            div.row-actions {
                a.button.secondary.small href={"/secrets/" (s.reference) "/edit"} aria-label={"Edit " (s.name)} { "Edit" }
                a.button.secondary.small href={"/secrets/" (s.reference) "/delete"} aria-label={"Delete " (s.name)} { "Delete" }
            }
        },
        Some(o) => html! {
            span.small.muted { "managed by its " a href={"/providers/" (o) "/edit"} title=(o) { "DNS provider" } }
        },
    }
}

/// The list page.
pub fn list(
    chrome: &Chrome<'_>,
    f: &Filters,
    secrets: &[SecretMeta],
    next: Option<&str>,
) -> Markup {
    let filtered = !f.query().is_empty();
    page(
        "Secrets",
        chrome,
        html! {
            div.page-head {
                h1 { "Secrets" }
                a.button href="/secrets/new" { "Add secret" }
            }
            (filters_form(f))
            @if secrets.is_empty() {
                @if filtered {
                    div.card.empty #empty {
                        p { "No secret matches these filters." }
                        p { a href="/secrets" { "Show all secrets" } }
                    }
                } @else {
                    div.card.empty #empty {
                        p { strong { "No secrets yet." } " Add the API keys, passwords and private keys your certificate workflows need; each value is encrypted and never shown again." }
                        p { a.button href="/secrets/new" { "Add your first secret" } }
                    }
                }
            } @else {
                table.list #secrets {
                    caption.muted.small { (secrets.len()) " secret(s)" @if filtered { ", filtered" } ". Values are never shown." }
                    thead { tr {
                        th scope="col" { "Name" } th scope="col" { "Type" }
                        th scope="col" { "Label" } th scope="col" { "Tags" } th scope="col" { "Value" }
                        th scope="col" { "Updated" }
                        th scope="col" { "Expiry" } th scope="col" { "Actions" }
                    } }
                    tbody {
                        @for s in secrets {
                            tr data-secret=(s.name) {
                                td data-label="Name" { div { strong { (s.name) } br; span.mono.small.muted { (s.reference) } } }
                                td data-label="Type" { div { (secret_type_label(s.secret_type)) br; span.small.muted data-kind { (kind_label(s.kind)) } } }
                                td data-label="Label" { (s.label) }
                                td data-label="Tags" { ul.tags { @for t in &s.tags { li { (t) } } } }
                                td data-label="Value" { div { (value_state(s)) } }
                                td data-label="Updated" { (when(&s.updated_at)) }
                                td data-label="Expiry" { (expiry_cell(s)) }
                                td data-label="Actions" { (actions_cell(s)) }
                            }
                        }
                    }
                }
                @if let Some(n) = next {
                    @let q = f.query();
                    p { a href={"/secrets?" (q) @if !q.is_empty() { "&" } "after=" (n)} { "Next page" } }
                }
            }
        },
    )
}

/// The data inputs of type `t` (empty, always).
fn data_fieldset(t: SecretType, err: Option<&WireError>) -> Markup {
    let legend = format!("{} value", secret_type_label(t));
    html! {
        fieldset data-value=(t.as_str()) data-type-fields {
            legend { (legend) }
            @if t == SecretType::Custom {
                (custom_rows(err))
            } @else {
                @for field in secret_fields(t) {
                    @let name = data_input(t, field.key);
                    @let id = format!("d-{}-{}", t.as_str(), field.key);
                    @let key = format!("data.{}", field.key);
                    (Widget::of(field, &id, &name).key(&key).error_from(err).render())
                }
            }
        }
    }
}

fn custom_rows(err: Option<&WireError>) -> Markup {
    let data_err = super::error_for(err, "data");
    let field_err = err
        .and_then(|e| e.field.as_deref())
        .filter(|f| f.starts_with("data.") && *f != "data")
        .and(err.map(|e| e.message.as_str()));
    let field_name = err.and_then(|e| e.field.as_deref()).unwrap_or_default();
    let described = match (data_err.is_some(), field_err.is_some()) {
        (true, _) => Some("custom-error"),
        (_, true) => Some("custom-field-error"),
        _ => None,
    };
    let invalid = described.map(|_| "true");
    html! {
        p.hint.small #custom-hint { "Each field has a name (letters, digits, _ and -) and a value." }
        div #custom-rows data-field="data" {
            @for i in 0..CUSTOM_ROWS {
                div.custom-row {
                    div.field {
                        label for={"c-" (i) "-name"} { "Field name" }
                        input type="text" id={"c-" (i) "-name"} name={"custom." (i) ".name"} autocomplete="off" spellcheck="false"
                            aria-describedby=[if i == 0 { described.or(Some("custom-hint")) } else { None }]
                            aria-invalid=[if i == 0 { invalid } else { None }] autofocus[i == 0 && invalid.is_some()];
                    }
                    div.field {
                        label for={"c-" (i) "-value"} { "Value" }
                        input type="password" id={"c-" (i) "-value"} name={"custom." (i) ".value"} autocomplete="off" data-secret-input;
                    }
                }
            }
        }
        button.secondary type="button" data-add-row="custom-rows" hidden { "Add field" }
        @if let Some(e) = data_err { p.error #custom-error data-error-for="data" { (e) } }
        @if let Some(e) = field_err { p.error #custom-field-error data-error-for=(field_name) { (field_name) ": " (e) } }
    }
}

/// Non-secret values echoed back into the add form after an error.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Type.
    pub secret_type: String,
    /// Label.
    pub label: String,
    /// Description.
    pub description: String,
    /// Tags as typed.
    pub tags: String,
    /// External path.
    pub external_path: String,
    /// `allowedHosts` as typed.
    pub allowed_hosts: String,
}

/// Whether a secret of type `t` (created as `generic`) may carry
/// `allowedHosts`: private keys never go into a request.
fn takes_hosts(t: SecretType) -> bool {
    t != SecretType::PrivateKey
}

const HOSTS_HINT: &str = "Host names or IP literals a workflow's http_request may send this secret to, separated by commas or new lines (exact names, any port; no scheme, port or wildcard). Without a list the secret cannot be used in a request.";

fn hosts_input(id: &str, value: &str, hint: &str, err: Option<&WireError>) -> Markup {
    TextArea {
        id,
        name: HOSTS_INPUT,
        key: "allowedHosts",
        label: "Allowed hosts",
        hint,
        value,
        error: super::error_for(err, "allowedHosts"),
        rows: 2,
    }
    .render()
}

/// Every input key of the add form of type `t` (for form-level errors).
fn create_keys(t: SecretType) -> Vec<String> {
    let mut keys: Vec<String> = [
        "name",
        "kind",
        "type",
        "label",
        "description",
        "tags",
        "external.path",
        "data",
        "allowedHosts",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    keys.extend(secret_fields(t).iter().map(|f| format!("data.{}", f.key)));
    keys
}

/// Kinds a secret of type `t` can be created as (provider tokens never).
fn kinds_for(t: SecretType) -> Vec<SecretKind> {
    if t == SecretType::PrivateKey {
        vec![
            SecretKind::Generic,
            SecretKind::AcmeAccountKey,
            SecretKind::ManagedPrivateKey,
        ]
    } else {
        vec![SecretKind::Generic]
    }
}

/// The add page: the type chooser until a type is picked, then the form
/// with only that type's inputs.
pub fn new(chrome: &Chrome<'_>, draft: &Draft, err: Option<&WireError>) -> Markup {
    let Some(chosen) = SecretType::from_value(&draft.secret_type) else {
        return page(
            "Add secret",
            chrome,
            html! {
                h1 { "Add secret" }
                (form_error(err, &[]))
                (typed::chooser::<SecretType>("/secrets/new", "What kind of secret is it?"))
                p { a href="/secrets" { "Back to secrets" } }
            },
        );
    };
    let kinds: Vec<(&str, &str)> = kinds_for(chosen)
        .into_iter()
        .map(|k| (k.as_str(), kind_label(k)))
        .collect();
    let kind = if kinds.iter().any(|(k, _)| *k == draft.kind) {
        draft.kind.as_str()
    } else {
        "generic"
    };
    let mut keys = create_keys(chosen);
    if chosen == SecretType::Custom {
        if let Some(f) = err.and_then(|e| e.field.clone()) {
            if f.starts_with("data.") {
                keys.push(f);
            }
        }
    }
    let title = format!("Add secret: {}", secret_type_label(chosen));
    page(
        &title,
        chrome,
        html! {
            h1 { "Add secret" }
            (form_error(err, &keys))
            form.stack.card #secret-form method="post" action="/secrets" novalidate data-type-form {
                (csrf_input(chrome.csrf))
                (typed::type_select("s-type", "type", "Type", chosen, super::error_for(err, "type")))
                (Widget::text("s-name", "name", "Name", Some(&draft.name)).required()
                    .hint("Letters, digits, _ and -; starts with a letter or _. Used in templates as {{secrets.NAME.FIELD}}.")
                    .error_from(err).render())
                @if kinds.len() > 1 {
                    (select("s-kind", "kind", "Kind", &kinds, Some(kind), super::error_for(err, "kind")))
                } @else {
                    input type="hidden" name="kind" value=(kind);
                }
                (data_fieldset(chosen, err))
                (Widget::text("s-label", "label", "Label", Some(&draft.label)).error_from(err).render())
                (Widget::text("s-description", "description", "Description", Some(&draft.description)).error_from(err).render())
                (Widget::text("s-tags", "tags", "Tags", Some(&draft.tags)).hint("Comma separated").error_from(err).render())
                @if takes_hosts(chosen) {
                    (hosts_input("s-hosts", &draft.allowed_hosts, HOSTS_HINT, err))
                }
                details open[!draft.external_path.is_empty()] {
                    summary { "External source (OpenBao / Vault)" }
                    (Widget::text("s-external", "external_path", "Path in the external provider", Some(&draft.external_path))
                        .key("external.path")
                        .hint("Fetch this secret from the configured external provider; the value above is then an optional local copy.")
                        .error_from(err).render())
                }
                p.hint.small { "Values are sent once to the vault and never shown again." }
                div.actions {
                    button type="submit" { "Save secret" }
                    a.button.secondary href="/secrets" { "Cancel" }
                }
            }
        },
    )
}

fn details(s: &SecretMeta) -> Markup {
    html! {
        dl.kv.card #secret-details {
            dt { "Name" } dd { (s.name) }
            dt { "Reference" } dd.mono { (s.reference) }
            dt { "Kind" } dd { (kind_label(s.kind)) }
            dt { "Type" } dd { (secret_type_label(s.secret_type)) }
            dt { "Fields" } dd { (s.fields.join(", ")) }
            dt { "Value" } dd { (value_state(s)) }
            dt { "Created" } dd { (when(&s.created_at)) }
            dt { "Updated" } dd { (when(&s.updated_at)) }
            dt { "Expiry" } dd { (expiry_cell(s)) }
            dt { "Owner" } dd { (owner_cell(s)) }
            @if s.kind == SecretKind::Generic && s.owner.is_none() {
                dt { "Allowed hosts" }
                dd data-allowed-hosts {
                    @match &s.allowed_hosts {
                        Some(h) => ul.tags { @for x in h { li.mono { (x) } } },
                        None => span.muted { "none: not usable in a workflow request" },
                    }
                }
            }
        }
    }
}

/// Which edit form an error belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditForm {
    /// Label, description, tags.
    Meta,
    /// Value replacement.
    Value,
}

/// The edit page; `meta` holds the metadata inputs as typed after an
/// error, `hosts` the allowed hosts as typed into the value form.
pub fn edit(
    chrome: &Chrome<'_>,
    s: &SecretMeta,
    err: Option<(EditForm, &WireError)>,
    meta: Option<(&str, &str, &str)>,
    hosts: Option<&str>,
) -> Markup {
    let meta_err = err.filter(|(f, _)| *f == EditForm::Meta).map(|(_, e)| e);
    let value_err = err.filter(|(f, _)| *f == EditForm::Value).map(|(_, e)| e);
    let tags = s.tags.join(", ");
    let (label, description, tags) = meta.unwrap_or((&s.label, &s.description, &tags));
    let mut value_keys: Vec<String> = secret_fields(s.secret_type)
        .iter()
        .map(|f| format!("data.{}", f.key))
        .collect();
    value_keys.push("data".into());
    value_keys.push("allowedHosts".into());
    let current_hosts = s.allowed_hosts.as_deref().unwrap_or_default().join("\n");
    let hosts = hosts.unwrap_or(&current_hosts);
    let with_hosts = s.kind == SecretKind::Generic && takes_hosts(s.secret_type);
    if let Some(f) = value_err.and_then(|e| e.field.clone()) {
        if s.secret_type == SecretType::Custom && f.starts_with("data.") {
            value_keys.push(f);
        }
    }
    let title = format!("Secret {}", s.name);
    page(
        &title,
        chrome,
        html! {
            h1 { "Secret " (s.name) }
            (details(s))
            @if let Some(owner) = &s.owner {
                p.notice.warn {
                    "This is the token of a DNS provider; change it on "
                    a href={"/providers/" (owner) "/edit"} { "the provider's page" } "."
                }
            } @else {
                section aria-labelledby="h-meta" {
                    h2 #h-meta { "Details" }
                    (form_error(meta_err, &["label".into(), "description".into(), "tags".into()]))
                    form.stack.card #meta-form method="post" action={"/secrets/" (s.reference) "/meta"} novalidate {
                        (csrf_input(chrome.csrf))
                        (Widget::text("e-label", "label", "Label", Some(label)).error_from(meta_err).render())
                        (Widget::text("e-description", "description", "Description", Some(description)).error_from(meta_err).render())
                        (Widget::text("e-tags", "tags", "Tags", Some(tags)).hint("Comma separated").error_from(meta_err).render())
                        div.actions { button type="submit" { "Save details" } }
                    }
                }
                section aria-labelledby="h-value" {
                    h2 #h-value { "Replace value" }
                    p.hint.small { "The current value is never shown. Enter the complete new value; the reference stays the same." }
                    (form_error(value_err, &value_keys))
                    form.stack.card #value-form method="post" action={"/secrets/" (s.reference) "/value"} novalidate {
                        (csrf_input(chrome.csrf))
                        (data_fieldset(s.secret_type, value_err))
                        @if with_hosts {
                            (hosts_input("v-hosts", hosts,
                                "Where a workflow may send this secret: host names or IP literals separated by commas or new lines. Changing the list needs the value again: enter the complete value above with it (the vault seals the list with the value and refuses a new list without it). Leave the list as it is to keep it.",
                                value_err))
                        }
                        div.actions { button type="submit" { "Replace value" } }
                    }
                }
                p { a.button.danger href={"/secrets/" (s.reference) "/delete"} { "Delete…" } }
            }
            p { a href="/secrets" { "Back to secrets" } }
        },
    )
}

/// The delete confirmation.
pub fn confirm_delete(chrome: &Chrome<'_>, s: &SecretMeta) -> Markup {
    page(
        "Delete secret",
        chrome,
        html! {
            h1 { "Delete secret " (s.name) "?" }
            p { "The secret " strong { (s.name) } " (" span.mono { (s.reference) } ") will be removed from the vault. Templates that use it will stop resolving. This cannot be undone." }
            form.actions method="post" action={"/secrets/" (s.reference) "/delete"} {
                (csrf_input(chrome.csrf))
                button.danger type="submit" { "Delete secret" }
                a.button.secondary href="/secrets" { "Cancel" }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{input_names, render};
    use super::*;

    #[test]
    fn the_add_form_has_only_the_chosen_types_inputs() {
        let chooser = render(|c| new(c, &Draft::default(), None));
        assert!(!chooser.contains("secret-form"), "a form before a type");
        for t in SecretType::ALL {
            assert!(chooser.contains(&format!("/secrets/new?type={}", t.as_str())));
            let draft = Draft {
                secret_type: t.as_str().into(),
                ..Draft::default()
            };
            let html = render(|c| new(c, &draft, None));
            let names = input_names(&html);
            let mut want: Vec<String> = [
                "type",
                "name",
                "label",
                "description",
                "tags",
                "external_path",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            if t == SecretType::Custom {
                for i in 0..CUSTOM_ROWS {
                    want.push(format!("custom.{i}.name"));
                    want.push(format!("custom.{i}.value"));
                }
            } else {
                want.extend(secret_fields(t).iter().map(|f| data_input(t, f.key)));
            }
            if t == SecretType::PrivateKey {
                want.push("kind".into());
            } else {
                want.push(HOSTS_INPUT.into());
            }
            want.sort();
            assert_eq!(names, want, "{t:?}");
            assert!(
                html.find("name=\"type\"") < html.find("name=\"name\""),
                "type first"
            );
        }
    }

    #[test]
    fn a_rerendered_draft_keeps_text_and_never_a_value() {
        let draft = Draft {
            name: "kept_name".into(),
            secret_type: "basic_auth".into(),
            label: "kept label".into(),
            ..Draft::default()
        };
        let html = render(|c| new(c, &draft, None));
        assert!(html.contains("value=\"kept_name\"") && html.contains("value=\"kept label\""));
        for piece in html.split("data-secret-input").skip(1) {
            let rest = piece.split('>').next().unwrap_or_default();
            assert!(
                !rest.contains("value="),
                "a secret input has a value: {rest}"
            );
        }
    }
}
