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
        let mut removed = 0;
        for entry in self.flows.iter() {
            let (key, value) = entry?;
            let idle = match super::decode::<Flow>(&value) {
                Ok(flow) => now.saturating_sub(flow.updated_ms) >= idle_ms,
                Err(_) => false,
            };
            if idle
                && self
                    .flows
                    .compare_and_swap(&key, Some(&value), None::<&[u8]>)?
                    .is_ok()
            {
                removed += 1;
            }
        }
        for entry in self.rate.iter() {
            let (key, value) = entry?;
            let spent = match super::decode::<SendHistory>(&value) {
                Ok(mut history) => {
                    history.prune(now);
                    history.sent_ms.is_empty()
                }
                Err(_) => false,
            };
            if spent
                && self
                    .rate
                    .compare_and_swap(&key, Some(&value), None::<&[u8]>)?
                    .is_ok()
            {
                removed += 1;
            }
        }
        // Sent and given-up mail is kept a week for `rekey outbox list`.
        const KEEP_MAIL_MS: Millis = 7 * 24 * 3600 * 1000;
        for entry in self.outbox.iter() {
            let (key, value) = entry?;
            let done_at = match super::decode::<super::outbox::OutboxRecord>(&value) {
                Ok(record) => match record.state {
                    super::outbox::OutboxState::Sent { at_ms }
                    | super::outbox::OutboxState::Abandoned { at_ms } => Some(at_ms),
                    _ => None,
                },
                Err(_) => None,
            };
            let old = done_at.is_some_and(|at| now.saturating_sub(at) >= KEEP_MAIL_MS);
            if old
                && self
                    .outbox
                    .compare_and_swap(&key, Some(&value), None::<&[u8]>)?
                    .is_ok()
            {
                removed += 1;
            }
        }
        self.flush()?;
        Ok(removed)
    }
}
