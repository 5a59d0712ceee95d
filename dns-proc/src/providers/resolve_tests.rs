//! The suffix index against the spec's scenarios, against a brute-force
//! reference on random provider sets, and at 100 k providers; through the
//! store, which writes the index with every provider change.

use proptest::prelude::*;
use shared::protocol::dns::ProviderType;
use std::collections::HashSet;

use super::super::store::{ProviderRow, ProviderState, ProviderStore};
use super::*;

fn e(id: &str, t: &str) -> Entry {
    Entry {
        id: id.into(),
        label: id.to_uppercase(),
        created_at: t.into(),
    }
}

fn row(entry: &Entry, suffixes: &[String]) -> ProviderRow {
    ProviderRow {
        id: entry.id.clone(),
        provider_type: ProviderType::Manual,
        label: entry.label.clone(),
        suffixes: suffixes.to_vec(),
        secret_ref: None,
        config_json: "{}".into(),
        created_at: entry.created_at.clone(),
        updated_at: entry.created_at.clone(),
        state: ProviderState::Active,
    }
}

/// A `dns.sqlite` in a temporary directory, written the store's way.
struct Ix {
    _dir: tempfile::TempDir,
    store: ProviderStore,
}

impl Ix {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = ProviderStore::open(dir.path()).unwrap();
        Self { _dir: dir, store }
    }

    /// Adds a provider, or replaces its label and suffixes when its id is known.
    fn insert(&mut self, entry: Entry, suffixes: &[String]) {
        let r = row(&entry, suffixes);
        if self.store.get(&entry.id).unwrap().is_some() {
            self.store.update(&r).unwrap();
        } else {
            self.store.insert(&r).unwrap();
        }
    }

    /// The two-step delete (no-op when unknown).
    fn remove(&mut self, id: &str) {
        self.store.mark_deleting(id).unwrap();
        self.store.purge(id).unwrap();
    }

    fn ix(&self) -> SuffixIndex<'_> {
        self.store.index()
    }

    fn resolve(&self, host: &str) -> Option<Match> {
        self.ix().resolve(host).unwrap()
    }

    fn warnings_for(&self, id: &str) -> Vec<String> {
        let own = self.store.get(id).unwrap().map(|r| r.suffixes);
        self.ix()
            .warnings_for(id, &own.unwrap_or_default())
            .unwrap()
    }

    /// Ids the list pages flag as ambiguous.
    fn ambiguous_ids(&self) -> HashSet<String> {
        let (page, next) = self.store.list_page(None, 1000).unwrap().unwrap();
        assert!(next.is_none());
        page.into_iter()
            .filter(|f| f.ambiguous)
            .map(|f| f.row.id)
            .collect()
    }
}

fn used(ix: &Ix, host: &str) -> Option<String> {
    ix.resolve(host).map(|m| m.used.id)
}

#[test]
fn label_suffixes_longest_first() {
    assert_eq!(
        label_suffixes("a.b.c").collect::<Vec<_>>(),
        ["a.b.c", "b.c", "c"]
    );
    assert_eq!(label_suffixes("c").collect::<Vec<_>>(), ["c"]);
    assert_eq!(label_suffixes("").count(), 0);
}

#[test]
fn longest_subdomain_apex_and_whole_labels() {
    let mut ix = Ix::new();
    ix.insert(e("a", "1"), &["sslboard.com".into()]);
    ix.insert(e("b", "2"), &["api.sslboard.com".into()]);
    assert_eq!(used(&ix, "api.sslboard.com"), Some("b".into()));
    assert_eq!(used(&ix, "x.api.sslboard.com"), Some("b".into()));
    assert_eq!(used(&ix, "desktop.sslboard.com"), Some("a".into()));
    assert_eq!(used(&ix, "sslboard.com"), Some("a".into()));
    assert_eq!(
        ix.resolve("desktop.sslboard.com").map(|m| m.suffix),
        Some("sslboard.com".into())
    );
    assert_eq!(used(&ix, "notsslboard.com"), None);
    assert_eq!(used(&ix, "sslboard.com.evil"), None);
    assert_eq!(used(&ix, "com"), None);
    assert_eq!(used(&ix, "unassigned.example.com"), None);
    assert!(ix.ix().ambiguities().unwrap().is_empty());
    assert_eq!(ix.store.count().unwrap(), 2);
}

#[test]
fn overlapping_suffixes_use_the_oldest_and_name_everyone() {
    let mut ix = Ix::new();
    ix.insert(e("b", "2"), &["sslboard.com".into(), "b.net".into()]);
    ix.insert(e("a", "1"), &["sslboard.com".into()]);
    ix.insert(e("c", "1"), &["other.org".into()]);
    let m = ix.resolve("www.sslboard.com").unwrap();
    assert_eq!((m.used.id.as_str(), m.all.len()), ("a", 2));
    let w = m.warning().unwrap();
    assert_eq!(
        w,
        "ambiguous configuration: suffix sslboard.com is managed by A (a), B (b); A (a) will be used"
    );
    assert_eq!(ix.resolve("b.net").unwrap().warning(), None);
    let wb = ix.warnings_for("b");
    assert_eq!(
        wb,
        vec!["ambiguous configuration: suffix sslboard.com of B (b) is also managed by A (a); A (a) will be used"]
    );
    assert!(ix.warnings_for("a")[0].ends_with("A (a) will be used"));
    assert!(ix.warnings_for("c").is_empty());
    let flag = |id: &str| ix.ix().is_ambiguous(id).unwrap();
    assert!(flag("a") && flag("b") && !flag("c") && !flag("missing"));
    let amb = ix.ix().ambiguities().unwrap();
    assert_eq!(amb.len(), 1);
    assert_eq!(amb[0].suffix, "sslboard.com");
    assert_eq!(amb[0].used().map(|u| u.id.as_str()), Some("a"));
    assert_eq!(amb[0].message(), w);
    assert_eq!(
        ix.ambiguous_ids(),
        HashSet::from(["a".to_string(), "b".to_string()])
    );
    // Same created_at: the id breaks the tie.
    ix.insert(e("0", "1"), &["sslboard.com".into()]);
    assert_eq!(used(&ix, "sslboard.com"), Some("0".into()));
    ix.remove("0");
    ix.remove("a");
    assert_eq!(used(&ix, "www.sslboard.com"), Some("b".into()));
    assert!(ix.ambiguous_ids().is_empty());
    // Re-inserting replaces the suffix set.
    ix.insert(e("b", "2"), &["b.net".into()]);
    assert_eq!(used(&ix, "sslboard.com"), None);
    ix.remove("missing");
    assert_eq!(ix.store.count().unwrap(), 2);
}

/// The reference: every provider, every suffix, compared by labels.
fn order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    (a.created_at.as_str(), a.id.as_str()).cmp(&(b.created_at.as_str(), b.id.as_str()))
}

fn brute<'a>(providers: &'a [(Entry, Vec<String>)], host: &str) -> Option<(String, Vec<&'a str>)> {
    let labels = |s: &str| s.split('.').count();
    let mut best: Option<(usize, String, Vec<&Entry>)> = None;
    for (entry, suffixes) in providers {
        for s in suffixes {
            if !(host == s || host.ends_with(&format!(".{s}"))) {
                continue;
            }
            match &mut best {
                Some((n, _, all)) if labels(s) == *n => {
                    if !all.iter().any(|x| x.id == entry.id) {
                        all.push(entry);
                    }
                }
                Some((n, _, _)) if labels(s) < *n => {}
                _ => best = Some((labels(s), s.clone(), vec![entry])),
            }
        }
    }
    best.map(|(_, s, mut all)| {
        all.sort_by(|a, b| order(a, b));
        (s, all.iter().map(|e| e.id.as_str()).collect())
    })
}

fn name(labels: &[u8]) -> String {
    labels
        .iter()
        .map(|l| ["a", "b", "ab"][*l as usize])
        .collect::<Vec<_>>()
        .join(".")
}

proptest! {
    #[test]
    fn equals_brute_force(
        specs in proptest::collection::vec(
            (0u8..4, proptest::collection::vec(proptest::collection::vec(0u8..3, 1..4), 1..4)),
            0..14,
        ),
        hosts in proptest::collection::vec(proptest::collection::vec(0u8..3, 1..5), 1..8),
        removed in proptest::collection::vec(0usize..14, 0..3),
    ) {
        let mut providers: Vec<(Entry, Vec<String>)> = specs
            .iter()
            .enumerate()
            .map(|(i, (t, sufs))| (e(&format!("p{i}"), &t.to_string()), sufs.iter().map(|l| name(l)).collect()))
            .collect();
        let mut ix = Ix::new();
        for (entry, s) in &providers {
            ix.insert(entry.clone(), s);
        }
        for r in removed {
            ix.remove(&format!("p{r}"));
            providers.retain(|(entry, _)| entry.id != format!("p{r}"));
        }
        for h in &hosts {
            let host = name(h);
            let got = ix.resolve(&host).map(|m| {
                (m.suffix.clone(), m.all.iter().map(|e| e.id.clone()).collect::<Vec<_>>())
            });
            let want = brute(&providers, &host)
                .map(|(s, all)| (s, all.into_iter().map(str::to_string).collect::<Vec<_>>()));
            prop_assert_eq!(&got, &want, "host {}", host);
            let ambiguous = ix.resolve(&host).is_some_and(|m| m.warning().is_some());
            prop_assert_eq!(ambiguous, want.is_some_and(|(_, all)| all.len() > 1));
        }
        // ambiguous_ids: providers sharing an identical suffix with another.
        let mut want: Vec<String> = providers
            .iter()
            .filter(|(a, sa)| providers.iter().any(|(b, sb)| a.id != b.id && sa.iter().any(|s| sb.contains(s))))
            .map(|(a, _)| a.id.clone())
            .collect();
        want.sort_unstable();
        let mut got: Vec<String> = ix.ambiguous_ids().into_iter().collect();
        got.sort_unstable();
        prop_assert_eq!(got, want);
    }
}

/// Resolution among 100 k providers' suffixes is correct at that scale (its
/// speed is a benchmark: `scripts/bench resolve`).
#[test]
fn resolve_among_100k_providers() {
    let suffix = |i: usize| format!("zone{i}.tenant{}.example", i % 997);
    let mut ix = Ix::new();
    let rows: Vec<ProviderRow> = (0..100_000)
        .map(|i| {
            let entry = Entry {
                id: format!("dns_prov_{i:032x}"),
                label: format!("P{i}"),
                created_at: format!("2026-01-01T00:00:00.{i:06}Z"),
            };
            row(&entry, &[suffix(i)])
        })
        .collect();
    ix.store.insert_all(&rows).unwrap();
    let hosts: Vec<String> = (0..5_000)
        .map(|i| match i % 3 {
            0 => format!("www.api.{}", suffix((i * 7919) % 100_000)),
            1 => suffix((i * 7919) % 100_000),
            _ => format!("unassigned{i}.example.com"),
        })
        .collect();
    // Speed is measured by scripts/bench (timed assertions do not belong in
    // tests on noisy machines); here: every hostname resolves, to its provider.
    let found = hosts
        .iter()
        .filter(|h| {
            ix.resolve(h).is_some_and(|m| {
                let i = h
                    .split('.')
                    .find_map(|l| l.strip_prefix("zone"))
                    .and_then(|n| n.parse::<usize>().ok());
                i.is_some_and(|i| {
                    m.used.id == format!("dns_prov_{i:032x}") && m.suffix == suffix(i)
                })
            })
        })
        .count();
    assert_eq!(found, hosts.len() - hosts.len() / 3);
    assert_eq!(ix.store.count().unwrap(), 100_000);
}
