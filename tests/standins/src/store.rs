//! The records a stand-in holds, shared by the HTTP handlers and the test
//! thread that asks [`crate::Standin::records`].

/// One TXT record as a stand-in holds it.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    /// Cloudflare-style id: 32 hex digits.
    pub hex_id: String,
    /// DigitalOcean-style id: a positive integer.
    pub num_id: u64,
    /// Canonical zone apex the record lives in.
    pub zone: String,
    /// Canonical fully-qualified name.
    pub fqdn: String,
    /// Content exactly as the client sent it.
    pub content: String,
    /// The raw TXT value this content stands for in DNS.
    pub dns_value: String,
    /// TTL as the client sent it (or the API's default).
    pub ttl: u32,
    /// RFC 3339 creation time.
    pub created_on: String,
}

/// All records, in creation order.
#[derive(Debug, Default)]
pub(crate) struct Store {
    records: Vec<Record>,
    next_num: u64,
}

/// What a new record is made of.
pub(crate) struct NewRecord {
    pub zone: String,
    pub fqdn: String,
    pub content: String,
    pub dns_value: String,
    pub ttl: u32,
}

impl Store {
    /// Adds a record with fresh ids and returns it.
    pub(crate) fn insert(&mut self, new: NewRecord) -> Record {
        self.next_num += 1;
        let record = Record {
            hex_id: random_hex(),
            num_id: 3_000_000 + self.next_num,
            zone: new.zone,
            fqdn: new.fqdn,
            content: new.content,
            dns_value: new.dns_value,
            ttl: new.ttl,
            created_on: now_rfc3339(),
        };
        self.records.push(record.clone());
        record
    }

    /// Puts back a record that was removed (undoing a failed delete).
    pub(crate) fn restore(&mut self, record: Record) {
        self.records.push(record);
    }

    /// Removes and returns the first record matching `pred`.
    pub(crate) fn remove(&mut self, pred: impl Fn(&Record) -> bool) -> Option<Record> {
        let index = self.records.iter().position(pred)?;
        Some(self.records.remove(index))
    }

    /// Copies of the records matching `pred`, in creation order.
    pub(crate) fn select(&self, pred: impl Fn(&Record) -> bool) -> Vec<Record> {
        self.records.iter().filter(|r| pred(r)).cloned().collect()
    }

    /// The distinct DNS values held at `fqdn`, in creation order.
    pub(crate) fn values_for(&self, fqdn: &str) -> Vec<String> {
        let mut values: Vec<String> = Vec::new();
        for r in self.records.iter().filter(|r| r.fqdn == fqdn) {
            if !values.contains(&r.dns_value) {
                values.push(r.dns_value.clone());
            }
        }
        values
    }

    /// (fqdn, content) of every record.
    pub(crate) fn pairs(&self) -> Vec<(String, String)> {
        self.records
            .iter()
            .map(|r| (r.fqdn.clone(), r.content.clone()))
            .collect()
    }
}

/// 32 random hex digits, the shape of Cloudflare's identifiers.
pub(crate) fn random_hex() -> String {
    let mut bytes = [0u8; 16];
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = nanos.to_le_bytes();
    }
    hex::encode(bytes)
}

/// Now, as RFC 3339 in UTC.
pub(crate) fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}
