//! PEM (RFC 7468) in and out, with every decoded byte in a zeroizing buffer.
//!
//! Strict on purpose: one block, nothing but whitespace around it, no
//! headers except the legacy `Proc-Type: 4,ENCRYPTED` that we recognise only
//! to say the key is encrypted. A key pasted with a certificate after it, or
//! two keys, is refused rather than guessed at.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use zeroize::Zeroizing;

use super::KeyError;

/// One decoded PEM block.
pub struct Block {
    /// The label (`PRIVATE KEY`, `EC PRIVATE KEY`, …).
    pub label: String,
    /// The DER contents.
    pub der: Zeroizing<Vec<u8>>,
}

/// Decodes the one PEM block of `text`.
pub fn decode(text: &str) -> Result<Block, KeyError> {
    let start = text.find("-----BEGIN ").ok_or(KeyError::NotPem)?;
    if !text[..start].trim().is_empty() {
        return Err(KeyError::ExtraText);
    }
    let after_begin = &text[start + "-----BEGIN ".len()..];
    let label_end = after_begin.find("-----").ok_or(KeyError::NotPem)?;
    let label = &after_begin[..label_end];
    if label.len() > 64
        || !label
            .chars()
            .all(|c| c.is_ascii_uppercase() || c == ' ' || c.is_ascii_digit())
    {
        return Err(KeyError::NotPem);
    }
    let body_and_rest = &after_begin[label_end + "-----".len()..];
    let end_marker = format!("-----END {label}-----");
    let end = body_and_rest.find(&end_marker).ok_or(KeyError::NotPem)?;
    if !body_and_rest[end + end_marker.len()..].trim().is_empty() {
        return Err(KeyError::ExtraText);
    }
    if label == "ENCRYPTED PRIVATE KEY" {
        return Err(KeyError::Encrypted);
    }
    let body = &body_and_rest[..end];
    let mut b64 = Zeroizing::new(String::with_capacity(body.len()));
    for line in body.lines() {
        let line = line.trim();
        if line.contains(':') {
            if line.starts_with("Proc-Type:") && line.contains("ENCRYPTED") {
                return Err(KeyError::Encrypted);
            }
            if line.starts_with("Proc-Type:") || line.starts_with("DEK-Info:") {
                continue;
            }
            return Err(KeyError::Malformed("the PEM block has headers"));
        }
        b64.push_str(line);
    }
    let mut der = Zeroizing::new(Vec::with_capacity(b64.len() / 4 * 3 + 3));
    STANDARD
        .decode_vec(b64.as_bytes(), &mut der)
        .map_err(|_| KeyError::Malformed("the PEM body is not valid base64"))?;
    if der.is_empty() {
        return Err(KeyError::Malformed("the PEM block is empty"));
    }
    Ok(Block {
        label: label.to_string(),
        der,
    })
}

/// Encodes `der` as a PEM block labelled `label` (64-character lines).
pub fn encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(STANDARD.encode(der));
    let mut out = Zeroizing::new(String::with_capacity(b64.len() + b64.len() / 64 + 64));
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII: every chunk boundary is a char boundary.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let pem = encode("PRIVATE KEY", &[1, 2, 3, 4, 5]);
        let b = decode(&pem).ok();
        assert_eq!(b.as_ref().map(|b| b.label.as_str()), Some("PRIVATE KEY"));
        assert_eq!(b.map(|b| b.der.to_vec()), Some(vec![1, 2, 3, 4, 5]));
        assert!(matches!(decode("hello"), Err(KeyError::NotPem)));
        assert!(matches!(
            decode(&format!("{}garbage", pem.as_str())),
            Err(KeyError::ExtraText)
        ));
        assert!(matches!(
            decode(&format!("{}{}", pem.as_str(), pem.as_str())),
            Err(KeyError::ExtraText)
        ));
        let enc = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(matches!(decode(enc), Err(KeyError::Encrypted)));
        let enc8 =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
        assert!(matches!(decode(enc8), Err(KeyError::Encrypted)));
        let bad = "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n";
        assert!(matches!(decode(bad), Err(KeyError::Malformed(_))));
    }
}
