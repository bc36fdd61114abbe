//! The `flows` tree: each session's recovery flow, keyed by the session's
//! id. A code belongs to the session that asked for it, so nothing another
//! session does can reach it. (Stores written before this kept one flow
//! per address, keyed by the address: no session id looks like one, and
//! the sweep forgets them once idle.)

use super::{Store, StoreError, StoreTx, TxFault, get_json, put_json};
use crate::recovery::{Flow, Millis, SendHistory};

impl StoreTx<'_> {
    pub fn flow(&self, session: &str) -> Result<Option<Flow>, TxFault> {
        get_json(self.flows, session.as_bytes())
    }

    pub fn put_flow(&self, session: &str, flow: &Flow) -> Result<(), TxFault> {
        put_json(self.flows, session.as_bytes(), flow)
    }

    pub fn remove_flow(&self, session: &str) -> Result<(), TxFault> {
        self.flows.remove(session.as_bytes())?;
        Ok(())
    }
}

impl Store {
    pub fn flow(&self, session: &str) -> Result<Option<Flow>, StoreError> {
        match self.flows.get(session.as_bytes())? {
            None => Ok(None),
            Some(bytes) => super::decode(&bytes).map(Some).map_err(StoreError::Corrupt),
        }
    }
}

impl Store {
    /// Forgets flows untouched for `idle_ms`, send counts older than an
    /// hour and mail done with for `keep_mail_ms`, so addresses typed once
    /// (or made up) do not pile up. Returns how many records went.
    pub fn sweep_flows(
        &self,
        now: Millis,
        idle_ms: Millis,
        keep_mail_ms: Millis,
    ) -> Result<usize, StoreError> {
        use super::outbox::{OutboxRecord, OutboxState};
        use super::sweep_tree;
        // A record that does not decode is kept, for the operator to see.
        let mut removed = sweep_tree(&self.flows, |flow: Option<Flow>| {
            flow.is_some_and(|f| now.saturating_sub(f.updated_ms) >= idle_ms)
        })?;
        removed += sweep_tree(&self.rate, |history: Option<SendHistory>| {
            history.is_some_and(|mut h| {
                h.prune(now);
                h.sent_ms.is_empty()
            })
        })?;
        // Sent and given-up mail is kept a while for `rekey outbox list`.
        removed += sweep_tree(&self.outbox, |record: Option<OutboxRecord>| {
            record.is_some_and(|r| match r.state {
                OutboxState::Sent { at_ms } | OutboxState::Abandoned { at_ms } => {
                    now.saturating_sub(at_ms) >= keep_mail_ms
                }
                _ => false,
            })
        })?;
        // Which ticket an address and origin opened last: kept a day.
        for entry in self.meta.scan_prefix(b"ticket_of/") {
            let (key, value) = entry?;
            let last: Option<super::tickets::LastTicket> = super::decode(&value).ok();
            if last.is_none_or(|l| now.saturating_sub(l.created_ms) >= 24 * HOUR_MS)
                && self.meta.remove_if_unchanged(&key, &value)?
            {
                removed += 1;
            }
        }
        // Sign-in tries: kept while their window is open.
        for entry in self.meta.scan_prefix(super::sign_in::PREFIX) {
            let (key, value) = entry?;
            let tries: Option<super::sign_in::SignInTries> = super::decode(&value).ok();
            if tries.is_none_or(|t| t.is_over(now))
                && self.meta.remove_if_unchanged(&key, &value)?
            {
                removed += 1;
            }
        }
        self.flush()?;
        Ok(removed)
    }
}

const HOUR_MS: Millis = 3600 * 1000;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recovery::EmailAddress;
    use crate::store::outbox::{OutboxMessage, OutboxState};
    use crate::store::{StoreError, TxResult};

    const HOUR: Millis = 3600 * 1000;
    const WEEK: Millis = 7 * 24 * HOUR;

    #[test]
    fn sweeping_forgets_idle_flows_spent_send_counts_and_week_old_mail_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let now = 10 * WEEK;
        let old = EmailAddress::parse("old@example.com").unwrap();
        let new = EmailAddress::parse("new@example.com").unwrap();
        store
            .transact(|tx| -> TxResult<(), StoreError> {
                tx.put_flow(
                    "s1",
                    &Flow::start("a".into(), old.clone(), true, now - 2 * HOUR),
                )?;
                tx.put_flow(
                    "s2",
                    &Flow::start("b".into(), new.clone(), true, now - 1000),
                )?;
                let spent = SendHistory {
                    sent_ms: vec![now - 2 * HOUR],
                };
                let live = SendHistory {
                    sent_ms: vec![now - 1000],
                };
                tx.put_send_history(&old, None, &spent)?;
                tx.put_send_history(&new, None, &live)?;
                for (at_ms, state) in [
                    (now - WEEK, OutboxState::Sent { at_ms: now - WEEK }),
                    (now - WEEK, OutboxState::Abandoned { at_ms: now - 1000 }),
                    (now - WEEK, OutboxState::Queued),
                ] {
                    let id = tx.queue_mail(&old, "en", OutboxMessage::UnknownAddress, at_ms)?;
                    let mut record = tx.outbox_record(id)?.unwrap();
                    record.state = state;
                    tx.put_outbox_record(&record)?;
                }
                Ok(())
            })
            .unwrap();

        assert_eq!(store.sweep_flows(now, HOUR, WEEK).unwrap(), 3);
        assert!(store.flow("s1").unwrap().is_none());
        assert!(store.flow("s2").unwrap().is_some());
        let (old_history, new_history) = store
            .transact(|tx| -> TxResult<_, StoreError> {
                Ok((tx.send_history(&old, None)?, tx.send_history(&new, None)?))
            })
            .unwrap();
        assert!(old_history.sent_ms.is_empty());
        assert_eq!(new_history.sent_ms, vec![now - 1000]);
        let states: Vec<OutboxState> = store
            .outbox()
            .unwrap()
            .into_iter()
            .map(|r| r.state)
            .collect();
        assert_eq!(
            states,
            vec![
                OutboxState::Abandoned { at_ms: now - 1000 },
                OutboxState::Queued
            ]
        );
    }
}
