//! Which provider serves a hostname: the suffix index.
//!
//! Matching is on whole labels: the hostname's label suffixes are tried from
//! the longest (the hostname itself, so an apex matches its own suffix) to
//! the shortest, and the first one some provider manages wins. That is
//! O(labels) hash lookups whatever the number of providers, and it makes
//! `notsslboard.com` unable to match `sslboard.com` (that is not one of its
//! label suffixes). Two matches can only tie when they are the same suffix, so
//! an ambiguity is "several providers manage this exact suffix": the oldest
//! (created_at, then id) is used and every one of them is named in a warning.
//!
//! Input names must already be canonical (see [`super::suffix`]).

use std::collections::{BTreeMap, HashMap, HashSet};

/// A provider as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Provider id.
    pub id: String,
    /// Label (named in warnings).
    pub label: String,
    /// RFC 3339 creation time, fixed width, so string order is time order
    /// (orders "oldest"; ties broken by id).
    pub created_at: String,
}

impl Entry {
    /// `Label (dns_prov_…)`, as warnings name a provider.
    pub fn display(&self) -> String {
        format!("{} ({})", self.label, self.id)
    }
}

/// The best match for a hostname.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'a> {
    /// The suffix that matched.
    pub suffix: &'a str,
    /// The provider used (the oldest on that suffix).
    pub used: &'a Entry,
    /// Every provider on that suffix, oldest first (`all[0] == *used`).
    pub all: &'a [Entry],
}

impl Match<'_> {
    /// True when several providers manage the matched suffix.
    pub fn is_ambiguous(&self) -> bool {
        self.all.len() > 1
    }

    /// The warning for an ambiguous match, naming every provider and the one used.
    pub fn warning(&self) -> Option<String> {
        self.is_ambiguous()
            .then(|| ambiguity_warning(self.suffix, self.all))
    }
}

/// A suffix that several providers manage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ambiguity {
    /// The shared suffix.
    pub suffix: String,
    /// The providers managing it, oldest (the one used) first.
    pub providers: Vec<Entry>,
}

impl Ambiguity {
    /// The provider resolution uses for this suffix.
    pub fn used(&self) -> Option<&Entry> {
        self.providers.first()
    }

    /// "ambiguous configuration: suffix S is managed by A (…), B (…); A (…) will be used".
    pub fn message(&self) -> String {
        ambiguity_warning(&self.suffix, &self.providers)
    }
}

/// Suffix → providers (oldest first), and provider → its suffixes.
#[derive(Debug, Default)]
pub struct SuffixIndex {
    by_suffix: HashMap<String, Vec<Entry>>,
    suffixes_of: HashMap<String, Vec<String>>,
}

fn order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    (a.created_at.as_str(), a.id.as_str()).cmp(&(b.created_at.as_str(), b.id.as_str()))
}

impl SuffixIndex {
    /// Adds a provider, or replaces it (label, created_at and suffixes) when its id is known.
    pub fn insert(&mut self, entry: Entry, suffixes: &[String]) {
        self.remove(&entry.id);
        let mut own: Vec<String> = Vec::with_capacity(suffixes.len());
        for s in suffixes {
            if own.contains(s) {
                continue;
            }
            own.push(s.clone());
            let v = self.by_suffix.entry(s.clone()).or_default();
            let pos = v
                .binary_search_by(|e| order(e, &entry))
                .unwrap_or_else(|p| p);
            v.insert(pos, entry.clone());
        }
        self.suffixes_of.insert(entry.id, own);
    }

    /// Removes a provider (no-op when unknown).
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

    /// Number of providers indexed.
    pub fn len(&self) -> usize {
        self.suffixes_of.len()
    }

    /// True when no provider is indexed.
    pub fn is_empty(&self) -> bool {
        self.suffixes_of.is_empty()
    }

    /// The best match for a canonical hostname (`*.x` must already be `x`).
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

    /// Every suffix managed by more than one provider, sorted by suffix.
    pub fn ambiguities(&self) -> Vec<Ambiguity> {
        let shared: BTreeMap<&str, &Vec<Entry>> = self
            .by_suffix
            .iter()
            .filter(|(_, v)| v.len() > 1)
            .map(|(s, v)| (s.as_str(), v))
            .collect();
        shared
            .into_iter()
            .map(|(s, v)| Ambiguity {
                suffix: s.to_string(),
                providers: v.clone(),
            })
            .collect()
    }

    /// Ids of providers that share at least one suffix with another provider.
    pub fn ambiguous_ids(&self) -> HashSet<&str> {
        self.by_suffix
            .values()
            .filter(|v| v.len() > 1)
            .flat_map(|v| v.iter().map(|e| e.id.as_str()))
            .collect()
    }

    /// True when provider `id` shares a suffix with another provider.
    pub fn is_ambiguous(&self, id: &str) -> bool {
        self.suffixes_of.get(id).is_some_and(|own| {
            own.iter()
                .any(|s| self.by_suffix.get(s).is_some_and(|v| v.len() > 1))
        })
    }

    /// Warnings about suffixes of provider `id` that other providers manage too:
    /// "suffix S of P (…) is also managed by X (…); X (…) will be used".
    pub fn warnings_for(&self, id: &str) -> Vec<String> {
        let Some(own) = self.suffixes_of.get(id) else {
            return Vec::new();
        };
        own.iter()
            .filter_map(|s| {
                let all = self.by_suffix.get(s).filter(|v| v.len() > 1)?;
                let me = all.iter().find(|e| e.id == id)?;
                let used = all.first()?;
                let others: Vec<String> = all
                    .iter()
                    .filter(|e| e.id != id)
                    .map(Entry::display)
                    .collect();
                Some(format!(
                    "ambiguous configuration: suffix {s} of {} is also managed by {}; {} will be used",
                    me.display(),
                    others.join(", "),
                    used.display()
                ))
            })
            .collect()
    }
}

/// "ambiguous configuration: suffix S is managed by A (…), B (…); A (…) will be used",
/// for the providers `all` of suffix `suffix`, oldest first.
pub fn ambiguity_warning(suffix: &str, all: &[Entry]) -> String {
    let names: Vec<String> = all.iter().map(Entry::display).collect();
    let used = all.first().map(Entry::display).unwrap_or_default();
    format!(
        "ambiguous configuration: suffix {suffix} is managed by {}; {used} will be used",
        names.join(", ")
    )
}

#[cfg(test)]
#[path = "resolve_tests.rs"]
mod tests;
