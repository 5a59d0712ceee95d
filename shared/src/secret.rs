//! Redacted containers for secret material.
//!
//! Every decrypted value, token, capability key and master key in the core lives
//! in one of these types. They zeroize on drop, print `[redacted]` under `Debug`,
//! have no `Display`, and hand out their bytes only through `expose()`, whose
//! call sites carry an `// EXPOSE:` comment saying why.

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// Arbitrary secret bytes (keys, decrypted payloads). Zeroized on drop.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretBytes(Zeroizing<Vec<u8>>);

impl SecretBytes {
    /// Wraps bytes; the caller's vector is moved, not copied.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Borrows the secret bytes. Every caller says why with an `// EXPOSE:` comment.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Length in bytes (not secret in itself, but never shown to the UI).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no bytes are held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for SecretBytes {
    fn from(v: Vec<u8>) -> Self {
        Self::new(v)
    }
}

impl std::fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A secret UTF-8 string (tokens, passwords, field values). Zeroized on drop.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Wraps a string; the caller's string is moved, not copied.
    pub fn new(s: String) -> Self {
        Self(Zeroizing::new(s))
    }

    /// Borrows the secret text. Every caller says why with an `// EXPOSE:` comment.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when the string is empty or only whitespace.
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl From<String> for SecretString {
    fn from(s: String) -> Self {
        Self::new(s)
    }
}

impl From<&str> for SecretString {
    fn from(s: &str) -> Self {
        Self::new(s.to_owned())
    }
}

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// A fixed 32-byte key (capability keys, the master key). Zeroized on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize)]
#[zeroize(drop)]
pub struct Key32([u8; 32]);

impl Key32 {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Draws a fresh key from the operating system's CSPRNG.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut k = [0u8; 32];
        getrandom::fill(&mut k)?;
        let key = Self(k);
        k.zeroize();
        Ok(key)
    }

    /// Borrows the key bytes. Every caller says why with an `// EXPOSE:` comment.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for Key32 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How much of the calling thread's stack [`scrub_stack`] wipes.
const STACK_SCRUB: usize = 256 * 1024;

/// Wipes the dead part of the calling thread's stack below this frame.
///
/// Values moved by value (a `Key32` returned from a function, say) leave
/// copies in stack frames that have returned; nothing owns them, so no
/// `Drop` can clear them. Calling this after such work, from a shallow frame
/// of the same thread, overwrites them.
#[inline(never)]
pub fn scrub_stack() {
    let mut area = [0u8; STACK_SCRUB];
    zeroize::Zeroize::zeroize(&mut area[..]);
    std::hint::black_box(&area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SecretString::from("canary-123");
        assert_eq!(format!("{s:?}"), "[redacted]");
        let b = SecretBytes::new(b"canary-456".to_vec());
        assert_eq!(format!("{b:?}"), "[redacted]");
        let k = Key32::from_bytes([7; 32]);
        assert_eq!(format!("{k:?}"), "[redacted]");
    }
}
