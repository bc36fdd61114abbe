//! In `meta`: the landing screen's sign-in tries, so nobody can guess at
//! a password through rekey, nor lock an account by failing its binds.
//!
//! Each record keeps the times of its tries in the last 15 minutes (a
//! sliding window: tries bunched at the edges of a fixed window would pass
//! twice its limit in a moment). Three records count a try:
//! - the address from the origin: 3 tries;
//! - the address from every origin: 4 failures;
//! - the account the address belongs to, from every origin: 4 failures
//!   (an account with several addresses is still one account to the
//!   directory's lockout).
//!
//! The ceilings are what a directory's lockout counts: fewer than the 5
//! failures that LDAP password policies and Active Directory lockouts
//! commonly allow. The price is that strangers from two origins can pause
//! the owner's sign-in on rekey for 15 minutes; never the owner's account,
//! and never recovery.

use super::{StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, Millis};
use serde::{Deserialize, Serialize};

/// Sign-in tries an address has from one origin in the window.
pub const SIGN_IN_TRIES: u8 = 3;
/// Failed sign-ins an address, and an account, have in the window from all
/// origins together.
pub const SIGN_IN_FAILURES: u8 = 4;
/// The window: the last 15 minutes.
pub const SIGN_IN_WINDOW_MS: Millis = 15 * 60 * 1000;

pub(super) const PREFIX: &[u8] = b"sign_in/";

/// What a record counts.
#[derive(Debug, Clone, Copy)]
pub enum Counted<'a> {
    /// An address's tries from one origin.
    FromOrigin(&'a EmailAddress, &'a str),
    /// An address's failures from every origin.
    Address(&'a EmailAddress),
    /// An account's failures (by the directory's id of it), from every
    /// origin and under every address.
    Account(&'a str),
}

impl Counted<'_> {
    fn key(&self) -> Vec<u8> {
        let mut key = PREFIX.to_vec();
        match self {
            Self::FromOrigin(address, origin) => {
                key.extend_from_slice(address.as_str().as_bytes());
                key.push(0);
                key.extend_from_slice(origin.as_bytes());
            }
            Self::Address(address) => {
                key.extend_from_slice(address.as_str().as_bytes());
                key.extend_from_slice(b"\0\0any");
            }
            Self::Account(id) => {
                key.extend_from_slice(b"\0account\0");
                key.extend_from_slice(id.as_bytes());
            }
        }
        key
    }
}

/// The times of the tries in the window.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInTries {
    pub at_ms: Vec<Millis>,
}

impl SignInTries {
    /// Only the tries of the window ending at `now`.
    fn pruned(mut self, now: Millis) -> Self {
        self.at_ms
            .retain(|&at| now.saturating_sub(at) < SIGN_IN_WINDOW_MS);
        self
    }

    pub fn count(&self) -> usize {
        self.at_ms.len()
    }

    /// Nothing left in the window: the record can go.
    pub fn is_over(&self, now: Millis) -> bool {
        self.at_ms
            .iter()
            .all(|&at| now.saturating_sub(at) >= SIGN_IN_WINDOW_MS)
    }

    /// How long until a try is free again, when `limit` are used.
    pub fn wait_ms(&self, now: Millis, limit: u8) -> Option<Millis> {
        let limit = usize::from(limit);
        if self.at_ms.len() < limit {
            return None;
        }
        // The try that must leave the window for one to be free.
        let mut times = self.at_ms.clone();
        times.sort_unstable();
        let leaving = times[times.len() - limit];
        Some((leaving + SIGN_IN_WINDOW_MS).saturating_sub(now).max(1))
    }

    /// Tries left of `limit`.
    pub fn left(&self, limit: u8) -> u8 {
        u8::try_from(usize::from(limit).saturating_sub(self.at_ms.len())).unwrap_or(0)
    }
}

impl StoreTx<'_> {
    /// The tries `what` has in the window ending at `now`.
    pub fn sign_in_tries(&self, what: Counted<'_>, now: Millis) -> Result<SignInTries, TxFault> {
        let tries: Option<SignInTries> = get_json(self.meta, &what.key())?;
        Ok(tries.unwrap_or_default().pruned(now))
    }

    /// One more try of `what` at `now`.
    pub fn add_sign_in_try(&self, what: Counted<'_>, now: Millis) -> Result<SignInTries, TxFault> {
        let mut tries = self.sign_in_tries(what, now)?;
        tries.at_ms.push(now);
        put_json(self.meta, &what.key(), &tries)?;
        Ok(tries)
    }

    /// Gives back the try of `what` taken at `at` (one that turned out
    /// not to be a failure).
    pub fn give_back_sign_in_try(
        &self,
        what: Counted<'_>,
        at: Millis,
        now: Millis,
    ) -> Result<(), TxFault> {
        let mut tries = self.sign_in_tries(what, now)?;
        if let Some(i) = tries.at_ms.iter().position(|&t| t == at) {
            tries.at_ms.remove(i);
        }
        if tries.at_ms.is_empty() {
            self.meta.remove(what.key())?;
        } else {
            put_json(self.meta, &what.key(), &tries)?;
        }
        Ok(())
    }

    /// Forgets every try of `what`.
    pub fn forget_sign_in_tries(&self, what: Counted<'_>) -> Result<(), TxFault> {
        self.meta.remove(what.key())?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Store, StoreError, TxResult};

    const MIN: Millis = 60 * 1000;

    #[test]
    fn tries_are_kept_on_disk_while_their_window_is_open_and_swept_after() {
        let dir = tempfile::tempdir().unwrap();
        let ada = EmailAddress::parse("ada@example.com").unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store
                .transact(|tx| -> TxResult<(), StoreError> {
                    tx.add_sign_in_try(Counted::FromOrigin(&ada, "kiosk lobby"), 0)?;
                    tx.add_sign_in_try(Counted::Address(&ada), 0)?;
                    tx.add_sign_in_try(Counted::Account("uid=ada"), 10 * MIN)?;
                    Ok(())
                })
                .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let count = |what: Counted<'_>, now| {
            store
                .transact(|tx| -> TxResult<usize, StoreError> {
                    Ok(tx.sign_in_tries(what, now)?.count())
                })
                .unwrap()
        };
        assert_eq!(count(Counted::FromOrigin(&ada, "kiosk lobby"), MIN), 1);
        assert_eq!(count(Counted::FromOrigin(&ada, "ssh 203.0.113.9"), MIN), 0);
        assert_eq!(count(Counted::Account("uid=ada"), MIN), 1);
        // 20 minutes on, the address's tries are past; the account's not.
        assert_eq!(store.sweep_flows(20 * MIN, 60 * MIN, 60 * MIN).unwrap(), 2);
        assert_eq!(count(Counted::Account("uid=ada"), 20 * MIN), 1);
        assert_eq!(store.sweep_flows(30 * MIN, 60 * MIN, 60 * MIN).unwrap(), 1);
    }

    #[test]
    fn the_window_slides_so_tries_bunched_at_its_edge_count_together() {
        let tries = |at: &[Millis]| SignInTries { at_ms: at.to_vec() };
        // One at 0:00, two at 14:58: at 15:00 the first has left the
        // window, the other two have not.
        let t = tries(&[0, 14 * MIN + 58_000, 14 * MIN + 58_000]).pruned(15 * MIN);
        assert_eq!(t.count(), 2);
        assert_eq!(t.left(SIGN_IN_TRIES), 1);
        let t = tries(&[0, 14 * MIN + 58_000, 14 * MIN + 58_000, 15 * MIN]).pruned(15 * MIN);
        assert_eq!(t.wait_ms(15 * MIN, SIGN_IN_TRIES), Some(14 * MIN + 58_000));
        assert!(t.wait_ms(15 * MIN, SIGN_IN_FAILURES).is_none());
        assert!(!t.is_over(15 * MIN));
        assert!(t.is_over(30 * MIN));
    }
}
