//! DNS provider forms → `dns_provider_create` / `dns_provider_update`.
//!
//! Config inputs are named `config.<type>.<field>` and become the JSON
//! object the core parses per type. The token is `apiToken`, except for
//! Route 53, whose two inputs (`token.accessKeyId`,
//! `token.secretAccessKey`) are joined here into the core's
//! `ACCESS_KEY_ID:SECRET_ACCESS_KEY`; a token left empty is left out of an
//! update, so editing never needs it again.

use serde_json::{Map, Value};
use shared::error::WireError;
use shared::protocol::dns::{NewProvider, ProviderType, ProviderUpdate, SuffixInput, TestParams};

use shared::secret::SecretString;

use super::FormData;
use crate::web::fields::{provider_fields, ACCESS_KEY_ID, SECRET_ACCESS_KEY, TOKEN};

/// Name of the input carrying config `field` of type `t`.
pub fn config_input(t: ProviderType, field: &str) -> String {
    format!("config.{}.{field}", t.as_str())
}

/// Name of the input carrying token part `key` (see `fields::token_fields`).
pub fn token_input(key: &str) -> String {
    if key == TOKEN {
        TOKEN.to_string()
    } else {
        format!("token.{key}")
    }
}

/// The token of type `t` from the form (values moved out of it): `None`
/// when every token input is empty. Route 53's two inputs are joined into
/// `ACCESS_KEY_ID:SECRET_ACCESS_KEY`; one without the other is an error
/// next to the missing one.
pub fn token(form: &mut FormData, t: ProviderType) -> Result<Option<SecretString>, WireError> {
    if !t.needs_token() {
        return Ok(None);
    }
    if t != ProviderType::Route53 {
        return Ok(form.take(TOKEN));
    }
    let id = form.take(&token_input(ACCESS_KEY_ID));
    let secret = form.take(&token_input(SECRET_ACCESS_KEY));
    match (id, secret) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(WireError::validation(
            "enter the secret access key that belongs to this access key ID",
        )
        .with_field(TOKEN)),
        (None, Some(_)) => Err(WireError::validation(
            "enter the access key ID that belongs to this secret access key",
        )
        .with_field(ACCESS_KEY_ID)),
        (Some(id), Some(secret)) => {
            // EXPOSE: joined once into the zeroizing token the core expects.
            let (id, secret) = (id.expose().trim(), secret.expose().trim());
            if id.contains(':') || id.chars().any(char::is_whitespace) {
                return Err(WireError::validation(
                    "an access key ID has no `:` or spaces (it looks like AKIA…)",
                )
                .with_field(ACCESS_KEY_ID));
            }
            let mut joined = String::with_capacity(id.len() + 1 + secret.len());
            joined.push_str(id);
            joined.push(':');
            joined.push_str(secret);
            Ok(Some(SecretString::new(joined)))
        }
    }
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
    let api_token = token(form, t)?;
    Ok(NewProvider {
        provider_type: t.as_str().to_string(),
        label: form.text("label").unwrap_or_default().to_string(),
        domain_suffixes: SuffixInput::Text(form.text("domainSuffixes").unwrap_or_default().into()),
        api_token,
        config_json: Some(config_json(form, t)),
    })
}

/// `dns_provider_update` from the edit form of provider `id` of type `t`.
pub fn update(form: &mut FormData, id: &str, t: ProviderType) -> Result<ProviderUpdate, WireError> {
    Ok(ProviderUpdate {
        id: id.to_string(),
        label: Some(form.text("label").unwrap_or_default().to_string()),
        domain_suffixes: Some(SuffixInput::Text(
            form.text("domainSuffixes").unwrap_or_default().into(),
        )),
        config_json: Some(config_json(form, t)),
        api_token: token(form, t)?,
    })
}

/// `dns_provider_update` replacing only the token of a provider of type `t`.
pub fn replace_token(
    form: &mut FormData,
    id: &str,
    t: ProviderType,
) -> Result<ProviderUpdate, WireError> {
    let token = token(form, t)?
        .ok_or_else(|| WireError::validation("enter the new token").with_field(TOKEN))?;
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
            .unwrap()
            .api_token
            .is_none());
        let mut f = FormData::parse(b"apiToken=");
        assert_eq!(
            replace_token(&mut f, "x", ProviderType::Powerdns)
                .unwrap_err()
                .field
                .as_deref(),
            Some("apiToken")
        );
    }

    #[test]
    fn route53_joins_its_two_fields_into_one_token() {
        let mut f = FormData::parse(
            b"type=route53&label=L&domainSuffixes=a.test&token.accessKeyId=AKIAEXAMPLE&token.secretAccessKey=s%2Fe%2Bcret&apiToken=ignored&config.route53.region=eu-west-1",
        );
        let p = create(&mut f).unwrap();
        assert_eq!(p.provider_type, "route53");
        assert_eq!(
            p.api_token.as_ref().map(|t| t.expose().to_string()),
            Some("AKIAEXAMPLE:s/e+cret".to_string())
        );
        assert_eq!(p.config_json.as_deref(), Some(r#"{"region":"eu-west-1"}"#));
        // the same through the JSON contract's command: one token, same shape
        let mut f = FormData::parse(b"token.accessKeyId=ID2&token.secretAccessKey=S2");
        let u = replace_token(&mut f, "dns_prov_x", ProviderType::Route53).unwrap();
        assert_eq!(
            u.api_token.map(|t| t.expose().to_string()),
            Some("ID2:S2".into())
        );
        // one half alone is refused next to the missing half
        let mut f = FormData::parse(b"type=route53&label=L&domainSuffixes=a&token.accessKeyId=ID");
        assert_eq!(
            create(&mut f).unwrap_err().field.as_deref(),
            Some("apiToken")
        );
        let mut f =
            FormData::parse(b"type=route53&label=L&domainSuffixes=a&token.secretAccessKey=S");
        assert_eq!(
            create(&mut f).unwrap_err().field.as_deref(),
            Some("accessKeyId")
        );
        let mut f = FormData::parse(
            b"type=route53&label=L&domainSuffixes=a&token.accessKeyId=A%3AB&token.secretAccessKey=S",
        );
        assert_eq!(
            create(&mut f).unwrap_err().field.as_deref(),
            Some("accessKeyId")
        );
        // both empty on an edit: the stored token is kept
        let mut f =
            FormData::parse(b"label=L&domainSuffixes=a&token.accessKeyId=&token.secretAccessKey=");
        assert!(update(&mut f, "x", ProviderType::Route53)
            .unwrap()
            .api_token
            .is_none());
    }
}
