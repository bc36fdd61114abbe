//! Accounts in rekey's own store: the `accounts` tree. A password change and
//! its flow step commit in one transaction.

use super::{
    Account, ChangeStamp, ChangeVerdict, Directory, DirectoryError, OwnAccounts, Password,
    PasswordStep,
};
use crate::recovery::hashing::{HashCost, hash_secret, verify_secret};
use crate::recovery::{Clock, EmailAddress};
use crate::store::accounts::AccountRecord;
use crate::store::audit::{AuditDraft, AuditKind};
use crate::store::{Store, TxResult, abort};
use async_trait::async_trait;
use secrecy::ExposeSecret;
use std::sync::Arc;

#[derive(Clone)]
pub struct SledDirectory {
    store: Store,
    clock: Arc<dyn Clock>,
    /// For a change made through [`Directory::change_password`]; the
    /// service hashes with its own settings and its own threads.
    cost: HashCost,
}

impl SledDirectory {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            cost: HashCost::default(),
        }
    }

    pub fn with_hash_cost(mut self, cost: HashCost) -> Self {
        self.cost = cost;
        self
    }

    fn record(&self, address: &EmailAddress) -> Result<AccountRecord, DirectoryError> {
        self.store
            .account(address)?
            .ok_or(DirectoryError::NoAccount)
    }

    /// argon2 off the async threads: operator commands only, which are few.
    async fn blocking<T: Send + 'static>(
        &self,
        job: impl FnOnce(Self) -> Result<T, DirectoryError> + Send + 'static,
    ) -> Result<T, DirectoryError> {
        let me = self.clone();
        tokio::task::spawn_blocking(move || job(me))
            .await
            .map_err(|e| DirectoryError::Failed(format!("a hashing task failed: {e}")))?
    }
}

/// A display name: no control or format characters, at most 100 characters.
pub fn clean_name(name: &str) -> String {
    crate::recovery::text::visible(name, 100).trim().to_string()
}

#[async_trait]
impl Directory for SledDirectory {
    fn describe(&self) -> String {
        "sled (rekey's own accounts)".to_string()
    }

    async fn find(&self, address: &EmailAddress) -> Result<Option<Account>, DirectoryError> {
        Ok(self.store.account(address)?.map(|r| Account {
            id: r.address.as_str().to_string(),
            name: r.name,
            address: r.address,
        }))
    }

    async fn verify_password(
        &self,
        account: &Account,
        password: &Password,
    ) -> Result<bool, DirectoryError> {
        let (address, password) = (account.address.clone(), password.clone());
        self.blocking(move |me| me.verify(&address, password.expose_secret()))
            .await
    }

    async fn change_password(
        &self,
        account: &Account,
        new: &Password,
    ) -> Result<ChangeVerdict, DirectoryError> {
        let new = new.clone();
        let hash = self
            .blocking(move |me| Ok(hash_secret(new.expose_secret().as_bytes(), &me.cost)?))
            .await?;
        self.set_password(&account.address, &hash, &|_| Ok(()))?;
        Ok(ChangeVerdict::Done)
    }

    async fn change_stamp(&self, account: &Account) -> Result<ChangeStamp, DirectoryError> {
        let record = self.record(&account.address)?;
        Ok(ChangeStamp {
            at_ms: Some(record.changed_ms),
            precision_ms: 1,
        })
    }

    fn own_accounts(&self) -> Option<&dyn OwnAccounts> {
        Some(self)
    }
}

impl OwnAccounts for SledDirectory {
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

    fn verify(&self, address: &EmailAddress, password: &str) -> Result<bool, DirectoryError> {
        let record = self.record(address)?;
        Ok(verify_secret(password.as_bytes(), &record.password)?)
    }

    fn set_password(
        &self,
        address: &EmailAddress,
        new_hash: &str,
        step: PasswordStep<'_>,
    ) -> Result<(), DirectoryError> {
        let now = self.clock.now();
        self.store.transact(|tx| -> TxResult<(), DirectoryError> {
            let Some(mut record) = tx.account(address)? else {
                return abort(DirectoryError::NoAccount);
            };
            record.replace_password(new_hash.to_string(), now);
            tx.put_account(&record)?;
            step(tx)
        })
    }

    fn add_account(
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

    fn remove_account(&self, address: &EmailAddress, client: &str) -> Result<(), DirectoryError> {
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
}
