//! Server side of the handshake fed arbitrary client bytes: it must refuse (or,
//! impossibly, accept) without panicking, hanging or allocating the announced size.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shared::protocol::control::PeerGrant;
use shared::protocol::Role;
use shared::secret::Key32;
use shared::transport::PeerIdentity;

fuzz_target!(|data: &[u8]| {
    let rt = match tokio::runtime::Builder::new_current_thread().build() {
        Ok(rt) => rt,
        Err(_) => return,
    };
    rt.block_on(async {
        let mut r = data;
        let mut w = tokio::io::sink();
        let me = PeerIdentity { pid: Some(std::process::id()), uid: shared::transport::own_uid() };
        let grant = PeerGrant { pid: std::process::id(), key: Key32::from_bytes([3; 32]) };
        let result = shared::handshake::server(&mut r, &mut w, me, |role| (role == Role::Dns).then(|| grant.clone())).await;
        // A forged proof over random nonces must never verify.
        assert!(result.is_err());
    });
});
