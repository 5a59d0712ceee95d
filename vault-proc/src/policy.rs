//! The allow-list of vault-proc: which role may make which request. One
//! exhaustive match, so a new request type cannot be added without deciding.

use shared::protocol::vault::VaultRequest;
use shared::protocol::Role;

/// True when `role` may send `request` to vault-proc.
pub fn permitted(role: Role, request: &VaultRequest) -> bool {
    match request {
        VaultRequest::Status
        | VaultRequest::Lock
        | VaultRequest::Unlock
        | VaultRequest::Create(_)
        | VaultRequest::Update { .. }
        | VaultRequest::Delete(_)
        | VaultRequest::StageUpdate { .. }
        | VaultRequest::CommitStaged(_)
        | VaultRequest::DiscardStaged(_)
        | VaultRequest::ListStaged
        | VaultRequest::UnpairedTokens { .. }
        | VaultRequest::List(_)
        | VaultRequest::ListPage { .. }
        | VaultRequest::Get(_)
        | VaultRequest::ValidateTemplate(_)
        | VaultRequest::ExternalSet(_)
        | VaultRequest::ExternalGet
        | VaultRequest::ExternalDelete
        | VaultRequest::GrantPermit { .. }
        | VaultRequest::RevokePermit { .. }
        // Keys come in from the UI through the broker, never from dns-proc.
        | VaultRequest::KeyCreate(_)
        | VaultRequest::KeyImport(_)
        // The one exit of key material: a file vault-proc writes itself,
        // audited; the broker asks, dns-proc never can.
        | VaultRequest::ExportFiles(_)
        | VaultRequest::AuditList { .. } => role == Role::Broker,
        // Values leave vault-proc only towards dns-proc, and key operations are
        // dns-proc's (each also needs a live permit: `keys::ops`).
        VaultRequest::Reveal { .. }
        | VaultRequest::AcmeSign { .. }
        | VaultRequest::CsrCreate { .. }
        | VaultRequest::EabSign { .. }
        | VaultRequest::PublicJwk { .. }
        | VaultRequest::OrderKeyCreate { .. }
        // Workflow values go to dns-proc only, under the run's permit (`resolve`).
        | VaultRequest::WorkflowResolve { .. } => role == Role::Dns,
    }
}
