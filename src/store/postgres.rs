//! The store on PostgreSQL, for several daemons sharing one set of
//! limits, one outbox and one audit trail.
//!
//! Each of the store's trees is a table of keys and values, so the rules
//! above the seam (flows, counters, the outbox, the audit chain) are the
//! same code on both stores and cannot drift apart. A transaction runs at
//! `SERIALIZABLE`: as if the daemons' steps came one after another, which
//! is what sled's transactions give one process. Two daemons checking the
//! same code both read its tries; one commits, the other fails to
//! serialise and runs again on the new count, so a code is used once and
//! counts hold across daemons. Failures to serialise are retried, like
//! sled's conflicts.
//!
//! tokio-postgres rather than sqlx: its `Client` is a handle on a
//! connection task and does no I/O of its own, so the store's steps, which
//! are plain functions (a sled transaction's closure), can wait on it from
//! any thread. The connections run on a thread of their own, on a small
//! runtime, so a step never waits on a runtime it is blocking.

use super::{StoreError, TxFault};
use crate::config::{StoreKind, StoreSettings};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, Statement};

/// The trees, in the order [`super::StoreTx`] names them; table
/// `rekey_<name>` each.
pub(crate) const TREES: [&str; 9] = [
    "accounts", "flows", "sessions", "rate", "outbox", "audit", "tickets", "meta", "changes",
];

/// The schema's migrations, in order, shipped in the binary. A daemon
/// runs only on the newest it knows.
const MIGRATIONS: &[(i32, &str, &str)] = &[(
    1,
    "tables for the store's trees",
    include_str!("../../assets/postgres/0001_trees.sql"),
)];

/// The schema version this rekey reads and writes.
pub const SCHEMA: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Advisory locks, one per purpose (keys of our own in the 64-bit space).
const MIGRATE_LOCK: i64 = 0x7265_6b65_7900_0001;
const SWEEP_LOCK: i64 = 0x7265_6b65_7900_0002;

/// Rows read at a time when a tree is walked.
const PAGE: i64 = 500;

/// How long a step that keeps failing to serialise is tried again.
const RETRY_FOR: Duration = Duration::from_secs(15);

/// How long one statement may go unanswered before the database is taken
/// to be out of reach (a network that drops packets sends no reset), and
/// the connection is given up.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(30);

/// A fault of one statement, as the store acts on it.
#[derive(Debug, Clone)]
pub enum PgFault {
    /// Another daemon's step got there first: the step runs again.
    Conflict,
    /// The database cannot be reached or is going away: try again later.
    Unavailable(String),
    /// Anything else; reported.
    Failed(String),
}

impl PgFault {
    fn of(e: &tokio_postgres::Error) -> Self {
        match e.code() {
            Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE => Self::Conflict,
            Some(c) if *c == SqlState::T_R_DEADLOCK_DETECTED => Self::Conflict,
            // A concurrent insert of the same new key.
            Some(c) if *c == SqlState::UNIQUE_VIOLATION => Self::Conflict,
            // Going away, or out of room (class 53: too many connections,
            // disk full, out of memory), or cancelled, or read-only (a
            // standby during a failover): a moment later may work.
            Some(c)
                if *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CRASH_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW
                    || *c == SqlState::READ_ONLY_SQL_TRANSACTION
                    || *c == SqlState::QUERY_CANCELED
                    || *c == SqlState::LOCK_NOT_AVAILABLE
                    || c.code().starts_with("08")
                    || c.code().starts_with("53") =>
            {
                Self::Unavailable(describe(e))
            }
            Some(_) => Self::Failed(describe(e)),
            // No server word: the link itself (closed, reset, timed out),
            // or rekey's own reading of a row, which is a fault.
            None if is_tls_fault(e) => Self::Failed(describe(e)),
            None if e.is_closed() || source_is_io(e) => Self::Unavailable(describe(e)),
            None => Self::Failed(describe(e)),
        }
    }

    fn into_store(self, at: &str) -> StoreError {
        match self {
            Self::Conflict => StoreError::Postgres(
                "a step kept conflicting with other daemons' steps; it was not saved".into(),
            ),
            Self::Unavailable(message) => StoreError::Unavailable {
                at: at.to_string(),
                message,
            },
            Self::Failed(message) => StoreError::Postgres(message),
        }
    }
}

/// Whether `e` is TLS refusing the server (its certificate, or TLS the
/// URL requires and the server does not speak): a setting to fix, not a
/// database to wait for. tokio-postgres-rustls hands rustls's errors on
/// inside an `io::Error`.
fn is_tls_fault(e: &tokio_postgres::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<rustls::Error>() {
            return true;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && (io
                .get_ref()
                .is_some_and(|inner| inner.is::<rustls::Error>())
                || matches!(
                    io.kind(),
                    std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput
                ))
        {
            return true;
        }
        source = s.source();
    }
    e.to_string().contains("server does not support TLS")
}

/// Whether `e` came from the connection's I/O.
fn source_is_io(e: &tokio_postgres::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// The server's own message when it gave one, else the client's.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            text
        }
    }
}

/// A connection out of the pool; back in it when dropped.
struct Lease<'a> {
    pg: &'a Postgres,
    conn: Option<Conn>,
}

impl std::ops::Deref for Lease<'_> {
    type Target = Conn;

    fn deref(&self) -> &Conn {
        // Set by `checkout` before the lease is handed out.
        self.conn
            .as_ref()
            .unwrap_or_else(|| unreachable!("a lease without its connection"))
    }
}

impl std::ops::DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn
            .as_mut()
            .unwrap_or_else(|| unreachable!("a lease without its connection"))
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        self.pg.checkin(self.conn.take());
    }
}

/// Runs `wait` (a blocking wait on the database) so that a runtime's
/// other tasks move to another thread meanwhile, when there is one.
fn blocking<T>(wait: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(wait)
        }
        _ => wait(),
    }
}

/// What a statement is for; one prepared statement per tree each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Op {
    Get,
    Put,
    Remove,
    RemoveIf,
    First,
    After,
    #[cfg(test)]
    Count,
}

impl Op {
    fn sql(self, table: &str) -> String {
        match self {
            Self::Get => format!("SELECT value FROM {table} WHERE key = $1"),
            Self::Put => format!(
                "INSERT INTO {table} (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value"
            ),
            Self::Remove => format!("DELETE FROM {table} WHERE key = $1 RETURNING value"),
            Self::RemoveIf => format!("DELETE FROM {table} WHERE key = $1 AND value = $2"),
            Self::First => {
                format!("SELECT key, value FROM {table} WHERE key >= $1 ORDER BY key LIMIT $2")
            }
            Self::After => {
                format!("SELECT key, value FROM {table} WHERE key > $1 ORDER BY key LIMIT $2")
            }
            #[cfg(test)]
            Self::Count => format!("SELECT count(*) FROM {table}"),
        }
    }
}

/// One connection, with the statements prepared on it.
struct Conn {
    client: Arc<Client>,
    statements: HashMap<(Op, usize), Statement>,
    /// A statement on it went unanswered: it is not used again.
    broken: bool,
}

/// The PostgreSQL side of an open store. Dropping the last handle ends the
/// connections' thread.
pub struct Postgres {
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    runtime: tokio::runtime::Handle,
    /// Dropped with the store: the connections' thread then ends.
    _stop: tokio::sync::oneshot::Sender<()>,
    idle: Mutex<Vec<Conn>>,
    /// Connections out of the pool now, and a wake-up for a step waiting
    /// for one.
    busy: Mutex<usize>,
    freed: Condvar,
    size: usize,
    /// host:port/database, for messages.
    at: String,
}

impl Postgres {
    /// Connects as `settings` say and checks the schema: a store with no
    /// schema, an older one or a newer one is refused (`rekey store
    /// migrate` applies it).
    pub fn open(settings: &StoreSettings) -> Result<Arc<Self>, StoreError> {
        let pg = Self::connect(settings)?;
        let found = pg.schema_version()?;
        match found {
            None => Err(StoreError::Schema(format!(
                "the PostgreSQL store at {} has no rekey schema yet; run `rekey store migrate`",
                pg.at
            ))),
            Some(v) if v < SCHEMA => Err(StoreError::Schema(format!(
                "the PostgreSQL store at {} has schema {v}, and this rekey needs {SCHEMA}; \
                 run `rekey store migrate`",
                pg.at
            ))),
            Some(v) if v > SCHEMA => Err(StoreError::TooNew {
                path: pg.at.clone().into(),
                found: u32::try_from(v).unwrap_or(u32::MAX),
                known: u32::try_from(SCHEMA).unwrap_or(0),
            }),
            Some(_) => Ok(pg),
        }
    }

    /// Connects without looking at the schema (for `migrate`).
    pub fn connect(settings: &StoreSettings) -> Result<Arc<Self>, StoreError> {
        if settings.kind != StoreKind::Postgres {
            return Err(StoreError::Postgres("the store is not PostgreSQL".into()));
        }
        let mut config: tokio_postgres::Config = settings
            .url
            .parse()
            .map_err(|e| StoreError::Postgres(format!("store.url is not a PostgreSQL URL: {e}")))?;
        if let Some(file) = &settings.password_file {
            let text = zeroize::Zeroizing::new(std::fs::read_to_string(file).map_err(|e| {
                StoreError::Postgres(format!(
                    "cannot read store.password_file {}: {e}",
                    file.display()
                ))
            })?);
            let password = text.lines().next().unwrap_or_default();
            if password.is_empty() {
                return Err(StoreError::Postgres(format!(
                    "store.password_file {} is empty",
                    file.display()
                )));
            }
            // tokio-postgres keeps its own copy for as long as the pool
            // connects; this one is wiped.
            config.password(password);
        }
        config.connect_timeout(Duration::from_secs(settings.connect_timeout_secs.max(1)));
        // A database gone without a word (a cut network) is noticed.
        config.keepalives_idle(Duration::from_secs(30));
        // The server gives up a statement before rekey stops waiting for
        // it, so an abandoned one does not run on.
        // A transaction whose daemon went quiet ends on the server too.
        let options = format!(
            "{} -c statement_timeout={} -c idle_in_transaction_session_timeout={}",
            config.get_options().unwrap_or_default(),
            (STATEMENT_TIMEOUT - Duration::from_secs(5)).as_millis(),
            STATEMENT_TIMEOUT.as_millis()
        );
        config.options(options.trim());
        config.application_name("rekey");
        let pem = match &settings.ca_file {
            None => None,
            Some(file) => Some(std::fs::read(file).map_err(|e| {
                StoreError::Postgres(format!("cannot read store.ca_file {}: {e}", file.display()))
            })?),
        };
        let tls_config = crate::tls::client_config(pem.as_deref(), "store.ca_file")
            .map_err(StoreError::Postgres)?;
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config);
        let at = where_of(&config);
        let (runtime, stop) = start_runtime()?;
        let pg = Arc::new(Self {
            config,
            tls,
            runtime,
            _stop: stop,
            idle: Mutex::new(Vec::new()),
            busy: Mutex::new(0),
            freed: Condvar::new(),
            size: settings.pool_size.max(1),
            at,
        });
        // One connection now, so a wrong URL or password is said at start.
        drop(pg.checkout()?);
        Ok(pg)
    }

    pub fn at(&self) -> &str {
        &self.at
    }

    /// Runs `work` on the connections' thread and waits for it.
    fn run<T: Send + 'static>(
        &self,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, PgFault> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.runtime.spawn(async move {
            let _ = tx.send(work.await);
        });
        rx.recv_timeout(STATEMENT_TIMEOUT).map_err(|e| match e {
            std::sync::mpsc::RecvTimeoutError::Timeout => PgFault::Unavailable(format!(
                "no answer within {} s",
                STATEMENT_TIMEOUT.as_secs()
            )),
            std::sync::mpsc::RecvTimeoutError::Disconnected => {
                PgFault::Unavailable("the store's connections stopped".into())
            }
        })
    }

    /// [`Postgres::run`] with `conn`: one that went unanswered is not used
    /// again.
    fn run_on<T: Send + 'static>(
        &self,
        conn: &mut Conn,
        work: impl Future<Output = T> + Send + 'static,
    ) -> Result<T, PgFault> {
        let done = self.run(work);
        conn.broken |= done.is_err();
        done
    }

    /// A connection from the pool, or a new one; waits while all are out.
    /// It goes back when the lease is dropped.
    fn checkout(&self) -> Result<Lease<'_>, StoreError> {
        {
            let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
            while *busy >= self.size {
                busy = self
                    .freed
                    .wait(busy)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            *busy += 1;
        }
        // From here the slot is the lease's: given back on every way out.
        let mut lease = Lease {
            pg: self,
            conn: None,
        };
        loop {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match idle {
                Some(conn) if conn.client.is_closed() => continue,
                Some(conn) => {
                    lease.conn = Some(conn);
                    return Ok(lease);
                }
                None => break,
            }
        }
        lease.conn = Some(self.connect_new()?);
        Ok(lease)
    }

    /// A new connection, outside the pool's count.
    fn connect_new(&self) -> Result<Conn, StoreError> {
        let (config, tls) = (self.config.clone(), self.tls.clone());
        let connected = self.run(async move {
            let (client, connection) = config.connect(tls).await?;
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!("a store connection ended: {e}");
                }
            });
            Ok::<_, tokio_postgres::Error>(client)
        });
        match connected.and_then(|r| r.map_err(|e| PgFault::of(&e))) {
            Ok(client) => Ok(Conn {
                client: Arc::new(client),
                statements: HashMap::new(),
                broken: false,
            }),
            Err(PgFault::Failed(m)) => Err(StoreError::Postgres(format!(
                "cannot connect to the PostgreSQL store at {}: {m}",
                self.at
            ))),
            Err(other) => Err(other.into_store(&self.at)),
        }
    }

    /// Back to the pool (a closed or broken connection is dropped), and
    /// the slot given back.
    fn checkin(&self, conn: Option<Conn>) {
        if let Some(conn) = conn
            && !conn.client.is_closed()
            && !conn.broken
            // A step that panicked may have left its transaction open.
            && !std::thread::panicking()
        {
            self.idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(conn);
        }
        let mut busy = self.busy.lock().unwrap_or_else(PoisonError::into_inner);
        *busy = busy.saturating_sub(1);
        self.freed.notify_one();
    }

    /// Runs `sql` (statements without results) on a connection.
    fn batch(&self, conn: &mut Conn, sql: &'static str) -> Result<(), PgFault> {
        let client = conn.client.clone();
        self.run_on(conn, async move { client.batch_execute(sql).await })?
            .map_err(|e| PgFault::of(&e))
    }

    fn statement(&self, conn: &mut Conn, op: Op, tree: usize) -> Result<Statement, PgFault> {
        if let Some(s) = conn.statements.get(&(op, tree)) {
            return Ok(s.clone());
        }
        let sql = op.sql(&format!("rekey_{}", TREES[tree]));
        let client = conn.client.clone();
        let statement = self
            .run_on(conn, async move { client.prepare(&sql).await })?
            .map_err(|e| PgFault::of(&e))?;
        conn.statements.insert((op, tree), statement.clone());
        Ok(statement)
    }

    /// Runs `op` on `tree` with `params` (keys and values, all bytes, and
    /// the page size where the statement takes one).
    fn query(
        &self,
        conn: &mut Conn,
        op: Op,
        tree: usize,
        params: Vec<Vec<u8>>,
    ) -> Result<Vec<tokio_postgres::Row>, PgFault> {
        let statement = self.statement(conn, op, tree)?;
        let client = conn.client.clone();
        let paged = matches!(op, Op::First | Op::After);
        self.run_on(conn, async move {
            let mut refs: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
                params.iter().map(|p| p as _).collect();
            let page = PAGE;
            if paged {
                refs.push(&page);
            }
            client.query(&statement, &refs).await
        })?
        .map_err(|e| PgFault::of(&e))
    }

    /// Runs one statement outside a transaction, on a pooled connection.
    fn once(
        &self,
        op: Op,
        tree: usize,
        params: Vec<Vec<u8>>,
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        blocking(|| self.once_here(op, tree, params))
    }

    fn once_here(
        &self,
        op: Op,
        tree: usize,
        params: Vec<Vec<u8>>,
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let mut conn = self.checkout()?;
        let result = self.query(&mut conn, op, tree, params);
        result.map_err(|f| f.into_store(&self.at))
    }

    pub(crate) fn get(&self, tree: usize, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let rows = self.once(Op::Get, tree, vec![key.to_vec()])?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    pub(crate) fn put(&self, tree: usize, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        self.once(Op::Put, tree, vec![key.to_vec(), value.to_vec()])?;
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn remove(&self, tree: usize, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let rows = self.once(Op::Remove, tree, vec![key.to_vec()])?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    /// Removes `key` if its value is still `value`; says whether it went.
    pub(crate) fn remove_if(
        &self,
        tree: usize,
        key: &[u8],
        value: &[u8],
    ) -> Result<bool, StoreError> {
        let mut conn = self.checkout()?;
        let statement = self.statement(&mut conn, Op::RemoveIf, tree);
        let result = statement.and_then(|statement| {
            let client = conn.client.clone();
            let (key, value) = (key.to_vec(), value.to_vec());
            self.run_on(&mut conn, async move {
                client.execute(&statement, &[&key, &value]).await
            })?
            .map_err(|e| PgFault::of(&e))
        });
        Ok(result.map_err(|f| f.into_store(&self.at))? == 1)
    }

    #[cfg(test)]
    pub(crate) fn count(&self, tree: usize) -> Result<u64, StoreError> {
        let rows = self.once(Op::Count, tree, Vec::new())?;
        let n: i64 = rows.first().map_or(0, |r| r.get(0));
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The records of `tree` whose keys start with `prefix`, in key order,
    /// read a page at a time.
    pub(crate) fn scan(self: &Arc<Self>, tree: usize, prefix: &[u8]) -> Pages {
        Pages {
            pg: self.clone(),
            tree,
            prefix: prefix.to_vec(),
            after: None,
            page: VecDeque::new(),
            done: false,
        }
    }

    /// Runs `step` in one SERIALIZABLE transaction, again while it fails to
    /// serialise against another daemon's.
    ///
    /// The step and its waits (for a connection, each statement, the
    /// retries) run as one blocking section: a runtime's other tasks move
    /// to another thread meanwhile.
    pub(crate) fn transact<T>(
        &self,
        step: &mut dyn FnMut(&PgTx<'_>) -> Attempt<T>,
    ) -> Result<Result<T, Abandoned>, StoreError> {
        blocking(|| self.transact_here(step))
    }

    fn transact_here<T>(
        &self,
        step: &mut dyn FnMut(&PgTx<'_>) -> Attempt<T>,
    ) -> Result<Result<T, Abandoned>, StoreError> {
        let fail = |f: PgFault| f.into_store(&self.at);
        let mut conn = self.checkout()?;
        let mut outcome = Err(fail(PgFault::Conflict));
        // Tried again for as long as a person may wait for one step; under
        // a burst, dozens of steps meet on the audit trail's head.
        let deadline = std::time::Instant::now() + RETRY_FOR;
        for attempt in 0u32.. {
            if attempt > 0 {
                if std::time::Instant::now() >= deadline {
                    break;
                }
                // Spread the retries of daemons that keep meeting: a
                // jittered wait growing to 20 ms (longer ones only
                // lengthened the tail, measured with benches/fleet.rs).
                let most = 1 + (u64::from(attempt) * 2).min(20);
                std::thread::sleep(Duration::from_millis(1 + jitter(most)));
            }
            let mut begun = self.batch(&mut conn, "BEGIN ISOLATION LEVEL SERIALIZABLE");
            if let Err(PgFault::Unavailable(_)) = begun {
                // A pooled connection the server closed (it restarted)
                // before this process noticed: once more, on a new one.
                conn.broken = true;
                drop(conn);
                conn = self.checkout()?;
                begun = self.batch(&mut conn, "BEGIN ISOLATION LEVEL SERIALIZABLE");
            }
            if let Err(fault) = begun {
                outcome = Err(fail(fault));
                break;
            }
            // Out of the lease while the step has it: should the step
            // panic, the connection goes with it and the slot comes back.
            let Some(taken) = conn.conn.take() else {
                break;
            };
            let tx = PgTx {
                pg: self,
                conn: std::cell::RefCell::new(taken),
                fault: std::cell::RefCell::new(None),
            };
            let stepped = step(&tx);
            let fault = tx.fault.borrow_mut().take();
            conn.conn = Some(tx.conn.into_inner());
            let ended = match (stepped, fault) {
                // A statement failed: whatever the step made of it, the
                // transaction is void.
                (_, Some(fault)) | (Attempt::Fault(fault), None) => {
                    // One that went unanswered would queue the ROLLBACK
                    // behind it; dropping it ends the transaction anyway.
                    if !conn.broken {
                        let _ = self.batch(&mut conn, "ROLLBACK");
                    }
                    match fault {
                        PgFault::Conflict => None,
                        other => Some(Err(fail(other))),
                    }
                }
                (Attempt::Conflict, None) => {
                    let _ = self.batch(&mut conn, "ROLLBACK");
                    None
                }
                (Attempt::Abort(why), None) => Some(
                    self.batch(&mut conn, "ROLLBACK")
                        .map(|()| Err(why))
                        .map_err(fail),
                ),
                (Attempt::Done(value), None) => match self.batch(&mut conn, "COMMIT") {
                    Ok(()) => Some(Ok(Ok(value))),
                    Err(PgFault::Conflict) => None,
                    // The outcome is unknown: said so, never retried.
                    Err(PgFault::Unavailable(message)) => Some(Err(StoreError::NotDurable(
                        Box::new(StoreError::Unavailable {
                            at: self.at.clone(),
                            message,
                        }),
                    ))),
                    Err(other) => Some(Err(fail(other))),
                },
            };
            if let Some(ended) = ended {
                outcome = ended;
                break;
            }
        }
        outcome
    }

    /// The newest migration applied, or `None` when there is no schema.
    fn schema_version(&self) -> Result<Option<i32>, StoreError> {
        let mut conn = self.checkout()?;
        let client = conn.client.clone();
        let found = self.run_on(&mut conn, async move {
            client
                .query_opt(
                    "SELECT max(version) FROM rekey_schema \
                     WHERE to_regclass('rekey_schema') IS NOT NULL",
                    &[],
                )
                .await
        });
        match found.map_err(|f| f.into_store(&self.at))? {
            Ok(row) => Ok(row.and_then(|r| r.get::<_, Option<i32>>(0))),
            Err(e) if e.code() == Some(&SqlState::UNDEFINED_TABLE) => Ok(None),
            Err(e) => Err(PgFault::of(&e).into_store(&self.at)),
        }
    }

    /// Applies the migrations not yet applied, under a lock so two
    /// operators (or daemons) cannot apply one twice. Returns what was
    /// applied.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.checkout()?;
        let client = conn.client.clone();
        let applied = self.run_on(&mut conn, async move { apply_migrations(&client).await });
        // A migration that failed half way leaves its transaction open on
        // the connection: that one is not used again.
        conn.broken |= !matches!(applied, Ok(Ok(_)));
        match applied.map_err(|f| f.into_store(&self.at))? {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(found)) => Err(StoreError::TooNew {
                path: self.at.clone().into(),
                found: u32::try_from(found).unwrap_or(u32::MAX),
                known: u32::try_from(SCHEMA).unwrap_or(0),
            }),
            Err(e) => Err(PgFault::of(&e).into_store(&self.at)),
        }
    }

    /// Holds the sweep lock while the guard lives, if no other daemon
    /// holds it now.
    /// The lock is held on a connection of its own, outside the pool: a
    /// sweep's own steps take the pool's.
    pub(crate) fn try_sweep_lock(self: &Arc<Self>) -> Result<Option<SweepLock>, StoreError> {
        let mut conn = self.connect_new()?;
        let client = conn.client.clone();
        let got = self.run_on(&mut conn, async move {
            client
                .query_one("SELECT pg_try_advisory_lock($1)", &[&SWEEP_LOCK])
                .await
                .map(|row| row.get::<_, bool>(0))
        });
        match got.and_then(|r| r.map_err(|e| PgFault::of(&e))) {
            Ok(true) => Ok(Some(SweepLock {
                pg: self.clone(),
                conn: Some(conn),
            })),
            Ok(false) => Ok(None),
            Err(fault) => Err(fault.into_store(&self.at)),
        }
    }
}

/// What one run of a transaction's step came to.
pub(crate) enum Attempt<T> {
    Done(T),
    /// The step ended itself; nothing is written.
    Abort(Abandoned),
    /// Run it again (sled's conflict, on this store too).
    Conflict,
    Fault(PgFault),
}

/// A step's own abort; its error is kept by the caller.
pub(crate) struct Abandoned;

async fn apply_migrations(
    client: &Client,
) -> Result<Result<Vec<String>, i32>, tokio_postgres::Error> {
    client
        .batch_execute(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({MIGRATE_LOCK}); \
             CREATE TABLE IF NOT EXISTS rekey_schema (\
                 version integer PRIMARY KEY, \
                 description text NOT NULL, \
                 applied_at timestamptz NOT NULL DEFAULT now())"
        ))
        .await?;
    let row = client
        .query_one("SELECT coalesce(max(version), 0) FROM rekey_schema", &[])
        .await?;
    let found: i32 = row.get(0);
    if found > SCHEMA {
        client.batch_execute("ROLLBACK").await?;
        return Ok(Err(found));
    }
    let mut done = Vec::new();
    for (version, description, sql) in MIGRATIONS.iter().filter(|m| m.0 > found) {
        client.batch_execute(sql).await?;
        client
            .execute(
                "INSERT INTO rekey_schema (version, description) VALUES ($1, $2)",
                &[version, description],
            )
            .await?;
        done.push(format!("{version}: {description}"));
    }
    client.batch_execute("COMMIT").await?;
    Ok(Ok(done))
}

/// A small jitter below `limit`, from the clock's nanoseconds.
fn jitter(limit: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()));
    nanos % limit.max(1)
}

/// "host:port/database" of `config`, for messages (no password).
fn where_of(config: &tokio_postgres::Config) -> String {
    use tokio_postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        Some(Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{host}:{port}/{}",
        config
            .get_dbname()
            .unwrap_or(config.get_user().unwrap_or(""))
    )
}

/// A thread with a small runtime for the connections; it ends when the
/// sender returned is dropped.
fn start_runtime() -> Result<(tokio::runtime::Handle, tokio::sync::oneshot::Sender<()>), StoreError>
{
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (handle_tx, handle_rx) = std::sync::mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("rekey-postgres".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            match runtime {
                Ok(runtime) => {
                    let _ = handle_tx.send(Ok(runtime.handle().clone()));
                    runtime.block_on(async {
                        let _ = stopped.await;
                    });
                }
                Err(e) => {
                    let _ = handle_tx.send(Err(e.to_string()));
                }
            }
        })
        .map_err(|e| StoreError::Postgres(format!("cannot start the store's thread: {e}")))?;
    match handle_rx.recv() {
        Ok(Ok(handle)) => Ok((handle, stop)),
        Ok(Err(e)) => Err(StoreError::Postgres(format!(
            "cannot start the store's runtime: {e}"
        ))),
        Err(_) => Err(StoreError::Postgres(
            "the store's thread ended at start".into(),
        )),
    }
}

/// One transaction, as the trees inside it see it. A statement's fault is
/// kept: the transaction is then void, whatever the step does with the
/// error.
pub(crate) struct PgTx<'a> {
    pg: &'a Postgres,
    conn: std::cell::RefCell<Conn>,
    fault: std::cell::RefCell<Option<PgFault>>,
}

impl PgTx<'_> {
    fn query(
        &self,
        op: Op,
        tree: usize,
        params: Vec<Vec<u8>>,
    ) -> Result<Vec<tokio_postgres::Row>, TxFault> {
        if let Some(fault) = self.fault.borrow().clone() {
            return Err(TxFault::Pg(fault));
        }
        let mut conn = self.conn.borrow_mut();
        self.pg.query(&mut conn, op, tree, params).map_err(|fault| {
            *self.fault.borrow_mut() = Some(fault.clone());
            TxFault::Pg(fault)
        })
    }

    pub(crate) fn get(&self, tree: usize, key: &[u8]) -> Result<Option<Vec<u8>>, TxFault> {
        let rows = self.query(Op::Get, tree, vec![key.to_vec()])?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    pub(crate) fn put(&self, tree: usize, key: &[u8], value: &[u8]) -> Result<(), TxFault> {
        self.query(Op::Put, tree, vec![key.to_vec(), value.to_vec()])?;
        Ok(())
    }

    pub(crate) fn remove(&self, tree: usize, key: &[u8]) -> Result<Option<Vec<u8>>, TxFault> {
        let rows = self.query(Op::Remove, tree, vec![key.to_vec()])?;
        Ok(rows.first().map(|r| r.get(0)))
    }

    /// The record under `key`, locked for this transaction, or `Locked`
    /// when another daemon's transaction holds it now (`FOR UPDATE SKIP
    /// LOCKED`): that daemon is taking it.
    pub(crate) fn claim(&self, tree: usize, key: &[u8]) -> Result<Claim, TxFault> {
        if let Some(fault) = self.fault.borrow().clone() {
            return Err(TxFault::Pg(fault));
        }
        let sql = format!(
            "SELECT value FROM rekey_{} WHERE key = $1 FOR UPDATE SKIP LOCKED",
            TREES[tree]
        );
        let key = key.to_vec();
        let exists_sql = format!("SELECT 1 FROM rekey_{} WHERE key = $1", TREES[tree]);
        let client = self.conn.borrow().client.clone();
        let result = self
            .pg
            .run_on(&mut self.conn.borrow_mut(), async move {
                match client.query_opt(&sql, &[&key]).await? {
                    Some(row) => Ok(Claim::Got(row.get(0))),
                    None => Ok(match client.query_opt(&exists_sql, &[&key]).await? {
                        Some(_) => Claim::Locked,
                        None => Claim::Missing,
                    }),
                }
            })
            .and_then(|r: Result<Claim, tokio_postgres::Error>| r.map_err(|e| PgFault::of(&e)));
        result.map_err(|fault| {
            *self.fault.borrow_mut() = Some(fault.clone());
            TxFault::Pg(fault)
        })
    }

    /// The next number of the outbox's sequence.
    pub(crate) fn next_id(&self) -> Result<u64, TxFault> {
        if let Some(fault) = self.fault.borrow().clone() {
            return Err(TxFault::Pg(fault));
        }
        let client = self.conn.borrow().client.clone();
        let result = self
            .pg
            .run_on(&mut self.conn.borrow_mut(), async move {
                client
                    .query_one("SELECT nextval('rekey_outbox_ids')", &[])
                    .await
                    .map(|row| row.get::<_, i64>(0))
            })
            .and_then(|r| r.map_err(|e| PgFault::of(&e)));
        match result {
            Ok(id) => Ok(u64::try_from(id).unwrap_or(0)),
            Err(fault) => {
                *self.fault.borrow_mut() = Some(fault.clone());
                Err(TxFault::Pg(fault))
            }
        }
    }
}

/// What [`PgTx::claim`] found.
pub(crate) enum Claim {
    Got(Vec<u8>),
    Locked,
    Missing,
}

/// The sweep lock; released (and its connection returned) when dropped.
pub struct SweepLock {
    pg: Arc<Postgres>,
    conn: Option<Conn>,
}

impl Drop for SweepLock {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let client = conn.client.clone();
            let unlocked = self.pg.run(async move {
                client
                    .execute("SELECT pg_advisory_unlock($1)", &[&SWEEP_LOCK])
                    .await
            });
            // Failed or not, the connection closes here, and the lock
            // ends with its session anyway.
            if !matches!(unlocked, Ok(Ok(_))) {
                tracing::debug!("the sweep lock ends with its connection");
            }
            drop(conn);
        }
    }
}

/// A walk over a tree, a page of rows at a time.
pub(crate) struct Pages {
    pg: Arc<Postgres>,
    tree: usize,
    prefix: Vec<u8>,
    after: Option<Vec<u8>>,
    page: VecDeque<(Vec<u8>, Vec<u8>)>,
    done: bool,
}

impl Iterator for Pages {
    type Item = Result<(Vec<u8>, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty() && !self.done {
            let rows = match &self.after {
                None => self
                    .pg
                    .once(Op::First, self.tree, vec![self.prefix.clone()]),
                Some(after) => self.pg.once(Op::After, self.tree, vec![after.clone()]),
            };
            let rows = match rows {
                Ok(rows) => rows,
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            };
            if (rows.len() as i64) < PAGE {
                self.done = true;
            }
            for row in rows {
                let key: Vec<u8> = row.get(0);
                if !key.starts_with(&self.prefix) {
                    self.done = true;
                    break;
                }
                self.page.push_back((key, row.get(1)));
            }
            self.after = self.page.back().map(|(k, _)| k.clone());
        }
        self.page.pop_front().map(Ok)
    }
}
