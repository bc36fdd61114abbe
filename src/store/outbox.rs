//! The `outbox` tree: every mail rekey sends is first a record here, written
//! in the same transaction as the step that caused it, so no mail is lost
//! when the mail server is down or the process dies.
//!
//! A code mail carries the code in clear until it is delivered: the one
//! place a code exists outside its hash, and the reason the data directory
//! is private to rekey.

use super::{Store, StoreError, StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, Millis};
use serde::{Deserialize, Serialize};

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboxMessage {
    /// The verification code, as `482 913`, and the match phrase shown on
    /// the screen that asked for it.
    Code {
        code: String,
        lifetime_secs: u64,
        #[serde(default)]
        phrase: String,
    },
    /// "Your password was changed".
    PasswordChanged { at_ms: Millis, client: String },
    /// A code was asked for an address with no account (only when the
    /// operator turned `mail.notify_unknown_addresses` on).
    UnknownAddress,
    /// No message: a code was asked for an address with no account, and
    /// the worker checks that mail can go out (the server answers) instead
    /// of delivering, with the same tries and backoff. Mail health, which
    /// every screen shows, then moves the same whether or not the address
    /// has an account, also while mail is failing.
    Probe { lifetime_secs: u64 },
}

/// Never prints a code.
impl std::fmt::Debug for OutboxMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Code {
                code,
                lifetime_secs,
                phrase,
            } => f
                .debug_struct("Code")
                .field("code", &if code.is_empty() { "" } else { "*** ***" })
                .field("lifetime_secs", lifetime_secs)
                .field("phrase", phrase)
                .finish(),
            Self::PasswordChanged { at_ms, client } => f
                .debug_struct("PasswordChanged")
                .field("at_ms", at_ms)
                .field("client", client)
                .finish(),
            Self::UnknownAddress => f.write_str("UnknownAddress"),
            Self::Probe { lifetime_secs } => f
                .debug_struct("Probe")
                .field("lifetime_secs", lifetime_secs)
                .finish(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OutboxState {
    Queued,
    /// Handed to the transport at `since_ms`. A message still in this state
    /// long after belongs to a process that died mid-delivery: it is tried
    /// again, with the same Message-ID, so a receiver can spot the repeat.
    Sending {
        since_ms: Millis,
    },
    Sent {
        at_ms: Millis,
    },
    Abandoned {
        at_ms: Millis,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub id: u64,
    pub to: EmailAddress,
    /// The language the person used, for the mail's text.
    pub language: String,
    pub message: OutboxMessage,
    pub created_ms: Millis,
    pub state: OutboxState,
    pub tries: u32,
    pub next_try_ms: Millis,
    pub last_error: Option<String>,
}

impl StoreTx<'_> {
    /// Queues a mail for delivery; returns its id.
    pub fn queue_mail(
        &self,
        to: &EmailAddress,
        language: &str,
        message: OutboxMessage,
        now: Millis,
    ) -> Result<u64, TxFault> {
        let id = self.outbox.generate_id()?;
        let record = OutboxRecord {
            id,
            to: to.clone(),
            language: language.to_string(),
            message,
            created_ms: now,
            state: OutboxState::Queued,
            tries: 0,
            next_try_ms: now,
            last_error: None,
        };
        self.put_outbox_record(&record)?;
        Ok(id)
    }

    pub fn outbox_record(&self, id: u64) -> Result<Option<OutboxRecord>, TxFault> {
        get_json(self.outbox, &id.to_be_bytes())
    }

    pub fn put_outbox_record(&self, record: &OutboxRecord) -> Result<(), TxFault> {
        put_json(self.outbox, &record.id.to_be_bytes(), record)
    }
}

impl Store {
    /// Every mail in the outbox, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxRecord>, StoreError> {
        super::decode_all(&self.outbox)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_a_code() {
        let message = OutboxMessage::Code {
            code: "482 913".into(),
            lifetime_secs: 600,
            phrase: "amber otter".into(),
        };
        let shown = format!("{message:?}");
        assert!(!shown.contains("482"), "{shown}");
    }
}
