//! `config_export`, assembled in ui-bridge from pages: every secret
//! (`secret_list`), every provider (`dns_provider_list`), every workflow
//! (`workflow_list`, references intact, never values) and the external
//! provider, each page one frame, so an export has no size limit but the
//! UI's. References and metadata only: every page it reads is one the UI
//! may read anyway. This is the only place an export is assembled.
//!
//! The stdio session does not hold the document in memory: each page is
//! rendered as it arrives into an anonymous temporary file (unlinked at
//! creation, gone when closed), and the finished response line is copied from
//! it to stdout. ui-bridge's memory stays at one page whatever the number of
//! secrets, the bytes the UI reads are those of the in-memory rendering, and
//! a failure part-way is still one clean error line.

use std::io::{BufWriter, Seek, Write};
use std::time::Duration;

use serde_json::Value;
use shared::error::{WireError, WireResult};
use shared::protocol::dns::ProviderMeta;
use shared::protocol::secrets::{ExternalProviderMeta, SecretMeta};
use shared::protocol::ui::{UiRequest, UiResponse};
use shared::protocol::vault::{ExportDoc, EXPORT_VERSION};
use shared::protocol::workflow::WorkflowMeta;

use crate::json::response;
use crate::json::views::{ProviderJson, SecretJson};
use crate::launcher::UiClient;

/// Page size of the walks that build an export (the largest the broker allows).
const EXPORT_PAGE: u32 = 2000;

/// Receives an export part by part, in the order the JSON document lists
/// its members (keys sorted: `externalProviders`, `providers`, `secrets`,
/// then `version` and `workflows`).
pub trait ExportSink {
    /// The external provider, if one is configured.
    fn external(&mut self, m: Option<ExternalProviderMeta>) -> WireResult<()>;
    /// One page of providers.
    fn providers(&mut self, page: Vec<ProviderMeta>) -> WireResult<()>;
    /// One page of secrets.
    fn secrets(&mut self, page: Vec<SecretMeta>) -> WireResult<()>;
    /// One page of workflows.
    fn workflows(&mut self, page: Vec<WorkflowMeta>) -> WireResult<()>;
}

fn unexpected() -> WireError {
    WireError::internal("the broker answered an export page with something else")
}

/// Walks the external provider, every provider page and every secret page
/// into `sink`.
pub async fn walk(
    client: &UiClient,
    timeout: Duration,
    sink: &mut impl ExportSink,
) -> WireResult<()> {
    match client.call(UiRequest::ExternalProviderGet, timeout).await? {
        UiResponse::ExternalProvider(m) => sink.external(m)?,
        _ => return Err(unexpected()),
    }
    let mut after = None;
    loop {
        let page = UiRequest::DnsProviderList {
            after: after.take(),
            limit: Some(EXPORT_PAGE),
        };
        match client.call(page, timeout).await? {
            UiResponse::Providers(items, next) => {
                sink.providers(items)?;
                match next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            _ => return Err(unexpected()),
        }
    }
    loop {
        let page = UiRequest::SecretList {
            filter: Default::default(),
            after: after.take(),
            limit: Some(EXPORT_PAGE),
        };
        match client.call(page, timeout).await? {
            UiResponse::Secrets(items, next) => {
                sink.secrets(items)?;
                match next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            _ => return Err(unexpected()),
        }
    }
    loop {
        let page = UiRequest::WorkflowList {
            after: after.take(),
            limit: Some(EXPORT_PAGE),
        };
        match client.call(page, timeout).await? {
            UiResponse::Workflows(items, next) => {
                sink.workflows(items)?;
                match next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            _ => return Err(unexpected()),
        }
    }
    Ok(())
}

/// The export as one in-memory document (the `call` mode and web pages).
#[derive(Default)]
pub struct InMemory {
    secrets: Vec<SecretMeta>,
    providers: Vec<ProviderMeta>,
    workflows: Vec<WorkflowMeta>,
    external_provider: Option<ExternalProviderMeta>,
}

impl InMemory {
    /// The collected document.
    pub fn finish(self) -> UiResponse {
        UiResponse::Export(ExportDoc {
            version: EXPORT_VERSION,
            secrets: self.secrets,
            providers: self.providers,
            external_provider: self.external_provider,
            workflows: self.workflows,
        })
    }
}

impl ExportSink for InMemory {
    fn external(&mut self, m: Option<ExternalProviderMeta>) -> WireResult<()> {
        self.external_provider = m;
        Ok(())
    }
    fn providers(&mut self, page: Vec<ProviderMeta>) -> WireResult<()> {
        self.providers.extend(page);
        Ok(())
    }
    fn secrets(&mut self, page: Vec<SecretMeta>) -> WireResult<()> {
        self.secrets.extend(page);
        Ok(())
    }
    fn workflows(&mut self, page: Vec<WorkflowMeta>) -> WireResult<()> {
        self.workflows.extend(page);
        Ok(())
    }
}

fn io(e: std::io::Error) -> WireError {
    WireError::internal(format!("spooling the export: {e}"))
}

/// Where the list being written stands.
#[derive(PartialEq, PartialOrd)]
enum Part {
    Head,
    Providers,
    Secrets,
    Workflows,
}

/// The stdio response line of an export, rendered page by page into an
/// anonymous temporary file.
pub struct Spool {
    out: BufWriter<std::fs::File>,
    part: Part,
    /// Items written to the open list so far (for the separators).
    items: usize,
}

impl Spool {
    /// A spool for the response to UI request `id`.
    pub fn new(id: u64) -> WireResult<Self> {
        let file = tempfile::tempfile().map_err(io)?;
        let mut out = BufWriter::with_capacity(64 * 1024, file);
        // `ok_line`'s envelope, keys in serde_json's (sorted) order.
        write!(out, "{{\"id\":{id},\"ok\":true,\"result\":{{").map_err(io)?;
        Ok(Self {
            out,
            part: Part::Head,
            items: 0,
        })
    }

    /// Moves on to the list `to` (never back), closing the one before and
    /// opening every list in between, so an empty list is still written.
    fn advance(&mut self, to: Part) -> WireResult<()> {
        while self.part < to {
            let (next, open) = match self.part {
                Part::Head => (Part::Providers, "\"providers\":[".to_string()),
                Part::Providers => (Part::Secrets, "],\"secrets\":[".to_string()),
                Part::Secrets => (
                    Part::Workflows,
                    format!("],\"version\":{EXPORT_VERSION},\"workflows\":["),
                ),
                Part::Workflows => break,
            };
            self.out.write_all(open.as_bytes()).map_err(io)?;
            self.part = next;
            self.items = 0;
        }
        Ok(())
    }

    fn item<T: serde::Serialize>(&mut self, v: &T) -> WireResult<()> {
        if self.items > 0 {
            self.out.write_all(b",").map_err(io)?;
        }
        serde_json::to_writer(&mut self.out, v).map_err(|e| io(e.into()))?;
        self.items += 1;
        Ok(())
    }

    /// The finished line, rewound for reading.
    pub fn finish(mut self) -> WireResult<std::fs::File> {
        // An export with no providers, secrets or workflows still lists them.
        self.advance(Part::Workflows)?;
        writeln!(self.out, "]}}}}").map_err(io)?;
        let mut file = self.out.into_inner().map_err(|e| io(e.into_error()))?;
        file.rewind().map_err(io)?;
        Ok(file)
    }
}

impl ExportSink for Spool {
    fn external(&mut self, m: Option<ExternalProviderMeta>) -> WireResult<()> {
        let list: Vec<Value> = m.iter().map(|m| response::external(Some(m))).collect();
        write!(self.out, "\"externalProviders\":").map_err(io)?;
        serde_json::to_writer(&mut self.out, &list).map_err(|e| io(e.into()))?;
        self.out.write_all(b",").map_err(io)?;
        Ok(())
    }
    fn providers(&mut self, page: Vec<ProviderMeta>) -> WireResult<()> {
        self.advance(Part::Providers)?;
        page.iter()
            .try_for_each(|p| self.item(&ProviderJson::from(p)))
    }
    fn secrets(&mut self, page: Vec<SecretMeta>) -> WireResult<()> {
        self.advance(Part::Secrets)?;
        page.iter()
            .try_for_each(|m| self.item(&SecretJson::from(m)))
    }
    fn workflows(&mut self, page: Vec<WorkflowMeta>) -> WireResult<()> {
        self.advance(Part::Workflows)?;
        page.iter()
            .try_for_each(|w| self.item(&crate::json::workflow::meta(w)))
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;
    use shared::protocol::dns::ProviderType;
    use shared::protocol::secrets::{SecretKind, SecretType};

    fn secret(i: usize) -> SecretMeta {
        SecretMeta {
            reference: format!("sec_{i:032x}"),
            name: format!("s{i}"),
            kind: SecretKind::Generic,
            secret_type: SecretType::ApiKey,
            label: String::new(),
            description: String::new(),
            tags: vec!["t".into()],
            fields: vec!["value".into()],
            created_at: "2026-01-01T00:00:00.000000Z".into(),
            updated_at: "2026-01-01T00:00:00.000000Z".into(),
            owner: None,
            expires_at: None,
            expired: false,
            external: None,
            has_local_value: true,
            public_key: None,
            allowed_hosts: None,
        }
    }

    fn provider(i: usize) -> ProviderMeta {
        ProviderMeta {
            id: format!("dns_prov_{i:032x}"),
            provider_type: ProviderType::Manual,
            label: format!("P{i}"),
            domain_suffixes: vec![format!("p{i}.example")],
            secret_ref: None,
            config_json: "{}".into(),
            created_at: "2026-01-01T00:00:00.000000Z".into(),
            updated_at: "2026-01-01T00:00:00.000000Z".into(),
            ambiguous: false,
        }
    }

    /// The spooled line is byte for byte the in-memory rendering, for empty
    /// and several-page exports.
    #[test]
    fn spooled_line_is_the_in_memory_line() {
        for (np, ns) in [(0, 0), (0, 3), (2, 0), (5, 7)] {
            let mut mem = InMemory::default();
            let mut spool = Spool::new(42).unwrap();
            for sink in [&mut mem as &mut dyn ExportSink, &mut spool] {
                sink.external(None).unwrap();
                let ps: Vec<_> = (0..np).map(provider).collect();
                for chunk in ps.chunks(2) {
                    sink.providers(chunk.to_vec()).unwrap();
                }
                let ss: Vec<_> = (0..ns).map(secret).collect();
                for chunk in ss.chunks(3) {
                    sink.secrets(chunk.to_vec()).unwrap();
                }
            }
            let want = format!("{}\n", response::ok_line(42, &mem.finish()));
            let mut got = String::new();
            spool.finish().unwrap().read_to_string(&mut got).unwrap();
            assert_eq!(got, want, "{np} providers, {ns} secrets");
        }
    }
}
