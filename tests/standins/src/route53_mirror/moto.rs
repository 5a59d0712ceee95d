//! The few Route53 REST/XML calls the mirror makes against moto: list hosted
//! zones, list a zone's TXT rrsets, create and delete a hosted zone.
//!
//! moto does not check signatures but picks the service from the
//! credential scope of the `Authorization` header, so every request carries
//! a syntactically valid SigV4 header naming `route53`.

use serde::Deserialize;

use crate::{names, txt};

/// API version prefix of every Route53 path.
const PREFIX: &str = "/2013-04-01";
/// An unsigned SigV4 header whose scope names Route53.
const AUTHORIZATION: &str = "AWS4-HMAC-SHA256 \
    Credential=SSLBOARDSTANDIN/20240101/us-east-1/route53/aws4_request, \
    SignedHeaders=host;x-amz-date, Signature=0000000000000000";
/// Request date matching [`AUTHORIZATION`].
const AMZ_DATE: &str = "20240101T000000Z";

#[derive(Debug, Deserialize)]
struct ListHostedZonesResponse {
    #[serde(rename = "HostedZones", default)]
    hosted_zones: HostedZones,
    #[serde(rename = "IsTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "NextMarker", default)]
    next_marker: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct HostedZones {
    #[serde(rename = "HostedZone", default)]
    items: Vec<HostedZone>,
}

#[derive(Debug, Deserialize)]
struct HostedZone {
    #[serde(rename = "Id")]
    id: String,
}

#[derive(Debug, Deserialize)]
struct CreateHostedZoneResponse {
    #[serde(rename = "HostedZone")]
    hosted_zone: HostedZone,
}

#[derive(Debug, Deserialize)]
struct ListResourceRecordSetsResponse {
    #[serde(rename = "ResourceRecordSets", default)]
    sets: ResourceRecordSets,
    #[serde(rename = "IsTruncated", default)]
    is_truncated: bool,
    #[serde(rename = "NextRecordName", default)]
    next_name: Option<String>,
    #[serde(rename = "NextRecordType", default)]
    next_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct ResourceRecordSets {
    #[serde(rename = "ResourceRecordSet", default)]
    items: Vec<ResourceRecordSet>,
}

#[derive(Debug, Deserialize)]
struct ResourceRecordSet {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Type")]
    kind: String,
    #[serde(rename = "ResourceRecords", default)]
    records: ResourceRecords,
}

#[derive(Debug, Default, Deserialize)]
struct ResourceRecords {
    #[serde(rename = "ResourceRecord", default)]
    items: Vec<ResourceRecord>,
}

#[derive(Debug, Deserialize)]
struct ResourceRecord {
    #[serde(rename = "Value")]
    value: String,
}

/// Hosted zone id without the `/hostedzone/` prefix.
fn bare_id(id: &str) -> String {
    id.trim_start_matches("/hostedzone/").to_string()
}

fn url(moto_url: &str, path: &str) -> String {
    format!("{}{PREFIX}{path}", moto_url.trim_end_matches('/'))
}

fn parse<T: for<'de> Deserialize<'de>>(what: &str, status: u16, body: &str) -> Result<T, String> {
    if !(200..300).contains(&status) {
        return Err(format!("moto {what}: HTTP {status}: {body}"));
    }
    quick_xml::de::from_str(body).map_err(|e| format!("moto {what}: {e}: {body}"))
}

async fn get(client: &reqwest::Client, url: reqwest::Url) -> Result<(u16, String), String> {
    let response = client
        .get(url.clone())
        .header("Authorization", AUTHORIZATION)
        .header("X-Amz-Date", AMZ_DATE)
        .send()
        .await
        .map_err(|e| format!("moto GET {url}: {e}"))?;
    let status = response.status().as_u16();
    let body = response
        .text()
        .await
        .map_err(|e| format!("moto GET {url}: {e}"))?;
    Ok((status, body))
}

/// Ids (without prefix) of every hosted zone, following `NextMarker`.
pub(crate) async fn zone_ids(
    client: &reqwest::Client,
    moto_url: &str,
) -> Result<Vec<String>, String> {
    let mut ids = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let mut params = vec![("maxitems", "100".to_string())];
        if let Some(m) = &marker {
            params.push(("marker", m.clone()));
        }
        let u = reqwest::Url::parse_with_params(&url(moto_url, "/hostedzone"), &params)
            .map_err(|e| format!("moto URL: {e}"))?;
        let (status, body) = get(client, u).await?;
        let page: ListHostedZonesResponse = parse("ListHostedZones", status, &body)?;
        ids.extend(page.hosted_zones.items.iter().map(|z| bare_id(&z.id)));
        match page.next_marker {
            Some(next) if page.is_truncated && !next.is_empty() => marker = Some(next),
            _ => return Ok(ids),
        }
    }
}

/// TXT rrsets of one hosted zone: (canonical fqdn, raw values), following
/// `NextRecordName`/`NextRecordType`.
pub(crate) async fn txt_sets(
    client: &reqwest::Client,
    moto_url: &str,
    zone_id: &str,
) -> Result<Vec<(String, Vec<String>)>, String> {
    let mut sets = Vec::new();
    let mut start: Option<(String, String)> = None;
    loop {
        let mut params = vec![("maxitems", "300".to_string())];
        if let Some((name, kind)) = &start {
            params.push(("name", name.clone()));
            params.push(("type", kind.clone()));
        }
        let path = format!("/hostedzone/{zone_id}/rrset");
        let u = reqwest::Url::parse_with_params(&url(moto_url, &path), &params)
            .map_err(|e| format!("moto URL: {e}"))?;
        let (status, body) = get(client, u).await?;
        let page: ListResourceRecordSetsResponse = parse("ListResourceRecordSets", status, &body)?;
        for set in page.sets.items.into_iter().filter(|s| s.kind == "TXT") {
            let values = set
                .records
                .items
                .iter()
                .map(|r| txt::unquote(&r.value))
                .collect();
            sets.push((decode_name(&set.name), values));
        }
        match (page.is_truncated, page.next_name, page.next_type) {
            (true, Some(name), Some(kind)) => start = Some((name, kind)),
            _ => return Ok(sets),
        }
    }
}

/// A Route53 name (with `\ddd` octal escapes, e.g. `\052` for `*`) in
/// canonical form.
fn decode_name(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes.get(i..i + 4) {
            Some([b'\\', a, b, c]) if [a, b, c].iter().all(|d| (b'0'..=b'7').contains(*d)) => {
                let value =
                    u32::from(a - b'0') * 64 + u32::from(b - b'0') * 8 + u32::from(c - b'0');
                out.push(u8::try_from(value).unwrap_or(b'?'));
                i += 4;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    names::canonical(&String::from_utf8_lossy(&out))
}

/// Runs a blocking request on a thread of its own, so that callers inside
/// an async runtime may use the blocking helpers too.
fn off_thread<T: Send + 'static>(
    job: impl FnOnce(reqwest::blocking::Client) -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    std::thread::spawn(move || {
        let client = reqwest::blocking::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        job(client)
    })
    .join()
    .map_err(|_| "moto request thread panicked".to_string())?
}

/// CreateHostedZone with a unique CallerReference; the new zone's id
/// without the `/hostedzone/` prefix.
pub(crate) fn create_zone(moto_url: &str, name: &str) -> Result<String, String> {
    let url = url(moto_url, "/hostedzone");
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <CreateHostedZoneRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\">\
         <Name>{}</Name><CallerReference>sslboard-standin-{}</CallerReference>\
         </CreateHostedZoneRequest>",
        xml_escape(name),
        crate::store::random_hex()
    );
    off_thread(move |client| {
        let response = client
            .post(&url)
            .header("Authorization", AUTHORIZATION)
            .header("X-Amz-Date", AMZ_DATE)
            .header("Content-Type", "text/xml")
            .body(body)
            .send()
            .map_err(|e| format!("moto CreateHostedZone: {e}"))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .map_err(|e| format!("moto CreateHostedZone: {e}"))?;
        let created: CreateHostedZoneResponse = parse("CreateHostedZone", status, &text)?;
        Ok(bare_id(&created.hosted_zone.id))
    })
}

/// DeleteHostedZone (the zone must hold only its SOA and NS by then).
pub(crate) fn delete_zone(moto_url: &str, zone_id: &str) -> Result<(), String> {
    let url = url(moto_url, &format!("/hostedzone/{}", bare_id(zone_id)));
    off_thread(move |client| {
        let response = client
            .delete(&url)
            .header("Authorization", AUTHORIZATION)
            .header("X-Amz-Date", AMZ_DATE)
            .send()
            .map_err(|e| format!("moto DeleteHostedZone: {e}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let text = response.text().unwrap_or_default();
        Err(format!("moto DeleteHostedZone: HTTP {status}: {text}"))
    })
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_moto_listings() {
        let zones: ListHostedZonesResponse = parse(
            "t",
            200,
            r#"<?xml version="1.0" encoding="utf-8"?>
<ListHostedZonesResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HostedZones><HostedZone><Id>/hostedzone/ABC</Id><Name>probe.test.</Name><CallerReference>r</CallerReference><Config><PrivateZone>false</PrivateZone></Config><ResourceRecordSetCount>3</ResourceRecordSetCount></HostedZone></HostedZones><IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListHostedZonesResponse>"#,
        )
        .unwrap();
        assert_eq!(bare_id(&zones.hosted_zones.items[0].id), "ABC");
        let empty: ListHostedZonesResponse = parse(
            "t",
            200,
            r#"<ListHostedZonesResponse><HostedZones></HostedZones><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesResponse>"#,
        )
        .unwrap();
        assert!(empty.hosted_zones.items.is_empty());
        let sets: ListResourceRecordSetsResponse = parse(
            "t",
            200,
            r#"<ListResourceRecordSetsResponse><ResourceRecordSets><ResourceRecordSet><Name>probe.test.</Name><Type>SOA</Type><TTL>900</TTL><ResourceRecords><ResourceRecord><Value>{'Value': 'x'}</Value></ResourceRecord></ResourceRecords></ResourceRecordSet><ResourceRecordSet><Name>\052._x.probe.test.</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>"ab" "c\"d"</Value></ResourceRecord><ResourceRecord><Value>&quot;second&quot;</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>300</MaxItems></ListResourceRecordSetsResponse>"#,
        )
        .unwrap();
        let txt = &sets.sets.items[1];
        assert_eq!(decode_name(&txt.name), "*._x.probe.test");
        let values: Vec<String> = txt
            .records
            .items
            .iter()
            .map(|r| txt::unquote(&r.value))
            .collect();
        assert_eq!(values, ["abc\"d", "second"]);
    }
}
