//! Key generation with aws-lc (ring cannot generate RSA). The new key goes
//! through the same PKCS#8 path as an import, so a generated and an imported
//! key are the same thing from then on.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{self, EcdsaKeyPair};
use shared::protocol::keys::KeyType;
use zeroize::Zeroizing;

use super::{KeyError, VaultKey};

/// A fresh key of `key_type`.
pub fn generate(key_type: KeyType) -> Result<VaultKey, KeyError> {
    let fail = |_| KeyError::Crypto("key generation failed");
    let pkcs8: Zeroizing<Vec<u8>> = match key_type {
        KeyType::EcP256 | KeyType::EcP384 => {
            let alg = if key_type == KeyType::EcP256 {
                &signature::ECDSA_P256_SHA256_FIXED_SIGNING
            } else {
                &signature::ECDSA_P384_SHA384_FIXED_SIGNING
            };
            let pair = EcdsaKeyPair::generate(alg).map_err(fail)?;
            Zeroizing::new(pair.to_pkcs8v1().map_err(fail)?.as_ref().to_vec())
        }
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => {
            let size = match key_type {
                KeyType::Rsa2048 => KeySize::Rsa2048,
                KeyType::Rsa3072 => KeySize::Rsa3072,
                _ => KeySize::Rsa4096,
            };
            let pair = RsaKeyPair::generate(size).map_err(fail)?;
            Zeroizing::new(pair.as_der().map_err(fail)?.as_ref().to_vec())
        }
    };
    VaultKey::from_pkcs8(key_type, pkcs8)
}
