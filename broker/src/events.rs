//! Events that belong to no request (`certificate_renewal`), for every UI
//! that asked with `events_subscribe`. A subscription is a request that
//! stays open: its events carry its id, and it ends (`SubscriptionEnded`)
//! only when [`MAX_SUBSCRIBERS`] newer ones push it out, so a UI that
//! subscribes in a loop cannot grow the broker without bound.

use std::sync::Mutex;

use shared::protocol::ui::{UiEvent, UiResponse};
use shared::rpc::EventSink;
use tokio::sync::oneshot;

/// Most open subscriptions; the oldest ends when another arrives.
pub const MAX_SUBSCRIBERS: usize = 16;

struct Subscriber {
    sink: EventSink<UiEvent>,
    end: oneshot::Sender<()>,
}

/// The open subscriptions.
#[derive(Default)]
pub struct Broadcast {
    subs: Mutex<Vec<Subscriber>>,
}

impl Broadcast {
    /// Serves one `events_subscribe` until it is pushed out.
    pub async fn subscribe(&self, sink: EventSink<UiEvent>) -> UiResponse {
        let (end, ended) = oneshot::channel();
        if let Ok(mut subs) = self.subs.lock() {
            if subs.len() >= MAX_SUBSCRIBERS {
                let oldest = subs.remove(0);
                let _ = oldest.end.send(());
            }
            subs.push(Subscriber { sink, end });
        }
        let _ = ended.await;
        UiResponse::SubscriptionEnded
    }

    /// Sends `event` to every subscription.
    pub async fn send(&self, event: UiEvent) {
        let sinks: Vec<EventSink<UiEvent>> = match self.subs.lock() {
            Ok(subs) => subs.iter().map(|s| s.sink.clone()).collect(),
            Err(_) => return,
        };
        for s in sinks {
            s.send::<UiResponse>(event.clone()).await;
        }
    }

    /// Open subscriptions.
    pub fn count(&self) -> usize {
        self.subs.lock().map(|s| s.len()).unwrap_or(0)
    }
}
