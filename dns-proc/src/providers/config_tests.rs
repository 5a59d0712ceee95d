//! The configuration validation table: what each provider type accepts, what
//! it refuses, and the canonical JSON it stores.

use super::*;
use ProviderType::*;

/// (type, input, canonical output) for accepted configurations.
const ACCEPTED: &[(ProviderType, Option<&str>, &str)] = &[
    (Cloudflare, None, "{}"),
    (Cloudflare, Some("{}"), "{}"),
    (Cloudflare, Some("  "), "{}"),
    (Digitalocean, Some("null"), "{}"),
    (Manual, Some(" { } "), "{}"),
    (Route53, Some("{}"), "{}"),
    (
        Route53,
        Some(r#"{"hostedZoneId":"/hostedzone/z123abc","region":"EU-west-1"}"#),
        r#"{"hostedZoneId":"Z123ABC","region":"eu-west-1"}"#,
    ),
    (
        Route53,
        Some(r#"{"region":"us-east-1"}"#),
        r#"{"region":"us-east-1"}"#,
    ),
    (
        Powerdns,
        Some(r#"{"serverUrl":"http://127.0.0.1:8081/"}"#),
        r#"{"serverUrl":"http://127.0.0.1:8081","serverId":"localhost"}"#,
    ),
    (
        Powerdns,
        Some(r#"{"serverId":"main","serverUrl":"HTTPS://PDNS.example.com/api/"}"#),
        r#"{"serverUrl":"https://pdns.example.com/api","serverId":"main"}"#,
    ),
    (
        Rfc2136,
        Some(r#"{"server":"127.0.0.1:53","tsigKeyName":"acme-key."}"#),
        r#"{"server":"127.0.0.1:53","tsigKeyName":"acme-key","tsigAlgorithm":"hmac-sha256"}"#,
    ),
    (
        Rfc2136,
        Some(
            r#"{"server":"NS1.example.com:5353","tsigKeyName":"K.Example","tsigAlgorithm":"HMAC-SHA512"}"#,
        ),
        r#"{"server":"ns1.example.com:5353","tsigKeyName":"k.example","tsigAlgorithm":"hmac-sha512"}"#,
    ),
    (
        Rfc2136,
        Some(r#"{"server":"[::1]:53","tsigKeyName":"k","tsigAlgorithm":"hmac-sha1"}"#),
        r#"{"server":"[::1]:53","tsigKeyName":"k","tsigAlgorithm":"hmac-sha1"}"#,
    ),
];

/// (type, input, a word the error message must contain).
const REFUSED: &[(ProviderType, &str, &str)] = &[
    (Cloudflare, r#"{"zone":"x"}"#, "unknown field `zone`"),
    (Digitalocean, "[1]", "invalid digitalocean config"),
    (Manual, "not json", "invalid manual config"),
    (Cloudflare, "[]", "JSON object"),
    (Route53, r#"["Z1", "us-east-1"]"#, "JSON object"),
    (
        Route53,
        r#"{"region":"us-east-1","region":"eu-west-1"}"#,
        "duplicate field",
    ),
    (Cloudflare, "{} {}", "trailing"),
    (Cloudflare, r#"{"apiToken":"s3cr3t"}"#, "apiToken"),
    (Route53, r#"{"hostedZoneId":"bad id"}"#, "hostedZoneId"),
    (Route53, r#"{"hostedZoneId":""}"#, "hostedZoneId"),
    (Route53, r#"{"secretAccessKey":"x"}"#, "secretAccessKey"),
    (Route53, r#"{"region":"us east"}"#, "region"),
    (Route53, r#"{"region":5}"#, "invalid type"),
    (Powerdns, "{}", "missing field `serverUrl`"),
    (Powerdns, r#"{"serverUrl":"ftp://x"}"#, "http://"),
    (Powerdns, r#"{"serverUrl":"pdns:8081"}"#, "http://"),
    (Powerdns, r#"{"serverUrl":"http://u:pw@h"}"#, "password"),
    (
        Powerdns,
        r#"{"serverUrl":"http://h","serverId":"a/b"}"#,
        "serverId",
    ),
    (
        Powerdns,
        r#"{"serverUrl":"http://h","serverId":".."}"#,
        "serverId",
    ),
    (
        Powerdns,
        r#"{"serverUrl":"http://h","serverId":"."}"#,
        "serverId",
    ),
    (
        Powerdns,
        r#"{"serverUrl":"http://h","serverId":" .. "}"#,
        "serverId",
    ),
    (
        Powerdns,
        r#"{"serverUrl":"http://h","serverId":""}"#,
        "serverId",
    ),
    (
        Powerdns,
        r#"{"serverUrl":"http://h","serverId":"%2e%2e"}"#,
        "serverId",
    ),
    (
        Powerdns,
        r#"{"serverUrl":"http://h","serverId":"a%2Fb"}"#,
        "serverId",
    ),
    (
        Powerdns,
        r#"{"serverUrl":"http://h","serverId":"a b"}"#,
        "serverId",
    ),
    (
        Powerdns,
        r#"{"serverUrl":"http://h","serverId":"a\\b"}"#,
        "serverId",
    ),
    (
        Powerdns,
        r#"{"serverUrl":"http://h","apiKey":"k"}"#,
        "apiKey",
    ),
    (Rfc2136, r#"{"tsigKeyName":"k"}"#, "missing field `server`"),
    (
        Rfc2136,
        r#"{"server":"h:53"}"#,
        "missing field `tsigKeyName`",
    ),
    (
        Rfc2136,
        r#"{"server":"127.0.0.1","tsigKeyName":"k"}"#,
        "host:port",
    ),
    (Rfc2136, r#"{"server":"h:0","tsigKeyName":"k"}"#, "port"),
    (
        Rfc2136,
        r#"{"server":"h:53","tsigKeyName":"bad key!"}"#,
        "tsigKeyName",
    ),
    (
        Rfc2136,
        r#"{"server":"h:53","tsigKeyName":"k","tsigAlgorithm":"hmac-md5"}"#,
        "hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha1",
    ),
    (
        Rfc2136,
        r#"{"server":"h:53","tsigKeyName":"k","tsigSecret":"c2VjcmV0"}"#,
        "tsigSecret",
    ),
];

#[test]
fn accepted_configs_are_canonical() {
    for (ty, input, want) in ACCEPTED {
        let got = canonical_config(*ty, *input);
        assert_eq!(
            got.as_deref().ok(),
            Some(*want),
            "{ty:?} {input:?}: {got:?}"
        );
        // Canonical output is a fixed point.
        assert_eq!(
            canonical_config(*ty, Some(want)).ok().as_deref(),
            Some(*want)
        );
    }
}

#[test]
fn refused_configs_explain_why() {
    for (ty, input, word) in REFUSED {
        match ProviderConfig::parse(*ty, Some(input)) {
            Err(DnsError::Validation { field, message }) => {
                assert_eq!(field, "config");
                assert!(message.contains(word), "{ty:?} {input}: {message}");
            }
            other => panic!("{ty:?} {input} gave {other:?}"),
        }
    }
    let big = format!(r#"{{"region":"{}"}}"#, "a".repeat(MAX_CONFIG));
    assert!(ProviderConfig::parse(Route53, Some(&big)).is_err());
}

#[test]
fn parse_errors_redact_values() {
    let e = ProviderConfig::parse(Route53, Some(r#"{"region":["tok-s3cr3t"]}"#))
        .unwrap_err()
        .to_string();
    assert!(!e.contains("s3cr3t"), "{e}");
    let e = ProviderConfig::parse(Powerdns, Some(r#"{"serverUrl":7,"serverId":"x"}"#))
        .unwrap_err()
        .to_string();
    assert!(e.contains("invalid type"), "{e}");
    assert_eq!(
        redact_quoted(r#"invalid value: string "abc", expected `x`"#),
        "invalid value: string \"…\", expected `x`"
    );
}

#[test]
fn endpoint_changes_are_detected_on_canonical_forms() {
    let p = |url: &str| {
        ProviderConfig::parse(Powerdns, Some(&format!(r#"{{"serverUrl":"{url}"}}"#))).unwrap()
    };
    assert!(!endpoint_changed(
        &p("http://127.0.0.1:8081"),
        &p("HTTP://127.0.0.1:8081/")
    ));
    assert!(endpoint_changed(
        &p("http://127.0.0.1:8081"),
        &p("http://evil.example:8081")
    ));
    assert!(endpoint_changed(&p("http://h:8081"), &p("https://h:8081")));
    assert!(endpoint_changed(&p("http://h:8081"), &p("http://h:8082")));
    let pid = ProviderConfig::parse(
        Powerdns,
        Some(r#"{"serverUrl":"http://127.0.0.1:8081","serverId":"other"}"#),
    )
    .unwrap();
    assert!(!endpoint_changed(&p("http://127.0.0.1:8081"), &pid));
    let r = |server: &str, key: &str| {
        ProviderConfig::parse(
            Rfc2136,
            Some(&format!(r#"{{"server":"{server}","tsigKeyName":"{key}"}}"#)),
        )
        .unwrap()
    };
    assert!(!endpoint_changed(&r("NS1.x:53", "k"), &r("ns1.x:53", "k2")));
    assert!(endpoint_changed(&r("ns1.x:53", "k"), &r("ns2.x:53", "k")));
    let r53 = |z: &str| {
        ProviderConfig::parse(Route53, Some(&format!(r#"{{"hostedZoneId":"{z}"}}"#))).unwrap()
    };
    assert!(!endpoint_changed(&r53("Z1"), &r53("Z2")));
    assert!(!endpoint_changed(
        &ProviderConfig::None,
        &ProviderConfig::None
    ));
}

#[test]
fn tsig_algorithms_are_an_enum_with_one_set_of_names() {
    use strum::VariantArray;
    for a in TsigAlgorithm::VARIANTS {
        let name = a.as_str();
        assert_eq!(serde_json::to_string(a).unwrap(), format!("\"{name}\""));
        let upper =
            serde_json::from_str::<TsigAlgorithm>(&format!("\" {} \"", name.to_uppercase()));
        assert_eq!(upper.unwrap(), *a);
    }
    assert_eq!(TsigAlgorithm::default(), TsigAlgorithm::HmacSha256);
    let e = serde_json::from_str::<TsigAlgorithm>("\"hmac-md5\"").unwrap_err();
    assert!(e.to_string().contains("hmac-sha256, hmac-sha512"), "{e}");
}
