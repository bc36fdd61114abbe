//! rekey: self-service password recovery for terminals.
//!
//! The library holds everything that does not draw a screen: the recovery
//! flow and its rules (`recovery`), the sled store (`store`), where accounts
//! live (`directory`) and the recovery service that wizards and the daemon
//! call (`service`). The binary in `main.rs` is the command line on top.

#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod client;
pub mod config;
pub mod directory;
pub mod hardening;
pub mod i18n;
pub mod mail;
pub mod operator;
pub mod plain;
pub mod recovery;
pub mod service;
pub mod store;
pub mod tls;
pub mod tui;
