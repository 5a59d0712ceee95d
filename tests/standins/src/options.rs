//! What a stand-in serves and how it misbehaves, chosen by each test.

use crate::pdns::PdnsTarget;

/// Settings for one stand-in (Cloudflare or DigitalOcean).
#[derive(Clone, Debug)]
pub struct StandinOptions {
    /// The PowerDNS every accepted change is written through to.
    pub pdns: PdnsTarget,
    /// Zone apexes served, e.g. `vec!["example.test".into()]`; each must exist
    /// in PowerDNS when `write_through` is on.
    pub zones: Vec<String>,
    /// Bearer token accepted with full rights.
    pub token: String,
    /// Bearer token accepted for reads only: writes get 403.
    pub read_only_token: Option<String>,
    /// `false`: accept writes and keep them in memory but never write to
    /// PowerDNS (a record that "never appears" in DNS).
    pub write_through: bool,
    /// Write every TXT value to PowerDNS altered (`wrong-<value>`) while
    /// the API reports the value it was given: a provider that corrupts
    /// records.
    pub wrong_values: bool,
    /// Answer the first N requests with HTTP 429, `Retry-After: 1` and the
    /// API's own error body.
    pub rate_limit_first: u32,
    /// Largest `per_page` honoured; larger requests get this many, as the real
    /// APIs clamp to their maximum. Small values force pagination.
    pub page_cap: u32,
}

impl StandinOptions {
    /// Options with the given PowerDNS, zones and full-rights token; no
    /// read-only token, write-through on, no rate limiting, and `page_cap`
    /// 100 (Cloudflare's default page size for DNS records; for DigitalOcean
    /// the effective maximum is then 100 rather than its documented 200).
    pub fn new(pdns: PdnsTarget, zones: Vec<String>, token: String) -> Self {
        Self {
            pdns,
            zones,
            token,
            read_only_token: None,
            write_through: true,
            wrong_values: false,
            rate_limit_first: 0,
            page_cap: 100,
        }
    }
}
