//! The page's static files, embedded in the binary: one script, one
//! stylesheet, one icon. Each is served under a name carrying its content
//! hash and referenced with a Subresource Integrity digest, so a page only
//! ever runs the exact bytes this build shipped.

use base64::Engine;
use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug, Clone)]
pub struct Asset {
    /// URL path, e.g. `/assets/app-0123abcd.js`.
    pub path: String,
    /// Content.
    pub body: &'static str,
    /// MIME type.
    pub content_type: &'static str,
    /// `sha256-…` integrity value.
    pub integrity: String,
}

impl Asset {
    fn new(stem: &str, ext: &str, body: &'static str, content_type: &'static str) -> Self {
        let digest = Sha256::digest(body.as_bytes());
        let hash = hex::encode(&digest[..6]);
        Self {
            path: format!("/assets/{stem}-{hash}.{ext}"),
            body,
            content_type,
            integrity: format!(
                "sha256-{}",
                base64::engine::general_purpose::STANDARD.encode(digest)
            ),
        }
    }
}

/// Every embedded file.
#[derive(Debug, Clone)]
pub struct Assets {
    /// The script.
    pub js: Asset,
    /// The stylesheet.
    pub css: Asset,
    /// The icon.
    pub icon: Asset,
}

impl Assets {
    /// Hashes the embedded files.
    pub fn new() -> Self {
        Self {
            js: Asset::new(
                "app",
                "js",
                include_str!("assets/app.js"),
                "text/javascript; charset=utf-8",
            ),
            css: Asset::new(
                "app",
                "css",
                include_str!("assets/app.css"),
                "text/css; charset=utf-8",
            ),
            icon: Asset::new(
                "icon",
                "svg",
                include_str!("assets/icon.svg"),
                "image/svg+xml",
            ),
        }
    }

    /// The file served at `path`.
    pub fn find(&self, path: &str) -> Option<&Asset> {
        [&self.js, &self.css, &self.icon]
            .into_iter()
            .find(|a| a.path == path)
    }
}

impl Default for Assets {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_carry_hashes() {
        let a = Assets::new();
        assert!(a.js.path.starts_with("/assets/app-") && a.js.path.ends_with(".js"));
        assert!(a.find(&a.css.path).is_some());
        assert!(a.find("/assets/app.js").is_none());
        assert!(a.js.integrity.starts_with("sha256-"));
    }
}
