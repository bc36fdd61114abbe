//! The `rate` tree: when codes were sent to each address, for the resend
//! cooldown and the hourly caps. One record per address and origin, keyed
//! `address` NUL `origin`, and one per address for all origins together,
//! keyed by the address alone (an address cannot hold a NUL). Kept apart
//! from flows so starting a new flow never resets them.

use super::{StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, SendHistory, Sends};

fn key(address: &EmailAddress, origin: Option<&str>) -> Vec<u8> {
    let mut key = address.as_str().as_bytes().to_vec();
    if let Some(origin) = origin {
        key.push(0);
        key.extend_from_slice(origin.as_bytes());
    }
    key
}

impl StoreTx<'_> {
    /// The sends to `address` from `origin`, or from everyone for `None`.
    pub fn send_history(
        &self,
        address: &EmailAddress,
        origin: Option<&str>,
    ) -> Result<SendHistory, TxFault> {
        Ok(get_json(self.rate, &key(address, origin))?.unwrap_or_default())
    }

    pub fn put_send_history(
        &self,
        address: &EmailAddress,
        origin: Option<&str>,
        history: &SendHistory,
    ) -> Result<(), TxFault> {
        put_json(self.rate, &key(address, origin), history)
    }

    /// Both counts that bound a code to `address` from `origin`.
    pub fn sends(&self, address: &EmailAddress, origin: &str) -> Result<Sends, TxFault> {
        Ok(Sends {
            origin: self.send_history(address, Some(origin))?,
            address: self.send_history(address, None)?,
        })
    }

    pub fn put_sends(
        &self,
        address: &EmailAddress,
        origin: &str,
        sends: &Sends,
    ) -> Result<(), TxFault> {
        self.put_send_history(address, Some(origin), &sends.origin)?;
        self.put_send_history(address, None, &sends.address)
    }
}
