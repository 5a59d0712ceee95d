//! The cached master key: one heap copy, mlocked where the OS allows, zeroized on drop.
//!
//! The master key is cached between operations so the OS does not prompt for
//! every secret. That cache is the single most sensitive thing in the process,
//! so it lives in its own heap allocation that is pinned in RAM (`mlock`,
//! kept out of swap and, on Linux, out of core dumps where the kernel allows)
//! and wiped on drop — which is what `lock()` and every exit path do. When
//! mlock is refused (RLIMIT_MEMLOCK, platform) we log once and carry on: the
//! process also disables core dumps and ptrace, and the key is still zeroized.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};

use shared::secret::Key32;

static MLOCK_WARNED: AtomicBool = AtomicBool::new(false);

/// The in-memory master key. Dropping it zeroizes the key.
///
/// It is the one owner of the key: a [`KeyWatch`] (the socket thread's fast
/// reads) borrows it only while this owner lives, for the length of one
/// decryption.
pub struct LockedKey {
    inner: Arc<Pinned>,
}

/// The key's own allocation, mlocked; wiped when the last borrow ends.
struct Pinned {
    key: Box<Key32>,
    locked: bool,
}

/// A non-owning view of the cached master key: it can use the key while the
/// vault is unlocked, and finds nothing once [`LockedKey`] is dropped (lock).
#[derive(Clone, Default)]
pub struct KeyWatch(Weak<Pinned>);

impl KeyWatch {
    /// Runs `f` with the key if it is still cached; `None` once locked.
    pub fn with<T>(&self, f: impl FnOnce(&Key32) -> T) -> Option<T> {
        let pinned = self.0.upgrade()?;
        Some(f(&pinned.key))
    }

    /// True while the key is cached.
    pub fn is_live(&self) -> bool {
        self.0.strong_count() > 0
    }
}

impl std::fmt::Debug for KeyWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyWatch([redacted])")
    }
}

impl LockedKey {
    /// Moves the key into its own allocation and tries to mlock it.
    pub fn new(key: Key32) -> Self {
        let mut key = Box::new(key);
        let ptr = std::ptr::from_mut::<Key32>(&mut *key).cast::<u8>();
        // SAFETY: `ptr` points at a live allocation of `size_of::<Key32>()`
        // bytes owned by `key`; mlock only changes page residency.
        let locked = unsafe { memsec::mlock(ptr, std::mem::size_of::<Key32>()) };
        if !locked && !MLOCK_WARNED.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "could not mlock the cached master key (RLIMIT_MEMLOCK or platform limit); \
                 continuing without it: the key is still zeroized on lock and exit"
            );
        }
        Self {
            inner: Arc::new(Pinned { key, locked }),
        }
    }

    /// Borrows the key.
    pub fn key(&self) -> &Key32 {
        &self.inner.key
    }

    /// True when the allocation is mlocked.
    pub fn is_mlocked(&self) -> bool {
        self.inner.locked
    }

    /// A view that can use the key until this owner is dropped.
    pub fn watch(&self) -> KeyWatch {
        KeyWatch(Arc::downgrade(&self.inner))
    }
}

impl Drop for Pinned {
    fn drop(&mut self) {
        if self.locked {
            let ptr = std::ptr::from_mut::<Key32>(&mut *self.key).cast::<u8>();
            // SAFETY: same live allocation as in `new`; memsec's munlock zeroes
            // the bytes before unlocking. The Box then drops a zeroed Key32,
            // whose own Drop zeroizes again.
            unsafe {
                memsec::munlock(ptr, std::mem::size_of::<Key32>());
            }
        }
        // Key32 zeroizes itself when the Box drops.
    }
}

impl std::fmt::Debug for LockedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LockedKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_the_key_and_redacts_debug() {
        let k = LockedKey::new(Key32::from_bytes([9; 32]));
        assert_eq!(k.key().expose(), &[9; 32]);
        assert_eq!(format!("{k:?}"), "LockedKey([redacted])");
        let watch = k.watch();
        assert_eq!(watch.with(|key| key.expose()[0]), Some(9));
        assert!(watch.is_live());
        // 32 bytes is far below any RLIMIT_MEMLOCK; root bypasses the limit.
        let _ = k.is_mlocked();
        drop(k);
        assert!(!watch.is_live(), "a watch does not keep the key alive");
        assert_eq!(watch.with(|key| key.expose()[0]), None);
    }
}
