//! The `changes` tree: password changes sent to an external directory
//! whose outcome is not recorded yet. An intent is written before the
//! directory is asked and removed, with the outcome in the audit trail,
//! after it answers; one left behind by a crash is resolved later from the
//! directory's own change stamp. The password itself is never kept.

use super::{Store, StoreError, StoreTx, TxFault, decode_all, get_json, put_json};
use crate::directory::{Account, ChangeStamp};
use crate::recovery::Millis;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeIntent {
    pub id: String,
    pub account: Account,
    /// The session that asked, to finish it when the change is found.
    pub session: String,
    pub client: String,
    pub language: String,
    pub started_ms: Millis,
    /// The directory's change stamp just before the write, when it could
    /// be read.
    pub before: Option<ChangeStamp>,
    /// An "outcome unknown" event was written for it already.
    #[serde(default)]
    pub reported_unknown: bool,
}

impl StoreTx<'_> {
    pub fn change_intent(&self, id: &str) -> Result<Option<ChangeIntent>, TxFault> {
        get_json(self.changes, id.as_bytes())
    }

    pub fn put_change_intent(&self, intent: &ChangeIntent) -> Result<(), TxFault> {
        put_json(self.changes, intent.id.as_bytes(), intent)
    }

    pub fn remove_change_intent(&self, id: &str) -> Result<(), TxFault> {
        self.changes.remove(id.as_bytes())?;
        Ok(())
    }
}

impl Store {
    /// Every change whose outcome is not recorded yet.
    pub fn change_intents(&self) -> Result<Vec<ChangeIntent>, StoreError> {
        decode_all(&self.changes)
    }
}
