//! The allow-list of the broker: which role may send which UI command. One
//! exhaustive match, like vault-proc's and dns-proc's, so a new command
//! cannot be added without deciding who may send it.

use shared::protocol::ui::UiRequest;
use shared::protocol::Role;

/// True when `role` may send `request` to the broker.
pub fn permitted(role: Role, request: &UiRequest) -> bool {
    match request {
        UiRequest::Ping
        | UiRequest::VaultStatus
        | UiRequest::VaultLock
        | UiRequest::VaultUnlock
        | UiRequest::SecretCreate(_)
        | UiRequest::SecretUpdate { .. }
        | UiRequest::SecretDelete(_)
        | UiRequest::SecretList { .. }
        | UiRequest::SecretGet(_)
        | UiRequest::TemplateValidate(_)
        | UiRequest::ConfigExport
        | UiRequest::ExternalProviderSet(_)
        | UiRequest::ExternalProviderGet
        | UiRequest::ExternalProviderDelete
        | UiRequest::DnsProviderCreate(_)
        | UiRequest::DnsProviderList { .. }
        | UiRequest::DnsProviderUpdate(_)
        | UiRequest::DnsProviderDelete(_)
        | UiRequest::DnsProviderTest(_)
        | UiRequest::DnsProviderTestCancel(_)
        | UiRequest::DnsResolve { .. }
        | UiRequest::KeyCreate(_)
        | UiRequest::KeyImport(_)
        | UiRequest::AcmeAccountCreate(_)
        | UiRequest::AcmeAccountList
        | UiRequest::AcmeAccountDelete { .. }
        | UiRequest::CertificateIssue(_)
        | UiRequest::CertificateIssueCancel(_)
        | UiRequest::CertificateList { .. }
        | UiRequest::CertificateGet(_)
        | UiRequest::CertificateDelete(_) => role == Role::Ui,
    }
}
