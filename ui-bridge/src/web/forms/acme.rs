//! ACME account and certificate forms → `acme_account_create`,
//! `certificate_issue`.
//!
//! An account form names its directory by a preset (Let's Encrypt
//! production or staging, whose URLs are fixed here) or `custom` with a
//! directory URL and an optional CA PEM. The contact is typed as e-mail
//! addresses and sent as `mailto:` URLs. The EAB HMAC key is a value: it is
//! moved out of the form into the request and never rendered again.
//! Certificate names are typed space, comma or newline separated. Renew,
//! revoke and export forms map onto `certificate_renew`,
//! `certificate_revoke` and `certificate_export`.

use shared::error::WireError;
use shared::protocol::acme::{
    parse_key_type, EabInput, ExportRequest, IssueParams, NewAcmeAccount, RenewParams,
    RevocationReason, RevokeParams,
};
use shared::protocol::keys::KeyType;

use super::{split_list, FormData};
use crate::web::typed::FormType;

/// Where an account's directory comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directory {
    /// Let's Encrypt, production.
    LetsEncrypt,
    /// Let's Encrypt, staging (untrusted test certificates, high limits).
    LetsEncryptStaging,
    /// Any other ACME CA by its directory URL.
    Custom,
}

/// Let's Encrypt's production directory.
pub const LE_PRODUCTION: &str = "https://acme-v02.api.letsencrypt.org/directory";

/// Let's Encrypt's staging directory.
pub const LE_STAGING: &str = "https://acme-staging-v02.api.letsencrypt.org/directory";

/// Where Let's Encrypt publishes its current subscriber agreement.
pub const LE_TERMS: &str = "https://letsencrypt.org/repository/";

impl Directory {
    /// Every choice, in the order offered.
    pub const ALL: [Directory; 3] = [
        Directory::LetsEncrypt,
        Directory::LetsEncryptStaging,
        Directory::Custom,
    ];

    /// The fixed directory URL of a preset.
    pub fn url(self) -> Option<&'static str> {
        match self {
            Directory::LetsEncrypt => Some(LE_PRODUCTION),
            Directory::LetsEncryptStaging => Some(LE_STAGING),
            Directory::Custom => None,
        }
    }

    /// The page that holds the CA's terms, when known before asking the CA.
    pub fn terms(self) -> Option<&'static str> {
        match self {
            Directory::LetsEncrypt | Directory::LetsEncryptStaging => Some(LE_TERMS),
            Directory::Custom => None,
        }
    }
}

impl FormType for Directory {
    fn all() -> &'static [Self] {
        &Directory::ALL
    }
    fn value(self) -> &'static str {
        match self {
            Directory::LetsEncrypt => "letsencrypt",
            Directory::LetsEncryptStaging => "letsencrypt-staging",
            Directory::Custom => "custom",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Directory::LetsEncrypt => "Let's Encrypt",
            Directory::LetsEncryptStaging => "Let's Encrypt (staging)",
            Directory::Custom => "Another ACME CA",
        }
    }
    fn blurb(self) -> &'static str {
        match self {
            Directory::LetsEncrypt => "Free, browser-trusted certificates; rate limits apply.",
            Directory::LetsEncryptStaging => {
                "For trying things out: high limits, certificates browsers do not trust."
            }
            Directory::Custom => {
                "Any CA with an ACME directory URL (ZeroSSL, Google, step-ca, pebble, …), optionally with its CA certificate."
            }
        }
    }
}

/// The people-facing name of a key type.
pub fn key_type_label(t: KeyType) -> &'static str {
    match t {
        KeyType::EcP256 => "ECDSA P-256 (recommended)",
        KeyType::EcP384 => "ECDSA P-384",
        KeyType::Rsa2048 => "RSA 2048",
        KeyType::Rsa3072 => "RSA 3072",
        KeyType::Rsa4096 => "RSA 4096",
    }
}

/// The key type the form chose (`keyType`; default ECDSA P-256).
pub fn key_type(form: &FormData) -> Result<KeyType, WireError> {
    match form.nonblank("keyType") {
        None => Ok(KeyType::default()),
        Some(v) => parse_key_type(v)
            .ok_or_else(|| WireError::validation("choose a key type").with_field("keyType")),
    }
}

/// The directory choice of the form (`type`).
pub fn directory(form: &FormData) -> Result<Directory, WireError> {
    Directory::from_value(form.text("type").unwrap_or_default())
        .ok_or_else(|| WireError::validation("choose a certificate authority").with_field("type"))
}

/// E-mail addresses (comma or space separated) → `mailto:` URLs.
pub fn contacts(text: &str) -> Result<Vec<String>, WireError> {
    split_list(text)
        .into_iter()
        .map(|a| {
            let a = a.strip_prefix("mailto:").unwrap_or(&a).to_string();
            let ok = matches!(a.split_once('@'), Some((l, d)) if !l.is_empty() && d.contains('.') && !d.starts_with('.'));
            if ok && !a.contains(['<', '>', '?', '&', ',']) {
                Ok(format!("mailto:{a}"))
            } else {
                Err(
                    WireError::validation(format!("`{a}` is not an e-mail address"))
                        .with_field("contact"),
                )
            }
        })
        .collect()
}

/// `acme_account_create` from the form; the EAB HMAC key is moved out of it.
pub fn new_account(form: &mut FormData) -> Result<NewAcmeAccount, WireError> {
    let dir = directory(form)?;
    let hmac = form.take("eab.hmacKey");
    let directory_url = match dir.url() {
        Some(u) => u.to_string(),
        None => form
            .nonblank("directoryUrl")
            .ok_or_else(|| {
                WireError::validation("enter the CA's ACME directory URL (https://…)")
                    .with_field("directoryUrl")
            })?
            .to_string(),
    };
    let ca_pem = match dir {
        Directory::Custom => form.nonblank("caPem").map(|p| format!("{p}\n")),
        _ => None,
    };
    let eab = match (form.nonblank("eab.kid"), hmac) {
        (None, None) => None,
        (Some(_), None) => {
            return Err(
                WireError::validation("enter the HMAC key that belongs to this key ID")
                    .with_field("eab.hmacKey"),
            )
        }
        (None, Some(_)) => {
            return Err(
                WireError::validation("enter the key ID that belongs to this HMAC key")
                    .with_field("eab.kid"),
            )
        }
        (Some(kid), Some(hmac_key)) => Some(EabInput {
            kid: kid.to_string(),
            hmac_key,
        }),
    };
    Ok(NewAcmeAccount {
        directory_url,
        contact: contacts(form.text("contact").unwrap_or_default())?,
        terms_of_service_agreed: form.text("termsOfServiceAgreed").is_some(),
        key_type: Some(key_type(form)?),
        key_ref: None,
        eab,
        ca_pem,
    })
}

/// Names typed space, comma or newline separated (duplicates kept for
/// the core to report; it normalizes and removes them).
pub fn names(text: &str) -> Vec<String> {
    split_list(text)
}

/// `certificate_issue` from the form.
pub fn issue(form: &FormData) -> Result<IssueParams, WireError> {
    let account_id = form
        .nonblank("accountId")
        .ok_or_else(|| WireError::validation("choose an ACME account").with_field("accountId"))?
        .to_string();
    let names = names(form.text("names").unwrap_or_default());
    if names.is_empty() {
        return Err(
            WireError::validation("enter at least one name, e.g. www.example.com")
                .with_field("names"),
        );
    }
    Ok(IssueParams {
        account_id,
        names,
        key_type: Some(key_type(form)?),
        timeout_secs: None,
    })
}

/// `certificate_renew` from the form (`reuseKey` ticked keeps the key).
pub fn renew(form: &FormData, certificate_id: &str) -> RenewParams {
    RenewParams {
        certificate_id: certificate_id.to_string(),
        reuse_key: form.text("reuseKey").is_some(),
        timeout_secs: None,
    }
}

/// People-facing name of a revocation reason.
pub fn reason_label(r: RevocationReason) -> &'static str {
    match r {
        RevocationReason::Unspecified => "Unspecified",
        RevocationReason::KeyCompromise => "Key compromise (the private key leaked)",
        RevocationReason::CaCompromise => "CA compromise",
        RevocationReason::AffiliationChanged => "Affiliation changed (names or owner changed)",
        RevocationReason::Superseded => "Superseded (replaced by a new certificate)",
        RevocationReason::CessationOfOperation => {
            "Cessation of operation (the names are no longer used)"
        }
        RevocationReason::CertificateHold => "Certificate hold",
        RevocationReason::RemoveFromCrl => "Remove from CRL",
        RevocationReason::PrivilegeWithdrawn => "Privilege withdrawn",
        RevocationReason::AaCompromise => "AA compromise",
    }
}

/// `certificate_revoke` from the form (`reason` blank: none given).
pub fn revoke(form: &FormData, certificate_id: &str) -> Result<RevokeParams, WireError> {
    let reason = match form.nonblank("reason") {
        None => None,
        Some(r) => Some(
            RevocationReason::all()
                .iter()
                .copied()
                .find(|x| x.as_str() == r)
                .ok_or_else(|| WireError::validation("choose a reason").with_field("reason"))?,
        ),
    };
    Ok(RevokeParams {
        certificate_id: certificate_id.to_string(),
        reason,
    })
}

/// `certificate_export` from the form.
pub fn export(form: &FormData, certificate_id: &str) -> Result<ExportRequest, WireError> {
    let dir = form.nonblank("dir").ok_or_else(|| {
        WireError::validation("enter the directory to write the files to, e.g. /etc/ssl/example")
            .with_field("dir")
    })?;
    Ok(ExportRequest {
        certificate_id: certificate_id.to_string(),
        dir: dir.to_string(),
        include_key: form.text("includeKey").is_some(),
        overwrite: form.text("overwrite").is_some(),
    })
}

/// The terms-of-service URL a core error names (`<…>` in the message of a
/// `termsOfServiceAgreed` error), when there is one.
pub fn terms_in(err: &WireError) -> Option<&str> {
    if err.field.as_deref() != Some("termsOfServiceAgreed") {
        return None;
    }
    let (_, rest) = err.message.split_once('<')?;
    let (url, _) = rest.split_once('>')?;
    (!url.is_empty()).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_fix_the_url_and_custom_needs_one() {
        let mut f = FormData::parse(
            b"type=letsencrypt-staging&directoryUrl=https%3A%2F%2Fevil.test%2Fdir&contact=a%40b.test&termsOfServiceAgreed=1",
        );
        let n = new_account(&mut f).unwrap();
        assert_eq!(n.directory_url, LE_STAGING);
        assert_eq!(n.contact, vec!["mailto:a@b.test"]);
        assert!(n.terms_of_service_agreed && n.ca_pem.is_none() && n.eab.is_none());
        let mut f = FormData::parse(b"type=custom&caPem=PEM");
        assert_eq!(
            new_account(&mut f).unwrap_err().field.as_deref(),
            Some("directoryUrl")
        );
        let mut f = FormData::parse(
            b"type=custom&directoryUrl=https%3A%2F%2Fca.test%2Fdir&caPem=PEM&keyType=rsa-2048",
        );
        let n = new_account(&mut f).unwrap();
        assert_eq!(n.ca_pem.as_deref(), Some("PEM\n"));
        assert_eq!(n.key_type, Some(KeyType::Rsa2048));
        assert!(!n.terms_of_service_agreed);
    }

    #[test]
    fn eab_needs_both_halves_and_moves_the_key() {
        let mut f = FormData::parse(b"type=letsencrypt&eab.hmacKey=SECRET");
        let e = new_account(&mut f).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("eab.kid"));
        assert!(f.take("eab.hmacKey").is_none(), "the key stays in the form");
        let mut f = FormData::parse(b"type=letsencrypt&eab.kid=k1&eab.hmacKey=SECRET");
        let n = new_account(&mut f).unwrap();
        let eab = n.eab.unwrap();
        assert_eq!(eab.kid, "k1");
        assert_eq!(eab.hmac_key.expose(), "SECRET");
    }

    #[test]
    fn contacts_and_names() {
        assert!(contacts("a@b.test, mailto:c@d.test").is_ok());
        assert_eq!(
            contacts("nope").unwrap_err().field.as_deref(),
            Some("contact")
        );
        assert_eq!(
            names("a.test, b.test\n*.c.test  d.test"),
            vec!["a.test", "b.test", "*.c.test", "d.test"]
        );
        let e = issue(&FormData::parse(b"accountId=acct_1&names=+")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("names"));
    }

    #[test]
    fn lifecycle_forms() {
        let f = FormData::parse(b"reuseKey=1");
        assert!(renew(&f, "cert_1").reuse_key);
        assert!(!renew(&FormData::parse(b""), "cert_1").reuse_key);
        let r = revoke(&FormData::parse(b"reason=keyCompromise"), "cert_1").unwrap();
        assert_eq!(r.reason, Some(RevocationReason::KeyCompromise));
        assert_eq!(
            revoke(&FormData::parse(b"reason="), "c").unwrap().reason,
            None
        );
        assert_eq!(
            revoke(&FormData::parse(b"reason=nope"), "c")
                .unwrap_err()
                .field
                .as_deref(),
            Some("reason")
        );
        let e = export(&FormData::parse(b"dir=%2Ftmp%2Fx&includeKey=1"), "c").unwrap();
        assert!(e.include_key && !e.overwrite && e.dir == "/tmp/x");
        assert_eq!(
            export(&FormData::parse(b"dir=+"), "c")
                .unwrap_err()
                .field
                .as_deref(),
            Some("dir")
        );
        for r in RevocationReason::all() {
            assert!(!reason_label(*r).is_empty());
        }
    }

    #[test]
    fn terms_url_from_the_core_error() {
        let e = WireError::validation(
            "the CA has terms of service <https://ca.test/tos>: termsOfServiceAgreed must be true",
        )
        .with_field("termsOfServiceAgreed");
        assert_eq!(terms_in(&e), Some("https://ca.test/tos"));
        assert_eq!(terms_in(&WireError::validation("x <y>")), None);
    }
}
