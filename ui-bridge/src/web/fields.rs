//! Which inputs each secret type and each DNS provider type shows. The core
//! validates every value; this table only decides what a form offers, how
//! each input is labelled, and whether it is a write-only secret input.

use shared::protocol::dns::ProviderType;
use shared::protocol::secrets::SecretType;

/// How an input is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One line of visible text (non-secret).
    Text,
    /// One line, masked (a secret).
    Password,
    /// Several lines (a secret, e.g. a PEM key).
    Area,
}

/// One input of a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Name in the core's data or config object (camelCase).
    pub key: &'static str,
    /// Label shown to people.
    pub label: &'static str,
    /// How it is drawn.
    pub input: Input,
    /// Whether the core requires it.
    pub required: bool,
    /// A hint shown under the input.
    pub hint: &'static str,
}

const fn f(key: &'static str, label: &'static str, input: Input, required: bool) -> Field {
    Field {
        key,
        label,
        input,
        required,
        hint: "",
    }
}

const fn h(mut field: Field, hint: &'static str) -> Field {
    field.hint = hint;
    field
}

/// Data fields of a fixed-shape secret type; `custom` has free-form rows.
pub fn secret_fields(t: SecretType) -> &'static [Field] {
    use Input::*;
    const API_KEY: &[Field] = &[f("value", "API key", Password, true)];
    const BASIC: &[Field] = &[
        f("username", "Username", Text, true),
        f("password", "Password", Password, true),
    ];
    const BEARER: &[Field] = &[
        f("token", "Token", Password, true),
        h(
            f("expiresAt", "Expires at", Text, false),
            "RFC 3339, e.g. 2027-01-31T00:00:00Z",
        ),
    ];
    const OAUTH: &[Field] = &[
        f("clientId", "Client ID", Text, true),
        f("clientSecret", "Client secret", Password, true),
        f("accessToken", "Access token", Password, false),
        f("refreshToken", "Refresh token", Password, false),
        h(
            f("tokenUrl", "Token URL", Text, false),
            "http:// or https://",
        ),
        f("scopes", "Scopes", Text, false),
    ];
    const PEM: &[Field] = &[h(
        f("pem", "Private key (PEM)", Area, true),
        "-----BEGIN … PRIVATE KEY----- … -----END … PRIVATE KEY-----",
    )];
    match t {
        SecretType::ApiKey => API_KEY,
        SecretType::BasicAuth => BASIC,
        SecretType::BearerToken => BEARER,
        SecretType::Oauth => OAUTH,
        SecretType::PrivateKey => PEM,
        SecretType::Custom => &[],
    }
}

/// Rows offered for a custom secret's fields (JavaScript can add more).
pub const CUSTOM_ROWS: usize = 3;

/// Most custom rows a form may carry.
pub const MAX_CUSTOM_ROWS: usize = 64;

/// People-facing name of a secret type.
pub fn secret_type_label(t: SecretType) -> &'static str {
    match t {
        SecretType::ApiKey => "API key",
        SecretType::BasicAuth => "Basic auth",
        SecretType::BearerToken => "Bearer token",
        SecretType::Oauth => "OAuth client",
        SecretType::Custom => "Custom fields",
        SecretType::PrivateKey => "Private key",
    }
}

/// Config fields of a provider type (never secrets: the token is apart).
pub fn provider_fields(t: ProviderType) -> &'static [Field] {
    use Input::*;
    const ROUTE53: &[Field] = &[
        h(
            f("hostedZoneId", "Hosted zone ID", Text, false),
            "optional; looked up from the suffix when empty",
        ),
        h(
            f("region", "Region", Text, false),
            "optional, e.g. us-east-1",
        ),
    ];
    const PDNS: &[Field] = &[
        h(
            f("serverUrl", "API URL", Text, true),
            "e.g. http://127.0.0.1:8081",
        ),
        h(
            f("serverId", "Server ID", Text, false),
            "default: localhost",
        ),
    ];
    const RFC2136: &[Field] = &[
        h(
            f("server", "Server", Text, true),
            "host:port of the primary",
        ),
        f("tsigKeyName", "TSIG key name", Text, true),
        h(
            f("tsigAlgorithm", "TSIG algorithm", Text, false),
            "hmac-sha256 (default), hmac-sha512, hmac-sha384 or hmac-sha1",
        ),
    ];
    match t {
        ProviderType::Route53 => ROUTE53,
        ProviderType::Powerdns => PDNS,
        ProviderType::Rfc2136 => RFC2136,
        ProviderType::Cloudflare | ProviderType::Digitalocean | ProviderType::Manual => &[],
    }
}

/// People-facing name of a provider type.
pub fn provider_type_label(t: ProviderType) -> &'static str {
    match t {
        ProviderType::Cloudflare => "Cloudflare",
        ProviderType::Digitalocean => "DigitalOcean",
        ProviderType::Route53 => "AWS Route 53",
        ProviderType::Manual => "Manual (add records by hand)",
        ProviderType::Powerdns => "PowerDNS",
        ProviderType::Rfc2136 => "RFC 2136 (TSIG)",
    }
}

/// What a provider type's token is called.
pub fn token_label(t: ProviderType) -> &'static str {
    match t {
        ProviderType::Cloudflare | ProviderType::Digitalocean => "API token",
        ProviderType::Route53 => "ACCESS_KEY_ID:SECRET_ACCESS_KEY",
        ProviderType::Powerdns => "API key",
        ProviderType::Rfc2136 => "TSIG secret (base64)",
        ProviderType::Manual => "no token",
    }
}
