//! PEM import: PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#1
//! `RSA PRIVATE KEY`, normalized to one PKCS#8 form.
//!
//! The outer DER structure is read first ([`super::der`]) so a refusal can
//! say why: which curve, how many RSA bits, where the extra bytes are. aws-lc
//! then parses and checks the key itself. Stored keys are loaded through the
//! same function, so what the store holds is always something this accepts.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
use aws_lc_rs::signature::{self, EcdsaKeyPair};
use shared::protocol::keys::KeyType;
use zeroize::Zeroizing;

use super::der::{self, Reader};
use super::{KeyError, VaultKey};

const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const P256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
const P384: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];

/// Well-known OIDs we refuse, by name.
const NAMED: &[(&[u8], &str)] = &[
    (&[0x2b, 0x81, 0x04, 0x00, 0x0a], "secp256k1"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x23], "P-521"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x01], "P-192"),
    (&[0x2b, 0x81, 0x04, 0x00, 0x21], "P-224"),
    (&[0x2b, 0x65, 0x70], "Ed25519"),
    (&[0x2b, 0x65, 0x71], "Ed448"),
    (&[0x2b, 0x65, 0x6e], "X25519"),
    (&[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01], "DSA"),
];

fn name_of(oid: &[u8]) -> String {
    NAMED
        .iter()
        .find(|(o, _)| *o == oid)
        .map(|(_, n)| (*n).to_string())
        .unwrap_or_else(|| format!("OID {}", der::oid_dotted(oid)))
}

fn curve(oid: &[u8]) -> Result<KeyType, KeyError> {
    match oid {
        P256 => Ok(KeyType::EcP256),
        P384 => Ok(KeyType::EcP384),
        other => Err(KeyError::UnsupportedCurve(name_of(other))),
    }
}

fn ec_alg(kt: KeyType) -> &'static signature::EcdsaSigningAlgorithm {
    if kt == KeyType::EcP384 {
        &signature::ECDSA_P384_SHA384_FIXED_SIGNING
    } else {
        &signature::ECDSA_P256_SHA256_FIXED_SIGNING
    }
}

/// The key type of a PKCS#1 `RSAPrivateKey`, from its modulus size.
fn rsa_type(pkcs1: &[u8]) -> Result<KeyType, KeyError> {
    let mut r = Reader::new(der::outer_sequence(pkcs1)?);
    r.expect(der::INTEGER, "RSA key without a version")?;
    let n = r.expect(der::INTEGER, "RSA key without a modulus")?;
    match der::integer_bits(n) {
        2048 => Ok(KeyType::Rsa2048),
        3072 => Ok(KeyType::Rsa3072),
        4096 => Ok(KeyType::Rsa4096),
        bits if bits < 2048 => Err(KeyError::RsaTooSmall(bits)),
        bits => Err(KeyError::RsaSize(bits)),
    }
}

fn ec_key(kt: KeyType, pair: EcdsaKeyPair) -> Result<VaultKey, KeyError> {
    let pkcs8 = pair
        .to_pkcs8v1()
        .map_err(|_| KeyError::Crypto("cannot encode the key as PKCS#8"))?;
    VaultKey::from_pkcs8(kt, Zeroizing::new(pkcs8.as_ref().to_vec()))
}

fn rsa_key(kt: KeyType, pair: RsaKeyPair) -> Result<VaultKey, KeyError> {
    let pkcs8 = pair
        .as_der()
        .map_err(|_| KeyError::Crypto("cannot encode the key as PKCS#8"))?;
    VaultKey::from_pkcs8(kt, Zeroizing::new(pkcs8.as_ref().to_vec()))
}

/// PKCS#8 `PrivateKeyInfo`.
fn pkcs8(der: &[u8]) -> Result<VaultKey, KeyError> {
    let mut r = Reader::new(der::outer_sequence(der)?);
    r.expect(der::INTEGER, "PKCS#8 key without a version")?;
    let mut alg = Reader::new(r.expect(der::SEQUENCE, "PKCS#8 key without an algorithm")?);
    let oid = alg.expect(der::OID, "PKCS#8 algorithm is not an OID")?;
    match oid {
        EC_PUBLIC_KEY => {
            let params = alg.expect(der::OID, "EC key without a named curve")?;
            let kt = curve(params)?;
            ec_key(kt, EcdsaKeyPair::from_pkcs8(ec_alg(kt), der)?)
        }
        RSA_ENCRYPTION => {
            let inner = r.expect(der::OCTET_STRING, "PKCS#8 key without its key")?;
            let kt = rsa_type(inner)?;
            rsa_key(kt, RsaKeyPair::from_pkcs8(der)?)
        }
        other => Err(KeyError::UnsupportedAlgorithm(name_of(other))),
    }
}

/// SEC1 `ECPrivateKey` (RFC 5915).
fn sec1(der: &[u8]) -> Result<VaultKey, KeyError> {
    let mut r = Reader::new(der::outer_sequence(der)?);
    r.expect(der::INTEGER, "SEC1 key without a version")?;
    r.expect(der::OCTET_STRING, "SEC1 key without its private value")?;
    let mut params = None;
    while !r.is_empty() {
        let (tag, contents) = r.read_tlv()?;
        if tag == der::CONTEXT_0 {
            params = Some(Reader::new(contents).expect(der::OID, "SEC1 curve is not an OID")?);
        }
    }
    let params = params.ok_or(KeyError::Malformed("the SEC1 key does not name its curve"))?;
    let kt = curve(params)?;
    ec_key(kt, EcdsaKeyPair::from_private_key_der(ec_alg(kt), der)?)
}

/// PKCS#1 `RSAPrivateKey`.
fn pkcs1(der: &[u8]) -> Result<VaultKey, KeyError> {
    let kt = rsa_type(der)?;
    rsa_key(kt, RsaKeyPair::from_der(der)?)
}

/// Parses a PEM private key: the key, normalized to PKCS#8, or why not.
pub fn from_pem(text: &str) -> Result<VaultKey, KeyError> {
    let block = super::pem::decode(text)?;
    match block.label.as_str() {
        "PRIVATE KEY" => pkcs8(&block.der),
        "EC PRIVATE KEY" => sec1(&block.der),
        "RSA PRIVATE KEY" => pkcs1(&block.der),
        other => Err(KeyError::UnsupportedFormat(other.to_string())),
    }
}
