//! The sled store: one tree per kind of record, one module per tree, and
//! [`Store::transact`] for every change that must happen together. Each
//! transaction is flushed to disk before it is reported done, because sled
//! acknowledges writes before they are durable.
//!
//! sled fails a write for good once one of its disk writes failed (its
//! `global_error`, cleared only when the store is opened again): the
//! first such fault is kept in [`Store::fault`], every later transaction
//! fails with it at once, and the daemon watches [`Store::faults`] to
//! stop and start again on a fresh open.

pub mod accounts;
pub mod audit;
pub mod changes;
pub mod flows;
mod journal;
pub mod meta;
pub mod outbox;
pub mod postgres;
pub mod rate;
pub mod sessions;
pub mod sign_in;
pub mod tickets;
mod tree;

use crate::config::{StoreKind, StoreSettings};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sled::Transactional;
use sled::transaction::{
    ConflictableTransactionError, TransactionError, UnabortableTransactionError,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;
pub(crate) use tree::{Claimed, Tree, TxTree};

/// sled's page cache, counted in on-disk bytes: in memory its pages took
/// about eight times that (benches/store.rs: 8 MiB of cache grew the
/// process by some 50 MiB as the audit trail grew; 1 MiB by 5 MiB). What
/// rekey reads again is small: open sessions and flows, send counts, mail
/// still to deliver, the audit trail's end.
const CACHE_BYTES: u64 = 1024 * 1024;

/// Errors of the store itself, as an operator reads them.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("the store at {0} is in use by another rekey process; wait for it to end, or stop it")]
    Locked(PathBuf),
    #[error("cannot open the store at {path}: {message}")]
    Open { path: PathBuf, message: String },
    #[error(
        "the store at {path} was written by a newer rekey (schema {found}, this one knows {known})"
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
    #[error("the store failed: {0}")]
    Sled(String),
    #[error("a stored record is unreadable: {0}")]
    Corrupt(String),
    /// The disk (or rekey's quota on it) is full.
    #[error(
        "no space left on the device holding {0}; nothing more can be saved until some is freed there"
    )]
    NoSpace(PathBuf),
    /// A disk write failed for another reason; sled refuses every later
    /// write until the store is opened again.
    #[error("the store at {path} could not write to its disk: {message}")]
    WriteFailed { path: PathBuf, message: String },
    /// A step was applied, but making it durable failed: after a restart
    /// it may or may not be there.
    #[error("a step was applied but may not have reached the disk: {0}")]
    NotDurable(Box<StoreError>),
    /// The audit journal's files could not be read or written; the events
    /// not yet moved there stay in sled meanwhile.
    #[error("the audit journal in {path} failed: {message}")]
    Journal { path: PathBuf, message: String },
    /// The database cannot be reached now (down, restarting, the network):
    /// nothing was saved; the next step tries again.
    #[error("the store's database at {at} cannot be reached now: {message}")]
    Unavailable { at: String, message: String },
    /// The PostgreSQL store refused or failed a statement.
    #[error("the PostgreSQL store failed: {0}")]
    Postgres(String),
    /// The PostgreSQL store's schema is missing or older than this rekey's.
    #[error("{0}")]
    Schema(String),
}

impl StoreError {
    /// Whether this store refuses every write from now on, until it is
    /// opened again.
    pub fn is_sticky(&self) -> bool {
        match self {
            Self::NoSpace(_) | Self::WriteFailed { .. } => true,
            Self::NotDurable(inner) => inner.is_sticky(),
            _ => false,
        }
    }

    /// Whether the store's database is out of reach for now, so the step
    /// may be tried again in a moment.
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Unavailable { .. } => true,
            Self::NotDurable(inner) => inner.is_unavailable(),
            _ => false,
        }
    }
}

/// Whether `e` says the disk (or a quota on it) is full.
fn is_no_space(e: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    // By kind (ENOSPC, EDQUOT): sled hands its remembered error out as a
    // copy that keeps the kind but not the OS error number.
    matches!(e.kind(), ErrorKind::StorageFull | ErrorKind::QuotaExceeded)
}

/// A sled error on the store at `path`, as an operator reads it.
fn classify(e: sled::Error, path: &Path) -> StoreError {
    match &e {
        sled::Error::Io(io) if is_no_space(io) => StoreError::NoSpace(path.to_path_buf()),
        sled::Error::Io(io) => StoreError::WriteFailed {
            path: path.to_path_buf(),
            message: io.to_string(),
        },
        _ => StoreError::from(e),
    }
}

impl From<sled::Error> for StoreError {
    fn from(e: sled::Error) -> Self {
        Self::Sled(e.to_string())
    }
}

/// What an accessor inside a transaction can fail with.
#[derive(Debug)]
pub enum TxFault {
    Sled(UnabortableTransactionError),
    Corrupt(String),
    /// A statement of a PostgreSQL transaction failed; the transaction
    /// keeps the fault and is void.
    Pg(postgres::PgFault),
}

impl From<UnabortableTransactionError> for TxFault {
    fn from(e: UnabortableTransactionError) -> Self {
        Self::Sled(e)
    }
}

impl From<sled::Error> for TxFault {
    fn from(e: sled::Error) -> Self {
        Self::Sled(UnabortableTransactionError::Storage(e))
    }
}

impl<E: From<StoreError>> From<TxFault> for ConflictableTransactionError<E> {
    fn from(fault: TxFault) -> Self {
        match fault {
            TxFault::Sled(e) => e.into(),
            TxFault::Corrupt(m) => Self::Abort(E::from(StoreError::Corrupt(m))),
            // The transaction ends on the fault it kept; this is only how
            // the step stops.
            TxFault::Pg(postgres::PgFault::Conflict) => Self::Conflict,
            TxFault::Pg(postgres::PgFault::Unavailable(m)) => {
                Self::Abort(E::from(StoreError::Unavailable {
                    at: String::new(),
                    message: m,
                }))
            }
            TxFault::Pg(postgres::PgFault::Failed(m)) => {
                Self::Abort(E::from(StoreError::Postgres(m)))
            }
        }
    }
}

/// What a transaction's closure returns.
pub type TxResult<T, E> = Result<T, ConflictableTransactionError<E>>;

/// Ends a transaction without writing anything.
pub fn abort<T, E>(error: impl Into<E>) -> TxResult<T, E> {
    Err(ConflictableTransactionError::Abort(error.into()))
}

/// Changes the error a transaction step aborts with.
pub fn map_abort<T, A, B>(result: TxResult<T, A>, change: impl FnOnce(A) -> B) -> TxResult<T, B> {
    use ConflictableTransactionError as C;
    result.map_err(|e| match e {
        C::Abort(a) => C::Abort(change(a)),
        C::Conflict => C::Conflict,
        C::Storage(s) => C::Storage(s),
    })
}

/// The trees as one transaction sees them.
pub struct StoreTx<'a> {
    pub(crate) accounts: TxTree<'a>,
    pub(crate) flows: TxTree<'a>,
    pub(crate) sessions: TxTree<'a>,
    pub(crate) rate: TxTree<'a>,
    pub(crate) outbox: TxTree<'a>,
    pub(crate) audit: TxTree<'a>,
    pub(crate) tickets: TxTree<'a>,
    pub(crate) meta: TxTree<'a>,
    pub(crate) changes: TxTree<'a>,
}

impl<'a> StoreTx<'a> {
    /// The trees of a PostgreSQL transaction, in [`postgres::TREES`] order.
    fn postgres(tx: &'a postgres::PgTx<'a>) -> Self {
        let tree = |n| TxTree::Postgres(tx, n);
        Self {
            accounts: tree(0),
            flows: tree(1),
            sessions: tree(2),
            rate: tree(3),
            outbox: tree(4),
            audit: tree(5),
            tickets: tree(6),
            meta: tree(7),
            changes: tree(8),
        }
    }
}

pub(crate) fn get_json<V: DeserializeOwned>(
    tree: TxTree<'_>,
    key: &[u8],
) -> Result<Option<V>, TxFault> {
    match tree.get(key)? {
        None => Ok(None),
        Some(bytes) => decode(&bytes).map(Some).map_err(TxFault::Corrupt),
    }
}

pub(crate) fn put_json<V: Serialize>(
    tree: TxTree<'_>,
    key: &[u8],
    value: &V,
) -> Result<(), TxFault> {
    let bytes = serde_json::to_vec(value).map_err(|e| TxFault::Corrupt(e.to_string()))?;
    tree.insert(key, bytes)?;
    Ok(())
}

pub(crate) fn decode<V: DeserializeOwned>(bytes: &[u8]) -> Result<V, String> {
    serde_json::from_slice(bytes).map_err(|e| e.to_string())
}

/// Every record of `tree`, in key order.
pub(crate) fn decode_all<V: DeserializeOwned>(tree: &Tree) -> Result<Vec<V>, StoreError> {
    tree.iter()
        .map(|entry| decode(&entry?.1).map_err(StoreError::Corrupt))
        .collect()
}

/// Removes the records of `tree` that `done_with` picks (it gets `None`
/// for a record that does not decode), each only if it is unchanged since
/// it was read: a record touched meanwhile stays. Returns how many went;
/// the caller flushes.
pub(crate) fn sweep_tree<V: DeserializeOwned>(
    tree: &Tree,
    done_with: impl Fn(Option<V>) -> bool,
) -> Result<usize, StoreError> {
    let mut removed = 0;
    for entry in tree.iter() {
        let (key, value) = entry?;
        if done_with(decode(&value).ok()) && tree.remove_if_unchanged(&key, &value)? {
            removed += 1;
        }
    }
    Ok(removed)
}

/// An open store: sled in the data directory, or a PostgreSQL database
/// several daemons share. Clones share the one database.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Where it is, for messages: sled's directory, or PostgreSQL's
    /// host:port/database.
    path: PathBuf,
    /// The first write fault sled will not recover from in this open.
    fault: Arc<watch::Sender<Option<StoreError>>>,
    /// sled's settled audit events (`audit/` beside `store/`). PostgreSQL
    /// keeps its whole trail in its table, replicated with the rest.
    journal: Option<Arc<std::sync::Mutex<journal::Journal>>>,
    pub(crate) accounts: Tree,
    pub(crate) flows: Tree,
    pub(crate) sessions: Tree,
    pub(crate) rate: Tree,
    pub(crate) outbox: Tree,
    pub(crate) audit: Tree,
    pub(crate) tickets: Tree,
    pub(crate) meta: Tree,
    pub(crate) changes: Tree,
}

#[derive(Clone)]
enum Backend {
    Sled(sled::Db),
    Postgres(Arc<postgres::Postgres>),
}

/// Held while this process sweeps; on PostgreSQL, an advisory lock, so
/// one daemon of a fleet sweeps at a time.
pub struct SweepTurn {
    _lock: Option<postgres::SweepLock>,
}

impl Store {
    /// Opens (or creates) the store under `data_dir`. On a full disk this
    /// fails with [`StoreError::NoSpace`] and leaves nothing behind that
    /// would stop a later open.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        let path = data_dir.join("store");
        let open_error = |e: &std::io::Error| {
            if is_no_space(e) {
                StoreError::NoSpace(path.clone())
            } else {
                StoreError::Open {
                    path: path.clone(),
                    message: e.to_string(),
                }
            }
        };
        create_private_dir(data_dir).map_err(|e| open_error(&e))?;
        remove_unfinished_snapshots(&path).map_err(|e| open_error(&e))?;
        let opened = Self::open_sled(&path, &data_dir.join("audit"));
        if let Err(StoreError::NoSpace(_)) = &opened {
            // Ours, from this very open: gone before anyone opens again.
            let _ = remove_unfinished_snapshots(&path);
        }
        let store = opened?;
        store.prepare()
    }

    /// Opens the store `settings` name: sled under `data_dir`, or the
    /// PostgreSQL database (whose schema must be this rekey's).
    pub fn open_configured(settings: &StoreSettings, data_dir: &Path) -> Result<Self, StoreError> {
        match settings.kind {
            StoreKind::Sled => Self::open(data_dir),
            StoreKind::Postgres => {
                // Still rekey's own directory: its mail files, its log.
                create_private_dir(data_dir).map_err(|e| StoreError::Open {
                    path: data_dir.to_path_buf(),
                    message: e.to_string(),
                })?;
                Self::open_postgres(postgres::Postgres::open(settings)?)
            }
        }
    }

    /// The store on an open PostgreSQL database.
    pub fn open_postgres(pg: Arc<postgres::Postgres>) -> Result<Self, StoreError> {
        let tree = |n| Tree::Postgres(pg.clone(), n);
        let store = Self {
            accounts: tree(0),
            flows: tree(1),
            sessions: tree(2),
            rate: tree(3),
            outbox: tree(4),
            audit: tree(5),
            tickets: tree(6),
            meta: tree(7),
            changes: tree(8),
            path: PathBuf::from(pg.at()),
            backend: Backend::Postgres(pg),
            fault: Arc::new(watch::channel(None).0),
            journal: None,
        };
        store.prepare()
    }

    /// Whether this store is shared by a fleet (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// The sweeper's turn: `None` while another daemon sweeps.
    pub fn sweep_turn(&self) -> Result<Option<SweepTurn>, StoreError> {
        match &self.backend {
            Backend::Sled(_) => Ok(Some(SweepTurn { _lock: None })),
            Backend::Postgres(pg) => Ok(pg
                .try_sweep_lock()?
                .map(|lock| SweepTurn { _lock: Some(lock) })),
        }
    }

    /// Stamps a new store and checks an old one, on either backend.
    fn prepare(self) -> Result<Self, StoreError> {
        let store = self;
        store.prepare_meta()?;
        // Once, for a store written before the worker kept an index.
        const INDEXED: &[u8] = b"outbox_pending_indexed";
        if !store.meta.contains_key(INDEXED)? {
            store.index_pending_outbox()?;
            store.meta.insert(INDEXED, &[][..])?;
            store.flush()?;
        }
        Ok(store)
    }

    /// Opens sled, then the audit journal: only once sled's lock says no
    /// other process has the store may a torn line of the journal be cut.
    fn open_sled(path: &Path, audit_dir: &Path) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(path)
            // Every step flushes before it answers, so sled's own flusher
            // (every 500 ms by default) only woke an idle kiosk's disk.
            .flush_every_ms(None)
            // sled's page cache defaults to 1 GiB and grows towards it as
            // the store grows: a long-running daemon's memory crept.
            .cache_capacity(CACHE_BYTES)
            .open()
            .map_err(|e| classify_open_error(e, path))?;
        let tree = |name: &str| {
            db.open_tree(name)
                .map(Tree::Sled)
                .map_err(|e| classify(e, path))
        };
        let meta = tree("meta")?;
        // An unreadable record: as if none (only a torn line is cut).
        let acknowledged = meta
            .get(audit::JOURNAL_ACK_KEY)?
            .and_then(|bytes| decode::<journal::Acknowledged>(&bytes).ok());
        let journal = journal::Journal::open(audit_dir, acknowledged).map_err(|e| {
            if is_no_space(&e) {
                StoreError::NoSpace(audit_dir.to_path_buf())
            } else {
                StoreError::Journal {
                    path: audit_dir.to_path_buf(),
                    message: e.to_string(),
                }
            }
        })?;
        Ok(Self {
            accounts: tree("accounts")?,
            flows: tree("flows")?,
            sessions: tree("sessions")?,
            rate: tree("rate")?,
            outbox: tree("outbox")?,
            audit: tree("audit")?,
            tickets: tree("tickets")?,
            meta,
            changes: tree("changes")?,
            backend: Backend::Sled(db),
            path: path.to_path_buf(),
            fault: Arc::new(watch::channel(None).0),
            journal: Some(Arc::new(std::sync::Mutex::new(journal))),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The write fault that stopped this store, if one did: every later
    /// write fails with it until the store is opened again.
    pub fn fault(&self) -> Option<StoreError> {
        self.fault.borrow().clone()
    }

    /// Changes to [`Store::fault`], for whoever must act on one.
    pub fn faults(&self) -> watch::Receiver<Option<StoreError>> {
        self.fault.subscribe()
    }

    /// `e` from sled, as an operator reads it; a fault sled keeps is
    /// remembered.
    fn failed(&self, e: sled::Error) -> StoreError {
        let error = classify(e, &self.path);
        if error.is_sticky() {
            self.fault.send_if_modified(|kept| {
                let first = kept.is_none();
                if first {
                    *kept = Some(error.clone());
                }
                first
            });
        }
        error
    }

    /// Runs `step` as one transaction over every tree, retrying on conflict,
    /// and flushes before returning. `step` may run more than once: it must
    /// do nothing but read and write through the [`StoreTx`].
    pub fn transact<T, E>(&self, step: impl Fn(&StoreTx<'_>) -> TxResult<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        if let Backend::Postgres(pg) = &self.backend {
            return self.transact_postgres(pg, step);
        }
        // sled may still read what the failed write left in memory:
        // nothing is answered from it.
        if let Some(fault) = self.fault() {
            return Err(E::from(fault));
        }
        let tree = |t: &Tree| match t {
            Tree::Sled(t) => Ok(t.clone()),
            Tree::Postgres(..) => Err(E::from(StoreError::Sled("a tree of another store".into()))),
        };
        let trees = (
            &tree(&self.accounts)?,
            &tree(&self.flows)?,
            &tree(&self.sessions)?,
            &tree(&self.rate)?,
            &tree(&self.outbox)?,
            &tree(&self.audit)?,
            &tree(&self.tickets)?,
            &tree(&self.meta)?,
            &tree(&self.changes)?,
        );
        let result = trees.transaction(
            |(accounts, flows, sessions, rate, outbox, audit, tickets, meta, changes)| {
                step(&StoreTx {
                    accounts: TxTree::Sled(accounts),
                    flows: TxTree::Sled(flows),
                    sessions: TxTree::Sled(sessions),
                    rate: TxTree::Sled(rate),
                    outbox: TxTree::Sled(outbox),
                    audit: TxTree::Sled(audit),
                    tickets: TxTree::Sled(tickets),
                    meta: TxTree::Sled(meta),
                    changes: TxTree::Sled(changes),
                })
            },
        );
        let value = match result {
            Ok(value) => value,
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(E::from(self.failed(e))),
        };
        self.flush()
            .map_err(|e| E::from(StoreError::NotDurable(Box::new(e))))?;
        Ok(value)
    }

    /// [`Store::transact`] on PostgreSQL: one SERIALIZABLE transaction,
    /// run again when it fails to serialise against another daemon's.
    /// COMMIT makes it durable.
    fn transact_postgres<T, E>(
        &self,
        pg: &postgres::Postgres,
        step: impl Fn(&StoreTx<'_>) -> TxResult<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        use postgres::{Abandoned, Attempt, PgFault};
        let mut aborted: Option<E> = None;
        let outcome = pg.transact(&mut |tx| match step(&StoreTx::postgres(tx)) {
            Ok(value) => Attempt::Done(value),
            Err(ConflictableTransactionError::Abort(e)) => {
                aborted = Some(e);
                Attempt::Abort(Abandoned)
            }
            Err(ConflictableTransactionError::Conflict) => Attempt::Conflict,
            Err(ConflictableTransactionError::Storage(e)) => {
                Attempt::Fault(PgFault::Failed(e.to_string()))
            }
        });
        match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(Abandoned)) => Err(aborted.unwrap_or_else(|| {
                E::from(StoreError::Postgres("a step ended without a reason".into()))
            })),
            Err(e) => Err(E::from(e)),
        }
    }

    /// What sled says the store takes on disk, in bytes.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        match &self.backend {
            Backend::Sled(db) => Ok(db.size_on_disk()?),
            Backend::Postgres(_) => Err(StoreError::Postgres(
                "PostgreSQL says its own sizes (pg_total_relation_size)".into(),
            )),
        }
    }

    /// Makes every acknowledged write durable (PostgreSQL's are at commit).
    pub fn flush(&self) -> Result<(), StoreError> {
        if let Backend::Sled(db) = &self.backend {
            db.flush().map_err(|e| self.failed(e))?;
        }
        Ok(())
    }
}

fn classify_open_error(e: sled::Error, path: &Path) -> StoreError {
    let message = e.to_string();
    let locked = match &e {
        sled::Error::Io(io) => {
            io.kind() == std::io::ErrorKind::WouldBlock
                || io.to_string().contains("could not acquire lock")
        }
        _ => false,
    };
    match &e {
        _ if locked => StoreError::Locked(path.to_path_buf()),
        sled::Error::Io(io) if is_no_space(io) => StoreError::NoSpace(path.to_path_buf()),
        _ => StoreError::Open {
            path: path.to_path_buf(),
            message,
        },
    }
}

/// sled writes the snapshot it makes at open to `snap.<lsn>.generating`,
/// syncs it and renames it to `snap.<lsn>` (sled 0.34.7,
/// pagecache/snapshot.rs, `write_snapshot`), but picks the newest
/// `snap.*` file by name, that one included, when it opens
/// (`read_snapshot`): one left by an open that ran out of space is read as
/// a corrupt snapshot, and every later open fails. It is never the real
/// snapshot (that one is renamed, and older ones stay until it is), so it
/// goes, under sled's own lock: never while another process is opening.
fn remove_unfinished_snapshots(store: &Path) -> std::io::Result<()> {
    let db = match std::fs::File::open(store.join("db")) {
        Ok(db) => db,
        // A new store, or none yet: nothing to tidy.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    match db.try_lock() {
        Ok(()) => {}
        // Held by a running rekey: sled's own open says so.
        Err(std::fs::TryLockError::WouldBlock) => return Ok(()),
        Err(std::fs::TryLockError::Error(e)) => return Err(e),
    }
    for entry in std::fs::read_dir(store)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            std::fs::remove_file(store.join(&*name))?;
        }
    }
    Ok(())
}

/// Makes the data directory, or makes an existing one private: it holds
/// password hashes and, until their mail is out, codes.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if !dir.is_dir() {
        return std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir);
    }
    let mode = std::fs::metadata(dir)?.permissions().mode();
    if mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode & 0o700)).map_err(
            |e| {
                std::io::Error::new(
                    e.kind(),
                    format!("it is open to other users and cannot be made private: {e}"),
                )
            },
        )?;
    }
    Ok(())
}

/// A random identifier: `bytes` bytes from the OS, in hex.
pub fn random_id(bytes: usize) -> Result<String, StoreError> {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).map_err(|e| StoreError::Sled(format!("no randomness: {e}")))?;
    Ok(hex::encode(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_open_says_the_store_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Store::open(dir.path()).unwrap();
        match Store::open(dir.path()) {
            Err(StoreError::Locked(p)) => assert!(p.ends_with("store")),
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("opened twice"),
        }
    }

    /// What an open that ran out of space in sled's snapshot leaves: an
    /// empty `snap.<lsn>.generating`, newer than the real snapshot.
    #[test]
    fn an_unfinished_snapshot_left_by_a_failed_open_does_not_stop_the_next() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        store.meta.insert("probe", "kept").unwrap();
        store.flush().unwrap();
        drop(store);
        let left = dir
            .path()
            .join("store")
            .join("snap.7FFFFFFFFFFFFFFF.generating");
        std::fs::write(&left, b"").unwrap();
        let store = Store::open(dir.path()).expect("opens past the unfinished snapshot");
        assert_eq!(
            store.meta.get("probe").unwrap().as_deref(),
            Some(&b"kept"[..])
        );
        assert!(!left.exists());
    }

    #[test]
    fn an_unfinished_snapshot_is_left_alone_while_the_store_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let _open = Store::open(dir.path()).unwrap();
        let left = dir
            .path()
            .join("store")
            .join("snap.7FFFFFFFFFFFFFFF.generating");
        std::fs::write(&left, b"").unwrap();
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::Locked(_))
        ));
        assert!(left.exists(), "removed under a running store");
    }

    #[test]
    fn a_full_disk_is_told_apart_from_other_faults() {
        let path = Path::new("/var/lib/rekey/store");
        let full = sled::Error::Io(std::io::Error::from_raw_os_error(28));
        let error = classify(full, path);
        assert!(matches!(error, StoreError::NoSpace(_)), "{error:?}");
        assert!(error.is_sticky());
        assert!(
            error
                .to_string()
                .starts_with("no space left on the device holding /var/lib/rekey/store"),
            "{error}"
        );
        // As sled hands out its remembered error: the kind, not the number.
        let copied = sled::Error::Io(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "Os { code: 28 }",
        ));
        assert!(matches!(classify(copied, path), StoreError::NoSpace(_)));
        let other = sled::Error::Io(std::io::Error::from_raw_os_error(5));
        assert!(matches!(
            classify(other, path),
            StoreError::WriteFailed { .. }
        ));
        assert!(!StoreError::Corrupt("x".into()).is_sticky());
    }

    #[test]
    fn an_existing_open_data_directory_is_made_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
        let _store = Store::open(&data).unwrap();
        let mode = std::fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }

    #[test]
    fn the_data_directory_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let _store = Store::open(&data).unwrap();
        let mode = std::fs::metadata(&data).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
