//! PKCS#10 certificate signing requests, built by rcgen and signed by the
//! vault's key through rcgen's `SigningKey` trait.
//!
//! rcgen's own `KeyPair` would keep the private key in a plain `Vec`; here
//! rcgen only ever sees the public key and a callback that signs.

use rcgen::{CertificateParams, DistinguishedName, PublicKeyData, SignatureAlgorithm, SigningKey};
use shared::protocol::keys::KeyType;

use super::{KeyError, VaultKey};

/// rcgen's view of a [`VaultKey`].
struct CsrSigner<'a>(&'a VaultKey);

impl PublicKeyData for CsrSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        self.0.raw_public()
    }

    fn algorithm(&self) -> &'static SignatureAlgorithm {
        match self.0.key_type() {
            KeyType::EcP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyType::EcP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => &rcgen::PKCS_RSA_SHA256,
        }
    }
}

impl SigningKey for CsrSigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.0
            .sign_x509(msg)
            .map_err(|_| rcgen::Error::RemoteKeyError)
    }
}

/// A DER CSR for exactly `names` (subjectAltName; empty subject), signed by `key`.
pub fn create(key: &VaultKey, names: &[String]) -> Result<Vec<u8>, KeyError> {
    let mut params = CertificateParams::new(names.to_vec())
        .map_err(|_| KeyError::Crypto("a name cannot be put in a CSR"))?;
    // rcgen's default subject is "rcgen self signed cert"; ACME needs none.
    params.distinguished_name = DistinguishedName::new();
    let csr = params
        .serialize_request(&CsrSigner(key))
        .map_err(|_| KeyError::Crypto("the CSR could not be built"))?;
    Ok(csr.der().as_ref().to_vec())
}
