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
        if !ids.contains(&cert.id) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use shared::protocol::workflow::{Trigger, WorkflowDraft};

    fn wf(
        on: &[TriggerEvent],
        certs: Option<&[&str]>,
        names: Option<&[&str]>,
        enabled: bool,
    ) -> WorkflowMeta {
        let list = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        WorkflowMeta {
            id: "wf_1".into(),
            draft: WorkflowDraft {
                name: "w".into(),
                trigger: Trigger {
                    on: on.to_vec(),
                    certificates: certs.map(list),
                    names: names.map(list),
                },
                nodes: vec![],
                enabled,
            },
            references: vec![],
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn cert(id: &str, names: &[&str]) -> CertRow {
        CertRow {
            id: id.into(),
            account_id: String::new(),
            order_id: String::new(),
            names: names.iter().map(|s| s.to_string()).collect(),
            key_ref: String::new(),
            key_type: String::new(),
            serial: String::new(),
            issuer: String::new(),
            not_before: String::new(),
            not_after: String::new(),
            revoked: false,
            chain_pem: String::new(),
            created_at: String::new(),
            life: Default::default(),
        }
    }

    #[test]
    fn triggers_match_event_certificate_and_whole_label_suffixes() {
        use TriggerEvent::{Issued, Renewed};
        let c = cert("cert_a", &["www.example.test", "*.shop.example.test"]);
        assert!(matches(
            &wf(&[Issued, Renewed], None, None, true),
            &c,
            Renewed
        ));
        assert!(matches(&wf(&[Issued], None, None, true), &c, Issued));
        assert!(!matches(&wf(&[Issued], None, None, true), &c, Renewed));
        assert!(!matches(&wf(&[Issued], None, None, false), &c, Issued));
        assert!(!matches(&wf(&[], None, None, true), &c, Issued));
        assert!(matches(
            &wf(&[Issued], Some(&["cert_a"]), None, true),
            &c,
            Issued
        ));
        assert!(!matches(
            &wf(&[Issued], Some(&["cert_b"]), None, true),
            &c,
            Issued
        ));
        assert!(matches(
            &wf(&[Issued], None, Some(&["example.test"]), true),
            &c,
            Issued
        ));
        assert!(matches(
            &wf(&[Issued], None, Some(&["shop.example.test"]), true),
            &c,
            Issued
        ));
        assert!(matches(
            &wf(&[Issued], None, Some(&["WWW.example.test."]), true),
            &c,
            Issued
        ));
        assert!(!matches(
            &wf(&[Issued], None, Some(&["ample.test"]), true),
            &c,
            Issued
        ));
        assert!(!matches(
            &wf(&[Issued], None, Some(&["other.test"]), true),
            &c,
            Issued
        ));
    }
}
