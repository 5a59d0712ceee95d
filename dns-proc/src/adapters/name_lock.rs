//! One change at a time per record name inside dns-proc.
//!
//! Several APIs (PowerDNS, Route53) only offer "replace the whole record
//! set", so adding a value is read–merge–write. Two operations on the same
//! name (the apex and wildcard challenges of one order) must not interleave,
//! or one value would be lost. Entries are dropped when no one holds them.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use tokio::sync::OwnedMutexGuard;

type Locks = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;

static LOCKS: LazyLock<Locks> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// Holds the lock of one name; released on drop.
pub struct NameGuard {
    name: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Drop for NameGuard {
    fn drop(&mut self) {
        self.guard.take();
        if let Ok(mut map) = LOCKS.lock() {
            if map
                .get(&self.name)
                .is_some_and(|m| Arc::strong_count(m) == 1)
            {
                map.remove(&self.name);
            }
        }
    }
}

/// Waits for and takes the lock of `name` (case and trailing dot ignored).
pub async fn lock(name: &str) -> NameGuard {
    let name = super::names::bare(name);
    let mutex = match LOCKS.lock() {
        Ok(mut map) => map.entry(name.clone()).or_default().clone(),
        // A poisoned map only loses the serialization, never the operation.
        Err(_) => Arc::new(tokio::sync::Mutex::new(())),
    };
    NameGuard {
        name,
        guard: Some(mutex.lock_owned().await),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn same_name_serializes_and_entries_are_freed() {
        let a = lock("x.example.").await;
        let pending = tokio::spawn(async { lock("X.example").await });
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!pending.is_finished());
        drop(a);
        drop(pending.await.unwrap());
        assert!(LOCKS.lock().unwrap().get("x.example").is_none());
    }
}
