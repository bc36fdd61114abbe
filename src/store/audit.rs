//! The `audit` tree: an append-only trail of every step and outcome, each
//! event chained to the one before by a SHA-256 hash, so that an edited,
//! removed or reordered event is found by [`Store::verify_audit`].
//!
//! A step writes its events into the `audit` tree, in the step's own
//! transaction; settling moves them, a minute's worth at a time, to the
//! journal (`journal.rs`): files a day each, beside the store. sled holds
//! the last minute of the trail, the journal the rest.
//!
//! Events older than the retention are pruned from the front of the
//! chain, a day's file at a time; a checkpoint in `meta` keeps the number,
//! hash and time of the last pruned event, so the chain still verifies
//! from there: the first kept event's link names the checkpoint's hash,
//! and changing the checkpoint breaks that link as changing any event does.
//!
//! Codes and passwords never reach this module: an event holds a kind, an
//! account, an outcome, a short detail and where the person was.

use super::journal::Line;
use super::{Store, StoreError, StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, Millis};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::PoisonError;

const HEAD_KEY: &[u8] = b"audit_head";
/// How far the journal is on disk (`journal::Acknowledged`).
pub(crate) const JOURNAL_ACK_KEY: &[u8] = b"audit_journal_acknowledged";
const CHECKPOINT_KEY: &[u8] = b"audit_checkpoint";
/// Events moved to the journal in one append.
const SETTLE_BATCH: usize = 4096;
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
    /// A mail left the outbox: the server took it. Its record goes from
    /// the outbox then; this is what is kept of it.
    MailSent,
    /// A sign-in on the landing screen: `Ok` when the password works.
    SignIn,
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

/// An event as the walk over the trail finds it.
enum Found {
    Event(Box<AuditEvent>),
    /// In the journal: a line that is not an event.
    UnreadableLine,
    /// In sled: a record that is not an event, or one under the wrong key.
    Unreadable,
    Misfiled(Box<AuditEvent>),
}

impl Store {
    /// Every event, oldest first.
    pub fn audit_events(&self) -> Result<Vec<AuditEvent>, StoreError> {
        let mut events = Vec::new();
        let mut unreadable = false;
        self.walk_audit(|found| {
            match found {
                Found::Event(e) | Found::Misfiled(e) => events.push(*e),
                Found::UnreadableLine | Found::Unreadable => unreadable = true,
            }
            !unreadable
        })?;
        if unreadable {
            return Err(StoreError::Corrupt(
                "an audit event is unreadable (rekey audit verify says which)".to_string(),
            ));
        }
        Ok(events)
    }

    /// The `mail_sent` event of outbox message `id`, if the kept trail has
    /// one: read until it is found, not gathered whole.
    pub fn mail_sent(&self, id: u64) -> Result<Option<AuditEvent>, StoreError> {
        let wanted = format!("message {id} (");
        let mut found = None;
        self.walk_audit(|event| {
            if let Found::Event(e) = event
                && e.kind == AuditKind::MailSent
                && e.detail.starts_with(&wanted)
            {
                found = Some(*e);
                return false;
            }
            true
        })?;
        Ok(found)
    }

    fn checkpoint(&self) -> Result<Result<Option<Checkpoint>, ()>, StoreError> {
        Ok(match self.meta.get(CHECKPOINT_KEY)? {
            None => Ok(None),
            Some(bytes) => super::decode(&bytes).map(Some).map_err(|_| ()),
        })
    }

    /// Calls `each` with the kept trail in order, until it returns false:
    /// the journal's events after the checkpoint, then those still in
    /// sled. Settling waits meanwhile, so no event is seen twice or missed.
    fn walk_audit(&self, mut each: impl FnMut(Found) -> bool) -> Result<(), StoreError> {
        let journal = self
            .journal
            .as_ref()
            .map(|j| j.lock().unwrap_or_else(PoisonError::into_inner));
        let after = match self.checkpoint()? {
            Ok(c) => c.map_or(0, |c| c.seq),
            Err(()) => 0,
        };
        let mut go_on = true;
        let segments = match &journal {
            Some(journal) => journal
                .segments()
                .map_err(|e| self.journal_error(journal.dir(), &e))?,
            None => Vec::new(),
        };
        for segment in segments {
            let journal_error = |e: std::io::Error| self.journal_error(&segment.path, &e);
            super::journal::read_segment(&segment, |line| {
                go_on = match line {
                    Line::Event(e) if e.seq <= after => true,
                    Line::Event(e) => each(Found::Event(e)),
                    Line::Unreadable => each(Found::UnreadableLine),
                };
                go_on
            })
            .map_err(journal_error)?;
            if !go_on {
                return Ok(());
            }
        }
        let settled = journal.as_ref().map_or(0, |j| j.last_seq()).max(after);
        for entry in self.audit.iter() {
            let (key, value) = entry?;
            let found = match super::decode::<AuditEvent>(&value) {
                Err(_) => Found::Unreadable,
                Ok(e) if e.seq <= settled && key.as_ref() == e.seq.to_be_bytes() => continue,
                Ok(e) if key.as_ref() != e.seq.to_be_bytes() => Found::Misfiled(Box::new(e)),
                Ok(e) => Found::Event(Box::new(e)),
            };
            if !each(found) {
                return Ok(());
            }
        }
        Ok(())
    }

    fn journal_error(&self, dir: &std::path::Path, e: &std::io::Error) -> StoreError {
        if super::is_no_space(e) {
            StoreError::NoSpace(dir.to_path_buf())
        } else {
            StoreError::Journal {
                path: dir.to_path_buf(),
                message: e.to_string(),
            }
        }
    }

    /// Moves the events written since the last time from sled to the
    /// journal: appended and synced, then removed from sled. Returns how
    /// many moved. Run now and then, off the request path; an idle store
    /// has nothing to move and writes nothing.
    pub fn settle_audit(&self) -> Result<usize, StoreError> {
        // PostgreSQL keeps the trail in its table: nothing to move.
        let Some(journal) = &self.journal else {
            return Ok(0);
        };
        let mut journal = journal.lock().unwrap_or_else(PoisonError::into_inner);
        if journal.last_seq() == 0
            && let Ok(Some(checkpoint)) = self.checkpoint()?
        {
            // A store pruned before it had a journal: its events go on
            // from the checkpoint.
            if journal.segments().is_ok_and(|s| s.is_empty()) {
                journal.continue_after(checkpoint.seq);
            }
        }
        let mut moved = 0;
        loop {
            let settled = journal.last_seq();
            let mut stale = Vec::new();
            let mut batch = Vec::new();
            // What stops settling short of the end: left in sled for
            // verify to report, and said, so it does not go unseen.
            let mut stuck = None;
            for entry in self.audit.iter() {
                let (key, value) = entry?;
                let Ok(event) = super::decode::<AuditEvent>(&value) else {
                    stuck = Some("an event waiting in the store is unreadable".to_string());
                    break;
                };
                if key.as_ref() != event.seq.to_be_bytes() {
                    stuck = Some(format!(
                        "event {} is stored under another number",
                        event.seq
                    ));
                    break;
                }
                if event.seq <= settled {
                    // In the journal already: a crash of a store from before
                    // the acknowledged point was kept.
                    stale.push(key);
                    continue;
                }
                if batch.len() >= SETTLE_BATCH {
                    break;
                }
                let next = settled + 1 + batch.len() as u64;
                if event.seq != next {
                    stuck = Some(format!(
                        "event {} cannot follow event {} in the journal",
                        event.seq,
                        next - 1
                    ));
                    break;
                }
                batch.push(event);
            }
            let dir = journal.dir().to_path_buf();
            let acknowledged = if batch.is_empty() {
                None
            } else {
                Some(
                    journal
                        .append(&batch)
                        .map_err(|e| self.journal_error(&dir, &e))?,
                )
            };
            if !batch.is_empty() || !stale.is_empty() {
                // Out of sled, and the point the journal reached, together:
                // a crash before this commits leaves the events in sled, and
                // the next open cuts the journal back to the point before.
                self.transact(|tx| -> super::TxResult<(), StoreError> {
                    for key in &stale {
                        tx.audit.remove(key)?;
                    }
                    for event in &batch {
                        tx.audit.remove(event.seq.to_be_bytes())?;
                    }
                    if let Some(ack) = &acknowledged {
                        put_json(tx.meta, JOURNAL_ACK_KEY, ack)?;
                    }
                    Ok(())
                })?;
            }
            moved += batch.len();
            if let Some(why) = stuck {
                return Err(StoreError::Journal {
                    path: dir,
                    message: format!("{why}; the events from there on stay in the store"),
                });
            }
            if batch.len() < SETTLE_BATCH {
                return Ok(moved);
            }
        }
    }

    /// Walks the chain: every event's hash, its link to the one before, the
    /// numbering without gaps, and the head that names the last event. On
    /// a fleet's store another daemon may prune while the walk goes on: a
    /// break found while the checkpoint moved is walked again.
    pub fn verify_audit(&self) -> Result<ChainReport, StoreError> {
        let mut tries = 0;
        loop {
            let before = self.checkpoint()?;
            let report = self.verify_audit_once()?;
            tries += 1;
            if matches!(report, ChainReport::Intact { .. })
                || self.journal.is_some()
                || self.checkpoint()? == before
            {
                return Ok(report);
            }
            if tries >= 3 {
                return Err(StoreError::Postgres(
                    "the trail was being pruned during each walk; run the check again in a \
                     minute"
                        .into(),
                ));
            }
        }
    }

    fn verify_audit_once(&self) -> Result<ChainReport, StoreError> {
        let checkpoint = match self.checkpoint()? {
            Ok(c) => c,
            Err(()) => {
                return Ok(ChainReport::Broken {
                    at_seq: 1,
                    reason: "the record of the pruned events is unreadable".to_string(),
                });
            }
        };
        let (mut expected_seq, mut prev) = match &checkpoint {
            Some(c) => (c.seq + 1, c.hash.clone()),
            None => (1, GENESIS.to_string()),
        };
        let first_kept = expected_seq;
        // The trail's end as it is now, read first: events a step adds
        // while the walk goes on are after it, and are not counted as
        // removed ones.
        let head: Result<Option<Head>, ()> = match self.meta.get(HEAD_KEY)? {
            None => Ok(None),
            Some(bytes) => super::decode(&bytes).map(Some).map_err(|_| ()),
        };
        let end = match &head {
            Ok(Some(h)) => h.seq,
            Ok(None) => 0,
            Err(()) => u64::MAX,
        };
        let mut broken: Option<&'static str> = None;
        self.walk_audit(|found| {
            if let Found::Event(e) = &found
                && e.seq > end
            {
                return false;
            }
            let event = match found {
                Found::UnreadableLine | Found::Unreadable => {
                    broken = Some("the event is unreadable");
                    return false;
                }
                Found::Misfiled(_) => {
                    broken = Some("the event is stored under another number");
                    return false;
                }
                Found::Event(e) => e,
            };
            if event.seq != expected_seq {
                broken = Some("an event is missing before this one");
                return false;
            }
            if event.prev != prev {
                broken = Some(if event.seq == first_kept && checkpoint.is_some() {
                    "the link to the pruned events' checkpoint does not match"
                } else {
                    "the link to the previous event does not match"
                });
                return false;
            }
            if event.compute_hash() != event.hash {
                broken = Some("the event was changed after it was written");
                return false;
            }
            prev = event.hash;
            expected_seq += 1;
            true
        })?;
        if let Some(reason) = broken {
            return Ok(ChainReport::Broken {
                at_seq: expected_seq,
                reason: reason.to_string(),
            });
        }
        let last = expected_seq - 1;
        let events = expected_seq - first_kept;
        let Ok(head) = head else {
            return Ok(ChainReport::Broken {
                at_seq: last + 1,
                reason: "the record of the trail's end is unreadable".to_string(),
            });
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

    /// Prunes the trail's events older than `keep_ms`, a journal file (a
    /// day of events) at a time: a file goes once its last event is past
    /// the retention, so an event is kept at most a day longer. The
    /// checkpoint moves up to the file's last event, in sled, before the
    /// file is removed; the newest file always stays, so the head keeps
    /// its link. Returns how many events went.
    pub fn prune_audit(&self, now: Millis, keep_ms: Millis) -> Result<u64, StoreError> {
        self.settle_audit()?;
        let cutoff = now.saturating_sub(keep_ms);
        let Some(journal) = &self.journal else {
            return self.prune_table(now, cutoff);
        };
        let mut journal = journal.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = journal.dir().to_path_buf();
        let io = |e: std::io::Error| self.journal_error(&dir, &e);
        let segments = journal.segments().map_err(io)?;
        let mut removed = 0;
        for segment in segments.iter().take(segments.len().saturating_sub(1)) {
            let mut last: Option<AuditEvent> = None;
            let mut count = 0u64;
            let mut readable = true;
            super::journal::read_segment(segment, |line| {
                match line {
                    Line::Event(e) => {
                        count += 1;
                        last = Some(*e);
                    }
                    Line::Unreadable => readable = false,
                }
                readable
            })
            .map_err(io)?;
            // A file with an edited line stays, for verify to report.
            let Some(last) = last.filter(|e| readable && e.time_ms < cutoff) else {
                break;
            };
            // Moved up, never back: a checkpoint already past this file
            // (a removal that a crash interrupted) stays as it is.
            let counted = self.transact(|tx| -> super::TxResult<u64, StoreError> {
                let before: Option<Checkpoint> = get_json(tx.meta, CHECKPOINT_KEY)?;
                if before.as_ref().is_some_and(|c| c.seq >= last.seq) {
                    return Ok(0);
                }
                let already = before.as_ref().map_or(0, |c| c.seq);
                // Events missing between the checkpoint and this file: moving
                // the checkpoint over them would hide that they went.
                if segment.first_seq > already + 1 {
                    return super::abort(StoreError::Journal {
                        path: segment.path.clone(),
                        message: format!(
                            "events {} to {} are missing before this file; rekey audit verify \
                             reports it, and nothing is pruned past it",
                            already + 1,
                            segment.first_seq - 1
                        ),
                    });
                }
                let newly = last.seq.saturating_sub(already).min(count);
                put_json(
                    tx.meta,
                    CHECKPOINT_KEY,
                    &Checkpoint {
                        seq: last.seq,
                        hash: last.hash.clone(),
                        through_ms: last.time_ms,
                        pruned: before.map_or(0, |c| c.pruned) + newly,
                        at_ms: now,
                    },
                )?;
                Ok(newly)
            })?;
            self.flush()?;
            journal.remove(segment).map_err(io)?;
            removed += counted;
        }
        Ok(removed)
    }
}

impl Store {
    /// Prunes a trail kept whole in the store (PostgreSQL): the events
    /// before `cutoff`, oldest first, a batch a transaction, the checkpoint
    /// moved up with each; the newest event always stays, so the head
    /// keeps its link.
    fn prune_table(&self, now: Millis, cutoff: Millis) -> Result<u64, StoreError> {
        const BATCH: usize = 1000;
        let mut removed = 0;
        loop {
            let mut batch: Vec<AuditEvent> = Vec::new();
            let mut entries = self.audit.iter().peekable();
            while let Some(entry) = entries.next() {
                let (_, value) = entry?;
                // An unreadable event stays, for verify to report.
                let Ok(event) = super::decode::<AuditEvent>(&value) else {
                    break;
                };
                if event.time_ms >= cutoff || entries.peek().is_none() || batch.len() >= BATCH {
                    break;
                }
                batch.push(event);
            }
            let Some(last) = batch.last().cloned() else {
                return Ok(removed);
            };
            let counted = self.transact(|tx| -> super::TxResult<u64, StoreError> {
                let before: Option<Checkpoint> = get_json(tx.meta, CHECKPOINT_KEY)?;
                let already = before.as_ref().map_or(0, |c| c.seq);
                // Only from the checkpoint on, without gaps: verify
                // reports a gap, and nothing is pruned past it.
                let mut next = already + 1;
                let mut newly = 0;
                for event in batch.iter().filter(|e| e.seq > already) {
                    if event.seq != next {
                        break;
                    }
                    tx.audit.remove(event.seq.to_be_bytes())?;
                    next += 1;
                    newly += 1;
                }
                let Some(through) = batch.iter().find(|e| e.seq == next - 1) else {
                    return Ok(0);
                };
                put_json(
                    tx.meta,
                    CHECKPOINT_KEY,
                    &Checkpoint {
                        seq: through.seq,
                        hash: through.hash.clone(),
                        through_ms: through.time_ms,
                        pruned: before.map_or(0, |c| c.pruned) + newly,
                        at_ms: now,
                    },
                )?;
                Ok(newly)
            })?;
            removed += counted;
            if counted == 0 || batch.len() < BATCH || last.seq == 0 {
                return Ok(removed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` events in sled, the `i`th at `time_of(i)`.
    fn store_with_events_at(n: u64, time_of: impl Fn(u64) -> Millis) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let address = EmailAddress::parse("a@example.com").unwrap();
        for i in 0..n {
            store
                .transact(|tx| -> super::super::TxResult<(), StoreError> {
                    tx.audit(
                        AuditDraft::new(AuditKind::Requested, Some(&address), "ssh 10.0.0.1"),
                        time_of(i),
                    )?;
                    Ok(())
                })
                .unwrap();
        }
        (dir, store)
    }

    fn store_with_events(n: u64) -> (tempfile::TempDir, Store) {
        store_with_events_at(n, |i| 1_000 + i)
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

    const HOUR: Millis = 3600 * 1000;
    const DAY: Millis = 24 * HOUR;

    /// One event of `kind` at `time_ms`, written as a step writes it.
    fn append(store: &Store, kind: AuditKind, time_ms: Millis) {
        store
            .transact(|tx| -> super::super::TxResult<(), StoreError> {
                tx.audit(AuditDraft::new(kind, None, "kiosk"), time_ms)?;
                Ok(())
            })
            .unwrap();
    }

    /// `n` events, one an hour from the start of day 10 (24 a day), moved
    /// to the journal.
    fn settled_store(n: u64) -> (tempfile::TempDir, Store) {
        let (dir, store) = store_with_events_at(n, |i| 10 * DAY + i * HOUR);
        assert_eq!(store.settle_audit().unwrap(), n as usize);
        assert!(store.audit.is_empty());
        (dir, store)
    }

    fn journal_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files: Vec<_> = std::fs::read_dir(dir.join("audit"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn settled_events_are_a_file_a_day_and_read_as_before_across_a_reopen() {
        let (dir, store) = settled_store(50);
        assert_eq!(journal_files(dir.path()).len(), 3);
        // More, some still in sled: read in order, verified together.
        for i in 50..60 {
            append(&store, AuditKind::CodeSent, 10 * DAY + i * HOUR);
        }
        store.flush().unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let seqs: Vec<u64> = store
            .audit_events()
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, (1..=60).collect::<Vec<_>>());
        assert_eq!(
            store.verify_audit().unwrap(),
            ChainReport::Intact {
                events: 60,
                pruned: None
            }
        );
        assert_eq!(store.settle_audit().unwrap(), 10);
        assert_eq!(store.audit_events().unwrap().len(), 60);
    }

    #[test]
    fn a_store_pruned_before_it_had_a_journal_settles_on_from_its_checkpoint() {
        let (dir, store) = store_with_events(10);
        // As pruning was then: events 1 to 4 gone from sled, a checkpoint.
        let events = store.audit_events().unwrap();
        let last_pruned = &events[3];
        for e in &events[..4] {
            store.audit.remove(e.seq.to_be_bytes()).unwrap();
        }
        let checkpoint = Checkpoint {
            seq: 4,
            hash: last_pruned.hash.clone(),
            through_ms: last_pruned.time_ms,
            pruned: 4,
            at_ms: 2_000,
        };
        store
            .meta
            .insert(CHECKPOINT_KEY, serde_json::to_vec(&checkpoint).unwrap())
            .unwrap();
        assert_eq!(store.settle_audit().unwrap(), 6);
        assert!(store.audit.is_empty());
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.verify_audit().unwrap(),
            ChainReport::Intact {
                events: 6,
                pruned: Some(checkpoint)
            }
        );
    }

    #[test]
    fn what_lies_past_the_acknowledged_point_is_cut_and_appended_again() {
        let (dir, store) = settled_store(30);
        // Five more, still in sled...
        for i in 30..35 {
            append(&store, AuditKind::CodeSent, 10 * DAY + i * HOUR);
        }
        store.flush().unwrap();
        let pending: Vec<AuditEvent> = store
            .audit
            .iter()
            .map(|entry| serde_json::from_slice(&entry.unwrap().1).unwrap())
            .collect();
        drop(store);
        // ...and an append that a power cut left half on disk: a hole of
        // zeros, then lines, and a file begun after it, none of it
        // acknowledged in sled.
        let last = journal_files(dir.path()).pop().unwrap();
        let mut tail = vec![0u8; 300];
        tail.push(b'\n');
        for e in &pending[2..] {
            tail.extend(serde_json::to_vec(e).unwrap());
            tail.push(b'\n');
        }
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&last)
            .unwrap();
        std::io::Write::write_all(&mut file, &tail).unwrap();
        let later = dir.path().join("audit").join(format!("{:020}.jsonl", 36));
        std::fs::write(&later, serde_json::to_vec(&pending[4]).unwrap()).unwrap();

        let store = Store::open(dir.path()).unwrap();
        assert!(!later.exists());
        assert_eq!(store.settle_audit().unwrap(), 5);
        let seqs: Vec<u64> = store
            .audit_events()
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, (1..=35).collect::<Vec<_>>());
        assert_intact(&store, 35);
    }

    /// The trail verifies, with `events` events.
    fn assert_intact(store: &Store, events: u64) {
        let report = store.verify_audit().unwrap();
        assert!(
            matches!(report, ChainReport::Intact { events: e, .. } if e == events),
            "{report:?}"
        );
    }

    #[test]
    fn a_journal_from_before_the_acknowledged_point_loses_only_a_torn_line() {
        let (dir, store) = settled_store(30);
        store.meta.remove(JOURNAL_ACK_KEY).unwrap();
        store.flush().unwrap();
        drop(store);
        let last = journal_files(dir.path()).pop().unwrap();
        let whole = std::fs::read(&last).unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&last)
            .unwrap();
        std::io::Write::write_all(&mut file, br#"{"seq":31,"time_"#).unwrap();
        drop(file);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(std::fs::read(&last).unwrap(), whole);
        assert_intact(&store, 30);
    }

    #[test]
    fn settling_that_cannot_go_on_says_why() {
        let (_dir, store) = settled_store(3);
        let mut event = AuditEvent {
            seq: 9,
            time_ms: 11 * DAY,
            kind: AuditKind::Requested,
            account: None,
            outcome: Outcome::Ok,
            detail: String::new(),
            client: "kiosk".into(),
            prev: GENESIS.into(),
            hash: String::new(),
        };
        event.hash = event.compute_hash();
        store
            .audit
            .insert(9u64.to_be_bytes(), serde_json::to_vec(&event).unwrap())
            .unwrap();
        let error = store.settle_audit().unwrap_err().to_string();
        assert!(error.contains("event 9 cannot follow event 3"), "{error}");
    }

    #[test]
    fn pruning_stops_at_a_missing_day_instead_of_hiding_it() {
        let (dir, store) = settled_store(100);
        std::fs::remove_file(journal_files(dir.path()).remove(0)).unwrap();
        let error = store.prune_audit(13 * DAY, 0).unwrap_err().to_string();
        assert!(error.contains("events 1 to 24 are missing"), "{error}");
        assert!(store.meta.get(CHECKPOINT_KEY).unwrap().is_none());
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 1, .. }
        ));
    }

    #[test]
    fn a_move_cut_short_by_a_crash_is_neither_lost_nor_counted_twice() {
        let (dir, store) = settled_store(30);
        // The crash came after the append, before sled let go: the events
        // are in both places.
        let events = store.audit_events().unwrap();
        for e in &events[25..] {
            store
                .audit
                .insert(e.seq.to_be_bytes(), serde_json::to_vec(e).unwrap())
                .unwrap();
        }
        // And another append was torn half-way through its line.
        let last = journal_files(dir.path()).pop().unwrap();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&last)
            .unwrap();
        std::io::Write::write_all(&mut file, br#"{"seq":31,"time_ms":8"#).unwrap();
        store.flush().unwrap();
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(store.audit_events().unwrap(), events);
        assert_intact(&store, 30);
        assert_eq!(store.settle_audit().unwrap(), 0);
        assert!(store.audit.is_empty());
        assert!(std::fs::read_to_string(&last).unwrap().ends_with("}\n"));
    }

    #[test]
    fn an_edited_or_removed_line_of_the_journal_is_found() {
        let (dir, store) = settled_store(30);
        let first = journal_files(dir.path()).remove(0);
        let text = std::fs::read_to_string(&first).unwrap();
        std::fs::write(&first, text.replacen("\"ok\"", "\"refused\"", 1)).unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 1, .. }
        ));

        let (dir, store) = settled_store(30);
        let last = journal_files(dir.path()).pop().unwrap();
        let text = std::fs::read_to_string(&last).unwrap();
        let kept: Vec<&str> = text.lines().collect();
        std::fs::write(&last, format!("{}\n", kept[..kept.len() - 1].join("\n"))).unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 30, ref reason } if reason.contains("end")
        ));
    }

    #[test]
    fn pruning_takes_whole_days_and_keeps_the_chain_verifiable_across_a_reopen() {
        let (dir, store) = settled_store(600);
        assert_eq!(journal_files(dir.path()).len(), 25);
        // At event 400's time, with nothing kept before it: the 16 days
        // that ended before then go, events 1 to 384.
        let now = 10 * DAY + 399 * HOUR;
        assert_eq!(store.prune_audit(now, 0).unwrap(), 384);
        assert_eq!(journal_files(dir.path()).len(), 9);
        drop(store);
        let store = Store::open(dir.path()).unwrap();
        let events = store.audit_events().unwrap();
        assert_eq!(events.first().map(|e| e.seq), Some(385));
        match store.verify_audit().unwrap() {
            ChainReport::Intact {
                events: 216,
                pruned: Some(c),
            } => {
                assert_eq!(
                    (c.seq, c.pruned, c.through_ms),
                    (384, 384, 10 * DAY + 383 * HOUR)
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(store.prune_audit(now, 0).unwrap(), 0);
        // The newest day always stays.
        assert_eq!(store.prune_audit(100 * DAY, 0).unwrap(), 192);
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Intact { events: 24, pruned: Some(c) } if c.pruned == 576
        ));
    }

    #[test]
    fn a_removal_cut_short_by_a_crash_is_finished_by_the_next_pruning() {
        let (dir, store) = settled_store(100);
        let first = journal_files(dir.path()).remove(0);
        let kept = std::fs::read(&first).unwrap();
        assert_eq!(store.prune_audit(12 * DAY, 0).unwrap(), 48);
        // The checkpoint moved, but the first file was still there.
        std::fs::write(&first, kept).unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Intact { events: 52, pruned: Some(c) } if c.pruned == 48
        ));
        assert_eq!(store.prune_audit(12 * DAY, 0).unwrap(), 0);
        assert!(!first.exists());
    }

    #[test]
    fn two_prunings_at_once_count_each_event_once_and_keep_the_chain() {
        let (_dir, store) = settled_store(240);
        let (a, b) = (store.clone(), store.clone());
        let now = 20 * DAY;
        let first = std::thread::spawn(move || a.prune_audit(now, 0).unwrap());
        let second = std::thread::spawn(move || b.prune_audit(now, 0).unwrap());
        let removed = first.join().unwrap() + second.join().unwrap();
        assert_eq!(removed, 216);
        match store.verify_audit().unwrap() {
            ChainReport::Intact {
                events: 24,
                pruned: Some(c),
            } => assert_eq!((c.seq, c.pruned), (216, 216)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_changed_checkpoint_or_a_removed_first_kept_day_is_found() {
        let (_dir, store) = settled_store(100);
        store.prune_audit(12 * DAY, 0).unwrap();
        let mut checkpoint: Checkpoint =
            serde_json::from_slice(&store.meta.get(CHECKPOINT_KEY).unwrap().unwrap()).unwrap();
        checkpoint.hash = GENESIS.to_string();
        store
            .meta
            .insert(CHECKPOINT_KEY, serde_json::to_vec(&checkpoint).unwrap())
            .unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 49, ref reason } if reason.contains("checkpoint")
        ));

        let (dir, store) = settled_store(100);
        store.prune_audit(12 * DAY, 0).unwrap();
        std::fs::remove_file(journal_files(dir.path()).remove(0)).unwrap();
        assert!(matches!(
            store.verify_audit().unwrap(),
            ChainReport::Broken { at_seq: 49, .. }
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
