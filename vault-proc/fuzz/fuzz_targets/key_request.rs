//! The key requests of vault-proc as they arrive: arbitrary frames decode to
//! a request or an error; key requests then go through the same input checks
//! and signing code as in the service (permit scopes, URL origins, JWS and
//! EAB construction, rcgen CSRs over arbitrary names) with a fixed key,
//! without panicking.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use shared::protocol::keys::KeyType;
use shared::protocol::vault::VaultRequest;
use shared::protocol::ClientMsg;
use vault_proc::keys::{csr, generate, grant, jws, VaultKey};

fn key() -> &'static VaultKey {
    static KEY: OnceLock<VaultKey> = OnceLock::new();
    KEY.get_or_init(|| generate::generate(KeyType::EcP256).expect("key generation"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = shared::codec::decode::<ClientMsg<VaultRequest>>(data) else {
        return;
    };
    match msg.request {
        VaultRequest::GrantPermit { scope, .. } | VaultRequest::RevokePermit { scope } => {
            if let Ok(s) = grant::checked_scope(scope) {
                // Normalization is idempotent: a checked scope checks to itself.
                assert_eq!(grant::checked_scope(s.clone()).ok(), Some(s));
            }
        }
        VaultRequest::AcmeSign {
            url,
            nonce,
            signer,
            payload,
            ..
        } => {
            let _ = grant::origin_of(&url, "url");
            let j = jws::acme(key(), &url, &nonce, &signer, &payload).expect("signs");
            assert!(!j.signature.is_empty());
        }
        VaultRequest::CsrCreate { names, .. } => {
            if names.len() <= 8 {
                let _ = csr::create(key(), &names);
            }
        }
        VaultRequest::EabSign {
            kid,
            url,
            account_jwk,
            ..
        } => {
            let _ = jws::eab(b"k", &kid, &url, &account_jwk);
        }
        _ => {}
    }
});
