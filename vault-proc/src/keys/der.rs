//! Just enough DER to tell key formats apart before aws-lc parses them.
//!
//! aws-lc answers a key it does not like with one opaque "rejected"; a user
//! importing a key needs to hear *why* (a secp256k1 key, a 1024-bit RSA key,
//! bytes after the key). This reader walks the outer structure of PKCS#8,
//! SEC1 and PKCS#1 to find the algorithm, the curve and the modulus size. It
//! never interprets the private values themselves.

use super::KeyError;

/// DER tags this reader cares about.
pub const INTEGER: u8 = 0x02;
/// OCTET STRING.
pub const OCTET_STRING: u8 = 0x04;
/// OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// SEQUENCE (constructed).
pub const SEQUENCE: u8 = 0x30;
/// `[0]` explicit, constructed.
pub const CONTEXT_0: u8 = 0xa0;

/// A cursor over DER bytes.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Reads one TLV and returns its tag and contents.
    pub fn read_tlv(&mut self) -> Result<(u8, &'a [u8]), KeyError> {
        let bad = || KeyError::Malformed("the DER structure is cut short or has a bad length");
        let (&tag, rest) = self.rest.split_first().ok_or_else(bad)?;
        let (&first, mut rest) = rest.split_first().ok_or_else(bad)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return Err(bad());
            }
            let (len_bytes, after) = rest.split_at(n);
            rest = after;
            len_bytes
                .iter()
                .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
        };
        if rest.len() < len {
            return Err(bad());
        }
        let (contents, after) = rest.split_at(len);
        self.rest = after;
        Ok((tag, contents))
    }

    /// Reads one TLV that must carry `tag`.
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<&'a [u8], KeyError> {
        match self.read_tlv()? {
            (t, c) if t == tag => Ok(c),
            _ => Err(KeyError::Malformed(what)),
        }
    }
}

/// The contents of the single outer SEQUENCE of `der`; bytes after it are an error.
pub fn outer_sequence(der: &[u8]) -> Result<&[u8], KeyError> {
    let mut r = Reader::new(der);
    let body = r.expect(SEQUENCE, "the key is not a DER SEQUENCE")?;
    if !r.is_empty() {
        return Err(KeyError::TrailingData);
    }
    Ok(body)
}

/// Bit length of a DER INTEGER's contents (unsigned, big-endian).
pub fn integer_bits(contents: &[u8]) -> usize {
    let digits: &[u8] = match contents.iter().position(|b| *b != 0) {
        Some(i) => &contents[i..],
        None => &[],
    };
    match digits.first() {
        Some(first) => digits.len() * 8 - first.leading_zeros() as usize,
        None => 0,
    }
}

/// Dotted form of an OID's contents, for error messages.
pub fn oid_dotted(contents: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for (i, b) in contents.iter().enumerate() {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if parts.is_empty() && i < 8 {
                let first = (acc / 40).min(2);
                parts.push(first);
                parts.push(acc - first * 40);
            } else {
                parts.push(acc);
            }
            acc = 0;
        }
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lengths_and_refuses_short_input() {
        let mut r = Reader::new(&[0x30, 0x03, 0x02, 0x01, 0x05]);
        let (tag, body) = r.read_tlv().ok().unwrap_or_default();
        assert_eq!((tag, body), (0x30, &[0x02, 0x01, 0x05][..]));
        assert!(Reader::new(&[0x30, 0x05, 0x00]).read_tlv().is_err());
        assert!(Reader::new(&[0x30, 0x81]).read_tlv().is_err());
        assert!(matches!(
            outer_sequence(&[0x30, 0x00, 0x00]),
            Err(KeyError::TrailingData)
        ));
    }

    #[test]
    fn integer_bits_and_oids() {
        assert_eq!(integer_bits(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(integer_bits(&[0x01]), 1);
        assert_eq!(integer_bits(&[]), 0);
        assert_eq!(
            oid_dotted(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]),
            "1.2.840.10045.3.1.7"
        );
        assert_eq!(oid_dotted(&[0x2b, 0x81, 0x04, 0x00, 0x0a]), "1.3.132.0.10");
    }
}
