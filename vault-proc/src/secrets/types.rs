//! Validation of everything a caller hands the store: names, metadata, typed data.
//!
//! Each [`SecretType`] has required and optional fields; required fields must
//! be present and non-blank, every provided value must be non-blank, unknown
//! fields are rejected, and each value is at most 64 KiB. Errors name the
//! offending field (`data.password`, `tags[2]`) and never repeat a value.
//! Times are RFC 3339; the store writes them in UTC.

use shared::protocol::secrets::{SecretData, SecretType};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use super::error::{VaultError, VaultResult};

/// Longest secret name, field name and template identifier, in bytes.
pub const MAX_NAME_LEN: usize = 128;
/// Largest single value, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Longest label, in characters.
pub const MAX_LABEL_CHARS: usize = 256;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 4096;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 64;
/// Most tags on one secret.
pub const MAX_TAGS: usize = 32;
/// Most fields in a custom secret.
pub const MAX_CUSTOM_FIELDS: usize = 64;
/// Longest owner id, in characters.
pub const MAX_OWNER_CHARS: usize = 128;
/// Longest external path, in characters.
pub const MAX_EXTERNAL_PATH_CHARS: usize = 1024;

/// Required and optional fields of a fixed-shape secret type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypeSpec {
    /// Fields that must be present and non-blank.
    pub required: &'static [&'static str],
    /// Fields that may be present.
    pub optional: &'static [&'static str],
}

/// The field layout of `t`; `None` for `custom`, whose fields are free-form.
pub fn type_spec(t: SecretType) -> Option<TypeSpec> {
    let (required, optional): (&'static [&'static str], &'static [&'static str]) = match t {
        SecretType::ApiKey => (&["value"], &[]),
        SecretType::BasicAuth => (&["username", "password"], &[]),
        SecretType::BearerToken => (&["token"], &["expiresAt"]),
        SecretType::Oauth => (
            &["clientId", "clientSecret"],
            &["accessToken", "refreshToken", "tokenUrl", "scopes"],
        ),
        SecretType::PrivateKey => (&["pem"], &[]),
        SecretType::Custom => return None,
    };
    Some(TypeSpec { required, optional })
}

/// True for `[A-Za-z_][A-Za-z0-9_-]*` of at most [`MAX_NAME_LEN`] bytes.
pub fn is_identifier(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_NAME_LEN
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'-')
}

/// Validates a secret name.
pub fn validate_name(name: &str) -> VaultResult<()> {
    if is_identifier(name) {
        Ok(())
    } else {
        Err(VaultError::validation(
            "name",
            format!("must match [A-Za-z_][A-Za-z0-9_-]* and be 1..={MAX_NAME_LEN} characters long"),
        ))
    }
}

fn check_text(field: &str, s: &str, max_chars: usize, allow_newlines: bool) -> VaultResult<()> {
    if s.chars().count() > max_chars {
        return Err(VaultError::validation(
            field,
            format!("is longer than {max_chars} characters"),
        ));
    }
    let bad = |c: char| c.is_control() && !(allow_newlines && matches!(c, '\n' | '\r' | '\t'));
    if s.chars().any(bad) {
        return Err(VaultError::validation(field, "contains control characters"));
    }
    Ok(())
}

/// Validates a label (absent means empty).
pub fn validate_label(label: Option<&str>) -> VaultResult<String> {
    let label = label.unwrap_or("");
    check_text("label", label, MAX_LABEL_CHARS, false)?;
    Ok(label.to_owned())
}

/// Validates a description (absent means empty).
pub fn validate_description(description: Option<&str>) -> VaultResult<String> {
    let d = description.unwrap_or("");
    check_text("description", d, MAX_DESCRIPTION_CHARS, true)?;
    Ok(d.to_owned())
}

/// Validates tags; duplicates are dropped, order is kept.
pub fn validate_tags(tags: &[String]) -> VaultResult<Vec<String>> {
    if tags.len() > MAX_TAGS {
        return Err(VaultError::validation(
            "tags",
            format!("at most {MAX_TAGS} tags"),
        ));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for (i, t) in tags.iter().enumerate() {
        let field = format!("tags[{i}]");
        if t.trim().is_empty() || t.trim() != t {
            return Err(VaultError::validation(
                field,
                "must be non-empty without leading or trailing whitespace",
            ));
        }
        check_text(&field, t, MAX_TAG_CHARS, false)?;
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    Ok(out)
}

/// Validates an owner id (e.g. a `dns_prov_` id).
pub fn validate_owner(owner: Option<&str>) -> VaultResult<()> {
    match owner {
        Some(o) if o.trim().is_empty() => Err(VaultError::validation("owner", "is blank")),
        Some(o) => check_text("owner", o, MAX_OWNER_CHARS, false),
        None => Ok(()),
    }
}

/// Validates the path of an externally sourced secret.
pub fn validate_external_path(path: &str) -> VaultResult<()> {
    let field = "external.path";
    if path.trim().is_empty() {
        return Err(VaultError::validation(field, "is blank"));
    }
    check_text(field, path, MAX_EXTERNAL_PATH_CHARS, false)?;
    if path.split('/').any(|seg| seg == "..") {
        return Err(VaultError::validation(
            field,
            "must not contain \"..\" segments",
        ));
    }
    Ok(())
}

/// What validation learned about the data that the metadata needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DataFacts {
    /// Bearer token expiry, normalized to RFC 3339 UTC.
    pub expires_at: Option<String>,
}

/// Validates `data` against `t`'s field rules.
pub fn validate_data(t: SecretType, data: &SecretData) -> VaultResult<DataFacts> {
    for (name, value) in data {
        let field = format!("data.{name}");
        if value.len() > MAX_VALUE_BYTES {
            return Err(VaultError::validation(
                field,
                format!("value is larger than {MAX_VALUE_BYTES} bytes"),
            ));
        }
        if value.is_blank() {
            return Err(VaultError::validation(field, "is blank"));
        }
    }
    match type_spec(t) {
        None => validate_custom(data)?,
        Some(spec) => {
            for req in spec.required {
                if !data.contains_key(*req) {
                    return Err(VaultError::validation(
                        format!("data.{req}"),
                        format!("is required for type {}", t.as_str()),
                    ));
                }
            }
            for name in data.keys() {
                let known = spec.required.contains(&name.as_str())
                    || spec.optional.contains(&name.as_str());
                if !known {
                    let allowed: Vec<&str> =
                        spec.required.iter().chain(spec.optional).copied().collect();
                    return Err(VaultError::validation(
                        format!("data.{name}"),
                        format!(
                            "unknown field for type {}; allowed: {}",
                            t.as_str(),
                            allowed.join(", ")
                        ),
                    ));
                }
            }
        }
    }
    let mut facts = DataFacts::default();
    match t {
        SecretType::BearerToken => {
            if let Some(v) = data.get("expiresAt") {
                // EXPOSE: the expiry is validated and copied into metadata (not a credential).
                let when = parse_rfc3339(v.expose())
                    .map_err(|m| VaultError::validation("data.expiresAt", m))?;
                facts.expires_at = Some(format_utc(when));
            }
        }
        SecretType::Oauth => {
            if let Some(v) = data.get("tokenUrl") {
                // EXPOSE: only the URL scheme is checked.
                let url = v.expose();
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(VaultError::validation(
                        "data.tokenUrl",
                        "must be an http:// or https:// URL",
                    ));
                }
            }
        }
        SecretType::PrivateKey => {
            if let Some(v) = data.get("pem") {
                // EXPOSE: the PEM armour is checked for shape; its content is never echoed.
                check_pem(v.expose()).map_err(|m| VaultError::validation("data.pem", m))?;
            }
        }
        _ => {}
    }
    Ok(facts)
}

fn validate_custom(data: &SecretData) -> VaultResult<()> {
    if data.is_empty() {
        return Err(VaultError::validation(
            "data",
            "a custom secret needs at least one field",
        ));
    }
    if data.len() > MAX_CUSTOM_FIELDS {
        return Err(VaultError::validation(
            "data",
            format!("at most {MAX_CUSTOM_FIELDS} fields"),
        ));
    }
    for name in data.keys() {
        if !is_identifier(name) {
            let shown: String = name.chars().take(MAX_NAME_LEN).collect();
            return Err(VaultError::validation(
                format!("data.{shown}"),
                "field names must match [A-Za-z_][A-Za-z0-9_-]* (at most 128 characters)",
            ));
        }
    }
    Ok(())
}

/// Checks PEM armour: one or more `-----BEGIN X-----` … `-----END X-----`
/// blocks with a non-empty base64 body (RFC 1421 headers allowed).
pub fn check_pem(text: &str) -> Result<(), &'static str> {
    let mut lines = text.trim().lines().map(|l| l.trim_end_matches('\r'));
    let mut blocks = 0;
    while let Some(first) = lines.next() {
        if first.trim().is_empty() && blocks > 0 {
            continue;
        }
        let label = first
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
            .filter(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' ')
            })
            .ok_or("must start with a -----BEGIN <LABEL>----- line")?;
        let mut body_len = 0usize;
        let mut ended = false;
        for line in lines.by_ref() {
            if let Some(rest) = line.strip_prefix("-----END ") {
                if rest.strip_suffix("-----") != Some(label) {
                    return Err("the -----END----- line does not match the BEGIN label");
                }
                ended = true;
                break;
            }
            if line.contains(':') || line.trim().is_empty() {
                continue; // RFC 1421 headers (Proc-Type, DEK-Info) and the blank line after them
            }
            if !line
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            {
                return Err("the body must be base64");
            }
            body_len += line.len();
        }
        if !ended {
            return Err("missing the -----END <LABEL>----- line");
        }
        if body_len == 0 || !body_len.is_multiple_of(4) {
            return Err("the base64 body is empty or truncated");
        }
        blocks += 1;
    }
    if blocks == 0 {
        return Err("must start with a -----BEGIN <LABEL>----- line");
    }
    Ok(())
}

/// Parses an RFC 3339 time; the error message never repeats the input.
pub fn parse_rfc3339(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s.trim(), &Rfc3339)
        .map_err(|_| "must be an RFC 3339 time such as 2030-01-31T12:00:00Z".to_owned())
}

/// Formats a time as RFC 3339 in UTC (`…Z`).
pub fn format_utc(t: OffsetDateTime) -> String {
    let utc = t.to_offset(UtcOffset::UTC);
    utc.format(&Rfc3339)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

#[cfg(test)]
mod tests;
