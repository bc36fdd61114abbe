//! The real `rekey serve` as a child process on a temporary data directory,
//! for the daemon's tests and its benchmark. Killed when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A config that keeps tests quick but every rule on: the reply floor is
/// kept short, not off, so it is still exercised.
pub const TEST_CONFIG: &str = "[service]\nreply_floor_ms = 50\n";

pub struct Daemon {
    child: Option<Child>,
    pub root: PathBuf,
    pub data_dir: PathBuf,
    pub socket: PathBuf,
    pub config: PathBuf,
    pub log: PathBuf,
    /// More arguments for `rekey serve` (e.g. `--listen HOST:PORT`).
    pub serve_args: Vec<String>,
}

/// The binary under test; benches find it beside their own executable.
pub fn rekey_binary() -> PathBuf {
    if let Some(path) = option_env!("CARGO_BIN_EXE_rekey") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("own path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    dir.join("rekey")
}

impl Daemon {
    /// Starts `rekey serve` under `root` with `config` as its config file,
    /// and waits until its socket answers.
    pub fn start(root: &Path, config: &str) -> Self {
        Self::start_on(root, &root.join("data"), config)
    }

    /// As [`Daemon::start`], with the store in `data_dir` (elsewhere than
    /// `root`, e.g. on a small disk of its own; the log stays in `root`).
    pub fn start_on(root: &Path, data_dir: &Path, config: &str) -> Self {
        Self::start_with(root, data_dir, config, &[])
    }

    /// As [`Daemon::start_on`], with `serve_args` after `serve --socket …`.
    pub fn start_with(root: &Path, data_dir: &Path, config: &str, serve_args: &[&str]) -> Self {
        let config_path = root.join("rekey.toml");
        std::fs::write(&config_path, config).expect("config written");
        let mut daemon = Self {
            child: None,
            root: root.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
            socket: root.join("rekey.sock"),
            config: config_path,
            log: root.join("daemon.log"),
            serve_args: serve_args.iter().map(|a| a.to_string()).collect(),
        };
        daemon.restart();
        daemon
    }

    /// Starts the process again (after `kill` or `terminate`).
    pub fn restart(&mut self) {
        self.spawn();
        self.wait_until_served(Duration::from_secs(30));
    }

    /// Starts the process without waiting for its socket.
    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = Command::new(rekey_binary())
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .arg("--socket")
            .arg(&self.socket)
            .args(&self.serve_args)
            .env_remove("REKEY_SMTP_URL")
            .env_remove("REKEY_MAIL_FROM")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("rekey serve starts");
        self.child = Some(child);
    }

    /// Waits until the socket answers, `within` at most.
    pub fn wait_until_served(&mut self, within: Duration) {
        let deadline = Instant::now() + within;
        while std::os::unix::net::UnixStream::connect(&self.socket).is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("rekey serve ended with {status}: {}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "the socket never answered: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the process to end by itself, `within` at most: its exit
    /// status, or `None` while it still runs.
    pub fn wait_for_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            let child = self.child.as_mut()?;
            if let Some(status) = child.try_wait().expect("wait") {
                self.child = None;
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL: no chance to flush or clean up.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// SIGTERM, then waits for the process to end.
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal("TERM");
        self.terminate_already_signalled()
    }

    /// Waits for a process already sent SIGTERM to end.
    pub fn terminate_already_signalled(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "SIGTERM did not stop the daemon");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.data_dir.join("mail")
    }

    /// `rekey ARGS` as an operator, with `stdin`, through this daemon.
    pub fn operator(&self, args: &[&str], stdin: &str) -> std::process::Output {
        super::operator(&self.data_dir, args, stdin)
    }

    /// Adds an account through the daemon.
    pub fn add_user(&self, address: &str, name: &str, password: &str) {
        let out = self.operator(
            &["user", "add", address, "--name", name],
            &format!("{password}\n"),
        );
        assert!(
            out.status.success(),
            "user add {address}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The codes mailed to `address` (as six digits), oldest first, from the
/// `.eml` files under `mail_dir`.
pub fn codes_mailed(mail_dir: &Path, address: &str) -> Vec<String> {
    super::eml_files(mail_dir)
        .iter()
        .map(|path| super::read_mail(path))
        .filter(|mail| mail.to == address)
        .filter_map(|mail| mail.text.lines().find_map(super::grouped_code))
        .collect()
}

/// Waits until `count` codes were mailed to `address`; the last one.
pub fn wait_for_code(mail_dir: &Path, address: &str, count: usize) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let codes = codes_mailed(mail_dir, address);
        if codes.len() >= count {
            return codes[count - 1].clone();
        }
        assert!(Instant::now() < deadline, "no code mail to {address}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Accounts written into the store before the daemon starts (the store
/// allows one process, so not while it runs).
pub fn seed_accounts(data_dir: &Path, accounts: &[(String, String)]) {
    use rekey::directory::OwnAccounts;
    let store = rekey::store::Store::open(data_dir).expect("store opens");
    let clock: std::sync::Arc<dyn rekey::recovery::Clock> =
        std::sync::Arc::new(rekey::recovery::SystemClock);
    let directory = rekey::directory::SledDirectory::new(store.clone(), clock);
    let cost = rekey::config::Config::default().hash_cost();
    for (address, password) in accounts {
        let address = rekey::recovery::EmailAddress::parse(address).expect("address");
        let hash = rekey::recovery::hashing::hash_secret(password.as_bytes(), &cost).expect("hash");
        directory
            .add_account(&address, "", &hash, "test")
            .expect("account added");
    }
    store.flush().expect("flushed");
}

/// A wizard's walk over a daemon's socket, for tests and benchmarks: a
/// connection to `socket` and the slide its rules ask for.
pub async fn connect_to(
    socket: &Path,
) -> (
    rekey::service::SocketService,
    rekey::recovery::SlideEvidence,
) {
    let (service, rules) = rekey::service::SocketService::connect(socket)
        .await
        .expect("the daemon answers");
    (service, super::human_slide(&rules.slide))
}

/// A session from `client` on `service` that gave `address` and passed the
/// slide with `slide`.
pub async fn slid_on(
    service: &rekey::service::SocketService,
    slide: &rekey::recovery::SlideEvidence,
    client: &str,
    address: &str,
) -> String {
    use rekey::service::RecoveryService;
    let session = service.open_session(client, "en").await.expect("session");
    service
        .submit_address(&session, address)
        .await
        .expect("address");
    let verdict = service.check_slide(&session, slide).await.expect("slide");
    assert_eq!(verdict, rekey::recovery::SlideVerdict::Verified);
    session
}

/// As [`slid_on`], then Request, e-mail and a code sent.
pub async fn code_sent_on(
    service: &rekey::service::SocketService,
    slide: &rekey::recovery::SlideEvidence,
    client: &str,
    address: &str,
) -> String {
    use rekey::service::RecoveryService;
    let session = slid_on(service, slide, client, address).await;
    service.request(&session).await.expect("request");
    service.choose_email(&session).await.expect("email chosen");
    let view = service.send_code(&session).await.expect("code sent");
    assert_eq!(view.stage, rekey::recovery::Stage::CodeSent);
    session
}
