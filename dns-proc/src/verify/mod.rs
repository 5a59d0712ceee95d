//! DNS verification: is a TXT value visible on every authoritative
//! nameserver of its zone?
//!
//! [`nameservers`] finds whom to ask (the zone's NS set, or the list forced
//! by `SSLBOARD_DNS_NAMESERVERS`); [`poll`] asks each one directly, with
//! caching off, until all of them answer with the value or time runs out.

pub mod nameservers;
pub mod poll;

pub use nameservers::{authoritative, NameserverError};
pub use poll::{NsState, PollPlan, Poller};
