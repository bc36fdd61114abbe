//! A directory in memory, for tests of the service: accounts with plain
//! passwords (test data only) and faults a test arranges, such as a change
//! that lands but whose answer is lost.

use super::{Account, ChangeStamp, ChangeVerdict, Directory, DirectoryError, Password};
use crate::recovery::{Clock, EmailAddress};
use async_trait::async_trait;
use secrecy::ExposeSecret;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// What the next change does instead of simply succeeding.
#[derive(Debug, Clone)]
pub enum NextChange {
    /// Answers this verdict; a refusal changes nothing.
    Answer(ChangeVerdict),
    /// Changes nothing and fails with this error.
    Fail(DirectoryError),
    /// Makes the change, then the answer is lost.
    LandThenLoseAnswer,
    /// Makes the change, then the answer is lost and the change stamps
    /// can no longer be read (until [`MemoryDirectory::stamps_fail`]).
    LandThenGoAway,
}

#[derive(Default)]
struct Entry {
    account: Option<Account>,
    password: String,
    changed_ms: Option<u64>,
    changes: usize,
}

pub struct MemoryDirectory {
    clock: Arc<dyn Clock>,
    entries: Mutex<HashMap<EmailAddress, Entry>>,
    next: Mutex<Vec<NextChange>>,
    stamp_fails: Mutex<bool>,
}

impl MemoryDirectory {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            entries: Mutex::default(),
            next: Mutex::default(),
            stamp_fails: Mutex::default(),
        }
    }

    pub fn add(&self, address: &EmailAddress, id: &str, name: &str, password: &str) {
        let account = Account {
            id: id.to_string(),
            name: name.to_string(),
            address: address.clone(),
        };
        self.lock().insert(
            address.clone(),
            Entry {
                account: Some(account),
                password: password.to_string(),
                ..Entry::default()
            },
        );
    }

    /// The next changes, in order, do this instead of succeeding.
    pub fn then(&self, next: NextChange) {
        self.next
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(next);
    }

    /// While true, reading the change stamp fails (the directory is away).
    pub fn stamps_fail(&self, fail: bool) {
        *self
            .stamp_fails
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = fail;
    }

    pub fn password_of(&self, address: &EmailAddress) -> Option<String> {
        self.lock().get(address).map(|e| e.password.clone())
    }

    /// How many changes landed for `address`.
    pub fn changes_of(&self, address: &EmailAddress) -> usize {
        self.lock().get(address).map_or(0, |e| e.changes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<EmailAddress, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn land(&self, account: &Account, new: &Password) -> Result<(), DirectoryError> {
        let now = self.clock.now();
        let mut entries = self.lock();
        let entry = entries
            .get_mut(&account.address)
            .ok_or(DirectoryError::NoAccount)?;
        entry.password = new.expose_secret().to_string();
        entry.changed_ms = Some(now);
        entry.changes += 1;
        Ok(())
    }
}

#[async_trait]
impl Directory for MemoryDirectory {
    fn describe(&self) -> String {
        "memory".to_string()
    }

    async fn find(&self, address: &EmailAddress) -> Result<Option<Account>, DirectoryError> {
        Ok(self.lock().get(address).and_then(|e| e.account.clone()))
    }

    async fn verify_password(
        &self,
        account: &Account,
        password: &Password,
    ) -> Result<bool, DirectoryError> {
        Ok(self
            .lock()
            .get(&account.address)
            .is_some_and(|e| e.password == password.expose_secret()))
    }

    async fn change_password(
        &self,
        account: &Account,
        new: &Password,
    ) -> Result<ChangeVerdict, DirectoryError> {
        let next = {
            let mut queue = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            (!queue.is_empty()).then(|| queue.remove(0))
        };
        match next {
            None => {
                self.land(account, new)?;
                Ok(ChangeVerdict::Done)
            }
            Some(NextChange::Answer(ChangeVerdict::Done)) => {
                self.land(account, new)?;
                Ok(ChangeVerdict::Done)
            }
            Some(NextChange::Answer(refused)) => Ok(refused),
            Some(NextChange::Fail(e)) => Err(e),
            Some(NextChange::LandThenLoseAnswer) => {
                self.land(account, new)?;
                Err(DirectoryError::NoAnswer("the connection dropped".into()))
            }
            Some(NextChange::LandThenGoAway) => {
                self.land(account, new)?;
                self.stamps_fail(true);
                Err(DirectoryError::NoAnswer("the connection dropped".into()))
            }
        }
    }

    async fn change_stamp(&self, account: &Account) -> Result<ChangeStamp, DirectoryError> {
        if *self
            .stamp_fails
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
        {
            return Err(DirectoryError::Unreachable(
                "switched off by the test".into(),
            ));
        }
        Ok(ChangeStamp {
            at_ms: self.lock().get(&account.address).and_then(|e| e.changed_ms),
            precision_ms: 1,
        })
    }
}
