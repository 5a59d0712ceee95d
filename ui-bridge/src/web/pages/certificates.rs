//! Settings → Certificates: the list (names, expiry, status), the issue
//! form (names, account, key type), the page of a running issuance (per
//! name: step, provider used, ambiguity warnings, the TXT record to add by
//! hand when no provider covers it; then the certificate, or the CA's
//! problem and suggestions; a renewal runs on the same page), the details
//! page (the public chain, to read or download; renewal time and window,
//! the renewal error, where it is deployed; renew, export to files,
//! revoke), the revoke and delete confirmations.
//!
//! The run page is rendered on the server from what the run has seen so
//! far, so it works without JavaScript (it reloads itself while the run
//! goes on); with JavaScript it follows the run's server-sent events and
//! re-renders in place.

use std::collections::BTreeMap;

use maud::{html, Markup};
use shared::error::WireError;
use shared::protocol::acme::{
    key_type_name, AcmeAccountMeta, AcmeAccountStatus, AcmeProblem, CertificateMeta,
    CertificateStatus, CertificateWithChain, IssueOutcome, IssueProgress, IssueStep,
    RevocationReason, StepStatus,
};
use shared::protocol::dns::ProviderMeta;

use super::accounts::{account_name, key_type_select};
use super::{csrf_input, error_for, form_error, page, select, Chrome};
use crate::web::fields::provider_type_label;
use crate::web::forms::acme::{key_type_label, reason_label};
use crate::web::sse::IssueLog;
use crate::web::when;

/// The steps shown in a run's progress list, in order.
pub const STEPS: [IssueStep; 8] = [
    IssueStep::Order,
    IssueStep::Authorize,
    IssueStep::Present,
    IssueStep::Propagate,
    IssueStep::Validate,
    IssueStep::Finalize,
    IssueStep::Download,
    IssueStep::Cleanup,
];

/// People-facing name of a step.
pub fn step_label(s: IssueStep) -> &'static str {
    match s {
        IssueStep::Order => "Order",
        IssueStep::Authorize => "Authorizations",
        IssueStep::Present => "Add TXT records",
        IssueStep::Propagate => "Wait for DNS",
        IssueStep::Validate => "CA validation",
        IssueStep::Finalize => "Finalize",
        IssueStep::Download => "Download",
        IssueStep::Cleanup => "Clean up",
        IssueStep::Done => "Done",
    }
}

fn status_str(s: CertificateStatus) -> &'static str {
    match s {
        CertificateStatus::Valid => "valid",
        CertificateStatus::Expired => "expired",
        CertificateStatus::Revoked => "revoked",
    }
}

fn cert_status(c: &CertificateMeta) -> Markup {
    let class = match c.status {
        CertificateStatus::Valid => "badge ok",
        CertificateStatus::Expired => "badge warn",
        CertificateStatus::Revoked => "badge bad",
    };
    html! { span class=(class) data-status=(status_str(c.status)) { (status_str(c.status)) } }
}

/// A short title for a certificate: its first name, and how many more.
pub fn cert_title(c: &CertificateMeta) -> String {
    match c.names.as_slice() {
        [] => c.id.clone(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (+{})", rest.len()),
    }
}

fn account_label(accounts: &[AcmeAccountMeta], id: &str) -> String {
    accounts
        .iter()
        .find(|a| a.id == id)
        .map(account_name)
        .unwrap_or_else(|| format!("{id} (deleted)"))
}

/// The list page.
pub fn list(
    chrome: &Chrome<'_>,
    certs: &[CertificateMeta],
    accounts: &[AcmeAccountMeta],
) -> Markup {
    page(
        "Certificates",
        chrome,
        html! {
            div.page-head {
                h1 { "Certificates" }
                a.button href="/certificates/new" { "Issue certificate" }
            }
            @if certs.is_empty() {
                div.card.empty #empty {
                    @if accounts.is_empty() {
                        p { strong { "No certificates yet:" } " first add an ACME account at the certificate authority that should issue them, then issue one here." }
                        p { a.button href="/accounts/new" { "Add an ACME account" } }
                    } @else {
                        p { strong { "No certificates yet:" } " issue one for the names your servers answer to. Each name's DNS-01 record goes through the DNS provider for its domain, or is shown for you to add by hand." }
                        p { a.button href="/certificates/new" { "Issue your first certificate" } }
                    }
                }
            } @else {
                table.list #certificates {
                    caption.muted.small { "Certificates" }
                    thead { tr { th scope="col" { "Names" } th scope="col" { "Expires" } th scope="col" { "Renews" } th scope="col" { "Status" } th scope="col" { "Account" } th scope="col" { "Actions" } } }
                    tbody {
                        @for c in certs {
                            tr data-certificate=(c.id) data-names=(c.names.join(" ")) {
                                td data-label="Names" {
                                    a href={"/certificates/" (c.id)} { strong { (cert_title(c)) } }
                                    @if c.names.len() > 1 { ul.tags { @for n in c.names.iter().skip(1) { li { (n) } } } }
                                    span.mono.small.muted { (c.id) }
                                }
                                td data-label="Expires" data-not-after=(c.not_after) { (when::time(&c.not_after)) }
                                td data-label="Renews" data-renew-at=(c.renew_at) {
                                    @if let Some(next) = &c.replaced_by {
                                        span.small.muted { "renewed: " a href={"/certificates/" (next)} { "newer certificate" } }
                                    } @else if c.status == CertificateStatus::Valid {
                                        (when::time(&c.renew_at))
                                    } @else { span.muted { "—" } }
                                }
                                td data-label="Status" {
                                    (cert_status(c))
                                    @if let Some(e) = &c.last_renewal_error {
                                        " " span.badge.bad data-renewal-error title=(e) { "renewal failed" }
                                    }
                                }
                                td data-label="Account" { span.small { (account_label(accounts, &c.account_id)) } }
                                td data-label="Actions" {
                                    div.row-actions {
                                        a.button.secondary.small href={"/certificates/" (c.id)} aria-label={"Details of " (cert_title(c))} { "Details" }
                                        a.button.secondary.small href={"/certificates/" (c.id) "/chain.pem"} download aria-label={"Chain of " (cert_title(c)) " (download)"} { "Chain" }
                                        a.button.secondary.small href={"/certificates/" (c.id) "/delete"} aria-label={"Delete " (cert_title(c))} { "Delete" }
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

/// Values echoed back into the issue form.
#[derive(Debug, Clone, Default)]
pub struct IssueDraft {
    /// Names as typed.
    pub names: String,
    /// Account chosen.
    pub account_id: String,
    /// Key type value.
    pub key_type: String,
}

/// The issue form.
pub fn new(
    chrome: &Chrome<'_>,
    accounts: &[AcmeAccountMeta],
    draft: &IssueDraft,
    err: Option<&WireError>,
) -> Markup {
    let usable: Vec<&AcmeAccountMeta> = accounts
        .iter()
        .filter(|a| a.status == AcmeAccountStatus::Valid)
        .collect();
    let options: Vec<(String, String)> = usable
        .iter()
        .map(|a| (a.id.clone(), account_name(a)))
        .collect();
    let options: Vec<(&str, &str)> = options
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let chosen = if draft.account_id.is_empty() {
        options.first().map(|o| o.0)
    } else {
        Some(draft.account_id.as_str())
    };
    let names_err = error_for(err, "names");
    page(
        "Issue certificate",
        chrome,
        html! {
            h1 { "Issue a certificate" }
            @if usable.is_empty() {
                div.card.empty #empty {
                    p { strong { "No ACME account yet:" } " a certificate is ordered with an account at a certificate authority. Add one first." }
                    p { a.button href="/accounts/new" { "Add an ACME account" } }
                }
            } @else {
                (form_error(err, &["names".into(), "accountId".into(), "keyType".into()]))
                form.stack.card #issue-form method="post" action="/certificates" novalidate {
                    (csrf_input(chrome.csrf))
                    div.field data-field="names" {
                        label for="c-names" { "Names" }
                        textarea #c-names name="names" rows="3" required autocomplete="off" spellcheck="false"
                            aria-describedby={"c-names-hint" @if names_err.is_some() { " c-names-error" }}
                            aria-invalid=[names_err.map(|_| "true")] autofocus[names_err.is_some()] { (draft.names) }
                        p.hint #c-names-hint { "The host names the certificate is for, separated by spaces, commas or new lines, e.g. example.com www.example.com. " code { "*.example.com" } " covers every name one level down. Each name's DNS-01 record goes through the DNS provider for its domain; names no provider covers are shown for you to add by hand." }
                        @if let Some(e) = names_err { p.error #c-names-error data-error-for="names" { (e) } }
                    }
                    (select("c-account", "accountId", "ACME account", &options, chosen, error_for(err, "accountId")))
                    (key_type_select("c-keytype", "Certificate key type", &draft.key_type, err))
                    p.hint.small { "The certificate's private key is generated in the vault and never shown." }
                    div.actions {
                        button type="submit" { "Issue certificate" }
                        a.button.secondary href="/certificates" { "Cancel" }
                    }
                }
            }
        },
    )
}

/// What one name went through, from the run's events.
#[derive(Debug, Default)]
struct NameState<'a> {
    last: Option<&'a IssueProgress>,
    provider: Option<&'a str>,
    record: Option<&'a shared::protocol::acme::ChallengeRecord>,
    manual: bool,
    warnings: Vec<&'a str>,
}

fn per_name<'a>(log: &'a IssueLog) -> BTreeMap<&'a str, NameState<'a>> {
    let mut out: BTreeMap<&str, NameState<'_>> = BTreeMap::new();
    for e in &log.events {
        let Some(name) = e.name.as_deref() else {
            continue;
        };
        let s = out.entry(name).or_default();
        s.last = Some(e);
        if let Some(p) = e.provider.as_deref() {
            s.provider = Some(p);
        }
        if let Some(r) = &e.record {
            s.record = Some(r);
        }
        if e.step == IssueStep::Present && e.status == StepStatus::Waiting && e.provider.is_none() {
            s.manual = true;
        }
        for w in &e.warnings {
            if !s.warnings.contains(&w.as_str()) {
                s.warnings.push(w);
            }
        }
    }
    out
}

fn provider_label(providers: &[ProviderMeta], id: &str) -> String {
    providers
        .iter()
        .find(|p| p.id == id)
        .map(|p| format!("{} ({})", p.label, provider_type_label(p.provider_type)))
        .unwrap_or_else(|| id.to_string())
}

fn problem(p: &AcmeProblem) -> Markup {
    html! {
        div.problem data-problem=(p.problem_type) {
            p { strong { "The CA said: " } (p.detail) }
            p.small.mono { (p.problem_type) }
            @if !p.subproblems.is_empty() {
                ul {
                    @for s in &p.subproblems {
                        li data-subproblem=(s.problem_type) {
                            @if let Some(i) = &s.identifier { strong { (i) ": " } }
                            (s.detail) " " span.small.mono { "(" (s.problem_type) ")" }
                        }
                    }
                }
            }
        }
    }
}

fn outcome(o: &IssueOutcome) -> Markup {
    html! {
        @if o.success {
            div.outcome.notice.info data-outcome="success" tabindex="-1" {
                p.result.success { "Issued." }
                @if let Some(c) = &o.certificate {
                    p { "The certificate for " strong { (c.names.join(", ")) } " is valid until " (when::time(&c.not_after)) "." }
                    p.actions {
                        a.button href={"/certificates/" (c.id)} data-certificate-link=(c.id) { "View certificate" }
                        a.button.secondary href={"/certificates/" (c.id) "/chain.pem"} download { "Download chain (.pem)" }
                    }
                }
            }
        } @else {
            div.outcome.notice.error data-outcome="failure" tabindex="-1"
                data-failed-step=[o.failed_step.map(|s| s.as_str())] {
                p.result.failure {
                    "Not issued"
                    @if let Some(s) = o.failed_step { " (failed at: " (step_label(s)) ")" }
                    ": " (o.message.as_deref().unwrap_or("unknown error"))
                }
                @if let Some(p) = &o.problem { (problem(p)) }
            }
        }
        @if !o.suggestions.is_empty() {
            p { "Things to check:" }
            ul.suggestions { @for s in &o.suggestions { li { (s) } } }
        }
        @if !o.warnings.is_empty() {
            @for w in &o.warnings { p.notice.warn data-warning { (w) } }
        }
        @if !o.cleaned_up {
            p.notice.warn data-not-cleaned { "Some TXT records were not removed by SSLBoard (see above); remove them by hand when you no longer need them." }
        }
    }
}

/// A link back to the issue form with what was asked for (or to the
/// renewed certificate).
fn retry_link(log: &IssueLog) -> String {
    if let Some(old) = &log.renewal_of {
        return format!("/certificates/{old}");
    }
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("account", &log.account_id)
        .append_pair("names", &log.names.join(" "))
        .finish();
    format!("/certificates/new?{q}")
}

fn retry_text(log: &IssueLog) -> &'static str {
    match log.renewal_of {
        Some(_) => "Back to the certificate",
        None => "Change the names and try again",
    }
}

/// The section that shows a run (re-rendered in place by the script).
pub fn run_section(
    chrome: &Chrome<'_>,
    run: u64,
    log: &IssueLog,
    providers: &[ProviderMeta],
) -> Markup {
    let names = per_name(log);
    let done = log.outcome.is_some();
    let reached = STEPS
        .iter()
        .rposition(|s| log.events.iter().any(|e| e.step == *s))
        .map(|i| i + 1)
        .unwrap_or(0);
    let events = format!("/certificates/issue/{run}/events");
    html! {
        section.card #issue-run data-issue-run=(run) data-events=(events) data-done=(if done { "true" } else { "false" })
            aria-labelledby="h-run" {
            h2 #h-run {
                @match (&log.renewal_of, done) {
                    (Some(_), true) => "Renewal finished",
                    (Some(_), false) => "Renewing…",
                    (None, true) => "Issuance finished",
                    (None, false) => "Issuing…",
                }
            }
            @if let Some(old) = &log.renewal_of {
                p.small { "Renewal of " a href={"/certificates/" (old)} data-renewal-of=(old) { (old) } ": same names, account and key type." }
            }
            p { "Names: " strong { (log.names.join(", ")) } }
            @if !done {
                progress #run-progress max=(STEPS.len()) value=(reached) aria-label="Issuance progress" {}
            }
            ol.steps.issue-steps {
                @for s in STEPS {
                    @let last = log.events.iter().rev().find(|e| e.step == s && e.name.is_none())
                        .or_else(|| log.events.iter().rev().find(|e| e.step == s));
                    li data-step=(s.as_str()) data-status=[last.map(|e| e.status.as_str())] {
                        span.step { (step_label(s)) }
                        span class={"status " (last.map(|e| e.status.as_str()).unwrap_or("pending"))} { (last.map(|e| e.status.as_str()).unwrap_or("pending")) }
                        span.detail.muted.small { (last.map(|e| e.detail.as_str()).unwrap_or_default()) }
                    }
                }
            }
            @if !names.is_empty() {
                h3 { "Per name" }
                table.list.names #names {
                    caption.muted.small { "Each name's DNS-01 validation" }
                    thead { tr { th scope="col" { "Name" } th scope="col" { "Provider" } th scope="col" { "Step" } th scope="col" { "Detail" } } }
                    tbody {
                        @for (name, s) in &names {
                            tr data-name=(name) data-manual=[s.manual.then_some("true")] {
                                td data-label="Name" { strong { (name) } }
                                td data-label="Provider" data-provider=[s.provider] {
                                    @match s.provider {
                                        Some(p) => (provider_label(providers, p)),
                                        None => span.muted { @if s.manual { "none: add the record by hand" } @else { "—" } },
                                    }
                                }
                                td data-label="Step" {
                                    @if let Some(e) = s.last {
                                        span class={"status " (e.status.as_str())} data-status=(e.status.as_str()) { (step_label(e.step)) ": " (e.status.as_str()) }
                                    }
                                }
                                td data-label="Detail" {
                                    @if let Some(e) = s.last { span.small { (e.detail) } }
                                    @for w in &s.warnings { p.notice.warn.small data-warning { (w) } }
                                    @if s.manual {
                                        @if let Some(r) = s.record {
                                            div.manual data-manual-record {
                                                p.small { strong { "Add this TXT record at your DNS host:" } }
                                                dl.kv {
                                                    dt { "Record name" } dd.mono data-record-name { (r.record_name) }
                                                    dt { "Type" } dd { "TXT" }
                                                    dt { "Value" } dd.mono data-record-value { (r.value) }
                                                }
                                                p.small.muted { "SSLBoard waits until every authoritative nameserver serves it, then asks the CA to check. Remove it afterwards." }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            div #run-live.small.muted role="status" aria-live="polite" data-live {}
            @match &log.outcome {
                None => {
                    form.actions method="post" action={"/certificates/issue/" (run) "/cancel"} {
                        (csrf_input(chrome.csrf))
                        button.secondary type="submit" { "Cancel issuance" }
                    }
                    noscript { p.small.muted { "This page reloads itself every few seconds until the issuance ends." } }
                }
                Some(Ok(o)) => {
                    (outcome(o))
                    @if !o.success { p { a.button.secondary href=(retry_link(log)) { (retry_text(log)) } } }
                }
                Some(Err(e)) => {
                    div.outcome.notice.error data-outcome="error" data-error-field=[e.field.as_deref()] tabindex="-1" role="alert" {
                        p.result.failure { "Not started: " (e.message) }
                    }
                    p { a.button.secondary href=(retry_link(log)) { (retry_text(log)) } }
                }
            }
        }
    }
}

/// The page of a run (without JavaScript it reloads itself while the run
/// goes on: the handler sets [`Chrome::refresh`]).
pub fn run_page(
    chrome: &Chrome<'_>,
    run: u64,
    log: &IssueLog,
    providers: &[ProviderMeta],
) -> Markup {
    page(
        "Issuing a certificate",
        chrome,
        html! {
            h1 { "Issue a certificate" }
            (run_section(chrome, run, log, providers))
            p { a href="/certificates" { "Back to certificates" } }
        },
    )
}

/// Values echoed back into the export form.
#[derive(Debug, Clone, Default)]
pub struct ExportDraft {
    /// Directory as typed.
    pub dir: String,
    /// `privkey.pem` too.
    pub include_key: bool,
    /// Replace existing files.
    pub overwrite: bool,
}

impl ExportDraft {
    /// The form as it starts: the last export's target, when there is one.
    pub fn of(c: &CertificateMeta) -> Self {
        match &c.deploy_to {
            Some(d) => Self {
                dir: d.dir.clone(),
                include_key: d.include_key,
                overwrite: true,
            },
            None => Self::default(),
        }
    }
}

fn checkbox(
    id: &str,
    name: &str,
    label: &str,
    checked: bool,
    hint: &str,
    err: Option<&str>,
) -> Markup {
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-error");
    html! {
        div.field.check data-field=(name) {
            div.inline {
                input type="checkbox" id=(id) name=(name) value="1" checked[checked]
                    aria-describedby={(hint_id) @if err.is_some() { " " (err_id) }}
                    aria-invalid=[err.map(|_| "true")] autofocus[err.is_some()];
                label for=(id) { (label) }
            }
            p.hint id=(hint_id) { (hint) }
            @if let Some(e) = err { p.error id=(err_id) data-error-for=(name) { (e) } }
        }
    }
}

fn lifecycle(
    chrome: &Chrome<'_>,
    m: &CertificateMeta,
    draft: &ExportDraft,
    err: Option<&WireError>,
) -> Markup {
    let dir_err = error_for(err, "dir");
    html! {
        @if m.status != CertificateStatus::Revoked {
            section.card #renew aria-labelledby="h-renew" {
                h2 #h-renew { "Renew" }
                p.small { "A new certificate for the same names, account and key type, with a new key unless you keep this one. This one stays listed until you delete it."
                    @if m.deploy_to.is_some() { " The renewed files are written where this one was exported." } }
                form.stack method="post" action={"/certificates/" (m.id) "/renew"} {
                    (csrf_input(chrome.csrf))
                    (checkbox("r-reuse", "reuseKey", "Keep the current private key", false,
                        "Only when a key is pinned somewhere (HPKP, DANE); a fresh key is the safer default.", None))
                    div.actions { button type="submit" { "Renew now" } }
                }
            }
        }
        section.card #export aria-labelledby="h-export" {
            h2 #h-export { "Export to files" }
            p.small { "Writes " code { "fullchain.pem" } ", " code { "cert.pem" } " and " code { "chain.pem" } " (and, when asked, " code { "privkey.pem" } ", mode 0600, written by the vault itself and recorded in its audit table) into a directory on this machine, created 0700 when absent. Renewals write there again." }
            (form_error(err, &["dir".into(), "includeKey".into(), "overwrite".into()]))
            form.stack #export-form method="post" action={"/certificates/" (m.id) "/export"} novalidate {
                (csrf_input(chrome.csrf))
                div.field data-field="dir" {
                    label for="e-dir" { "Directory" }
                    input type="text" #e-dir name="dir" value=(draft.dir) required autocomplete="off" spellcheck="false"
                        aria-describedby={"e-dir-hint" @if dir_err.is_some() { " e-dir-error" }}
                        aria-invalid=[dir_err.map(|_| "true")] autofocus[dir_err.is_some()];
                    p.hint #e-dir-hint { "An absolute path, e.g. /etc/ssl/example.com. A symbolic link or a directory owned by another user is refused." }
                    @if let Some(e) = dir_err { p.error #e-dir-error data-error-for="dir" { (e) } }
                }
                (checkbox("e-key", "includeKey", "Include the private key (privkey.pem)", draft.include_key,
                    "The one way a key leaves the vault: the vault writes the file itself; the pages never see the key.", error_for(err, "includeKey")))
                (checkbox("e-overwrite", "overwrite", "Replace existing files", draft.overwrite,
                    "Without it, an existing file is left alone and the export is refused.", error_for(err, "overwrite")))
                div.actions { button type="submit" { "Export files" } }
            }
        }
    }
}

/// The details page (with the export form's draft and error).
pub fn details(
    chrome: &Chrome<'_>,
    c: &CertificateWithChain,
    accounts: &[AcmeAccountMeta],
    export: &ExportDraft,
    err: Option<&WireError>,
) -> Markup {
    let m = &c.meta;
    let title = format!("Certificate {}", cert_title(m));
    page(
        &title,
        chrome,
        html! {
            div.page-head {
                h1 { (cert_title(m)) }
                (cert_status(m))
            }
            @if let Some(e) = &m.last_renewal_error {
                div.notice.error data-renewal-error role="alert" {
                    p { strong { "The last automatic renewal failed" }
                        @if m.renewal_failures > 1 { " (" (m.renewal_failures) " times in a row)" } ": " (e) }
                    @if let Some(next) = &m.next_renewal_attempt { p.small { "The next attempt is " (when::time(next)) "; or renew now below." } }
                }
            }
            section.card #certificate-details aria-labelledby="h-cert" data-certificate=(m.id) {
                h2 #h-cert { "Details" }
                dl.kv {
                    dt { "Names" } dd { ul.tags { @for n in &m.names { li { (n) } } } }
                    dt { "Valid from" } dd { (when::time(&m.not_before)) }
                    dt { "Expires" } dd data-not-after=(m.not_after) { (when::time(&m.not_after)) }
                    dt { "Status" } dd data-status=(status_str(m.status)) { (status_str(m.status)) }
                    @if m.status == CertificateStatus::Valid && m.replaced_by.is_none() {
                        dt { "Renews" } dd data-renew-at=(m.renew_at) { (when::time(&m.renew_at)) }
                    }
                    @if let Some(w) = &m.renewal_window {
                        dt { "CA's renewal window" } dd data-renewal-window { (when::time(&w.start)) " – " (when::time(&w.end)) }
                    }
                    @if let Some(old) = &m.renewed_from {
                        dt { "Renewed from" } dd { a.mono.small href={"/certificates/" (old)} data-renewed-from=(old) { (old) } }
                    }
                    @if let Some(next) = &m.replaced_by {
                        dt { "Renewed by" } dd { a.mono.small href={"/certificates/" (next)} data-replaced-by=(next) { (next) } }
                    }
                    @if let Some(d) = &m.deploy_to {
                        dt { "Exported to" } dd data-deploy-to=(d.dir) { span.mono.small { (d.dir) } @if d.include_key { " " span.muted.small { "(with the key)" } } }
                    }
                    dt { "Issuer" } dd.small { (m.issuer) }
                    dt { "Serial" } dd.mono.small { (m.serial) }
                    dt { "Key type" } dd { (key_type_label(m.key_type)) " " span.mono.small.muted { "(" (key_type_name(m.key_type)) ")" } }
                    dt { "Private key" } dd { span.mono.small data-key-ref { (m.key_ref) } " " span.muted.small { "kept in the vault, never shown" } }
                    dt { "Account" } dd { (account_label(accounts, &m.account_id)) }
                    dt { "Issued" } dd { (when::time(&m.created_at)) }
                    dt { "Id" } dd.mono.small { (m.id) }
                }
            }
            (lifecycle(chrome, m, export, err))
            section.card aria-labelledby="h-chain" {
                h2 #h-chain { "Certificate chain (public)" }
                p.small.muted { "The certificate and its intermediates, PEM. Public data: safe to copy to your server's fullchain file." }
                p.actions { a.button href={"/certificates/" (m.id) "/chain.pem"} download data-download { "Download chain (.pem)" } }
                pre.pem #chain tabindex="0" aria-label="Certificate chain, PEM" { (c.chain_pem) }
            }
            div.actions {
                @if m.status != CertificateStatus::Revoked {
                    a.button.danger href={"/certificates/" (m.id) "/revoke"} { "Revoke…" }
                }
                a.button.danger href={"/certificates/" (m.id) "/delete"} { "Delete…" }
                a href="/certificates" { "Back to certificates" }
            }
        },
    )
}

/// The revoke confirmation, with the reason picker.
pub fn confirm_revoke(chrome: &Chrome<'_>, c: &CertificateMeta, err: Option<&WireError>) -> Markup {
    let mut options: Vec<(&str, &str)> = vec![("", "No reason given")];
    options.extend(
        RevocationReason::all()
            .iter()
            .map(|r| (r.as_str(), reason_label(*r))),
    );
    page(
        "Revoke certificate",
        chrome,
        html! {
            h1 { "Revoke the certificate for " (cert_title(c)) "?" }
            p { "The CA is told that the certificate for " strong { (c.names.join(", ")) } " must no longer be trusted. This cannot be undone; servers using it should get a new one first (renew, then revoke with “Superseded”)." }
            (form_error(err, &["reason".into()]))
            form.stack method="post" action={"/certificates/" (c.id) "/revoke"} {
                (csrf_input(chrome.csrf))
                (select("v-reason", "reason", "Reason", &options, Some(""), error_for(err, "reason")))
                div.actions {
                    button.danger type="submit" { "Revoke certificate" }
                    a.button.secondary href={"/certificates/" (c.id)} { "Cancel" }
                }
            }
        },
    )
}

/// The delete confirmation.
pub fn confirm_delete(chrome: &Chrome<'_>, c: &CertificateMeta) -> Markup {
    page(
        "Delete certificate",
        chrome,
        html! {
            h1 { "Delete the certificate for " (cert_title(c)) "?" }
            p { "The certificate for " strong { (c.names.join(", ")) } " and its private key are deleted from SSLBoard. Servers that already have a copy keep working until it expires; it is not revoked." }
            form.actions method="post" action={"/certificates/" (c.id) "/delete"} {
                (csrf_input(chrome.csrf))
                button.danger type="submit" { "Delete certificate" }
                a.button.secondary href={"/certificates/" (c.id)} { "Cancel" }
            }
        },
    )
}

/// The file name a chain is downloaded as: the first name, made safe.
pub fn chain_file_name(c: &CertificateMeta) -> String {
    let base: String = c
        .names
        .first()
        .map(String::as_str)
        .unwrap_or("certificate")
        .replace('*', "wildcard")
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '.' || ch == '-' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    format!("{base}.chain.pem")
}

#[cfg(test)]
mod tests {
    use super::super::test_support::render;
    use super::*;
    use shared::protocol::acme::ChallengeRecord;

    fn ev(step: IssueStep, status: StepStatus, name: Option<&str>) -> IssueProgress {
        IssueProgress {
            step,
            status,
            detail: format!("{} {}", step.as_str(), status.as_str()),
            name: name.map(str::to_string),
            provider: None,
            record: None,
            warnings: vec![],
        }
    }

    #[test]
    fn a_run_shows_each_names_provider_warnings_and_manual_record() {
        let mut manual = ev(IssueStep::Present, StepStatus::Waiting, Some("m.test"));
        manual.record = Some(ChallengeRecord {
            record_name: "_acme-challenge.m.test".into(),
            value: "VALUE123".into(),
        });
        let mut amb = ev(IssueStep::Present, StepStatus::Warning, Some("a.test"));
        amb.provider = Some("dns_prov_1".into());
        amb.warnings = vec!["two providers".into()];
        let log = IssueLog {
            names: vec!["m.test".into(), "a.test".into()],
            account_id: "acct_1".into(),
            renewal_of: None,
            events: vec![ev(IssueStep::Order, StepStatus::Ok, None), manual, amb],
            outcome: None,
        };
        let html = render(|c| run_page(c, 7, &log, &[]));
        assert!(html.contains("data-record-name>_acme-challenge.m.test<"));
        assert!(html.contains("VALUE123"));
        assert!(html.contains("two providers"));
        assert!(html.contains("data-provider=\"dns_prov_1\""));
        assert!(html.contains("data-done=\"false\""));
        assert!(html.contains("/certificates/issue/7/cancel"));
    }

    #[test]
    fn a_failed_run_shows_the_cas_problem_and_suggestions() {
        let log = IssueLog {
            names: vec!["a_b.test".into()],
            account_id: "acct_1".into(),
            renewal_of: None,
            events: vec![],
            outcome: Some(Ok(IssueOutcome {
                success: false,
                certificate: None,
                failed_step: Some(IssueStep::Order),
                message: Some("the CA refused".into()),
                problem: Some(AcmeProblem {
                    problem_type: "urn:ietf:params:acme:error:malformed".into(),
                    detail: "bad name a_b.test".into(),
                    subproblems: vec![],
                }),
                suggestions: vec!["check the names".into()],
                warnings: vec![],
                cleaned_up: true,
            })),
        };
        let html = render(|c| run_page(c, 7, &log, &[]));
        assert!(html.contains("data-outcome=\"failure\""));
        assert!(html.contains("urn:ietf:params:acme:error:malformed"));
        assert!(html.contains("check the names"));
        assert!(html.contains("names=a_b.test"));
        assert!(!html.contains("/cancel"));
    }

    #[test]
    fn chain_file_names_are_safe() {
        let c = CertificateMeta {
            id: "cert_1".into(),
            names: vec!["*.example.test".into()],
            account_id: "a".into(),
            key_ref: "k".into(),
            key_type: shared::protocol::keys::KeyType::EcP256,
            serial: "1".into(),
            issuer: "i".into(),
            not_before: "2026-01-01T00:00:00Z".into(),
            not_after: "2026-04-01T00:00:00Z".into(),
            status: CertificateStatus::Valid,
            created_at: "2026-01-01T00:00:00Z".into(),
            renew_at: "2026-03-01T00:00:00Z".into(),
            renewal_window: None,
            renewed_from: None,
            replaced_by: None,
            last_renewal_error: Some("the CA said no".into()),
            renewal_failures: 2,
            next_renewal_attempt: Some("2026-03-02T00:00:00Z".into()),
            deploy_to: Some(shared::protocol::acme::DeployTarget {
                dir: "/srv/tls".into(),
                include_key: true,
            }),
        };
        assert_eq!(chain_file_name(&c), "wildcard.example.test.chain.pem");
        let with = CertificateWithChain {
            meta: c.clone(),
            chain_pem: "-----BEGIN CERTIFICATE-----".into(),
        };
        let e = WireError::validation("exists").with_field("overwrite");
        let html = render(|ch| details(ch, &with, &[], &ExportDraft::of(&c), Some(&e)));
        assert!(html.contains("data-renewal-error") && html.contains("the CA said no"));
        assert!(html.contains("value=\"/srv/tls\""));
        assert!(html.contains("data-error-for=\"overwrite\""));
        assert!(
            html.contains("/certificates/cert_1/revoke")
                && html.contains("/certificates/cert_1/renew")
        );
        let html = render(|ch| list(ch, std::slice::from_ref(&c), &[]));
        assert!(html.contains("data-renewal-error") && html.contains("data-renew-at"));
        let html = render(|ch| confirm_revoke(ch, &c, None));
        assert!(html.contains("value=\"keyCompromise\""));
    }
}
