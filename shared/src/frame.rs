//! Length-prefixed framing: a `u32` big-endian length, then the payload.
//!
//! The length is checked against [`MAX_PAYLOAD`] before anything is allocated,
//! so a peer announcing 4 GiB costs four bytes of reading, not memory.

use serde::{de::DeserializeOwned, Serialize};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::codec::{self, CodecError, MAX_PAYLOAD};

/// A frame could not be read or written.
#[derive(Debug, Error)]
pub enum FrameError {
    /// The peer closed the stream cleanly between frames.
    #[error("connection closed")]
    Closed,
    /// I/O failure (including EOF inside a frame).
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The announced length exceeds the cap.
    #[error("frame of {0} bytes exceeds the {MAX_PAYLOAD}-byte limit")]
    TooLarge(u64),
    /// The payload is not a valid message.
    #[error(transparent)]
    Codec(#[from] CodecError),
}

/// Reads one raw payload.
pub async fn read_payload<R: AsyncRead + Unpin>(r: &mut R) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_be_bytes(len) as u64;
    if len > MAX_PAYLOAD as u64 {
        return Err(FrameError::TooLarge(len));
    }
    let mut buf = vec![0u8; len as usize];
    r.read_exact(&mut buf).await?;
    Ok(buf)
}

/// Reads and decodes one frame.
pub async fn read_frame<T: DeserializeOwned + Serialize, R: AsyncRead + Unpin>(
    r: &mut R,
) -> Result<T, FrameError> {
    let mut payload = read_payload(r).await?;
    let value = codec::decode(&payload);
    // Frames may carry secret values (reveal answers, create requests): wipe the buffer.
    zeroize::Zeroize::zeroize(&mut payload);
    Ok(value?)
}

/// Encodes `payload` into one frame buffer (length prefix included).
pub fn encode_frame<T: Serialize>(value: &T) -> Result<Vec<u8>, FrameError> {
    let payload = codec::encode(value)?;
    let len = payload.len() as u64;
    if len > MAX_PAYLOAD as u64 {
        return Err(FrameError::TooLarge(len));
    }
    let mut out = Vec::with_capacity(payload.len() + 4);
    out.extend_from_slice(&(payload.len() as u32).to_be_bytes());
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Encodes and writes one frame, then flushes.
pub async fn write_frame<T: Serialize, W: AsyncWrite + Unpin>(
    w: &mut W,
    value: &T,
) -> Result<(), FrameError> {
    let mut buf = encode_frame(value)?;
    let result = async {
        w.write_all(&buf).await?;
        w.flush().await
    }
    .await;
    // The bootstrap frame carries capability keys: never leave it in freed memory.
    zeroize::Zeroize::zeroize(&mut buf);
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip_and_limits() -> Result<(), FrameError> {
        let buf = encode_frame(&(1u32, "x".to_string()))?;
        let mut r = &buf[..];
        let v: (u32, String) = read_frame(&mut r).await?;
        assert_eq!(v, (1, "x".into()));
        let mut empty: &[u8] = &[];
        assert!(matches!(
            read_frame::<u8, _>(&mut empty).await,
            Err(FrameError::Closed)
        ));
        let mut huge: &[u8] = &[0xff, 0xff, 0xff, 0xff];
        assert!(matches!(
            read_payload(&mut huge).await,
            Err(FrameError::TooLarge(_))
        ));
        let mut short: &[u8] = &[0, 0, 0, 9, 1, 2];
        assert!(matches!(
            read_payload(&mut short).await,
            Err(FrameError::Io(_))
        ));
        Ok(())
    }
}
