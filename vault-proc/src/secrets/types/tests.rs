//! Tests of input validation: identifiers, per-type fields, PEM, limits.

use super::*;
use shared::secret::SecretString;

fn data(pairs: &[(&str, &str)]) -> SecretData {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), SecretString::from(*v)))
        .collect()
}

const PEM: &str =
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIB0l\n-----END PRIVATE KEY-----\n";

fn field_of(r: VaultResult<DataFacts>) -> Option<String> {
    match r {
        Err(VaultError::Validation { field, .. }) => Some(field),
        _ => None,
    }
}

#[test]
fn identifiers() {
    for ok in ["a", "_", "A_b-9", "cf-token", &"x".repeat(128)] {
        assert!(is_identifier(ok), "{ok}");
    }
    for bad in ["", "9a", "-a", "a.b", "a b", "é", "a/b", &"x".repeat(129)] {
        assert!(!is_identifier(bad), "{bad}");
    }
    assert!(validate_name("ok_name").is_ok());
    assert!(validate_name("bad name").is_err());
}

/// (type, data pairs, expected offending field).
type Case = (
    SecretType,
    &'static [(&'static str, &'static str)],
    Option<&'static str>,
);

#[test]
fn required_fields_per_type() {
    let cases: &[Case] = &[
        (SecretType::ApiKey, &[("value", "k")], None),
        (SecretType::ApiKey, &[], Some("data.value")),
        (SecretType::ApiKey, &[("value", "  ")], Some("data.value")),
        (
            SecretType::BasicAuth,
            &[("username", "u"), ("password", "p")],
            None,
        ),
        (
            SecretType::BasicAuth,
            &[("username", "u")],
            Some("data.password"),
        ),
        (
            SecretType::BasicAuth,
            &[("password", "p")],
            Some("data.username"),
        ),
        (SecretType::BearerToken, &[("token", "t")], None),
        (
            SecretType::BearerToken,
            &[("expiresAt", "2030-01-01T00:00:00Z")],
            Some("data.token"),
        ),
        (
            SecretType::BearerToken,
            &[("token", "t"), ("expiresAt", "tomorrow")],
            Some("data.expiresAt"),
        ),
        (
            SecretType::Oauth,
            &[("clientId", "i"), ("clientSecret", "s")],
            None,
        ),
        (
            SecretType::Oauth,
            &[("clientId", "i")],
            Some("data.clientSecret"),
        ),
        (
            SecretType::Oauth,
            &[
                ("clientId", "i"),
                ("clientSecret", "s"),
                ("tokenUrl", "ftp://x"),
            ],
            Some("data.tokenUrl"),
        ),
        (
            SecretType::Oauth,
            &[
                ("clientId", "i"),
                ("clientSecret", "s"),
                ("accessToken", "a"),
                ("refreshToken", "r"),
                ("tokenUrl", "https://x/t"),
                ("scopes", "a b"),
            ],
            None,
        ),
        (SecretType::Custom, &[("anything", "v")], None),
        (SecretType::Custom, &[], Some("data")),
        (
            SecretType::Custom,
            &[("bad name", "v")],
            Some("data.bad name"),
        ),
        (SecretType::PrivateKey, &[("pem", PEM)], None),
        (
            SecretType::PrivateKey,
            &[("pem", "not a key")],
            Some("data.pem"),
        ),
        (SecretType::PrivateKey, &[], Some("data.pem")),
    ];
    for (t, d, expect) in cases {
        let got = field_of(validate_data(*t, &data(d)));
        assert_eq!(
            got.as_deref(),
            *expect,
            "{t:?} {:?}",
            d.iter().map(|p| p.0).collect::<Vec<_>>()
        );
    }
}

#[test]
fn unknown_fields_are_rejected_by_name() {
    let r = validate_data(SecretType::ApiKey, &data(&[("value", "k"), ("extra", "x")]));
    assert_eq!(field_of(r).as_deref(), Some("data.extra"));
}

#[test]
fn value_size_limit() {
    let big = "x".repeat(MAX_VALUE_BYTES + 1);
    let r = validate_data(SecretType::ApiKey, &data(&[("value", &big)]));
    assert_eq!(field_of(r).as_deref(), Some("data.value"));
    let ok = "x".repeat(MAX_VALUE_BYTES);
    assert!(validate_data(SecretType::ApiKey, &data(&[("value", &ok)])).is_ok());
}

#[test]
fn expiry_is_normalized_to_utc() -> VaultResult<()> {
    let f = validate_data(
        SecretType::BearerToken,
        &data(&[("token", "t"), ("expiresAt", "2030-01-01T02:00:00+02:00")]),
    )?;
    assert_eq!(f.expires_at.as_deref(), Some("2030-01-01T00:00:00Z"));
    Ok(())
}

#[test]
fn pem_shapes() {
    assert!(check_pem(PEM).is_ok());
    assert!(check_pem(&format!("{PEM}\n{PEM}")).is_ok());
    let enc = "-----BEGIN RSA PRIVATE KEY-----\r\nProc-Type: 4,ENCRYPTED\r\nDEK-Info: AES-128-CBC,00\r\n\r\nAAAA\r\n-----END RSA PRIVATE KEY-----";
    assert!(check_pem(enc).is_ok());
    for bad in [
        "",
        "-----BEGIN KEY-----\nAAAA\n",
        "-----BEGIN KEY-----\nAAAA\n-----END OTHER-----",
        "-----BEGIN KEY-----\n-----END KEY-----",
        "-----BEGIN KEY-----\nAA!A\n-----END KEY-----",
        "-----BEGIN KEY-----\nAAA\n-----END KEY-----",
        "-----BEGIN -----\nAAAA\n-----END -----",
    ] {
        assert!(check_pem(bad).is_err(), "{bad}");
    }
}

#[test]
fn metadata_limits() {
    assert!(validate_label(Some(&"l".repeat(256))).is_ok());
    assert!(validate_label(Some(&"l".repeat(257))).is_err());
    assert!(validate_label(Some("a\u{7}b")).is_err());
    assert!(validate_description(Some("line1\nline2")).is_ok());
    assert!(validate_description(Some(&"d".repeat(4097))).is_err());
    let tags: Vec<String> = (0..33).map(|i| format!("t{i}")).collect();
    assert!(validate_tags(&tags).is_err());
    assert_eq!(
        validate_tags(&["a".into(), "b".into(), "a".into()]).ok(),
        Some(vec!["a".to_owned(), "b".to_owned()])
    );
    assert!(validate_tags(&[" a".into()]).is_err());
    assert!(validate_tags(&["x".repeat(65)]).is_err());
    assert!(validate_owner(Some(" ")).is_err());
    assert!(validate_external_path("kv/a/../b").is_err());
    assert!(validate_external_path("dns/cloudflare").is_ok());
}
