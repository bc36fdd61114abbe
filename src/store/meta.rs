//! The `meta` tree: the schema version and the installation's secret.

use super::{Store, StoreError, TxFault, TxResult, get_json, put_json};
use serde::{Deserialize, Serialize};

/// The layout of records this rekey reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

const SCHEMA_KEY: &[u8] = b"schema";
const SECRET_KEY: &[u8] = b"secret";
const MAIL_HEALTH_KEY: &[u8] = b"mail_health";

#[derive(Debug, Serialize, Deserialize)]
struct Secret(String);

impl Store {
    /// Stamps a new store with the schema version and a secret; refuses a
    /// store from a newer rekey.
    pub(super) fn prepare_meta(&self) -> Result<(), StoreError> {
        let secret = super::random_id(32)?;
        let found = self.transact(|tx| -> TxResult<u32, StoreError> {
            let found: Option<u32> = get_json(tx.meta, SCHEMA_KEY)?;
            if found.is_none() {
                put_json(tx.meta, SCHEMA_KEY, &SCHEMA_VERSION)?;
                put_json(tx.meta, SECRET_KEY, &Secret(secret.clone()))?;
            }
            Ok(found.unwrap_or(SCHEMA_VERSION))
        })?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        let bytes = self
            .meta
            .get(SCHEMA_KEY)?
            .ok_or_else(|| StoreError::Corrupt("no schema version".into()))?;
        super::decode(&bytes).map_err(StoreError::Corrupt)
    }
}

impl super::StoreTx<'_> {
    pub fn mail_health(&self) -> Result<crate::recovery::MailHealth, TxFault> {
        Ok(get_json(self.meta, MAIL_HEALTH_KEY)?.unwrap_or_default())
    }

    pub fn put_mail_health(&self, health: &crate::recovery::MailHealth) -> Result<(), TxFault> {
        put_json(self.meta, MAIL_HEALTH_KEY, health)
    }

    /// The installation's secret (hex), made when the store was created.
    pub fn secret(&self) -> Result<String, TxFault> {
        let secret: Option<Secret> = get_json(self.meta, SECRET_KEY)?;
        secret
            .map(|s| s.0)
            .ok_or_else(|| TxFault::Corrupt("no secret in meta".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_is_stamped_and_keeps_its_secret_across_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let secret = {
            let store = Store::open(dir.path()).unwrap();
            assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
            store
                .transact(|tx| -> TxResult<String, StoreError> { Ok(tx.secret()?) })
                .unwrap()
        };
        let store = Store::open(dir.path()).unwrap();
        let again = store
            .transact(|tx| -> TxResult<String, StoreError> { Ok(tx.secret()?) })
            .unwrap();
        assert_eq!(secret, again);
        assert_eq!(secret.len(), 64);
    }

    #[test]
    fn a_store_from_a_newer_rekey_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store
                .meta
                .insert(SCHEMA_KEY, serde_json::to_vec(&99u32).unwrap())
                .unwrap();
            store.flush().unwrap();
        }
        match Store::open(dir.path()) {
            Err(StoreError::TooNew { found: 99, .. }) => {}
            other => panic!("expected TooNew, got {:?}", other.err()),
        }
    }
}
