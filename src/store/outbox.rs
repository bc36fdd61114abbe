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

    /// Message `id`, for this transaction to take: `None` when it is gone,
    /// or when another daemon's transaction is taking it right now (on
    /// PostgreSQL the row is read `FOR UPDATE SKIP LOCKED`, so the
    /// workers of a fleet pass over each other's mail instead of waiting).
    pub fn claim_outbox_record(&self, id: u64) -> Result<Option<OutboxRecord>, TxFault> {
        match self.outbox.claim(id.to_be_bytes())? {
            super::Claimed::Got(bytes) => super::decode(&bytes).map(Some).map_err(TxFault::Corrupt),
            super::Claimed::Taken | super::Claimed::Missing => Ok(None),
        }
    }

    /// Removes message `id` from the outbox (delivered: the audit trail
    /// keeps that), and from the index of mail to deliver.
    pub fn remove_outbox_record(&self, id: u64) -> Result<(), TxFault> {
        self.meta.remove(pending_key(id))?;
        self.outbox.remove(id.to_be_bytes())?;
        Ok(())
    }

    /// Stores `record`, and keeps the index of mail still to deliver in
    /// step with its state.
    pub fn put_outbox_record(&self, record: &OutboxRecord) -> Result<(), TxFault> {
        let key = pending_key(record.id);
        if record.state.is_pending() {
            self.meta.insert(key, &[][..])?;
        } else {
            self.meta.remove(key)?;
        }
        put_json(self.outbox, &record.id.to_be_bytes(), record)
    }
}

/// In `meta`, one empty record per message still to deliver: the worker
/// looks at these every second, not at a week of mail already sent.
const PENDING_PREFIX: &[u8] = b"outbox_pending/";

fn pending_key(id: u64) -> Vec<u8> {
    let mut key = PENDING_PREFIX.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

impl OutboxState {
    /// Queued, or being delivered: the worker's business.
    pub fn is_pending(&self) -> bool {
        matches!(self, Self::Queued | Self::Sending { .. })
    }
}

impl Store {
    /// Every mail in the outbox, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxRecord>, StoreError> {
        super::decode_all(&self.outbox)
    }

    /// The mail still to deliver (queued or being delivered), oldest first.
    pub fn pending_outbox(&self) -> Result<Vec<OutboxRecord>, StoreError> {
        let mut pending = Vec::new();
        for entry in self.meta.scan_prefix(PENDING_PREFIX) {
            let (key, _) = entry?;
            let Some(record) = self.outbox.get(&key[PENDING_PREFIX.len()..])? else {
                continue;
            };
            let record: OutboxRecord = super::decode(&record).map_err(StoreError::Corrupt)?;
            if record.state.is_pending() {
                pending.push(record);
            }
        }
        Ok(pending)
    }

    /// Makes the index of mail to deliver match the outbox, for a store
    /// written before there was one. Run at open.
    pub(crate) fn index_pending_outbox(&self) -> Result<(), StoreError> {
        for entry in self.outbox.iter() {
            let (key, value) = entry?;
            let Ok(record) = super::decode::<OutboxRecord>(&value) else {
                continue;
            };
            let mut index = PENDING_PREFIX.to_vec();
            index.extend_from_slice(&key);
            if record.state.is_pending() && !self.meta.contains_key(&index)? {
                self.meta.insert(index, &[][..])?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreError};

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

    #[test]
    fn only_mail_still_to_deliver_is_pending_and_an_old_store_is_indexed_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let to = EmailAddress::parse("a@example.com").unwrap();
        store
            .transact(|tx| -> crate::store::TxResult<(), StoreError> {
                for state in [
                    OutboxState::Queued,
                    OutboxState::Sent { at_ms: 5 },
                    OutboxState::Abandoned { at_ms: 5 },
                    OutboxState::Sending { since_ms: 5 },
                ] {
                    let id = tx.queue_mail(&to, "en", OutboxMessage::UnknownAddress, 1)?;
                    let mut record = tx.outbox_record(id)?.unwrap();
                    record.state = state;
                    tx.put_outbox_record(&record)?;
                }
                Ok(())
            })
            .unwrap();
        let states = |store: &Store| -> Vec<OutboxState> {
            store
                .pending_outbox()
                .unwrap()
                .into_iter()
                .map(|r| r.state)
                .collect()
        };
        let want = vec![OutboxState::Queued, OutboxState::Sending { since_ms: 5 }];
        assert_eq!(states(&store), want);
        // A store from before the index: none of it, and no flag.
        for entry in store.meta.scan_prefix(PENDING_PREFIX) {
            store.meta.remove(entry.unwrap().0).unwrap();
        }
        store.meta.remove(b"outbox_pending_indexed").unwrap();
        assert!(states(&store).is_empty());
        store.flush().unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(states(&store), want);
    }
}
