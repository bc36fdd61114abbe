//! Where accounts live. The recovery service sees only [`Directory`]; the
//! sled directory is the one rekey ships, and an LDAP directory or a command
//! hook can take its place without touching the flow.

pub mod sled_directory;

pub use sled_directory::SledDirectory;

use crate::recovery::hashing::HashError;
use crate::recovery::{EmailAddress, FlowError};
use crate::store::{StoreError, StoreTx, TxResult};

/// What the flow needs to know of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSummary {
    pub address: EmailAddress,
    pub name: String,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DirectoryError {
    #[error("no account has that address")]
    NoAccount,
    #[error("an account with that address already exists")]
    AccountExists,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Step(#[from] FlowError),
}

/// The step that goes with a password change (the flow ends, the audit
/// event, the notice mail). A directory runs it in the same transaction as
/// the change when it can, and right after the change when it cannot.
pub type PasswordStep<'a> = &'a (dyn Fn(&StoreTx<'_>) -> TxResult<(), DirectoryError> + Sync);

/// Accounts as the recovery flow uses them. Methods may block (hashing, a
/// network directory): the service calls them off the async threads.
pub trait Directory: Send + Sync {
    fn find(&self, address: &EmailAddress) -> Result<Option<AccountSummary>, DirectoryError>;

    /// True when `password` is the account's current password.
    fn verify_password(
        &self,
        address: &EmailAddress,
        password: &str,
    ) -> Result<bool, DirectoryError>;

    /// True when `password` is one of the account's last `count` passwords.
    fn is_recent_password(
        &self,
        address: &EmailAddress,
        password: &str,
        count: usize,
    ) -> Result<bool, DirectoryError>;

    /// Stores a new password hash and runs `step` with it.
    fn set_password(
        &self,
        address: &EmailAddress,
        new_hash: &str,
        step: PasswordStep<'_>,
    ) -> Result<(), DirectoryError>;
}
