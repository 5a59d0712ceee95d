//! The allow-list of dns-proc: only the broker may talk to it. One exhaustive
//! match, so a new request type cannot be added without deciding.

use shared::protocol::dnsproc::DnsRequest;
use shared::protocol::Role;

/// True when `role` may send `request` to dns-proc.
pub fn permitted(role: Role, request: &DnsRequest) -> bool {
    match request {
        DnsRequest::PrepareCreate(_)
        | DnsRequest::CommitCreate { .. }
        | DnsRequest::PrepareUpdate { .. }
        | DnsRequest::CommitUpdate { .. }
        | DnsRequest::DropApproval(_)
        | DnsRequest::DeleteBegin(_)
        | DnsRequest::DeleteFinish(_)
        | DnsRequest::ListDeleting
        | DnsRequest::Existing(_)
        | DnsRequest::List
        | DnsRequest::ListPage { .. }
        | DnsRequest::Get(_)
        | DnsRequest::Resolve { .. }
        | DnsRequest::Test(_)
        | DnsRequest::CancelTest { .. }
        | DnsRequest::AcmeDirectory { .. }
        | DnsRequest::AcmeAccountRegister(_)
        | DnsRequest::AcmeAccountList
        | DnsRequest::AcmeAccountGet(_)
        | DnsRequest::AcmeAccountDelete { .. }
        | DnsRequest::IssuePrepare { .. }
        | DnsRequest::Issue { .. }
        | DnsRequest::CancelIssue { .. }
        | DnsRequest::JournalProviders
        | DnsRequest::JournalCleanup { .. }
        | DnsRequest::CertificateList { .. }
        | DnsRequest::CertificateGet(_)
        | DnsRequest::CertificateDelete(_)
        | DnsRequest::RenewPrepare { .. }
        | DnsRequest::Revoke { .. }
        | DnsRequest::RenewalDue
        | DnsRequest::RenewalRecord { .. }
        | DnsRequest::SetDeploy { .. }
        // Workflows: the broker checks references and holds each run's permit.
        | DnsRequest::WorkflowCheck(_)
        | DnsRequest::WorkflowCreate { .. }
        | DnsRequest::WorkflowUpdate { .. }
        | DnsRequest::WorkflowDelete(_)
        | DnsRequest::WorkflowList { .. }
        | DnsRequest::WorkflowGet(_)
        | DnsRequest::WorkflowMatch { .. }
        | DnsRequest::WorkflowNode { .. }
        | DnsRequest::WorkflowRecord(_)
        | DnsRequest::WorkflowRuns { .. } => role == Role::Broker,
    }
}
