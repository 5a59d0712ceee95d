//! The one place that knows the wire codec (bincode 2.0.1 with serde).
//!
//! bincode 3.0.0 is a deliberate non-release and the crate is unmaintained, so
//! every encode/decode goes through these two functions: swapping the codec
//! touches only this file. The size limit is enforced on both directions
//! (bincode checks it on decode only) and trailing bytes are an error.

use bincode::config::{self, Configuration, Limit};
use serde::{de::DeserializeOwned, Serialize};
use thiserror::Error;

/// Largest payload of one frame, in bytes.
pub const MAX_PAYLOAD: usize = 1024 * 1024;

fn config() -> Configuration<config::BigEndian, config::Varint, Limit<MAX_PAYLOAD>> {
    config::standard()
        .with_big_endian()
        .with_limit::<MAX_PAYLOAD>()
}

/// bincode's decode limit counts logical sizes (8 bytes per length, 4 per
/// enum tag) that exceed the varint bytes on the wire, so the decode
/// allowance is a multiple of the frame cap; the frame cap itself bounds the
/// input, so this only bounds what one frame may expand to in memory.
const DECODE_ALLOWANCE: usize = 16 * MAX_PAYLOAD;

fn decode_config() -> Configuration<config::BigEndian, config::Varint, Limit<DECODE_ALLOWANCE>> {
    config::standard()
        .with_big_endian()
        .with_limit::<DECODE_ALLOWANCE>()
}

/// A value could not be encoded or decoded.
#[derive(Debug, Error)]
pub enum CodecError {
    /// Encoding failed or the result exceeds [`MAX_PAYLOAD`].
    #[error("encode failed: {0}")]
    Encode(String),
    /// The bytes are not a valid message.
    #[error("decode failed: {0}")]
    Decode(String),
    /// The message was valid but bytes were left over.
    #[error("decode failed: {0} trailing bytes")]
    Trailing(usize),
    /// The bytes decode, but are not the one canonical encoding of their value.
    #[error("decode failed: non-canonical encoding")]
    NonCanonical,
}

/// Encodes a value; fails when the result would exceed [`MAX_PAYLOAD`].
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>, CodecError> {
    let bytes = bincode::serde::encode_to_vec(value, config())
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    if bytes.len() > MAX_PAYLOAD {
        return Err(CodecError::Encode(format!(
            "payload of {} bytes exceeds the {MAX_PAYLOAD}-byte limit",
            bytes.len()
        )));
    }
    Ok(bytes)
}

/// Decodes a value that must use every byte of `bytes` and be encoded
/// canonically (re-encoding gives the same bytes), so one message has exactly
/// one wire form: no malleable encodings slip past a check on bytes.
pub fn decode<T: DeserializeOwned + Serialize>(bytes: &[u8]) -> Result<T, CodecError> {
    if bytes.len() > MAX_PAYLOAD {
        return Err(CodecError::Decode("payload exceeds the limit".into()));
    }
    let (value, used) = bincode::serde::decode_from_slice(bytes, decode_config())
        .map_err(|e| CodecError::Decode(e.to_string()))?;
    if used != bytes.len() {
        return Err(CodecError::Trailing(bytes.len() - used));
    }
    let mut canonical = bincode::serde::encode_to_vec(&value, config())
        .map_err(|e| CodecError::Encode(e.to_string()))?;
    let same = canonical == bytes;
    // The copy holds the same (possibly secret) bytes as the frame: wipe it.
    zeroize::Zeroize::zeroize(&mut canonical);
    if !same {
        return Err(CodecError::NonCanonical);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    enum Msg {
        A { x: u32, s: String },
        B(Option<Vec<u8>>),
    }

    #[test]
    fn round_trip_and_trailing_bytes() -> Result<(), CodecError> {
        let m = Msg::A {
            x: 7,
            s: "hi".into(),
        };
        let mut bytes = encode(&m)?;
        assert_eq!(decode::<Msg>(&bytes)?, m);
        bytes.push(0);
        assert!(matches!(
            decode::<Msg>(&bytes),
            Err(CodecError::Trailing(1))
        ));
        Ok(())
    }

    #[test]
    fn oversized_is_refused_both_ways() {
        let big = Msg::B(Some(vec![0u8; MAX_PAYLOAD + 1]));
        assert!(encode(&big).is_err());
        // A length prefix announcing a huge vector must not allocate it.
        let evil = [1u8, 0xfc, 0xff, 0xff, 0xff, 0xff];
        assert!(decode::<Msg>(&evil).is_err());
    }

    #[test]
    fn what_encodes_within_the_cap_also_decodes() -> Result<(), CodecError> {
        // Many tiny items: small on the wire, large in bincode's logical count.
        let many: Vec<String> = (0..150_000).map(|i| (i % 10).to_string()).collect();
        let bytes = encode(&many)?;
        assert!(bytes.len() < MAX_PAYLOAD);
        assert_eq!(decode::<Vec<String>>(&bytes)?.len(), 150_000);
        Ok(())
    }

    #[test]
    fn non_canonical_varints_are_refused() {
        // 300 as a u16 varint is canonical; 5 written with the u16 marker is not.
        assert!(decode::<u32>(&[251, 0, 5]).is_err());
        assert!(matches!(decode::<u32>(&[5]), Ok(5)));
    }

    #[test]
    fn golden_bytes_are_stable() -> Result<(), CodecError> {
        // Wire stability: this exact encoding is part of the protocol.
        let m = Msg::A {
            x: 300,
            s: "ok".into(),
        };
        assert_eq!(hex::encode(encode(&m)?), "00fb012c026f6b");
        Ok(())
    }
}
