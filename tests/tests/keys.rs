//! Key custody against a real vault-proc (this process in the broker and
//! dns roles): every key type generated and used, each signature and CSR
//! checked by an independent implementation (Python `cryptography`, the
//! openssl CLI); PEM import of each format and each refusal; and who may
//! sign what under which permit.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;
use shared::error::{ErrorCode, WireError};
use shared::protocol::keys::{FlattenedJws, ImportKey, JwsSigner, KeyType, NewKey, PublicKeyInfo};
use shared::protocol::secrets::{SecretFilter, SecretKind, SecretMeta, SecretType};
use shared::protocol::vault::{AcmeGrant, AcmePurpose, PermitScope, VaultRequest, VaultResponse};
use sslboard_tests::direct::{new_secret, DirectVault};
use sslboard_tests::keys::{
    openssl_key, p256_pem, thumbprint_of_pem, verify_csr, verify_hs256, verify_jws,
};

const CA: &str = "https://ca.example:14000";

fn create_key(v: &DirectVault, kind: SecretKind, key_type: KeyType) -> SecretMeta {
    match v
        .as_broker(VaultRequest::KeyCreate(NewKey {
            kind,
            key_type,
            name: None,
            label: Some("test key".into()),
            description: None,
            tags: vec![],
            owner: None,
        }))
        .unwrap()
    {
        VaultResponse::Meta(m) => m,
        other => panic!("{other:?}"),
    }
}

fn import(v: &DirectVault, kind: SecretKind, pem: &str) -> Result<SecretMeta, WireError> {
    match v.as_broker(VaultRequest::KeyImport(ImportKey {
        kind,
        pem: pem.into(),
        name: None,
        label: None,
        description: None,
        tags: vec![],
    }))? {
        VaultResponse::Meta(m) => Ok(m),
        other => panic!("{other:?}"),
    }
}

fn public(v: &DirectVault, key_ref: &str) -> PublicKeyInfo {
    match v
        .as_dns(VaultRequest::PublicJwk {
            key_ref: key_ref.into(),
        })
        .unwrap()
    {
        VaultResponse::PublicKey(p) => p,
        other => panic!("{other:?}"),
    }
}

fn grant(keys: &[&str], origin: &str, names: &[&str], order: &str) -> PermitScope {
    PermitScope::Acme(AcmeGrant {
        purpose: AcmePurpose::Order(order.into()),
        key_refs: keys.iter().map(|k| k.to_string()).collect(),
        directory_origin: origin.into(),
        names: names.iter().map(|n| n.to_string()).collect(),
    })
}

fn sign(
    v: &DirectVault,
    key_ref: &str,
    url: &str,
    signer: JwsSigner,
    payload: &[u8],
) -> Result<FlattenedJws, WireError> {
    match v.as_dns(VaultRequest::AcmeSign {
        key_ref: key_ref.into(),
        url: url.into(),
        nonce: "bm9uY2UtMTIz".into(),
        signer,
        payload: payload.to_vec(),
    })? {
        VaultResponse::Jws(j) => Ok(j),
        other => panic!("{other:?}"),
    }
}

fn csr(v: &DirectVault, key_ref: &str, names: &[&str]) -> Result<Vec<u8>, WireError> {
    match v.as_dns(VaultRequest::CsrCreate {
        key_ref: key_ref.into(),
        names: names.iter().map(|n| n.to_string()).collect(),
    })? {
        VaultResponse::Csr(d) => Ok(d),
        other => panic!("{other:?}"),
    }
}

fn count(v: &DirectVault) -> usize {
    match v
        .as_broker(VaultRequest::List(SecretFilter::default()))
        .unwrap()
    {
        VaultResponse::Metas(m) => m.len(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_key_type_signs_jws_and_csrs_that_verify_independently() {
    let v = DirectVault::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    for kt in KeyType::ALL {
        let account = create_key(&v, SecretKind::AcmeAccountKey, kt);
        let cert = create_key(&v, SecretKind::ManagedPrivateKey, kt);
        let pk = account.public_key.clone().expect("publicKey metadata");
        assert_eq!(pk.key_type, kt);
        assert_eq!(account.secret_type, SecretType::PrivateKey);
        assert_eq!(account.fields, vec!["pem".to_string()]);
        let info = public(&v, &account.reference);
        assert_eq!(info.jwk_thumbprint, pk.jwk_thumbprint);
        assert_eq!(info.spki_sha256, pk.spki_sha256);
        v.grant(grant(
            &[&account.reference, &cert.reference],
            CA,
            &["a.example.com", "*.b.example.com"],
            &format!("ord_{kt:?}"),
        ));
        // newAccount-style (jwk) with a payload, and POST-as-GET with a kid.
        let url = format!("{CA}/acme/new-account");
        let j = sign(
            &v,
            &account.reference,
            &url,
            JwsSigner::Jwk,
            br#"{"termsOfServiceAgreed":true}"#,
        )
        .unwrap();
        let checked = verify_jws(&j, &info);
        let alg = match kt {
            KeyType::EcP256 => "ES256",
            KeyType::EcP384 => "ES384",
            _ => "RS256",
        };
        assert_eq!(checked["protected"]["alg"], json!(alg));
        assert_eq!(checked["protected"]["url"], json!(url));
        assert_eq!(checked["protected"]["nonce"], json!("bm9uY2UtMTIz"));
        assert_eq!(
            checked["protected"]["jwk"],
            serde_json::from_str::<serde_json::Value>(&info.jwk).unwrap()
        );
        assert!(checked["protected"].get("kid").is_none());
        assert_eq!(
            checked["payload"],
            json!(r#"{"termsOfServiceAgreed":true}"#)
        );
        let kid = format!("{CA}/acme/acct/7");
        let j = sign(
            &v,
            &account.reference,
            &format!("{CA}/acme/order/1"),
            JwsSigner::Kid(kid.clone()),
            b"",
        )
        .unwrap();
        assert_eq!(j.payload, "");
        let checked = verify_jws(&j, &info);
        assert_eq!(checked["protected"]["kid"], json!(kid));
        assert!(checked["protected"].get("jwk").is_none());
        // The CSR: verifies, carries exactly the names, and the certificate key.
        let der = csr(&v, &cert.reference, &["a.example.com", "*.b.example.com"]).unwrap();
        let (names, spki) = verify_csr(dir.path(), &der);
        assert_eq!(names, vec!["a.example.com", "*.b.example.com"], "{kt:?}");
        assert_eq!(spki, public(&v, &cert.reference).spki_der);
    }
}

#[test]
fn each_pem_format_imports_and_each_bad_input_is_refused_with_its_reason() {
    let v = DirectVault::start(&[]);
    let good = [
        ("PKCS#8 P-256", p256_pem(), KeyType::EcP256),
        (
            "PKCS#8 P-384",
            openssl_key(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
            ]),
            KeyType::EcP384,
        ),
        (
            "PKCS#8 RSA",
            openssl_key(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ]),
            KeyType::Rsa2048,
        ),
        (
            "PKCS#1 RSA",
            openssl_key(&["genrsa", "-traditional", "3072"]),
            KeyType::Rsa3072,
        ),
        (
            "SEC1 P-256",
            openssl_key(&["ecparam", "-name", "prime256v1", "-genkey", "-noout"]),
            KeyType::EcP256,
        ),
        (
            "SEC1 P-384",
            openssl_key(&["ecparam", "-name", "secp384r1", "-genkey", "-noout"]),
            KeyType::EcP384,
        ),
    ];
    for (what, pem, kt) in &good {
        assert!(pem.contains("PRIVATE KEY"), "{what}: {pem}");
        let m =
            import(&v, SecretKind::AcmeAccountKey, pem).unwrap_or_else(|e| panic!("{what}: {e}"));
        let pk = m
            .public_key
            .unwrap_or_else(|| panic!("{what}: no publicKey"));
        assert_eq!(pk.key_type, *kt, "{what}");
        // The stored key is the imported key: same public half, computed independently.
        assert_eq!(pk.jwk_thumbprint, thumbprint_of_pem(pem), "{what}");
    }
    let before = count(&v);
    let p256 = &good[0].1;
    let mut inner_trailing = {
        use base64::Engine;
        let body: String = p256.lines().filter(|l| !l.starts_with("-----")).collect();
        let mut der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        der.extend_from_slice(&[0, 0]);
        base64::engine::general_purpose::STANDARD.encode(der)
    };
    inner_trailing =
        format!("-----BEGIN PRIVATE KEY-----\n{inner_trailing}\n-----END PRIVATE KEY-----\n");
    let bad: Vec<(&str, String, &str)> = vec![
        ("not PEM", "just some text".into(), "not PEM"),
        (
            "DER bytes as text",
            "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg".into(),
            "not PEM",
        ),
        (
            "encrypted PKCS#8",
            openssl_key(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-aes256",
                "-pass",
                "pass:x",
            ]),
            "encrypted",
        ),
        (
            "encrypted legacy PEM",
            openssl_key(&[
                "genrsa",
                "-traditional",
                "-aes128",
                "-passout",
                "pass:x",
                "2048",
            ]),
            "encrypted",
        ),
        (
            "secp256k1",
            openssl_key(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:secp256k1",
            ]),
            "secp256k1",
        ),
        (
            "SEC1 secp256k1",
            openssl_key(&["ecparam", "-name", "secp256k1", "-genkey", "-noout"]),
            "secp256k1",
        ),
        (
            "Ed25519",
            openssl_key(&["genpkey", "-algorithm", "ED25519"]),
            "Ed25519",
        ),
        (
            "RSA 1024",
            openssl_key(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:1024",
            ]),
            "too small",
        ),
        (
            "PKCS#1 RSA 1024",
            openssl_key(&["genrsa", "-traditional", "1024"]),
            "too small",
        ),
        (
            "trailing garbage",
            format!("{p256}garbage"),
            "trailing garbage",
        ),
        ("two keys", format!("{p256}{p256}"), "more than one block"),
        ("bytes after the DER", inner_trailing, "trailing garbage"),
        (
            "a certificate",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".into(),
            "CERTIFICATE",
        ),
    ];
    for (what, pem, reason) in &bad {
        let e = import(&v, SecretKind::ManagedPrivateKey, pem).unwrap_err();
        assert_eq!(e.code, ErrorCode::Validation, "{what}: {e}");
        assert!(e.message.contains(reason), "{what}: {e}");
        // Never echoes the input.
        assert!(
            !e.message.contains("MIG") && !e.message.contains("garbage\n"),
            "{what}: {e}"
        );
    }
    // A key kind is required; the kinds that are not keys are refused.
    let e = import(&v, SecretKind::Generic, p256).unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    assert_eq!(count(&v), before, "a refused import stored something");
}

#[test]
fn who_may_sign_what() {
    let v = DirectVault::start(&[]);
    let account = create_key(&v, SecretKind::AcmeAccountKey, KeyType::EcP256);
    let cert = create_key(&v, SecretKind::ManagedPrivateKey, KeyType::EcP256);
    let url = format!("{CA}/acme/new-order");
    let forbidden = |r: Result<FlattenedJws, WireError>, what: &str| {
        assert_eq!(r.unwrap_err().code, ErrorCode::Forbidden, "{what}");
    };
    // No permit.
    forbidden(
        sign(&v, &account.reference, &url, JwsSigner::Jwk, b"{}"),
        "without a permit",
    );
    assert_eq!(
        csr(&v, &cert.reference, &["a.example.com"])
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    // The broker (the UI's proxy) can never ask for a signature (and the
    // refusal closes its connection: a fresh one is used here).
    let broker = v.connect_as(shared::protocol::Role::Broker).unwrap();
    let e = v
        .call_on(
            &broker,
            VaultRequest::AcmeSign {
                key_ref: account.reference.clone(),
                url: url.clone(),
                nonce: "n".into(),
                signer: JwsSigner::Jwk,
                payload: vec![],
            },
        )
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden);
    let scope = grant(
        &[&account.reference, &cert.reference],
        CA,
        &["a.example.com"],
        "ord_1",
    );
    v.grant(scope.clone());
    sign(&v, &account.reference, &url, JwsSigner::Jwk, b"{}").unwrap();
    // Another CA's URL, or the same host on another port or scheme.
    for other in [
        "https://evil.example/acme/new-order",
        "https://ca.example:14001/x",
        "http://ca.example:14000/x",
    ] {
        let r = sign(&v, &account.reference, other, JwsSigner::Jwk, b"{}");
        assert!(
            matches!(
                r.as_ref().map_err(|e| e.code),
                Err(ErrorCode::Forbidden) | Err(ErrorCode::Validation)
            ),
            "{other}: {r:?}"
        );
    }
    forbidden(
        sign(
            &v,
            &account.reference,
            "https://evil.example/",
            JwsSigner::Jwk,
            b"{}",
        ),
        "other origin",
    );
    // A kid at another server is refused too.
    let e = sign(
        &v,
        &account.reference,
        &url,
        JwsSigner::Kid("https://evil.example/acct/1".into()),
        b"",
    )
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Validation);
    // CSR names: only the permit's.
    csr(&v, &cert.reference, &["A.Example.com"]).unwrap();
    assert_eq!(
        csr(&v, &cert.reference, &["a.example.com", "b.example.com"])
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    // An account key is not a certificate key.
    assert_eq!(
        csr(&v, &account.reference, &["a.example.com"])
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    // Secrets that are not keys cannot sign, even when a permit names them.
    // A generic secret holding a perfectly good key.
    let pem = p256_pem();
    let generic = v.create(new_secret(
        "g",
        SecretType::PrivateKey,
        SecretKind::Generic,
        &[("pem", &pem)],
    ));
    assert!(generic.public_key.is_none());
    let mut tok = new_secret(
        "t",
        SecretType::ApiKey,
        SecretKind::DnsProviderToken,
        &[("value", "v")],
    );
    tok.owner = Some("dns_prov_1".into());
    let tok = v.create(tok);
    v.grant(grant(
        &[&generic.reference, &tok.reference],
        CA,
        &["a.example.com"],
        "ord_2",
    ));
    forbidden(
        sign(&v, &generic.reference, &url, JwsSigner::Jwk, b"{}"),
        "generic secret",
    );
    forbidden(
        sign(&v, &tok.reference, &url, JwsSigner::Jwk, b"{}"),
        "provider token",
    );
    assert_eq!(
        csr(&v, &generic.reference, &["a.example.com"])
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    // After the revoke, nothing.
    v.revoke(scope);
    forbidden(
        sign(&v, &account.reference, &url, JwsSigner::Jwk, b"{}"),
        "after revoke",
    );
    assert_eq!(
        csr(&v, &cert.reference, &["a.example.com"])
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    // The public half needs no permit.
    public(&v, &account.reference);
}

#[test]
fn order_keys_and_external_account_binding() {
    let v = DirectVault::start(&[]);
    let account = create_key(&v, SecretKind::AcmeAccountKey, KeyType::EcP256);
    let other_account = create_key(&v, SecretKind::AcmeAccountKey, KeyType::EcP256);
    let hmac_b64 = "c2VjcmV0LWhtYWMta2V5LWZyb20tdGhlLWNh";
    let hmac = v.create(new_secret(
        "eab",
        SecretType::ApiKey,
        SecretKind::AcmeAccountKey,
        &[("value", hmac_b64)],
    ));
    let order_key = |v: &DirectVault, order: &str| {
        v.as_dns(VaultRequest::OrderKeyCreate {
            order_id: order.into(),
            key_type: KeyType::EcP384,
        })
    };
    assert_eq!(
        order_key(&v, "ord_9").unwrap_err().code,
        ErrorCode::Forbidden
    );
    let scope = grant(
        &[&account.reference, &hmac.reference],
        CA,
        &["x.example.com"],
        "ord_9",
    );
    v.grant(scope.clone());
    let meta = match order_key(&v, "ord_9").unwrap() {
        VaultResponse::Meta(m) => m,
        other => panic!("{other:?}"),
    };
    assert_eq!(meta.owner.as_deref(), Some("ord_9"));
    assert_eq!(meta.kind, SecretKind::ManagedPrivateKey);
    assert_eq!(
        meta.public_key.as_ref().map(|p| p.key_type),
        Some(KeyType::EcP384)
    );
    // The new key is covered by the order's permit at once.
    let dir = tempfile::tempdir().unwrap();
    let (names, _) = verify_csr(
        dir.path(),
        &csr(&v, &meta.reference, &["x.example.com"]).unwrap(),
    );
    assert_eq!(names, vec!["x.example.com"]);
    // EAB: binds this permit's account key only.
    let eab = |jwk: &str| {
        v.as_dns(VaultRequest::EabSign {
            hmac_key_ref: hmac.reference.clone(),
            kid: "kid-1".into(),
            url: format!("{CA}/acme/new-account"),
            account_jwk: jwk.into(),
        })
    };
    let jwk = public(&v, &account.reference).jwk;
    let j = match eab(&jwk).unwrap() {
        VaultResponse::Jws(j) => j,
        other => panic!("{other:?}"),
    };
    let checked = verify_hs256(&j, hmac_b64);
    assert_eq!(
        checked["protected"],
        json!({"alg": "HS256", "kid": "kid-1", "url": format!("{CA}/acme/new-account")})
    );
    assert_eq!(checked["payload"], json!(jwk));
    let other_jwk = public(&v, &other_account.reference).jwk;
    assert_eq!(eab(&other_jwk).unwrap_err().code, ErrorCode::Forbidden);
    v.revoke(scope);
    assert_eq!(eab(&jwk).unwrap_err().code, ErrorCode::Forbidden);
    assert_eq!(
        csr(&v, &meta.reference, &["x.example.com"])
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
}

/// A signature by a loaded key is made on vault-proc's socket thread (the
/// shared copy of loaded keys). After `vault_lock` nothing of the key is left
/// in vault-proc: not in that copy, not on the socket thread's stack. Method
/// checks in the same process: while unlocked the scan finds the key, and
/// after the lock it still finds the data directory's path.
#[test]
fn a_key_used_on_the_socket_thread_is_gone_from_vault_proc_after_lock() {
    use sslboard_tests::keys::secret_parts;
    use sslboard_tests::procs::{assert_absent_with_control, memory_contains};
    let v = DirectVault::start(&[]);
    let pem = p256_pem();
    let (scalar, der) = secret_parts(&pem);
    let m = import(&v, SecretKind::AcmeAccountKey, &pem).unwrap();
    v.grant(grant(&[&m.reference], CA, &[], "o-lock"));
    let url = format!("{CA}/acme/new-order");
    let kid = || JwsSigner::Kid(format!("{CA}/acme/acct/1"));
    // The first signature loads the key in the store; the next ones are made
    // on the socket thread.
    for _ in 0..20 {
        sign(&v, &m.reference, &url, kid(), b"{}").unwrap();
    }
    let pid = v.pid();
    let marker = v.data_dir().to_string_lossy().into_owned().into_bytes();
    assert_eq!(
        memory_contains(pid, &scalar),
        Some(true),
        "method check: the loaded key is in vault-proc"
    );
    v.as_broker(VaultRequest::Lock).unwrap();
    assert_absent_with_control(pid, "vault-proc after lock", &[&scalar, &der], &marker);
    // The permit still holds: the store loads the key again to sign.
    sign(&v, &m.reference, &url, kid(), b"{}").unwrap();
    // A revoked permit is refused on the socket thread's path too.
    v.revoke(grant(&[&m.reference], CA, &[], "o-lock"));
    let e = sign(&v, &m.reference, &url, kid(), b"{}").unwrap_err();
    assert_eq!(e.code, ErrorCode::Forbidden, "{e}");
}
