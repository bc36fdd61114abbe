//! `rekey serve`: one process owns the store, the mail worker and every
//! rule, and serves wizards over a Unix socket. A wizard is untrusted: it
//! can only ask for the steps the [`RecoveryService`] offers, on sessions
//! its own connection opened, as fast as the rate limits allow.
//!
//! A store that can no longer save (a full disk, a failed write) stays
//! that way in sled until it is opened again: the daemon then answers
//! that nothing can be saved, logs why, lets the requests under way
//! finish and exits with [`EXIT_STORE_FAULT`], for its supervisor to start
//! it again; a daemon started on a full disk waits for space.
//!
//! [`RecoveryService`]: crate::service::RecoveryService

mod connection;
pub mod listener;
mod origin;
mod peer;
mod rate;
mod tls;

use crate::config::{Config, StoreSettings};
use crate::directory::Directory;
use crate::mail::OutboxWorker;
use crate::recovery::{Clock, SystemClock};
use crate::service::LocalService;
use crate::store::{Store, StoreError};
use rate::RateLimits;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;
use tokio::net::{TcpListener, UnixListener, UnixStream};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;

/// How long in-flight requests get to finish after SIGTERM.
const DRAIN: Duration = Duration::from_secs(30);
/// Connections beyond `max_connections` being told that rekey is busy.
const REFUSALS_AT_ONCE: usize = 64;
/// How often a daemon started on a full disk tries to open the store.
const SPACE_POLL: Duration = Duration::from_secs(2);

/// The exit status when the store stopped saving (sysexits' EX_TEMPFAIL):
/// systemd's `Restart=on-failure` starts the daemon again.
pub const EXIT_STORE_FAULT: u8 = 75;

pub struct ServeOptions {
    /// The Unix socket for wizards on this machine.
    pub socket: Option<PathBuf>,
    /// HOST:PORT for kiosks and support boxes on other machines (TLS with
    /// client certificates, `[tls]`).
    pub listen: Option<String>,
    pub data_dir: PathBuf,
    /// Read again on SIGHUP.
    pub config_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DaemonError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The store stopped saving while serving: start again.
    #[error("stopped: {0}")]
    StoreFault(StoreError),
    #[error("{0}")]
    Setup(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// What every connection works with.
struct Shared {
    service: Arc<LocalService>,
    store: Store,
    directory: Arc<dyn Directory>,
    clock: Arc<dyn Clock>,
    rates: RateLimits,
    connections: Arc<origin::ConnectionCounts>,
    /// When each peer's last refused operator command was audited.
    refusals_audited: std::sync::Mutex<std::collections::HashMap<origin::Principal, u64>>,
    open_sessions: AtomicUsize,
    mail_waker: Arc<Notify>,
    daemon_uid: u32,
}

struct Signals {
    terminate: Signal,
    interrupt: Signal,
    hangup: Signal,
}

/// Runs the daemon until SIGTERM or SIGINT, or until the store stops
/// saving ([`DaemonError::StoreFault`]).
pub fn serve(config: Config, options: ServeOptions) -> Result<(), DaemonError> {
    let store = open_when_space(&config.store, &options.data_dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(config, store, options))
}

/// Opens the store, waiting as long as its disk is full or its database
/// cannot be reached: a daemon that stopped for that is started again
/// before anyone frees space or the database is back.
fn open_when_space(settings: &StoreSettings, data_dir: &Path) -> Result<Store, StoreError> {
    let mut waiting = false;
    loop {
        match Store::open_configured(settings, data_dir) {
            Err(e) if matches!(e, StoreError::NoSpace(_)) || e.is_unavailable() => {
                if !waiting {
                    let wait = if e.is_unavailable() {
                        "waiting for the database"
                    } else {
                        "waiting for space"
                    };
                    tracing::error!(
                        "cannot open the store: {e}; {wait}, trying again every {} s",
                        SPACE_POLL.as_secs()
                    );
                    waiting = true;
                }
            }
            // sled may hold its lock a moment after our own failed try.
            Err(StoreError::Locked(_)) if waiting => {}
            Ok(store) => {
                if waiting {
                    tracing::info!("the store is open");
                }
                return Ok(store);
            }
            Err(e) => return Err(e),
        }
        std::thread::sleep(SPACE_POLL);
    }
}

async fn run(config: Config, store: Store, options: ServeOptions) -> Result<(), DaemonError> {
    // First of all: a reload or a stop during start-up must not end the
    // process the default way, with the store unflushed.
    let signals = Signals {
        terminate: signal(SignalKind::terminate())?,
        interrupt: signal(SignalKind::interrupt())?,
        hangup: signal(SignalKind::hangup())?,
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let transport =
        crate::mail::transport_for(&config.mail, &options.data_dir).map_err(DaemonError::Setup)?;
    match tokio::time::timeout(Duration::from_secs(3), transport.check()).await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => tracing::warn!("mail cannot go out now ({e}); it is queued and retried"),
        Err(_) => {
            tracing::warn!("the mail server did not answer within 3 s; mail is queued and retried")
        }
    }
    let dkim = crate::mail::dkim_for(&config.mail).map_err(DaemonError::Setup)?;
    let worker = OutboxWorker::new(store.clone(), transport, clock.clone(), config.mail.clone())
        .with_dkim(dkim);
    let mail_waker = worker.waker();
    let directory =
        crate::directory::build(&config.directory, &store, clock.clone(), config.hash_cost())
            .map_err(DaemonError::Setup)?;
    let listener = match &options.socket {
        Some(socket) => {
            let bound = listener::bind(socket, &config.daemon).map_err(DaemonError::Setup)?;
            listener::write_note(&options.data_dir, socket)?;
            Some(bound)
        }
        None => None,
    };
    let remote = match &options.listen {
        Some(address) => {
            let acceptor = tls::acceptor(&config.tls).map_err(DaemonError::Setup)?;
            let tcp = TcpListener::bind(address)
                .await
                .map_err(|e| DaemonError::Setup(format!("cannot listen on {address}: {e}")))?;
            Some((tcp, acceptor))
        }
        None => None,
    };
    let shared = Arc::new(Shared {
        service: Arc::new(
            LocalService::new(
                store.clone(),
                directory.clone(),
                clock.clone(),
                config.clone(),
            )
            .with_mail_waker(mail_waker.clone()),
        ),
        store: store.clone(),
        directory,
        clock,
        rates: RateLimits::new(config.daemon.requests_per_sec),
        connections: Arc::default(),
        refusals_audited: Default::default(),
        open_sessions: AtomicUsize::new(0),
        mail_waker,
        daemon_uid: nix::unistd::geteuid().as_raw(),
    });
    let (stop_mail, mail_stopped) = watch::channel(false);
    let resolver = tokio::spawn(
        shared
            .service
            .clone()
            .resolve_changes_until(mail_stopped.clone()),
    );
    let mail_task = tokio::spawn(worker.run(mail_stopped));
    tracing::info!(
        socket = %options.socket.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default(),
        listen = %options.listen.as_deref().unwrap_or_default(),
        store = %store.path().display(),
        "listening"
    );

    let served = accept_until_stopped(
        Listeners {
            local: listener,
            remote,
        },
        &shared,
        &config,
        options.config_file.as_deref(),
        signals,
    )
    .await;

    // Nobody new can connect; the note no longer points anywhere.
    if let Some(socket) = &options.socket {
        let _ = std::fs::remove_file(socket);
        listener::remove_note(&options.data_dir);
    }
    let _ = stop_mail.send(true);
    let _ = mail_task.await;
    let _ = resolver.await;
    if let Some(fault) = store.fault() {
        // What was acknowledged was flushed when it was; nothing more can be.
        return Err(DaemonError::StoreFault(fault));
    }
    store.flush()?;
    tracing::info!("stopped; the store is flushed");
    served
}

/// Accepts wizards, at most `max_connections` at once, until a stop
/// signal; then lets every connection finish the request it is on.
async fn accept_until_stopped(
    listeners: Listeners,
    shared: &Arc<Shared>,
    config: &Config,
    config_file: Option<&Path>,
    mut signals: Signals,
) -> Result<(), DaemonError> {
    let slots = Arc::new(Semaphore::new(config.daemon.max_connections));
    let refusals = Arc::new(Semaphore::new(REFUSALS_AT_ONCE));
    let handshakes = Arc::new(Semaphore::new(tls::HANDSHAKES));
    let handshaking = Arc::new(tls::Handshaking::default());
    let (stop, stopping) = watch::channel(false);
    let mut faults = shared.store.faults();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            Ok(fault) = faults.wait_for(Option::is_some) => {
                if let Some(fault) = fault.as_ref() {
                    tracing::error!(
                        "the store cannot save: {fault}. Every request is refused until rekey serve \
                         starts again, so it stops now (exit status {EXIT_STORE_FAULT}; \
                         systemd starts it again); what it acknowledged is on disk"
                    );
                }
                break;
            }
            (tcp, address) = accept_remote(listeners.remote.as_ref()) => {
                // Beyond the handshakes allowed at once (in all, or from
                // this address), closed unanswered.
                let turns = handshakes
                    .clone()
                    .try_acquire_owned()
                    .ok()
                    .zip(handshaking.take(address.ip()));
                if let (Some(turns), Some((_, acceptor))) = (turns, &listeners.remote) {
                    let (shared, stopping, acceptor, slots, refusals) = (
                        shared.clone(),
                        stopping.clone(),
                        acceptor.clone(),
                        slots.clone(),
                        refusals.clone(),
                    );
                    connections.spawn(async move {
                        let shaken = tls::handshake(&acceptor, tcp, address).await;
                        drop(turns);
                        match shaken {
                            Ok((stream, peer)) => match slots.try_acquire_owned() {
                                Ok(slot) => {
                                    connection::serve_peer(
                                        Box::new(stream),
                                        peer,
                                        shared,
                                        stopping,
                                    )
                                    .await;
                                    drop(slot);
                                }
                                // Told, as many at once as on the socket.
                                Err(_) => {
                                    if let Ok(turn) = refusals.try_acquire_owned() {
                                        connection::refuse_busy(stream).await;
                                        drop(turn);
                                    }
                                }
                            },
                            Err(e) => {
                                tracing::warn!(peer = %address, "a TLS connection was refused: {e}");
                            }
                        }
                    });
                }
            }
            (stream, slot) = accept(listeners.local.as_ref(), &slots) => match slot {
                Some(slot) => {
                    let shared = shared.clone();
                    let stopping = stopping.clone();
                    connections.spawn(async move {
                        connection::serve(stream, shared, stopping).await;
                        drop(slot);
                    });
                }
                // Told at once, rather than left waiting unanswered; a
                // flood beyond what can be told is simply closed.
                None => {
                    if let Ok(turn) = refusals.clone().try_acquire_owned() {
                        tokio::spawn(async move {
                            connection::refuse_busy(stream).await;
                            drop(turn);
                        });
                    }
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = signals.hangup.recv() => reload(shared, config_file),
            _ = signals.terminate.recv() => break,
            _ = signals.interrupt.recv() => break,
        }
    }
    drop(listeners);
    let _ = stop.send(true);
    let open = connections.len();
    if open > 0 {
        tracing::info!("stopping; waiting for {open} connections to finish their requests");
    }
    let drained = tokio::time::timeout(DRAIN, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            "{} connections did not finish within {} s",
            connections.len(),
            DRAIN.as_secs()
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// Where wizards reach the daemon: its socket, its TLS port, or both.
struct Listeners {
    local: Option<UnixListener>,
    remote: Option<(TcpListener, tokio_rustls::TlsAcceptor)>,
}

/// The next TCP connection and its address; never, without a TLS port.
async fn accept_remote(
    remote: Option<&(TcpListener, tokio_rustls::TlsAcceptor)>,
) -> (tokio::net::TcpStream, std::net::SocketAddr) {
    let Some((listener, _)) = remote else {
        return std::future::pending().await;
    };
    loop {
        match listener.accept().await {
            Ok((stream, address)) => return (stream, address),
            Err(e) => {
                tracing::error!("cannot accept a TLS connection: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// The next connection, and its slot when one is free; never, without a
/// socket.
async fn accept(
    listener: Option<&UnixListener>,
    slots: &Arc<Semaphore>,
) -> (UnixStream, Option<OwnedSemaphorePermit>) {
    let Some(listener) = listener else {
        return std::future::pending().await;
    };
    loop {
        match listener.accept().await {
            Ok((stream, _)) => return (stream, slots.clone().try_acquire_owned().ok()),
            Err(e) => {
                // Out of file descriptors, most likely: wait, do not spin.
                tracing::error!("cannot accept a connection: {e}");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    }
}

/// SIGHUP: the rules, limits and policy from the config file apply to
/// every later request. Mail settings, hashing.max_concurrent and the
/// socket's mode and group need a restart.
fn reload(shared: &Shared, config_file: Option<&Path>) {
    let Some(path) = config_file else {
        tracing::warn!("SIGHUP: no --config file to read again");
        return;
    };
    match Config::for_run(Some(path)) {
        Ok(config) => {
            let old = shared.service.config();
            let later = config.mail != old.mail
                || config.hashing.max_concurrent != old.hashing.max_concurrent
                || config.daemon.socket_mode != old.daemon.socket_mode
                || config.daemon.socket_group != old.daemon.socket_group
                || config.daemon.max_connections != old.daemon.max_connections
                || config.directory != old.directory;
            shared.service.reload(config);
            tracing::info!("read {} again", path.display());
            if later {
                tracing::warn!(
                    "mail settings, the directory, hashing.max_concurrent, daemon.max_connections \
                     and the socket's mode and group change at the next start"
                );
            }
        }
        Err(e) => tracing::error!("SIGHUP: kept the settings in use; {e}"),
    }
}
