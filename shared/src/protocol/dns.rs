//! DNS provider metadata and the shapes of provider requests.
//!
//! Provider configuration crosses boundaries as canonical JSON text: only dns-proc
//! gives it meaning (typed per provider), the UI and the broker pass it through.

use serde::{Deserialize, Serialize};

use crate::secret::SecretString;

/// Supported DNS provider types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderType {
    /// Cloudflare API v4.
    Cloudflare,
    /// DigitalOcean API v2.
    Digitalocean,
    /// AWS Route53.
    Route53,
    /// No API: the user adds records by hand.
    Manual,
    /// Self-hosted PowerDNS authoritative HTTP API.
    Powerdns,
    /// RFC 2136 dynamic update with TSIG.
    Rfc2136,
}

impl ProviderType {
    /// Every type, in a fixed order.
    pub const ALL: [ProviderType; 6] = [
        ProviderType::Cloudflare,
        ProviderType::Digitalocean,
        ProviderType::Route53,
        ProviderType::Manual,
        ProviderType::Powerdns,
        ProviderType::Rfc2136,
    ];

    /// The lower-case name used in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Cloudflare => "cloudflare",
            ProviderType::Digitalocean => "digitalocean",
            ProviderType::Route53 => "route53",
            ProviderType::Manual => "manual",
            ProviderType::Powerdns => "powerdns",
            ProviderType::Rfc2136 => "rfc2136",
        }
    }

    /// Parses the lower-case name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// True when this type needs an API token.
    pub fn needs_token(self) -> bool {
        !matches!(self, ProviderType::Manual)
    }

    /// Comma-separated list of every supported type, for error messages.
    pub fn supported_list() -> String {
        Self::ALL.map(|t| t.as_str()).join(", ")
    }
}

/// Provider metadata: everything the UI may see about a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderMeta {
    /// `dns_prov_…` id.
    pub id: String,
    /// Type.
    pub provider_type: ProviderType,
    /// Label.
    pub label: String,
    /// Normalized domain suffixes.
    pub domain_suffixes: Vec<String>,
    /// Reference of the token secret, when the provider has one.
    pub secret_ref: Option<String>,
    /// Typed configuration as canonical JSON text (never holds a secret).
    pub config_json: String,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 update time.
    pub updated_at: String,
    /// True when one of its suffixes ties with another provider's.
    pub ambiguous: bool,
}

/// Suffix input as the UI sends it: one string (comma/space separated) or a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SuffixInput {
    /// `"a.com, b.com"` or `"a.com b.com"`.
    Text(String),
    /// `["a.com", "b.com"]`.
    List(Vec<String>),
}

/// A request to create a provider (UI → broker).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewProvider {
    /// Type name as given (validated by dns-proc so the error lists the supported types).
    pub provider_type: String,
    /// Label.
    pub label: String,
    /// Suffixes.
    pub domain_suffixes: SuffixInput,
    /// API token (inbound only).
    pub api_token: Option<SecretString>,
    /// Provider config as JSON text (`None` = empty config).
    pub config_json: Option<String>,
}

/// A change to a provider; absent fields stay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderUpdate {
    /// Provider id.
    pub id: String,
    /// New label.
    pub label: Option<String>,
    /// New suffixes.
    pub domain_suffixes: Option<SuffixInput>,
    /// New config JSON.
    pub config_json: Option<String>,
    /// New token (replaces the value under the same ref).
    pub api_token: Option<SecretString>,
}

/// Provider metadata plus warnings (ambiguity) from a create or update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderWithWarnings {
    /// The provider.
    pub provider: ProviderMeta,
    /// Human-readable warnings.
    pub warnings: Vec<String>,
}

/// Manual-mode instructions for a DNS-01 challenge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualInstructions {
    /// `_acme-challenge.<host>`.
    pub record_name: String,
    /// Always `TXT`.
    pub record_type: String,
    /// The value to set, when known.
    pub value: Option<String>,
    /// A command that checks the record.
    pub check: String,
}

/// The outcome of resolving a hostname to a provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resolution {
    /// A provider matched.
    Provider {
        /// The provider used.
        provider: ProviderMeta,
        /// The suffix that matched.
        matched_suffix: String,
        /// Ambiguity warnings.
        warnings: Vec<String>,
    },
    /// No provider matched: manual mode.
    Manual {
        /// What the user must do.
        instructions: ManualInstructions,
    },
}

/// Parameters of a Test Connection run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestParams {
    /// Provider id.
    pub id: String,
    /// Which suffix to test (default: the first).
    pub suffix: Option<String>,
    /// Verification timeout in seconds (default 60).
    pub timeout_secs: Option<u64>,
}

/// One progress event of a Test Connection run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestProgress {
    /// Step name (`zone_lookup`, `create`, `verify`, `cleanup`, `done`).
    pub step: String,
    /// `started`, `ok`, `waiting`, `failed`.
    pub status: String,
    /// Free text detail (no secret material).
    pub detail: String,
    /// Per-nameserver state, on `verify` polls.
    pub nameservers: Vec<NameserverStatus>,
}

/// One nameserver's state during verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameserverStatus {
    /// `ip:port` asked.
    pub address: String,
    /// `seen`, `waiting` or `error`.
    pub state: String,
    /// What it answered (`NXDOMAIN`, a timeout, …).
    pub detail: String,
}

/// The result of a Test Connection run. A failure is a normal result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestOutcome {
    /// True when the record was created, seen on every nameserver and removed.
    pub success: bool,
    /// The step that failed.
    pub failed_step: Option<String>,
    /// What went wrong.
    pub message: Option<String>,
    /// Likely causes to check.
    pub suggestions: Vec<String>,
    /// True when the test record was removed.
    pub cleaned_up: bool,
    /// The test record's name, once chosen.
    pub record_name: Option<String>,
    /// The zone it was created in, once found.
    pub zone: Option<String>,
    /// Why the record could not be removed (reported apart from the main failure).
    pub cleanup_error: Option<String>,
}
