//! Writes seed inputs for the shared fuzz targets that decode whole messages
//! (`ui_request`, `control`): one canonical encoding per interesting message.
//! Run: `cargo run -p shared --example fuzz_seeds -- shared/fuzz/corpus`.

#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use shared::protocol::control::{Bootstrap, Control, PeerGrant, ServerAddress};
use shared::protocol::dns::{NewProvider, SuffixInput, TestParams};
use shared::protocol::secrets::SecretSelector;
use shared::protocol::ui::UiRequest;
use shared::protocol::ClientMsg;
use shared::secret::Key32;

fn write(dir: &std::path::Path, target: &str, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let d = dir.join(target);
    std::fs::create_dir_all(&d)?;
    std::fs::write(d.join(name), bytes)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .ok_or("usage: fuzz_seeds CORPUS_DIR")?,
    );
    let ui = [
        ("ping", UiRequest::Ping),
        ("vault_status", UiRequest::VaultStatus),
        (
            "secret_delete",
            UiRequest::SecretDelete(SecretSelector::Name("a".into())),
        ),
        (
            "provider_create",
            UiRequest::DnsProviderCreate(NewProvider {
                provider_type: "powerdns".into(),
                label: "p".into(),
                domain_suffixes: SuffixInput::Text("example.test".into()),
                api_token: Some("t".into()),
                config_json: Some("{\"serverUrl\":\"http://127.0.0.1:1\"}".into()),
            }),
        ),
        (
            "provider_test",
            UiRequest::DnsProviderTest(TestParams {
                id: "dns_prov_0".into(),
                suffix: None,
                timeout_secs: Some(5),
            }),
        ),
        ("provider_test_cancel", UiRequest::DnsProviderTestCancel(7)),
    ];
    for (name, request) in ui {
        let bytes = shared::codec::encode(&ClientMsg { id: 1, request })?;
        write(&dir, "ui_request", name, &bytes)?;
    }
    let key = Key32::from_bytes([7; 32]);
    let grant = PeerGrant {
        pid: 42,
        key: key.clone(),
    };
    let bootstrap = Bootstrap {
        data_dir: "/tmp/d".into(),
        socket_dir: Some("/tmp/s".into()),
        parent: grant.clone(),
    };
    write(
        &dir,
        "control",
        "bootstrap",
        &shared::codec::encode(&bootstrap)?,
    )?;
    let controls = [
        ("allow_dns_peer", Control::AllowDnsPeer(grant)),
        (
            "vault_address",
            Control::VaultAddress(ServerAddress {
                socket: "/tmp/s/vault.sock".into(),
                pid: 43,
                key,
            }),
        ),
        ("shutdown", Control::Shutdown),
    ];
    for (name, c) in controls {
        write(&dir, "control", name, &shared::codec::encode(&c)?)?;
    }
    println!("seeds written under {}", dir.display());
    Ok(())
}
