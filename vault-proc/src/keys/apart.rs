//! Key generation away from the store thread. The store thread serves every
//! other request (reveals for DNS, the signatures of running issuances, the
//! UI's lists); an RSA-4096 key takes over a second to make, and it used to
//! hold all of them up. The socket side now asks the store whether the key
//! may be made ([`KeyRequest::check`] through `KeyOps::may_make`), makes it
//! here, and hands it to the store, which checks again and saves it.
//!
//! Each key is made on a short-lived thread of its own, so no copy of its
//! material stays on a pooled thread's stack (an ended thread's stack is
//! unmapped), and one at a time: a flood of key requests queues here, using
//! one CPU, instead of on the store.

use shared::error::{WireError, WireResult};
use shared::protocol::keys::KeyType;
use shared::protocol::vault::VaultRequest;
use tokio::sync::{oneshot, Semaphore};

use super::{generate, VaultKey};

/// The key a request asks vault-proc to make, if it asks for one.
pub fn key_to_make(request: &VaultRequest) -> Option<KeyType> {
    match request {
        VaultRequest::KeyCreate(new) => Some(new.key_type),
        VaultRequest::OrderKeyCreate { key_type, .. } => Some(*key_type),
        _ => None,
    }
}

/// Makes keys off the store thread, one at a time.
pub struct KeyMaker {
    one_at_a_time: Semaphore,
}

impl Default for KeyMaker {
    fn default() -> Self {
        Self {
            one_at_a_time: Semaphore::new(1),
        }
    }
}

impl KeyMaker {
    /// A fresh key of `key_type`, made on a thread of its own.
    pub async fn make(&self, key_type: KeyType) -> WireResult<VaultKey> {
        let _turn = self
            .one_at_a_time
            .acquire()
            .await
            .map_err(|_| WireError::unavailable("vault-proc is stopping"))?;
        let (tx, rx) = oneshot::channel();
        std::thread::Builder::new()
            .name("vault-keygen".into())
            .spawn(move || {
                let _ = tx.send(generate::generate(key_type));
            })
            .map_err(|e| WireError::internal(format!("cannot start key generation: {e}")))?;
        rx.await
            .map_err(|_| WireError::internal("key generation ended without a key"))?
            .map_err(WireError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_each_key_type_off_the_calling_thread() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let maker = KeyMaker::default();
        for key_type in [KeyType::EcP256, KeyType::EcP384, KeyType::Rsa2048] {
            let key = rt.block_on(maker.make(key_type)).unwrap();
            assert_eq!(key.key_type(), key_type);
        }
    }
}
