//! A fleet: several real `rekey serve` processes on one real PostgreSQL
//! (a cluster of the test's own, see common/postgres.rs), each with its
//! own socket and data directory, and wizards talking to them over their
//! sockets. One set of limits, one outbox and one audit trail across them,
//! a daemon killed or the database restarted in the middle of traffic.

mod common;

use common::daemon::{Daemon, TEST_CONFIG, rekey_binary};
use common::postgres::PgServer;
use common::{NEW_PASSWORD, OLD_PASSWORD, human_slide, secret};
use rekey::directory::{OwnAccounts, SledDirectory};
use rekey::recovery::hashing::hash_secret;
use rekey::recovery::{Clock, EmailAddress, FlowError, SlideRules, Stage, SystemClock};
use rekey::service::{RecoveryService, ServiceError, SessionId, SocketService};
use rekey::store::Store;
use rekey::store::audit::{AuditKind, ChainReport, Outcome};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADA: &str = "ada@example.com";

struct Fleet {
    daemons: Vec<Daemon>,
    config: PathBuf,
    /// The test's own handle on the shared store (a process like the
    /// operator's commands).
    store: Store,
    pg: PgServer,
    _root: tempfile::TempDir,
}

/// `rekey --config CONFIG ARGS` with `stdin`, as an operator runs it.
fn rekey_as_operator(config: &Path, data_dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(rekey_binary())
        .arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("REKEY_STORE_URL")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("rekey runs")
}

impl Fleet {
    /// `n` daemons on a new PostgreSQL, with `extra` in their config; the
    /// schema applied by `rekey store migrate`.
    fn start(n: usize, extra: &str) -> Self {
        assert!(
            common::postgres::available(),
            "PostgreSQL 15 is needed for these tests (`apt-get install postgresql`; .ci/run does)"
        );
        let pg = PgServer::start();
        let root = tempfile::tempdir().expect("temp dir");
        let text = format!("{TEST_CONFIG}{extra}\n{}", pg.toml());
        let config = root.path().join("fleet.toml");
        std::fs::write(&config, &text).expect("config");
        let out = rekey_as_operator(
            &config,
            &root.path().join("operator"),
            &["store", "migrate"],
        );
        assert!(
            out.status.success(),
            "store migrate: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(said.contains("applied migration 1"), "{said}");
        let daemons = (0..n)
            .map(|i| {
                let dir = root.path().join(format!("daemon{i}"));
                std::fs::create_dir_all(&dir).expect("daemon dir");
                Daemon::start(&dir, &text)
            })
            .collect();
        let store = Store::open_configured(&pg.settings(), root.path()).expect("store opens");
        Self {
            daemons,
            config,
            store,
            pg,
            _root: root,
        }
    }

    fn socket(&self, i: usize) -> PathBuf {
        self.daemons[i % self.daemons.len()].socket.clone()
    }

    fn sockets(&self) -> Vec<PathBuf> {
        self.daemons.iter().map(|d| d.socket.clone()).collect()
    }

    /// Accounts of rekey's own, in the shared store, all with `password`.
    fn add_accounts(&self, addresses: &[String], password: &str) {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let directory = SledDirectory::new(self.store.clone(), clock);
        let hash = hash_secret(
            password.as_bytes(),
            &rekey::config::Config::default().hash_cost(),
        )
        .expect("hash");
        for address in addresses {
            let address = EmailAddress::parse(address).expect("address");
            directory
                .add_account(&address, "Someone", &hash, "test")
                .expect("account added");
        }
    }

    fn password_is(&self, address: &str, password: &str) -> bool {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let directory = SledDirectory::new(self.store.clone(), clock);
        let address = EmailAddress::parse(address).expect("address");
        rekey::directory::OwnAccounts::verify(&directory, &address, password).expect("verify")
    }

    /// The `.eml` files of every daemon's mail (the file transport), for
    /// `address`.
    fn mails_to(&self, address: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for daemon in &self.daemons {
            for file in common::eml_files(&daemon.mail_dir()) {
                let text = std::fs::read_to_string(&file).unwrap_or_default();
                if text.contains(&format!("To: {address}")) {
                    found.push(file);
                }
            }
        }
        found
    }

    /// The codes mailed to `address`, from whichever daemon sent them,
    /// waiting until there are `count`.
    fn wait_for_codes(&self, address: &str, count: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let codes: Vec<String> = self
                .daemons
                .iter()
                .flat_map(|d| common::daemon::codes_mailed(&d.mail_dir(), address))
                .collect();
            if codes.len() >= count {
                return codes;
            }
            assert!(
                Instant::now() < deadline,
                "{count} codes for {address} never came; {} did",
                codes.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Ada's account, and a wizard that knows every daemon with her
    /// session at "code sent": the wizard, the session and the code.
    async fn ada_with_a_code(&self) -> (SocketService, SessionId, String) {
        self.add_accounts(&[ADA.to_string()], OLD_PASSWORD);
        let wizard = connect(&self.sockets()).await;
        let s = code_sent(&wizard, "test tty", ADA).await;
        let code = self.wait_for_codes(ADA, 1).remove(0);
        (wizard, s, code)
    }

    /// The new password through `wizard`'s session `s`, and it works for
    /// `address`.
    async fn set_new_password(&self, wizard: &SocketService, s: &str, address: &str) {
        wizard
            .set_password(s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
            .await
            .expect("password set");
        assert!(self.password_is(address, NEW_PASSWORD), "{address}");
    }

    fn events(&self, kind: AuditKind) -> Vec<rekey::store::audit::AuditEvent> {
        self.store
            .audit_events()
            .expect("audit")
            .into_iter()
            .filter(|e| e.kind == kind)
            .collect()
    }
}

async fn connect(sockets: &[PathBuf]) -> SocketService {
    SocketService::connect_any(sockets)
        .await
        .expect("a daemon answers")
        .0
}

/// A session from `client` through `service`, taken to "code sent".
async fn code_sent(service: &SocketService, client: &str, address: &str) -> SessionId {
    let slide = human_slide(&SlideRules::default());
    common::daemon::code_sent_on(service, &slide, client, address).await
}

/// Calls `step` until it stops saying the service is out of reach: the
/// wizard's "try again" after a switch of daemon.
macro_rules! again_while_lost {
    ($step:expr) => {{
        let mut tries = 0;
        loop {
            match $step {
                Err(ServiceError::Unavailable(_) | ServiceError::StoreDown) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => break other,
            }
        }
    }};
}

fn wrong_code(right: &str, n: u32) -> String {
    let digits: String = right.chars().filter(char::is_ascii_digit).collect();
    let right: u32 = digits.parse().expect("digits");
    format!("{:06}", (right + n) % 1_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_guessers_over_three_daemons_get_five_tries_in_all_and_one_success_at_most() {
    let mut fleet = Fleet::start(3, "");
    let (owner, s, code) = fleet.ada_with_a_code().await;

    // The daemon the session was opened on dies; the session goes on
    // through the next one.
    fleet.daemons[0].kill();
    let view = again_while_lost!(owner.flow_status(&s).await).expect("goes on elsewhere");
    assert!(view.code.is_some(), "the code is still there: {view:?}");

    let mut guessers = Vec::new();
    for i in 0..20u32 {
        let socket = fleet.socket(1 + i as usize % 2);
        let s = s.clone();
        let guess = if i == 13 {
            code.clone()
        } else {
            wrong_code(&code, i + 1)
        };
        // Each keeps its connection: one that closes ends the session
        // (the wizard is gone), and the others would have none to guess on.
        guessers.push(tokio::spawn(async move {
            let service = connect(&[socket]).await;
            service.take_over(&s, "test tty");
            let answer = service.confirm_code(&s, &secret(&guess)).await;
            (service, answer)
        }));
    }
    let (mut wrong, mut right, mut refused) = (0, 0, 0);
    let mut connections = Vec::new();
    for guesser in guessers {
        let (service, answer) = guesser.await.expect("guesser ran");
        connections.push(service);
        match answer {
            Ok(view) if view.stage == Stage::CodeConfirmed => right += 1,
            Err(ServiceError::WrongCode { .. }) => wrong += 1,
            Err(ServiceError::Flow(
                FlowError::NoTriesLeft
                | FlowError::WrongStep { .. }
                | FlowError::Ended
                | FlowError::CodeReplaced,
            )) => refused += 1,
            other => panic!("unexpected answer: {other:?}"),
        }
    }
    assert!(right <= 1, "{right} guesses succeeded");
    assert!(
        wrong + right <= 5,
        "{wrong} wrong and {right} right: more than five tries"
    );
    assert_eq!(wrong + right + refused, 20);
    // The trail agrees: five codes compared at most, the rest refused
    // before any was.
    let checks = fleet.events(AuditKind::CodeChecked);
    let compared: Vec<_> = checks
        .iter()
        .filter(|e| e.detail.starts_with("wrong code") || e.detail.ends_with("confirmed"))
        .collect();
    assert_eq!(compared.len(), wrong + right, "{checks:#?}");
    assert_eq!(
        compared.iter().filter(|e| e.outcome == Outcome::Ok).count(),
        right
    );
    assert_eq!(checks.len(), 20);
    // Written by two daemons at once: still one chain.
    assert!(matches!(
        fleet.store.verify_audit().expect("verify"),
        ChainReport::Intact { .. }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_wizards_over_three_daemons_each_finish_their_own_reset() {
    let fleet = Fleet::start(3, "[daemon]\nshared_uids = [0]\n");
    let people: Vec<String> = (0..50).map(|i| format!("person{i}@example.com")).collect();
    fleet.add_accounts(&people, OLD_PASSWORD);
    let fleet = Arc::new(fleet);
    let mut wizards = Vec::new();
    for (i, address) in people.iter().enumerate() {
        let (fleet, address) = (fleet.clone(), address.clone());
        let socket = fleet.socket(i);
        wizards.push(tokio::spawn(async move {
            let service = connect(&[socket]).await;
            let place = format!("ssh 10.0.1.{i}");
            let s = code_sent(&service, &place, &address).await;
            let code = {
                let (fleet, address) = (fleet.clone(), address.clone());
                tokio::task::spawn_blocking(move || fleet.wait_for_codes(&address, 1).remove(0))
                    .await
                    .expect("code read")
            };
            service
                .confirm_code(&s, &secret(&code))
                .await
                .expect("code confirmed");
            let done = service
                .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
                .await
                .expect("password set");
            assert_eq!(done.stage, Stage::PasswordSet);
        }));
    }
    for wizard in wizards {
        wizard.await.expect("the wizard finished");
    }
    for address in &people {
        assert!(fleet.password_is(address, NEW_PASSWORD), "{address}");
        assert_eq!(
            fleet.mails_to(address).len(),
            2,
            "code and notice, once each"
        );
    }
    assert_eq!(fleet.events(AuditKind::PasswordChanged).len(), 50);
    assert!(matches!(
        fleet.store.verify_audit().expect("verify"),
        ChainReport::Intact { .. }
    ));
    // The operator checks the fleet's one trail without any daemon.
    let out = rekey_as_operator(
        &fleet.config,
        &fleet.config.with_extension("d"),
        &["audit", "verify"],
    );
    assert!(
        out.status.success(),
        "audit verify: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_hourly_caps_and_the_ceiling_per_address_hold_across_daemons() {
    let fleet = Fleet::start(
        3,
        "[codes]\nresend_cooldown_secs = 0\n[daemon]\nshared_uids = [0]\n",
    );
    fleet.add_accounts(&[ADA.to_string()], OLD_PASSWORD);
    let limits = rekey::config::Config::default().codes;
    let per_origin = usize::from(limits.max_sends_per_hour);
    // One place's sends, each through the next daemon: the count is the
    // store's, not a process's.
    let mut sent = 0;
    // Kept open: a connection that closes ends its sessions.
    let mut connections = Vec::new();
    // Three places up to their cap, refused after it; a fourth one short.
    for (n, sends) in [
        (1, per_origin),
        (2, per_origin),
        (3, per_origin),
        (4, per_origin - 2),
    ] {
        let place = format!("ssh 198.51.100.{n}");
        let first = connect(&[fleet.socket(n)]).await;
        let s = code_sent(&first, &place, ADA).await;
        sent += 1;
        for k in 1..=sends {
            let service = connect(&[fleet.socket(n + k)]).await;
            service.take_over(&s, &place);
            let answer = service.send_code(&s).await;
            connections.push(service);
            if k < sends {
                answer.expect("under the cap");
                sent += 1;
            } else if n == 4 {
                answer.expect("under the cap and the ceiling");
                sent += 1;
            } else {
                assert!(
                    matches!(
                        answer,
                        Err(ServiceError::Flow(FlowError::HourlyLimit { .. }))
                    ),
                    "send {} from {place}: {answer:?}",
                    k + 1
                );
            }
        }
    }
    // The owner's first is not held back; then the ceiling holds for
    // everyone, on every daemon.
    let owner = connect(&[fleet.socket(0)]).await;
    code_sent(&owner, "ssh 192.0.2.1", ADA).await;
    sent += 1;
    for daemon in 0..3 {
        let late = connect(&[fleet.socket(daemon)]).await;
        let place = format!("ssh 203.0.113.{daemon}");
        let s = late.open_session(&place, "en").await.expect("session");
        late.submit_address(&s, ADA).await.expect("address");
        late.check_slide(&s, &human_slide(&SlideRules::default()))
            .await
            .expect("slide");
        late.request(&s).await.expect("request");
        late.choose_email(&s).await.expect("email");
        let answer = late.send_code(&s).await;
        assert!(
            matches!(
                answer,
                Err(ServiceError::Flow(FlowError::HourlyLimit { .. }))
            ),
            "daemon {daemon}: {answer:?}"
        );
    }
    assert_eq!(
        usize::from(limits.max_sends_per_address_per_hour),
        sent,
        "the ceiling is what was sent"
    );
    assert_eq!(fleet.events(AuditKind::CodeSent).len(), sent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_daemon_killed_mid_traffic_loses_nothing_and_its_queued_mail_goes_once() {
    use common::smtp_server::{Answer, SmtpServer};
    // The mail server is down at first: every code waits in the outbox.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    let fleet = Fleet::start(
        3,
        &format!(
            "[daemon]\nshared_uids = [0]\n\
             [mail]\nsmtp_url = \"smtp://127.0.0.1:{port}\"\nfrom = \"rekey@example.com\"\n\
             retry_base_secs = 1\nretry_max_secs = 1\nsmtp_timeout_secs = 2\n"
        ),
    );
    let people: Vec<String> = (0..12).map(|i| format!("p{i}@example.com")).collect();
    fleet.add_accounts(&people, OLD_PASSWORD);
    let sockets = fleet.sockets();
    let mut sessions = Vec::new();
    for (i, address) in people.iter().enumerate() {
        // Each wizard starts on its own daemon and knows the others.
        let mut list = sockets.clone();
        list.rotate_left(i % 3);
        let service = connect(&list).await;
        let place = format!("ssh 10.0.2.{i}");
        let s = code_sent(&service, &place, address).await;
        sessions.push((service, s, address.clone()));
    }
    let mut fleet = fleet;
    // SIGKILL, with a third of the mail queued through it.
    fleet.daemons[0].kill();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the mail server's port");
    let server = SmtpServer::start_on(listener, vec![Answer::Accept]);

    // Every code arrives, once, with one Message-ID each.
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.received().len() < people.len() {
        assert!(
            Instant::now() < deadline,
            "{} of {} mails arrived",
            server.received().len(),
            people.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A worker still at it would show here as a second copy.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = server.received();
    let ids: std::collections::BTreeSet<String> = received
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(received.len(), people.len(), "each code once");
    assert_eq!(ids.len(), people.len(), "one Message-ID each");
    assert!(fleet.store.pending_outbox().expect("outbox").is_empty());

    // The wizards of the dead daemon go on through the others, and every
    // reset finishes.
    for (service, s, address) in &sessions {
        let mail = received
            .iter()
            .find(|m| m.contains(&format!("To: {address}")))
            .expect("the person's mail");
        let code = mail
            .lines()
            .find_map(common::grouped_code)
            .expect("a code in the mail");
        again_while_lost!(service.confirm_code(s, &secret(&code)).await).expect("confirmed");
        fleet.set_new_password(service, s, address).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_database_restart_says_try_again_then_service_resumes_with_nothing_lost() {
    let mut fleet = Fleet::start(2, "");
    let (wizard, s, code) = fleet.ada_with_a_code().await;

    // PostgreSQL goes away at once, as a crash would.
    fleet.pg.stop("immediate");
    let answer = wizard.confirm_code(&s, &secret(&code)).await;
    assert!(matches!(answer, Err(ServiceError::StoreDown)), "{answer:?}");
    let said = ServiceError::StoreDown.to_string();
    assert!(said.contains("try again in a moment"), "{said}");
    assert!(said.contains("nothing was changed"), "{said}");
    let other = connect(&[fleet.socket(1)]).await;
    let opened = other.open_session("ssh 10.9.9.9", "en").await;
    assert!(matches!(opened, Err(ServiceError::StoreDown)), "{opened:?}");

    // Back, with recovery: the same code, the same session, by itself.
    fleet.pg.start_again();
    let view = again_while_lost!(wizard.confirm_code(&s, &secret(&code)).await)
        .expect("the code still works");
    assert_eq!(view.stage, Stage::CodeConfirmed);
    fleet.set_new_password(&wizard, &s, ADA).await;
    assert!(other.open_session("ssh 10.9.9.9", "en").await.is_ok());
    assert!(matches!(
        fleet.store.verify_audit().expect("verify"),
        ChainReport::Intact { .. }
    ));
}

/// Two processes on one database (as two daemons): the sweep's advisory
/// lock lets one sweep at a time.
#[test]
fn one_daemon_of_the_fleet_sweeps_at_a_time() {
    let pg = PgServer::start();
    pg.migrate();
    let dir = tempfile::tempdir().expect("temp dir");
    let a = Store::open_configured(&pg.settings(), dir.path()).expect("a opens");
    let b = Store::open_configured(&pg.settings(), dir.path()).expect("b opens");
    let turn = a
        .sweep_turn()
        .expect("asked")
        .expect("the first gets its turn");
    assert!(
        b.sweep_turn().expect("asked").is_none(),
        "a second sweeper waits"
    );
    drop(turn);
    assert!(
        b.sweep_turn().expect("asked").is_some(),
        "then it is its turn"
    );
}

/// A message one daemon's worker is taking (its row locked in an open
/// transaction) is passed over by another's, which neither waits nor takes
/// it: `FOR UPDATE SKIP LOCKED`.
#[test]
fn a_worker_passes_over_mail_another_worker_is_taking() {
    use rekey::store::outbox::OutboxMessage;
    use rekey::store::{StoreError, TxResult};
    use std::sync::mpsc;
    let pg = PgServer::start();
    pg.migrate();
    let dir = tempfile::tempdir().expect("temp dir");
    let a = Store::open_configured(&pg.settings(), dir.path()).expect("a opens");
    let b = Store::open_configured(&pg.settings(), dir.path()).expect("b opens");
    let to = EmailAddress::parse(ADA).expect("address");
    let id = a
        .transact(|tx| -> TxResult<u64, StoreError> {
            Ok(tx.queue_mail(&to, "en", OutboxMessage::Probe { lifetime_secs: 600 }, 1)?)
        })
        .expect("queued");
    let (claimed, on_claim) = mpsc::channel();
    let (passed, on_pass) = mpsc::channel();
    let taker = std::thread::spawn(move || {
        a.transact(|tx| -> TxResult<bool, StoreError> {
            let got = tx.claim_outbox_record(id)?.is_some();
            let _ = claimed.send(got);
            // Held until the other worker has looked.
            let _ = on_pass.recv_timeout(Duration::from_secs(10));
            Ok(got)
        })
        .expect("the first worker's transaction")
    });
    assert!(
        on_claim.recv().expect("claimed"),
        "the first worker gets it"
    );
    let started = Instant::now();
    let seen = b
        .transact(|tx| -> TxResult<bool, StoreError> { Ok(tx.claim_outbox_record(id)?.is_some()) })
        .expect("the second worker's transaction");
    assert!(!seen, "the second worker took a message being taken");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the second worker waited for the lock"
    );
    passed.send(()).expect("told");
    assert!(taker.join().expect("joined"));
    let after = b
        .transact(|tx| -> TxResult<bool, StoreError> { Ok(tx.claim_outbox_record(id)?.is_some()) })
        .expect("after");
    assert!(after, "once the first is done, the row is free again");
}

/// `rekey serve` on a database without rekey's schema, or with a newer
/// one, refuses to start and says what to do; `rekey store migrate` twice
/// applies nothing the second time.
#[test]
fn a_daemon_refuses_a_schema_it_does_not_know() {
    let pg = PgServer::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("rekey.toml");
    std::fs::write(&config, pg.toml()).expect("config");
    let serve = || {
        std::process::Command::new(rekey_binary())
            .arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["serve", "--socket"])
            .arg(dir.path().join("rekey.sock"))
            .env_remove("REKEY_STORE_URL")
            .output()
            .expect("rekey runs")
    };
    let out = serve();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("has no rekey schema yet; run `rekey store migrate`"),
        "{said}"
    );

    let migrate = || rekey_as_operator(&config, &dir.path().join("op"), &["store", "migrate"]);
    let first = migrate();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = migrate();
    let said = String::from_utf8_lossy(&again.stdout);
    assert!(said.contains("nothing to apply"), "{said}");
    assert!(!said.contains("applied migration"), "{said}");

    // A later rekey migrated it further: this one does not run on it.
    pg.psql_as_rekey("INSERT INTO rekey_schema (version, description) VALUES (99, 'later')");
    let out = serve();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("written by a newer rekey (schema 99"),
        "{said}"
    );
    let out = migrate();
    assert!(!out.status.success());
}

/// A daemon stopped the normal way (SIGTERM: `systemctl restart`, an
/// upgrade) leaves its wizards' sessions in the shared store, and a wizard
/// goes on through the next daemon without seeing a thing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_daemon_stopped_in_the_middle_hands_its_wizards_to_the_next() {
    let mut fleet = Fleet::start(2, "");
    let (wizard, s, code) = fleet.ada_with_a_code().await;
    assert!(fleet.daemons[0].terminate().success());
    // The very next step is one never sent twice: the closed link is seen
    // before it is sent.
    let view = wizard
        .confirm_code(&s, &secret(&code))
        .await
        .expect("the same code, through the next daemon");
    assert_eq!(view.stage, Stage::CodeConfirmed);
    fleet.set_new_password(&wizard, &s, ADA).await;
}

/// The same when the daemon is SIGKILLed between two steps: its sockets
/// close with it, and its session is in the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_daemon_killed_between_two_steps_hands_its_wizards_to_the_next() {
    let mut fleet = Fleet::start(2, "");
    let (wizard, s, code) = fleet.ada_with_a_code().await;
    fleet.daemons[0].kill();
    let view = wizard
        .confirm_code(&s, &secret(&code))
        .await
        .expect("the same code, through the next daemon");
    assert_eq!(view.stage, Stage::CodeConfirmed);
}

/// Taking a session over is for its own origin only: a wizard elsewhere
/// (another place of a shared uid) that has the session's id gets "no
/// session", on any daemon, and the owner goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_origin_cannot_take_a_session_over() {
    let fleet = Fleet::start(2, "[daemon]\nshared_uids = [0]\n");
    fleet.add_accounts(&[ADA.to_string()], OLD_PASSWORD);
    let owner = connect(&[fleet.socket(0)]).await;
    let s = code_sent(&owner, "ssh 192.0.2.1", ADA).await;
    for daemon in 0..2 {
        let stranger = connect(&[fleet.socket(daemon)]).await;
        stranger.take_over(&s, "ssh 198.51.100.66");
        let answer = stranger.flow_status(&s).await;
        assert!(
            matches!(answer, Err(ServiceError::NoSession)),
            "daemon {daemon}: {answer:?}"
        );
    }
    owner
        .flow_status(&s)
        .await
        .expect("the owner's session is intact");
}

/// The real wizard (`rekey --connect A,B` in a pseudo-terminal) on the code
/// screen when its daemon is stopped: the person types the code and goes
/// on, through the other daemon, and never reads "lost contact".
#[test]
fn the_wizard_goes_on_through_the_next_daemon() {
    use common::pty::{Wizard, right_code, set_password, walk_to_code_sent};
    let mut fleet = Fleet::start(2, "");
    fleet.add_accounts(&[ADA.to_string()], OLD_PASSWORD);
    let list = fleet
        .sockets()
        .iter()
        .map(|s| s.display().to_string())
        .collect::<Vec<_>>()
        .join(",");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::rekey(&["--connect", &list], dir.path());
    walk_to_code_sent(&mut w, ADA);
    let code = fleet.wait_for_codes(ADA, 1).remove(0);
    assert!(fleet.daemons[0].terminate().success());
    right_code(&mut w, &code);
    set_password(&mut w, NEW_PASSWORD);
    assert!(
        !w.transcript().contains("Lost contact"),
        "the person was told of a lost contact"
    );
    assert!(fleet.password_is(ADA, NEW_PASSWORD));
}

/// One connection in the pool is enough: the sweep's lock is held on a
/// connection of its own, so the sweep's steps still get the pool's.
#[test]
fn a_pool_of_one_connection_sweeps_without_waiting_for_itself() {
    let pg = PgServer::start();
    pg.migrate();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = pg.settings();
    settings.pool_size = 1;
    let store = Store::open_configured(&settings, dir.path()).expect("opens");
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let turn = store.sweep_turn().expect("asked").expect("its turn");
        let swept = store
            .sweep_sessions(u64::MAX / 2, 1)
            .and_then(|_| store.sweep_flows(u64::MAX / 2, 1, 1));
        drop(turn);
        let _ = done.send(swept.is_ok());
    });
    assert_eq!(
        finished.recv_timeout(Duration::from_secs(20)),
        Ok(true),
        "the sweep did not finish with one connection"
    );
}

/// `[store]` over TLS: `sslmode=require` and the database's CA in
/// `ca_file`; a server whose certificate that CA did not sign is refused
/// at start with a clear message, and a server that takes no plain
/// connections from rekey's role shows that TLS is what carried it.
#[test]
fn the_store_reaches_postgres_over_tls_and_checks_its_certificate() {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().expect("key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca");
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf");
    let mut pg = PgServer::start();
    pg.with_tls(&leaf.pem(), &leaf_key.serialize_pem());
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_file = dir.path().join("db-ca.pem");
    std::fs::write(&ca_file, ca.pem()).expect("ca");

    let mut settings = pg.settings();
    settings.url = format!("{}?sslmode=require", pg.url());
    settings.ca_file = Some(ca_file);
    let migrated = rekey::store::postgres::Postgres::connect(&settings)
        .expect("connects over TLS")
        .migrate()
        .expect("migrates");
    assert!(!migrated.is_empty());
    let store = Store::open_configured(&settings, dir.path()).expect("opens over TLS");
    assert!(matches!(
        store.verify_audit().expect("reads"),
        ChainReport::Intact { .. }
    ));

    // Without the CA, the system's roots do not know the server.
    let mut unknown = settings.clone();
    unknown.ca_file = None;
    let refused = match Store::open_configured(&unknown, dir.path()) {
        Ok(_) => panic!("a server of an unknown CA was trusted"),
        Err(e) => e.to_string(),
    };
    // A setting to fix, said at once: not a database to wait for.
    assert!(
        refused.contains("cannot connect to the PostgreSQL store"),
        "{refused}"
    );
    assert!(refused.to_lowercase().contains("certificate"), "{refused}");
}
