//! The JSON side of the UI contract (`docs/protocol.md`): parsing request lines
//! into typed commands and rendering typed answers as JSON. Only ui-bridge
//! knows JSON; everything behind it speaks typed messages.

pub mod args;
pub mod request;
pub mod response;
pub mod views;
pub mod workflow;
