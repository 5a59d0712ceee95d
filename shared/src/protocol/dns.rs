//! DNS provider metadata and the shapes of provider requests.
//!
//! Provider configuration crosses boundaries as canonical JSON text: only dns-proc
//! gives it meaning (typed per provider), the UI and the broker pass it through.

use serde::{Deserialize, Serialize};

use crate::secret::SecretString;

/// Supported DNS provider types. The names (JSON, database, messages) come
/// from the serde and strum derives, which a unit test keeps equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray, strum::EnumCount)]
#[strum(serialize_all = "snake_case")]
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
    /// Every type, in a fixed order (an array for `const` users; checked
    /// against strum's derived list at compile time and by a unit test).
    pub const ALL: [ProviderType; <Self as strum::EnumCount>::COUNT] = [
        ProviderType::Cloudflare,
        ProviderType::Digitalocean,
        ProviderType::Route53,
        ProviderType::Manual,
        ProviderType::Powerdns,
        ProviderType::Rfc2136,
    ];

    /// The lower-case name used in JSON and in the database (strum-derived).
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Parses the lower-case name (strum-derived).
    pub fn parse(s: &str) -> Option<Self> {
        s.parse().ok()
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

/// A step of a Test Connection run: progress events name one of
/// `zone_lookup` … `done`; a failed result names the step that failed,
/// which may also be `prepare` (no random source) or `credentials` (the
/// stored token is unusable or not paired with this configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum TestStep {
    /// Choosing the test record.
    Prepare,
    /// Revealing and checking the token, building the adapter.
    Credentials,
    /// Finding the zone through the provider's API.
    ZoneLookup,
    /// Adding the TXT value.
    Create,
    /// Polling every authoritative nameserver.
    Verify,
    /// Removing the TXT value.
    Cleanup,
    /// The run's final event.
    Done,
}

/// Where a step stands in a progress event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum TestStatus {
    /// The step began.
    Started,
    /// The step succeeded.
    Ok,
    /// The step waits (a verification poll, a manual record, a retry).
    Waiting,
    /// The step failed.
    Failed,
}

/// One nameserver's state during verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString, strum::VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum NameserverState {
    /// It serves the test value.
    Seen,
    /// It does not serve it yet.
    Waiting,
    /// It did not answer usefully.
    Error,
}

/// One progress event of a Test Connection run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestProgress {
    /// The step (`zone_lookup`, `create`, `verify`, `cleanup`, `done`).
    pub step: TestStep,
    /// Where it stands.
    pub status: TestStatus,
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
    /// Its state.
    pub state: NameserverState,
    /// What it answered (`NXDOMAIN`, a timeout, …).
    pub detail: String,
}

/// The result of a Test Connection run. A failure is a normal result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestOutcome {
    /// True when the record was created, seen on every nameserver and removed.
    pub success: bool,
    /// The step that failed.
    pub failed_step: Option<TestStep>,
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

#[cfg(test)]
mod tests {
    use super::*;
    use strum::VariantArray;

    /// serde (the wire) and strum (as_str/parse) must name every variant
    /// alike, and `ALL` must be strum's list: one source of truth.
    fn same_names<T>(all: &[T])
    where
        T: Serialize + Copy + Into<&'static str> + std::str::FromStr + PartialEq + std::fmt::Debug,
    {
        for v in all {
            let name: &'static str = (*v).into();
            assert_eq!(serde_json::to_string(v).unwrap(), format!("\"{name}\""));
            assert!(name.parse::<T>().is_ok_and(|p| p == *v), "{name}");
        }
    }

    #[test]
    fn serde_and_strum_names_agree() {
        same_names(ProviderType::VARIANTS);
        same_names(TestStep::VARIANTS);
        same_names(TestStatus::VARIANTS);
        same_names(NameserverState::VARIANTS);
        same_names(crate::protocol::secrets::SecretKind::VARIANTS);
        same_names(crate::protocol::secrets::SecretType::VARIANTS);
        assert_eq!(&ProviderType::ALL[..], ProviderType::VARIANTS);
        assert_eq!(
            &crate::protocol::secrets::SecretKind::ALL[..],
            crate::protocol::secrets::SecretKind::VARIANTS
        );
        assert_eq!(
            &crate::protocol::secrets::SecretType::ALL[..],
            crate::protocol::secrets::SecretType::VARIANTS
        );
        assert_eq!(ProviderType::parse("rfc2136"), Some(ProviderType::Rfc2136));
        // Names other processes and the UI rely on, spelled out once here.
        assert_eq!(
            crate::protocol::Role::ALL.map(crate::protocol::Role::as_str),
            ["ui", "broker", "dns"]
        );
        assert_eq!(
            &crate::protocol::Role::ALL[..],
            crate::protocol::Role::VARIANTS
        );
        let codes: Vec<&str> = crate::error::ErrorCode::VARIANTS
            .iter()
            .map(|c| c.as_str())
            .collect();
        assert_eq!(
            codes,
            [
                "invalid_request",
                "validation",
                "not_found",
                "conflict",
                "locked",
                "keyring_unavailable",
                "unavailable",
                "provider_error",
                "forbidden",
                "internal"
            ]
        );
        assert_eq!(ProviderType::parse("Rfc2136"), None);
    }
}
