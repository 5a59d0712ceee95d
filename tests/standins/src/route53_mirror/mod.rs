//! Route53 (as served by moto) → PowerDNS: moto keeps the Route53 API real
//! but answers no DNS, so this mirror copies its TXT rrsets into PowerDNS,
//! where the product's DNS verification can see them.

mod moto;
mod sync;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::pdns::PdnsTarget;

/// Time between the end of one pass and the start of the next.
const POLL: Duration = Duration::from_millis(50);

/// Creates a hosted zone named `name` in moto (CreateHostedZone with a
/// unique CallerReference) and returns its id as moto gives it, without the
/// `/hostedzone/` prefix. Blocking; may be called from async code too.
pub fn create_zone(moto_url: &str, name: &str) -> Result<String, String> {
    moto::create_zone(moto_url, name)
}

/// Deletes hosted zone `zone_id` (with or without the `/hostedzone/`
/// prefix) from moto; it must hold nothing but its SOA and NS rrsets.
/// Blocking; may be called from async code too.
pub fn delete_zone(moto_url: &str, zone_id: &str) -> Result<(), String> {
    moto::delete_zone(moto_url, zone_id)
}

/// Copies moto's TXT rrsets under given PowerDNS zones into PowerDNS, every
/// 50 ms, on a thread of its own; stops when dropped.
pub struct Mirror {
    stop: Arc<AtomicBool>,
    passes: Arc<AtomicU64>,
    last_error: Arc<Mutex<Option<String>>>,
    thread: Option<JoinHandle<()>>,
}

impl Mirror {
    /// Starts polling moto at `moto_url` (ListHostedZones, then
    /// ListResourceRecordSets for each zone) and making PowerDNS's TXT
    /// rrsets for names under `pdns_zones` equal to moto's: new and changed
    /// ones are set, ones that vanished from moto since the last pass are
    /// deleted. Names in PowerDNS the mirror never saw in moto are left alone.
    pub fn start(moto_url: &str, pdns: PdnsTarget, pdns_zones: Vec<String>) -> Mirror {
        let stop = Arc::new(AtomicBool::new(false));
        let passes = Arc::new(AtomicU64::new(0));
        let last_error = Arc::new(Mutex::new(None));
        let syncer = sync::Syncer::new(moto_url.to_string(), pdns, pdns_zones);
        let thread = {
            let (stop, passes, last_error) = (stop.clone(), passes.clone(), last_error.clone());
            std::thread::Builder::new()
                .name("sslboard-route53-mirror".to_string())
                .spawn(move || poll(syncer, &stop, &passes, &last_error))
        };
        let thread = match thread {
            Ok(thread) => Some(thread),
            Err(e) => {
                *last_error.lock().unwrap_or_else(|p| p.into_inner()) =
                    Some(format!("could not start the mirror thread: {e}"));
                None
            }
        };
        Mirror {
            stop,
            passes,
            last_error,
            thread,
        }
    }

    /// Number of completed sync passes, so a test can wait for one that
    /// started after its change.
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::SeqCst)
    }

    /// The error of the latest failed pass, cleared by a completed one.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The mirror thread: passes until told to stop. Each request has a
/// timeout, so stopping never waits long.
fn poll(
    mut syncer: sync::Syncer,
    stop: &AtomicBool,
    passes: &AtomicU64,
    last_error: &Mutex<Option<String>>,
) {
    let set_error = |e: Option<String>| {
        *last_error.lock().unwrap_or_else(|p| p.into_inner()) = e;
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return set_error(Some(format!("mirror runtime: {e}"))),
    };
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
    {
        Ok(client) => client,
        Err(e) => return set_error(Some(format!("mirror HTTP client: {e}"))),
    };
    runtime.block_on(async {
        while !stop.load(Ordering::SeqCst) {
            match syncer.pass(&client).await {
                Ok(()) => {
                    set_error(None);
                    passes.fetch_add(1, Ordering::SeqCst);
                }
                Err(e) => set_error(Some(e)),
            }
            tokio::time::sleep(POLL).await;
        }
    });
}
