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
    let mut out = String::with_capacity(t.len());
    let mut in_string = false;
    let mut chars = t.chars();
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (false, '"') => in_string = true,
            (false, _) => {}
            (true, '"') => in_string = false,
            (true, '\\') => match chars.next() {
                Some(d) if d.is_ascii_digit() => {
                    // \DDD decimal escape.
                    let rest: String = chars.clone().take(2).collect();
                    let code = format!("{d}{rest}");
                    match code.parse::<u8>() {
                        Ok(b) if rest.len() == 2 && rest.bytes().all(|x| x.is_ascii_digit()) => {
                            out.push(char::from(b));
                            chars.nth(1);
                        }
                        _ => out.push(d),
                    }
                }
                Some(e) => out.push(e),
                None => {}
            },
            (true, _) => out.push(c),
        }
    }
    out
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
        assert_eq!(unquote("\"unterminated"), "unterminated");
    }
}
