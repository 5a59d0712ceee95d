//! The ACME client against the real pebble + PowerDNS, signing with a
//! test-only in-process signer (aws-lc-rs, rcgen): proves the RFC 8555
//! conversation and the DNS-01 flow before vault-proc signs. The product
//! path (vault-proc signing through the broker) is tests/tests/acme_*.rs.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair as _, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::Engine as _;
use dns_proc::acme::client::{AcmeClient, Registration};
use dns_proc::acme::issue::{self, Events, Job, Target};
use dns_proc::acme::signer::{AcmeSigner, Jws, KeyId, OrderKey, PublicKey};
use dns_proc::acme::store::AcmeStore;
use dns_proc::acme::{AcmeError, AcmeResult};
use dns_proc::adapters::{powerdns::PowerDns, Adapter, TxtApi};
use dns_proc::providers::config::PowerDnsConfig;
use dns_proc::verify::PollPlan;
use sha2::Digest;
use shared::protocol::dns::{ProviderMeta, ProviderType};

fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run scripts/services/start DIR and source DIR/env")
    })
}

/// P-256 SPKI prefix before the 65-byte point.
const P256_SPKI: &[u8] = &[
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

#[derive(Default)]
struct TestSigner {
    accounts: Mutex<HashMap<String, std::sync::Arc<EcdsaKeyPair>>>,
    certs: Mutex<HashMap<String, std::sync::Arc<rcgen::KeyPair>>>,
}

impl TestSigner {
    fn new_account_key(&self, key_ref: &str) {
        let k = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        self.accounts
            .lock()
            .unwrap()
            .insert(key_ref.into(), std::sync::Arc::new(k));
    }

    fn account(&self, key_ref: &str) -> AcmeResult<std::sync::Arc<EcdsaKeyPair>> {
        self.accounts
            .lock()
            .unwrap()
            .get(key_ref)
            .cloned()
            .ok_or_else(|| AcmeError::Signer("unknown key".into()))
    }

    fn jwk(k: &EcdsaKeyPair) -> String {
        let p = k.public_key().as_ref();
        format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            b64(&p[1..33]),
            b64(&p[33..65])
        )
    }
}

impl AcmeSigner for TestSigner {
    async fn sign(
        &self,
        key_ref: &str,
        url: &str,
        nonce: &str,
        key_id: KeyId,
        payload: &[u8],
    ) -> AcmeResult<Jws> {
        let k = self.account(key_ref)?;
        let key_part = match key_id {
            KeyId::Kid(kid) => format!(r#""kid":{}"#, serde_json::to_string(&kid).unwrap()),
            KeyId::Jwk => format!(r#""jwk":{}"#, Self::jwk(&k)),
        };
        let protected = b64(format!(
            r#"{{"alg":"ES256",{key_part},"nonce":"{nonce}","url":{}}}"#,
            serde_json::to_string(url).unwrap()
        )
        .as_bytes());
        let payload = b64(payload);
        let sig = k
            .sign(
                &SystemRandom::new(),
                format!("{protected}.{payload}").as_bytes(),
            )
            .unwrap();
        Ok(Jws {
            protected,
            payload,
            signature: b64(sig.as_ref()),
        })
    }

    async fn public_key(&self, key_ref: &str) -> AcmeResult<PublicKey> {
        if let Some(c) = self.certs.lock().unwrap().get(key_ref) {
            use rcgen::PublicKeyData;
            return Ok(PublicKey {
                jwk: String::new(),
                thumbprint: String::new(),
                spki_der: c.subject_public_key_info(),
            });
        }
        let k = self.account(key_ref)?;
        let jwk = Self::jwk(&k);
        let mut spki = P256_SPKI.to_vec();
        spki.extend_from_slice(k.public_key().as_ref());
        Ok(PublicKey {
            thumbprint: b64(&sha2::Sha256::digest(jwk.as_bytes())),
            jwk,
            spki_der: spki,
        })
    }

    async fn eab(&self, _: &str, _: &str, _: &str, _: &str) -> AcmeResult<Jws> {
        Err(AcmeError::Signer("no EAB in this test".into()))
    }

    async fn csr(&self, key_ref: &str, names: &[String]) -> AcmeResult<Vec<u8>> {
        let key = self
            .certs
            .lock()
            .unwrap()
            .get(key_ref)
            .cloned()
            .ok_or_else(|| AcmeError::Signer("unknown certificate key".into()))?;
        let params = rcgen::CertificateParams::new(names.to_vec()).unwrap();
        Ok(params.serialize_request(&*key).unwrap().der().to_vec())
    }

    async fn order_key(
        &self,
        order_id: &str,
        _key_type: shared::protocol::keys::KeyType,
    ) -> AcmeResult<OrderKey> {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let key_ref = format!("cert-{order_id}");
        self.certs
            .lock()
            .unwrap()
            .insert(key_ref.clone(), std::sync::Arc::new(key));
        Ok(OrderKey { key_ref })
    }
}

fn pdns_provider() -> (ProviderMeta, Adapter) {
    let cfg = PowerDnsConfig {
        server_url: env("SSLBOARD_TEST_PDNS_API"),
        server_id: "localhost".into(),
    };
    let adapter =
        Adapter::PowerDns(PowerDns::new(&cfg, env("SSLBOARD_TEST_PDNS_API_KEY").into()).unwrap());
    let meta = ProviderMeta {
        id: "dns_prov_test".into(),
        provider_type: ProviderType::Powerdns,
        label: "pdns".into(),
        domain_suffixes: vec!["example.test".into()],
        secret_ref: None,
        config_json: "{}".into(),
        created_at: String::new(),
        updated_at: String::new(),
        ambiguous: false,
    };
    (meta, adapter)
}

fn random_label() -> String {
    let mut b = [0u8; 5];
    getrandom::fill(&mut b).unwrap();
    hex::encode(b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pebble_issues_apex_and_wildcard_through_powerdns_with_a_test_signer() {
    let pdns = env("SSLBOARD_TEST_PDNS_DNS");
    let (ip, port) = pdns.rsplit_once(':').unwrap();
    std::env::set_var("SSLBOARD_DNS_BOOTSTRAP", &pdns);
    std::env::set_var("SSLBOARD_DNS_PORT", port);
    let _ = ip;
    let ca = std::fs::read_to_string(env("SSLBOARD_TEST_PEBBLE_CA")).unwrap();
    let dir = env("SSLBOARD_TEST_PEBBLE_DIR");
    let signer = TestSigner::default();
    signer.new_account_key("acct-key");
    let mut client = AcmeClient::connect(&dir, Some(&ca), &signer, "acct-key")
        .await
        .unwrap();
    // Looking up a key with no account is an error from the CA.
    let missing = client
        .register(&Registration {
            contact: &[],
            terms_agreed: true,
            only_existing: true,
            eab: None,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, AcmeError::Problem(p) if p.kind.ends_with("accountDoesNotExist")),
        "{missing:?}"
    );
    let (url, account) = client
        .register(&Registration {
            contact: &["mailto:a@example.test".to_string()],
            terms_agreed: true,
            only_existing: false,
            eab: None,
        })
        .await
        .unwrap();
    assert_eq!(account.status.as_str(), "valid");
    let (again, _) = client
        .register(&Registration {
            contact: &[],
            terms_agreed: true,
            only_existing: true,
            eab: None,
        })
        .await
        .unwrap();
    assert_eq!(again, url);

    let base = format!("t{}.example.test", random_label());
    let names = vec![base.clone(), format!("*.{base}")];
    let (meta, adapter) = pdns_provider();
    let record = format!("_acme-challenge.{base}");
    let targets = names
        .iter()
        .map(|n| {
            (
                n.clone(),
                Target {
                    name: n.clone(),
                    record: record.clone(),
                    provider: Some(meta.clone()),
                    warnings: vec![],
                },
            )
        })
        .collect();
    let mut adapters = HashMap::new();
    adapters.insert(meta.id.clone(), adapter);
    let data = tempfile::tempdir().unwrap();
    let store = AcmeStore::open(data.path()).unwrap();
    store.insert_order("order_1", "acct", &names).await.unwrap();
    let job = Job {
        order_id: "order_1".into(),
        names: names.clone(),
        key_type: Default::default(),
        targets,
        deadline: Instant::now() + Duration::from_secs(60),
        poll: PollPlan::BACKOFF,
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let events = Events::new(tx);
    let (_cancel_tx, mut cancel) = tokio::sync::watch::channel(false);
    let t0 = Instant::now();
    let issued = issue::issue(
        &client,
        &signer,
        &store,
        &job,
        &adapters,
        &events,
        &mut cancel,
    )
    .await;
    let cleaned = issue::cleanup(&store, Some("order_1"), &adapters, &events).await;
    let issued = issued.unwrap_or_else(|f| panic!("{:?} failed: {}", f.step, f.error));
    eprintln!(
        "issued in {:?}; {} badNonce retries",
        t0.elapsed(),
        client.bad_nonce_retries()
    );
    let mut got = issued.leaf.dns_names.clone();
    got.sort();
    let mut want = names.clone();
    want.sort();
    assert_eq!(got, want);
    assert!(cleaned.left.is_empty(), "{:?}", cleaned.left);
    // Both values went to one name at the same time (added, not replaced):
    // two present events with the same record and different values.
    let mut presented = Vec::new();
    while let Ok(p) = rx.try_recv() {
        if let (
            shared::protocol::acme::IssueStep::Present,
            shared::protocol::acme::StepStatus::Ok,
            Some(r),
        ) = (p.step, p.status, p.record)
        {
            presented.push(r);
        }
    }
    // With authorization reuse one of them may already be valid: at least one.
    assert!(!presented.is_empty());
    assert!(presented.iter().all(|r| r.record_name == record));
    // Nothing left in DNS.
    let (_, adapter) = pdns_provider();
    let zone = adapter.find_zone(&record).await.unwrap();
    assert!(adapter.list_txt(&zone, &record).await.unwrap().is_empty());
    assert!(store.journal(None).await.unwrap().is_empty());
}
