//! RFC 8555 objects as the CA sends them, and their parsers.
//!
//! Every parser takes the raw (size-capped) response body and either returns
//! a typed object or an [`AcmeError::Protocol`]; unknown fields are ignored
//! (CAs add them), unknown status values are errors (a closed set). These
//! functions are the fuzz targets of `dns-proc/fuzz` (`acme_*`).

use serde::{Deserialize, Serialize};

use super::error::AcmeError;

/// The directory (RFC 8555 §7.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Directory {
    /// `newNonce` URL.
    pub new_nonce: String,
    /// `newAccount` URL.
    pub new_account: String,
    /// `newOrder` URL.
    pub new_order: String,
    /// `revokeCert` URL.
    #[serde(default)]
    pub revoke_cert: Option<String>,
    /// `keyChange` URL.
    #[serde(default)]
    pub key_change: Option<String>,
    /// Directory metadata.
    #[serde(default)]
    pub meta: DirectoryMeta,
}

/// `meta` of the directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DirectoryMeta {
    /// Terms of service the user must agree to.
    #[serde(default)]
    pub terms_of_service: Option<String>,
    /// The CA's website.
    #[serde(default)]
    pub website: Option<String>,
    /// True when accounts need an external account binding.
    #[serde(default)]
    pub external_account_required: Option<bool>,
}

/// Status of an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountStatus {
    /// Usable.
    Valid,
    /// Deactivated by its holder.
    Deactivated,
    /// Revoked by the CA.
    Revoked,
}

impl AccountStatus {
    /// The RFC 8555 name.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountStatus::Valid => "valid",
            AccountStatus::Deactivated => "deactivated",
            AccountStatus::Revoked => "revoked",
        }
    }

    /// Parses the RFC 8555 name.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Valid, Self::Deactivated, Self::Revoked]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// An account object (RFC 8555 §7.1.2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// Status.
    pub status: AccountStatus,
    /// Contact URLs.
    #[serde(default)]
    pub contact: Vec<String>,
}

/// An identifier (only `dns` is used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identifier {
    /// `dns`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The name.
    pub value: String,
}

impl Identifier {
    /// A `dns` identifier.
    pub fn dns(name: &str) -> Self {
        Self {
            kind: "dns".into(),
            value: name.into(),
        }
    }
}

/// Status of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatus {
    /// Authorizations outstanding.
    Pending,
    /// All authorized: finalize now.
    Ready,
    /// Finalizing.
    Processing,
    /// Issued.
    Valid,
    /// Failed.
    Invalid,
}

/// An order (RFC 8555 §7.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Order {
    /// Status.
    pub status: OrderStatus,
    /// Identifiers.
    #[serde(default)]
    pub identifiers: Vec<Identifier>,
    /// Authorization URLs.
    #[serde(default)]
    pub authorizations: Vec<String>,
    /// Finalize URL.
    pub finalize: String,
    /// Certificate URL once valid.
    #[serde(default)]
    pub certificate: Option<String>,
    /// The error when invalid.
    #[serde(default)]
    pub error: Option<Problem>,
}

/// Status of an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthzStatus {
    /// Challenges outstanding.
    Pending,
    /// Authorized.
    Valid,
    /// Failed.
    Invalid,
    /// Deactivated by the client.
    Deactivated,
    /// Expired.
    Expired,
    /// Revoked.
    Revoked,
}

/// An authorization (RFC 8555 §7.1.4).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Authorization {
    /// The identifier (without `*.` for wildcards).
    pub identifier: Identifier,
    /// Status.
    pub status: AuthzStatus,
    /// Challenges.
    #[serde(default)]
    pub challenges: Vec<Challenge>,
    /// True for a wildcard name's authorization.
    #[serde(default)]
    pub wildcard: Option<bool>,
}

impl Authorization {
    /// The `dns-01` challenge, if offered.
    pub fn dns01(&self) -> Option<&Challenge> {
        self.challenges.iter().find(|c| c.kind == "dns-01")
    }

    /// The first error among the challenges.
    pub fn problem(&self) -> Option<&Problem> {
        self.challenges.iter().find_map(|c| c.error.as_ref())
    }
}

/// Status of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeStatus {
    /// Not answered yet.
    Pending,
    /// Being validated.
    Processing,
    /// Passed.
    Valid,
    /// Failed.
    Invalid,
}

/// A challenge (RFC 8555 §7.1.5, §8.4).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Challenge {
    /// `dns-01`, `http-01`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Where to answer it.
    pub url: String,
    /// Status.
    pub status: ChallengeStatus,
    /// The token (dns-01, http-01).
    #[serde(default)]
    pub token: Option<String>,
    /// The validation error.
    #[serde(default)]
    pub error: Option<Problem>,
}

/// An RFC 7807 problem document as an ACME server sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// `urn:ietf:params:acme:error:…`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Human-readable detail.
    #[serde(default)]
    pub detail: Option<String>,
    /// HTTP status.
    #[serde(default)]
    pub status: Option<u16>,
    /// Per-identifier problems.
    #[serde(default)]
    pub subproblems: Vec<Subproblem>,
}

/// A subproblem (RFC 8555 §6.7.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subproblem {
    /// Type URN.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Detail.
    #[serde(default)]
    pub detail: Option<String>,
    /// The identifier it is about.
    #[serde(default)]
    pub identifier: Option<Identifier>,
}

impl Problem {
    /// True for `urn:ietf:params:acme:error:badNonce`.
    pub fn is_bad_nonce(&self) -> bool {
        self.kind == "urn:ietf:params:acme:error:badNonce"
    }

    /// One line: type and detail.
    pub fn summary(&self) -> String {
        let kind = self
            .kind
            .strip_prefix("urn:ietf:params:acme:error:")
            .unwrap_or(&self.kind);
        match &self.detail {
            Some(d) => format!("{kind}: {d}"),
            None => kind.to_string(),
        }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, body: &[u8]) -> Result<T, AcmeError> {
    serde_json::from_slice(body)
        .map_err(|e| AcmeError::Protocol(format!("the CA's {what} is not valid: {e}")))
}

/// Parses a directory.
pub fn parse_directory(body: &[u8]) -> Result<Directory, AcmeError> {
    parse("directory", body)
}

/// Parses an account.
pub fn parse_account(body: &[u8]) -> Result<Account, AcmeError> {
    parse("account", body)
}

/// Parses an order.
pub fn parse_order(body: &[u8]) -> Result<Order, AcmeError> {
    parse("order", body)
}

/// Parses an authorization.
pub fn parse_authorization(body: &[u8]) -> Result<Authorization, AcmeError> {
    parse("authorization", body)
}

/// Parses a challenge.
pub fn parse_challenge(body: &[u8]) -> Result<Challenge, AcmeError> {
    parse("challenge", body)
}

/// Parses a problem document.
pub fn parse_problem(body: &[u8]) -> Result<Problem, AcmeError> {
    parse("problem document", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pebble_directory_parses() {
        let d = parse_directory(br#"{"keyChange":"https://x/rollover-account-key","meta":{"externalAccountRequired":false,"termsOfService":"data:text/plain,Do%20what%20thou%20wilt"},"newAccount":"https://x/sign-me-up","newNonce":"https://x/nonce-plz","newOrder":"https://x/order-plz","revokeCert":"https://x/revoke-cert"}"#).unwrap();
        assert_eq!(d.new_nonce, "https://x/nonce-plz");
        assert!(d.meta.terms_of_service.is_some());
        assert!(parse_directory(b"{}").is_err());
    }

    #[test]
    fn orders_authorizations_and_problems_parse() {
        let o = parse_order(br#"{"status":"pending","identifiers":[{"type":"dns","value":"a.test"}],"authorizations":["https://x/a/1"],"finalize":"https://x/f/1","expires":"2030-01-01T00:00:00Z"}"#).unwrap();
        assert_eq!(o.status, OrderStatus::Pending);
        assert!(parse_order(br#"{"status":"weird","finalize":"x"}"#).is_err());
        let a = parse_authorization(br#"{"status":"pending","identifier":{"type":"dns","value":"a.test"},"challenges":[{"type":"http-01","url":"u1","token":"t","status":"pending"},{"type":"dns-01","url":"u2","token":"t2","status":"pending"}]}"#).unwrap();
        assert_eq!(a.dns01().map(|c| c.url.as_str()), Some("u2"));
        let p = parse_problem(br#"{"type":"urn:ietf:params:acme:error:badNonce","detail":"JWS has an invalid anti-replay nonce","status":400}"#).unwrap();
        assert!(p.is_bad_nonce());
        assert_eq!(
            p.summary(),
            "badNonce: JWS has an invalid anti-replay nonce"
        );
    }
}
