//! Renders typed answers, errors and events as the JSON lines of the contract.
//! Built only from metadata types: nothing here can render a secret value.

use serde_json::{json, Value};
use shared::error::WireError;
use shared::protocol::acme::{
    key_type_name, AcmeAccountMeta, AcmeProblem, AuditEntry, CertificateMeta, CertificateStatus,
    ExportOutcome, IssueOutcome, IssueProgress, RenewalEvent,
};
use shared::protocol::dns::{ProviderMeta, Resolution, TestOutcome, TestProgress};
use shared::protocol::secrets::{
    ExternalProviderMeta, KeySourceState, SecretMeta, TemplateReference,
};
use shared::protocol::ui::{UiEvent, UiResponse};
use shared::protocol::vault::ExportDoc;

/// `{"id", "ok": true, "result"}`.
pub fn ok_line(id: u64, resp: &UiResponse) -> Value {
    json!({ "id": id, "ok": true, "result": result(resp) })
}

/// The response line as text. List pages are written straight from their
/// typed items ([`super::views`]); every other answer through [`ok_line`].
pub fn ok_text(id: u64, resp: &UiResponse) -> String {
    let typed = match resp {
        UiResponse::Secrets(list, next) => super::views::secret_page(id, list, next),
        UiResponse::Providers(list, next) => super::views::provider_page(id, list, next),
        _ => return ok_line(id, resp).to_string(),
    };
    typed.unwrap_or_else(|e| {
        error_line(
            Some(id),
            &WireError::internal(format!("rendering the answer failed: {e}")),
        )
        .to_string()
    })
}

/// `{"id", "ok": false, "error": {code, message, details?}}`.
pub fn error_line(id: Option<u64>, err: &WireError) -> Value {
    json!({ "id": id, "ok": false, "error": error(err) })
}

/// The error object.
pub fn error(err: &WireError) -> Value {
    let mut e = json!({ "code": err.code.as_str(), "message": err.message });
    if err.field.is_some() || err.offset.is_some() {
        e["details"] = json!({ "field": err.field, "offset": err.offset });
    }
    if let Some(node) = &err.node {
        e["details"]["node"] = json!(node);
    }
    e
}

/// `{"event", "id", "data"}`.
pub fn event_line(id: u64, ev: &UiEvent) -> Value {
    match ev {
        UiEvent::DnsTestProgress(p) => {
            json!({ "event": "dns_test_progress", "id": id, "data": progress(p) })
        }
        UiEvent::CertificateProgress(p) => {
            json!({ "event": "certificate_progress", "id": id, "data": issue_progress(p) })
        }
        UiEvent::CertificateRenewal(r) => {
            json!({ "event": "certificate_renewal", "id": id, "data": renewal_event(r) })
        }
        UiEvent::WorkflowProgress(p) => {
            json!({ "event": "workflow_progress", "id": id, "data": super::workflow::progress(p) })
        }
        UiEvent::WorkflowRun(r) => {
            json!({ "event": "workflow_run", "id": id, "data": super::workflow::run(r) })
        }
    }
}

/// A `certificate_renewal` data object.
pub fn renewal_event(r: &RenewalEvent) -> Value {
    json!({
        "certificateId": r.certificate_id,
        "status": r.status.as_str(),
        "newCertificateId": r.new_certificate_id,
        "error": r.error,
        "nextAttemptAt": r.next_attempt_at,
    })
}

/// The result of `certificate_export`.
pub fn export_outcome(o: &ExportOutcome) -> Value {
    json!({
        "files": o.files.iter().map(|f| json!({
            "name": f.file.name(),
            "path": f.path,
            "mode": format!("{:04o}", f.mode),
        })).collect::<Vec<_>>(),
        "deployTo": { "dir": o.deploy_to.dir, "includeKey": o.deploy_to.include_key },
    })
}

/// An audit entry.
pub fn audit_entry(e: &AuditEntry) -> Value {
    json!({
        "id": e.id,
        "at": e.at,
        "action": e.action.as_str(),
        "certificateId": e.certificate_id,
        "path": e.path,
    })
}

/// A progress object.
pub fn progress(p: &TestProgress) -> Value {
    let nameservers: Vec<Value> = p
        .nameservers
        .iter()
        .map(|n| json!({ "address": n.address, "state": n.state, "detail": n.detail }))
        .collect();
    json!({ "step": p.step, "status": p.status, "detail": p.detail, "nameservers": nameservers })
}

/// The `result` object of a response.
pub fn result(resp: &UiResponse) -> Value {
    match resp {
        UiResponse::Pong => json!({ "pong": true }),
        UiResponse::VaultStatus(s) => match s.key_source {
            KeySourceState::Ready(source) => {
                json!({ "unlocked": s.unlocked, "keySource": source.as_str() })
            }
            KeySourceState::Unavailable(code) => {
                json!({ "unlocked": s.unlocked, "keySource": "unavailable", "reason": code.as_str() })
            }
            KeySourceState::NotOpened => {
                json!({ "unlocked": s.unlocked, "keySource": "not_opened" })
            }
        },
        UiResponse::Unlocked(u) => json!({ "unlocked": u }),
        UiResponse::Secret(m) => secret(m),
        UiResponse::Secrets(list, next) => json!({
            "secrets": list.iter().map(secret).collect::<Vec<_>>(),
            "next": next,
        }),
        UiResponse::Deleted => json!({ "deleted": true }),
        UiResponse::References(r) => {
            json!({ "references": r.iter().map(reference).collect::<Vec<_>>() })
        }
        UiResponse::Export(doc) => export(doc),
        UiResponse::ExternalProvider(m) => external(m.as_ref()),
        UiResponse::Provider(p) => {
            json!({ "provider": provider(&p.provider), "warnings": p.warnings })
        }
        UiResponse::Providers(list, next) => json!({
            "providers": list.iter().map(provider).collect::<Vec<_>>(),
            "next": next,
        }),
        UiResponse::TestOutcome(o) => outcome(o),
        UiResponse::Cancelled(c) => json!({ "cancelled": c }),
        UiResponse::Resolution(r) => resolution(r),
        UiResponse::AcmeAccount(a) => account(a),
        UiResponse::AcmeAccounts(list) => {
            json!({ "accounts": list.iter().map(account).collect::<Vec<_>>() })
        }
        UiResponse::IssueOutcome(o) => issue_outcome(o),
        UiResponse::Certificates(list, next) => json!({
            "certificates": list.iter().map(certificate).collect::<Vec<_>>(),
            "next": next,
        }),
        UiResponse::Certificate(c) => {
            let mut v = certificate(&c.meta);
            v["chainPem"] = json!(c.chain_pem);
            v
        }
        UiResponse::CertificateMeta(c) => certificate(c),
        UiResponse::Exported(o) => export_outcome(o),
        UiResponse::Audit(entries, next) => json!({
            "entries": entries.iter().map(audit_entry).collect::<Vec<_>>(),
            "next": next,
        }),
        UiResponse::SubscriptionEnded => json!({ "ended": true }),
        UiResponse::Workflow(w) => super::workflow::meta(w),
        UiResponse::Workflows(list, next) => json!({
            "workflows": list.iter().map(super::workflow::meta).collect::<Vec<_>>(),
            "next": next,
        }),
        UiResponse::WorkflowCheck(c) => super::workflow::check(c),
        UiResponse::WorkflowRun(r) => super::workflow::run(r),
        UiResponse::WorkflowRuns(list, next) => json!({
            "runs": list.iter().map(super::workflow::run).collect::<Vec<_>>(),
            "next": next,
        }),
    }
}

/// `AcmeAccountMeta` JSON.
pub fn account(a: &AcmeAccountMeta) -> Value {
    json!({
        "id": a.id,
        "directoryUrl": a.directory_url,
        "accountUrl": a.account_url,
        "contact": a.contact,
        "status": a.status.as_str(),
        "keyRef": a.key_ref,
        "createdAt": a.created_at,
    })
}

/// `CertificateMeta` JSON.
pub fn certificate(c: &CertificateMeta) -> Value {
    json!({
        "id": c.id,
        "names": c.names,
        "accountId": c.account_id,
        "keyRef": c.key_ref,
        "keyType": key_type_name(c.key_type),
        "serial": c.serial,
        "issuer": c.issuer,
        "notBefore": c.not_before,
        "notAfter": c.not_after,
        "status": match c.status {
            CertificateStatus::Valid => "valid",
            CertificateStatus::Expired => "expired",
            CertificateStatus::Revoked => "revoked",
        },
        "createdAt": c.created_at,
        "renewAt": c.renew_at,
        "renewalWindow": c.renewal_window.as_ref().map(|w| json!({"start": w.start, "end": w.end})),
        "renewedFrom": c.renewed_from,
        "replacedBy": c.replaced_by,
        "lastRenewalError": c.last_renewal_error,
        "renewalFailures": c.renewal_failures,
        "nextRenewalAttempt": c.next_renewal_attempt,
        "deployTo": c.deploy_to.as_ref().map(|d| json!({"dir": d.dir, "includeKey": d.include_key})),
    })
}

/// A `certificate_progress` data object.
pub fn issue_progress(p: &IssueProgress) -> Value {
    let mut v = json!({
        "step": p.step.as_str(),
        "status": p.status.as_str(),
        "detail": p.detail,
    });
    if let Some(n) = &p.name {
        v["name"] = json!(n);
    }
    if let Some(pr) = &p.provider {
        v["provider"] = json!(pr);
    }
    if let Some(r) = &p.record {
        v["record"] = json!({ "recordName": r.record_name, "type": "TXT", "value": r.value });
    }
    if !p.warnings.is_empty() {
        v["warnings"] = json!(p.warnings);
    }
    v
}

fn problem(p: &AcmeProblem) -> Value {
    let mut v = json!({ "type": p.problem_type, "detail": p.detail });
    if !p.subproblems.is_empty() {
        v["subproblems"] = p
            .subproblems
            .iter()
            .map(|s| json!({ "type": s.problem_type, "detail": s.detail, "identifier": s.identifier }))
            .collect();
    }
    v
}

fn issue_outcome(o: &IssueOutcome) -> Value {
    json!({
        "success": o.success,
        "certificate": o.certificate.as_ref().map(certificate),
        "failedStep": o.failed_step.map(|s| s.as_str()),
        "message": o.message,
        "problem": o.problem.as_ref().map(problem),
        "suggestions": o.suggestions,
        "warnings": o.warnings,
        "cleanedUp": o.cleaned_up,
    })
}

/// `SecretMeta` JSON (the one shape: [`super::views::SecretJson`]).
pub fn secret(m: &SecretMeta) -> Value {
    serde_json::to_value(super::views::SecretJson::from(m)).unwrap_or(Value::Null)
}

fn reference(r: &TemplateReference) -> Value {
    json!({ "name": r.name, "field": r.field, "offset": r.offset })
}

/// `ProviderMeta` JSON (the one shape: [`super::views::ProviderJson`]).
pub fn provider(p: &ProviderMeta) -> Value {
    serde_json::to_value(super::views::ProviderJson::from(p)).unwrap_or(Value::Null)
}

/// An external provider's metadata (or `null`).
pub fn external(m: Option<&ExternalProviderMeta>) -> Value {
    match m {
        None => json!({ "configured": false }),
        Some(m) => json!({
            "configured": true,
            "kind": match m.kind {
                shared::protocol::secrets::ExternalProviderKind::Openbao => "openbao",
                shared::protocol::secrets::ExternalProviderKind::Vault => "vault",
            },
            "address": m.address,
            "mount": m.mount,
            "pathPrefix": m.path_prefix,
            "namespace": m.namespace,
            "hasCa": m.has_ca,
            "tokenRef": m.token_ref,
        }),
    }
}

fn export(doc: &ExportDoc) -> Value {
    json!({
        "version": doc.version,
        "secrets": doc.secrets.iter().map(secret).collect::<Vec<_>>(),
        "providers": doc.providers.iter().map(provider).collect::<Vec<_>>(),
        "externalProviders": doc.external_provider.as_ref().map(|m| vec![external(Some(m))]).unwrap_or_default(),
        "workflows": doc.workflows.iter().map(super::workflow::meta).collect::<Vec<_>>(),
    })
}

fn outcome(o: &TestOutcome) -> Value {
    json!({
        "success": o.success,
        "failedStep": o.failed_step,
        "message": o.message,
        "suggestions": o.suggestions,
        "cleanedUp": o.cleaned_up,
        "recordName": o.record_name,
        "zone": o.zone,
        "cleanupError": o.cleanup_error,
    })
}

fn resolution(r: &Resolution) -> Value {
    match r {
        Resolution::Provider {
            provider: p,
            matched_suffix,
            warnings,
        } => json!({
            "mode": "provider",
            "provider": provider(p),
            "matchedSuffix": matched_suffix,
            "warnings": warnings,
        }),
        Resolution::Manual { instructions } => json!({
            "mode": "manual",
            "instructions": {
                "recordName": instructions.record_name,
                "type": instructions.record_type,
                "value": instructions.value,
                "check": instructions.check,
            },
        }),
    }
}
