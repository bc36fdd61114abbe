//! The `rekey` command line: parses, opens the store, runs the operator's
//! command, and turns every error into one line and an exit code.

use clap::{Args, Parser, Subcommand};
use rekey::client::describe_this_client;
use rekey::config::Config;
use rekey::mail::OutboxWorker;
use rekey::operator::{Operator, OperatorCommand, OperatorFailure};
use rekey::recovery::{Clock, EmailAddress, SystemClock};
use rekey::service::daemon::{self, DaemonError, ServeOptions, listener};
use rekey::service::{Dial, SocketService};
use rekey::store::{Store, StoreError};
use rekey::tui::launch::{self, WizardFlags};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use zeroize::Zeroizing;

/// Every freed heap buffer is wiped before it is reused: passwords and
/// codes pass through buffers rekey does not own (serde's, zxcvbn's,
/// argon2's), and a freed one would otherwise keep its bytes.
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);

/// A password read from stdin longer than this is refused, not cut.
const MAX_PASSWORD_INPUT: usize = 4096;

#[derive(Parser)]
#[command(
    name = "rekey",
    version,
    about = "Self-service password recovery for terminals",
    long_about = "Self-service password recovery for terminals.\n\n\
        With no command, rekey runs the recovery wizard on this terminal, on the store \
        under the data directory: a sign-in form that checks a password where the \
        account lives (and opens nothing else), and \"Forgot your password?\" for a new \
        one. Mail goes to .eml files under <data-dir>/mail. \
        `rekey demo` tries the whole flow on a throwaway store.\n\n\
        Only one process can hold the store. On a machine where many people recover \
        at once, `rekey serve --socket PATH` holds it and each person's wizard runs as \
        `rekey --connect PATH`. The operator commands (user, audit, tickets, outbox) \
        open the store themselves, or go through the daemon when it holds the store.",
    after_help = "Exit status: 0 done; 1 a check said no (wrong password, broken audit \
        trail); 2 an error (bad input, unreadable config, store in use)."
)]
struct Cli {
    /// Where rekey keeps its store [default: $XDG_DATA_HOME/rekey, or ~/.local/share/rekey]
    #[arg(long, env = "REKEY_DATA_DIR", global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// A TOML file with the policy numbers (see assets/rekey.example.toml)
    #[arg(long, env = "REKEY_CONFIG", global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Kiosk mode: Ctrl-C does not quit, an idle wizard returns to the start
    #[arg(long)]
    kiosk: bool,

    /// The wizard's language [default: from the locale, else the config's
    /// wizard.language]
    #[arg(long, value_name = "CODE", value_parser = clap::builder::PossibleValuesParser::new(rekey::i18n::CODES))]
    lang: Option<String>,

    /// Draw with ASCII only (automatic when the locale is not UTF-8)
    #[arg(long)]
    ascii: bool,

    /// Plain line mode for screen readers and braille displays: the same
    /// steps as lines, answers typed line by line (from a terminal or a
    /// pipe), no slider. On by itself when ACCESSIBLE is set or TERM is
    /// dumb
    #[arg(long)]
    plain: bool,

    /// Talk to the rekey daemon listening on SOCKET instead of opening the
    /// store: the wizard, and the operator commands (for root and the
    /// daemon's admin group). Several daemons of a fleet, comma-separated
    /// (`a.sock,b.sock`): the first that answers, and the next when it goes
    /// away, which takes over the wizard's session
    #[arg(long, env = "REKEY_SOCKET", global = true, value_name = "SOCKET")]
    connect: Option<PathBuf>,

    /// For `--connect tls://HOST:PORT`: this kiosk's (or operator's)
    /// certificate, PEM; its name is what the daemon's audit trail shows
    #[arg(long, env = "REKEY_TLS_CERT", global = true, value_name = "FILE")]
    cert: Option<PathBuf>,

    /// The private key of --cert, PEM
    #[arg(long, env = "REKEY_TLS_KEY", global = true, value_name = "FILE")]
    key: Option<PathBuf>,

    /// The CA of the daemons' certificates, PEM
    #[arg(long, env = "REKEY_TLS_CA", global = true, value_name = "FILE")]
    ca: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Try the wizard on a throwaway store with a demo account; its mail
    /// shows on screen
    Demo,
    /// Run the daemon: own the store and the mail, and serve wizards
    /// (`rekey --connect SOCKET`) over a Unix socket, and kiosks on other
    /// machines over TLS (`--listen`). SIGTERM stops it after the requests
    /// in progress; SIGHUP reads --config again.
    Serve {
        /// Where to make the socket, e.g. /run/rekey/rekey.sock
        #[arg(long, value_name = "PATH", required_unless_present = "listen")]
        socket: Option<PathBuf>,
        /// Also (or only) listen on HOST:PORT with TLS, for kiosks and
        /// support boxes with a client certificate from tls.client_ca
        /// (`rekey --connect tls://HOST:PORT --cert … --key … --ca …`)
        #[arg(long, value_name = "HOST:PORT")]
        listen: Option<String>,
    },
    /// Check the mail set-up
    #[command(subcommand)]
    Mail(MailCommand),
    /// Check the directory where the accounts live ([directory] in --config)
    #[command(subcommand)]
    Directory(DirectoryCommand),
    /// The store itself ([store] in --config)
    #[command(subcommand)]
    Store(StoreAdminCommand),
    #[command(flatten)]
    OnStore(StoreCommand),
}

#[derive(Subcommand)]
enum StoreAdminCommand {
    /// Apply the schema of the configured store. On PostgreSQL, run it once
    /// before the first daemon starts and after each upgrade of rekey,
    /// with a role that may create tables (a daemon refuses a schema other
    /// than its own); a sled store is stamped when it is opened
    Migrate,
}

/// The commands that work on the store.
#[derive(Subcommand)]
enum StoreCommand {
    /// Add, check, list and remove rekey's own accounts; `verify` checks a
    /// password in any directory
    #[command(subcommand)]
    User(UserCommand),
    /// Show the audit trail, or check that it was not changed
    Audit(AuditArgs),
    /// Support tickets opened by people who lost their mailbox
    Tickets {
        #[command(subcommand)]
        action: Option<TicketCommand>,
    },
    /// Mail still to send or given up (sent mail is in the audit trail), and sending it again
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxCommand>,
    },
    /// `rekey directory test` when the accounts are rekey's own.
    #[command(skip)]
    DirectoryTest { address: Option<String> },
    /// `rekey mail test` sent by the daemon.
    #[command(skip)]
    MailTest { address: String },
}

#[derive(Subcommand)]
enum DirectoryCommand {
    /// Connect, bind as the service account, check TLS and the password
    /// operation, and find ADDRESS; says exactly what failed. Exit 0 when
    /// every check passed, 1 when one failed.
    Test {
        /// An address to look up, e.g. one of your own accounts
        address: Option<String>,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Send a test message and show what the server answered: with
    /// --config, through that file's settings; else, while a daemon runs,
    /// the daemon sends it with its own
    Test { address: String },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Every message: state, tries, next try, last error (the default)
    List,
    /// Queue given-up mail again (or one message by its id) and try to
    /// deliver what is due now
    Retry { id: Option<u64> },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account. The password is read from stdin, or asked for
    /// twice without echo on a terminal; it must meet the password policy.
    Add {
        email: String,
        /// The person's name (also kept out of their passwords)
        #[arg(long, default_value = "")]
        name: String,
    },
    /// Check a password (read like `add`): exit 0 when it is right, 1 when not
    Verify { email: String },
    /// List the accounts
    List,
    /// Remove an account
    Remove { email: String },
}

#[derive(Args)]
struct AuditArgs {
    /// One JSON object per line instead of text
    #[arg(long)]
    json: bool,
    #[command(subcommand)]
    action: Option<AuditCommand>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain: exit 0 when intact, 1 when an event was
    /// changed or removed
    Verify,
}

#[derive(Subcommand)]
enum TicketCommand {
    /// List tickets, oldest first (the default)
    List,
    /// Mark a ticket as resolved
    Resolve {
        /// The reference the person was shown, e.g. RK-7F3K-9Q2M
        id: String,
    },
}

/// What ends the program: a message for the operator and an exit code.
#[derive(Debug)]
enum Failure {
    /// A check said no (exit 1).
    No(String),
    /// An error (exit 2).
    Error(String),
    /// The disk under the store is full, or the store stopped saving
    /// (exit 75, EX_TEMPFAIL): it works again once space is freed.
    Temporary(String),
}

impl Failure {
    fn of_store(e: StoreError) -> Self {
        if e.is_sticky() || e.is_unavailable() {
            Failure::Temporary(e.to_string())
        } else {
            Failure::Error(e.to_string())
        }
    }

    fn from_operator(failure: OperatorFailure) -> Self {
        match failure {
            OperatorFailure::No(message) => Self::No(message),
            OperatorFailure::Error(message) => Self::Error(message),
            OperatorFailure::Temporary(message) => Self::Temporary(message),
        }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(e.to_string())
    }
}

/// glibc's allocator, bounded for a process that runs for months: two
/// arenas instead of up to eight per core (tokio's passing blocking
/// threads each got one, and kept what they had), and buffers of 4 MiB and
/// more (argon2 takes 19 MiB a hash) always mapped and returned when freed
/// instead of left in an arena.
fn bound_the_heap() {
    // SAFETY: mallopt only changes the allocator's settings; this runs
    // first in main, before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
    }
}

fn main() -> ExitCode {
    bound_the_heap();
    // Before anything secret is read: no core, no peeking by the same uid.
    if let Err(e) = rekey::hardening::keep_out_of_dumps() {
        eprintln!("rekey: {e}");
        return ExitCode::from(2);
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::No(message)) => {
            eprintln!("rekey: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Error(message)) => {
            eprintln!("rekey: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Temporary(message)) => {
            eprintln!("rekey: {message}");
            ExitCode::from(daemon::EXIT_STORE_FAULT)
        }
    }
}

fn data_dir(given: Option<PathBuf>) -> Result<PathBuf, Failure> {
    match given {
        Some(dir) => Ok(dir),
        None => dirs::data_dir().map(|d| d.join("rekey")).ok_or_else(|| {
            Failure::Error("no data directory: set --data-dir or REKEY_DATA_DIR".into())
        }),
    }
}

/// Where rekey's log goes: stderr (journald under systemd) for the daemon
/// and the operator's commands. The embedded wizard, whose stderr is the
/// person's screen, logs to a file in its data directory (see
/// `tui::launch`); a wizard on a daemon and the demo log nothing.
fn start_log(cli: &Cli) {
    if cli.command.is_none() || matches!(cli.command, Some(Command::Demo)) {
        return;
    }
    // RUST_LOG filters as usual (`RUST_LOG=debug` logs every request with
    // its peer, session and outcome); the default is info.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .without_time()
        .with_writer(std::io::stderr)
        .try_init();
}

fn run(cli: Cli) -> Result<(), Failure> {
    start_log(&cli);
    let config = Config::for_run(cli.config.as_deref())?;
    let wizard = WizardFlags {
        kiosk: cli.kiosk,
        ascii: cli.ascii,
        language: cli.lang.clone(),
        plain: cli.plain || plain_from_environment(),
    };
    let data_dir = || data_dir(cli.data_dir.clone());
    let tls = match (&cli.cert, &cli.key, &cli.ca) {
        (None, None, None) => None,
        (Some(cert), Some(key), Some(ca)) => Some(Arc::new(
            rekey::service::socket::client_tls(cert, key, ca).map_err(Failure::Error)?,
        )),
        _ => {
            return Err(Failure::Error(
                "--cert, --key and --ca go together (for --connect tls://HOST:PORT)".into(),
            ));
        }
    };
    let dial = match &cli.connect {
        Some(given) => Some(launch::dial(given, tls).map_err(Failure::Error)?),
        None => None,
    };
    if cli.connect.is_some() && matches!(cli.command, Some(Command::Demo | Command::Serve { .. })) {
        return Err(Failure::Error(
            "--connect is for the wizard and the operator commands, not for `demo` or `serve`"
                .into(),
        ));
    }
    match cli.command {
        None => match &dial {
            Some(dial) => Ok(launch::connected(config, dial, wizard)?),
            None => launch::embedded(config, &data_dir()?, wizard).map_err(|e| match e {
                launch::LaunchError::Store(e) => Failure::of_store(e),
                other => other.into(),
            }),
        },
        Some(Command::Demo) => Ok(launch::demo(config, wizard)?),
        Some(Command::Serve { socket, listen }) => {
            let dir = data_dir()?;
            let options = ServeOptions {
                socket,
                listen,
                data_dir: dir.clone(),
                config_file: cli.config.clone(),
            };
            match daemon::serve(config, options) {
                Err(DaemonError::Store(StoreError::Locked(_))) => {
                    Err(Failure::Error(held_by_another(&dir)))
                }
                Err(DaemonError::Store(e)) => Err(Failure::of_store(e)),
                Err(DaemonError::StoreFault(e)) => {
                    Err(Failure::Temporary(format!("serve stopped: {e}")))
                }
                other => Ok(other?),
            }
        }
        // Needs no store. While a daemon holds the store, the daemon sends
        // it, with its own settings: the test goes where its mail goes.
        Some(Command::Mail(MailCommand::Test { address })) => {
            // With --config, the settings given are the ones tested, here.
            let dir = data_dir()?;
            let daemon = match (&dial, &cli.config) {
                (Some(dial), _) => Some(dial.clone()),
                (None, Some(_)) => None,
                (None, None) => listener::daemon_socket(&dir)
                    .or_else(|| {
                        (cli.data_dir.is_none() && Path::new(PACKAGED_SOCKET).exists())
                            .then(|| PathBuf::from(PACKAGED_SOCKET))
                    })
                    .map(|socket| Dial::sockets(&[socket])),
            };
            match daemon {
                Some(dial) => through_daemon(&dial, StoreCommand::MailTest { address }),
                None => mail_test(&config, &dir, &address),
            }
        }
        // An LDAP directory or a hook is tested from the config as it is,
        // daemon or not; rekey's own accounts are in the store.
        Some(Command::Directory(DirectoryCommand::Test { address })) => {
            match rekey::directory::build::external(&config.directory)? {
                Some(directory) => directory_test(directory.as_ref(), address),
                None => on_store_or_daemon(
                    config,
                    dial.as_ref(),
                    data_dir()?,
                    cli.data_dir.is_some(),
                    StoreCommand::DirectoryTest { address },
                ),
            }
        }
        Some(Command::Store(StoreAdminCommand::Migrate)) => store_migrate(&config, &data_dir()?),
        Some(Command::OnStore(command)) => on_store_or_daemon(
            config,
            dial.as_ref(),
            data_dir()?,
            cli.data_dir.is_some(),
            command,
        ),
    }
}

/// Runs a command on the store, or in the daemon that holds it.
fn on_store_or_daemon(
    config: Config,
    connect: Option<&Dial>,
    dir: PathBuf,
    named_dir: bool,
    command: StoreCommand,
) -> Result<(), Failure> {
    if let Some(dial) = connect {
        return through_daemon(dial, command);
    }
    // A fleet's database: any number of processes may open it.
    if config.store.kind == rekey::config::StoreKind::Postgres {
        let store = Store::open_configured(&config.store, &dir).map_err(Failure::of_store)?;
        return on_store(store, config, &dir, command);
    }
    // In the default directory (the operator named none), only `user add`
    // may start a store: a listing there, when the store is the daemon's
    // elsewhere, would make an empty one and answer "no accounts". And not
    // even that while the packaged daemon runs: the account would go where
    // the daemon never looks.
    if !named_dir && Path::new(PACKAGED_SOCKET).exists() && !dir.join("store").exists() {
        return through_daemon(&Dial::sockets(&[PathBuf::from(PACKAGED_SOCKET)]), command);
    }
    // A daemon serves this directory with no sled store in it: a fleet's
    // daemon, whose store is PostgreSQL. Its store is the one meant, not a
    // new empty one here.
    if !dir.join("store").exists()
        && let Some(socket) = listener::daemon_socket(&dir)
    {
        return through_daemon(&Dial::sockets(&[socket]), command);
    }
    let starts_a_store =
        named_dir || matches!(command, StoreCommand::User(UserCommand::Add { .. }));
    match std::fs::metadata(dir.join("store")) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
            return Err(Failure::Error(format!(
                "cannot open the store in {}: permission denied{}",
                dir.display(),
                daemon_hint()
            )));
        }
        Err(_) if !starts_a_store => {
            return Err(Failure::Error(format!(
                "there is no rekey store in {} (nothing was created){}",
                dir.display(),
                daemon_hint()
            )));
        }
        _ => {}
    }
    match Store::open(&dir) {
        Ok(store) => on_store(store, config, &dir, command),
        Err(StoreError::Locked(path)) => match listener::daemon_socket(&dir) {
            Some(socket) => through_daemon(&Dial::sockets(&[socket]), command),
            None => Err(StoreError::Locked(path).into()),
        },
        Err(e) => Err(Failure::of_store(e)),
    }
}

/// `rekey store migrate`.
fn store_migrate(config: &Config, dir: &Path) -> Result<(), Failure> {
    use rekey::store::postgres::{Postgres, SCHEMA};
    match config.store.kind {
        rekey::config::StoreKind::Sled => {
            let store = Store::open(dir).map_err(|e| match e {
                StoreError::Locked(_) => Failure::Error(format!(
                    "{}; a running rekey keeps the store's schema up to date itself",
                    held_by_another(dir)
                )),
                other => Failure::of_store(other),
            })?;
            println!(
                "the sled store in {} is at schema {}; sled stores are brought up to date \
                 when they are opened",
                dir.display(),
                store.schema_version().map_err(Failure::of_store)?
            );
        }
        rekey::config::StoreKind::Postgres => {
            let pg = Postgres::connect(&config.store).map_err(Failure::of_store)?;
            let applied = pg.migrate().map_err(Failure::of_store)?;
            for migration in &applied {
                println!("applied migration {migration}");
            }
            let at = pg.at().to_string();
            // Stamps the store with its secret, once for the whole fleet.
            Store::open_postgres(pg).map_err(Failure::of_store)?;
            if applied.is_empty() {
                println!("the PostgreSQL store at {at} is at schema {SCHEMA}; nothing to apply");
            } else {
                println!("the PostgreSQL store at {at} is at schema {SCHEMA}");
            }
        }
    }
    Ok(())
}

/// Where the packaged daemon listens (assets/deploy/rekey.service).
const PACKAGED_SOCKET: &str = "/run/rekey/rekey.sock";

/// For an operator who reached for a store a daemon holds: how to ask the
/// daemon instead.
fn daemon_hint() -> String {
    if std::path::Path::new(PACKAGED_SOCKET).exists() {
        format!(
            "; a rekey daemon listens on {PACKAGED_SOCKET} and holds its store: add \
             `--connect {PACKAGED_SOCKET}`"
        )
    } else {
        "; if a rekey daemon holds the store, add `--connect SOCKET`; otherwise name the \
         store with --data-dir DIR"
            .to_string()
    }
}

/// `rekey directory test` on an LDAP directory or a hook.
fn directory_test(
    directory: &dyn rekey::directory::Directory,
    address: Option<String>,
) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let address = address.map(|a| EmailAddress::parse(&a).map_err(|e| format!("{a:?}: {e}")));
    let address = address.transpose()?;
    let report = runtime.block_on(rekey::operator::directory_report(
        directory,
        address.as_ref(),
    ));
    match report {
        Ok(report) => {
            print!("{}", report.output);
            Ok(())
        }
        Err(failure) => Err(Failure::from_operator(failure)),
    }
}

/// Why the store cannot be opened: a daemon, or some other rekey.
fn held_by_another(data_dir: &Path) -> String {
    match listener::daemon_socket(data_dir) {
        Some(socket) => format!(
            "a rekey daemon already serves the store in {} on {}",
            data_dir.display(),
            socket.display()
        ),
        None => StoreError::Locked(data_dir.join("store")).to_string(),
    }
}

/// The command with its password read, when it needs one.
fn operator_command(command: StoreCommand) -> Result<OperatorCommand, Failure> {
    use OperatorCommand as O;
    use StoreCommand as C;
    Ok(match command {
        C::User(UserCommand::Add { email, name }) => {
            let password = read_password(&format!("Password for {email}: "), true)?;
            O::UserAdd {
                email,
                name,
                password,
            }
        }
        C::User(UserCommand::Verify { email }) => {
            let password = read_password(&format!("Password for {email}: "), false)?;
            O::UserVerify { email, password }
        }
        C::User(UserCommand::List) => O::UserList,
        C::User(UserCommand::Remove { email }) => O::UserRemove { email },
        C::DirectoryTest { address } => O::DirectoryTest { address },
        C::MailTest { address } => O::MailTest { address },
        C::Audit(AuditArgs {
            action: Some(AuditCommand::Verify),
            ..
        }) => O::AuditVerify,
        C::Audit(AuditArgs { json, action: None }) => O::Audit { json },
        C::Tickets {
            action: None | Some(TicketCommand::List),
        } => O::Tickets,
        C::Tickets {
            action: Some(TicketCommand::Resolve { id }),
        } => O::TicketResolve { id },
        C::Outbox {
            action: None | Some(OutboxCommand::List),
        } => O::Outbox,
        C::Outbox {
            action: Some(OutboxCommand::Retry { id }),
        } => O::OutboxRetry { id },
    })
}

fn on_store(
    store: Store,
    config: Config,
    data_dir: &Path,
    command: StoreCommand,
) -> Result<(), Failure> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    // Only the account commands reach the directory: `rekey audit` works
    // for an operator who cannot read the LDAP service account's password.
    let needs_directory = matches!(
        command,
        StoreCommand::User(_) | StoreCommand::DirectoryTest { .. }
    );
    let settings = if needs_directory {
        config.directory.clone()
    } else {
        rekey::directory::DirectorySettings::default()
    };
    let directory = rekey::directory::build(&settings, &store, clock.clone(), config.hash_cost())?;
    let operator = Operator {
        store: &store,
        directory: directory.as_ref(),
        config: &config,
        clock: clock.as_ref(),
        client: format!("operator, {}", describe_this_client()),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    // Said before the password is asked for, not after.
    if let StoreCommand::User(UserCommand::Add { email, .. }) = &command {
        runtime
            .block_on(operator.user_add_refusal(email))
            .map_err(Failure::from_operator)?;
    }
    let retry = matches!(
        command,
        StoreCommand::Outbox {
            action: Some(OutboxCommand::Retry { .. })
        }
    );
    let report = runtime
        .block_on(operator.run(operator_command(command)?))
        .map_err(Failure::from_operator)?;
    if !retry {
        print!("{}", report.output);
        return Ok(());
    }
    let transport = rekey::mail::transport_for(&config.mail, data_dir)?;
    let worker = OutboxWorker::new(store.clone(), transport, clock, config.mail.clone())
        .with_dkim(rekey::mail::dkim_for(&config.mail)?);
    let sent = runtime.block_on(worker.deliver_due())?;
    println!("{}; delivered now: {sent}", report.output);
    Ok(())
}

/// Runs an operator command in the daemon that holds the store.
fn through_daemon(dial: &Dial, command: StoreCommand) -> Result<(), Failure> {
    let command = operator_command(command)?;
    let retry = matches!(command, OperatorCommand::OutboxRetry { .. });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let answer = runtime.block_on(async {
        let (daemon, _) = SocketService::dial(dial).await?;
        Ok::<_, Failure>(daemon.operator(command).await)
    })?;
    match answer {
        Ok(Ok(report)) if retry => {
            println!("{}; the daemon delivers them now", report.output);
            Ok(())
        }
        Ok(Ok(report)) => {
            print!("{}", report.output);
            Ok(())
        }
        Ok(Err(failure)) => Err(Failure::from_operator(failure)),
        Err(e) => Err(Failure::Error(e.to_string())),
    }
}

fn mail_test(config: &Config, data_dir: &Path, address: &str) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match runtime.block_on(rekey::operator::mail_test(config, data_dir, address)) {
        Ok(report) => {
            print!("{}", report.output);
            Ok(())
        }
        Err(failure) => Err(Failure::from_operator(failure)),
    }
}

/// Plain mode without `--plain`: `ACCESSIBLE` set (the convention of
/// charmbracelet/huh and the GitHub CLI), or a terminal that says it can
/// do nothing (`TERM=dumb`).
fn plain_from_environment() -> bool {
    std::env::var_os("ACCESSIBLE").is_some_and(|v| !v.is_empty())
        || std::env::var("TERM").is_ok_and(|t| t == "dumb")
}

/// Reads a password: asked for without echo on a terminal (twice when
/// `confirm`), else the first line of stdin.
fn read_password(prompt: &str, confirm: bool) -> Result<Zeroizing<String>, Failure> {
    if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(rpassword::prompt_password(prompt)?);
        if confirm {
            let again = Zeroizing::new(rpassword::prompt_password("Again: ")?);
            if *first != *again {
                return Err(Failure::Error("the two passwords are not the same".into()));
            }
        }
        return Ok(first);
    }
    let mut raw = Zeroizing::new(Vec::new());
    std::io::stdin()
        .take(MAX_PASSWORD_INPUT as u64 + 1)
        .read_to_end(&mut raw)?;
    if raw.len() > MAX_PASSWORD_INPUT {
        return Err(Failure::Error("the password on stdin is too long".into()));
    }
    let text = std::str::from_utf8(&raw).map_err(|_| "the password on stdin is not UTF-8")?;
    let line = text.split('\n').next().unwrap_or_default();
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() {
        return Err(Failure::Error("no password on stdin".into()));
    }
    Ok(Zeroizing::new(line.to_string()))
}
