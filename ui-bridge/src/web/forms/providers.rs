//! DNS provider forms → `dns_provider_create` / `dns_provider_update`.
//!
//! Config inputs are named `config.<type>.<field>` and become the JSON
//! object the core parses per type; the token input is `apiToken` and is
//! left out of an update when empty, so editing never needs the token again.

use serde_json::{Map, Value};
use shared::error::WireError;
use shared::protocol::dns::{NewProvider, ProviderType, ProviderUpdate, SuffixInput, TestParams};

use super::FormData;
use crate::web::fields::provider_fields;

/// Name of the input carrying config `field` of type `t`.
pub fn config_input(t: ProviderType, field: &str) -> String {
    format!("config.{}.{field}", t.as_str())
}

/// The provider type the form chose.
pub fn chosen_type(form: &FormData) -> Result<ProviderType, WireError> {
    ProviderType::parse(form.text("type").unwrap_or_default())
        .ok_or_else(|| WireError::validation("choose a provider type").with_field("type"))
}

/// The config object of type `t` as JSON text (blank inputs left out).
pub fn config_json(form: &FormData, t: ProviderType) -> String {
    let mut obj = Map::new();
    for field in provider_fields(t) {
        if let Some(v) = form.nonblank(&config_input(t, field.key)) {
            obj.insert(field.key.to_string(), Value::String(v.to_string()));
        }
    }
    Value::Object(obj).to_string()
}

/// `dns_provider_create` from the add form.
pub fn create(form: &mut FormData) -> Result<NewProvider, WireError> {
    let t = chosen_type(form)?;
    let api_token = if t.needs_token() {
        form.take("apiToken")
    } else {
        None
    };
    Ok(NewProvider {
        provider_type: t.as_str().to_string(),
        label: form.text("label").unwrap_or_default().to_string(),
        domain_suffixes: SuffixInput::Text(form.text("domainSuffixes").unwrap_or_default().into()),
        api_token,
        config_json: Some(config_json(form, t)),
    })
}

/// `dns_provider_update` from the edit form of provider `id` of type `t`.
pub fn update(form: &mut FormData, id: &str, t: ProviderType) -> ProviderUpdate {
    ProviderUpdate {
        id: id.to_string(),
        label: Some(form.text("label").unwrap_or_default().to_string()),
        domain_suffixes: Some(SuffixInput::Text(
            form.text("domainSuffixes").unwrap_or_default().into(),
        )),
        config_json: Some(config_json(form, t)),
        api_token: form.take("apiToken"),
    }
}

/// `dns_provider_update` replacing only the token.
pub fn replace_token(form: &mut FormData, id: &str) -> Result<ProviderUpdate, WireError> {
    let token = form
        .take("apiToken")
        .ok_or_else(|| WireError::validation("enter the new token").with_field("apiToken"))?;
    Ok(ProviderUpdate {
        id: id.to_string(),
        label: None,
        domain_suffixes: None,
        config_json: None,
        api_token: Some(token),
    })
}

/// `dns_provider_test` parameters from the Test Connection form.
pub fn test(form: &FormData, id: &str) -> TestParams {
    TestParams {
        id: id.to_string(),
        suffix: form.nonblank("suffix").map(str::to_string),
        timeout_secs: form.nonblank("timeoutSecs").and_then(|t| t.parse().ok()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_builds_config_of_the_chosen_type() {
        let mut f = FormData::parse(
            b"type=powerdns&label=L&domainSuffixes=a.test&apiToken=k&config.powerdns.serverUrl=http%3A%2F%2Fx&config.powerdns.serverId=&config.route53.region=r",
        );
        let p = create(&mut f).unwrap();
        assert_eq!(
            p.config_json.as_deref(),
            Some(r#"{"serverUrl":"http://x"}"#)
        );
        assert!(p.api_token.is_some());
    }

    #[test]
    fn manual_takes_no_token_and_update_keeps_it() {
        let mut f = FormData::parse(b"type=manual&label=L&domainSuffixes=a&apiToken=k");
        assert!(create(&mut f).unwrap().api_token.is_none());
        let mut f = FormData::parse(b"label=L&domainSuffixes=a&apiToken=");
        assert!(update(&mut f, "dns_prov_x", ProviderType::Cloudflare)
            .api_token
            .is_none());
        let mut f = FormData::parse(b"apiToken=");
        assert_eq!(
            replace_token(&mut f, "x").unwrap_err().field.as_deref(),
            Some("apiToken")
        );
    }
}
