//! Which provider serves a hostname: the suffix index, a table of `dns.sqlite`.
//!
//! `provider_suffixes` holds one row per (suffix, active provider). The store
//! writes it in the same transaction as every change to `providers` (see
//! [`super::store`]), so the two are never out of step, and nothing about it
//! is held in memory: dns-proc's size and start-up time do not grow with the
//! number of providers.
//!
//! Matching is on whole labels: the hostname's label suffixes are tried from
//! the longest (the hostname itself, so an apex matches its own suffix) to
//! the shortest, and the first one some provider manages wins. That is
//! O(labels) indexed lookups whatever the number of providers, and it makes
//! `notsslboard.com` unable to match `sslboard.com` (that is not one of its
//! label suffixes). Two matches can only tie when they are the same suffix, so
//! an ambiguity is "several providers manage this exact suffix": the oldest
//! (created_at, then id) is used and every one of them is named in a warning.
//!
//! Input names must already be canonical (see [`super::suffix`]).

use rusqlite::{params, Connection, Transaction};

use super::DnsError;

/// The index table, created with the schema (`IF NOT EXISTS`). `WITHOUT
/// ROWID`: the primary key is the lookup; the second index finds one
/// provider's rows (its suffixes, its ambiguity flag, its removal).
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS provider_suffixes (
    suffix      TEXT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES providers (id),
    PRIMARY KEY (suffix, provider_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS provider_suffixes_by_provider ON provider_suffixes (provider_id);
";

/// Fills the index from `providers` (every active row's suffixes): the
/// migration of a `dns.sqlite` written before the index existed. Run once,
/// inside the migration's transaction.
pub(super) const FILL: &str = "
INSERT OR IGNORE INTO provider_suffixes (suffix, provider_id)
SELECT j.value, p.id FROM providers AS p, json_each(p.suffixes) AS j
WHERE p.state = 'active'
";

/// SQL expression, over a row of `providers`, that is true when that provider
/// shares a suffix with another (the `ambiguous` flag). Indexed lookups only:
/// the provider's own rows, then each of their suffixes.
pub(super) const AMBIGUOUS: &str = "EXISTS (
    SELECT 1 FROM provider_suffixes AS mine CROSS JOIN provider_suffixes AS other
    ON other.suffix = mine.suffix AND other.provider_id <> mine.provider_id
    WHERE mine.provider_id = providers.id)";

/// Indexes an active provider under its suffixes, replacing what it had.
/// Called inside the transaction that writes its row.
pub(super) fn put(tx: &Transaction<'_>, id: &str, suffixes: &[String]) -> Result<(), DnsError> {
    remove(tx, id)?;
    let mut st = tx.prepare_cached(
        "INSERT OR IGNORE INTO provider_suffixes (suffix, provider_id) VALUES (?1, ?2)",
    )?;
    for s in suffixes {
        st.execute(params![s, id])?;
    }
    Ok(())
}

/// Drops a provider from the index (no-op when it is not indexed). Called
/// inside the transaction that changes its row.
pub(super) fn remove(tx: &Transaction<'_>, id: &str) -> Result<(), DnsError> {
    tx.prepare_cached("DELETE FROM provider_suffixes WHERE provider_id = ?1")?
        .execute(params![id])?;
    Ok(())
}

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
pub struct Match {
    /// The suffix that matched.
    pub suffix: String,
    /// The provider used (the oldest on that suffix).
    pub used: Entry,
    /// Every provider on that suffix, oldest first (`all[0] == used`).
    pub all: Vec<Entry>,
}

impl Match {
    /// True when several providers manage the matched suffix.
    pub fn is_ambiguous(&self) -> bool {
        self.all.len() > 1
    }

    /// The warning for an ambiguous match, naming every provider and the one used.
    pub fn warning(&self) -> Option<String> {
        self.is_ambiguous()
            .then(|| ambiguity_warning(&self.suffix, &self.all))
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

/// The label suffixes of a canonical hostname, longest (the name itself) first:
/// `a.b.c`, `b.c`, `c`.
pub fn label_suffixes(host: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(host).filter(|h| !h.is_empty()), |c| {
        c.split_once('.')
            .map(|(_, rest)| rest)
            .filter(|rest| !rest.is_empty())
    })
}

/// Read access to the index, over the store's connection.
#[derive(Clone, Copy)]
pub struct SuffixIndex<'c> {
    conn: &'c Connection,
}

fn entry(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        id: r.get(0)?,
        label: r.get(1)?,
        created_at: r.get(2)?,
    })
}

impl<'c> SuffixIndex<'c> {
    /// The index in `conn` (a `dns.sqlite` the store opened).
    pub(super) fn new(conn: &'c Connection) -> Self {
        Self { conn }
    }

    /// The providers managing exactly `suffix`, oldest first. One range of
    /// the primary key, then each provider by id.
    pub fn providers_on(&self, suffix: &str) -> Result<Vec<Entry>, DnsError> {
        let mut st = self.conn.prepare_cached(
            "SELECT p.id, p.label, p.created_at
             FROM provider_suffixes AS s CROSS JOIN providers AS p ON p.id = s.provider_id
             WHERE s.suffix = ?1 AND p.state = 'active'
             ORDER BY p.created_at, p.id",
        )?;
        let rows = st.query_map(params![suffix], entry)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// The best match for a canonical hostname (`*.x` must already be `x`).
    pub fn resolve(&self, host: &str) -> Result<Option<Match>, DnsError> {
        for candidate in label_suffixes(host) {
            let all = self.providers_on(candidate)?;
            if let Some(used) = all.first().cloned() {
                return Ok(Some(Match {
                    suffix: candidate.to_string(),
                    used,
                    all,
                }));
            }
        }
        Ok(None)
    }

    /// Every suffix managed by more than one provider, sorted by suffix.
    /// Walks the whole index: for diagnostics, not for a request's path.
    pub fn ambiguities(&self) -> Result<Vec<Ambiguity>, DnsError> {
        let mut st = self.conn.prepare_cached(
            "SELECT suffix FROM provider_suffixes GROUP BY suffix HAVING COUNT(*) > 1 ORDER BY suffix",
        )?;
        let shared = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        shared
            .into_iter()
            .map(|suffix| {
                let providers = self.providers_on(&suffix)?;
                Ok(Ambiguity { suffix, providers })
            })
            .collect()
    }

    /// True when provider `id` shares a suffix with another provider.
    pub fn is_ambiguous(&self, id: &str) -> Result<bool, DnsError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {AMBIGUOUS} FROM providers WHERE providers.id = ?1"
        ))?;
        let flag = st.query_row(params![id], |r| r.get::<_, bool>(0));
        match flag {
            Ok(b) => Ok(b),
            Err(rusqlite::Error::QueryReturnedNoRows) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Warnings about the suffixes of provider `id` (`own`: its suffixes, in
    /// the user's order) that other providers manage too: "suffix S of P (…)
    /// is also managed by X (…); X (…) will be used".
    pub fn warnings_for(&self, id: &str, own: &[String]) -> Result<Vec<String>, DnsError> {
        let mut out = Vec::new();
        for (i, s) in own.iter().enumerate() {
            if own[..i].contains(s) {
                continue;
            }
            let all = self.providers_on(s)?;
            if all.len() < 2 {
                continue;
            }
            let (Some(me), Some(used)) = (all.iter().find(|e| e.id == id), all.first()) else {
                continue;
            };
            let others: Vec<String> = all
                .iter()
                .filter(|e| e.id != id)
                .map(Entry::display)
                .collect();
            out.push(format!(
                "ambiguous configuration: suffix {s} of {} is also managed by {}; {} will be used",
                me.display(),
                others.join(", "),
                used.display()
            ));
        }
        Ok(out)
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
