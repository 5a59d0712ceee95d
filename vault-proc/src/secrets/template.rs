//! Parser of `{{secrets.<name>.<field>}}` references in configuration text.
//!
//! Grammar (names and fields: `[A-Za-z_][A-Za-z0-9_-]*`, at most 128 bytes):
//! `reference := "{{" "secrets" "." name "." field "}}"`.
//!
//! Rules, chosen to be strict where a typo could leak or hide a credential:
//! * Text outside references is kept byte for byte, including other `{{…}}`
//!   constructs that do not start with `secrets` and stray `}}`.
//! * Anything that starts like a secret reference is parsed strictly: `{{`,
//!   optional whitespace, then `secrets` in any letter case. Whitespace inside
//!   the braces is **rejected** everywhere (`{{ secrets.a.b }}` is an error, not
//!   text), as are upper-case `Secrets`, missing parts, three-part paths,
//!   nested braces and unterminated references. Errors carry the byte offset
//!   of the offending character and what was expected there.
//! * `{{{secrets.a.b}}}`: the first `{` is text, then a reference, then `}`.
//! * Input is limited to 1 MiB; parsing is one left-to-right pass (linear).

use shared::error::WireError;
use shared::protocol::secrets::TemplateReference;

use super::types::MAX_NAME_LEN;

/// Largest template accepted, in bytes.
pub const MAX_TEMPLATE_BYTES: usize = 1024 * 1024;

const KEYWORD: &[u8] = b"secrets";

/// One `{{secrets.name.field}}` occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reference<'a> {
    /// Secret name.
    pub name: &'a str,
    /// Field name.
    pub field: &'a str,
    /// Byte offset of the opening `{{`.
    pub offset: usize,
    /// Length in bytes of the whole reference, braces included.
    pub len: usize,
}

/// A piece of a parsed template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Literal text, kept as is.
    Text(&'a str),
    /// A secret reference.
    Reference(Reference<'a>),
}

/// Why a template was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The input exceeds [`MAX_TEMPLATE_BYTES`].
    #[error("template is {len} bytes; the limit is {limit} bytes")]
    TooLarge {
        /// Input length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A malformed secret reference.
    #[error("invalid secret reference at byte {offset}: expected {expected}, found {found}")]
    Syntax {
        /// Byte offset of the offending character.
        offset: usize,
        /// What the grammar expected there.
        expected: &'static str,
        /// What was there (a character, `whitespace` or `end of input`).
        found: String,
    },
}

impl TemplateError {
    /// Byte offset of a syntax error.
    pub fn offset(&self) -> Option<usize> {
        match self {
            TemplateError::Syntax { offset, .. } => Some(*offset),
            TemplateError::TooLarge { .. } => None,
        }
    }
}

impl From<TemplateError> for WireError {
    fn from(e: TemplateError) -> Self {
        let w = WireError::validation(e.to_string()).with_field("template");
        match e.offset() {
            Some(o) => w.with_offset(o as u64),
            None => w,
        }
    }
}

fn found_at(input: &str, pos: usize) -> String {
    match input.get(pos..).and_then(|s| s.chars().next()) {
        None => "end of input".to_owned(),
        Some(c) if c.is_whitespace() => "whitespace".to_owned(),
        Some(c) => format!("`{c}`"),
    }
}

struct Cursor<'a> {
    input: &'a str,
    bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn err(&self, pos: usize, expected: &'static str) -> TemplateError {
        TemplateError::Syntax {
            offset: pos,
            expected,
            found: found_at(self.input, pos),
        }
    }

    fn byte(&self, pos: usize) -> Option<u8> {
        self.bytes.get(pos).copied()
    }

    /// Scans an identifier at `pos`; returns it and the position after it.
    fn ident(&self, pos: usize, expected: &'static str) -> Result<(&'a str, usize), TemplateError> {
        match self.byte(pos) {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
            _ => return Err(self.err(pos, expected)),
        }
        let mut end = pos + 1;
        while let Some(b) = self.byte(end) {
            if !(b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
                break;
            }
            end += 1;
        }
        if end - pos > MAX_NAME_LEN {
            return Err(self.err(
                pos + MAX_NAME_LEN,
                "at most 128 characters in a name or field",
            ));
        }
        // Only ASCII was consumed, so both ends are char boundaries.
        Ok((&self.input[pos..end], end))
    }

    /// Parses a reference whose `{{` is at `open` and keyword at `kw`.
    fn reference(&self, open: usize, kw: usize) -> Result<Reference<'a>, TemplateError> {
        if kw > open + 2 {
            return Err(self.err(
                open + 2,
                "`secrets` right after `{{` (no whitespace inside a reference)",
            ));
        }
        if &self.bytes[kw..kw + KEYWORD.len()] != KEYWORD {
            return Err(self.err(kw, "`secrets` in lower case"));
        }
        let mut p = kw + KEYWORD.len();
        if self.byte(p) != Some(b'.') {
            return Err(self.err(p, "`.` after `secrets`"));
        }
        let (name, after) = self.ident(p + 1, "a secret name ([A-Za-z_][A-Za-z0-9_-]*)")?;
        p = after;
        if self.byte(p) != Some(b'.') {
            return Err(self.err(p, "`.` and a field name after the secret name"));
        }
        let (field, after) = self.ident(p + 1, "a field name ([A-Za-z_][A-Za-z0-9_-]*)")?;
        p = after;
        if self.byte(p) == Some(b'.') {
            return Err(self.err(
                p,
                "`}}` (a reference has exactly two parts: secrets.<name>.<field>)",
            ));
        }
        if self.byte(p) != Some(b'}') || self.byte(p + 1) != Some(b'}') {
            let at = if self.byte(p) == Some(b'}') { p + 1 } else { p };
            return Err(self.err(at, "`}}` to close the reference"));
        }
        Ok(Reference {
            name,
            field,
            offset: open,
            len: p + 2 - open,
        })
    }
}

/// Splits `input` into text and references; see the module doc for the rules.
pub fn parse(input: &str) -> Result<Vec<Segment<'_>>, TemplateError> {
    if input.len() > MAX_TEMPLATE_BYTES {
        return Err(TemplateError::TooLarge {
            len: input.len(),
            limit: MAX_TEMPLATE_BYTES,
        });
    }
    let c = Cursor {
        input,
        bytes: input.as_bytes(),
    };
    let mut segments = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(rel) = input.get(i..).and_then(|s| s.find("{{")) {
        let open = i + rel;
        let after = open + 2;
        if c.byte(after) == Some(b'{') {
            i = open + 1; // `{{{`: the first brace is text
            continue;
        }
        let mut kw = after;
        while c.byte(kw).is_some_and(|b| b.is_ascii_whitespace()) {
            kw += 1;
        }
        let is_secret = c
            .bytes
            .get(kw..kw + KEYWORD.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(KEYWORD));
        if !is_secret {
            i = after;
            continue;
        }
        let r = c.reference(open, kw)?;
        if open > text_start {
            segments.push(Segment::Text(&input[text_start..open]));
        }
        segments.push(Segment::Reference(r));
        i = open + r.len;
        text_start = i;
    }
    if text_start < input.len() {
        segments.push(Segment::Text(&input[text_start..]));
    }
    Ok(segments)
}

/// The references of `input`, in order, for `template_validate`.
pub fn references(input: &str) -> Result<Vec<TemplateReference>, TemplateError> {
    Ok(parse(input)?
        .into_iter()
        .filter_map(|s| match s {
            Segment::Reference(r) => Some(TemplateReference {
                name: r.name.to_owned(),
                field: r.field.to_owned(),
                offset: r.offset as u64,
            }),
            Segment::Text(_) => None,
        })
        .collect())
}

#[cfg(test)]
mod tests;
