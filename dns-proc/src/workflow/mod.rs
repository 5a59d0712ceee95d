//! Deploy workflows in dns-proc: the structural check ([`check`]), the
//! certificate placeholders ([`placeholders`]), storage in `acme.sqlite`
//! ([`store`]), matching against a certificate change and the run itself
//! ([`run`]). The broker decides when a workflow runs and holds its permit;
//! vault-proc resolves its secret references; this module only executes.

pub mod check;
pub mod placeholders;
pub mod requests;
pub mod run;
pub mod store;

use shared::protocol::workflow::{TriggerEvent, WorkflowMeta};

use crate::acme::store::CertRow;

/// True when `wf` runs after `event` on `cert` (enabled, the event listed,
/// the certificate listed if a list is given, one of its names under a
/// listed suffix — whole labels — if suffixes are given).
pub fn matches(wf: &WorkflowMeta, cert: &CertRow, event: TriggerEvent) -> bool {
    let t = &wf.draft.trigger;
    if !wf.draft.enabled || !t.on.contains(&event) {
        return false;
    }
    if let Some(ids) = &t.certificates {
        if !ids.iter().any(|id| *id == cert.id) {
            return false;
        }
    }
    if let Some(suffixes) = &t.names {
        let under = |name: &str, suffix: &str| {
            let name = name.trim_start_matches("*.").to_ascii_lowercase();
            let suffix = suffix
                .trim_start_matches("*.")
                .trim_end_matches('.')
                .to_ascii_lowercase();
            name == suffix || name.ends_with(&format!(".{suffix}"))
        };
        if !cert
            .names
            .iter()
            .any(|n| suffixes.iter().any(|s| under(n, s)))
        {
            return false;
        }
    }
    true
}
