//! Getting started: the page shown while there is nothing yet (no secret,
//! no DNS provider), and from the header's "Getting started" link. It says
//! where the master key lives (from `vault_status`, which never unlocks),
//! that values are never shown again, and what to add first.

use maud::{html, Markup};
use shared::error::WireError;
use shared::protocol::secrets::{KeySource, KeySourceState, VaultStatus};

use super::{guidance, page, Chrome};

fn where_the_key_lives(vault: &Result<VaultStatus, WireError>) -> Markup {
    match vault {
        Ok(v) if guidance::key_source_unavailable(&v.key_source) => guidance::keyring_unavailable(),
        Ok(v) if v.key_source == KeySourceState::Ready(KeySource::Env) => html! {
            p data-key-source="env" {
                "This launch uses an " strong { "explicit key" } ": the master key is the base64 value of "
                code { "SSLBOARD_MASTER_KEY" } " in the environment that started it ("
                code { "SSLBOARD_KEY_SOURCE=env" } "). It is not stored anywhere else: keep a copy in a safe place, because without it the secrets cannot be decrypted."
            }
        },
        Ok(v) => html! {
            p data-key-source="keyring" {
                "The master key lives in your " strong { "OS credential store" }
                " (Secret Service — GNOME Keyring or KWallet — on Linux, the Keychain on macOS, Credential Manager on Windows), in an entry SSLBoard created on first use (key source: " code { (v.key_source) } "). Only the vault process reads it, and only when an operation needs it; "
                strong { "Lock" } " in the header wipes it from memory."
            }
        },
        Err(e) => html! {
            p { "The vault's state could not be read: " (e.message) }
            (guidance::fix(e))
        },
    }
}

/// The page; `empty` when there is no secret and no provider yet.
pub fn page_for(chrome: &Chrome<'_>, empty: bool) -> Markup {
    page(
        "Getting started",
        chrome,
        html! {
            h1 { @if empty { "Welcome to SSLBoard" } @else { "Getting started" } }
            @if empty { p.lead { "Nothing is stored yet. Three things to know before you add the first credential:" } }
            section.card aria-labelledby="h-key" #key {
                h2 #h-key { "Where the master key lives" }
                p { "Every credential is encrypted at rest with one master key." }
                (where_the_key_lives(&chrome.vault))
            }
            section.card aria-labelledby="h-once" {
                h2 #h-once { "Values are never shown again" }
                p { "A token, password or key goes to the vault once. No page shows it again, not even its length: lists say “set”. To change one, enter the complete new value; its reference stays the same, so templates keep working." }
            }
            section.card aria-labelledby="h-first" {
                h2 #h-first { "What to add first" }
                ol.first-steps {
                    li {
                        strong { "The DNS provider that hosts your domains" }
                        " (Cloudflare, Route 53, DigitalOcean, PowerDNS, or any RFC 2136 server), so certificates can be validated with DNS-01 records. Then run " em { "Test Connection" } " on it."
                        p { a.button href="/providers/new" { "Add a DNS provider" } }
                    }
                    li {
                        strong { "The secrets your certificate workflows use" }
                        " — API keys, passwords, private keys — referenced in templates as " code { "{{secrets.NAME.FIELD}}" } "."
                        p { a.button.secondary href="/secrets/new" { "Add a secret" } }
                    }
                }
            }
        },
    )
}
