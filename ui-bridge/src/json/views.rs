//! The contract's JSON objects for list items (`SecretMeta`, `ProviderMeta`),
//! serialized straight from the typed metadata. A list page of 500 items or
//! an export of 100 k is written without building a `serde_json::Value` map
//! per item (a B-tree insert per field and an allocation per string, which
//! was most of ui-bridge's time per page).
//!
//! Every struct declares its fields in the order serde_json's `Value` prints
//! a map (sorted by key), so the bytes are the ones a `Value` rendering of
//! the same object gives; the tests hold that.

use serde::Serialize;
use shared::protocol::dns::ProviderMeta;
use shared::protocol::keys::KeyType;
use shared::protocol::secrets::SecretMeta;

/// A `SecretMeta` as its JSON object.
#[derive(Serialize)]
pub struct SecretJson<'a> {
    #[serde(rename = "allowedHosts")]
    allowed_hosts: &'a Option<Vec<String>>,
    #[serde(rename = "createdAt")]
    created_at: &'a str,
    description: &'a str,
    expired: bool,
    #[serde(rename = "expiresAt")]
    expires_at: &'a Option<String>,
    external: Option<ExternalJson<'a>>,
    fields: &'a [String],
    #[serde(rename = "hasLocalValue")]
    has_local_value: bool,
    kind: &'static str,
    label: &'a str,
    name: &'a str,
    owner: &'a Option<String>,
    #[serde(rename = "publicKey")]
    public_key: Option<PublicKeyJson<'a>>,
    #[serde(rename = "ref")]
    reference: &'a str,
    tags: &'a [String],
    #[serde(rename = "type")]
    secret_type: &'static str,
    #[serde(rename = "updatedAt")]
    updated_at: &'a str,
}

#[derive(Serialize)]
struct ExternalJson<'a> {
    path: &'a str,
}

#[derive(Serialize)]
struct PublicKeyJson<'a> {
    #[serde(rename = "jwkThumbprint")]
    jwk_thumbprint: &'a str,
    #[serde(rename = "keyType")]
    key_type: &'a KeyType,
    #[serde(rename = "spkiSha256")]
    spki_sha256: &'a str,
}

impl<'a> From<&'a SecretMeta> for SecretJson<'a> {
    fn from(m: &'a SecretMeta) -> Self {
        Self {
            allowed_hosts: &m.allowed_hosts,
            created_at: &m.created_at,
            description: &m.description,
            expired: m.expired,
            expires_at: &m.expires_at,
            external: m.external.as_ref().map(|e| ExternalJson { path: &e.path }),
            fields: &m.fields,
            has_local_value: m.has_local_value,
            kind: m.kind.as_str(),
            label: &m.label,
            name: &m.name,
            owner: &m.owner,
            public_key: m.public_key.as_ref().map(|p| PublicKeyJson {
                jwk_thumbprint: &p.jwk_thumbprint,
                key_type: &p.key_type,
                spki_sha256: &p.spki_sha256,
            }),
            reference: &m.reference,
            tags: &m.tags,
            secret_type: m.secret_type.as_str(),
            updated_at: &m.updated_at,
        }
    }
}

/// A `ProviderMeta` as its JSON object, the stored configuration rendered as
/// the object it is.
#[derive(Serialize)]
pub struct ProviderJson<'a> {
    ambiguous: bool,
    config: serde_json::Value,
    #[serde(rename = "createdAt")]
    created_at: &'a str,
    #[serde(rename = "domainSuffixes")]
    domain_suffixes: &'a [String],
    #[serde(rename = "hasToken")]
    has_token: bool,
    id: &'a str,
    label: &'a str,
    #[serde(rename = "secretRef")]
    secret_ref: &'a Option<String>,
    #[serde(rename = "type")]
    provider_type: &'static str,
    #[serde(rename = "updatedAt")]
    updated_at: &'a str,
}

impl<'a> From<&'a ProviderMeta> for ProviderJson<'a> {
    fn from(p: &'a ProviderMeta) -> Self {
        Self {
            ambiguous: p.ambiguous,
            // A few keys: parsed so that it is written as the object it is.
            config: serde_json::from_str(&p.config_json)
                .unwrap_or_else(|_| serde_json::Value::Object(serde_json::Map::new())),
            created_at: &p.created_at,
            domain_suffixes: &p.domain_suffixes,
            has_token: p.secret_ref.is_some(),
            id: &p.id,
            label: &p.label,
            secret_ref: &p.secret_ref,
            provider_type: p.provider_type.as_str(),
            updated_at: &p.updated_at,
        }
    }
}

/// A response line, `{"id", "ok": true, "result"}` (keys sorted).
#[derive(Serialize)]
struct OkLine<R> {
    id: u64,
    ok: bool,
    result: R,
}

/// A list page, `{"next", <items>}`: written as a map because the items'
/// key differs per list. "next" sorts before every items key used here
/// ("providers", "secrets"), so the order is a `Value`'s.
struct Page<'a, T> {
    next: &'a Option<String>,
    items_key: &'static str,
    items: Vec<T>,
}

impl<T: Serialize> Serialize for Page<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(2))?;
        map.serialize_entry("next", self.next)?;
        map.serialize_entry(self.items_key, &self.items)?;
        map.end()
    }
}

fn page_line<T: Serialize>(
    id: u64,
    items_key: &'static str,
    items: Vec<T>,
    next: &Option<String>,
) -> serde_json::Result<String> {
    serde_json::to_string(&OkLine {
        id,
        ok: true,
        result: Page {
            next,
            items_key,
            items,
        },
    })
}

/// The response line of a `secret_list` page.
pub fn secret_page(
    id: u64,
    list: &[SecretMeta],
    next: &Option<String>,
) -> serde_json::Result<String> {
    page_line(
        id,
        "secrets",
        list.iter().map(SecretJson::from).collect(),
        next,
    )
}

/// The response line of a `dns_provider_list` page.
pub fn provider_page(
    id: u64,
    list: &[ProviderMeta],
    next: &Option<String>,
) -> serde_json::Result<String> {
    page_line(
        id,
        "providers",
        list.iter().map(ProviderJson::from).collect(),
        next,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use shared::protocol::dns::ProviderType;
    use shared::protocol::keys::PublicKeyMeta;
    use shared::protocol::secrets::{ExternalSource, SecretKind, SecretType};

    fn full_secret() -> SecretMeta {
        SecretMeta {
            reference: "sec_0123".into(),
            name: "acme-key".into(),
            kind: SecretKind::AcmeAccountKey,
            secret_type: SecretType::ApiKey,
            label: "L".into(),
            description: "D \"quoted\"".into(),
            tags: vec!["a".into(), "b".into()],
            fields: vec!["value".into()],
            created_at: "2026-01-01T00:00:00.000000Z".into(),
            updated_at: "2026-01-02T00:00:00.000000Z".into(),
            owner: Some("dns_prov_1".into()),
            expires_at: Some("2027-01-01T00:00:00Z".into()),
            expired: true,
            external: Some(ExternalSource {
                path: "kv/x".into(),
            }),
            has_local_value: false,
            public_key: Some(PublicKeyMeta {
                key_type: KeyType::EcP384,
                spki_sha256: "ab".into(),
                jwk_thumbprint: "cd".into(),
            }),
            allowed_hosts: Some(vec!["deploy.example".into()]),
        }
    }

    fn bare_secret() -> SecretMeta {
        SecretMeta {
            owner: None,
            expires_at: None,
            external: None,
            public_key: None,
            allowed_hosts: None,
            tags: vec![],
            ..full_secret()
        }
    }

    fn provider(config: &str, token: bool) -> ProviderMeta {
        ProviderMeta {
            id: "dns_prov_1".into(),
            provider_type: ProviderType::Powerdns,
            label: "P".into(),
            domain_suffixes: vec!["example.com".into()],
            secret_ref: token.then(|| "sec_1".into()),
            config_json: config.into(),
            created_at: "2026-01-01T00:00:00.000000Z".into(),
            updated_at: "2026-01-01T00:00:00.000000Z".into(),
            ambiguous: true,
        }
    }

    /// Written straight, each object is byte for byte what a `Value` of it
    /// prints: the fields are declared in sorted order.
    #[test]
    fn typed_rendering_is_the_value_rendering() {
        for m in [full_secret(), bare_secret()] {
            let typed = serde_json::to_string(&SecretJson::from(&m)).unwrap();
            let value: Value = serde_json::from_str(&typed).unwrap();
            assert_eq!(typed, value.to_string());
        }
        for p in [
            provider(r#"{"serverUrl":"http://x","serverId":"localhost"}"#, true),
            provider("{}", false),
            provider("not json", false),
        ] {
            let typed = serde_json::to_string(&ProviderJson::from(&p)).unwrap();
            let value: Value = serde_json::from_str(&typed).unwrap();
            assert_eq!(typed, value.to_string());
        }
    }

    /// The contract's names and shapes (docs/protocol.md).
    #[test]
    fn the_contract_fields() {
        let v = serde_json::to_value(SecretJson::from(&full_secret())).unwrap();
        assert_eq!(
            v,
            json!({
                "ref": "sec_0123", "name": "acme-key", "kind": "acme_account_key",
                "type": "api_key", "label": "L", "description": "D \"quoted\"",
                "tags": ["a", "b"], "fields": ["value"],
                "createdAt": "2026-01-01T00:00:00.000000Z",
                "updatedAt": "2026-01-02T00:00:00.000000Z",
                "owner": "dns_prov_1", "expiresAt": "2027-01-01T00:00:00Z",
                "expired": true, "external": {"path": "kv/x"}, "hasLocalValue": false,
                "allowedHosts": ["deploy.example"],
                "publicKey": {"keyType": "ec-p384", "spkiSha256": "ab", "jwkThumbprint": "cd"},
            })
        );
        let v = serde_json::to_value(ProviderJson::from(&provider(
            r#"{"serverId":"localhost"}"#,
            true,
        )))
        .unwrap();
        assert_eq!(
            v,
            json!({
                "id": "dns_prov_1", "type": "powerdns", "label": "P",
                "domainSuffixes": ["example.com"], "hasToken": true, "secretRef": "sec_1",
                "config": {"serverId": "localhost"},
                "createdAt": "2026-01-01T00:00:00.000000Z",
                "updatedAt": "2026-01-01T00:00:00.000000Z", "ambiguous": true,
            })
        );
        let v = serde_json::to_value(ProviderJson::from(&provider("not json", false))).unwrap();
        assert_eq!(v["config"], json!({}));
    }

    #[test]
    fn page_lines_are_the_envelope_around_the_items() {
        let list = vec![full_secret(), bare_secret()];
        for next in [None, Some("cursor".to_string())] {
            let line = secret_page(7, &list, &next).unwrap();
            let want = json!({"id": 7, "ok": true, "result": {
                "secrets": list.iter().map(|m| serde_json::to_value(SecretJson::from(m)).unwrap()).collect::<Vec<_>>(),
                "next": next,
            }});
            assert_eq!(line, want.to_string());
        }
        let ps = vec![provider("{}", true)];
        let line = provider_page(8, &ps, &None).unwrap();
        let want = json!({"id": 8, "ok": true, "result": {
            "providers": [serde_json::to_value(ProviderJson::from(&ps[0])).unwrap()],
            "next": null,
        }});
        assert_eq!(line, want.to_string());
    }
}
