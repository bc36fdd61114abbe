//! The `flows` tree: each address's recovery flow, keyed by the normalised
//! address so a person whose session dropped finds it again.

use super::{Store, StoreError, StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, Flow, Millis, SendHistory};

impl StoreTx<'_> {
    pub fn flow(&self, address: &EmailAddress) -> Result<Option<Flow>, TxFault> {
        get_json(self.flows, address.as_str().as_bytes())
    }

    pub fn put_flow(&self, flow: &Flow) -> Result<(), TxFault> {
        put_json(self.flows, flow.address.as_str().as_bytes(), flow)
    }
}

impl Store {
    pub fn flow(&self, address: &EmailAddress) -> Result<Option<Flow>, StoreError> {
        match self.flows.get(address.as_str().as_bytes())? {
            None => Ok(None),
            Some(bytes) => super::decode(&bytes).map(Some).map_err(StoreError::Corrupt),
        }
    }
}

impl Store {
    /// Forgets flows untouched for `idle_ms`, send counts older than an
    /// hour and mail done with for a week, so addresses typed once (or made
    /// up) do not pile up. Returns how many records went.
    pub fn sweep_flows(&self, now: Millis, idle_ms: Millis) -> Result<usize, StoreError> {
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
        // Sent and given-up mail is kept a week for `rekey outbox list`.
        const KEEP_MAIL_MS: Millis = 7 * 24 * 3600 * 1000;
        removed += sweep_tree(&self.outbox, |record: Option<OutboxRecord>| {
            record.is_some_and(|r| match r.state {
                OutboxState::Sent { at_ms } | OutboxState::Abandoned { at_ms } => {
                    now.saturating_sub(at_ms) >= KEEP_MAIL_MS
                }
                _ => false,
            })
        })?;
        self.flush()?;
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
                tx.put_flow(&Flow::start("a".into(), old.clone(), true, now - 2 * HOUR))?;
                tx.put_flow(&Flow::start("b".into(), new.clone(), true, now - 1000))?;
                let spent = SendHistory {
                    sent_ms: vec![now - 2 * HOUR],
                };
                let live = SendHistory {
                    sent_ms: vec![now - 1000],
                };
                tx.put_send_history(&old, &spent)?;
                tx.put_send_history(&new, &live)?;
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

        assert_eq!(store.sweep_flows(now, HOUR).unwrap(), 3);
        assert!(store.flow(&old).unwrap().is_none());
        assert!(store.flow(&new).unwrap().is_some());
        let (old_history, new_history) = store
            .transact(|tx| -> TxResult<_, StoreError> {
                Ok((tx.send_history(&old)?, tx.send_history(&new)?))
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
