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

/// Every command of the contract, in documentation order. A command's
/// name is its wire `cmd`; [`Command::of`] maps every [`UiRequest`] back
/// to its command, so a new request cannot be added without a command here
/// (and without deciding [`Command::args_may_hold_a_value`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `ping`.
    Ping,
    /// `vault_status`.
    VaultStatus,
    /// `vault_lock`.
    VaultLock,
    /// `vault_unlock`.
    VaultUnlock,
    /// `secret_create`.
    SecretCreate,
    /// `secret_update`.
    SecretUpdate,
    /// `secret_delete`.
    SecretDelete,
    /// `secret_list`.
    SecretList,
    /// `secret_get`.
    SecretGet,
    /// `template_validate`.
    TemplateValidate,
    /// `key_create`.
    KeyCreate,
    /// `key_import`.
    KeyImport,
    /// `config_export`.
    ConfigExport,
    /// `external_provider_set`.
    ExternalProviderSet,
    /// `external_provider_get`.
    ExternalProviderGet,
    /// `external_provider_delete`.
    ExternalProviderDelete,
    /// `dns_provider_create`.
    DnsProviderCreate,
    /// `dns_provider_list`.
    DnsProviderList,
    /// `dns_provider_update`.
    DnsProviderUpdate,
    /// `dns_provider_delete`.
    DnsProviderDelete,
    /// `dns_provider_test`.
    DnsProviderTest,
    /// `dns_provider_test_cancel`.
    DnsProviderTestCancel,
    /// `dns_resolve`.
    DnsResolve,
    /// `acme_account_create`.
    AcmeAccountCreate,
    /// `acme_account_list`.
    AcmeAccountList,
    /// `acme_account_delete`.
    AcmeAccountDelete,
    /// `certificate_issue`.
    CertificateIssue,
    /// `certificate_issue_cancel`.
    CertificateIssueCancel,
    /// `certificate_list`.
    CertificateList,
    /// `certificate_get`.
    CertificateGet,
    /// `certificate_delete`.
    CertificateDelete,
}

impl Command {
    /// Every command, in documentation order.
    pub const ALL: [Command; 31] = [
        Command::Ping,
        Command::VaultStatus,
        Command::VaultLock,
        Command::VaultUnlock,
        Command::SecretCreate,
        Command::SecretUpdate,
        Command::SecretDelete,
        Command::SecretList,
        Command::SecretGet,
        Command::TemplateValidate,
        Command::KeyCreate,
        Command::KeyImport,
        Command::ConfigExport,
        Command::ExternalProviderSet,
        Command::ExternalProviderGet,
        Command::ExternalProviderDelete,
        Command::DnsProviderCreate,
        Command::DnsProviderList,
        Command::DnsProviderUpdate,
        Command::DnsProviderDelete,
        Command::DnsProviderTest,
        Command::DnsProviderTestCancel,
        Command::DnsResolve,
        Command::AcmeAccountCreate,
        Command::AcmeAccountList,
        Command::AcmeAccountDelete,
        Command::CertificateIssue,
        Command::CertificateIssueCancel,
        Command::CertificateList,
        Command::CertificateGet,
        Command::CertificateDelete,
    ];

    /// The wire name (`cmd`).
    pub fn name(self) -> &'static str {
        match self {
            Command::Ping => "ping",
            Command::VaultStatus => "vault_status",
            Command::VaultLock => "vault_lock",
            Command::VaultUnlock => "vault_unlock",
            Command::SecretCreate => "secret_create",
            Command::SecretUpdate => "secret_update",
            Command::SecretDelete => "secret_delete",
            Command::SecretList => "secret_list",
            Command::SecretGet => "secret_get",
            Command::TemplateValidate => "template_validate",
            Command::KeyCreate => "key_create",
            Command::KeyImport => "key_import",
            Command::ConfigExport => "config_export",
            Command::ExternalProviderSet => "external_provider_set",
            Command::ExternalProviderGet => "external_provider_get",
            Command::ExternalProviderDelete => "external_provider_delete",
            Command::DnsProviderCreate => "dns_provider_create",
            Command::DnsProviderList => "dns_provider_list",
            Command::DnsProviderUpdate => "dns_provider_update",
            Command::DnsProviderDelete => "dns_provider_delete",
            Command::DnsProviderTest => "dns_provider_test",
            Command::DnsProviderTestCancel => "dns_provider_test_cancel",
            Command::DnsResolve => "dns_resolve",
            Command::AcmeAccountCreate => "acme_account_create",
            Command::AcmeAccountList => "acme_account_list",
            Command::AcmeAccountDelete => "acme_account_delete",
            Command::CertificateIssue => "certificate_issue",
            Command::CertificateIssueCancel => "certificate_issue_cancel",
            Command::CertificateList => "certificate_list",
            Command::CertificateGet => "certificate_get",
            Command::CertificateDelete => "certificate_delete",
        }
    }

    /// The command called `name`.
    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The command a request was made by (exhaustive over [`UiRequest`]).
    pub fn of(req: &UiRequest) -> Command {
        match req {
            UiRequest::Ping => Command::Ping,
            UiRequest::VaultStatus => Command::VaultStatus,
            UiRequest::VaultLock => Command::VaultLock,
            UiRequest::VaultUnlock => Command::VaultUnlock,
            UiRequest::SecretCreate(_) => Command::SecretCreate,
            UiRequest::SecretUpdate { .. } => Command::SecretUpdate,
            UiRequest::SecretDelete(_) => Command::SecretDelete,
            UiRequest::SecretList { .. } => Command::SecretList,
            UiRequest::SecretGet(_) => Command::SecretGet,
            UiRequest::TemplateValidate(_) => Command::TemplateValidate,
            UiRequest::KeyCreate(_) => Command::KeyCreate,
            UiRequest::KeyImport(_) => Command::KeyImport,
            UiRequest::ConfigExport => Command::ConfigExport,
            UiRequest::ExternalProviderSet(_) => Command::ExternalProviderSet,
            UiRequest::ExternalProviderGet => Command::ExternalProviderGet,
            UiRequest::ExternalProviderDelete => Command::ExternalProviderDelete,
            UiRequest::DnsProviderCreate(_) => Command::DnsProviderCreate,
            UiRequest::DnsProviderList { .. } => Command::DnsProviderList,
            UiRequest::DnsProviderUpdate(_) => Command::DnsProviderUpdate,
            UiRequest::DnsProviderDelete(_) => Command::DnsProviderDelete,
            UiRequest::DnsProviderTest(_) => Command::DnsProviderTest,
            UiRequest::DnsProviderTestCancel(_) => Command::DnsProviderTestCancel,
            UiRequest::DnsResolve { .. } => Command::DnsResolve,
            UiRequest::AcmeAccountCreate(_) => Command::AcmeAccountCreate,
            UiRequest::AcmeAccountList => Command::AcmeAccountList,
            UiRequest::AcmeAccountDelete { .. } => Command::AcmeAccountDelete,
            UiRequest::CertificateIssue(_) => Command::CertificateIssue,
            UiRequest::CertificateIssueCancel(_) => Command::CertificateIssueCancel,
            UiRequest::CertificateList { .. } => Command::CertificateList,
            UiRequest::CertificateGet(_) => Command::CertificateGet,
            UiRequest::CertificateDelete(_) => Command::CertificateDelete,
        }
    }

    /// True when the command's arguments can carry a secret value (a typed
    /// secret, a provider token, an external provider's token, a private
    /// key). `ui-bridge call` refuses such arguments on argv, where every
    /// local user can read them (`/proc/PID/cmdline`) and shells keep them.
    /// Every command must be decided here: there is no default arm.
    pub fn args_may_hold_a_value(self) -> bool {
        match self {
            Command::SecretCreate
            | Command::SecretUpdate
            | Command::KeyImport
            | Command::AcmeAccountCreate
            | Command::ExternalProviderSet
            | Command::DnsProviderCreate
            | Command::DnsProviderUpdate => true,
            Command::Ping
            | Command::VaultStatus
            | Command::VaultLock
            | Command::VaultUnlock
            | Command::SecretDelete
            | Command::SecretList
            | Command::SecretGet
            | Command::TemplateValidate
            | Command::KeyCreate
            | Command::ConfigExport
            | Command::ExternalProviderGet
            | Command::ExternalProviderDelete
            | Command::DnsProviderList
            | Command::DnsProviderDelete
            | Command::DnsProviderTest
            | Command::DnsProviderTestCancel
            | Command::DnsResolve
            | Command::AcmeAccountList
            | Command::AcmeAccountDelete
            | Command::CertificateIssue
            | Command::CertificateIssueCancel
            | Command::CertificateList
            | Command::CertificateGet
            | Command::CertificateDelete => false,
        }
    }
}

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
    let Some(command) = Command::from_name(cmd) else {
        let shown: String = cmd.chars().take(64).collect();
        return Err(WireError::invalid_request(format!(
            "unknown command `{shown}`"
        )));
    };
    parse_args(command, raw)
}

/// Parses the raw arguments of a known command.
pub fn parse_args(command: Command, raw: Option<&RawValue>) -> Result<UiRequest, WireError> {
    let cmd = command.name();
    Ok(match command {
        Command::Ping => unit(cmd, raw, UiRequest::Ping)?,
        Command::VaultStatus => unit(cmd, raw, UiRequest::VaultStatus)?,
        Command::VaultLock => unit(cmd, raw, UiRequest::VaultLock)?,
        Command::VaultUnlock => unit(cmd, raw, UiRequest::VaultUnlock)?,
        Command::SecretCreate => {
            UiRequest::SecretCreate(args::<SecretCreateArgs>(cmd, raw)?.into_new()?)
        }
        Command::SecretUpdate => {
            let (selector, update) = args::<SecretUpdateArgs>(cmd, raw)?.into_parts()?;
            UiRequest::SecretUpdate { selector, update }
        }
        Command::SecretDelete => {
            UiRequest::SecretDelete(args::<SelectorArgs>(cmd, raw)?.into_selector()?)
        }
        Command::SecretGet => {
            UiRequest::SecretGet(args::<SelectorArgs>(cmd, raw)?.into_selector()?)
        }
        Command::SecretList => {
            let (filter, after, limit) = args::<SecretListArgs>(cmd, raw)?.into_parts()?;
            UiRequest::SecretList {
                filter,
                after,
                limit,
            }
        }
        Command::TemplateValidate => {
            UiRequest::TemplateValidate(args::<TemplateArgs>(cmd, raw)?.template)
        }
        Command::KeyCreate => UiRequest::KeyCreate(args::<KeyCreateArgs>(cmd, raw)?.into_new()?),
        Command::KeyImport => UiRequest::KeyImport(args::<KeyImportArgs>(cmd, raw)?.into_import()?),
        Command::ConfigExport => unit(cmd, raw, UiRequest::ConfigExport)?,
        Command::ExternalProviderSet => {
            UiRequest::ExternalProviderSet(args::<ExternalSetArgs>(cmd, raw)?.into_config()?)
        }
        Command::ExternalProviderGet => unit(cmd, raw, UiRequest::ExternalProviderGet)?,
        Command::ExternalProviderDelete => unit(cmd, raw, UiRequest::ExternalProviderDelete)?,
        Command::DnsProviderCreate => {
            UiRequest::DnsProviderCreate(args::<ProviderCreateArgs>(cmd, raw)?.into_new())
        }
        Command::DnsProviderList => {
            let a = args::<ListArgs>(cmd, raw)?;
            UiRequest::DnsProviderList {
                after: a.after,
                limit: a.limit,
            }
        }
        Command::DnsProviderUpdate => {
            UiRequest::DnsProviderUpdate(args::<ProviderUpdateArgs>(cmd, raw)?.into_update())
        }
        Command::DnsProviderDelete => UiRequest::DnsProviderDelete(args::<IdArgs>(cmd, raw)?.id),
        Command::DnsProviderTest => {
            UiRequest::DnsProviderTest(args::<TestArgs>(cmd, raw)?.into_params())
        }
        Command::DnsProviderTestCancel => {
            UiRequest::DnsProviderTestCancel(args::<CancelArgs>(cmd, raw)?.request_id)
        }
        Command::DnsResolve => {
            let a = args::<ResolveArgs>(cmd, raw)?;
            UiRequest::DnsResolve {
                hostname: a.hostname,
                value: a.value,
            }
        }
        Command::AcmeAccountCreate => {
            UiRequest::AcmeAccountCreate(args::<AcmeAccountCreateArgs>(cmd, raw)?.into_new()?)
        }
        Command::AcmeAccountList => unit(cmd, raw, UiRequest::AcmeAccountList)?,
        Command::AcmeAccountDelete => {
            let a = args::<AcmeAccountDeleteArgs>(cmd, raw)?;
            UiRequest::AcmeAccountDelete {
                id: a.id,
                deactivate: a.deactivate,
            }
        }
        Command::CertificateIssue => {
            UiRequest::CertificateIssue(args::<IssueArgs>(cmd, raw)?.into_params()?)
        }
        Command::CertificateIssueCancel => {
            UiRequest::CertificateIssueCancel(args::<CancelArgs>(cmd, raw)?.request_id)
        }
        Command::CertificateList => {
            let a = args::<ListArgs>(cmd, raw)?;
            UiRequest::CertificateList {
                after: a.after,
                limit: a.limit,
            }
        }
        Command::CertificateGet => UiRequest::CertificateGet(args::<IdArgs>(cmd, raw)?.id),
        Command::CertificateDelete => UiRequest::CertificateDelete(args::<IdArgs>(cmd, raw)?.id),
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
        for command in Command::ALL {
            let cmd = command.name();
            assert_eq!(Command::from_name(cmd), Some(command));
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

    #[test]
    fn the_commands_whose_arguments_can_hold_a_value() {
        let holds: Vec<&str> = Command::ALL
            .iter()
            .filter(|c| c.args_may_hold_a_value())
            .map(|c| c.name())
            .collect();
        assert_eq!(
            holds,
            [
                "secret_create",
                "secret_update",
                "key_import",
                "external_provider_set",
                "dns_provider_create",
                "dns_provider_update",
                "acme_account_create"
            ]
        );
    }

    #[test]
    fn every_parsed_request_maps_back_to_its_command() {
        let samples: [(&str, &str); 31] = [
            ("ping", "{}"),
            ("vault_status", "{}"),
            ("vault_lock", "{}"),
            ("vault_unlock", "{}"),
            (
                "secret_create",
                r#"{"name":"a","type":"api_key","data":{"value":"v"}}"#,
            ),
            ("secret_update", r#"{"name":"a","label":"l"}"#),
            ("secret_delete", r#"{"name":"a"}"#),
            ("secret_list", "{}"),
            ("secret_get", r#"{"name":"a"}"#),
            ("template_validate", r#"{"template":"x"}"#),
            ("key_create", r#"{"kind":"acme_account_key"}"#),
            (
                "key_import",
                "{\"kind\":\"managed_private_key\",\"pem\":\"-----BEGIN PRIVATE KEY-----\\nAA==\\n-----END PRIVATE KEY-----\"}",
            ),
            ("config_export", "{}"),
            (
                "external_provider_set",
                r#"{"kind":"openbao","address":"http://127.0.0.1:1","mount":"kv","token":"t"}"#,
            ),
            ("external_provider_get", "{}"),
            ("external_provider_delete", "{}"),
            (
                "dns_provider_create",
                r#"{"type":"manual","label":"l","domainSuffixes":"a.test"}"#,
            ),
            ("dns_provider_list", "{}"),
            ("dns_provider_update", r#"{"id":"dns_prov_x","label":"l"}"#),
            ("dns_provider_delete", r#"{"id":"dns_prov_x"}"#),
            ("dns_provider_test", r#"{"id":"dns_prov_x"}"#),
            ("dns_provider_test_cancel", r#"{"requestId":1}"#),
            ("dns_resolve", r#"{"hostname":"a.test"}"#),
            (
                "acme_account_create",
                r#"{"directoryUrl":"https://127.0.0.1:14000/dir","termsOfServiceAgreed":true}"#,
            ),
            ("acme_account_list", "{}"),
            ("acme_account_delete", r#"{"id":"acct_x"}"#),
            (
                "certificate_issue",
                r#"{"accountId":"acct_x","names":["a.example.test"]}"#,
            ),
            ("certificate_issue_cancel", r#"{"requestId":1}"#),
            ("certificate_list", "{}"),
            ("certificate_get", r#"{"id":"cert_x"}"#),
            ("certificate_delete", r#"{"id":"cert_x"}"#),
        ];
        for (cmd, args) in samples {
            let raw: &RawValue = serde_json::from_str(args).unwrap();
            let req =
                parse_command(cmd, Some(raw)).unwrap_or_else(|e| panic!("{cmd}: {}", e.message));
            assert_eq!(Command::of(&req).name(), cmd);
        }
        assert_eq!(samples.len(), Command::ALL.len());
    }
}
