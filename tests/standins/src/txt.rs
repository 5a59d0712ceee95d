//! TXT values between raw text and DNS presentation format (quoted
//! character-strings), as PowerDNS's API and Route53 write them.

/// The longest character-string DNS allows in one TXT string.
const MAX_STRING: usize = 255;

/// `raw` in presentation format: one or more quoted strings of at most 255
/// bytes, with `"` and `\` escaped and bytes outside printable ASCII as `\ddd`.
pub(crate) fn quote(raw: &str) -> String {
    let bytes = raw.as_bytes();
    if bytes.is_empty() {
        return "\"\"".to_string();
    }
    let strings: Vec<String> = bytes
        .chunks(MAX_STRING)
        .map(|chunk| {
            let mut out = String::with_capacity(chunk.len() + 2);
            out.push('"');
            for &b in chunk {
                match b {
                    b'"' | b'\\' => {
                        out.push('\\');
                        out.push(char::from(b));
                    }
                    0x20..=0x7e => out.push(char::from(b)),
                    _ => out.push_str(&format!("\\{b:03}")),
                }
            }
            out.push('"');
            out
        })
        .collect();
    strings.join(" ")
}

/// The raw text of a TXT value in presentation format: its character-strings
/// unescaped and joined. A value that does not start with a quote is taken as
/// already raw and returned unchanged.
pub(crate) fn unquote(presented: &str) -> String {
    let text = presented.trim();
    if !text.starts_with('"') {
        return presented.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'"' => in_string = !in_string,
            b'\\' => {
                let digits = bytes.get(i + 1..i + 4);
                match digits {
                    Some(d) if d.iter().all(u8::is_ascii_digit) => {
                        let value = d.iter().fold(0u32, |acc, x| acc * 10 + u32::from(x - b'0'));
                        out.push(u8::try_from(value).unwrap_or(b'?'));
                        i += 3;
                    }
                    _ => {
                        if let Some(&next) = bytes.get(i + 1) {
                            out.push(next);
                        }
                        i += 1;
                    }
                }
            }
            b' ' | b'\t' if !in_string => {}
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for raw in ["v", "", "a\"b\\c", "héllo wörld", &"x".repeat(600)] {
            assert_eq!(unquote(&quote(raw)), raw);
        }
    }

    #[test]
    fn splits_long_values_into_strings() {
        let q = quote(&"y".repeat(300));
        assert_eq!(q.matches('"').count(), 4);
    }

    #[test]
    fn joins_several_strings_and_keeps_raw_values() {
        assert_eq!(unquote(r#""ab" "c\"d""#), "abc\"d");
        assert_eq!(unquote(r#""a\065""#), "aA");
        assert_eq!(unquote("plain value"), "plain value");
    }
}
