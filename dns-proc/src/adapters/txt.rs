//! TXT values in the forms providers want them.
//!
//! Zone-file style APIs (PowerDNS, Route53) take a TXT value as one or more
//! quoted character-strings of at most 255 bytes with `"` and `\` escaped;
//! others (DigitalOcean) take it raw; Cloudflare takes either. Reading back,
//! a value may arrive quoted or raw, split into several strings or not. These
//! helpers give one canonical raw form to compare with.

/// Largest character-string in a TXT record.
const MAX_STRING: usize = 255;

/// `value` as quoted character-strings (`"a" "b"` when longer than 255 bytes).
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    let mut chunk_len = 0;
    out.push('"');
    for c in value.chars() {
        let len = c.len_utf8();
        if chunk_len + len > MAX_STRING {
            out.push_str("\" \"");
            chunk_len = 0;
        }
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
        chunk_len += len;
    }
    out.push('"');
    out
}

/// The raw value of a TXT value as a provider returns it: quoted strings are
/// unescaped and joined; a value without quotes is returned as is.
pub fn unquote(text: &str) -> String {
    let t = text.trim();
    if !t.starts_with('"') {
        return t.to_string();
    }
    // Work on bytes: `\DDD` escapes name bytes, which may form UTF-8 together.
    let bytes = t.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        i += 1;
        match (in_string, b) {
            (false, b'"') => in_string = true,
            (false, _) => {}
            (true, b'"') => in_string = false,
            (true, b'\\') => {
                let digits = bytes
                    .get(i..i + 3)
                    .filter(|d| d.iter().all(u8::is_ascii_digit));
                let code = digits
                    .and_then(|d| std::str::from_utf8(d).ok())
                    .and_then(|d| d.parse::<u8>().ok());
                match (code, bytes.get(i)) {
                    (Some(c), _) => {
                        out.push(c);
                        i += 3;
                    }
                    (None, Some(&e)) => {
                        out.push(e);
                        i += 1;
                    }
                    (None, None) => {}
                }
            }
            (true, _) => out.push(b),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The raw values of the TXT records among `records`, each record's
/// character-strings joined (DNS answers split long values into chunks).
pub fn values_of(records: &[hickory_proto::rr::Record]) -> Vec<String> {
    records
        .iter()
        .filter_map(|r| match &r.data {
            hickory_proto::rr::RData::TXT(t) => Some(
                t.txt_data
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect(),
            ),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_plain_escaped_and_long_values() {
        for v in ["abc", "with \"quotes\" and \\slash", &"x".repeat(600), ""] {
            assert_eq!(unquote(&quote(v)), v);
        }
        assert_eq!(quote(&"y".repeat(300)).matches('"').count(), 4);
    }

    #[test]
    fn raw_and_split_forms_read_back() {
        assert_eq!(unquote("raw-value"), "raw-value");
        assert_eq!(unquote("\"ab\" \"cd\""), "abcd");
        assert_eq!(unquote("\"a\\065b\""), "aAb");
        assert_eq!(unquote("\"\\195\\169\""), "é");
        assert_eq!(unquote("\"unterminated"), "unterminated");
    }
}
