//! Local stand-ins for the cloud DNS APIs the product talks to, for tests and
//! benchmarks on a machine without internet: Cloudflare v4 and DigitalOcean v2
//! written from their public API documentation, writing every change through
//! to a real PowerDNS so that DNS verification stays real; and a mirror that
//! copies Route53 TXT records from moto into PowerDNS; and [`ari`], an
//! HTTPS front for pebble (which has no ARI) that adds RFC 9773 renewal
//! information and checks `replaces`.
//!
//! Start a stand-in with [`cloudflare::start`] or [`digitalocean::start`],
//! point the product's adapter at [`Standin::base_url`], and drop the
//! [`Standin`] to stop it. The Route53 side is served by moto itself;
//! [`route53_mirror::Mirror`] copies what moto holds into PowerDNS.

pub mod ari;
pub mod cloudflare;
pub mod digitalocean;
mod names;
mod options;
mod paging;
pub mod pdns;
pub mod route53_mirror;
mod standin;
mod store;
mod txt;

pub use options::StandinOptions;
pub use pdns::PdnsTarget;
pub use standin::Standin;
