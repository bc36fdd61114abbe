//! Mail: the texts (`templates`), where a message goes (`transport`) and the
//! worker that takes queued mail out of the store's outbox and delivers it
//! with retries (`worker`).

pub mod templates;
pub mod transport;
pub mod worker;

pub use transport::{MailDir, Transport};
pub use worker::OutboxWorker;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// The From of every message rekey sends.
    pub from: String,
    /// Tries before a message is abandoned.
    pub max_tries: u32,
    /// The first retry waits this long; each later one twice as long.
    pub retry_base_secs: u64,
    /// No retry waits longer than this.
    pub retry_max_secs: u64,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: "rekey <rekey@localhost>".to_string(),
            max_tries: 8,
            retry_base_secs: 5,
            retry_max_secs: 600,
        }
    }
}
