//! The syntax of a directory certificate files are exported to, in one
//! place: vault-proc enforces it when it writes (and then walks the path
//! without following symlinks), dns-proc reports it when an
//! `export_files` node is saved, so a bad path shows at save.

/// Longest directory path accepted, in bytes.
pub const MAX_DIR: usize = 4096;

/// The components of `dir` (absolute, no `.`/`..`, no NUL, at most
/// [`MAX_DIR`] bytes), or why it is refused.
pub fn components(dir: &str) -> Result<Vec<&str>, &'static str> {
    if dir.is_empty() || dir.len() > MAX_DIR || dir.contains('\0') {
        return Err("dir must be an absolute path of at most 4096 bytes");
    }
    if !dir.starts_with('/') {
        return Err("dir must be an absolute path");
    }
    let parts: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    if parts.iter().any(|c| *c == "." || *c == "..") {
        return Err("dir must not contain . or .. components");
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_paths_without_dot_components_pass() {
        assert_eq!(components("/etc//ssl/x/"), Ok(vec!["etc", "ssl", "x"]));
        assert!(components("etc/ssl").is_err());
        assert!(components("/etc/../root").is_err());
        assert!(components("/etc/./x").is_err());
        assert!(components("").is_err());
        assert!(components("/a\0b").is_err());
        assert!(components(&format!("/{}", "a".repeat(MAX_DIR))).is_err());
    }
}
