//! Accounts in rekey's own store: the `accounts` tree. A password change and
//! its flow step commit in one transaction.

use super::{AccountSummary, Directory, DirectoryError, PasswordStep};
use crate::recovery::hashing::verify_secret;
use crate::recovery::{Clock, EmailAddress, Millis};
use crate::store::accounts::AccountRecord;
use crate::store::audit::{AuditDraft, AuditKind};
use crate::store::{Store, TxResult, abort};
use std::sync::Arc;

#[derive(Clone)]
pub struct SledDirectory {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl SledDirectory {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// Adds an account with an already hashed password.
    pub fn add_account(
        &self,
        address: &EmailAddress,
        name: &str,
        password_hash: &str,
        client: &str,
    ) -> Result<(), DirectoryError> {
        let now = self.clock.now();
        let record = AccountRecord::new(
            address.clone(),
            clean_name(name),
            password_hash.to_string(),
            now,
        );
        self.store.transact(|tx| -> TxResult<(), DirectoryError> {
            if tx.account(address)?.is_some() {
                return abort(DirectoryError::AccountExists);
            }
            tx.put_account(&record)?;
            tx.audit(
                AuditDraft::new(AuditKind::AccountAdded, Some(address), client),
                now,
            )?;
            Ok(())
        })
    }

    pub fn remove_account(
        &self,
        address: &EmailAddress,
        client: &str,
    ) -> Result<(), DirectoryError> {
        let now = self.clock.now();
        self.store.transact(|tx| -> TxResult<(), DirectoryError> {
            if !tx.remove_account(address)? {
                return abort(DirectoryError::NoAccount);
            }
            tx.audit(
                AuditDraft::new(AuditKind::AccountRemoved, Some(address), client),
                now,
            )?;
            Ok(())
        })
    }

    fn record(&self, address: &EmailAddress) -> Result<AccountRecord, DirectoryError> {
        self.store
            .account(address)?
            .ok_or(DirectoryError::NoAccount)
    }

    fn now(&self) -> Millis {
        self.clock.now()
    }
}

/// A display name: no control characters, at most 100 characters.
pub fn clean_name(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect::<String>()
        .trim()
        .to_string()
}

impl Directory for SledDirectory {
    fn find(&self, address: &EmailAddress) -> Result<Option<AccountSummary>, DirectoryError> {
        Ok(self.store.account(address)?.map(|r| AccountSummary {
            address: r.address,
            name: r.name,
        }))
    }

    fn verify_password(
        &self,
        address: &EmailAddress,
        password: &str,
    ) -> Result<bool, DirectoryError> {
        let record = self.record(address)?;
        Ok(verify_secret(password.as_bytes(), &record.password)?)
    }

    fn is_recent_password(
        &self,
        address: &EmailAddress,
        password: &str,
        count: usize,
    ) -> Result<bool, DirectoryError> {
        let record = self.record(address)?;
        for hash in record.recent_passwords(count) {
            if verify_secret(password.as_bytes(), &hash)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn set_password(
        &self,
        address: &EmailAddress,
        new_hash: &str,
        step: PasswordStep<'_>,
    ) -> Result<(), DirectoryError> {
        let now = self.now();
        self.store.transact(|tx| -> TxResult<(), DirectoryError> {
            let Some(mut record) = tx.account(address)? else {
                return abort(DirectoryError::NoAccount);
            };
            record.replace_password(new_hash.to_string(), now);
            tx.put_account(&record)?;
            step(tx)
        })
    }
}
