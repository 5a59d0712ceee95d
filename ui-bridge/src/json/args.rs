//! Argument shapes of each UI command, exactly as the JSON contract spells
//! them (camelCase, unknown fields rejected), and their conversion into the
//! typed protocol. Secret inputs land directly in zeroizing containers.

use std::collections::BTreeMap;

use serde::Deserialize;
use shared::error::WireError;
use shared::protocol::acme::{parse_key_type, EabInput, IssueParams, NewAcmeAccount};
use shared::protocol::dns::{NewProvider, ProviderUpdate, SuffixInput, TestParams};
use shared::protocol::keys::{ImportKey, KeyType, NewKey};
use shared::protocol::secrets::{
    ExternalProviderConfig, ExternalProviderKind, ExternalSource, NewSecret, SecretFilter,
    SecretKind, SecretSelector, SecretType, SecretUpdate,
};
use shared::secret::SecretString;

/// No arguments.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoArgs {}

/// `{ref}` or `{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectorArgs {
    #[serde(rename = "ref")]
    reference: Option<String>,
    name: Option<String>,
}

fn selector(reference: Option<String>, name: Option<String>) -> Result<SecretSelector, WireError> {
    match (reference, name) {
        (Some(r), None) => Ok(SecretSelector::Ref(r)),
        (None, Some(n)) => Ok(SecretSelector::Name(n)),
        _ => Err(WireError::invalid_request(
            "give exactly one of `ref` or `name`",
        )),
    }
}

impl SelectorArgs {
    /// The selector.
    pub fn into_selector(self) -> Result<SecretSelector, WireError> {
        selector(self.reference, self.name)
    }
}

fn parse_kind(kind: Option<String>) -> Result<Option<SecretKind>, WireError> {
    kind.map(|k| {
        SecretKind::parse(&k).ok_or_else(|| {
            let all: Vec<&str> = SecretKind::ALL.iter().map(|k| k.as_str()).collect();
            WireError::validation(format!("unknown kind `{k}`; supported: {}", all.join(", ")))
                .with_field("kind")
        })
    })
    .transpose()
}

fn parse_type(t: Option<String>) -> Result<Option<SecretType>, WireError> {
    t.map(|t| {
        SecretType::parse(&t).ok_or_else(|| {
            let all: Vec<&str> = SecretType::ALL.iter().map(|t| t.as_str()).collect();
            WireError::validation(format!("unknown type `{t}`; supported: {}", all.join(", ")))
                .with_field("type")
        })
    })
    .transpose()
}

/// `{path}` of an externally sourced secret.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalArgs {
    path: String,
}

/// `secret_create`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretCreateArgs {
    name: String,
    #[serde(rename = "type")]
    secret_type: String,
    #[serde(default)]
    data: BTreeMap<String, SecretString>,
    kind: Option<String>,
    label: Option<String>,
    description: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    external: Option<ExternalArgs>,
}

impl SecretCreateArgs {
    /// The typed request (owner is never settable from the UI).
    pub fn into_new(self) -> Result<NewSecret, WireError> {
        Ok(NewSecret {
            name: self.name,
            secret_type: parse_type(Some(self.secret_type))?
                .ok_or_else(|| WireError::validation("type is required"))?,
            kind: parse_kind(self.kind)?.unwrap_or(SecretKind::Generic),
            data: self.data,
            label: self.label,
            description: self.description,
            tags: self.tags,
            owner: None,
            external: self.external.map(|e| ExternalSource { path: e.path }),
            binding: None,
        })
    }
}

/// `key_create`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeyCreateArgs {
    kind: String,
    #[serde(default)]
    key_type: Option<KeyType>,
    name: Option<String>,
    label: Option<String>,
    description: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

impl KeyCreateArgs {
    /// The typed request (owner is never settable from the UI).
    pub fn into_new(self) -> Result<NewKey, WireError> {
        Ok(NewKey {
            kind: parse_kind(Some(self.kind))?
                .ok_or_else(|| WireError::validation("kind is required"))?,
            key_type: self.key_type.unwrap_or_default(),
            name: self.name,
            label: self.label,
            description: self.description,
            tags: self.tags,
            owner: None,
        })
    }
}

/// `key_import`: the PEM goes straight into a zeroizing container.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct KeyImportArgs {
    kind: String,
    pem: SecretString,
    name: Option<String>,
    label: Option<String>,
    description: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

impl KeyImportArgs {
    /// The typed request.
    pub fn into_import(self) -> Result<ImportKey, WireError> {
        Ok(ImportKey {
            kind: parse_kind(Some(self.kind))?
                .ok_or_else(|| WireError::validation("kind is required"))?,
            pem: self.pem,
            name: self.name,
            label: self.label,
            description: self.description,
            tags: self.tags,
        })
    }
}

/// `secret_update`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SecretUpdateArgs {
    #[serde(rename = "ref")]
    reference: Option<String>,
    name: Option<String>,
    data: Option<BTreeMap<String, SecretString>>,
    label: Option<String>,
    description: Option<String>,
    tags: Option<Vec<String>>,
}

impl SecretUpdateArgs {
    /// Selector and change.
    pub fn into_parts(self) -> Result<(SecretSelector, SecretUpdate), WireError> {
        let sel = selector(self.reference, self.name)?;
        Ok((
            sel,
            SecretUpdate {
                data: self.data,
                label: self.label,
                description: self.description,
                tags: self.tags,
                binding: None,
            },
        ))
    }
}

/// `secret_list`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretListArgs {
    kind: Option<String>,
    #[serde(rename = "type")]
    secret_type: Option<String>,
    tag: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
}

impl SecretListArgs {
    /// The filter and the page.
    pub fn into_parts(self) -> Result<(SecretFilter, Option<String>, Option<u32>), WireError> {
        let filter = SecretFilter {
            kind: parse_kind(self.kind)?,
            secret_type: parse_type(self.secret_type)?,
            tag: self.tag,
        };
        Ok((filter, self.after, self.limit))
    }
}

/// `template_validate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateArgs {
    /// The template text.
    pub template: String,
}

/// `external_provider_set`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExternalSetArgs {
    kind: String,
    address: String,
    mount: String,
    token: SecretString,
    path_prefix: Option<String>,
    namespace: Option<String>,
    ca_pem: Option<String>,
}

impl ExternalSetArgs {
    /// The typed config.
    pub fn into_config(self) -> Result<ExternalProviderConfig, WireError> {
        let kind = match self.kind.as_str() {
            "openbao" => ExternalProviderKind::Openbao,
            "vault" => ExternalProviderKind::Vault,
            other => {
                return Err(WireError::validation(format!(
                    "unknown kind `{other}`; supported: openbao, vault"
                ))
                .with_field("kind"))
            }
        };
        Ok(ExternalProviderConfig {
            kind,
            address: self.address,
            mount: self.mount,
            token: self.token,
            path_prefix: self.path_prefix,
            namespace: self.namespace,
            ca_pem: self.ca_pem,
        })
    }
}

/// Suffixes as a string or a list.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum SuffixArg {
    /// One string.
    Text(String),
    /// A list.
    List(Vec<String>),
}

impl From<SuffixArg> for SuffixInput {
    fn from(s: SuffixArg) -> Self {
        match s {
            SuffixArg::Text(t) => SuffixInput::Text(t),
            SuffixArg::List(l) => SuffixInput::List(l),
        }
    }
}

fn config_text(config: Option<&serde_json::value::RawValue>) -> Option<String> {
    config.map(|c| c.get().to_string())
}

/// `dns_provider_create`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderCreateArgs<'a> {
    #[serde(rename = "type")]
    provider_type: String,
    label: String,
    domain_suffixes: SuffixArg,
    api_token: Option<SecretString>,
    #[serde(borrow)]
    config: Option<&'a serde_json::value::RawValue>,
}

impl ProviderCreateArgs<'_> {
    /// The typed request.
    pub fn into_new(self) -> NewProvider {
        NewProvider {
            provider_type: self.provider_type,
            label: self.label,
            domain_suffixes: self.domain_suffixes.into(),
            api_token: self.api_token,
            config_json: config_text(self.config),
        }
    }
}

/// `dns_provider_update`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderUpdateArgs<'a> {
    id: String,
    label: Option<String>,
    domain_suffixes: Option<SuffixArg>,
    api_token: Option<SecretString>,
    #[serde(borrow)]
    config: Option<&'a serde_json::value::RawValue>,
}

impl ProviderUpdateArgs<'_> {
    /// The typed request.
    pub fn into_update(self) -> ProviderUpdate {
        ProviderUpdate {
            id: self.id,
            label: self.label,
            domain_suffixes: self.domain_suffixes.map(Into::into),
            config_json: config_text(self.config),
            api_token: self.api_token,
        }
    }
}

/// `{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdArgs {
    /// Provider id.
    pub id: String,
}

/// `dns_provider_test`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TestArgs {
    id: String,
    suffix: Option<String>,
    timeout_secs: Option<u64>,
}

impl TestArgs {
    /// The typed request.
    pub fn into_params(self) -> TestParams {
        TestParams {
            id: self.id,
            suffix: self.suffix,
            timeout_secs: self.timeout_secs,
        }
    }
}

/// `dns_provider_test_cancel`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CancelArgs {
    /// UI request id of the running test.
    pub request_id: u64,
}

/// `dns_provider_list`: one page.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListArgs {
    /// Id of the last provider of the previous page.
    pub after: Option<String>,
    /// Page size (default 500, at most 2000).
    pub limit: Option<u32>,
}

/// `dns_resolve`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResolveArgs {
    /// Hostname.
    pub hostname: String,
    /// TXT value for manual instructions.
    pub value: Option<String>,
}

/// `eab` of `acme_account_create`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EabArgs {
    kid: String,
    hmac_key: SecretString,
}

/// `acme_account_create`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AcmeAccountCreateArgs {
    directory_url: String,
    #[serde(default)]
    contact: Vec<String>,
    terms_of_service_agreed: bool,
    key_type: Option<String>,
    key_ref: Option<String>,
    eab: Option<EabArgs>,
    ca_pem: Option<String>,
}

/// A key type name, or `validation` naming the field.
fn key_type(raw: Option<String>) -> Result<Option<KeyType>, WireError> {
    raw.map(|t| {
        parse_key_type(&t).ok_or_else(|| {
            WireError::validation(
                "keyType must be one of ec-p256, ec-p384, rsa-2048, rsa-3072, rsa-4096",
            )
            .with_field("keyType")
        })
    })
    .transpose()
}

impl AcmeAccountCreateArgs {
    /// The typed request.
    pub fn into_new(self) -> Result<NewAcmeAccount, WireError> {
        Ok(NewAcmeAccount {
            directory_url: self.directory_url,
            contact: self.contact,
            terms_of_service_agreed: self.terms_of_service_agreed,
            key_type: key_type(self.key_type)?,
            key_ref: self.key_ref,
            eab: self.eab.map(|e| EabInput {
                kid: e.kid,
                hmac_key: e.hmac_key,
            }),
            ca_pem: self.ca_pem,
        })
    }
}

/// `acme_account_delete`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmeAccountDeleteArgs {
    /// Account id.
    pub id: String,
    /// Deactivate at the CA first.
    #[serde(default)]
    pub deactivate: bool,
}

/// `certificate_issue`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct IssueArgs {
    account_id: String,
    names: Vec<String>,
    key_type: Option<String>,
    timeout_secs: Option<u64>,
}

impl IssueArgs {
    /// The typed request.
    pub fn into_params(self) -> Result<IssueParams, WireError> {
        if let Some(t) = self.timeout_secs {
            if !(1..=3600).contains(&t) {
                return Err(
                    WireError::validation("timeoutSecs must be 1–3600").with_field("timeoutSecs")
                );
            }
        }
        Ok(IssueParams {
            account_id: self.account_id,
            names: self.names,
            key_type: key_type(self.key_type)?,
            timeout_secs: self.timeout_secs,
        })
    }
}
