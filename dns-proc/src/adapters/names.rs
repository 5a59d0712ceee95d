//! Names as DNS APIs want them: with or without the trailing dot, relative to
//! a zone, and the list of candidate zones for a name (walking up one label
//! at a time, the way zone lookup works at every provider).

/// `name` without a trailing dot, lower-cased.
pub fn bare(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// `name` with exactly one trailing dot.
pub fn dotted(name: &str) -> String {
    format!("{}.", bare(name))
}

/// `name` itself, then each parent with at least two labels (`a.b.c` →
/// `a.b.c`, `b.c`); a one-label name is its own only candidate. Every
/// candidate is a suffix of `bare(name)` (an empty label is kept, so an
/// invalid name yields invalid candidates rather than someone else's zone).
pub fn zone_candidates(name: &str) -> Vec<String> {
    let name = bare(name);
    let labels: Vec<&str> = name.split('.').collect();
    let keep = if labels.len() >= 2 {
        labels.len() - 1
    } else {
        1
    };
    (0..keep).map(|i| labels[i..].join(".")).collect()
}

/// `fqdn` relative to `zone` (`@` for the apex); `None` when outside the zone.
pub fn relative(fqdn: &str, zone: &str) -> Option<String> {
    let (fqdn, zone) = (bare(fqdn), bare(zone));
    if fqdn == zone {
        return Some("@".into());
    }
    // A literal `@` label would read as the apex: not a name inside the zone.
    fqdn.strip_suffix(&format!(".{zone}"))
        .filter(|r| *r != "@")
        .map(str::to_string)
}

/// True when `fqdn` is `zone` or below it (whole labels).
pub fn within(fqdn: &str, zone: &str) -> bool {
    relative(fqdn, zone).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_walk_up_to_two_labels() {
        assert_eq!(
            zone_candidates("_x.a.Example.test."),
            vec!["_x.a.example.test", "a.example.test", "example.test"]
        );
        assert_eq!(zone_candidates("test"), vec!["test"]);
        assert_eq!(zone_candidates("a..b"), vec!["a..b", ".b"]);
    }

    #[test]
    fn relative_names_use_whole_labels() {
        assert_eq!(
            relative("_a.example.test", "example.test").as_deref(),
            Some("_a")
        );
        assert_eq!(
            relative("example.test.", "example.test").as_deref(),
            Some("@")
        );
        assert_eq!(relative("notexample.test", "example.test"), None);
        assert_eq!(relative("@.example.test", "example.test"), None);
        assert!(!within("a.b", "c.b"));
    }
}
