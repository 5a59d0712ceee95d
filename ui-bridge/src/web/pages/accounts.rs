//! Settings → ACME accounts: the list, the add form (the certificate
//! authority is chosen first — Let's Encrypt, its staging, or another CA by
//! directory URL with its CA certificate — see [`crate::web::typed`]), and
//! the delete confirmation (optionally deactivating the account at the CA).
//! The EAB HMAC key input is write-only, like every secret input.

use maud::{html, Markup};
use shared::error::WireError;
use shared::protocol::acme::{key_type_name, AcmeAccountMeta, AcmeAccountStatus};
use shared::protocol::keys::KeyType;

use super::{csrf_input, error_for, form_error, page, select, Chrome, Widget};
use crate::web::fields::Input;
use crate::web::forms::acme::{key_type_label, terms_in, Directory};
use crate::web::typed::{self, FormType};
use crate::web::when;

/// Non-secret values echoed back into the add form after an error.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// Directory choice (`type`).
    pub directory: String,
    /// Custom directory URL.
    pub directory_url: String,
    /// Custom CA certificate (public).
    pub ca_pem: String,
    /// Contact e-mail addresses as typed.
    pub contact: String,
    /// Key type value.
    pub key_type: String,
    /// EAB key identifier (not secret; the HMAC key is).
    pub eab_kid: String,
    /// The terms box was ticked.
    pub agreed: bool,
}

/// The host of a directory URL (what a list shows).
pub fn directory_host(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.host_str().map(|h| match u.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_string(),
            })
        })
        .unwrap_or_else(|| url.to_string())
}

/// What a person calls an account: its directory's preset name or host,
/// and its contact.
pub fn account_name(a: &AcmeAccountMeta) -> String {
    let ca = Directory::ALL
        .iter()
        .find(|d| d.url() == Some(a.directory_url.as_str()))
        .map(|d| d.label().to_string())
        .unwrap_or_else(|| directory_host(&a.directory_url));
    match a.contact.first() {
        Some(c) => format!("{ca} · {}", c.trim_start_matches("mailto:")),
        None => ca,
    }
}

fn status_badge(s: AcmeAccountStatus) -> Markup {
    let class = match s {
        AcmeAccountStatus::Valid => "badge ok",
        AcmeAccountStatus::Deactivated => "badge warn",
        AcmeAccountStatus::Revoked => "badge bad",
    };
    html! { span class=(class) data-status=(s.as_str()) { (s.as_str()) } }
}

/// The list page.
pub fn list(chrome: &Chrome<'_>, accounts: &[AcmeAccountMeta]) -> Markup {
    page(
        "ACME accounts",
        chrome,
        html! {
            div.page-head {
                h1 { "ACME accounts" }
                a.button href="/accounts/new" { "Add account" }
            }
            p.muted { "An account at a certificate authority orders certificates. Its key is generated and kept in the vault; it is never shown." }
            @if accounts.is_empty() {
                div.card.empty #empty {
                    p { strong { "No ACME accounts yet:" } " add one at the certificate authority that should issue your certificates (Let's Encrypt, for most)." }
                    p { a.button href="/accounts/new" { "Add your first ACME account" } }
                }
            } @else {
                table.list #accounts {
                    caption.muted.small { "ACME accounts" }
                    thead { tr { th scope="col" { "Certificate authority" } th scope="col" { "Contact" } th scope="col" { "Status" } th scope="col" { "Created" } th scope="col" { "Actions" } } }
                    tbody {
                        @for a in accounts {
                            tr data-account=(a.id) {
                                td data-label="Certificate authority" {
                                    strong { (account_name(a).split(" · ").next().unwrap_or_default()) }
                                    br;
                                    span.mono.small { (a.directory_url) }
                                    br;
                                    span.mono.small.muted { (a.id) }
                                }
                                td data-label="Contact" {
                                    @if a.contact.is_empty() { span.muted { "none" } }
                                    @for c in &a.contact { span { (c.trim_start_matches("mailto:")) } br; }
                                }
                                td data-label="Status" { (status_badge(a.status)) }
                                td data-label="Created" { (when::time(&a.created_at)) }
                                td data-label="Actions" {
                                    div.row-actions {
                                        a.button.secondary.small href={"/certificates/new?account=" (a.id)} aria-label={"Issue certificate with " (account_name(a))} { "Issue certificate" }
                                        a.button.secondary.small href={"/accounts/" (a.id) "/delete"} aria-label={"Delete " (account_name(a))} { "Delete" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The key type `<select>` (`keyType`).
pub fn key_type_select(id: &str, label: &str, chosen: &str, err: Option<&WireError>) -> Markup {
    let options: Vec<(&str, &str)> = KeyType::ALL
        .iter()
        .map(|t| (key_type_name(*t), key_type_label(*t)))
        .collect();
    let chosen = if chosen.is_empty() { "ec-p256" } else { chosen };
    select(
        id,
        "keyType",
        label,
        &options,
        Some(chosen),
        error_for(err, "keyType"),
    )
}

fn terms_link(url: &str) -> Markup {
    html! {
        @if url.starts_with("https://") {
            a href=(url) target="_blank" rel="noopener noreferrer" data-terms=(url) { (url) }
        } @else {
            code data-terms=(url) { (url) }
        }
    }
}

const FIELDS: [&str; 9] = [
    "type",
    "eab",
    "directoryUrl",
    "caPem",
    "contact",
    "keyType",
    "termsOfServiceAgreed",
    "eab.kid",
    "eab.hmacKey",
];

/// The add page: the CA chooser until one is picked, then its form.
pub fn new(chrome: &Chrome<'_>, draft: &Draft, err: Option<&WireError>) -> Markup {
    let Some(chosen) = Directory::from_value(&draft.directory) else {
        return page(
            "Add ACME account",
            chrome,
            html! {
                h1 { "Add ACME account" }
                (form_error(err, &[]))
                (typed::chooser::<Directory>("/accounts/new", "Which certificate authority?"))
                p { a href="/accounts" { "Back to ACME accounts" } }
            },
        );
    };
    let keys: Vec<String> = FIELDS.iter().map(|s| s.to_string()).collect();
    // The eab object as a whole, or a key not otherwise shown: at the top.
    let terms_err = error_for(err, "termsOfServiceAgreed");
    let terms_url = err.and_then(terms_in).or(chosen.terms());
    let eab_err = err.filter(|e| e.field.as_deref() == Some("eab"));
    let title = format!("Add ACME account: {}", chosen.label());
    page(
        &title,
        chrome,
        html! {
            h1 { "Add ACME account" }
            (form_error(err, &keys))
            form.stack.card #account-form method="post" action="/accounts" novalidate data-type-form {
                (csrf_input(chrome.csrf))
                (typed::type_select("a-type", "type", "Certificate authority", chosen, error_for(err, "type")))
                @match chosen.url() {
                    Some(url) => p.small data-directory=(url) { "Directory: " span.mono { (url) } },
                    None => {
                        (Widget::text("a-dir", "directoryUrl", "Directory URL", Some(&draft.directory_url)).required()
                            .hint("The CA's ACME directory, https:// only, e.g. https://acme.zerossl.com/v2/DV90").error_from(err).render())
                        @let pem_err = error_for(err, "caPem");
                        div.field data-field="caPem" {
                            label for="a-capem" { "CA certificate (PEM)" span.muted.small { " (optional)" } }
                            textarea #a-capem name="caPem" autocomplete="off" spellcheck="false" aria-describedby={"a-capem-hint" @if pem_err.is_some() { " a-capem-error" }}
                                aria-invalid=[pem_err.map(|_| "true")] autofocus[pem_err.is_some()] { (draft.ca_pem) }
                            p.hint #a-capem-hint { "Only for a private CA whose HTTPS certificate your system does not trust (step-ca, pebble): the CA certificate that signed it. Public data." }
                            @if let Some(e) = pem_err { p.error #a-capem-error data-error-for="caPem" { (e) } }
                        }
                    }
                }
                (Widget::text("a-contact", "contact", "Contact e-mail", Some(&draft.contact))
                    .hint("Where the CA sends expiry and policy notices; comma separated for several. Optional at most CAs.").error_from(err).render())
                (key_type_select("a-keytype", "Account key type", &draft.key_type, err))
                fieldset data-eab {
                    legend { "External account binding " span.muted.small { "(only when the CA asks for it)" } }
                    @if let Some(e) = eab_err { p.error data-error-for="eab" role="alert" { (e.message) } }
                    p.hint.small { "Some CAs (ZeroSSL, Google, most commercial ones) give you a key ID and an HMAC key to link the account to yours. Let's Encrypt does not." }
                    (Widget::text("a-eab-kid", "eab.kid", "EAB key ID", Some(&draft.eab_kid)).error_from(err).render())
                    (Widget { hint: "Stored encrypted in the vault and never shown again.",
                        ..Widget::of(&EAB_HMAC, "a-eab-hmac", "eab.hmacKey") }.error_from(err).render())
                }
                div.field.check data-field="termsOfServiceAgreed" {
                    div.inline {
                        input type="checkbox" #a-terms name="termsOfServiceAgreed" value="1" checked[draft.agreed] required
                            aria-describedby={"a-terms-hint" @if terms_err.is_some() { " a-terms-error" }}
                            aria-invalid=[terms_err.map(|_| "true")] autofocus[terms_err.is_some()];
                        label for="a-terms" { "I agree to the certificate authority's terms of service" }
                    }
                    p.hint #a-terms-hint {
                        @match terms_url {
                            Some(u) => { "Terms: " (terms_link(u)) }
                            None => { "The CA's directory names its terms; they are linked here if it asks you to agree." }
                        }
                    }
                    @if terms_err.is_some() { p.error #a-terms-error data-error-for="termsOfServiceAgreed" { "Tick the box to agree to the terms above: the CA requires it." } }
                }
                div.actions {
                    button type="submit" { "Create account" }
                    a.button.secondary href="/accounts" { "Cancel" }
                }
            }
        },
    )
}

/// The EAB HMAC key input: a write-only secret.
const EAB_HMAC: crate::web::fields::Field = crate::web::fields::Field {
    key: "eab.hmacKey",
    label: "EAB HMAC key",
    input: Input::Password,
    required: false,
    hint: "",
};

/// The delete confirmation.
pub fn confirm_delete(chrome: &Chrome<'_>, a: &AcmeAccountMeta, certificates: usize) -> Markup {
    let name = account_name(a);
    page(
        "Delete ACME account",
        chrome,
        html! {
            h1 { "Delete the account " (name) "?" }
            p { "The account " span.mono { (a.id) } " at " span.mono { (a.directory_url) } " and its key are deleted from SSLBoard." }
            @if certificates > 0 {
                p.notice.warn data-certificates=(certificates) { (certificates) " certificate(s) were ordered with it. They stay, but cannot be renewed with this account." }
            }
            form.stack method="post" action={"/accounts/" (a.id) "/delete"} {
                (csrf_input(chrome.csrf))
                @if a.status == AcmeAccountStatus::Valid {
                    div.field.check {
                        div.inline {
                            input type="checkbox" #d-deactivate name="deactivate" value="1" aria-describedby="d-deactivate-hint";
                            label for="d-deactivate" { "Also deactivate it at the CA" }
                        }
                        p.hint #d-deactivate-hint { "The CA then refuses every further request of this account, for good. Leave unticked to only forget it here." }
                    }
                }
                div.actions {
                    button.danger type="submit" { "Delete account" }
                    a.button.secondary href="/accounts" { "Cancel" }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{input_names, render};
    use super::*;

    #[test]
    fn each_ca_shows_only_its_inputs_and_no_secret_comes_back() {
        for d in Directory::ALL {
            let draft = Draft {
                directory: d.value().into(),
                contact: "a@b.test".into(),
                eab_kid: "kid".into(),
                ..Draft::default()
            };
            let e = WireError::validation("bad").with_field("eab.hmacKey");
            let html = render(|c| new(c, &draft, Some(&e)));
            let mut want = vec![
                "contact",
                "eab.hmacKey",
                "eab.kid",
                "keyType",
                "termsOfServiceAgreed",
                "type",
            ];
            if d == Directory::Custom {
                want.extend(["caPem", "directoryUrl"]);
            }
            want.sort();
            assert_eq!(input_names(&html), want, "{d:?}");
            assert!(html.contains("value=\"kid\""));
            assert!(!html.contains("name=\"eab.hmacKey\" value"));
            assert!(html.contains("data-error-for=\"eab.hmacKey\""));
            assert_eq!(
                html.contains(LE_TERMS_TEXT),
                d != Directory::Custom,
                "{d:?}"
            );
        }
    }

    const LE_TERMS_TEXT: &str = "https://letsencrypt.org/repository/";

    #[test]
    fn the_terms_link_comes_from_the_cores_error() {
        let draft = Draft {
            directory: "custom".into(),
            ..Draft::default()
        };
        let e = WireError::validation(
            "the CA has terms of service <https://ca.test/tos>: termsOfServiceAgreed must be true",
        )
        .with_field("termsOfServiceAgreed");
        let html = render(|c| new(c, &draft, Some(&e)));
        assert!(html.contains("href=\"https://ca.test/tos\""));
        assert!(html.contains("data-error-for=\"termsOfServiceAgreed\""));
    }
}
