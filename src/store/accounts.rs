//! The `accounts` tree: one record per address, with its password hash and
//! the hashes of earlier passwords (for the "not a recent password" rule).

use super::{Store, StoreError, StoreTx, TxFault, get_json, put_json};
use crate::recovery::{EmailAddress, Millis};
use serde::{Deserialize, Serialize};

/// Earlier password hashes kept per account; the policy's `history` (at
/// most 24) decides how many of them count.
pub const KEPT_HISTORY: usize = 24;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub address: EmailAddress,
    pub name: String,
    /// argon2id PHC string of the current password.
    pub password: String,
    /// Earlier passwords' hashes, newest first.
    pub history: Vec<String>,
    pub created_ms: Millis,
    pub changed_ms: Millis,
}

impl AccountRecord {
    pub fn new(address: EmailAddress, name: String, password: String, now: Millis) -> Self {
        Self {
            address,
            name,
            password,
            history: Vec::new(),
            created_ms: now,
            changed_ms: now,
        }
    }

    /// The hashes of the last `count` passwords, the current one first.
    pub fn recent_passwords(&self, count: usize) -> Vec<String> {
        std::iter::once(&self.password)
            .chain(self.history.iter())
            .take(count)
            .cloned()
            .collect()
    }

    pub fn replace_password(&mut self, new_hash: String, now: Millis) {
        let old = std::mem::replace(&mut self.password, new_hash);
        self.history.insert(0, old);
        self.history.truncate(KEPT_HISTORY);
        self.changed_ms = now;
    }
}

impl StoreTx<'_> {
    pub fn account(&self, address: &EmailAddress) -> Result<Option<AccountRecord>, TxFault> {
        get_json(self.accounts, address.as_str().as_bytes())
    }

    pub fn put_account(&self, account: &AccountRecord) -> Result<(), TxFault> {
        put_json(self.accounts, account.address.as_str().as_bytes(), account)
    }

    pub fn remove_account(&self, address: &EmailAddress) -> Result<bool, TxFault> {
        Ok(self.accounts.remove(address.as_str().as_bytes())?.is_some())
    }
}

impl Store {
    pub fn account(&self, address: &EmailAddress) -> Result<Option<AccountRecord>, StoreError> {
        match self.accounts.get(address.as_str().as_bytes())? {
            None => Ok(None),
            Some(bytes) => super::decode(&bytes).map(Some).map_err(StoreError::Corrupt),
        }
    }

    /// Every account, in address order.
    pub fn accounts(&self) -> Result<Vec<AccountRecord>, StoreError> {
        super::decode_all(&self.accounts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_keeps_the_newest_first_and_is_bounded() {
        let address = EmailAddress::parse("a@example.com").unwrap();
        let mut account = AccountRecord::new(address, "A".into(), "h0".into(), 0);
        for i in 1..=30 {
            account.replace_password(format!("h{i}"), i);
        }
        assert_eq!(account.password, "h30");
        assert_eq!(account.history.len(), KEPT_HISTORY);
        assert_eq!(account.recent_passwords(3), vec!["h30", "h29", "h28"]);
    }
}
