//! Helpers for the key custody tests and benchmark: independent checks of
//! what vault-proc signs (Python `cryptography` from the scripts' venv, the
//! openssl CLI), and test keys made by openssl.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use shared::protocol::keys::{FlattenedJws, PublicKeyInfo};

/// The Python of the scripts' venv (`need_pip` installs `cryptography` there).
pub fn python() -> String {
    let venv = std::env::var("SSLBOARD_VENV").unwrap_or_else(|_| "/opt/sslboard-venv".into());
    format!("{venv}/bin/python")
}

const VERIFY_PY: &str = r#"
import sys, json, base64, hashlib, hmac
from cryptography.hazmat.primitives.asymmetric import ec, rsa, padding, utils
from cryptography.hazmat.primitives import hashes, serialization

def b(s): return base64.urlsafe_b64decode(s + '=' * (-len(s) % 4))
def u(s): return int.from_bytes(b(s), 'big')

d = json.load(sys.stdin)
jws, jwk = d['jws'], d['jwk']
msg = (jws['protected'] + '.' + jws['payload']).encode()
sig = b(jws['signature'])
if 'hmac' in d:
    want = hmac.new(b(d['hmac']), msg, hashlib.sha256).digest()
    assert hmac.compare_digest(want, sig), 'bad HS256 signature'
elif jwk['kty'] == 'EC':
    curve, h = {'P-256': (ec.SECP256R1(), hashes.SHA256()), 'P-384': (ec.SECP384R1(), hashes.SHA384())}[jwk['crv']]
    pub = ec.EllipticCurvePublicNumbers(u(jwk['x']), u(jwk['y']), curve).public_key()
    n = len(sig) // 2
    assert n == curve.key_size // 8 + (1 if curve.key_size % 8 else 0), 'bad r||s length'
    pub.verify(utils.encode_dss_signature(int.from_bytes(sig[:n], 'big'), int.from_bytes(sig[n:], 'big')), msg, ec.ECDSA(h))
else:
    pub = rsa.RSAPublicNumbers(u(jwk['e']), u(jwk['n'])).public_key()
    pub.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
out = {'protected': json.loads(b(jws['protected'])), 'payload': b(jws['payload']).decode('latin-1')}
if 'hmac' not in d:
    # RFC 7638 thumbprint and the SPKI, computed independently.
    req = {'EC': ['crv', 'kty', 'x', 'y'], 'RSA': ['e', 'kty', 'n']}[jwk['kty']]
    canon = json.dumps({k: jwk[k] for k in req}, sort_keys=True, separators=(',', ':'))
    out['thumbprint'] = base64.urlsafe_b64encode(hashlib.sha256(canon.encode()).digest()).rstrip(b'=').decode()
    spki = serialization.load_der_public_key(bytes(d['spki']))
    out['spki_matches'] = spki.public_numbers() == pub.public_numbers()
print(json.dumps(out))
"#;

fn run_python(script: &str, input: &Value) -> Value {
    let mut child = Command::new(python())
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{} not runnable ({e}): the key tests need Python `cryptography` in the scripts' venv",
                python()
            )
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "independent verification failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Verifies `jws` with the public JWK (and checks the SPKI and thumbprint)
/// in Python `cryptography`; returns the decoded protected header, payload
/// and the independently computed thumbprint.
pub fn verify_jws(jws: &FlattenedJws, public: &PublicKeyInfo) -> Value {
    let jwk: Value = serde_json::from_str(&public.jwk).unwrap();
    let v = run_python(
        VERIFY_PY,
        &json!({"jws": jws, "jwk": jwk, "spki": public.spki_der}),
    );
    assert_eq!(v["spki_matches"], json!(true), "SPKI and JWK disagree");
    assert_eq!(
        v["thumbprint"],
        json!(public.jwk_thumbprint),
        "thumbprint differs from RFC 7638 computed independently"
    );
    v
}

/// Verifies an HS256 JWS with `hmac_b64url` in Python.
pub fn verify_hs256(jws: &FlattenedJws, hmac_b64url: &str) -> Value {
    run_python(
        VERIFY_PY,
        &json!({"jws": jws, "jwk": {"kty": "oct"}, "hmac": hmac_b64url}),
    )
}

/// The RFC 7638 thumbprint of the public half of a PEM private key, computed
/// by Python `cryptography` (to compare with what vault-proc stored).
pub fn thumbprint_of_pem(pem: &str) -> String {
    const PY: &str = r#"
import sys, json, base64, hashlib
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
def e(i, n=None):
    bs = i.to_bytes(n or (i.bit_length() + 7) // 8, 'big')
    return base64.urlsafe_b64encode(bs).rstrip(b'=').decode()
k = serialization.load_pem_private_key(json.load(sys.stdin)['pem'].encode(), None).public_key()
n = k.public_numbers()
if isinstance(k, ec.EllipticCurvePublicKey):
    size = (k.curve.key_size + 7) // 8
    jwk = {'crv': {'secp256r1': 'P-256', 'secp384r1': 'P-384'}[k.curve.name], 'kty': 'EC', 'x': e(n.x, size), 'y': e(n.y, size)}
else:
    jwk = {'e': e(n.e), 'kty': 'RSA', 'n': e(n.n)}
canon = json.dumps(jwk, sort_keys=True, separators=(',', ':'))
print(json.dumps(base64.urlsafe_b64encode(hashlib.sha256(canon.encode()).digest()).rstrip(b'=').decode()))
"#;
    run_python(PY, &json!({ "pem": pem }))
        .as_str()
        .unwrap()
        .to_string()
}

/// Runs openssl with `args`, asserting success; returns stdout.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI is required");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A PEM private key made by openssl with `args` (e.g. `genpkey -algorithm EC …`).
pub fn openssl_key(args: &[&str]) -> String {
    String::from_utf8(openssl(args)).unwrap()
}

/// A fresh P-256 private key as unencrypted PKCS#8 PEM, made by openssl.
pub fn p256_pem() -> String {
    openssl_key(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
    ])
}

/// Verifies a DER CSR with `openssl req -verify` and returns its SAN DNS names
/// and its public key (DER SPKI).
pub fn verify_csr(dir: &Path, der: &[u8]) -> (Vec<String>, Vec<u8>) {
    let path = dir.join(format!("csr-{}.der", crate::random_hex(4)));
    std::fs::write(&path, der).unwrap();
    let p = path.to_str().unwrap();
    let out = Command::new("openssl")
        .args([
            "req", "-inform", "DER", "-in", p, "-verify", "-noout", "-text",
        ])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "openssl req -verify failed: {all}");
    assert!(
        all.contains("verify OK") || all.contains("Certificate request self-signature verify OK"),
        "{all}"
    );
    let names = all
        .lines()
        .skip_while(|l| !l.contains("X509v3 Subject Alternative Name"))
        .nth(1)
        .unwrap_or_default()
        .split(',')
        .filter_map(|s| s.trim().strip_prefix("DNS:").map(str::to_string))
        .collect();
    let pubkey = openssl(&["req", "-inform", "DER", "-in", p, "-pubkey", "-noout"]);
    let spki = openssl_pem_to_der(&String::from_utf8(pubkey).unwrap());
    (names, spki)
}

fn openssl_pem_to_der(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// The secret parts of a PEM EC private key, found by Python `cryptography`:
/// the private scalar (big-endian, curve-sized) and the key's PKCS#8 DER.
pub fn secret_parts(pem: &str) -> (Vec<u8>, Vec<u8>) {
    const PY: &str = r#"
import sys, json
from cryptography.hazmat.primitives import serialization
k = serialization.load_pem_private_key(json.load(sys.stdin)['pem'].encode(), None)
size = (k.curve.key_size + 7) // 8
der = k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
print(json.dumps([k.private_numbers().private_value.to_bytes(size, 'big').hex(), der.hex()]))
"#;
    let v = run_python(PY, &json!({ "pem": pem }));
    (
        hex::decode(v[0].as_str().unwrap()).unwrap(),
        hex::decode(v[1].as_str().unwrap()).unwrap(),
    )
}

/// SHA-256 (hex) of the DER SubjectPublicKeyInfo of the P-256 key whose
/// private scalar is `scalar`, or None when `scalar` is not a valid one.
pub fn p256_spki_sha256_of_scalar(scalar: &[u8]) -> Option<String> {
    const PY: &str = r#"
import sys, json, hashlib
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization
out = []
for h in json.load(sys.stdin)['scalars']:
    try:
        k = ec.derive_private_key(int(h, 16), ec.SECP256R1())
        der = k.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        out.append(hashlib.sha256(der).hexdigest())
    except Exception:
        out.append(None)
print(json.dumps(out))
"#;
    let v = run_python(PY, &json!({ "scalars": [hex::encode(scalar)] }));
    v[0].as_str().map(str::to_string)
}
