//! AES-256-GCM sealing of secret values, bound to their row, and key fingerprints.
//!
//! Every write uses a fresh random 96-bit nonce. The additional authenticated
//! data names the row (reference id, kind, type), so a ciphertext copied into
//! another row, or a row whose kind was edited in the database, fails to open.
//! A DNS provider token's AAD also names what it is paired with (owner
//! provider id and canonical endpoint, [`bound_aad`]), so editing the owner
//! or the stored binding in `secrets.sqlite` makes it fail to open, and the
//! binding vault-proc returns with a reveal is the one it was sealed with.
//! The fingerprint lets `secrets.sqlite` recognise its master key without
//! storing it: HMAC-SHA256 of a fixed label under the key, in hex.

use aes_gcm::aead::{Aead, Nonce, Payload};
use aes_gcm::{Aes256Gcm, KeyInit};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shared::protocol::secrets::{SecretKind, SecretType};
use shared::secret::Key32;
use zeroize::Zeroizing;

use super::error::{VaultError, VaultResult};

/// Length of the AES-GCM nonce in bytes (96 bits).
pub const NONCE_LEN: usize = 12;

/// Domain label of the AAD; bump the version if the AAD layout ever changes.
const AAD_LABEL: &[u8] = b"sslboard/secret/v1";
/// Domain label of the AAD of a bound provider token.
const BOUND_AAD_LABEL: &[u8] = b"sslboard/provider-token/v2";
/// Domain label of the AAD of a secret sealed with its `allowedHosts`.
const HOSTS_AAD_LABEL: &[u8] = b"sslboard/secret-hosts/v1";

/// Fixed label whose HMAC under the master key is its fingerprint.
const FINGERPRINT_LABEL: &[u8] = b"sslboard/master-key-fingerprint/v1";

/// A sealed value: the nonce it was sealed with and the ciphertext (tag appended).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The random nonce used for this write.
    pub nonce: [u8; NONCE_LEN],
    /// Ciphertext followed by the 16-byte GCM tag.
    pub ciphertext: Vec<u8>,
}

/// The additional authenticated data binding a ciphertext to its row.
///
/// Layout: label, then each of id, kind, type as a big-endian `u32` length and
/// the bytes, so no two distinct rows can produce the same AAD.
pub fn row_aad(reference: &str, kind: SecretKind, secret_type: SecretType) -> Vec<u8> {
    aad_of(
        AAD_LABEL,
        &[
            reference.as_bytes(),
            kind.as_str().as_bytes(),
            secret_type.as_str().as_bytes(),
        ],
    )
}

/// The AAD of a provider token bound to `owner` and `binding` (the stored
/// binding column: the canonical endpoint, or empty for a cloud API).
pub fn bound_aad(
    reference: &str,
    kind: SecretKind,
    secret_type: SecretType,
    owner: &str,
    binding: &str,
) -> Vec<u8> {
    aad_of(
        BOUND_AAD_LABEL,
        &[
            reference.as_bytes(),
            kind.as_str().as_bytes(),
            secret_type.as_str().as_bytes(),
            owner.as_bytes(),
            binding.as_bytes(),
        ],
    )
}

/// The AAD of a secret sealed with its `allowedHosts` (the stored canonical
/// JSON list): editing the list in `secrets.sqlite` makes the value fail to
/// open, so the list changes only when the value is entered again.
pub fn hosts_aad(
    reference: &str,
    kind: SecretKind,
    secret_type: SecretType,
    hosts: &str,
) -> Vec<u8> {
    aad_of(
        HOSTS_AAD_LABEL,
        &[
            reference.as_bytes(),
            kind.as_str().as_bytes(),
            secret_type.as_str().as_bytes(),
            hosts.as_bytes(),
        ],
    )
}

/// The AAD of a row as stored: bound when it has a binding, sealed with its
/// hosts when it has an `allowedHosts` list, else the row AAD. (A provider
/// token never has hosts: `SecretStore` refuses the list on other kinds.)
pub fn aad_for(
    reference: &str,
    kind: SecretKind,
    secret_type: SecretType,
    owner: Option<&str>,
    binding: Option<&str>,
    hosts: Option<&str>,
) -> Vec<u8> {
    match (binding, hosts) {
        (Some(b), _) => bound_aad(reference, kind, secret_type, owner.unwrap_or_default(), b),
        (None, Some(h)) => hosts_aad(reference, kind, secret_type, h),
        (None, None) => row_aad(reference, kind, secret_type),
    }
}

fn aad_of(label: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut aad =
        Vec::with_capacity(label.len() + parts.iter().map(|p| p.len() + 4).sum::<usize>());
    aad.extend_from_slice(label);
    for p in parts {
        // Ids, kinds and types are short ASCII strings; the cast cannot truncate.
        let len = u32::try_from(p.len()).unwrap_or(u32::MAX);
        aad.extend_from_slice(&len.to_be_bytes());
        aad.extend_from_slice(p);
    }
    aad
}

fn cipher(key: &Key32) -> VaultResult<Aes256Gcm> {
    // EXPOSE: the master key initialises the AES key schedule (zeroized on drop).
    Aes256Gcm::new_from_slice(key.expose())
        .map_err(|_| VaultError::internal("AES-256-GCM rejected a 32-byte key"))
}

/// Seals `plaintext` under `key` with a fresh random nonce and the given AAD.
pub fn seal(key: &Key32, aad: &[u8], plaintext: &[u8]) -> VaultResult<Sealed> {
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce)
        .map_err(|e| VaultError::internal(format!("the OS random source failed: {e}")))?;
    let ciphertext = cipher(key)?
        .encrypt(
            &Nonce::<Aes256Gcm>::from(nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| VaultError::internal("AES-256-GCM encryption failed"))?;
    Ok(Sealed { nonce, ciphertext })
}

/// Opens a sealed value; `reference` only names the row in the error.
///
/// Fails with [`VaultError::Decrypt`] when the key, nonce, AAD or ciphertext
/// differ from what was sealed.
pub fn open(
    key: &Key32,
    aad: &[u8],
    nonce: &[u8],
    ciphertext: &[u8],
    reference: &str,
) -> VaultResult<Zeroizing<Vec<u8>>> {
    let fail = || VaultError::Decrypt {
        reference: reference.to_owned(),
    };
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| fail())?;
    cipher(key)?
        .decrypt(
            &Nonce::<Aes256Gcm>::from(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| fail())
}

/// The fingerprint of a master key: hex HMAC-SHA256 of a fixed label.
///
/// It identifies the key without revealing it; `secrets.sqlite` stores it so a
/// different key is refused instead of silently used.
pub fn fingerprint(key: &Key32) -> String {
    // EXPOSE: the master key is the HMAC key of its own fingerprint.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(key.expose()) {
        Ok(m) => m,
        // HMAC accepts keys of any length; this arm is unreachable in practice.
        Err(_) => return String::new(),
    };
    mac.update(FINGERPRINT_LABEL);
    hex::encode(mac.finalize().into_bytes())
}

/// A short prefix of a fingerprint, for error messages.
pub fn fingerprint_prefix(fp: &str) -> String {
    fp.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Key32 {
        Key32::from_bytes([b; 32])
    }

    #[test]
    fn round_trip() -> VaultResult<()> {
        let k = key(1);
        let aad = row_aad("sec_a", SecretKind::Generic, SecretType::ApiKey);
        let sealed = seal(&k, &aad, b"hello canary")?;
        assert_ne!(&sealed.ciphertext[..12], b"hello canary");
        assert_eq!(sealed.ciphertext.len(), 12 + 16);
        let plain = open(&k, &aad, &sealed.nonce, &sealed.ciphertext, "sec_a")?;
        assert_eq!(&plain[..], b"hello canary");
        Ok(())
    }

    #[test]
    fn every_seal_uses_a_fresh_nonce() -> VaultResult<()> {
        let k = key(1);
        let a = seal(&k, b"x", b"same")?;
        let b = seal(&k, b"x", b"same")?;
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        Ok(())
    }

    #[test]
    fn swapping_rows_fails() -> VaultResult<()> {
        let k = key(2);
        let aad_a = row_aad("sec_a", SecretKind::Generic, SecretType::ApiKey);
        let sealed = seal(&k, &aad_a, b"value of a")?;
        for aad in [
            row_aad("sec_b", SecretKind::Generic, SecretType::ApiKey),
            row_aad("sec_a", SecretKind::DnsProviderToken, SecretType::ApiKey),
            row_aad("sec_a", SecretKind::Generic, SecretType::BearerToken),
        ] {
            let err = open(&k, &aad, &sealed.nonce, &sealed.ciphertext, "sec_b");
            assert!(matches!(err, Err(VaultError::Decrypt { .. })));
        }
        Ok(())
    }

    #[test]
    fn wrong_key_tampering_and_bad_nonce_fail() -> VaultResult<()> {
        let aad = row_aad("sec_a", SecretKind::Generic, SecretType::ApiKey);
        let sealed = seal(&key(3), &aad, b"v")?;
        let wrong = open(&key(4), &aad, &sealed.nonce, &sealed.ciphertext, "sec_a");
        assert!(matches!(wrong, Err(VaultError::Decrypt { .. })));
        let mut ct = sealed.ciphertext.clone();
        ct[0] ^= 1;
        assert!(open(&key(3), &aad, &sealed.nonce, &ct, "sec_a").is_err());
        assert!(open(
            &key(3),
            &aad,
            &sealed.nonce[..11],
            &sealed.ciphertext,
            "sec_a"
        )
        .is_err());
        Ok(())
    }

    #[test]
    fn a_bound_token_opens_only_with_its_owner_and_endpoint() -> VaultResult<()> {
        let k = key(7);
        let (kind, ty) = (SecretKind::DnsProviderToken, SecretType::ApiKey);
        let aad = aad_for(
            "sec_t",
            kind,
            ty,
            Some("dns_prov_a"),
            Some("http://pdns:8081"),
            None,
        );
        let sealed = seal(&k, &aad, b"token")?;
        for (owner, binding) in [
            (Some("dns_prov_b"), Some("http://pdns:8081")),
            (Some("dns_prov_a"), Some("http://evil:8081")),
            (Some("dns_prov_a"), Some("")),
            (Some("dns_prov_a"), None),
            (None, Some("http://pdns:8081")),
        ] {
            let aad = aad_for("sec_t", kind, ty, owner, binding, None);
            assert!(open(&k, &aad, &sealed.nonce, &sealed.ciphertext, "sec_t").is_err());
        }
        assert!(open(&k, &aad, &sealed.nonce, &sealed.ciphertext, "sec_t").is_ok());
        Ok(())
    }

    #[test]
    fn aad_is_unambiguous() {
        // Moving a byte between id and kind must change the AAD.
        let a = row_aad("sec_ab", SecretKind::Generic, SecretType::ApiKey);
        let b = row_aad("sec_a", SecretKind::Generic, SecretType::ApiKey);
        assert_ne!(a, b);
    }

    #[test]
    fn fingerprint_is_stable_hex_and_key_specific() {
        let f1 = fingerprint(&key(5));
        assert_eq!(f1.len(), 64);
        assert!(f1.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_eq!(f1, fingerprint(&key(5)));
        assert_ne!(f1, fingerprint(&key(6)));
        assert!(!f1.contains(&hex::encode([5u8; 32])));
        assert_eq!(fingerprint_prefix(&f1).len(), 12);
    }
}
