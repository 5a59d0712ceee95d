//! DNS name handling shared by the stand-ins: canonical form, zone
//! membership, and turning what a client sent into a fully-qualified name.

/// Lower-case, trimmed, without the trailing dot.
pub(crate) fn canonical(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Whether canonical `fqdn` is `zone` or below it.
pub(crate) fn in_zone(fqdn: &str, zone: &str) -> bool {
    fqdn == zone || fqdn.ends_with(&format!(".{zone}"))
}

/// `fqdn` relative to `zone`, `@` for the apex (DigitalOcean's form).
pub(crate) fn relative(fqdn: &str, zone: &str) -> String {
    if fqdn == zone {
        return "@".to_string();
    }
    fqdn.strip_suffix(&format!(".{zone}"))
        .unwrap_or(fqdn)
        .to_string()
}

/// The fully-qualified name a client meant by `name` in `zone` (canonical):
/// `@` is the apex, a name ending in the zone is taken as it is, anything
/// else is relative to the zone. A name ending with a dot, or one whose last
/// label is the zone's top-level label (`x.other.test` in `example.test`),
/// is taken as absolute; outside the zone it is an error naming it.
pub(crate) fn resolve(name: &str, zone: &str) -> Result<String, String> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err("name is empty".to_string());
    }
    if trimmed == "@" {
        return Ok(zone.to_string());
    }
    let absolute = trimmed.ends_with('.');
    let name = canonical(trimmed);
    if name.is_empty() || name.split('.').any(str::is_empty) {
        return Err(format!("{trimmed} is not a valid DNS name"));
    }
    if in_zone(&name, zone) {
        return Ok(name);
    }
    let zone_tld = zone.rsplit('.').next().unwrap_or(zone);
    let name_tld = name.rsplit('.').next().unwrap_or(&name);
    if absolute || (name.contains('.') && name_tld == zone_tld) {
        return Err(format!("{trimmed} is not in zone {zone}"));
    }
    Ok(format!("{name}.{zone}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_names_as_documented() {
        let z = "example.test";
        assert_eq!(resolve("@", z).as_deref(), Ok("example.test"));
        assert_eq!(resolve("Example.Test.", z).as_deref(), Ok("example.test"));
        assert_eq!(
            resolve("_a.example.test", z).as_deref(),
            Ok("_a.example.test")
        );
        assert_eq!(resolve("_a.www", z).as_deref(), Ok("_a.www.example.test"));
        assert_eq!(resolve("_a", z).as_deref(), Ok("_a.example.test"));
        assert!(resolve("x.other.test", z).is_err());
        assert!(resolve("x.other.com.", z).is_err());
        assert!(resolve("", z).is_err());
        assert!(resolve("a..b", z).is_err());
        assert_eq!(relative("_a.example.test", z), "_a");
        assert_eq!(relative("example.test", z), "@");
    }
}
