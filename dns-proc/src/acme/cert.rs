//! The certificate chain the CA returns: PEM split into DER certificates,
//! and the few leaf fields the issuance checks and stores (serial, issuer,
//! validity, SubjectPublicKeyInfo, DNS SANs), read with a small bounded DER
//! reader. Only public data; every parser is a fuzz target
//! (`acme_chain_pem`).

use base64::Engine as _;

use super::error::{AcmeError, AcmeResult};

/// Most certificates accepted in a chain.
const MAX_CHAIN: usize = 10;

/// The leaf's fields that matter here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeafInfo {
    /// Serial number, lowercase hex.
    pub serial: String,
    /// Issuer distinguished name (`CN=…, O=…`).
    pub issuer: String,
    /// Start of validity, RFC 3339.
    pub not_before: String,
    /// End of validity, RFC 3339.
    pub not_after: String,
    /// DER SubjectPublicKeyInfo.
    pub spki_der: Vec<u8>,
    /// DNS names of the subjectAltName extension, lower case.
    pub dns_names: Vec<String>,
}

fn bad(what: &str) -> AcmeError {
    AcmeError::Protocol(format!("the certificate chain is malformed: {what}"))
}

/// The DER certificates of a PEM chain, leaf first.
pub fn parse_chain_pem(text: &str) -> AcmeResult<Vec<Vec<u8>>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let end = after
            .find(END)
            .ok_or_else(|| bad("unterminated PEM block"))?;
        let b64: String = after[..end]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| bad("PEM block is not base64"))?;
        // The whole block must be one DER SEQUENCE.
        let (tag, _, rem) = tlv(&der)?;
        if tag != 0x30 || !rem.is_empty() {
            return Err(bad("PEM block is not one DER certificate"));
        }
        out.push(der);
        if out.len() > MAX_CHAIN {
            return Err(bad("too many certificates"));
        }
        rest = &after[end + END.len()..];
    }
    if out.is_empty() {
        return Err(bad("no certificate"));
    }
    Ok(out)
}

/// One TLV: tag, content, remainder.
fn tlv(input: &[u8]) -> AcmeResult<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first().ok_or_else(|| bad("truncated"))?;
    if tag & 0x1f == 0x1f {
        return Err(bad("multi-byte tags are not used in certificates"));
    }
    let (&first, rest) = rest.split_first().ok_or_else(|| bad("truncated"))?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return Err(bad("bad length"));
        }
        let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(bad("truncated"));
    }
    Ok((tag, &rest[..len], &rest[len..]))
}

/// One TLV that must have `tag`; returns content and remainder.
fn expect<'a>(input: &'a [u8], tag: u8, what: &str) -> AcmeResult<(&'a [u8], &'a [u8])> {
    let (t, content, rest) = tlv(input)?;
    if t != tag {
        return Err(bad(what));
    }
    Ok((content, rest))
}

const OID_SAN: &[u8] = &[0x55, 0x1d, 0x11];

/// Reads the leaf's fields.
pub fn leaf_info(der: &[u8]) -> AcmeResult<LeafInfo> {
    let (cert, _) = expect(der, 0x30, "certificate")?;
    let (tbs, _) = expect(cert, 0x30, "tbsCertificate")?;
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = tlv(rest)?.2;
    }
    let (serial, r) = expect(rest, 0x02, "serialNumber")?;
    let (_, r) = expect(r, 0x30, "signature algorithm")?;
    let (issuer, r) = expect(r, 0x30, "issuer")?;
    let (validity, r) = expect(r, 0x30, "validity")?;
    let (_, r) = expect(r, 0x30, "subject")?;
    let spki_len = r.len() - tlv(r)?.2.len();
    let (_, mut r) = expect(r, 0x30, "subjectPublicKeyInfo")?;
    let spki_der = {
        let start = tbs.len() - r.len() - spki_len;
        tbs[start..start + spki_len].to_vec()
    };
    let (nb_tag, nb, vr) = tlv(validity)?;
    let (na_tag, na, _) = tlv(vr)?;
    let mut dns_names = Vec::new();
    while !r.is_empty() {
        let (tag, content, next) = tlv(r)?;
        if tag == 0xa3 {
            let (exts, _) = expect(content, 0x30, "extensions")?;
            dns_names = san_names(exts)?;
        }
        r = next;
    }
    Ok(LeafInfo {
        serial: hex::encode(serial.strip_prefix(&[0]).unwrap_or(serial)),
        issuer: name_text(issuer)?,
        not_before: time_text(nb_tag, nb)?,
        not_after: time_text(na_tag, na)?,
        spki_der,
        dns_names,
    })
}

fn san_names(mut exts: &[u8]) -> AcmeResult<Vec<String>> {
    let mut names = Vec::new();
    while !exts.is_empty() {
        let (ext, next) = expect(exts, 0x30, "extension")?;
        exts = next;
        let (oid, mut r) = expect(ext, 0x06, "extension id")?;
        if oid != OID_SAN {
            continue;
        }
        if r.first() == Some(&0x01) {
            r = tlv(r)?.2;
        }
        let (value, _) = expect(r, 0x04, "extension value")?;
        let (mut general, _) = expect(value, 0x30, "subjectAltName")?;
        while !general.is_empty() {
            let (tag, content, next) = tlv(general)?;
            if tag == 0x82 {
                let name = std::str::from_utf8(content).map_err(|_| bad("dNSName"))?;
                names.push(name.to_ascii_lowercase());
            }
            general = next;
        }
    }
    Ok(names)
}

fn name_text(mut name: &[u8]) -> AcmeResult<String> {
    let mut parts = Vec::new();
    while !name.is_empty() {
        let (set, next) = expect(name, 0x31, "name component")?;
        name = next;
        let mut set = set;
        while !set.is_empty() {
            let (atv, n) = expect(set, 0x30, "attribute")?;
            set = n;
            let (oid, r) = expect(atv, 0x06, "attribute type")?;
            let (_, value, _) = tlv(r)?;
            let key = match oid {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x0a] => "O",
                [0x55, 0x04, 0x0b] => "OU",
                [0x55, 0x04, 0x06] => "C",
                _ => continue,
            };
            let v = String::from_utf8_lossy(value);
            parts.push(format!("{key}={}", super::error::clean(&v, 100)));
        }
    }
    Ok(parts.join(", "))
}

fn time_text(tag: u8, t: &[u8]) -> AcmeResult<String> {
    let s = std::str::from_utf8(t).map_err(|_| bad("time"))?;
    let full = match (tag, s.len()) {
        (0x17, 13) => {
            let yy: u32 = s[..2].parse().map_err(|_| bad("time"))?;
            format!("{}{}", if yy >= 50 { "19" } else { "20" }, s)
        }
        (0x18, 15) => s.to_string(),
        _ => return Err(bad("time")),
    };
    let b = full.as_bytes();
    if !b[..14].iter().all(u8::is_ascii_digit) || b[14] != b'Z' {
        return Err(bad("time"));
    }
    Ok(format!(
        "{}-{}-{}T{}:{}:{}Z",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_not_panicked_on() {
        assert!(parse_chain_pem("").is_err());
        assert!(
            parse_chain_pem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----")
                .is_err()
        );
        assert!(leaf_info(&[0x30, 0x82, 0xff]).is_err());
        assert!(leaf_info(&[0x30, 0x03, 0x30, 0x01, 0x02]).is_err());
    }

    /// `openssl req -x509 … -subj "/CN=a.test/O=Fuzz Org" -addext
    /// "subjectAltName=DNS:a.test,DNS:*.a.test" -set_serial 0x0abc12`.
    const OPENSSL_LEAF: &str = "-----BEGIN CERTIFICATE-----
MIIBqTCCAU+gAwIBAgIDCrwSMAoGCCqGSM49BAMCMCQxDzANBgNVBAMMBmEudGVz
dDERMA8GA1UECgwIRnV6eiBPcmcwHhcNMjYxMTI5MjEyNTQ5WhcNMjYxMjI5MjEy
NTQ5WjAkMQ8wDQYDVQQDDAZhLnRlc3QxETAPBgNVBAoMCEZ1enogT3JnMFkwEwYH
KoZIzj0CAQYIKoZIzj0DAQcDQgAE3OJHl6atYrZsy78mIREU+/Apzb+hH0t0pUel
xA5ZV+SpEkTDXg3HWRnevGQyoISdMrKmjSZLutx0yVkG5TJkiaNwMG4wHQYDVR0O
BBYEFIj63qfGrxZ8Jqxm7aN15GMwF/lAMB8GA1UdIwQYMBaAFIj63qfGrxZ8Jqxm
7aN15GMwF/lAMA8GA1UdEwEB/wQFMAMBAf8wGwYDVR0RBBQwEoIGYS50ZXN0gggq
LmEudGVzdDAKBggqhkjOPQQDAgNIADBFAiEAhkdZVlsW8oLzmxaBIhjrUx28FvKB
NZr4SPRC1gTX9C4CIEuWxehb6Fy7TCFR8l/uWfe9SQ8P2heuHH0wsQlM+Glu
-----END CERTIFICATE-----";

    #[test]
    fn an_openssl_leaf_reads_back_what_openssl_wrote() {
        let ders = parse_chain_pem(OPENSSL_LEAF).unwrap();
        assert_eq!(ders.len(), 1);
        let l = leaf_info(&ders[0]).unwrap();
        assert_eq!(l.serial, "0abc12");
        assert_eq!(l.issuer, "CN=a.test, O=Fuzz Org");
        assert_eq!(l.dns_names, vec!["a.test", "*.a.test"]);
        assert_eq!(l.not_before, "2026-11-29T21:25:49Z");
        assert_eq!(l.not_after, "2026-12-29T21:25:49Z");
        assert_eq!(
            hex::encode(&l.spki_der),
            "3059301306072a8648ce3d020106082a8648ce3d03010703420004dce24797a6ad62b66ccbbf26211114fbf029cdbfa11f4b74a547a5c40e5957e4a91244c35e0dc75919debc6432a0849d32b2a68d264bbadc74c95906e5326489"
        );
    }

    #[test]
    fn times_convert() {
        assert_eq!(
            time_text(0x17, b"250102030405Z").unwrap(),
            "2025-01-02T03:04:05Z"
        );
        assert_eq!(
            time_text(0x18, b"20500102030405Z").unwrap(),
            "2050-01-02T03:04:05Z"
        );
        assert!(time_text(0x17, b"2501020304Z").is_err());
    }
}
