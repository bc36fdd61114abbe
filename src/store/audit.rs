//! The `audit` tree: an append-only trail of every step and outcome, each
//! event chained to the one before by a SHA-256 hash, so that an edited,
//! removed or reordered event is found by [`Store::verify_audit`].
//!
//! Events older than the retention are pruned from the front of the
//! chain; a checkpoint in `meta` keeps the number, hash and time of the
//! last pruned event, so the chain still verifies from there: the first
//! kept event's link names the checkpoint's hash, and changing the
//! checkpoint breaks that link as changing any event does.
//!
//! Codes and passwords never reach this module: an event holds a kind, an
//! account, an outcome, a short detail and where the person was.

use super::{Store, StoreError, StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, Millis};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const HEAD_KEY: &[u8] = b"audit_head";
const CHECKPOINT_KEY: &[u8] = b"audit_checkpoint";
/// Events pruned in one transaction.
const PRUNE_BATCH: usize = 256;
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditKind {
    SlideChecked,
    Requested,
    MethodChosen,
    TicketOpened,
    TicketResolved,
    CodeSent,
    CodeChecked,
    PasswordRefused,
    /// A change was sent to an external directory; its outcome follows.
    PasswordChangeStarted,
    PasswordChanged,
    /// A change's outcome could not be learned (yet): the operator looks.
    PasswordChangeUnknown,
    AccountAdded,
    AccountRemoved,
    /// Someone who may not run operator commands tried one.
    OperatorRefused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Ok,
    Refused,
    /// rekey could not learn whether it happened.
    Unknown,
}

/// An event as a step describes it; the chain fields are added on append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    pub kind: AuditKind,
    pub account: Option<EmailAddress>,
    pub outcome: Outcome,
    pub detail: String,
    pub client: String,
}

impl AuditDraft {
    pub fn new(kind: AuditKind, account: Option<&EmailAddress>, client: &str) -> Self {
        Self {
            kind,
            account: account.cloned(),
            outcome: Outcome::Ok,
            detail: String::new(),
            client: client.to_string(),
        }
    }

    pub fn refused(mut self, detail: impl Into<String>) -> Self {
        self.outcome = Outcome::Refused;
        self.detail = detail.into();
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    pub seq: u64,
    pub time_ms: Millis,
    pub kind: AuditKind,
    pub account: Option<EmailAddress>,
    pub outcome: Outcome,
    pub detail: String,
    pub client: String,
    /// The previous event's hash (all zeros for the first).
    pub prev: String,
    pub hash: String,
}

#[derive(Serialize)]
struct Hashed<'a> {
    seq: u64,
    time_ms: Millis,
    kind: AuditKind,
    account: &'a Option<EmailAddress>,
    outcome: Outcome,
    detail: &'a str,
    client: &'a str,
    prev: &'a str,
}

impl AuditEvent {
    fn compute_hash(&self) -> String {
        let body = Hashed {
            seq: self.seq,
            time_ms: self.time_ms,
            kind: self.kind,
            account: &self.account,
            outcome: self.outcome,
            detail: &self.detail,
            client: &self.client,
            prev: &self.prev,
        };
        // Serialising a struct of plain fields cannot fail.
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        hex::encode(Sha256::digest(bytes))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Head {
    seq: u64,
    hash: String,
}

/// Where the kept trail starts: the last event pruned, and how many were.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The last pruned event's number and hash.
    pub seq: u64,
    pub hash: String,
    /// Its time: everything up to then is gone.
    pub through_ms: Millis,
    /// Events pruned in all (they were numbered 1 to `seq`).
    pub pruned: u64,
    /// When the latest pruning ran.
    pub at_ms: Millis,
}

impl StoreTx<'_> {
    /// Appends an event at the end of the chain.
    pub fn audit(&self, draft: AuditDraft, now: Millis) -> Result<(), TxFault> {
        let head: Option<Head> = get_json(self.meta, HEAD_KEY)?;
        let (seq, prev) = match head {
            Some(h) => (h.seq + 1, h.hash),
            None => (1, GENESIS.to_string()),
        };
        let mut event = AuditEvent {
            seq,
            time_ms: now,
            kind: draft.kind,
            account: draft.account,
            outcome: draft.outcome,
            detail: clean(&draft.detail),
            client: clean(&draft.client),
            prev,
            hash: String::new(),
        };
        event.hash = event.compute_hash();
        put_json(self.audit, &seq.to_be_bytes(), &event)?;
        put_json(
            self.meta,
            HEAD_KEY,
            &Head {
                seq,
                hash: event.hash,
            },
        )
    }
}

/// Strips control and format characters and bounds the length of free text: room
/// for a DN and a directory's whole refusal.
fn clean(text: &str) -> String {
    crate::recovery::text::visible(text, 400)
}

/// What `rekey audit verify` found. `events` counts the kept ones; the
/// checkpoint says what was pruned before them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainReport {
    Intact {
        events: u64,
        pruned: Option<Checkpoint>,
    },
    Broken {
        at_seq: u64,
        reason: String,
    },
}

impl Store {
    /// Every event, oldest first.
    pub fn audit_events(&self) -> Result<Vec<AuditEvent>, StoreError> {
        super::decode_all(&self.audit)
    }

    /// Walks the chain: every event's hash, its link to the one before, the
    /// numbering without gaps, and the head that names the last event.
    pub fn verify_audit(&self) -> Result<ChainReport, StoreError> {
        let checkpoint: Option<Checkpoint> = match self.meta.get(CHECKPOINT_KEY)? {
            None => None,
            Some(bytes) => match super::decode(&bytes) {
                Ok(c) => Some(c),
                Err(_) => {
                    return Ok(ChainReport::Broken {
                        at_seq: 1,
                        reason: "the record of the pruned events is unreadable".to_string(),
                    });
                }
            },
        };
        let (mut expected_seq, mut prev) = match &checkpoint {
            Some(c) => (c.seq + 1, c.hash.clone()),
            None => (1, GENESIS.to_string()),
        };
        let first_kept = expected_seq;
        for entry in self.audit.iter() {
            let (key, value) = entry?;
            let broken = |reason: &str| {
                Ok(ChainReport::Broken {
                    at_seq: expected_seq,
                    reason: reason.to_string(),
                })
            };
            let Ok(event) = super::decode::<AuditEvent>(&value) else {
                return broken("the event is unreadable");
            };
            if key.as_ref() != event.seq.to_be_bytes() {
                return broken("the event is stored under another number");
            }
            if event.seq != expected_seq {
                return broken("an event is missing before this one");
            }
            if event.prev != prev {
                return broken(if event.seq == first_kept && checkpoint.is_some() {
                    "the link to the pruned events' checkpoint does not match"
                } else {
                    "the link to the previous event does not match"
                });
            }
            if event.compute_hash() != event.hash {
                return broken("the event was changed after it was written");
            }
            prev = event.hash;
            expected_seq += 1;
        }
        let last = expected_seq - 1;
        let events = expected_seq - first_kept;
        let head: Option<Head> = match self.meta.get(HEAD_KEY)? {
            None => None,
            Some(bytes) => match super::decode(&bytes) {
                Ok(head) => Some(head),
                Err(_) => {
                    return Ok(ChainReport::Broken {
                        at_seq: last + 1,
                        reason: "the record of the trail's end is unreadable".to_string(),
                    });
                }
            },
        };
        let head_matches = match &head {
            None => last == 0,
            Some(h) => h.seq == last && h.hash == prev,
        };
        if !head_matches {
            return Ok(ChainReport::Broken {
                at_seq: last + 1,
                reason: "events at the end of the trail were removed".to_string(),
            });
        }
        Ok(ChainReport::Intact {
            events,
            pruned: checkpoint,
        })
    }

    /// Prunes events older than `keep_ms` from the front of the trail, a
    /// batch per transaction, each with the checkpoint moved up to its last
    /// event. The newest event always stays, so the head keeps its link.
    /// Returns how many went.
    pub fn prune_audit(&self, now: Millis, keep_ms: Millis) -> Result<u64, StoreError> {
        let cutoff = now.saturating_sub(keep_ms);
        let mut removed = 0;
        loop {
            let batch: Vec<AuditEvent> = self
                .audit
                .iter()
                .values()
                .take(PRUNE_BATCH + 1)
                .map(|v| super::decode::<AuditEvent>(&v?).map_err(StoreError::Corrupt))
                .collect::<Result<_, _>>()?;
            let keep_last = batch.len().saturating_sub(1).min(PRUNE_BATCH);
            let old: Vec<&AuditEvent> = batch[..keep_last]
                .iter()
                .take_while(|e| e.time_ms < cutoff)
                .collect();
            let Some(last) = old.last() else {
                return Ok(removed);
            };
            let keys: Vec<[u8; 8]> = old.iter().map(|e| e.seq.to_be_bytes()).collect();
            let (seq, hash, through_ms) = (last.seq, last.hash.clone(), last.time_ms);
            // Read again inside: another pruning may have got here first,
            // and the checkpoint never moves back.
            let count = self.transact(|tx| -> super::TxResult<u64, StoreError> {
                let before: Option<Checkpoint> = get_json(tx.meta, CHECKPOINT_KEY)?;
                if before.as_ref().is_some_and(|c| c.seq >= seq) {
                    return Ok(0);
                }
                let mut count = 0;
                for key in &keys {
                    if tx.audit.remove(key.as_slice())?.is_some() {
                        count += 1;
                    }
                }
                put_json(
                    tx.meta,
                    CHECKPOINT_KEY,
                    &Checkpoint {
                        seq,
                        hash: hash.clone(),
                        through_ms,
                        pruned: before.map_or(0, |c| c.pruned) + count,
                        at_ms: now,
                    },
                )?;
                Ok(count)
            })?;
            if count == 0 {
                return Ok(removed);
            }
            removed += count;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_events(n: u64) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let address = EmailAddress::parse("a@example.com").unwrap();
        for i in 0..n {
            store
                .transact(|tx| -> super::super::TxResult<(), StoreError> {
                    tx.audit(
                        AuditDraft::new(AuditKind::Requested, Some(&address), "ssh 10.0.0.1"),
                        1_000 + i,
                    )?;
                    Ok(())
                })
                .unwrap();
        }
        (dir, store)
    }

    fn rewrite(store: &Store, seq: u64, change: impl Fn(&mut AuditEvent)) {
        let key = seq.to_be_bytes();
        let mut event: AuditEvent =
            serde_json::from_slice(&store.audit.get(key).unwrap().unwrap()).unwrap();
        change(&mut event);
        store
            .audit
            .insert(key, serde_json::to_vec(&event).unwrap())
            .unwrap();
    }

    #[test]
    fn an_untouched_chain_verifies_after_reopen() {
        let (dir, store) = store_with_events(5);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.verify_audit().unwrap(),
            ChainReport::Intact {
                events: 5,
                pruned: None
            }
        );
        assert_eq!(store.audit_events().unwrap()[2].seq, 3);
    }

    /// Events at 1,000 ms and on, one a millisecond.
    #[test]
    fn pruning_keeps_the_chain_verifiable_from_a_checkpoint_across_a_reopen() {
        let (dir, store) = store_with_events(600);
        // Keep what is younger than 100 ms at 1,400: events 401 to 600.
        assert_eq!(store.prune_audit(1_400, 100).unwrap(), 300);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let events = store.audit_events().unwrap();
        assert_eq!(events.first().map(|e| e.seq), Some(301));
        match store.verify_audit().unwrap() {
            ChainReport::Intact {
                events: 300,
                pruned: Some(c),
            } => {
                assert_eq!((c.seq, c.pruned, c.through_ms), (300, 300, 1_299));
            }
            other => panic!("{other:?}"),
        }
        // Nothing more to prune; the newest event always stays.
        assert_eq!(store.prune_audit(1_400, 100).unwrap(), 0);
        assert_eq!(store.prune_audit(10_000, 0).unwrap(), 299);
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Intact { events: 1, pruned: Some(c) } if c.pruned == 599
        ));
    }

    #[test]
    fn two_prunings_at_once_count_each_event_once_and_keep_the_chain() {
        let (_dir, store) = store_with_events(1_000);
        let (a, b) = (store.clone(), store.clone());
        let first = std::thread::spawn(move || a.prune_audit(1_900, 100).unwrap());
        let second = std::thread::spawn(move || b.prune_audit(1_900, 100).unwrap());
        let removed = first.join().unwrap() + second.join().unwrap();
        assert_eq!(removed, 800);
        match store.verify_audit().unwrap() {
            ChainReport::Intact {
                events: 200,
                pruned: Some(c),
            } => assert_eq!((c.seq, c.pruned), (800, 800)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_changed_checkpoint_or_a_removed_first_kept_event_is_found() {
        let (_dir, store) = store_with_events(10);
        store.prune_audit(1_005, 0).unwrap();
        let mut checkpoint: Checkpoint =
            serde_json::from_slice(&store.meta.get(CHECKPOINT_KEY).unwrap().unwrap()).unwrap();
        checkpoint.hash = GENESIS.to_string();
        store
            .meta
            .insert(CHECKPOINT_KEY, serde_json::to_vec(&checkpoint).unwrap())
            .unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 6, ref reason } if reason.contains("checkpoint")
        ));

        let (_dir, store) = store_with_events(10);
        store.prune_audit(1_005, 0).unwrap();
        store.audit.remove(6u64.to_be_bytes()).unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 6, .. }
        ));
    }

    #[test]
    fn an_edited_event_is_found() {
        let (_dir, store) = store_with_events(5);
        rewrite(&store, 3, |e| e.outcome = Outcome::Refused);
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 3, .. }
        ));
    }

    #[test]
    fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
        let (_dir, store) = store_with_events(5);
        rewrite(&store, 3, |e| {
            e.client = "somewhere else".into();
            e.hash = e.compute_hash();
        });
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 4, .. }
        ));
    }

    #[test]
    fn a_deleted_event_is_found_in_the_middle_and_at_the_end() {
        let (_dir, store) = store_with_events(5);
        store.audit.remove(2u64.to_be_bytes()).unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 2, .. }
        ));

        let (_dir, store) = store_with_events(5);
        store.audit.remove(5u64.to_be_bytes()).unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 5, .. }
        ));
    }

    #[test]
    fn free_text_is_cleaned_of_control_characters() {
        assert_eq!(clean("tty\u{1b}[2J/1"), "tty[2J/1");
        assert_eq!(clean(&"x".repeat(500)).len(), 400);
    }
}
