//! Data seeded straight into the stores, through their own code (sealing,
//! rows) in one transaction: large vaults for benchmarks and for the tests
//! of paths that only large vaults take, in seconds instead of hours of UI
//! calls.

use std::path::Path;

use shared::protocol::secrets::{SecretKind, SecretType};
use shared::secret::{Key32, SecretString};
use vault_proc::secrets::{crypto, masterkey, plaintext, rows, store::SecretStore};

/// Id of the i-th seeded provider.
pub fn provider_id(i: usize) -> String {
    format!("dns_prov_{i:032x}")
}

/// Reference of the i-th seeded secret (provider i's token).
pub fn secret_id(i: usize) -> String {
    format!("sec_{i:032x}")
}

/// Name of the i-th seeded secret.
pub fn secret_name(i: usize) -> String {
    format!("secret-{i:07}")
}

/// Writes `n` provider tokens (secret i owned by provider i, value
/// `token-i`, this description, paired as a cloud API token is) into
/// `data_dir`'s secrets.sqlite, sealed
/// under the env master key `key`, in one transaction with one prepared
/// statement. Sets `SSLBOARD_KEY_SOURCE=env` and `SSLBOARD_MASTER_KEY` in
/// this process's environment.
pub fn provider_tokens(data_dir: &Path, key: [u8; 32], n: usize, description: &str) {
    use base64::Engine;
    std::env::set_var("SSLBOARD_KEY_SOURCE", "env");
    std::env::set_var(
        "SSLBOARD_MASTER_KEY",
        base64::engine::general_purpose::STANDARD.encode(key),
    );
    let mut store = SecretStore::open(data_dir, masterkey::select_source().unwrap()).unwrap();
    // Records the key's fingerprint before any ciphertext exists.
    store.unlock().unwrap();
    let key = Key32::from_bytes(key);
    let at = "2026-11-29T00:00:00.000Z".to_string();
    store
        .transact(|tx| {
            for i in 0..n {
                let id = secret_id(i);
                let owner = provider_id(i);
                let data = [(
                    "value".to_string(),
                    SecretString::from(format!("token-{i}")),
                )]
                .into_iter()
                .collect();
                let plain = plaintext::encode(&data)?;
                let aad = crypto::aad_for(
                    &id,
                    SecretKind::DnsProviderToken,
                    SecretType::ApiKey,
                    Some(&owner),
                    // Paired as a cloud API token is (empty endpoint).
                    Some(""),
                    None,
                );
                let sealed = crypto::seal(&key, &aad, &plain)?;
                rows::insert(
                    tx,
                    &rows::SecretRow {
                        id,
                        name: secret_name(i),
                        kind: SecretKind::DnsProviderToken,
                        secret_type: SecretType::ApiKey,
                        label: String::new(),
                        description: description.to_string(),
                        tags: vec![],
                        fields: vec!["value".into()],
                        owner: Some(owner),
                        expires_at: None,
                        external_path: None,
                        created_at: at.clone(),
                        updated_at: at.clone(),
                        nonce: Some(sealed.nonce.to_vec()),
                        ciphertext: Some(sealed.ciphertext),
                        token_binding: Some(String::new()),
                        public_key: None,
                        allowed_hosts: None,
                    },
                )?;
            }
            Ok(())
        })
        .unwrap();
}

/// `n` Cloudflare DNS providers `provider_id(0..n)` in `data_dir/dns.sqlite`
/// (one transaction, through the store, so the suffix index is written
/// with them), provider i referencing token `secret_id(i)`, so the tokens
/// of [`provider_tokens`] have their owners and the broker's token sweep
/// keeps them. Provider i manages
/// `suffix(i)` and was created at `2026-01-01T00:00:00.<i>Z`.
pub fn providers_with(data_dir: &Path, n: usize, suffix: impl Fn(usize) -> String) {
    use dns_proc::providers::store::{ProviderRow, ProviderState, ProviderStore};
    use shared::protocol::dns::ProviderType;
    std::fs::create_dir_all(data_dir).unwrap();
    let rows: Vec<ProviderRow> = (0..n)
        .map(|i| {
            let at = format!("2026-01-01T00:00:00.{i:06}Z");
            ProviderRow {
                id: provider_id(i),
                provider_type: ProviderType::Cloudflare,
                label: format!("P{i}"),
                suffixes: vec![suffix(i)],
                secret_ref: Some(secret_id(i)),
                config_json: "{}".into(),
                created_at: at.clone(),
                updated_at: at,
                state: ProviderState::Active,
            }
        })
        .collect();
    ProviderStore::open(data_dir)
        .unwrap()
        .insert_all(&rows)
        .unwrap();
}

/// [`providers_with`] provider i managing `p<i>.seed.example`.
pub fn providers(data_dir: &Path, n: usize) {
    providers_with(data_dir, n, |i| format!("p{i}.seed.example"));
}
