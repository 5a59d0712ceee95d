//! The stable byte format of secret data before encryption.
//!
//! A hand-written length-prefixed format instead of JSON: it is trivially
//! stable across serde versions, and every buffer is allocated at its exact
//! final size, so no reallocation leaves an unzeroized copy of plaintext
//! behind (JSON parsing unescapes through scratch buffers we cannot wipe).
//!
//! Layout (all integers big-endian `u32`):
//! `0x01` version byte, field count, then per field in name order:
//! name length, name bytes (UTF-8), value length, value bytes (UTF-8).

use shared::protocol::secrets::SecretData;
use shared::secret::SecretString;
use zeroize::{Zeroize, Zeroizing};

use super::error::{VaultError, VaultResult};

/// Version byte of the current layout.
const FORMAT_V1: u8 = 1;

fn len_u32(n: usize) -> VaultResult<[u8; 4]> {
    u32::try_from(n)
        .map(u32::to_be_bytes)
        .map_err(|_| VaultError::internal("secret data too large to encode"))
}

/// Encodes secret data into a zeroizing buffer of exactly the right size.
pub fn encode(data: &SecretData) -> VaultResult<Zeroizing<Vec<u8>>> {
    let size = 1
        + 4
        + data
            .iter()
            .map(|(k, v)| 8 + k.len() + v.len())
            .sum::<usize>();
    let mut out = Zeroizing::new(Vec::with_capacity(size));
    out.push(FORMAT_V1);
    out.extend_from_slice(&len_u32(data.len())?);
    for (name, value) in data {
        out.extend_from_slice(&len_u32(name.len())?);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&len_u32(value.len())?);
        // EXPOSE: the value is copied into the zeroizing plaintext buffer to be sealed.
        out.extend_from_slice(value.expose().as_bytes());
    }
    debug_assert_eq!(out.len(), size);
    Ok(out)
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn corrupt() -> VaultError {
        VaultError::internal("decrypted secret data is malformed")
    }

    fn take(&mut self, n: usize) -> VaultResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or_else(Self::corrupt)?;
        let s = self.buf.get(self.pos..end).ok_or_else(Self::corrupt)?;
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self) -> VaultResult<usize> {
        let b: [u8; 4] = self.take(4)?.try_into().map_err(|_| Self::corrupt())?;
        usize::try_from(u32::from_be_bytes(b)).map_err(|_| Self::corrupt())
    }

    fn bytes(&mut self) -> VaultResult<&'a [u8]> {
        let n = self.u32()?;
        self.take(n)
    }
}

/// Decodes secret data; values land directly in exact-size [`SecretString`]s.
pub fn decode(buf: &[u8]) -> VaultResult<SecretData> {
    let mut r = Reader { buf, pos: 0 };
    if r.take(1)? != [FORMAT_V1] {
        return Err(VaultError::internal(
            "decrypted secret data has an unknown format version",
        ));
    }
    let count = r.u32()?;
    let mut data = SecretData::new();
    for _ in 0..count {
        let name = std::str::from_utf8(r.bytes()?).map_err(|_| Reader::corrupt())?;
        let raw = r.bytes()?;
        let mut value = Vec::with_capacity(raw.len());
        value.extend_from_slice(raw);
        let value = match String::from_utf8(value) {
            Ok(s) => SecretString::new(s),
            Err(e) => {
                e.into_bytes().zeroize();
                return Err(Reader::corrupt());
            }
        };
        if data.insert(name.to_owned(), value).is_some() {
            return Err(Reader::corrupt());
        }
    }
    if r.pos != buf.len() {
        return Err(Reader::corrupt());
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> SecretData {
        let mut d = SecretData::new();
        d.insert("username".into(), SecretString::from("alice"));
        d.insert("password".into(), SecretString::from("p\u{e4}ss\"word\n"));
        d.insert("empty".into(), SecretString::from(""));
        d
    }

    #[test]
    fn round_trip_and_exact_size() -> VaultResult<()> {
        let d = sample();
        let enc = encode(&d)?;
        assert_eq!(enc.len(), enc.capacity());
        let back = decode(&enc)?;
        assert_eq!(back.len(), 3);
        for (k, v) in &d {
            assert_eq!(back.get(k).map(|s| s.expose()), Some(v.expose()));
        }
        Ok(())
    }

    #[test]
    fn format_is_stable() -> VaultResult<()> {
        let mut d = SecretData::new();
        d.insert("value".into(), SecretString::from("k"));
        let enc = encode(&d)?;
        assert_eq!(
            &enc[..],
            &[1, 0, 0, 0, 1, 0, 0, 0, 5, b'v', b'a', b'l', b'u', b'e', 0, 0, 0, 1, b'k']
        );
        Ok(())
    }

    #[test]
    fn corrupt_input_is_rejected() -> VaultResult<()> {
        let enc = encode(&sample())?;
        assert!(decode(&[]).is_err());
        assert!(decode(&[2, 0, 0, 0, 0]).is_err());
        assert!(decode(&enc[..enc.len() - 1]).is_err());
        let mut long = enc.to_vec();
        long.push(0);
        assert!(decode(&long).is_err());
        // Field count claims more fields than present.
        assert!(decode(&[1, 0, 0, 0, 9]).is_err());
        // Huge length prefix must not allocate or panic.
        assert!(decode(&[1, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]).is_err());
        // Invalid UTF-8 in a value.
        assert!(decode(&[1, 0, 0, 0, 1, 0, 0, 0, 1, b'a', 0, 0, 0, 1, 0xff]).is_err());
        Ok(())
    }
}
