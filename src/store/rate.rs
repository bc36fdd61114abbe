//! The `rate` tree: when codes were sent to each address, for the resend
//! cooldown and the hourly limit. Kept apart from flows so starting a new
//! flow never resets it.

use super::{StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, SendHistory};

impl StoreTx<'_> {
    pub fn send_history(&self, address: &EmailAddress) -> Result<SendHistory, TxFault> {
        Ok(get_json(self.rate, address.as_str().as_bytes())?.unwrap_or_default())
    }

    pub fn put_send_history(
        &self,
        address: &EmailAddress,
        history: &SendHistory,
    ) -> Result<(), TxFault> {
        put_json(self.rate, address.as_str().as_bytes(), history)
    }
}
