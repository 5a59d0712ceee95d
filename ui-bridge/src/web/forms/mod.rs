//! HTML form bodies → typed UI requests. A body is parsed once, in the
//! guard, into [`FormData`], whose values live in zeroizing containers (any
//! of them may be a secret); the converters here build the same typed
//! requests the JSON contract builds, so both transports share one command
//! set. Conversion errors carry the field they concern, like core errors.

pub mod acme;
pub mod providers;
pub mod secrets;
pub mod workflows;

use shared::secret::SecretString;

/// Largest form body accepted, in bytes.
pub const MAX_BODY: usize = 1024 * 1024;

/// A parsed `application/x-www-form-urlencoded` body.
#[derive(Default)]
pub struct FormData {
    fields: Vec<(String, SecretString)>,
}

impl std::fmt::Debug for FormData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("FormData").field("names", &names).finish()
    }
}

impl FormData {
    /// Parses a body; values go straight into zeroizing strings.
    pub fn parse(body: &[u8]) -> Self {
        let fields = url::form_urlencoded::parse(body)
            .map(|(k, v)| (k.into_owned(), SecretString::new(v.into_owned())))
            .collect();
        Self { fields }
    }

    /// A non-secret value (first occurrence), trimmed of nothing.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            // EXPOSE: only called for non-secret fields (names, labels, config).
            .map(|(_, v)| v.expose())
    }

    /// A non-secret value, `None` when absent or blank.
    pub fn nonblank(&self, name: &str) -> Option<&str> {
        self.text(name).map(str::trim).filter(|v| !v.is_empty())
    }

    /// Takes a (secret) value out of the form, `None` when absent or empty.
    pub fn take(&mut self, name: &str) -> Option<SecretString> {
        let i = self.fields.iter().position(|(k, _)| k == name)?;
        let (_, v) = self.fields.swap_remove(i);
        if v.is_empty() {
            None
        } else {
            Some(v)
        }
    }
}

/// Splits a comma- or space-separated list of tags.
pub fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_takes() {
        let mut f = FormData::parse(b"a=1&b=x+y&c=&a=2&s=%E2%9C%93");
        assert_eq!(f.text("a"), Some("1"));
        assert_eq!(f.text("b"), Some("x y"));
        assert_eq!(f.nonblank("c"), None);
        assert!(f.take("c").is_none());
        assert_eq!(
            f.take("s").map(|s| s.expose().to_string()),
            Some("✓".into())
        );
        assert!(f.take("s").is_none());
        assert!(!format!("{f:?}").contains("x y"));
    }

    #[test]
    fn lists() {
        assert_eq!(split_list(" a, b c,,"), vec!["a", "b", "c"]);
    }
}
