//! Which inputs each secret type and each DNS provider type shows, and what
//! each type is called and for. The core validates every value; this table
//! only decides what a form offers, how each input is labelled and
//! explained (in the provider's own words), and whether it is a write-only
//! secret input.

use shared::protocol::dns::ProviderType;
use shared::protocol::secrets::SecretType;

use super::typed::FormType;

/// How an input is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One line of visible text (non-secret).
    Text,
    /// One line, masked (a secret).
    Password,
    /// One line, visible while typed but never filled back in (part of a
    /// secret, e.g. the access key ID inside a Route 53 token).
    WriteOnly,
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

/// Key of the single token input (the core's `apiToken`).
pub const TOKEN: &str = "apiToken";

/// Key of Route 53's access key ID input.
pub const ACCESS_KEY_ID: &str = "accessKeyId";

/// Key of Route 53's secret access key input.
pub const SECRET_ACCESS_KEY: &str = "secretAccessKey";

/// The inputs that make up a provider type's token, in the provider's own
/// words. Route 53 has two, which the server joins into the core's
/// `ACCESS_KEY_ID:SECRET_ACCESS_KEY`; manual providers have none.
pub fn token_fields(t: ProviderType) -> &'static [Field] {
    use Input::*;
    const CF: &[Field] = &[h(
        f(TOKEN, "API token", Password, true),
        "A Cloudflare API token (My Profile → API Tokens) with the Zone · DNS · Edit permission for the zones of these suffixes; not the Global API Key.",
    )];
    const DO: &[Field] = &[h(
        f(TOKEN, "API token", Password, true),
        "A DigitalOcean personal access token (API → Tokens) with read and write access to Domains.",
    )];
    const PDNS: &[Field] = &[h(
        f(TOKEN, "API key", Password, true),
        "The api-key of the PowerDNS Authoritative server's webserver/API (pdns.conf), sent as X-API-Key.",
    )];
    const RFC2136: &[Field] = &[h(
        f(TOKEN, "TSIG secret (base64)", Password, true),
        "The secret of the TSIG key the primary accepts updates for this zone with, base64 as in BIND's key statement (tsig-keygen prints it).",
    )];
    const R53: &[Field] = &[
        h(
            f(ACCESS_KEY_ID, "Access key ID", WriteOnly, true),
            "Of an IAM user or role allowed route53:ListHostedZonesByName, route53:ChangeResourceRecordSets, route53:ListResourceRecordSets and route53:GetChange, e.g. AKIA…",
        ),
        h(
            f(SECRET_ACCESS_KEY, "Secret access key", Password, true),
            "Shown once by AWS when the access key was created.",
        ),
    ];
    match t {
        ProviderType::Cloudflare => CF,
        ProviderType::Digitalocean => DO,
        ProviderType::Powerdns => PDNS,
        ProviderType::Rfc2136 => RFC2136,
        ProviderType::Route53 => R53,
        ProviderType::Manual => &[],
    }
}

impl FormType for SecretType {
    fn all() -> &'static [Self] {
        &SecretType::ALL
    }
    fn value(self) -> &'static str {
        self.as_str()
    }
    fn label(self) -> &'static str {
        secret_type_label(self)
    }
    fn blurb(self) -> &'static str {
        match self {
            SecretType::ApiKey => "One key or token string, e.g. for an HTTP API or a webhook.",
            SecretType::BasicAuth => "A username and a password.",
            SecretType::BearerToken => {
                "A token sent as Authorization: Bearer, with an optional expiry."
            }
            SecretType::Oauth => "An OAuth 2.0 client ID and secret, with optional tokens.",
            SecretType::Custom => "Named fields of your choice.",
            SecretType::PrivateKey => "A private key in PEM form.",
        }
    }
}

impl FormType for ProviderType {
    fn all() -> &'static [Self] {
        &ProviderType::ALL
    }
    fn value(self) -> &'static str {
        self.as_str()
    }
    fn label(self) -> &'static str {
        provider_type_label(self)
    }
    fn blurb(self) -> &'static str {
        match self {
            ProviderType::Cloudflare => "DNS hosted at Cloudflare; needs an API token.",
            ProviderType::Digitalocean => "DNS hosted at DigitalOcean; needs an API token.",
            ProviderType::Route53 => "AWS Route 53 hosted zones; needs an access key.",
            ProviderType::Manual => "No API: you add each TXT record by hand when asked.",
            ProviderType::Powerdns => "Your own PowerDNS Authoritative server; needs its API key.",
            ProviderType::Rfc2136 => {
                "Any server that takes dynamic updates (BIND, Knot, …) with a TSIG key."
            }
        }
    }
}
