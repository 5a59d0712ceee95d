//! `{{certificate.<field>}}` placeholders: the certificate's public data in
//! a workflow text.
//!
//! Grammar: `"{{" "certificate" "." field "}}"` with `field` one of
//! [`CertField`]'s names, exactly (no whitespace, lower-case keyword, the
//! field in its camelCase spelling). Anything starting like one (`{{`,
//! optional whitespace, `certificate` in any case) is parsed strictly and a
//! mistake is an error at its byte offset, so a typo never ships a literal
//! `{{certificate.fulchainPem}}`. Other `{{…}}` text is kept as is
//! (`{{secrets.…}}` is vault-proc's, parsed there). One linear pass; input
//! is bounded by the caller (node texts are at most 256 KiB).

use strum::VariantArray;

const KEYWORD: &[u8] = b"certificate";

/// A public certificate field a text may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::VariantArray)]
#[strum(serialize_all = "camelCase")]
pub enum CertField {
    /// Leaf and intermediates, PEM.
    FullchainPem,
    /// The leaf, PEM.
    CertPem,
    /// The intermediates, PEM.
    ChainPem,
    /// The names, comma-separated.
    Names,
    /// Expiry, RFC 3339.
    NotAfter,
    /// `cert_…`.
    Id,
}

impl CertField {
    /// The field called `name` (camelCase).
    pub fn parse(name: &str) -> Option<CertField> {
        CertField::VARIANTS
            .iter()
            .copied()
            .find(|f| <&'static str>::from(*f) == name)
    }
}

/// A piece of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Literal text.
    Text(&'a str),
    /// A placeholder, at this byte offset.
    Field(CertField, usize),
}

/// A malformed placeholder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid certificate placeholder at byte {offset}: {message}")]
pub struct PlaceholderError {
    /// Byte offset of the offending character.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

fn fields_list() -> String {
    CertField::VARIANTS
        .iter()
        .map(|f| <&'static str>::from(*f))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits `input` into text and certificate placeholders.
pub fn parse(input: &str) -> Result<Vec<Piece<'_>>, PlaceholderError> {
    let bytes = input.as_bytes();
    let err = |offset: usize, message: String| PlaceholderError { offset, message };
    let mut pieces = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(rel) = input.get(i..).and_then(|s| s.find("{{")) {
        let open = i + rel;
        let after = open + 2;
        if bytes.get(after) == Some(&b'{') {
            i = open + 1;
            continue;
        }
        let mut kw = after;
        while bytes.get(kw).is_some_and(|b| b.is_ascii_whitespace()) {
            kw += 1;
        }
        let is_cert = bytes
            .get(kw..kw + KEYWORD.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(KEYWORD));
        if !is_cert {
            i = after;
            continue;
        }
        if kw > after {
            return Err(err(after, "no whitespace inside a placeholder".into()));
        }
        if &bytes[kw..kw + KEYWORD.len()] != KEYWORD {
            return Err(err(kw, "`certificate` in lower case".into()));
        }
        let dot = kw + KEYWORD.len();
        if bytes.get(dot) != Some(&b'.') {
            return Err(err(dot, "`.` after `certificate`".into()));
        }
        let start = dot + 1;
        let mut end = start;
        while bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric()) {
            end += 1;
        }
        // Only ASCII was consumed: both ends are char boundaries.
        let name = &input[start..end];
        let Some(field) = CertField::parse(name) else {
            return Err(err(
                start,
                format!("unknown certificate field (one of {})", fields_list()),
            ));
        };
        if bytes.get(end) != Some(&b'}') || bytes.get(end + 1) != Some(&b'}') {
            return Err(err(end, "`}}` to close the placeholder".into()));
        }
        if open > text_start {
            pieces.push(Piece::Text(&input[text_start..open]));
        }
        pieces.push(Piece::Field(field, open));
        i = end + 2;
        text_start = i;
    }
    if text_start < input.len() {
        pieces.push(Piece::Text(&input[text_start..]));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_and_other_text_kept() -> Result<(), PlaceholderError> {
        let p = parse("a{{certificate.fullchainPem}}b{{secrets.x.y}}{{{certificate.id}}}")?;
        assert_eq!(
            p,
            vec![
                Piece::Text("a"),
                Piece::Field(CertField::FullchainPem, 1),
                Piece::Text("b{{secrets.x.y}}{"),
                Piece::Field(CertField::Id, 46),
                Piece::Text("}"),
            ]
        );
        assert_eq!(parse("")?, vec![]);
        assert_eq!(parse("{{other}}")?, vec![Piece::Text("{{other}}")]);
        Ok(())
    }

    #[test]
    fn mistakes_are_errors_at_their_offset() {
        for (input, offset) in [
            ("xx{{certificate.fulchainPem}}", 16),
            ("{{ certificate.id}}", 2),
            ("{{Certificate.id}}", 2),
            ("{{certificate id}}", 13),
            ("{{certificate.id}", 16),
            ("{{certificate.id.x}}", 16),
            ("{{certificate.}}", 14),
        ] {
            assert_eq!(
                parse(input).err().map(|e| e.offset),
                Some(offset),
                "{input}"
            );
        }
    }

    #[test]
    fn every_field_has_its_camel_case_name() {
        for f in CertField::VARIANTS {
            assert_eq!(CertField::parse(<&'static str>::from(*f)), Some(*f));
        }
        assert_eq!(
            CertField::parse("fullchainPem"),
            Some(CertField::FullchainPem)
        );
        assert_eq!(CertField::parse("notAfter"), Some(CertField::NotAfter));
    }
}
