//! In `meta`: the sign-in tries of an address from an origin, so a
//! stranger cannot guess at a password through rekey, nor lock the owner's
//! directory account by failing its binds. The count is per origin: a
//! stranger's tries never pause the owner at their own kiosk or SSH box.

use super::{StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, Millis};
use serde::{Deserialize, Serialize};

/// Sign-in tries an address and origin have in one window.
pub const SIGN_IN_TRIES: u8 = 3;
/// Failed sign-ins an address has in one window from all origins
/// together: what a directory's lockout counts. One more than an origin's
/// tries, so one stranger cannot pause the owner, and fewer than the 5
/// that LDAP password policies and Active Directory lockouts commonly
/// allow.
pub const SIGN_IN_FAILURES: u8 = 4;
/// The window: 15 minutes from the first try in it.
pub const SIGN_IN_WINDOW_MS: Millis = 15 * 60 * 1000;

pub(super) const PREFIX: &[u8] = b"sign_in/";
/// The failures of an address from every origin.
const ANY_ORIGIN: &str = "\u{0}any";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignInTries {
    /// When the window's first try was made.
    pub first_ms: Millis,
    pub count: u8,
}

impl SignInTries {
    /// The window is over at `now`: the count starts again.
    pub fn is_over(&self, now: Millis) -> bool {
        now.saturating_sub(self.first_ms) >= SIGN_IN_WINDOW_MS
    }

    /// How long until the next try, when `limit` are used up.
    pub fn wait_ms(&self, now: Millis, limit: u8) -> Option<Millis> {
        (!self.is_over(now) && self.count >= limit)
            .then(|| (self.first_ms + SIGN_IN_WINDOW_MS).saturating_sub(now))
    }

    /// One more in the window open at `now`, or in a new one.
    pub fn add_one(this: Option<Self>, now: Millis) -> Self {
        let mut tries = this.unwrap_or(Self {
            first_ms: now,
            count: 0,
        });
        tries.count = tries.count.saturating_add(1);
        tries
    }
}

fn key(address: &EmailAddress, origin: &str) -> Vec<u8> {
    let mut key = PREFIX.to_vec();
    key.extend_from_slice(address.as_str().as_bytes());
    key.push(0);
    key.extend_from_slice(origin.as_bytes());
    key
}

impl StoreTx<'_> {
    /// The tries in the current window, if one is open.
    pub fn sign_in_tries(
        &self,
        address: &EmailAddress,
        origin: &str,
        now: Millis,
    ) -> Result<Option<SignInTries>, TxFault> {
        let tries: Option<SignInTries> = get_json(self.meta, &key(address, origin))?;
        Ok(tries.filter(|t| !t.is_over(now)))
    }

    pub fn put_sign_in_tries(
        &self,
        address: &EmailAddress,
        origin: &str,
        tries: &SignInTries,
    ) -> Result<(), TxFault> {
        put_json(self.meta, &key(address, origin), tries)
    }

    /// The failed sign-ins of `address` from every origin, in the
    /// current window.
    pub fn sign_in_failures(
        &self,
        address: &EmailAddress,
        now: Millis,
    ) -> Result<Option<SignInTries>, TxFault> {
        self.sign_in_tries(address, ANY_ORIGIN, now)
    }

    pub fn put_sign_in_failures(
        &self,
        address: &EmailAddress,
        failures: &SignInTries,
    ) -> Result<(), TxFault> {
        self.put_sign_in_tries(address, ANY_ORIGIN, failures)
    }

    pub fn forget_sign_in_tries(
        &self,
        address: &EmailAddress,
        origin: &str,
    ) -> Result<(), TxFault> {
        self.meta.remove(key(address, origin))?;
        Ok(())
    }
}
