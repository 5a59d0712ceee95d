//! Parses one JSON line into a request id and a typed [`UiRequest`].
//!
//! The envelope is parsed first with the arguments kept as raw JSON, so an
//! error in the arguments can still be answered with the request's id; the
//! arguments are then parsed straight into the command's typed shape (no
//! intermediate `Value` copies of secret inputs).

use serde::Deserialize;
use serde_json::value::RawValue;
use shared::error::WireError;
use shared::protocol::ui::UiRequest;

use super::args::*;

/// Longest accepted request line, in bytes.
pub const MAX_LINE: usize = 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    id: u64,
    cmd: String,
    #[serde(borrow)]
    args: Option<&'a RawValue>,
}

/// A line that could not become a request: the id when it was readable.
#[derive(Debug)]
pub struct Rejected {
    /// The request id, when the envelope parsed.
    pub id: Option<u64>,
    /// Why.
    pub error: WireError,
}

/// Every command name of the contract, in documentation order.
pub const COMMANDS: &[&str] = &[
    "ping",
    "vault_status",
    "vault_lock",
    "vault_unlock",
    "secret_create",
    "secret_update",
    "secret_delete",
    "secret_list",
    "secret_get",
    "template_validate",
    "key_create",
    "key_import",
    "config_export",
    "external_provider_set",
    "external_provider_get",
    "external_provider_delete",
    "dns_provider_create",
    "dns_provider_list",
    "dns_provider_update",
    "dns_provider_delete",
    "dns_provider_test",
    "dns_provider_test_cancel",
    "dns_resolve",
    "acme_account_create",
    "acme_account_list",
    "acme_account_delete",
    "certificate_issue",
    "certificate_issue_cancel",
    "certificate_list",
    "certificate_get",
    "certificate_delete",
];

fn args<'a, T: Deserialize<'a>>(cmd: &str, raw: Option<&'a RawValue>) -> Result<T, WireError> {
    let text = raw.map(|r| r.get()).unwrap_or("{}");
    serde_json::from_str(text).map_err(|e| {
        WireError::invalid_request(format!("bad arguments for `{cmd}`: {}", describe(&e)))
    })
}

/// A serde_json error without the input echoed back (it could be a secret).
fn describe(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    // serde_json messages quote the offending value for `invalid value`/`invalid type` errors;
    // keep the kind of problem and its position, drop the quoted input.
    let kind = match e.classify() {
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Eof => "unexpected end of input",
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Data => "",
    };
    if !kind.is_empty() {
        return format!("{kind} at line {} column {}", e.line(), e.column());
    }
    if let Some(field) = msg
        .strip_prefix("unknown field `")
        .and_then(|m| m.split('`').next())
    {
        return format!("unknown field `{field}`");
    }
    if let Some(field) = msg
        .strip_prefix("missing field `")
        .and_then(|m| m.split('`').next())
    {
        return format!("missing field `{field}`");
    }
    if msg.starts_with("invalid type") {
        // The quoted input comes first; the real "expected" is the last one.
        let expected = msg
            .rsplit_once(", expected ")
            .map(|(_, x)| x.rsplit_once(" at line").map_or(x, |(head, _)| head))
            .filter(|x| !x.contains('"'))
            .unwrap_or("another type");
        return format!(
            "a value has the wrong type (expected {expected}) at column {}",
            e.column()
        );
    }
    format!("invalid arguments at column {}", e.column())
}

/// Parses one line (without its newline).
pub fn parse_line(line: &str) -> Result<(u64, UiRequest), Rejected> {
    let env: Envelope = serde_json::from_str(line).map_err(|e| Rejected {
        id: None,
        error: WireError::invalid_request(format!(
            "expected {{\"id\": <u64>, \"cmd\": <string>, \"args\": <object>?}}: {}",
            describe(&e)
        )),
    })?;
    let id = env.id;
    parse_command(&env.cmd, env.args)
        .map(|r| (id, r))
        .map_err(|error| Rejected {
            id: Some(id),
            error,
        })
}

/// Parses a command name and its raw arguments.
pub fn parse_command(cmd: &str, raw: Option<&RawValue>) -> Result<UiRequest, WireError> {
    Ok(match cmd {
        "ping" => unit(cmd, raw, UiRequest::Ping)?,
        "vault_status" => unit(cmd, raw, UiRequest::VaultStatus)?,
        "vault_lock" => unit(cmd, raw, UiRequest::VaultLock)?,
        "vault_unlock" => unit(cmd, raw, UiRequest::VaultUnlock)?,
        "secret_create" => UiRequest::SecretCreate(args::<SecretCreateArgs>(cmd, raw)?.into_new()?),
        "secret_update" => {
            let (selector, update) = args::<SecretUpdateArgs>(cmd, raw)?.into_parts()?;
            UiRequest::SecretUpdate { selector, update }
        }
        "secret_delete" => {
            UiRequest::SecretDelete(args::<SelectorArgs>(cmd, raw)?.into_selector()?)
        }
        "secret_get" => UiRequest::SecretGet(args::<SelectorArgs>(cmd, raw)?.into_selector()?),
        "secret_list" => {
            let (filter, after, limit) = args::<SecretListArgs>(cmd, raw)?.into_parts()?;
            UiRequest::SecretList {
                filter,
                after,
                limit,
            }
        }
        "template_validate" => {
            UiRequest::TemplateValidate(args::<TemplateArgs>(cmd, raw)?.template)
        }
        "key_create" => UiRequest::KeyCreate(args::<KeyCreateArgs>(cmd, raw)?.into_new()?),
        "key_import" => UiRequest::KeyImport(args::<KeyImportArgs>(cmd, raw)?.into_import()?),
        "config_export" => unit(cmd, raw, UiRequest::ConfigExport)?,
        "external_provider_set" => {
            UiRequest::ExternalProviderSet(args::<ExternalSetArgs>(cmd, raw)?.into_config()?)
        }
        "external_provider_get" => unit(cmd, raw, UiRequest::ExternalProviderGet)?,
        "external_provider_delete" => unit(cmd, raw, UiRequest::ExternalProviderDelete)?,
        "dns_provider_create" => {
            UiRequest::DnsProviderCreate(args::<ProviderCreateArgs>(cmd, raw)?.into_new())
        }
        "dns_provider_list" => {
            let a = args::<ListArgs>(cmd, raw)?;
            UiRequest::DnsProviderList {
                after: a.after,
                limit: a.limit,
            }
        }
        "dns_provider_update" => {
            UiRequest::DnsProviderUpdate(args::<ProviderUpdateArgs>(cmd, raw)?.into_update())
        }
        "dns_provider_delete" => UiRequest::DnsProviderDelete(args::<IdArgs>(cmd, raw)?.id),
        "dns_provider_test" => {
            UiRequest::DnsProviderTest(args::<TestArgs>(cmd, raw)?.into_params())
        }
        "dns_provider_test_cancel" => {
            UiRequest::DnsProviderTestCancel(args::<CancelArgs>(cmd, raw)?.request_id)
        }
        "dns_resolve" => {
            let a = args::<ResolveArgs>(cmd, raw)?;
            UiRequest::DnsResolve {
                hostname: a.hostname,
                value: a.value,
            }
        }
        "acme_account_create" => {
            UiRequest::AcmeAccountCreate(args::<AcmeAccountCreateArgs>(cmd, raw)?.into_new()?)
        }
        "acme_account_list" => unit(cmd, raw, UiRequest::AcmeAccountList)?,
        "acme_account_delete" => {
            let a = args::<AcmeAccountDeleteArgs>(cmd, raw)?;
            UiRequest::AcmeAccountDelete {
                id: a.id,
                deactivate: a.deactivate,
            }
        }
        "certificate_issue" => {
            UiRequest::CertificateIssue(args::<IssueArgs>(cmd, raw)?.into_params()?)
        }
        "certificate_issue_cancel" => {
            UiRequest::CertificateIssueCancel(args::<CancelArgs>(cmd, raw)?.request_id)
        }
        "certificate_list" => {
            let a = args::<ListArgs>(cmd, raw)?;
            UiRequest::CertificateList {
                after: a.after,
                limit: a.limit,
            }
        }
        "certificate_get" => UiRequest::CertificateGet(args::<IdArgs>(cmd, raw)?.id),
        "certificate_delete" => UiRequest::CertificateDelete(args::<IdArgs>(cmd, raw)?.id),
        other => {
            let shown: String = other.chars().take(64).collect();
            return Err(WireError::invalid_request(format!(
                "unknown command `{shown}`"
            )));
        }
    })
}

fn unit(cmd: &str, raw: Option<&RawValue>, req: UiRequest) -> Result<UiRequest, WireError> {
    args::<NoArgs>(cmd, raw)?;
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_and_commands() {
        assert!(matches!(
            parse_line(r#"{"id":1,"cmd":"ping"}"#),
            Ok((1, UiRequest::Ping))
        ));
        assert!(matches!(
            parse_line(r#"{"id":2,"cmd":"ping","args":{}}"#),
            Ok((2, UiRequest::Ping))
        ));
        let r = parse_line(r#"{"id":3,"cmd":"nope"}"#);
        assert!(matches!(r, Err(Rejected { id: Some(3), .. })));
        let r = parse_line("not json");
        assert!(matches!(r, Err(Rejected { id: None, .. })));
        let r = parse_line(r#"{"id":"x","cmd":"ping"}"#);
        assert!(matches!(r, Err(Rejected { id: None, .. })));
        let r = parse_line(r#"{"id":4,"cmd":"ping","args":{"x":1}}"#);
        assert!(matches!(r, Err(Rejected { id: Some(4), .. })));
    }

    #[test]
    fn secret_values_are_not_echoed_in_errors() {
        let line = r#"{"id":5,"cmd":"secret_create","args":{"name":"a","type":"api_key","data":{"value":7}}}"#;
        let Err(r) = parse_line(line) else {
            panic!("must fail")
        };
        assert!(!r.error.message.contains('7'), "{}", r.error.message);
        let line = r#"{"id":6,"cmd":"secret_create","args":{"name":"a","type":"api_key","data":{"value":"CANARY"},"bogus":"CANARY2"}}"#;
        let Err(r) = parse_line(line) else {
            panic!("must fail")
        };
        assert!(!r.error.message.contains("CANARY"), "{}", r.error.message);
    }

    #[test]
    fn key_commands_parse_and_never_echo_the_pem() {
        let line = r#"{"id":9,"cmd":"key_create","args":{"kind":"acme_account_key","keyType":"rsa-4096"}}"#;
        match parse_line(line) {
            Ok((9, UiRequest::KeyCreate(k))) => {
                assert_eq!(k.key_type, shared::protocol::keys::KeyType::Rsa4096);
                assert_eq!(k.owner, None);
            }
            other => panic!("{other:?}"),
        }
        let line = r#"{"id":10,"cmd":"key_create","args":{"kind":"acme_account_key"}}"#;
        assert!(matches!(
            parse_line(line),
            Ok((10, UiRequest::KeyCreate(k))) if k.key_type == shared::protocol::keys::KeyType::EcP256
        ));
        for line in [
            r#"{"id":11,"cmd":"key_import","args":{"kind":"acme_account_key","pem":"CANARY-PEM","bogus":1}}"#,
            r#"{"id":12,"cmd":"key_import","args":{"kind":"acme_account_key","pem":["CANARY-PEM"]}}"#,
            r#"{"id":13,"cmd":"key_import","args":{"kind":"nope","pem":"CANARY-PEM"}}"#,
        ] {
            let Err(r) = parse_line(line) else {
                panic!("must fail: {line}")
            };
            assert!(!r.error.message.contains("CANARY"), "{}", r.error.message);
        }
    }

    #[test]
    fn a_value_that_looks_like_a_message_is_not_echoed() {
        let line =
            r#"{"id":8,"cmd":"secret_get","args":{"ref":["pw, expected CANARY at line 9"]}}"#;
        let Err(r) = parse_line(line) else {
            panic!("must fail")
        };
        assert!(!r.error.message.contains("CANARY"), "{}", r.error.message);
    }

    #[test]
    fn every_command_is_known() {
        for cmd in COMMANDS {
            match parse_command(cmd, None) {
                Ok(_) => {}
                Err(e) => assert!(
                    !e.message.starts_with("unknown command"),
                    "{cmd}: {}",
                    e.message
                ),
            }
        }
    }
}
