//! Starting the wizard: on the store under the data directory (embedded),
//! on a throwaway store with a demo account (`rekey demo`), or on a daemon
//! over its socket (`--connect`). The first two run the outbox worker
//! beside the wizard; with a daemon, the daemon sends the mail.

use super::WizardOptions;
use super::app::DemoAccount;
use crate::client::describe_this_client;
use crate::config::Config;
use crate::directory::{DirectoryKind, OwnAccounts, SledDirectory};
use crate::mail::OutboxWorker;
use crate::recovery::hashing::hash_secret;
use crate::recovery::{Clock, EmailAddress, SystemClock};
use crate::service::daemon::listener::daemon_socket;
use crate::service::{LocalService, SocketService};
use crate::store::{Store, StoreError};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::watch;

/// The demo's account and its password, shown on the landing screen.
pub const DEMO_ADDRESS: &str = "alex@example.com";
pub const DEMO_NAME: &str = "Alex Example";
pub const DEMO_PASSWORD: &str = "lantern quietly orbits seventeen moths";

/// The wizard's command-line switches.
#[derive(Debug, Clone, Default)]
pub struct WizardFlags {
    pub kiosk: bool,
    pub ascii: bool,
    pub language: Option<String>,
    /// The plain line mode (`--plain`, `ACCESSIBLE`, `TERM=dumb`): lines
    /// on stdout, answers from stdin, a terminal or a pipe.
    pub plain: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Setup(String),
    #[error("the terminal failed: {0}")]
    Terminal(#[from] std::io::Error),
    #[error("the wizard needs a terminal on its input and output; over SSH, connect with `ssh -t`")]
    NoTerminal,
}

/// The wizard draws full-screen and reads keys: without a terminal it
/// cannot, and says so before anything else happens. Plain mode reads
/// lines, from a pipe as well.
fn need_terminal(flags: &WizardFlags) -> Result<(), LaunchError> {
    use std::io::IsTerminal;
    if flags.plain || (std::io::stdin().is_terminal() && std::io::stdout().is_terminal()) {
        Ok(())
    } else {
        Err(LaunchError::NoTerminal)
    }
}

/// Runs the wizard on the store under `data_dir`.
pub fn embedded(config: Config, data_dir: &Path, flags: WizardFlags) -> Result<(), LaunchError> {
    // Without a terminal nothing is opened, so a refused run leaves no
    // store behind; with one, the store decides. Either way the daemon's
    // note is read only to say where to go instead.
    let held_by_daemon = || {
        daemon_socket(data_dir).map(|socket| {
            LaunchError::Setup(format!(
                "a rekey daemon holds this store; run `rekey --connect {}` instead",
                socket.display()
            ))
        })
    };
    if let Err(no_terminal) = need_terminal(&flags) {
        return Err(held_by_daemon().unwrap_or(no_terminal));
    }
    let store = match Store::open_configured(&config.store, data_dir) {
        Err(StoreError::Locked(path)) => {
            return Err(held_by_daemon().unwrap_or(StoreError::Locked(path).into()));
        }
        opened => opened?,
    };
    log_to_file(&data_dir.join("rekey.log"));
    run(config, store, data_dir, flags, None)
}

/// The operator's log of an embedded wizard (a directory that found two
/// entries, a hook's stderr): its stderr is the person's screen.
fn log_to_file(path: &Path) {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path);
    if let Ok(file) = file {
        let _ = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_target(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init();
    }
}

/// The daemons `--connect` names: one, or several separated by commas,
/// each a socket's path or `tls://HOST:PORT` (which needs `tls`: the
/// wizard's certificate, from --cert, --key and --ca).
pub fn dial(
    given: &Path,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<crate::service::Dial, String> {
    use crate::service::Address;
    let addresses = given
        .to_string_lossy()
        .split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(Address::parse)
        .collect::<Result<Vec<_>, _>>()?;
    if addresses.is_empty() {
        return Err("--connect names no daemon".into());
    }
    if tls.is_none() && addresses.iter().any(|a| matches!(a, Address::Tls { .. })) {
        return Err("--connect tls://… needs --cert, --key and --ca".into());
    }
    Ok(crate::service::Dial { addresses, tls })
}

/// Runs the wizard on the daemon listening at `socket`, with the daemon's
/// password policy and slide.
pub fn connected(
    mut config: Config,
    dial: &crate::service::Dial,
    flags: WizardFlags,
) -> Result<(), LaunchError> {
    need_terminal(&flags)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let (service, rules) = SocketService::dial(dial)
            .await
            .map_err(|e| LaunchError::Setup(e.to_string()))?;
        config.password = rules.policy;
        config.slide = rules.slide;
        let options = WizardOptions {
            kiosk: flags.kiosk,
            ascii: flags.ascii,
            language: flags.language,
            mailbox: None,
            demo: None,
            client: client_for(&config, flags.kiosk),
        };
        super::run_any(Arc::new(service), &config, options, flags.plain).await?;
        Ok(())
    })
}

/// Runs the wizard on a throwaway store with a demo account; the mail it
/// sends shows in a panel on screen. Everything is removed on exit.
pub fn demo(mut config: Config, flags: WizardFlags) -> Result<(), LaunchError> {
    need_terminal(&flags)?;
    // The demo's mail is for its on-screen mailbox, never for a server.
    config.mail.smtp_url.clear();
    let dir = tempfile::Builder::new()
        .prefix("rekey-demo-")
        .tempdir()
        .map_err(|e| LaunchError::Setup(format!("cannot make a demo directory: {e}")))?;
    let store = Store::open(dir.path())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let address =
        EmailAddress::parse(DEMO_ADDRESS).map_err(|e| LaunchError::Setup(e.to_string()))?;
    let hash = hash_secret(DEMO_PASSWORD.as_bytes(), &config.hash_cost())
        .map_err(|e| LaunchError::Setup(e.to_string()))?;
    // The demo's account is its own, whatever directory the config names.
    config.directory.kind = DirectoryKind::Sled;
    SledDirectory::new(store.clone(), clock)
        .add_account(&address, DEMO_NAME, &hash, "demo")
        .map_err(|e| LaunchError::Setup(e.to_string()))?;
    let demo = DemoAccount {
        address: DEMO_ADDRESS.to_string(),
        password: DEMO_PASSWORD.to_string(),
    };
    let result = run(config, store, dir.path(), flags, Some(demo));
    drop(dir);
    result
}

/// Where the person is: the kiosk's name in kiosk mode when the config
/// gives one, else the SSH client or the terminal.
fn client_for(config: &Config, kiosk: bool) -> String {
    let name = crate::recovery::text::visible(&config.wizard.kiosk_name, 60);
    if kiosk && !name.trim().is_empty() {
        format!("kiosk {}", name.trim())
    } else {
        describe_this_client()
    }
}

/// How long "cannot save" stays on screen before an embedded wizard whose
/// store stopped saving ends.
const FAULT_SHOWN: std::time::Duration = std::time::Duration::from_secs(5);

fn run(
    config: Config,
    store: Store,
    data_dir: &Path,
    flags: WizardFlags,
    demo: Option<DemoAccount>,
) -> Result<(), LaunchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let transport =
            crate::mail::transport_for(&config.mail, data_dir).map_err(LaunchError::Setup)?;
        // Said to the operator before the screen is taken; the wizard still
        // runs, and the mail waits in the outbox until the server answers.
        let checked =
            tokio::time::timeout(std::time::Duration::from_secs(3), transport.check()).await;
        let problem = match checked {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e),
            Err(_) => Some("the mail server did not answer within 3 s".to_string()),
        };
        if let Some(e) = problem {
            eprintln!(
                "rekey: warning: mail cannot go out now ({e}); it will be queued and retried"
            );
        }
        let dkim = crate::mail::dkim_for(&config.mail).map_err(LaunchError::Setup)?;
        let worker =
            OutboxWorker::new(store.clone(), transport, clock.clone(), config.mail.clone())
                .with_dkim(dkim);
        let deliveries = worker.deliveries();
        let directory =
            crate::directory::build(&config.directory, &store, clock.clone(), config.hash_cost())
                .map_err(LaunchError::Setup)?;
        let service = Arc::new(
            LocalService::new(store.clone(), directory, clock, config.clone())
                .with_mail_waker(worker.waker()),
        );
        let (stop_tx, stop_rx) = watch::channel(false);
        // Changes an earlier run left without an outcome.
        let resolver = tokio::spawn(service.clone().resolve_changes_until(stop_rx.clone()));
        let mail_task = tokio::spawn(worker.run(stop_rx));
        let options = WizardOptions {
            kiosk: flags.kiosk,
            ascii: flags.ascii,
            language: flags.language,
            mailbox: demo
                .as_ref()
                .map(|_| (crate::mail::mail_dir(data_dir), deliveries)),
            demo,
            client: client_for(&config, flags.kiosk),
        };
        // sled refuses every write once one failed (a full disk) until the
        // store is opened again: the person reads "cannot save" for a
        // moment, then the wizard ends, saying why; a kiosk's loop starts
        // it again, and it runs once space is free.
        let mut faults = store.faults();
        let stop_on_fault = tokio::spawn(async move {
            while faults.borrow_and_update().is_none() {
                if faults.changed().await.is_err() {
                    return;
                }
            }
            tokio::time::sleep(FAULT_SHOWN).await;
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGTERM);
        });
        // The meter shows the rules this service enforces.
        let mut shown = config.clone();
        shown.password = service.password_policy();
        let result = super::run_any(service, &shown, options, flags.plain).await;
        stop_on_fault.abort();
        let _ = stop_tx.send(true);
        let _ = mail_task.await;
        let _ = resolver.await;
        if let Some(fault) = store.fault() {
            return Err(LaunchError::Store(fault));
        }
        store.flush()?;
        result?;
        Ok(())
    })
}
