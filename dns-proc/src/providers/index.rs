//! The suffix index: which provider serves a hostname.
//!
//! Matching is on whole labels: the hostname's suffixes are tried from the
//! longest (the hostname itself, so an apex matches its own suffix) to the
//! shortest, and the first that some provider manages wins — O(labels) hash
//! lookups whatever the number of providers. Several providers on the winning
//! suffix is an ambiguity: the oldest is used and every one is named.

use std::collections::{HashMap, HashSet};

/// A provider as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Provider id.
    pub id: String,
    /// Label.
    pub label: String,
    /// RFC 3339 creation time (orders "oldest").
    pub created_at: String,
}

/// The best match for a hostname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'a> {
    /// The suffix that matched.
    pub suffix: &'a str,
    /// The provider used (oldest on that suffix).
    pub used: &'a Entry,
    /// Every provider on that suffix, oldest first.
    pub all: &'a [Entry],
}

/// Suffix → providers, oldest first.
#[derive(Debug, Default)]
pub struct SuffixIndex {
    by_suffix: HashMap<String, Vec<Entry>>,
    suffixes_of: HashMap<String, Vec<String>>,
}

fn order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    (a.created_at.as_str(), a.id.as_str()).cmp(&(b.created_at.as_str(), b.id.as_str()))
}

impl SuffixIndex {
    /// Adds (or replaces) a provider.
    pub fn insert(&mut self, entry: Entry, suffixes: &[String]) {
        self.remove(&entry.id);
        for s in suffixes {
            let v = self.by_suffix.entry(s.clone()).or_default();
            let pos = v
                .binary_search_by(|e| order(e, &entry))
                .unwrap_or_else(|p| p);
            v.insert(pos, entry.clone());
        }
        self.suffixes_of.insert(entry.id.clone(), suffixes.to_vec());
    }

    /// Removes a provider.
    pub fn remove(&mut self, id: &str) {
        if let Some(old) = self.suffixes_of.remove(id) {
            for s in old {
                if let Some(v) = self.by_suffix.get_mut(&s) {
                    v.retain(|e| e.id != id);
                    if v.is_empty() {
                        self.by_suffix.remove(&s);
                    }
                }
            }
        }
    }

    /// The best match for a normalized hostname.
    pub fn resolve<'a>(&'a self, host: &str) -> Option<Match<'a>> {
        let mut candidate = host;
        loop {
            if let Some((suffix, all)) = self.by_suffix.get_key_value(candidate) {
                if let Some(used) = all.first() {
                    return Some(Match { suffix, used, all });
                }
            }
            match candidate.split_once('.') {
                Some((_, rest)) if !rest.is_empty() => candidate = rest,
                _ => return None,
            }
        }
    }

    /// Ids of providers that share at least one suffix with another provider.
    pub fn ambiguous_ids(&self) -> HashSet<&str> {
        self.by_suffix
            .values()
            .filter(|v| v.len() > 1)
            .flat_map(|v| v.iter().map(|e| e.id.as_str()))
            .collect()
    }

    /// Warnings about suffixes of provider `id` that other providers manage too.
    pub fn warnings_for(&self, id: &str) -> Vec<String> {
        let Some(suffixes) = self.suffixes_of.get(id) else {
            return Vec::new();
        };
        suffixes
            .iter()
            .filter_map(|s| {
                self.by_suffix
                    .get(s)
                    .filter(|v| v.len() > 1)
                    .map(|v| ambiguity_warning(s, v))
            })
            .collect()
    }
}

/// "suffix X is managed by A (id), B (id); A (id) will be used".
pub fn ambiguity_warning(suffix: &str, all: &[Entry]) -> String {
    let names: Vec<String> = all
        .iter()
        .map(|e| format!("{} ({})", e.label, e.id))
        .collect();
    let used = all
        .first()
        .map(|e| format!("{} ({})", e.label, e.id))
        .unwrap_or_default();
    format!(
        "ambiguous configuration: suffix {suffix} is managed by {}; {used} will be used",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e(id: &str, t: &str) -> Entry {
        Entry {
            id: id.into(),
            label: id.to_uppercase(),
            created_at: t.into(),
        }
    }

    #[test]
    fn spec_scenarios() {
        let mut ix = SuffixIndex::default();
        ix.insert(e("a", "1"), &["sslboard.com".into()]);
        ix.insert(e("b", "2"), &["api.sslboard.com".into()]);
        assert_eq!(
            ix.resolve("api.sslboard.com").map(|m| m.used.id.as_str()),
            Some("b")
        );
        assert_eq!(
            ix.resolve("x.api.sslboard.com").map(|m| m.used.id.as_str()),
            Some("b")
        );
        assert_eq!(
            ix.resolve("desktop.sslboard.com")
                .map(|m| m.used.id.as_str()),
            Some("a")
        );
        assert_eq!(
            ix.resolve("sslboard.com").map(|m| m.used.id.as_str()),
            Some("a")
        );
        assert!(ix.resolve("notsslboard.com").is_none());
        assert!(ix.resolve("unassigned.example.com").is_none());
        ix.insert(e("c", "3"), &["sslboard.com".into()]);
        let m = ix.resolve("www.sslboard.com").unwrap();
        assert_eq!((m.used.id.as_str(), m.all.len()), ("a", 2));
        let w = ix.warnings_for("c");
        assert!(
            w[0].contains("A (a)")
                && w[0].contains("C (c)")
                && w[0].ends_with("A (a) will be used"),
            "{w:?}"
        );
        assert_eq!(ix.ambiguous_ids().len(), 2);
        ix.remove("a");
        assert_eq!(
            ix.resolve("www.sslboard.com").map(|m| m.used.id.as_str()),
            Some("c")
        );
        assert!(ix.ambiguous_ids().is_empty());
    }

    fn brute<'a>(providers: &'a [(Entry, Vec<String>)], host: &str) -> Option<(usize, &'a str)> {
        let labels = |s: &str| s.split('.').count();
        let mut best: Option<(usize, &Entry)> = None;
        for (entry, suffixes) in providers {
            for s in suffixes {
                let matches = host == s || host.ends_with(&format!(".{s}"));
                if !matches {
                    continue;
                }
                let better = match best {
                    None => true,
                    Some((n, b)) => labels(s) > n || (labels(s) == n && order(entry, b).is_lt()),
                };
                if better {
                    best = Some((labels(s), entry));
                }
            }
        }
        best.map(|(n, e)| (n, e.id.as_str()))
    }

    proptest! {
        #[test]
        fn equals_brute_force(
            specs in proptest::collection::vec((0u8..5, proptest::collection::vec(proptest::collection::vec(0u8..3, 1..4), 1..3)), 0..12),
            host in proptest::collection::vec(0u8..3, 1..5),
        ) {
            let name = |labels: &[u8]| labels.iter().map(|l| ["a", "b", "c"][*l as usize]).collect::<Vec<_>>().join(".");
            let providers: Vec<(Entry, Vec<String>)> = specs.iter().enumerate().map(|(i, (t, sufs))| {
                let mut s: Vec<String> = sufs.iter().map(|l| name(l)).collect();
                s.dedup();
                (e(&format!("p{i}"), &t.to_string()), s)
            }).collect();
            let mut ix = SuffixIndex::default();
            for (entry, s) in &providers {
                let mut uniq = s.clone();
                uniq.sort();
                uniq.dedup();
                ix.insert(entry.clone(), &uniq);
            }
            let host = name(&host);
            let got = ix.resolve(&host).map(|m| (m.suffix.split('.').count(), m.used.id.as_str()));
            prop_assert_eq!(got, brute(&providers, &host));
        }
    }
}
