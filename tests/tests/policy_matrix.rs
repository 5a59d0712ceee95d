//! Every request of every hop against every role, generated from the
//! protocol enums with serde-reflection: a new request variant appears here
//! on its own, and the test fails until its allow-list entry is decided in
//! the table below (and in the callee's `policy.rs`). vault-proc's refusals
//! are also checked over its real socket.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_reflection::{Tracer, TracerConfig};
use shared::error::ErrorCode;
use shared::protocol::dnsproc::DnsRequest;
use shared::protocol::ui::UiRequest;
use shared::protocol::vault::VaultRequest;
use shared::protocol::Role;
use sslboard_tests::direct::DirectVault;

/// One value of every variant of `T`.
fn every_variant<T: DeserializeOwned + Serialize>() -> Vec<(String, T)> {
    let mut tracer = Tracer::new(TracerConfig::default());
    let (_, values) = tracer.trace_simple_type::<T>().unwrap();
    values
        .into_iter()
        .map(|v| {
            let name = match serde_json::to_value(&v).unwrap() {
                serde_json::Value::String(s) => s,
                serde_json::Value::Object(o) => o.keys().next().unwrap().clone(),
                other => panic!("unexpected enum encoding {other}"),
            };
            (name, v)
        })
        .collect()
}

/// Who may send each vault-proc request. A new variant must be added here.
fn vault_allowed(variant: &str) -> &'static [Role] {
    match variant {
        "Status" | "Lock" | "Unlock" | "Create" | "Update" | "Delete" | "StageUpdate"
        | "CommitStaged" | "DiscardStaged" | "ListStaged" | "UnpairedTokens" | "List" | "ListPage"
        | "Get" | "ValidateTemplate" | "ExternalSet" | "ExternalGet"
        | "ExternalDelete" | "GrantPermit" | "RevokePermit" | "KeyCreate" | "KeyImport" => {
            &[Role::Broker]
        }
        // Values and signatures go only to dns-proc (each also under a permit).
        "Reveal" | "AcmeSign" | "CsrCreate" | "EabSign" | "PublicJwk" | "OrderKeyCreate" => {
            &[Role::Dns]
        }
        // Key files are written by vault-proc itself, asked by the broker only.
        "ExportFiles" | "AuditList" => &[Role::Broker],
        // Workflow values go to dns-proc only, under the run's permit.
        "WorkflowResolve" => &[Role::Dns],
        other => panic!("VaultRequest::{other} has no allow-list entry: decide it here and in vault-proc/src/policy.rs"),
    }
}

/// Who may send each dns-proc request.
fn dns_allowed(variant: &str) -> &'static [Role] {
    match variant {
        "PrepareCreate" | "CommitCreate" | "PrepareUpdate" | "CommitUpdate" | "DropApproval"
        | "DeleteBegin" | "DeleteFinish" | "ListDeleting" | "Existing" | "List" | "ListPage" | "Get" | "Resolve" | "Test"
        | "CancelTest" => &[Role::Broker],
        // ACME: accounts, orders, certificates; the broker grants the permits.
        "AcmeDirectory" | "AcmeAccountRegister" | "AcmeAccountList" | "AcmeAccountGet"
        | "AcmeAccountDelete" | "IssuePrepare" | "Issue" | "CancelIssue" | "JournalProviders"
        | "JournalCleanup" | "CertificateList" | "CertificateGet" | "CertificateDelete" => {
            &[Role::Broker]
        }
        // Certificate lifecycle: renewal, revocation, renewal state, deployment.
        "RenewPrepare" | "Revoke" | "RenewalDue" | "RenewalRecord" | "SetDeploy" => {
            &[Role::Broker]
        }
        // Workflows: the broker checks references and holds each run's permit.
        "WorkflowCheck" | "WorkflowCreate" | "WorkflowUpdate" | "WorkflowDelete" | "WorkflowList"
        | "WorkflowGet" | "WorkflowMatch" | "WorkflowNode" | "WorkflowRecord" | "WorkflowRuns" => &[Role::Broker],
        other => panic!("DnsRequest::{other} has no allow-list entry: decide it here and in dns-proc/src/policy.rs"),
    }
}

/// Who may send each UI command to the broker.
fn ui_allowed(variant: &str) -> &'static [Role] {
    match variant {
        "Ping" | "VaultStatus" | "VaultLock" | "VaultUnlock" | "SecretCreate" | "SecretUpdate"
        | "SecretDelete" | "SecretList" | "SecretGet" | "TemplateValidate" | "ConfigExport"
        | "ExternalProviderSet" | "ExternalProviderGet" | "ExternalProviderDelete"
        | "DnsProviderCreate" | "DnsProviderList" | "DnsProviderUpdate" | "DnsProviderDelete"
        | "DnsProviderTest" | "DnsProviderTestCancel" | "DnsResolve" | "KeyCreate" | "KeyImport"
        | "AcmeAccountCreate" | "AcmeAccountList" | "AcmeAccountDelete" | "CertificateIssue"
        | "CertificateIssueCancel" | "CertificateList" | "CertificateGet" | "CertificateDelete" => {
            &[Role::Ui]
        }
        "CertificateRenew" | "CertificateRevoke" | "CertificateExport" | "AuditList"
        | "EventsSubscribe" => &[Role::Ui],
        "WorkflowCreate" | "WorkflowUpdate" | "WorkflowDelete" | "WorkflowList" | "WorkflowGet"
        | "WorkflowValidate" | "WorkflowRun" | "WorkflowRuns" => &[Role::Ui],
        other => panic!("UiRequest::{other} has no allow-list entry: decide it here and in broker/src/policy.rs"),
    }
}

#[test]
fn every_ui_command_is_allowed_only_for_the_ui_role() {
    let all = every_variant::<UiRequest>();
    assert!(all.len() >= 21, "tracing found only {} variants", all.len());
    for (name, req) in &all {
        for role in Role::ALL {
            assert_eq!(
                broker::policy::permitted(role, req),
                ui_allowed(name).contains(&role),
                "UiRequest::{name} for {role:?}"
            );
        }
    }
}

#[test]
fn every_vault_request_is_allowed_exactly_for_its_roles() {
    let all = every_variant::<VaultRequest>();
    assert!(all.len() >= 24, "tracing found only {} variants", all.len());
    for (name, req) in &all {
        for role in Role::ALL {
            assert_eq!(
                vault_proc::policy::permitted(role, req),
                vault_allowed(name).contains(&role),
                "VaultRequest::{name} for {role:?}"
            );
        }
    }
}

#[test]
fn every_dns_request_is_allowed_only_for_the_broker() {
    let all = every_variant::<DnsRequest>();
    assert!(all.len() >= 26);
    for (name, req) in &all {
        for role in Role::ALL {
            assert_eq!(
                dns_proc::policy::permitted(role, req),
                dns_allowed(name).contains(&role),
                "DnsRequest::{name} for {role:?}"
            );
        }
    }
}

#[test]
fn vault_proc_refuses_every_request_off_a_roles_list_over_its_socket() {
    let v = DirectVault::start(&[]);
    let mut refused = 0;
    for (name, req) in every_variant::<VaultRequest>() {
        for role in [Role::Broker, Role::Dns] {
            if vault_allowed(&name).contains(&role) {
                continue;
            }
            let client = v.connect_as(role).unwrap();
            let err = v.call_on(&client, req.clone()).unwrap_err();
            assert_eq!(
                err.code,
                ErrorCode::Forbidden,
                "VaultRequest::{name} as {role:?}: {err}"
            );
            // The refusal also closes the connection.
            let after = v.call_on(&client, VaultRequest::Status);
            assert!(
                after.is_err(),
                "connection still open after refusing {name} for {role:?}"
            );
            refused += 1;
        }
    }
    assert!(refused >= 24, "only {refused} refusals checked");
    // The UI role has no key for vault-proc at all.
    assert!(v.connect_as(Role::Ui).is_err());
}
