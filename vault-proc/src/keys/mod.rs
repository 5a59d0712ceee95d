//! Key custody: private keys that are generated, imported and used inside
//! vault-proc and never leave it.
//!
//! ACME account keys and certificate keys are stored like every other secret
//! (a `private_key{pem}` row of kind `acme_account_key` or
//! `managed_private_key`, sealed under the master key). What is different is
//! that no request returns them: dns-proc asks for a JWS, a CSR or the public
//! JWK and gets exactly that, under a permit (`crate::permits`). A key in use
//! is a [`VaultKey`]: the PKCS#8 DER in a zeroizing buffer and the aws-lc key
//! object built from it, cached only while the vault is unlocked
//! ([`cache::KeyCache`], dropped on lock).
//!
//! Layout: [`pem`] and [`der`] (strict parsing with reasons), [`import`]
//! (PKCS#8 / SEC1 / PKCS#1 → one normalized PKCS#8), [`generate`] (on a thread of its own: [`apart`]), [`jwk`]
//! (public JWK, RFC 7638 thumbprint), [`jws`] (ACME and EAB signatures),
//! [`csr`] (PKCS#10 through rcgen's `SigningKey`), [`grant`] (permit scope
//! checks), [`ops`] (the requests, with their permit and kind checks).

pub mod apart;
pub mod cache;
pub mod csr;
pub mod der;
pub mod generate;
pub mod grant;
pub mod import;
pub mod jwk;
pub mod jws;
pub mod ops;
pub mod pem;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{self, EcdsaKeyPair, KeyPair as _};
use shared::error::WireError;
use shared::protocol::keys::{KeyType, PublicKeyInfo, PublicKeyMeta};
use zeroize::Zeroizing;

/// Why a key could not be imported or used. Never carries key bytes.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// No PEM block at all.
    #[error("the key is not PEM (expected a -----BEGIN PRIVATE KEY-----, EC PRIVATE KEY or RSA PRIVATE KEY block)")]
    NotPem,
    /// An encrypted PEM (PKCS#8 `ENCRYPTED PRIVATE KEY` or a legacy `Proc-Type` header).
    #[error("the key is encrypted PEM; decrypt it first (e.g. `openssl pkey -in key.pem -out plain.pem`)")]
    Encrypted,
    /// Text around the PEM block, or a second block.
    #[error(
        "there is text before or after the PEM block (trailing garbage, or more than one block)"
    )]
    ExtraText,
    /// Bytes after the key's DER structure.
    #[error("there are bytes after the key inside the PEM block (trailing garbage)")]
    TrailingData,
    /// A PEM block that is not a private key format we import.
    #[error("a `{0}` block is not a key format we import (PKCS#8 PRIVATE KEY, SEC1 EC PRIVATE KEY, PKCS#1 RSA PRIVATE KEY)")]
    UnsupportedFormat(String),
    /// An EC key on another curve.
    #[error("unsupported curve {0}; supported curves are P-256 and P-384")]
    UnsupportedCurve(String),
    /// Another key algorithm.
    #[error(
        "unsupported key algorithm {0}; supported are EC P-256, EC P-384 and RSA 2048/3072/4096"
    )]
    UnsupportedAlgorithm(String),
    /// RSA under 2048 bits.
    #[error("an RSA key of {0} bits is too small; RSA keys must have at least 2048 bits")]
    RsaTooSmall(usize),
    /// RSA of another size.
    #[error(
        "an RSA key of {0} bits is not supported; supported sizes are 2048, 3072 and 4096 bits"
    )]
    RsaSize(usize),
    /// Broken structure.
    #[error("the key is malformed: {0}")]
    Malformed(&'static str),
    /// aws-lc refused the key.
    #[error("the key was rejected: {0}")]
    Rejected(&'static str),
    /// A signing or encoding step failed.
    #[error("key operation failed: {0}")]
    Crypto(&'static str),
}

impl From<KeyError> for WireError {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Crypto(_) => WireError::internal(e.to_string()),
            other => WireError::validation(other.to_string()).with_field("pem"),
        }
    }
}

impl From<aws_lc_rs::error::KeyRejected> for KeyError {
    fn from(e: aws_lc_rs::error::KeyRejected) -> Self {
        KeyError::Rejected(e.description_())
    }
}

/// The aws-lc key object of a [`VaultKey`].
enum Signer {
    Ec(EcdsaKeyPair),
    Rsa(RsaKeyPair),
}

/// A private key ready for use: its PKCS#8 DER (zeroizing), the aws-lc key
/// object, and the public half in the forms callers need.
pub struct VaultKey {
    key_type: KeyType,
    pkcs8: Zeroizing<Vec<u8>>,
    signer: Signer,
    jwk: String,
    spki_der: Vec<u8>,
    /// The raw public key rcgen wants: the EC point, or PKCS#1 `RSAPublicKey`.
    raw_public: Vec<u8>,
}

impl std::fmt::Debug for VaultKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultKey")
            .field("key_type", &self.key_type)
            .field("jwk", &self.jwk)
            .finish_non_exhaustive()
    }
}

/// The ECDSA algorithm (fixed-length r‖s, as JWS wants) of an EC key type.
fn ec_jws_alg(kt: KeyType) -> Option<&'static signature::EcdsaSigningAlgorithm> {
    match kt {
        KeyType::EcP256 => Some(&signature::ECDSA_P256_SHA256_FIXED_SIGNING),
        KeyType::EcP384 => Some(&signature::ECDSA_P384_SHA384_FIXED_SIGNING),
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => None,
    }
}

impl VaultKey {
    /// Builds a key from normalized PKCS#8 DER of a known type.
    fn from_pkcs8(key_type: KeyType, pkcs8: Zeroizing<Vec<u8>>) -> Result<Self, KeyError> {
        match ec_jws_alg(key_type) {
            Some(alg) => {
                let pair = EcdsaKeyPair::from_pkcs8(alg, &pkcs8)?;
                let point = pair.public_key().as_ref().to_vec();
                let half = point.len().saturating_sub(1) / 2;
                let (x, y) = point
                    .get(1..)
                    .map(|xy| xy.split_at(half))
                    .ok_or(KeyError::Crypto("empty EC public key"))?;
                let crv = if key_type == KeyType::EcP256 {
                    "P-256"
                } else {
                    "P-384"
                };
                let jwk = jwk::ec(crv, x, y);
                let spki_der = pair
                    .public_key()
                    .as_der()
                    .map_err(|_| KeyError::Crypto("cannot encode the public key"))?
                    .as_ref()
                    .to_vec();
                Ok(Self {
                    key_type,
                    pkcs8,
                    signer: Signer::Ec(pair),
                    jwk,
                    spki_der,
                    raw_public: point,
                })
            }
            None => {
                let pair = RsaKeyPair::from_pkcs8(&pkcs8)?;
                let public = pair.public_key();
                let jwk = jwk::rsa(
                    public.modulus().big_endian_without_leading_zero(),
                    public.exponent().big_endian_without_leading_zero(),
                );
                let spki_der = public
                    .as_der()
                    .map_err(|_| KeyError::Crypto("cannot encode the public key"))?
                    .as_ref()
                    .to_vec();
                let raw_public = public.as_ref().to_vec();
                Ok(Self {
                    key_type,
                    pkcs8,
                    signer: Signer::Rsa(pair),
                    jwk,
                    spki_der,
                    raw_public,
                })
            }
        }
    }

    /// Algorithm and size.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The public JWK, canonical JSON.
    pub fn jwk(&self) -> &str {
        &self.jwk
    }

    /// The key as a PKCS#8 PEM, to be sealed in the store.
    pub fn to_pem(&self) -> Zeroizing<String> {
        pem::encode("PRIVATE KEY", &self.pkcs8)
    }

    /// The public half as metadata.
    pub fn public_meta(&self) -> PublicKeyMeta {
        PublicKeyMeta {
            key_type: self.key_type,
            spki_sha256: hex::encode(aws_lc_rs::digest::digest(
                &aws_lc_rs::digest::SHA256,
                &self.spki_der,
            )),
            jwk_thumbprint: jwk::thumbprint(&self.jwk),
        }
    }

    /// The public half in every form.
    pub fn public_info(&self) -> PublicKeyInfo {
        let meta = self.public_meta();
        PublicKeyInfo {
            key_type: self.key_type,
            jwk: self.jwk.clone(),
            spki_der: self.spki_der.clone(),
            spki_sha256: meta.spki_sha256,
            jwk_thumbprint: meta.jwk_thumbprint,
        }
    }

    /// The JWS `alg` of this key.
    pub fn jws_alg(&self) -> &'static str {
        match self.key_type {
            KeyType::EcP256 => "ES256",
            KeyType::EcP384 => "ES384",
            KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => "RS256",
        }
    }

    /// A JWS signature over `msg` (ECDSA r‖s, or RSASSA-PKCS1-v1_5 SHA-256).
    pub fn sign_jws(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        match &self.signer {
            Signer::Ec(pair) => pair
                .sign(&rng, msg)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Crypto("ECDSA signing failed")),
            Signer::Rsa(pair) => rsa_sign(pair, msg),
        }
    }

    /// An X.509 signature over `msg` (ECDSA as DER, or RSASSA-PKCS1-v1_5 SHA-256).
    pub fn sign_x509(&self, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.signer {
            Signer::Ec(_) => {
                // X.509 wants the ASN.1 form: a key object for it, built for
                // this one signature from the zeroizing DER.
                let alg = match self.key_type {
                    KeyType::EcP384 => &signature::ECDSA_P384_SHA384_ASN1_SIGNING,
                    _ => &signature::ECDSA_P256_SHA256_ASN1_SIGNING,
                };
                let pair = EcdsaKeyPair::from_pkcs8(alg, &self.pkcs8)?;
                pair.sign(&SystemRandom::new(), msg)
                    .map(|s| s.as_ref().to_vec())
                    .map_err(|_| KeyError::Crypto("ECDSA signing failed"))
            }
            Signer::Rsa(pair) => rsa_sign(pair, msg),
        }
    }

    /// The raw public key rcgen wants (EC point, or PKCS#1 `RSAPublicKey`).
    pub fn raw_public(&self) -> &[u8] {
        &self.raw_public
    }
}

fn rsa_sign(pair: &RsaKeyPair, msg: &[u8]) -> Result<Vec<u8>, KeyError> {
    let mut sig = vec![0u8; pair.public_modulus_len()];
    pair.sign(
        &signature::RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        msg,
        &mut sig,
    )
    .map_err(|_| KeyError::Crypto("RSA signing failed"))?;
    Ok(sig)
}
