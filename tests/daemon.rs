//! The daemon, as the real `rekey serve` process: many wizards at once
//! over its socket, limits that hold across connections, connections that
//! break the protocol, a SIGKILL in the middle of traffic, SIGTERM and
//! SIGHUP, and operator commands through it.

mod common;
use common::secret;

use common::daemon::{Daemon, TEST_CONFIG, rekey_binary, seed_accounts, wait_for_code};
use common::{NEW_PASSWORD, OLD_PASSWORD, human_slide, requested};
use rekey::directory::{OwnAccounts, SledDirectory};
use rekey::recovery::{EmailAddress, FlowError, SlideRules, Stage, SystemClock};
use rekey::service::frame::{FRAME_TIMEOUT, read_message, write_message};
use rekey::service::protocol::{Hello, Request, Welcome};
use rekey::service::{RecoveryService, ServiceError, SessionId, SocketService};
use rekey::store::Store;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream as StdStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// For tests whose many wizards all run in this one process: to the
/// daemon they are one origin (this uid), whose default rate (20 a second)
/// and connections (16) are one person's.
const ONE_PROCESS_MANY_WIZARDS: &str = "[service]\nreply_floor_ms = 50\n[daemon]\n\
     origin_requests_per_sec = 1000\nconnections_per_origin = 1000\n\
     shared_uid_connections = 1000\n";

/// This test's uid as a shared one: its connections are told apart by the
/// place each wizard reports, as the recovery user's SSH wizards are.
fn shared_uid_config() -> String {
    let uid = nix::unistd::getuid().as_raw();
    format!("[service]\nreply_floor_ms = 50\n[daemon]\nshared_uids = [{uid}]\n")
}

/// Whether `password` is `address`'s, read from the store on disk (the
/// daemon must have stopped).
fn password_is(data_dir: &Path, address: &str, password: &str) -> bool {
    let store = Store::open(data_dir).expect("store opens");
    let directory = SledDirectory::new(store, Arc::new(SystemClock));
    let address = EmailAddress::parse(address).expect("address");
    directory.verify(&address, password).expect("verified")
}

async fn connect(daemon: &Daemon) -> SocketService {
    SocketService::connect(&daemon.socket)
        .await
        .expect("the daemon answers")
        .0
}

/// Takes a session as far as a code in the mail; the code.
async fn code_sent(daemon: &Daemon, service: &SocketService, address: &str) -> (SessionId, String) {
    let s = requested(service, address).await;
    service.choose_email(&s).await.expect("email chosen");
    service.send_code(&s).await.expect("code sent");
    let (dir, to) = (daemon.mail_dir(), address.to_string());
    let code = tokio::task::spawn_blocking(move || wait_for_code(&dir, &to, 1))
        .await
        .expect("mail read");
    (s, code)
}

/// A distinct password that meets the policy.
fn password_for(i: usize) -> String {
    format!("{NEW_PASSWORD} number {i}")
}

fn out_text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_wizards_at_once_each_recover_their_own_account() {
    let root = tempfile::tempdir().unwrap();
    let accounts: Vec<(String, String)> = (0..50)
        .map(|i| (format!("person{i}@example.com"), OLD_PASSWORD.to_string()))
        .collect();
    seed_accounts(&root.path().join("data"), &accounts);
    let mut daemon = Daemon::start(root.path(), ONE_PROCESS_MANY_WIZARDS);
    let mut wizards = tokio::task::JoinSet::new();
    let shared = Arc::new(DaemonPaths::of(&daemon));
    for i in 0..50 {
        let shared = shared.clone();
        wizards.spawn(async move {
            let address = format!("person{i}@example.com");
            let (service, _) = SocketService::connect(&shared.socket)
                .await
                .expect("connect");
            let s = requested(&service, &address).await;
            service.choose_email(&s).await.expect("email chosen");
            service.send_code(&s).await.expect("code sent");
            let (dir, to) = (shared.mail.clone(), address.clone());
            let code = tokio::task::spawn_blocking(move || wait_for_code(&dir, &to, 1))
                .await
                .unwrap();
            let view = service
                .confirm_code(&s, &secret(&code))
                .await
                .expect("right code");
            assert_eq!(view.stage, Stage::CodeConfirmed);
            let pw = password_for(i);
            let done = service
                .set_password(&s, &secret(&pw), &secret(&pw))
                .await
                .expect("set");
            assert_eq!(done.stage, Stage::PasswordSet);
            service.close_session(&s).await.expect("closed");
            i
        });
    }
    let mut finished = Vec::new();
    while let Some(done) = wizards.join_next().await {
        finished.push(done.expect("a wizard finished"));
    }
    assert_eq!(finished.len(), 50);
    assert!(daemon.terminate().success());
    let data = &daemon.data_dir;
    for i in 0..50 {
        let address = format!("person{i}@example.com");
        assert!(password_is(data, &address, &password_for(i)), "{address}");
        assert!(!password_is(data, &address, OLD_PASSWORD), "{address}");
    }
}

/// What the wizard tasks need of the daemon without holding it.
struct DaemonPaths {
    socket: std::path::PathBuf,
    mail: std::path::PathBuf,
}

impl DaemonPaths {
    fn of(daemon: &Daemon) -> Self {
        Self {
            socket: daemon.socket.clone(),
            mail: daemon.mail_dir(),
        }
    }
}

/// A session of a person at `place`, with Request pressed on `address`.
async fn requested_at(service: &SocketService, place: &str, address: &str) -> SessionId {
    requested_as(service, place, address, false).await
}

/// As [`requested_at`]; a plain session (the line mode's) has no slide.
async fn requested_as(
    service: &SocketService,
    place: &str,
    address: &str,
    plain: bool,
) -> SessionId {
    let s = if plain {
        service.open_plain_session(place, "en").await
    } else {
        service.open_session(place, "en").await
    }
    .expect("session");
    service.submit_address(&s, address).await.expect("address");
    if !plain {
        service
            .check_slide(&s, &human_slide(&SlideRules::default()))
            .await
            .expect("slide");
    }
    service.request(&s).await.expect("requested");
    s
}

/// A stranger who knows the owner's address, on connections of their own
/// from another place, asks for codes five times and guesses five times,
/// with the default cooldown: the owner, asking at once after, gets a code
/// without waiting, with its five tries, and it sets the password. The
/// stranger's guesses and requests spend, replace and delay nothing of the
/// owner's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_with_five_guesses_and_five_requests_cannot_lock_the_owner_out() {
    stranger_cannot_lock_the_owner_out(false).await;
}

/// The same stranger on plain sessions (the line mode's, which skip the
/// slide): exactly the same limits, tries and cooldowns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stranger_on_plain_sessions_gets_the_same_limits() {
    stranger_cannot_lock_the_owner_out(true).await;
}

async fn stranger_cannot_lock_the_owner_out(plain: bool) {
    let root = tempfile::tempdir().unwrap();
    let address = "ada@example.com";
    seed_accounts(
        &root.path().join("data"),
        &[(address.to_string(), OLD_PASSWORD.to_string())],
    );
    let daemon = Daemon::start(root.path(), &shared_uid_config());
    let mail = |count| {
        let (dir, to) = (daemon.mail_dir(), address.to_string());
        tokio::task::spawn_blocking(move || wait_for_code(&dir, &to, count))
    };
    // The stranger goes first: a code of their own (mailed to the owner),
    // five wrong guesses at it, and four more requests.
    let stranger = connect(&daemon).await;
    let s = requested_as(&stranger, "ssh 198.51.100.7", address, plain).await;
    stranger.choose_email(&s).await.unwrap();
    stranger
        .send_code(&s)
        .await
        .expect("the stranger's own code");
    let theirs = mail(1).await.unwrap();
    let wrong = if theirs == "000000" {
        "111111"
    } else {
        "000000"
    };
    for tries_left in (0..5).rev() {
        let answer = stranger.confirm_code(&s, &secret(wrong)).await;
        assert!(
            matches!(answer, Err(ServiceError::WrongCode { attempts_left }) if attempts_left == tries_left),
            "{answer:?}"
        );
    }
    for _ in 0..4 {
        let answer = stranger.send_code(&s).await;
        assert!(
            matches!(
                answer,
                Err(ServiceError::Flow(FlowError::ResendTooSoon { .. }))
            ),
            "the stranger waits for their own cooldown: {answer:?}"
        );
    }
    // The owner, at their own place, asks at once and gets a code.
    let owner = connect(&daemon).await;
    let o = requested_at(&owner, "ssh 203.0.113.9", address).await;
    owner.choose_email(&o).await.unwrap();
    let view = owner
        .send_code(&o)
        .await
        .expect("the owner is not held back");
    assert_eq!(view.code.map(|c| c.attempts_left), Some(5));
    let code = mail(2).await.unwrap();
    // The stranger, on a fresh connection and session, types the owner's
    // code: it is not theirs, and it spends none of the owner's tries.
    let again = connect(&daemon).await;
    let s2 = requested_as(&again, "ssh 198.51.100.7", address, plain).await;
    again.choose_email(&s2).await.unwrap();
    assert!(
        again.send_code(&s2).await.is_err(),
        "still in their cooldown"
    );
    for _ in 0..5 {
        let answer = again.confirm_code(&s2, &secret(&code)).await;
        assert!(answer.is_err(), "{answer:?}");
    }
    let view = owner.flow_status(&o).await.unwrap();
    assert_eq!(view.code.map(|c| c.attempts_left), Some(5));
    let view = owner
        .confirm_code(&o, &secret(&code))
        .await
        .expect("the owner's code");
    assert_eq!(view.stage, Stage::CodeConfirmed);
    let done = owner
        .set_password(&o, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .unwrap();
    assert_eq!(done.stage, Stage::PasswordSet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cannot_use_a_session_another_connection_opened() {
    let root = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(root.path(), TEST_CONFIG);
    let alice = connect(&daemon).await;
    let s = alice.open_session("test", "en").await.unwrap();
    let mallory = connect(&daemon).await;
    let stolen = mallory.submit_address(&s, "ada@example.com").await;
    assert!(matches!(stolen, Err(ServiceError::NoSession)), "{stolen:?}");
    // The owner's session is untouched.
    alice.submit_address(&s, "ada@example.com").await.unwrap();
}

/// Reads until the daemon closes the stream; false if it stays open for
/// `within`.
fn closed_by_daemon(stream: &mut StdStream, within: Duration) -> bool {
    stream.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => continue,
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

fn greeted(daemon: &Daemon) -> StdStream {
    let mut stream = StdStream::connect(&daemon.socket).unwrap();
    let hello = serde_json::to_vec(&Hello::this_build()).unwrap();
    stream.write_all(&frame(&hello)).unwrap();
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_oversized_and_stalled_frames_drop_only_that_connection() {
    let root = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(root.path(), TEST_CONFIG);
    let good = connect(&daemon).await;
    let s = good.open_session("test", "en").await.unwrap();

    let quick = Duration::from_secs(5);
    // Not a frame at all, before the handshake.
    let mut noise = StdStream::connect(&daemon.socket).unwrap();
    noise
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(closed_by_daemon(&mut noise, quick), "noise before hello");
    // A well-formed frame that is not JSON rekey knows.
    let mut garbled = greeted(&daemon);
    garbled.write_all(&frame(b"{\"Nonsense\":42}")).unwrap();
    assert!(closed_by_daemon(&mut garbled, quick), "garbled request");
    // A header announcing 1 GiB: refused before any of it is read.
    let mut huge = greeted(&daemon);
    huge.write_all(&(1u32 << 30).to_be_bytes()).unwrap();
    assert!(closed_by_daemon(&mut huge, quick), "oversized frame");
    // Half a frame, then nothing: dropped once the frame timeout passes.
    let mut stalled = greeted(&daemon);
    stalled.write_all(&100u32.to_be_bytes()).unwrap();
    stalled.write_all(b"{\"Request\"").unwrap();
    assert!(
        closed_by_daemon(&mut stalled, Duration::from_secs(20)),
        "stalled frame"
    );

    // The well-behaved wizard was served all along.
    good.submit_address(&s, "ada@example.com").await.unwrap();
    let log = daemon.log_text();
    assert!(log.contains("dropped the connection"), "{log}");
}

/// A client that sends and never reads: once the daemon's answers fill
/// the socket, its write waits no longer than a frame's deadline, and the
/// connection (with its slot) is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_at_the_write_deadline() {
    let root = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(root.path(), ONE_PROCESS_MANY_WIZARDS);
    let mut deaf = greeted(&daemon);
    let request = serde_json::to_vec(&Request::FlowStatus {
        session: "no such session".into(),
    })
    .unwrap();
    let one = frame(&request);
    let burst: Vec<u8> = one.iter().copied().cycle().take(one.len() * 2000).collect();
    deaf.set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let started = Instant::now();
    // Requests until the daemon stops reading them: its answers have
    // filled what the socket holds.
    while started.elapsed() < Duration::from_secs(20) && deaf.write_all(&burst).is_ok() {}
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the daemon kept reading; nothing filled up"
    );
    std::thread::sleep(FRAME_TIMEOUT + Duration::from_secs(2));
    // Reading now drains what was answered, then finds the end.
    assert!(
        closed_by_daemon(&mut deaf, Duration::from_secs(5)),
        "the connection is still open"
    );
    // Everyone else is served.
    let good = connect(&daemon).await;
    good.open_session("test", "en").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wizard_of_another_protocol_is_told_to_match_versions() {
    let root = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(root.path(), TEST_CONFIG);
    let mut stream = tokio::net::UnixStream::connect(&daemon.socket)
        .await
        .unwrap();
    let old = Hello {
        protocol: 0,
        version: "0.0.9".into(),
    };
    write_message(&mut stream, &old).await.unwrap();
    let welcome: Option<Welcome> = read_message(&mut stream, 1 << 20).await.unwrap();
    match welcome {
        Some(Welcome::Refused { message }) => {
            assert!(message.contains("rekey 0.0.9 (protocol 0)"), "{message}");
            assert!(message.contains("install the same version"), "{message}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    let nowhere = root.path().join("nowhere.sock");
    let Err(e) = SocketService::connect(&nowhere).await else {
        panic!("connected to nothing");
    };
    assert!(
        e.to_string().starts_with(&format!(
            "cannot reach the rekey daemon at {}",
            nowhere.display()
        )),
        "{e}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_daemon_killed_mid_traffic_loses_nothing_and_everyone_carries_on() {
    let root = tempfile::tempdir().unwrap();
    let accounts: Vec<(String, String)> = (0..5)
        .map(|i| (format!("kill{i}@example.com"), OLD_PASSWORD.to_string()))
        .collect();
    seed_accounts(&root.path().join("data"), &accounts);
    let config = format!("{ONE_PROCESS_MANY_WIZARDS}[codes]\nresend_cooldown_secs = 0\n");
    let mut daemon = Daemon::start(root.path(), &config);

    // One change that was answered before the kill must survive it.
    let finisher = connect(&daemon).await;
    let (s, code) = code_sent(&daemon, &finisher, "kill0@example.com").await;
    finisher.confirm_code(&s, &secret(&code)).await.unwrap();
    let changed = password_for(0);
    finisher
        .set_password(&s, &secret(&changed), &secret(&changed))
        .await
        .unwrap();
    // Four flows left waiting with a code in the mail.
    let mut codes = Vec::new();
    for i in 1..5 {
        let wizard = connect(&daemon).await;
        let address = format!("kill{i}@example.com");
        let (_, code) = code_sent(&daemon, &wizard, &address).await;
        codes.push((address, code));
    }
    // Traffic in the air when the daemon dies.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut traffic = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (socket, stop) = (daemon.socket.clone(), stop.clone());
        traffic.spawn(async move {
            let Ok((service, _)) = SocketService::connect(&socket).await else {
                return;
            };
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let Ok(s) = service.open_session("load", "en").await else {
                    return;
                };
                let address = format!("nobody{i}@example.com");
                if service.submit_address(&s, &address).await.is_err() {
                    return;
                }
                let _ = service
                    .check_slide(&s, &human_slide(&SlideRules::default()))
                    .await;
                let _ = service.request(&s).await;
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(400)).await;
    daemon.kill();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    while traffic.join_next().await.is_some() {}

    daemon.restart();
    let audit = daemon.operator(&["audit", "verify"], "");
    assert!(audit.status.success(), "{:?}", out_text(&audit));
    // The codes belonged to sessions that died with the daemon: each
    // person asks again in a new session, and the new code works.
    for (address, old) in &codes {
        let wizard = connect(&daemon).await;
        let s = requested(&wizard, address).await;
        let view = wizard.choose_email(&s).await.unwrap();
        assert!(view.code.is_none(), "a new session has no code yet");
        wizard.send_code(&s).await.expect("a new code");
        let (dir, to) = (daemon.mail_dir(), address.clone());
        let code = tokio::task::spawn_blocking(move || wait_for_code(&dir, &to, 2))
            .await
            .unwrap();
        if code != *old {
            let answer = wizard.confirm_code(&s, &secret(old)).await;
            assert!(
                matches!(answer, Err(ServiceError::WrongCode { .. })),
                "{answer:?}"
            );
        }
        wizard
            .confirm_code(&s, &secret(&code))
            .await
            .expect("the new code works");
        let pw = format!("{NEW_PASSWORD} after the restart");
        let done = wizard
            .set_password(&s, &secret(&pw), &secret(&pw))
            .await
            .unwrap();
        assert_eq!(done.stage, Stage::PasswordSet);
    }
    assert!(daemon.terminate().success());
    assert!(password_is(&daemon.data_dir, "kill0@example.com", &changed));
    let after = format!("{NEW_PASSWORD} after the restart");
    for (address, _) in &codes {
        assert!(password_is(&daemon.data_dir, address, &after), "{address}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_the_request_in_flight_finish_and_leaves_nothing_behind() {
    let root = tempfile::tempdir().unwrap();
    let address = "ada@example.com";
    seed_accounts(
        &root.path().join("data"),
        &[(address.to_string(), OLD_PASSWORD.to_string())],
    );
    // A long reply floor keeps "send code" in flight while SIGTERM lands.
    let mut daemon = Daemon::start(root.path(), "[service]\nreply_floor_ms = 1500\n");
    let wizard = connect(&daemon).await;
    let s = requested(&wizard, address).await;
    wizard.choose_email(&s).await.unwrap();
    let sending = tokio::spawn(async move { wizard.send_code(&s).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    daemon.signal("TERM");
    let answer = sending.await.unwrap();
    assert!(
        answer.is_ok(),
        "the request in flight was answered: {answer:?}"
    );
    assert!(daemon.terminate_already_signalled().success());
    assert!(!daemon.socket.exists(), "the socket is removed");
    assert!(!daemon.data_dir.join("daemon.socket").exists());
    let log = daemon.log_text();
    assert!(log.contains("stopped; the store is flushed"), "{log}");

    // The code it answered for was queued durably: the mail goes out.
    // (The code belonged to the session that ended with the connection;
    // the person asks for a new one.)
    daemon.restart();
    wait_for_code(&daemon.mail_dir(), address, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reads_the_config_again_and_keeps_it_when_the_file_is_bad() {
    let root = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(root.path(), TEST_CONFIG);
    let (_, rules) = SocketService::connect(&daemon.socket).await.unwrap();
    assert_eq!(rules.policy.min_length, 15);

    std::fs::write(
        &daemon.config,
        format!("{TEST_CONFIG}[password]\nmin_length = 20\n"),
    )
    .unwrap();
    daemon.signal("HUP");
    wait_for_log(&daemon, "read ").await;
    let (_, rules) = SocketService::connect(&daemon.socket).await.unwrap();
    assert_eq!(rules.policy.min_length, 20);

    std::fs::write(&daemon.config, "[password]\nmin_length = 3\n").unwrap();
    daemon.signal("HUP");
    wait_for_log(&daemon, "kept the settings in use").await;
    let (_, rules) = SocketService::connect(&daemon.socket).await.unwrap();
    assert_eq!(rules.policy.min_length, 20);
}

async fn wait_for_log(daemon: &Daemon, words: &str) {
    for _ in 0..500 {
        if daemon.log_text().contains(words) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the log never said {words:?}: {}", daemon.log_text());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_limit_and_the_rate_limit_answer_busy() {
    let root = tempfile::tempdir().unwrap();
    let config = format!(
        "{TEST_CONFIG}[daemon]\nmax_sessions = 3\norigin_requests_per_sec = 5\nrequests_per_sec = 100\n"
    );
    let daemon = Daemon::start(root.path(), &config);
    let mut wizards = Vec::new();
    for _ in 0..3 {
        let w = connect(&daemon).await;
        let s = w.open_session("test", "en").await.unwrap();
        wizards.push((w, s));
    }
    let fourth = connect(&daemon).await;
    let refused = fourth.open_session("test", "en").await;
    assert!(matches!(refused, Err(ServiceError::Busy)), "{refused:?}");
    // A wizard that leaves frees its place.
    let (w, s) = wizards.pop().unwrap();
    w.close_session(&s).await.unwrap();
    drop(w);
    let s = fourth.open_session("test", "en").await.expect("room again");

    // This user has spent its burst (2 x 5); the next requests wait.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut busy = 0;
    for _ in 0..30 {
        if let Err(ServiceError::Busy) = fourth.submit_address(&s, "ada@example.com").await {
            busy += 1;
        }
    }
    assert!(
        busy >= 15,
        "only {busy} of 30 quick requests were held back"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    fourth
        .submit_address(&s, "ada@example.com")
        .await
        .expect("served again after a pause");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_commands_reach_the_store_through_the_daemon_for_root_only() {
    let root = tempfile::tempdir().unwrap();
    let config = format!("{TEST_CONFIG}[daemon]\nsocket_mode = \"0666\"\n");
    let daemon = Daemon::start(root.path(), &config);
    // Found through the note in the data directory: no --connect needed.
    daemon.add_user("ada@example.com", "Ada Lovelace", OLD_PASSWORD);
    let list = daemon.operator(&["user", "list"], "");
    let (stdout, stderr) = out_text(&list);
    assert!(list.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("ada@example.com\tAda Lovelace\t"),
        "{stdout}"
    );
    let wrong = daemon.operator(&["user", "verify", "ada@example.com"], "not it\n");
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(out_text(&wrong).1, "rekey: password is wrong\n");
    let retry = daemon.operator(&["outbox", "retry"], "");
    assert_eq!(
        out_text(&retry).0,
        "queued again: 0; the daemon delivers them now\n"
    );
    let audit = daemon.operator(&["audit"], "");
    let (trail, _) = out_text(&audit);
    assert!(
        trail.contains("account_added") && trail.contains("[operator, uid 0 (root) pid "),
        "{trail}"
    );

    // Anyone else may reach the socket (0666) but not the operator commands.
    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped the refusal check: it needs root to run as another user");
        return;
    }
    std::fs::set_permissions(
        root.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let as_nobody = |args: &[&str]| {
        let out = Command::new(rekey_binary())
            .args(["--connect"])
            .arg(&daemon.socket)
            .args(args)
            .env("HOME", "/")
            .uid(65534)
            .gid(65534)
            .output()
            .expect("rekey runs as nobody");
        (out.status.code(), out_text(&out).1)
    };
    let (code, stderr) = as_nobody(&["user", "list"]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.starts_with("rekey: operator commands through the rekey daemon are for root, the daemon's own user; uid 65534 (nobody) pid "),
        "{stderr}"
    );
    // The refusal is in the log and in the audit trail, with who tried.
    wait_for_log(&daemon, "an operator command was refused").await;
    let (trail, _) = out_text(&daemon.operator(&["audit"], ""));
    let refused = trail
        .lines()
        .find(|l| l.contains("operator_refused"))
        .unwrap_or_else(|| panic!("no refusal in the trail: {trail}"));
    assert!(
        refused.contains("user list: not an operator") && refused.contains("uid 65534 (nobody)"),
        "{refused}"
    );
    // The admin group lets its members in.
    std::fs::write(
        &daemon.config,
        format!("{config}admin_group = \"nogroup\"\n"),
    )
    .unwrap();
    daemon.signal("HUP");
    wait_for_log(&daemon, "read ").await;
    let (code, stderr) = as_nobody(&["user", "list"]);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn the_embedded_wizard_and_a_second_daemon_are_told_who_holds_the_store() {
    let root = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(root.path(), TEST_CONFIG);
    let wizard = Command::new(rekey_binary())
        .arg("--data-dir")
        .arg(&daemon.data_dir)
        .output()
        .unwrap();
    assert_eq!(wizard.status.code(), Some(2));
    assert_eq!(
        out_text(&wizard).1,
        format!(
            "rekey: a rekey daemon holds this store; run `rekey --connect {}` instead\n",
            daemon.socket.display()
        )
    );
    let second = Command::new(rekey_binary())
        .arg("--data-dir")
        .arg(&daemon.data_dir)
        .args(["serve", "--socket"])
        .arg(root.path().join("other.sock"))
        .output()
        .unwrap();
    assert_eq!(second.status.code(), Some(2));
    assert_eq!(
        out_text(&second).1,
        format!(
            "rekey: a rekey daemon already serves the store in {} on {}\n",
            daemon.data_dir.display(),
            daemon.socket.display()
        )
    );
    let other_store = Command::new(rekey_binary())
        .arg("--data-dir")
        .arg(root.path().join("other-data"))
        .args(["serve", "--socket"])
        .arg(&daemon.socket)
        .output()
        .unwrap();
    assert_eq!(other_store.status.code(), Some(2));
    assert_eq!(
        out_text(&other_store).1,
        format!(
            "rekey: a daemon is already listening on {}\n",
            daemon.socket.display()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wizard_beyond_the_connection_limit_is_told_rekey_is_busy() {
    let root = tempfile::tempdir().unwrap();
    let config = format!("{TEST_CONFIG}[daemon]\nmax_connections = 1\n");
    let daemon = Daemon::start(root.path(), &config);
    // The harness's own "is it up yet" connection may still hold the one
    // slot for a moment.
    let first = served_once_free(&daemon).await;
    let Err(refused) = SocketService::connect(&daemon.socket).await else {
        panic!("a second connection was served");
    };
    assert_eq!(
        refused.to_string(),
        format!(
            "the rekey daemon at {} refused this wizard: rekey is serving as many people as \
             it can; please try again in a minute",
            daemon.socket.display()
        )
    );
    // When the first leaves, the next is served.
    drop(first);
    let service = served_once_free(&daemon).await;
    service.open_session("test", "en").await.unwrap();
}

/// Connections count per origin, not per process: forking more wizards
/// does not get a uid more than its share, and for a shared uid each place
/// has its own, under a ceiling for the whole uid.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_count_per_origin_under_a_ceiling_for_a_shared_uid() {
    let root = tempfile::tempdir().unwrap();
    let config = format!("{TEST_CONFIG}[daemon]\nconnections_per_origin = 3\n");
    let daemon = Daemon::start(root.path(), &config);
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(served_once_free(&daemon).await);
    }
    let Err(refused) = SocketService::connect(&daemon.socket).await else {
        panic!("a fourth connection of one uid was served");
    };
    assert!(
        refused
            .to_string()
            .contains("rekey is serving as many people"),
        "{refused}"
    );
    drop(held);
    served_once_free(&daemon).await;
    drop(daemon);

    let root = tempfile::tempdir().unwrap();
    let config = format!(
        "{}connections_per_origin = 2\nshared_uid_connections = 5\n",
        shared_uid_config()
    );
    let daemon = Daemon::start(root.path(), &config);
    let mut places = Vec::new();
    for place in ["ssh 203.0.113.9", "ssh 203.0.113.9", "ssh 198.51.100.7"] {
        let service = served_once_free(&daemon).await;
        service.open_session(place, "en").await.expect("a session");
        places.push(service);
    }
    // A fourth connection takes the second slot of 198.51.100.7, then asks
    // for the full 203.0.113.9: refused, and still counted where it was.
    let third = served_once_free(&daemon).await;
    third
        .open_session("ssh 198.51.100.7", "en")
        .await
        .expect("a session");
    let busy = third.open_session("ssh 203.0.113.9", "en").await;
    assert!(matches!(busy, Err(ServiceError::Busy)), "{busy:?}");
    let fifth = served_once_free(&daemon).await;
    let busy = fifth.open_session("ssh 198.51.100.7", "en").await;
    assert!(
        matches!(busy, Err(ServiceError::Busy)),
        "198.51.100.7 lost the count of a refused connection: {busy:?}"
    );
    fifth
        .open_session("ssh 192.0.2.1", "en")
        .await
        .expect("another place");
    // Five connections of the uid are open: the ceiling.
    let Err(_) = SocketService::connect(&daemon.socket).await else {
        panic!("a sixth connection of the shared uid was served");
    };
}

/// `rekey mail test` while a daemon runs goes the daemon's way: here its
/// `.eml` files, not a directory of the operator's own.
#[test]
fn mail_test_through_the_daemon_goes_where_its_mail_goes() {
    let root = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(root.path(), TEST_CONFIG);
    let elsewhere = tempfile::tempdir().unwrap();
    let out = Command::new(rekey_binary())
        .arg("--data-dir")
        .arg(elsewhere.path())
        .arg("--connect")
        .arg(&daemon.socket)
        .args(["mail", "test", "ops@example.com"])
        .output()
        .unwrap();
    let (stdout, stderr) = out_text(&out);
    assert!(out.status.success(), "{stderr}");
    let written = daemon.mail_dir().join("rekey-test.eml");
    assert!(stdout.contains(&written.display().to_string()), "{stdout}");
    assert!(written.exists());
    assert!(!elsewhere.path().join("mail").exists());
}

/// A connection, once the daemon has a slot free for it.
async fn served_once_free(daemon: &Daemon) -> SocketService {
    for _ in 0..250 {
        if let Ok((service, _)) = SocketService::connect(&daemon.socket).await {
            return service;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no slot came free within 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_connection_without_a_session_is_closed_and_the_wizard_reconnects_by_itself() {
    let root = tempfile::tempdir().unwrap();
    let config = format!("{TEST_CONFIG}[daemon]\nidle_without_session_secs = 1\n");
    let daemon = Daemon::start(root.path(), &config);
    // A client that only connected holds no slot for long.
    let mut idle = greeted(&daemon);
    assert!(closed_by_daemon(&mut idle, Duration::from_secs(10)));
    // A wizard left on its landing screen past that: its next start still
    // opens a session, on a new connection.
    let wizard = connect(&daemon).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let s = wizard.open_session("test", "en").await.expect("reopened");
    // With a session open, the session's own idle time applies.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    wizard
        .submit_address(&s, "ada@example.com")
        .await
        .expect("still connected");
}
