//! The XML of the Route53 API: the answers the adapter reads (zones, record
//! sets, change status, errors), parsed with quick-xml's serde support, and
//! the one request body it writes (a change batch), with values escaped.

use serde::Deserialize;

use super::{names, txt, AdapterError, AdapterResult};

/// A hosted zone.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostedZone {
    /// `/hostedzone/Z…` or `Z…`.
    #[serde(default)]
    pub id: String,
    /// Name with trailing dot (may hold `\DDD` escapes).
    #[serde(default)]
    pub name: String,
    /// Zone configuration.
    #[serde(default)]
    pub config: Option<ZoneConfig>,
}

impl HostedZone {
    /// True for a private (VPC) zone, which public DNS never sees.
    pub fn is_private(&self) -> bool {
        self.config
            .as_ref()
            .and_then(|c| c.private_zone.as_deref())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("true"))
    }
}

/// A hosted zone's configuration.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ZoneConfig {
    /// `true` for a private zone.
    #[serde(default)]
    pub private_zone: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HostedZones {
    #[serde(default)]
    hosted_zone: Vec<HostedZone>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ZonesByNameResponse {
    #[serde(default)]
    hosted_zones: HostedZones,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetZoneResponse {
    #[serde(default)]
    hosted_zone: HostedZone,
}

/// A record set, values as Route53 holds them (quoted strings).
#[derive(Debug, Default)]
pub struct RecordSet {
    /// Owner name.
    pub name: String,
    /// Type.
    pub record_type: String,
    /// TTL.
    pub ttl: Option<u32>,
    /// Values.
    pub values: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XmlRecord {
    #[serde(default)]
    value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XmlRecords {
    #[serde(default)]
    resource_record: Vec<XmlRecord>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XmlSet {
    #[serde(default)]
    name: String,
    #[serde(default, rename = "Type")]
    record_type: String,
    #[serde(default, rename = "TTL")]
    ttl: Option<u32>,
    #[serde(default)]
    resource_records: XmlRecords,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XmlSets {
    #[serde(default)]
    resource_record_set: Vec<XmlSet>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListSetsResponse {
    #[serde(default)]
    resource_record_sets: XmlSets,
}

/// A change's id and status.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ChangeInfo {
    /// `/change/C…`.
    #[serde(default)]
    pub id: String,
    /// `PENDING` or `INSYNC`.
    #[serde(default)]
    pub status: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ChangeResponse {
    #[serde(default)]
    change_info: Option<ChangeInfo>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct XmlError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ErrorResponse {
    #[serde(default)]
    error: Option<XmlError>,
    #[serde(default)]
    messages: Option<Messages>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Messages {
    #[serde(default)]
    message: Vec<String>,
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8], what: &str) -> AdapterResult<T> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AdapterError::Protocol(format!("Route53 {what} is not UTF-8")))?;
    quick_xml::de::from_str(text).map_err(|e| {
        AdapterError::Protocol(format!("Route53 {what} unreadable: {}", xml_error(&e)))
    })
}

/// What an XML error says without quoting the input (quick-xml's messages
/// can carry element text, which an echoing proxy fills with our request).
fn xml_error(e: &quick_xml::DeError) -> &'static str {
    match e {
        quick_xml::DeError::UnexpectedEof => "truncated XML",
        quick_xml::DeError::InvalidXml(_) => "not valid XML",
        _ => "not the expected XML shape",
    }
}

/// Zones of a `ListHostedZonesByName` answer.
pub fn zones_by_name(body: &[u8]) -> AdapterResult<Vec<HostedZone>> {
    Ok(parse::<ZonesByNameResponse>(body, "zone list")?
        .hosted_zones
        .hosted_zone)
}

/// The zone of a `GetHostedZone` answer.
pub fn hosted_zone(body: &[u8]) -> AdapterResult<HostedZone> {
    Ok(parse::<GetZoneResponse>(body, "hosted zone")?.hosted_zone)
}

/// Record sets of a `ListResourceRecordSets` answer.
pub fn record_sets(body: &[u8]) -> AdapterResult<Vec<RecordSet>> {
    Ok(parse::<ListSetsResponse>(body, "record set list")?
        .resource_record_sets
        .resource_record_set
        .into_iter()
        .map(|s| RecordSet {
            name: s.name,
            record_type: s.record_type,
            ttl: s.ttl,
            values: s
                .resource_records
                .resource_record
                .into_iter()
                .map(|r| r.value)
                .collect(),
        })
        .collect())
}

/// The change info of a `ChangeResourceRecordSets` or `GetChange` answer.
pub fn change_info(body: &[u8]) -> AdapterResult<ChangeInfo> {
    parse::<ChangeResponse>(body, "change")?
        .change_info
        .ok_or_else(|| AdapterError::Protocol("Route53 change answer has no ChangeInfo".into()))
}

/// `(code, message)` of an error answer (either error shape), or the whole
/// body as text (scrubbed, then cut, by `ApiClient::status_error`).
pub fn error(body: &[u8]) -> (String, String) {
    match parse::<ErrorResponse>(body, "error") {
        Ok(ErrorResponse { error: Some(e), .. }) => (e.code, e.message),
        Ok(ErrorResponse {
            messages: Some(m), ..
        }) => ("InvalidChangeBatch".into(), m.message.join("; ")),
        _ => ("Unknown".into(), String::from_utf8_lossy(body).into_owned()),
    }
}

/// True when an error answer asks us to slow down.
pub fn is_throttling(body: &[u8]) -> bool {
    body.len() < 64 * 1024
        && matches!(
            error(body).0.as_str(),
            "Throttling" | "ThrottlingException" | "PriorRequestNotComplete"
        )
}

/// A Route53 name with its `\DDD` (octal) escapes decoded.
pub fn decode_name(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let octal = bytes
            .get(i + 1..i + 4)
            .filter(|d| bytes[i] == b'\\' && d.iter().all(|b| (b'0'..=b'7').contains(b)))
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u8::from_str_radix(d, 8).ok());
        match octal {
            Some(v) => {
                out.push(v);
                i += 4;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// True when a Route53 owner name is `fqdn`.
pub fn name_matches(route53_name: &str, fqdn: &str) -> bool {
    names::bare(&decode_name(route53_name)) == names::bare(fqdn)
}

/// A `ChangeResourceRecordSets` body with one change of a TXT set.
pub fn change_batch(action: &str, fqdn_dotted: &str, ttl: u32, values: &[String]) -> String {
    let records: String = values
        .iter()
        .map(|v| {
            format!(
                "<ResourceRecord><Value>{}</Value></ResourceRecord>",
                quick_xml::escape::escape(txt::quote(v).as_str())
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
<ChangeBatch><Comment>sslboard</Comment><Changes><Change><Action>{action}</Action>\
<ResourceRecordSet><Name>{}</Name><Type>TXT</Type><TTL>{ttl}</TTL>\
<ResourceRecords>{records}</ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch>\
</ChangeResourceRecordSetsRequest>",
        quick_xml::escape::escape(fqdn_dotted)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_zones_sets_changes_and_errors() {
        let zones = br#"<?xml version="1.0"?><ListHostedZonesByNameResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HostedZones><HostedZone><Id>/hostedzone/Z1</Id><Name>example.test.</Name><Config><PrivateZone>false</PrivateZone></Config></HostedZone></HostedZones><IsTruncated>false</IsTruncated></ListHostedZonesByNameResponse>"#;
        let z = zones_by_name(zones).unwrap();
        assert_eq!(z[0].id, "/hostedzone/Z1");
        assert!(!z[0].is_private());
        let sets = br#"<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet><Name>_a.example.test.</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>"v1"</Value></ResourceRecord><ResourceRecord><Value>"v2"</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></ResourceRecordSets></ListResourceRecordSetsResponse>"#;
        let s = record_sets(sets).unwrap();
        assert_eq!(s[0].values, vec!["\"v1\"", "\"v2\""]);
        assert_eq!(s[0].ttl, Some(60));
        let change = br#"<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>"#;
        assert_eq!(change_info(change).unwrap().status, "PENDING");
        let err = br#"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>"#;
        assert!(is_throttling(err));
        assert_eq!(error(b"garbage").0, "Unknown");
    }

    #[test]
    fn names_and_batches() {
        assert_eq!(decode_name("\\052.example.test."), "*.example.test.");
        assert!(name_matches("_A.example.test.", "_a.example.test"));
        let b = change_batch("UPSERT", "_a.example.test.", 60, &["x<y".into()]);
        assert!(b.contains("<Value>&quot;x&lt;y&quot;</Value>"));
    }
}
