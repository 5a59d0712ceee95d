//! The protocol of every hop, defined once and versioned.
//!
//! Hops: ui-bridge → broker ([`ui`]), broker/dns-proc → vault-proc ([`vault`]),
//! broker → dns-proc ([`dnsproc`]), and parent → child over the stdin pipe
//! ([`control`]). Every connection starts with the handshake in
//! [`crate::handshake`], then carries [`ClientMsg`] frames one way and
//! [`ServerMsg`] frames the other.

use serde::{Deserialize, Serialize};

use crate::error::WireResult;

pub mod acme;
pub mod control;
pub mod dns;
pub mod dnsproc;
pub mod keys;
pub mod page;
pub mod secrets;
pub mod ui;
pub mod vault;

/// Protocol version, checked at every handshake. Bump by hand on any wire change
/// (never computed: a computed number can collide across releases).
pub const PROTOCOL_VERSION: u32 = 1;

/// Who is connecting. Each listening process keeps an allow-list per role.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
    strum::EnumCount,
)]
#[strum(serialize_all = "lowercase")]
pub enum Role {
    /// ui-bridge, connecting to the broker.
    Ui,
    /// The broker, connecting to vault-proc or dns-proc.
    Broker,
    /// dns-proc, connecting to vault-proc.
    Dns,
}

impl Role {
    /// Every role (length-checked against strum's list; a unit test
    /// checks the contents).
    pub const ALL: [Role; <Self as strum::EnumCount>::COUNT] = [Role::Ui, Role::Broker, Role::Dns];

    /// Stable name for logs and HMAC transcripts (strum-derived).
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The name of an enum value's variant, without its contents (for errors
/// about an answer of the wrong shape: the contents may be secret).
/// Implemented through `strum::IntoStaticStr` on the response enums.
pub trait VariantName {
    /// The variant's name, e.g. `"Provider"`.
    fn variant_name(&self) -> &'static str;
}

/// Implements [`VariantName`] for enums deriving `strum::IntoStaticStr`.
macro_rules! variant_names {
    ($($t:ty),* $(,)?) => {
        $(impl VariantName for $t {
            fn variant_name(&self) -> &'static str {
                self.into()
            }
        })*
    };
}

variant_names!(vault::VaultResponse, dnsproc::DnsResponse, ui::UiResponse,);

/// A request from client to server, tagged with the client's request id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClientMsg<Q> {
    /// Request id chosen by the client; echoed on the response and events.
    pub id: u64,
    /// The request.
    pub request: Q,
}

/// A frame from server to client.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum ServerMsg<R, E> {
    /// The final answer to request `id`.
    Response {
        /// Request id.
        id: u64,
        /// Result.
        result: WireResult<R>,
    },
    /// A progress event belonging to request `id`.
    Event {
        /// Request id.
        id: u64,
        /// Event.
        event: E,
    },
}

/// Events on hops that have none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoEvent {}
