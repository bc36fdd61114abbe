//! The store seam: a tree of keys and values, on sled or on PostgreSQL,
//! outside a transaction ([`Tree`]) and inside one ([`TxTree`]). The
//! records above it (flows, counters, the outbox, the audit chain) are
//! written once, against these.

use super::postgres::{Claim, PgTx, Postgres};
use super::{StoreError, TxFault};
use sled::transaction::TransactionalTree;
use std::sync::Arc;

/// Records in key order; each may fail on its own.
pub(crate) type Entries = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>> + Send>;

/// One tree of an open store.
#[derive(Clone)]
pub(crate) enum Tree {
    Sled(sled::Tree),
    Postgres(Arc<Postgres>, usize),
}

impl Tree {
    pub(crate) fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Self::Sled(t) => Ok(t.get(key)?.map(|v| v.to_vec())),
            Self::Postgres(pg, tree) => pg.get(*tree, key.as_ref()),
        }
    }

    pub(crate) fn contains_key(&self, key: impl AsRef<[u8]>) -> Result<bool, StoreError> {
        Ok(self.get(key)?.is_some())
    }

    pub(crate) fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<(), StoreError> {
        match self {
            Self::Sled(t) => {
                t.insert(key.as_ref(), value.as_ref())?;
                Ok(())
            }
            Self::Postgres(pg, tree) => pg.put(*tree, key.as_ref(), value.as_ref()),
        }
    }

    #[cfg(test)]
    pub(crate) fn remove(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, StoreError> {
        match self {
            Self::Sled(t) => Ok(t.remove(key)?.map(|v| v.to_vec())),
            Self::Postgres(pg, tree) => pg.remove(*tree, key.as_ref()),
        }
    }

    /// Removes `key` if it still holds `value`; says whether it went.
    pub(crate) fn remove_if_unchanged(&self, key: &[u8], value: &[u8]) -> Result<bool, StoreError> {
        match self {
            Self::Sled(t) => Ok(t.compare_and_swap(key, Some(value), None::<&[u8]>)?.is_ok()),
            Self::Postgres(pg, tree) => pg.remove_if(*tree, key, value),
        }
    }

    /// Every record, in key order.
    pub(crate) fn iter(&self) -> Entries {
        self.scan_prefix(b"")
    }

    /// The records whose keys start with `prefix`, in key order.
    pub(crate) fn scan_prefix(&self, prefix: &[u8]) -> Entries {
        match self {
            Self::Sled(t) => Box::new(t.scan_prefix(prefix).map(|entry| {
                entry
                    .map(|(k, v)| (k.to_vec(), v.to_vec()))
                    .map_err(StoreError::from)
            })),
            Self::Postgres(pg, tree) => Box::new(pg.scan(*tree, prefix)),
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Sled(t) => t.len(),
            Self::Postgres(pg, tree) => pg.count(*tree).expect("counted") as usize,
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One tree as a transaction sees it.
#[derive(Clone, Copy)]
pub(crate) enum TxTree<'a> {
    Sled(&'a TransactionalTree),
    Postgres(&'a PgTx<'a>, usize),
}

impl TxTree<'_> {
    pub(crate) fn get(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, TxFault> {
        match self {
            Self::Sled(t) => Ok(t.get(key)?.map(|v| v.to_vec())),
            Self::Postgres(tx, tree) => tx.get(*tree, key.as_ref()),
        }
    }

    pub(crate) fn insert(
        &self,
        key: impl AsRef<[u8]>,
        value: impl AsRef<[u8]>,
    ) -> Result<(), TxFault> {
        match self {
            Self::Sled(t) => {
                t.insert(key.as_ref(), value.as_ref())?;
                Ok(())
            }
            Self::Postgres(tx, tree) => tx.put(*tree, key.as_ref(), value.as_ref()),
        }
    }

    pub(crate) fn remove(&self, key: impl AsRef<[u8]>) -> Result<Option<Vec<u8>>, TxFault> {
        match self {
            Self::Sled(t) => Ok(t.remove(key.as_ref())?.map(|v| v.to_vec())),
            Self::Postgres(tx, tree) => tx.remove(*tree, key.as_ref()),
        }
    }

    /// The record under `key`, for this transaction to take: on
    /// PostgreSQL locked with `FOR UPDATE SKIP LOCKED`, and `None` with
    /// `taken` when another daemon's transaction holds it now.
    pub(crate) fn claim(&self, key: impl AsRef<[u8]>) -> Result<Claimed, TxFault> {
        match self {
            Self::Sled(t) => Ok(match t.get(key)? {
                Some(v) => Claimed::Got(v.to_vec()),
                None => Claimed::Missing,
            }),
            Self::Postgres(tx, tree) => Ok(match tx.claim(*tree, key.as_ref())? {
                Claim::Got(v) => Claimed::Got(v),
                Claim::Locked => Claimed::Taken,
                Claim::Missing => Claimed::Missing,
            }),
        }
    }

    /// A number never handed out before in this store.
    pub(crate) fn generate_id(&self) -> Result<u64, TxFault> {
        match self {
            Self::Sled(t) => Ok(t.generate_id()?),
            Self::Postgres(tx, _) => tx.next_id(),
        }
    }
}

/// What [`TxTree::claim`] found.
pub(crate) enum Claimed {
    Got(Vec<u8>),
    /// Another daemon is taking it.
    Taken,
    Missing,
}
