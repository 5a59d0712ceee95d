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
        | VaultRequest::List(_)
        | VaultRequest::ListPage { .. }
        | VaultRequest::Get(_)
        | VaultRequest::ValidateTemplate(_)
        | VaultRequest::Export { .. }
        | VaultRequest::ExternalSet(_)
        | VaultRequest::ExternalGet
        | VaultRequest::ExternalDelete
        | VaultRequest::GrantPermit { .. }
        | VaultRequest::RevokePermit { .. } => role == Role::Broker,
        // Values leave vault-proc only towards dns-proc.
        VaultRequest::Reveal { .. } => role == Role::Dns,
    }
}
