//! The `rekey` command line: parses, opens the store, runs the operator's
//! command, and turns every error into one line and an exit code.

use clap::{Args, Parser, Subcommand};
use rekey::client::describe_this_client;
use rekey::config::Config;
use rekey::directory::{Directory, DirectoryError, SledDirectory};
use rekey::mail::OutboxWorker;
use rekey::recovery::clock::format_time;
use rekey::recovery::hashing::hash_secret;
use rekey::recovery::{Clock, EmailAddress, Rule, SystemClock, name_hints};
use rekey::store::audit::{AuditDraft, AuditKind, ChainReport};
use rekey::store::outbox::{OutboxMessage, OutboxState};
use rekey::store::tickets::{TicketStatus, normalise_reference};
use rekey::store::{Store, TxResult, abort};
use rekey::tui::launch::{self, WizardFlags};
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use zeroize::Zeroizing;

/// A password read from stdin longer than this is refused, not cut.
const MAX_PASSWORD_INPUT: usize = 4096;

#[derive(Parser)]
#[command(
    name = "rekey",
    version,
    about = "Self-service password recovery for terminals",
    long_about = "Self-service password recovery for terminals.\n\n\
        With no command, rekey runs the recovery wizard on this terminal, on the store \
        under the data directory; mail goes to .eml files under <data-dir>/mail. \
        `rekey demo` tries the whole flow on a throwaway store. The other commands are \
        the operator's; only one process can hold the store at a time.",
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

    /// The wizard's language (en, sv) [default: from the locale]
    #[arg(long, value_name = "CODE")]
    lang: Option<String>,

    /// Draw with ASCII only (automatic when the locale is not UTF-8)
    #[arg(long)]
    ascii: bool,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Try the wizard on a throwaway store with a demo account; its mail
    /// shows on screen
    Demo,
    /// Check the mail set-up
    #[command(subcommand)]
    Mail(MailCommand),
    #[command(flatten)]
    OnStore(StoreCommand),
}

/// The commands that work on the store.
#[derive(Subcommand)]
enum StoreCommand {
    /// Add, check, list and remove accounts
    #[command(subcommand)]
    User(UserCommand),
    /// Show the audit trail, or check that it was not changed
    Audit(AuditArgs),
    /// Support tickets opened by people who lost their mailbox
    Tickets {
        #[command(subcommand)]
        action: Option<TicketCommand>,
    },
    /// Mail waiting, sent or given up, and sending it again
    Outbox {
        #[command(subcommand)]
        action: Option<OutboxCommand>,
    },
}

#[derive(Subcommand)]
enum MailCommand {
    /// Send a test message through the configured transport and show
    /// what the server answered
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
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::Error(e.to_string())
    }
}

fn main() -> ExitCode {
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

/// The opened store and what runs on it.
struct Context {
    store: Store,
    directory: SledDirectory,
    config: Config,
    clock: Arc<dyn Clock>,
    client: String,
}

impl Context {
    fn open(config: Config, data_dir: &Path) -> Result<Self, Failure> {
        let store = Store::open(data_dir)?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        Ok(Self {
            directory: SledDirectory::new(store.clone(), clock.clone()),
            store,
            config,
            clock,
            client: format!("operator, {}", describe_this_client()),
        })
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let mut config = match &cli.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    for (variable, setting) in [
        ("REKEY_MAIL_FROM", &mut config.mail.from),
        ("REKEY_SMTP_URL", &mut config.mail.smtp_url),
    ] {
        if let Ok(value) = std::env::var(variable) {
            *setting = value;
        }
    }
    config.validate()?;
    let wizard = WizardFlags {
        kiosk: cli.kiosk,
        ascii: cli.ascii,
        language: cli.lang.clone(),
    };
    let data_dir = || data_dir(cli.data_dir.clone());
    match cli.command {
        None => Ok(launch::embedded(config, &data_dir()?, wizard)?),
        Some(Command::Demo) => Ok(launch::demo(config, wizard)?),
        // Needs no store: it works while another process holds it.
        Some(Command::Mail(MailCommand::Test { address })) => {
            mail_test(&config, &data_dir()?, &address)
        }
        Some(Command::OnStore(command)) => {
            let dir = data_dir()?;
            on_store(&Context::open(config, &dir)?, &dir, command)
        }
    }
}

fn on_store(ctx: &Context, data_dir: &Path, command: StoreCommand) -> Result<(), Failure> {
    use StoreCommand as C;
    match command {
        C::User(UserCommand::Add { email, name }) => user_add(ctx, &email, &name),
        C::User(UserCommand::Verify { email }) => user_verify(ctx, &email),
        C::User(UserCommand::List) => user_list(ctx),
        C::User(UserCommand::Remove { email }) => user_remove(ctx, &email),
        C::Audit(AuditArgs {
            action: Some(AuditCommand::Verify),
            ..
        }) => audit_verify(ctx),
        C::Audit(AuditArgs { json, action: None }) => audit_show(ctx, json),
        C::Tickets {
            action: None | Some(TicketCommand::List),
        } => tickets_list(ctx),
        C::Tickets {
            action: Some(TicketCommand::Resolve { id }),
        } => ticket_resolve(ctx, &id),
        C::Outbox {
            action: None | Some(OutboxCommand::List),
        } => outbox_list(ctx),
        C::Outbox {
            action: Some(OutboxCommand::Retry { id }),
        } => outbox_retry(ctx, data_dir, id),
    }
}

fn mail_test(config: &Config, data_dir: &Path, address: &str) -> Result<(), Failure> {
    let to = EmailAddress::parse(address).map_err(|e| format!("{address:?}: {e}"))?;
    let transport = rekey::mail::transport_for(&config.mail, data_dir)?;
    let message = rekey::mail::worker::test_message(&config.mail, to.as_str())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match runtime.block_on(transport.deliver("rekey-test", &message)) {
        Ok(answer) => {
            println!("{}: {answer}", transport.describe());
            Ok(())
        }
        Err(e) => Err(Failure::Error(format!("delivery failed: {}", e.message))),
    }
}

fn outbox_list(ctx: &Context) -> Result<(), Failure> {
    let records = ctx.store.outbox()?;
    if records.is_empty() {
        println!("no mail");
    }
    for r in records {
        let kind = match r.message {
            OutboxMessage::Code { .. } => "code",
            OutboxMessage::PasswordChanged { .. } => "password-changed",
            OutboxMessage::UnknownAddress => "unknown-address",
        };
        let state = match r.state {
            OutboxState::Queued => format!("queued, next try {}", format_time(r.next_try_ms)),
            OutboxState::Sending { since_ms } => format!("sending since {}", format_time(since_ms)),
            OutboxState::Sent { at_ms } => format!("sent {}", format_time(at_ms)),
            OutboxState::Abandoned { at_ms } => format!("given up {}", format_time(at_ms)),
        };
        let error = r
            .last_error
            .as_deref()
            .map(|e| format!("\tlast error: {e}"))
            .unwrap_or_default();
        println!(
            "{}\t{kind}\t{}\t{state}\ttries {}{error}",
            r.id, r.to, r.tries
        );
    }
    Ok(())
}

fn outbox_retry(ctx: &Context, data_dir: &Path, id: Option<u64>) -> Result<(), Failure> {
    let now = ctx.clock.now();
    // Read before the transaction: sled blocks a plain read of a tree that
    // a transaction holds.
    let ids: Vec<u64> = match id {
        Some(id) => vec![id],
        None => ctx
            .store
            .outbox()?
            .iter()
            .filter(|r| matches!(r.state, OutboxState::Abandoned { .. }))
            .map(|r| r.id)
            .collect(),
    };
    let requeued = ctx.store.transact(|tx| -> TxResult<usize, Failure> {
        let mut requeued = 0;
        for &one in &ids {
            let Some(mut record) = tx.outbox_record(one)? else {
                return abort(Failure::Error(format!("no message {one} in the outbox")));
            };
            if matches!(record.state, OutboxState::Sent { .. }) {
                return abort(Failure::Error(format!("message {one} was already sent")));
            }
            // A given-up code mail no longer holds its code.
            if matches!(&record.message, OutboxMessage::Code { code, .. } if code.is_empty()) {
                if id.is_some() {
                    return abort(Failure::Error(format!(
                        "message {one} held a code that is gone; the person asks for a new one"
                    )));
                }
                continue;
            }
            record.state = OutboxState::Queued;
            record.tries = 0;
            record.next_try_ms = now;
            tx.put_outbox_record(&record)?;
            requeued += 1;
        }
        Ok(requeued)
    })?;
    let transport = rekey::mail::transport_for(&ctx.config.mail, data_dir)?;
    let worker = OutboxWorker::new(
        ctx.store.clone(),
        transport,
        ctx.clock.clone(),
        ctx.config.mail.clone(),
    )
    .with_dkim(rekey::mail::dkim_for(&ctx.config.mail)?);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let sent = runtime.block_on(worker.deliver_due())?;
    println!("queued again: {requeued}; delivered now: {sent}");
    Ok(())
}

fn user_add(ctx: &Context, email: &str, name: &str) -> Result<(), Failure> {
    let address = EmailAddress::parse(email).map_err(|e| format!("{email:?}: {e}"))?;
    if ctx.directory.find(&address)?.is_some() {
        return Err(DirectoryError::AccountExists.into());
    }
    let password = read_password(&format!("Password for {address}: "), true)?;
    let mut hints = address.password_hints();
    hints.extend(name_hints(name));
    let verdict = ctx.config.password.assess(&password, &hints);
    if !verdict.passes() {
        let reasons: Vec<String> = verdict
            .failed_rules()
            .map(|rule| describe_failed_rule(rule, verdict.score))
            .collect();
        let mut message = format!("password refused: {}", reasons.join("; "));
        if let Some(warning) = &verdict.warning {
            message.push_str(&format!(" ({})", warning.text.trim_end_matches('.')));
        }
        return Err(Failure::Error(message));
    }
    let hash = hash_secret(password.as_bytes(), &ctx.config.hash_cost())?;
    ctx.directory
        .add_account(&address, name, &hash, &ctx.client)?;
    println!("added {address}");
    Ok(())
}

fn describe_failed_rule(rule: Rule, score: u8) -> String {
    match rule {
        Rule::MinLength(n) => format!("shorter than {n} characters"),
        Rule::MaxLength(n) => format!("longer than {n} characters"),
        Rule::MinScore(n) => format!("too easy to guess (strength {score} of 4, needs {n})"),
        Rule::NotPersonal => "made from the name or the address".to_string(),
        Rule::Printable => "contains control characters".to_string(),
        Rule::NotRecent(n) => format!("one of the last {n} passwords"),
    }
}

fn user_verify(ctx: &Context, email: &str) -> Result<(), Failure> {
    let address = EmailAddress::parse(email).map_err(|e| format!("{email:?}: {e}"))?;
    let password = read_password(&format!("Password for {address}: "), false)?;
    match ctx.directory.verify_password(&address, &password) {
        Ok(true) => {
            println!("password is right");
            Ok(())
        }
        Ok(false) => Err(Failure::No("password is wrong".into())),
        Err(DirectoryError::NoAccount) => {
            Err(Failure::No(format!("no account has the address {address}")))
        }
        Err(e) => Err(e.into()),
    }
}

fn user_list(ctx: &Context) -> Result<(), Failure> {
    let accounts = ctx.store.accounts()?;
    if accounts.is_empty() {
        println!("no accounts");
    }
    for a in accounts {
        println!(
            "{}\t{}\tadded {}\tpassword changed {}",
            a.address,
            if a.name.is_empty() { "-" } else { &a.name },
            format_time(a.created_ms),
            format_time(a.changed_ms)
        );
    }
    Ok(())
}

fn user_remove(ctx: &Context, email: &str) -> Result<(), Failure> {
    let address = EmailAddress::parse(email).map_err(|e| format!("{email:?}: {e}"))?;
    match ctx.directory.remove_account(&address, &ctx.client) {
        Err(DirectoryError::NoAccount) => {
            return Err(Failure::Error(format!(
                "no account has the address {address}"
            )));
        }
        other => other?,
    }
    println!("removed {address}");
    Ok(())
}

fn audit_show(ctx: &Context, json: bool) -> Result<(), Failure> {
    for e in ctx.store.audit_events()? {
        if json {
            println!("{}", serde_json::to_string(&e)?);
            continue;
        }
        let kind = serde_json::to_value(e.kind)?;
        let outcome = serde_json::to_value(e.outcome)?;
        println!(
            "{}  #{}  {}  {}  {}  [{}]{}",
            format_time(e.time_ms),
            e.seq,
            kind.as_str().unwrap_or("?"),
            outcome.as_str().unwrap_or("?"),
            e.account.as_ref().map_or("-", EmailAddress::as_str),
            e.client,
            if e.detail.is_empty() {
                String::new()
            } else {
                format!("  {}", e.detail)
            }
        );
    }
    Ok(())
}

fn audit_verify(ctx: &Context) -> Result<(), Failure> {
    match ctx.store.verify_audit()? {
        ChainReport::Intact { events } => {
            let noun = if events == 1 { "event" } else { "events" };
            println!("audit trail intact: {events} {noun}");
            Ok(())
        }
        ChainReport::Broken { at_seq, reason } => Err(Failure::No(format!(
            "audit trail broken at event #{at_seq}: {reason}"
        ))),
    }
}

fn tickets_list(ctx: &Context) -> Result<(), Failure> {
    let tickets = ctx.store.tickets()?;
    if tickets.is_empty() {
        println!("no tickets");
    }
    for t in tickets {
        let status = match t.status {
            TicketStatus::Open => "open".to_string(),
            TicketStatus::Resolved { at_ms } => format!("resolved {}", format_time(at_ms)),
        };
        println!(
            "{}\t{}\topened {}\t{}\t[{}]",
            t.reference,
            status,
            format_time(t.created_ms),
            t.address,
            t.client
        );
    }
    Ok(())
}

fn ticket_resolve(ctx: &Context, id: &str) -> Result<(), Failure> {
    let reference = normalise_reference(id);
    let now = ctx.clock.now();
    ctx.store.transact(|tx| -> TxResult<(), Failure> {
        let Some(mut ticket) = tx.ticket(&reference)? else {
            return abort(Failure::Error(format!("no ticket {reference}")));
        };
        if let TicketStatus::Resolved { at_ms } = ticket.status {
            return abort(Failure::Error(format!(
                "ticket {reference} was already resolved at {}",
                format_time(at_ms)
            )));
        }
        ticket.status = TicketStatus::Resolved { at_ms: now };
        tx.put_ticket(&ticket)?;
        tx.audit(
            AuditDraft::new(
                AuditKind::TicketResolved,
                Some(&ticket.address),
                &ctx.client,
            )
            .detail(reference.clone()),
            now,
        )?;
        Ok(())
    })?;
    println!("resolved {reference}");
    Ok(())
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
