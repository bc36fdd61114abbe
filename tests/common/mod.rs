//! What the integration tests share: a real sled store in a temporary
//! directory, the in-process service on it with a clock the test moves, and
//! the mail the service queued.

#![allow(dead_code)]

pub mod daemon;
pub mod ldap;
pub mod postgres;
pub mod pty;
pub mod samba;
pub mod slapd;
pub mod smtp_server;

use rekey::config::Config;
use rekey::directory::{OwnAccounts, SledDirectory};
use rekey::recovery::SlideVerdict;
use rekey::recovery::hashing::hash_secret;
use rekey::recovery::{
    Clock, CodeStatus, EmailAddress, FlowView, MailProgress, ManualClock, ResendStatus,
    SlideEvidence, SlideRules, Stage,
};
use rekey::service::{LocalService, RecoveryService, SessionId};
use rekey::store::Store;
use rekey::store::outbox::OutboxMessage;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub const OLD_PASSWORD: &str = "lantern quietly orbits seventeen moths";
pub const NEW_PASSWORD: &str = "copper kettles whistle under violet rain";
pub const T0: u64 = 1_790_000_000_000;

/// The defaults, but answering at once: tests that check the reply floor
/// set it themselves.
pub fn quick_config() -> Config {
    let mut config = Config::default();
    config.service.reply_floor_ms = 0;
    config
}

/// Opens the store under `dir`. Right after the last handle in this
/// process was dropped, sled may still hold its lock for a moment (seen
/// on a loaded machine): wait for it, a few seconds at most.
fn open_when_released(dir: &Path) -> Store {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match Store::open(dir) {
            Err(rekey::store::StoreError::Locked(_)) if std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            opened => return opened.expect("store opens"),
        }
    }
}

pub struct Harness {
    pub dir: PathBuf,
    /// The PostgreSQL the store is on, when it is; stopped before the
    /// directory it lives in goes.
    pub pg: Option<postgres::PgServer>,
    _tmp: Option<tempfile::TempDir>,
    pub clock: ManualClock,
    pub config: Config,
    pub store: Store,
    pub directory: SledDirectory,
    pub service: Arc<LocalService>,
}

impl Harness {
    pub fn new(config: Config) -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let mut h = Self::open(&dir, ManualClock::starting_at(T0), config);
        h._tmp = Some(tmp);
        h
    }

    /// The same on a PostgreSQL of its own (under the harness's
    /// directory), with rekey's schema applied.
    pub fn on_postgres(mut config: Config) -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let pg = postgres::PgServer::start_in(&dir);
        pg.migrate();
        config.store = pg.settings();
        let mut h = Self::open(&dir, ManualClock::starting_at(T0), config);
        h.pg = Some(pg);
        h._tmp = Some(tmp);
        h
    }

    /// The store this harness's config names: sled under `dir`, or its
    /// PostgreSQL.
    pub fn open(dir: &Path, clock: ManualClock, config: Config) -> Self {
        let store = match config.store.kind {
            rekey::config::StoreKind::Sled => open_when_released(dir),
            rekey::config::StoreKind::Postgres => {
                Store::open_configured(&config.store, dir).expect("the PostgreSQL store opens")
            }
        };
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let directory = SledDirectory::new(store.clone(), shared.clone());
        let service = Arc::new(LocalService::new(
            store.clone(),
            Arc::new(directory.clone()),
            shared,
            config.clone(),
        ));
        Self {
            dir: dir.to_path_buf(),
            pg: None,
            _tmp: None,
            clock,
            config,
            store,
            directory,
            service,
        }
    }

    /// Closes the store and opens it again from disk, as a restart would.
    pub fn reopen(self) -> Self {
        let Self {
            dir,
            pg,
            _tmp,
            clock,
            config,
            store,
            directory,
            service,
        } = self;
        drop(service);
        drop(directory);
        drop(store);
        let mut h = Self::open(&dir, clock, config);
        h.pg = pg;
        h._tmp = _tmp;
        h
    }

    pub fn add_account(&self, address: &str, name: &str, password: &str) {
        let address = EmailAddress::parse(address).expect("address");
        let hash = hash_secret(password.as_bytes(), &self.config.hash_cost()).expect("hash");
        self.directory
            .add_account(&address, name, &hash, "test")
            .expect("account added");
    }

    pub fn password_is(&self, address: &str, password: &str) -> bool {
        let address = EmailAddress::parse(address).expect("address");
        self.directory.verify(&address, password).expect("verify")
    }

    /// The codes mailed to `address`, oldest first, as `482 913`.
    pub fn codes_mailed_to(&self, address: &str) -> Vec<String> {
        codes_queued(&self.store, address)
    }

    pub fn last_code(&self, address: &str) -> String {
        self.codes_mailed_to(address)
            .pop()
            .expect("a code was mailed")
    }

    /// Opens a session and takes it through address, slide and Request.
    pub async fn requested(&self, address: &str) -> (SessionId, FlowView) {
        self.requested_from("test tty", address).await
    }

    /// A session of a person at `client` (in the wizard's own process, the
    /// origin its limits count for) that pressed Request on `address`.
    pub async fn requested_from(&self, client: &str, address: &str) -> (SessionId, FlowView) {
        let s = self
            .service
            .open_session(client, "en")
            .await
            .expect("session");
        self.service
            .submit_address(&s, address)
            .await
            .expect("address accepted");
        let verdict = self
            .service
            .check_slide(&s, &human_slide(&self.config.slide))
            .await
            .expect("slide checked");
        assert_eq!(verdict, rekey::recovery::SlideVerdict::Verified);
        let view = self.service.request(&s).await.expect("requested");
        (s, view)
    }

    /// A session with a code sent to `address`.
    pub async fn code_sent(&self, address: &str) -> SessionId {
        self.code_sent_from("test tty", address).await
    }

    pub async fn code_sent_from(&self, client: &str, address: &str) -> SessionId {
        let (s, _) = self.requested_from(client, address).await;
        self.service.choose_email(&s).await.expect("email chosen");
        self.service.send_code(&s).await.expect("code sent");
        s
    }
}

/// The codes queued in `store`'s outbox for `address`, oldest first.
pub fn codes_queued(store: &Store, address: &str) -> Vec<String> {
    let address = EmailAddress::parse(address).expect("address");
    store
        .outbox()
        .expect("outbox")
        .into_iter()
        .filter(|m| m.to == address)
        .filter_map(|m| match m.message {
            OutboxMessage::Code { code, .. } => Some(code),
            _ => None,
        })
        .collect()
}

/// A session taken through address, slide and Request, on any service.
pub async fn requested<S: RecoveryService + ?Sized>(service: &S, address: &str) -> SessionId {
    let s = service.open_session("test", "en").await.expect("session");
    service.submit_address(&s, address).await.expect("address");
    let slid = service
        .check_slide(&s, &human_slide(&SlideRules::default()))
        .await
        .expect("slide");
    assert_eq!(slid, SlideVerdict::Verified);
    service.request(&s).await.expect("requested");
    s
}

/// A session with a code sent to `address`.
pub async fn code_sent<S: RecoveryService + ?Sized>(service: &S, address: &str) -> SessionId {
    let s = requested(service, address).await;
    service.choose_email(&s).await.expect("email chosen");
    service.send_code(&s).await.expect("code sent");
    s
}

/// Reads a child's stdout until a line with `word`; returns what follows
/// it. (The test harness may print its own words before it on the line.)
pub fn wait_for_word(child: &mut std::process::Child, word: &str) -> String {
    use std::io::BufRead;
    let stdout = child.stdout.as_mut().expect("piped stdout");
    let mut reader = std::io::BufReader::new(stdout);
    let mut line = String::new();
    loop {
        line.clear();
        let n = reader.read_line(&mut line).expect("child output");
        assert!(n > 0, "the child ended before {word}");
        if let Some(at) = line.find(word) {
            return line[at + word.len()..].trim().to_string();
        }
    }
}

/// A number below `limit` from the OS's random source.
pub fn random_below(limit: u64) -> u64 {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("randomness");
    u64::from_le_bytes(bytes) % limit.max(1)
}

/// The values of `attr` (any case) in LDIF, base64 ones decoded.
pub fn ldif_values(ldif: &str, attr: &str) -> Vec<String> {
    use base64::Engine;
    let mut values = Vec::new();
    // Unfold continuation lines (ldbsearch wraps long ones).
    let unfolded = ldif.replace("\n ", "");
    for line in unfolded.lines() {
        let Some((name, rest)) = line.split_once(':') else {
            continue;
        };
        if !name.eq_ignore_ascii_case(attr) {
            continue;
        }
        if let Some(b64) = rest.strip_prefix(':') {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .unwrap_or_default();
            values.push(String::from_utf8_lossy(&bytes).into_owned());
        } else {
            values.push(rest.trim_start().to_string());
        }
    }
    values
}

/// A held arrow key: one notch every 33 ms.
pub fn human_slide(rules: &SlideRules) -> SlideEvidence {
    SlideEvidence {
        notch_times_ms: (0..u32::from(rules.notches)).map(|i| i * 33).collect(),
    }
}

/// Every byte of every file under `dir`.
pub fn all_bytes_under(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.extend(bytes);
            }
        }
    }
    out
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A delivered message as a person's mail program shows it.
#[derive(Debug)]
pub struct ReadMail {
    pub subject: String,
    pub to: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
}

pub fn read_mail(path: &Path) -> ReadMail {
    let bytes = std::fs::read(path).expect("mail file");
    let message = mail_parser::MessageParser::default()
        .parse(&bytes)
        .expect("a parsable message");
    ReadMail {
        subject: message.subject().unwrap_or_default().to_string(),
        to: message
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .unwrap_or_default()
            .to_string(),
        text: message.body_text(0).unwrap_or_default().to_string(),
        html: message.body_html(0).unwrap_or_default().to_string(),
        message_id: message.message_id().unwrap_or_default().to_string(),
    }
}

/// The `.eml` files in `dir`, oldest first.
pub fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "eml"));
    files.sort();
    files
}

/// `rekey --data-dir DIR ARGS...` as an operator types it, with `stdin`
/// piped in and no `REKEY_*` setting from the test's own environment. While
/// a daemon holds the store, the command goes through it.
pub fn operator(data_dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(daemon::rekey_binary());
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("REKEY_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rekey binary starts");
    // The binary may exit before it reads; a broken pipe then is expected.
    let _ = child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("the rekey binary ends")
}

/// `rekey --data-dir DIR --config DIR/rekey.toml ARGS...` with `toml` as
/// the config: the exit code, stdout and stderr.
pub fn with_config(
    dir: &Path,
    toml: &str,
    args: &[&str],
    stdin: &str,
) -> (Option<i32>, String, String) {
    let config = dir.join("rekey.toml");
    std::fs::write(&config, toml).expect("config written");
    let config = config.to_str().expect("a UTF-8 temporary path");
    let mut all = vec!["--config", config];
    all.extend_from_slice(args);
    let out = operator(dir, &all, stdin);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A code or password as the service takes it.
pub fn secret(text: &str) -> rekey::service::SecretString {
    rekey::service::SecretString::from(text)
}

/// `rekey user verify`: whether `password` is `address`'s.
pub fn password_works(data_dir: &Path, address: &str, password: &str) -> bool {
    let out = operator(
        data_dir,
        &["user", "verify", address],
        &format!("{password}\n"),
    );
    match out.status.code() {
        Some(0) => true,
        Some(1) => false,
        other => panic!(
            "user verify ended with {other:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// The code in a line like "    482 913" (grouped 3+3), as six digits: how
/// the wizard's mail and the demo's mailbox panel show it.
pub fn grouped_code(line: &str) -> Option<String> {
    let (a, b) = line.trim().split_once(' ')?;
    let digits = |s: &str| s.len() == 3 && s.bytes().all(|c| c.is_ascii_digit());
    (digits(a) && digits(b)).then(|| format!("{a}{b}"))
}

/// The flow as the service would answer at `stage`, with a code out at
/// `CodeSent`: for drawing the screens without a service.
pub fn flow_view(stage: Stage) -> FlowView {
    FlowView {
        stage,
        code: (stage == Stage::CodeSent).then_some(CodeStatus {
            expires_in_ms: 600_000,
            attempts_left: 5,
            phrase: "amber otter".into(),
        }),
        resend: ResendStatus::In { ms: 60_000 },
        ticket: (stage == Stage::TicketOpened).then(|| "RK-7F3K-9Q2M".to_string()),
        mail: (stage == Stage::CodeSent).then_some(MailProgress::Sent),
    }
}
