//! One mirror pass: read every TXT rrset moto holds, and make PowerDNS's
//! rrsets under the mirrored zones equal to them.

use std::collections::BTreeMap;

use super::moto;
use crate::names;
use crate::pdns::PdnsTarget;

/// What the mirror has made PowerDNS hold, and where to read and write.
pub(crate) struct Syncer {
    pub moto_url: String,
    pub pdns: PdnsTarget,
    /// Canonical PowerDNS zones whose names are mirrored.
    pub pdns_zones: Vec<String>,
    /// fqdn → values as of the last completed pass.
    previous: BTreeMap<String, Vec<String>>,
}

impl Syncer {
    /// A syncer that has not written anything yet.
    pub(crate) fn new(moto_url: String, pdns: PdnsTarget, pdns_zones: Vec<String>) -> Self {
        Self {
            moto_url,
            pdns,
            pdns_zones: pdns_zones.iter().map(|z| names::canonical(z)).collect(),
            previous: BTreeMap::new(),
        }
    }

    /// The longest mirrored PowerDNS zone holding `fqdn`.
    fn zone_of(&self, fqdn: &str) -> Option<&str> {
        self.pdns_zones
            .iter()
            .filter(|z| names::in_zone(fqdn, z))
            .max_by_key(|z| z.len())
            .map(String::as_str)
    }

    /// One pass: sets rrsets that are new or changed in moto, deletes those
    /// that vanished from moto since the last completed pass. A failed pass
    /// leaves the memory of the last one, so the next pass retries.
    pub(crate) async fn pass(&mut self, client: &reqwest::Client) -> Result<(), String> {
        let mut now: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for zone_id in moto::zone_ids(client, &self.moto_url).await? {
            for (fqdn, values) in moto::txt_sets(client, &self.moto_url, &zone_id).await? {
                if self.zone_of(&fqdn).is_none() {
                    continue;
                }
                let held = now.entry(fqdn).or_default();
                for v in values {
                    if !held.contains(&v) {
                        held.push(v);
                    }
                }
            }
        }
        for (fqdn, values) in &now {
            if self.previous.get(fqdn) != Some(values) {
                let zone = self.zone_of(fqdn).unwrap_or_default();
                self.pdns.set_txt(zone, fqdn, values).await?;
            }
        }
        for fqdn in self.previous.keys().filter(|f| !now.contains_key(*f)) {
            let zone = self.zone_of(fqdn).unwrap_or_default();
            self.pdns.set_txt(zone, fqdn, &[]).await?;
        }
        self.previous = now;
        Ok(())
    }
}
