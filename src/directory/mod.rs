//! Where accounts live. The recovery service sees only [`Directory`]:
//! rekey's own sled accounts (the embedded default), an LDAP server
//! (OpenLDAP, 389-ds, Active Directory, Samba AD) or a command hook. One
//! place, [`build`], makes the configured one.

pub mod build;
pub mod command;
pub mod ldap;
pub mod memory;
pub mod sled_directory;

pub use build::{DirectoryKind, DirectorySettings, build};
pub use sled_directory::SledDirectory;

use crate::recovery::hashing::HashError;
use crate::recovery::{EmailAddress, FlowError, Millis};
use crate::store::{StoreError, StoreTx, TxResult};
use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// A password on its way to a directory: zeroised when dropped, never
/// printed.
pub type Password = SecretString;

/// An account as its directory names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Its id in the directory: a DN, a login, or the address for sled.
    pub id: String,
    /// The display name; also kept out of the person's passwords.
    pub name: String,
    pub address: EmailAddress,
}

/// Why a directory would not take a new password, in terms a person can
/// act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    TooShort,
    TooSimple,
    InHistory,
    Locked,
    /// The directory cannot be reached now: nothing was changed.
    Unreachable,
    Other,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooShort => "too short",
            Self::TooSimple => "too simple",
            Self::InHistory => "used before",
            Self::Locked => "account locked",
            Self::Unreachable => "directory unreachable",
            Self::Other => "refused",
        }
    }
}

/// The directory's answer to a password change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeVerdict {
    Done,
    /// Nothing changed. `detail` is the directory's own words, for the log
    /// and the audit trail, never for the person.
    Refused {
        refusal: Refusal,
        detail: String,
    },
}

/// When the directory last recorded a password change for an account
/// (`pwdChangedTime`, `pwdLastSet`, the shadow file's day), to tell after
/// the fact whether a change whose answer was lost went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeStamp {
    /// Milliseconds since the epoch; `None` when never changed.
    pub at_ms: Option<Millis>,
    /// How fine the stamp is: 1 000 for LDAP's generalized time, a day for
    /// /etc/shadow.
    pub precision_ms: Millis,
}

/// What a stamp read after a change says about it, compared with the
/// stamp read before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StampSays {
    Changed,
    Unchanged,
    CannotTell,
}

/// How far the clocks of rekey and of the directory may disagree, for the
/// two comparisons of a stamp with rekey's own time.
pub const CLOCK_ALLOWANCE_MS: Millis = 5 * 60 * 1000;

impl ChangeStamp {
    /// Compares with the stamp read just before the write started at
    /// `started_ms`; the write may have been applied as late as
    /// `last_write_ms`. A stamp that moved means changed, one that did not
    /// means unchanged; except when it moved long after the write (someone
    /// else's change) or an earlier change close to the write would hide
    /// this one: then it cannot tell.
    pub fn compared_with(
        &self,
        before: &ChangeStamp,
        started_ms: Millis,
        last_write_ms: Millis,
    ) -> StampSays {
        let precision = self.precision_ms.max(before.precision_ms);
        let slack = precision.saturating_add(CLOCK_ALLOWANCE_MS);
        match (before.at_ms, self.at_ms) {
            (None, None) => StampSays::Unchanged,
            // The stamp went away: nothing to compare.
            (Some(_), None) => StampSays::CannotTell,
            (Some(b), Some(a)) if a == b => {
                if b.saturating_add(slack) > started_ms {
                    StampSays::CannotTell
                } else {
                    StampSays::Unchanged
                }
            }
            (_, Some(a)) if a > last_write_ms.saturating_add(slack) => StampSays::CannotTell,
            (_, Some(_)) => StampSays::Changed,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DirectoryError {
    #[error("no account has that address")]
    NoAccount,
    #[error("an account with that address already exists")]
    AccountExists,
    /// Nothing was sent, or the directory said no before acting: nothing
    /// changed.
    #[error("the directory cannot be reached: {0}")]
    Unreachable(String),
    /// A change was sent and no answer came back: it may or may not have
    /// been made.
    #[error("the directory did not answer the change: {0}")]
    NoAnswer(String),
    /// The directory answered something rekey does not understand, or the
    /// set-up is wrong (credentials, rights, missing features).
    #[error("the directory failed: {0}")]
    Failed(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Step(#[from] FlowError),
}

/// The step that goes with a password change in rekey's own store (the
/// session ends, the audit event, the notice mail), committed in the same
/// transaction as the change.
pub type PasswordStep<'a> = &'a (dyn Fn(&StoreTx<'_>) -> TxResult<(), DirectoryError> + Sync);

/// Accounts as the recovery flow uses them. Every call may wait on the
/// network or a process; none blocks an async thread.
#[async_trait]
pub trait Directory: Send + Sync {
    /// For the operator's messages: "sled", "ldap (exop)", "command".
    fn describe(&self) -> String;

    /// The one account with this address, if exactly one has it.
    async fn find(&self, address: &EmailAddress) -> Result<Option<Account>, DirectoryError>;

    /// True when `password` is the account's current password.
    async fn verify_password(
        &self,
        account: &Account,
        password: &Password,
    ) -> Result<bool, DirectoryError>;

    /// Sets a new password; the directory's own policy is the judge.
    async fn change_password(
        &self,
        account: &Account,
        new: &Password,
    ) -> Result<ChangeVerdict, DirectoryError>;

    /// The directory's record of the last password change.
    async fn change_stamp(&self, account: &Account) -> Result<ChangeStamp, DirectoryError>;

    /// How long after a change that got no answer the directory may still
    /// apply it (a server that got the request finishes it even when rekey
    /// stopped waiting). 0: once the call returned, nothing more happens.
    fn late_write_ms(&self) -> Millis {
        0
    }

    /// rekey's own accounts, when this directory keeps them in rekey's
    /// store: the change and rekey's steps then commit together.
    fn own_accounts(&self) -> Option<&dyn OwnAccounts> {
        None
    }

    /// What `rekey directory test` shows: each check and its outcome.
    async fn self_test(&self, address: Option<&EmailAddress>) -> Vec<Check> {
        let mut checks = Vec::new();
        if let Some(address) = address {
            checks.push(find_check(self, address).await);
        }
        checks
    }
}

/// One line of `rekey directory test`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    pub what: String,
    pub passed: bool,
    pub detail: String,
}

impl Check {
    pub fn new(what: &str, outcome: Result<String, String>) -> Self {
        let passed = outcome.is_ok();
        Self {
            what: what.to_string(),
            passed,
            detail: outcome.unwrap_or_else(|e| e),
        }
    }
}

/// The "find ADDRESS" line every directory's self-test ends with.
pub async fn find_check<D: Directory + ?Sized>(directory: &D, address: &EmailAddress) -> Check {
    let found = match directory.find(address).await {
        Ok(Some(account)) => Ok(format!("{} ({})", account.id, account.name)),
        Ok(None) => Err(format!(
            "no account (or more than one) has the address {address}"
        )),
        Err(e) => Err(e.to_string()),
    };
    Check::new(&format!("find {address}"), found)
}

/// Accounts kept in rekey's own store. Its calls hash (argon2): the
/// service runs them on its hashing threads.
pub trait OwnAccounts: Send + Sync {
    /// True when `password` is one of the account's last `count` passwords.
    fn is_recent_password(
        &self,
        address: &EmailAddress,
        password: &str,
        count: usize,
    ) -> Result<bool, DirectoryError>;

    fn verify(&self, address: &EmailAddress, password: &str) -> Result<bool, DirectoryError>;

    /// Stores a new password hash and runs `step` in the same transaction.
    fn set_password(
        &self,
        address: &EmailAddress,
        new_hash: &str,
        step: PasswordStep<'_>,
    ) -> Result<(), DirectoryError>;

    /// Adds an account with an already hashed password.
    fn add_account(
        &self,
        address: &EmailAddress,
        name: &str,
        password_hash: &str,
        client: &str,
    ) -> Result<(), DirectoryError>;

    fn remove_account(&self, address: &EmailAddress, client: &str) -> Result<(), DirectoryError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(at: Option<Millis>, precision_ms: Millis) -> ChangeStamp {
        ChangeStamp {
            at_ms: at,
            precision_ms,
        }
    }

    const MIN: Millis = 60_000;
    const DAY: Millis = 1440 * MIN;

    #[test]
    fn a_moved_stamp_means_the_change_went_through() {
        let before = stamp(Some(100 * DAY), 1000);
        let (started, last) = (200 * DAY, 200 * DAY + MIN);
        let after = stamp(Some(200 * DAY + 1000), 1000);
        assert_eq!(
            after.compared_with(&before, started, last),
            StampSays::Changed
        );
        // AD's pwdLastSet = 0 ("must change") is a move too.
        let zero = stamp(Some(0), 1);
        assert_eq!(
            zero.compared_with(&before, started, last),
            StampSays::Changed
        );
        let first = stamp(Some(200 * DAY), 1000);
        assert_eq!(
            first.compared_with(&stamp(None, 1000), started, last),
            StampSays::Changed
        );
    }

    #[test]
    fn a_move_long_after_the_write_is_someone_elses() {
        let before = stamp(Some(100 * DAY), 1000);
        let later = stamp(Some(201 * DAY), 1000);
        assert_eq!(
            later.compared_with(&before, 200 * DAY, 200 * DAY + MIN),
            StampSays::CannotTell
        );
    }

    #[test]
    fn the_same_stamp_long_before_the_write_means_no_change() {
        let before = stamp(Some(100 * DAY), 1000);
        assert_eq!(
            before.compared_with(&before, 200 * DAY, 200 * DAY),
            StampSays::Unchanged
        );
        assert_eq!(
            stamp(None, 1000).compared_with(&stamp(None, 1000), 5, 5),
            StampSays::Unchanged
        );
    }

    #[test]
    fn the_same_stamp_close_to_the_write_or_a_vanished_one_cannot_tell() {
        let today = stamp(Some(20 * DAY), DAY);
        assert_eq!(
            today.compared_with(&today, 20 * DAY + 60 * MIN, 20 * DAY + 60 * MIN),
            StampSays::CannotTell
        );
        // Within the clocks' allowance before the write.
        let second = stamp(Some(100 * DAY), 1000);
        assert_eq!(
            second.compared_with(&second, 100 * DAY + 4 * MIN, 100 * DAY + 4 * MIN),
            StampSays::CannotTell
        );
        assert_eq!(
            stamp(None, 1000).compared_with(&second, 200 * DAY, 200 * DAY),
            StampSays::CannotTell
        );
    }
}
