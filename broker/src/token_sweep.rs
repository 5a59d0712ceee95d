//! The provider-token sweep: removes tokens whose provider does not exist
//! (what a provider create interrupted between its two steps leaves
//! behind).
//!
//! It walks every provider token, so it runs in the background once the
//! broker serves: the start-up must not grow with the number of providers
//! (`crate::flows::reconcile` keeps only the work proportional to what was
//! interrupted). Flows run meanwhile, so it never touches a token whose
//! provider create is in flight ([`CreatesInFlight`], held by
//! `crate::flows::create_provider` from the id's assignment to its commit
//! or undo), leaves a provider being deleted to its delete flow (or to the
//! next start's reconcile), and asks dns-proc which owners exist page by
//! page, right before that page's orphans are deleted.

use std::collections::HashSet;
use std::sync::Mutex;

use shared::error::WireResult;
use shared::protocol::dnsproc::{DnsRequest, DnsResponse};
use shared::protocol::secrets::{SecretFilter, SecretKind, SecretMeta, SecretSelector};
use shared::protocol::vault::{VaultRequest, VaultResponse};

use crate::router::{unexpected, Router};

/// Page size of the sweep's walks (the broker's largest page).
const PAGE: u32 = crate::router::MAX_PAGE;

/// Provider ids whose create flow is between its id's assignment and its
/// commit (or undo): their tokens may exist before their providers do.
#[derive(Debug, Default)]
pub struct CreatesInFlight(Mutex<HashSet<String>>);

/// Holds one id in [`CreatesInFlight`] until dropped.
pub struct InFlight<'a> {
    set: &'a CreatesInFlight,
    id: String,
}

impl CreatesInFlight {
    /// Marks provider `id`'s create as in flight until the guard drops.
    pub fn hold(&self, id: &str) -> InFlight<'_> {
        if let Ok(mut s) = self.0.lock() {
            s.insert(id.to_string());
        }
        InFlight {
            set: self,
            id: id.to_string(),
        }
    }

    /// True while provider `id`'s create is in flight. A poisoned lock
    /// answers true: the sweep then leaves the token alone.
    pub fn contains(&self, id: &str) -> bool {
        self.0.lock().map_or(true, |s| s.contains(id))
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.set.0.lock() {
            s.remove(&self.id);
        }
    }
}

/// One page of provider tokens.
async fn tokens(
    router: &Router,
    after: Option<String>,
) -> WireResult<(Vec<SecretMeta>, Option<String>)> {
    let filter = SecretFilter {
        kind: Some(SecretKind::DnsProviderToken),
        ..SecretFilter::default()
    };
    match router
        .vault(VaultRequest::ListPage {
            filter,
            after,
            limit: PAGE,
        })
        .await?
    {
        VaultResponse::MetaPage(m, next) => Ok((m, next)),
        other => Err(unexpected(&other)),
    }
}

/// The owners among `ids` that have a provider row (active or deleting).
async fn existing(router: &Router, ids: Vec<String>) -> WireResult<HashSet<String>> {
    match router.dns(DnsRequest::Existing(ids)).await? {
        DnsResponse::ProviderIds(ids) => Ok(ids.into_iter().collect()),
        other => Err(unexpected(&other)),
    }
}

/// Removes provider tokens whose owner has no provider row; returns how
/// many.
pub async fn sweep(router: &Router) -> WireResult<usize> {
    let mut removed = 0;
    let mut after = None;
    loop {
        let (page, next) = tokens(router, after.take()).await?;
        let owners: Vec<String> = page.iter().filter_map(|t| t.owner.clone()).collect();
        let live = existing(router, owners).await?;
        for t in page {
            let orphan = match &t.owner {
                None => true,
                Some(o) => !live.contains(o) && !router.creates().contains(o),
            };
            if !orphan {
                continue;
            }
            tracing::info!(secret = %t.reference, "removing a provider token whose provider does not exist");
            // A delete that meets a token already gone (its own flow removed
            // it) is fine.
            if let Err(e) = router
                .vault(VaultRequest::Delete(SecretSelector::Ref(
                    t.reference.clone(),
                )))
                .await
            {
                tracing::warn!(secret = %t.reference, error = %e, "could not remove an orphan provider token");
                continue;
            }
            removed += 1;
        }
        match next {
            Some(n) => after = Some(n),
            None => return Ok(removed),
        }
    }
}
