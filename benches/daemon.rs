//! Daemon figures, through the real `rekey serve` over its Unix socket:
//! how many idle sessions it holds and what they cost in memory, requests
//! a second for a cheap step (the slide) and for a hashing step (a wrong
//! code), peak memory under a burst of 100 password submissions, and a
//! legitimate step's latency while one peer floods the daemon with
//! wrong guesses on made-up addresses. Prints tables; run with `cargo
//! bench --bench daemon` (`-- flood` runs only the last section).
//!
//! The bench's clients and the daemon share the machine's cores, so the
//! rates are those of one box doing both sides.

mod support;
use support::percentile_ms;

use futures::StreamExt;
use futures::future::join_all;
use rekey::operator::OperatorCommand;
use rekey::recovery::{SlideEvidence, Stage};
use rekey::service::{RecoveryService, ServiceError, SocketService};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

// The tests' helpers; among them the harness that runs the real binary on
// a temporary data directory (the module allows its own dead code).
#[path = "../tests/common/mod.rs"]
mod common;
use common::daemon::Daemon;
use common::secret;
use common::{OLD_PASSWORD, eml_files, human_slide, read_mail};

/// Idle sessions held at once: within the default `max_sessions` (1024).
const IDLE_SESSIONS: usize = 1_000;
/// Connections opened at once while filling the daemon.
const OPENING_AT_ONCE: usize = 64;
const SLIDE_CLIENTS: usize = 16;
const SLIDE_RUN: Duration = Duration::from_secs(3);
const CODE_CLIENTS: usize = 16;
const CODE_RUN: Duration = Duration::from_secs(4);
/// Sessions with a code out, prepared before the wrong-code run: more than
/// the run can use, so it is bounded by time, not by work.
const CODE_SESSIONS: usize = 200;
/// Sessions for the one-client run, which is short.
const SINGLE_SESSIONS: usize = 20;
const TRIES_PER_CODE: usize = 5;
const WRONG_CODE: &str = "000000";
const BURST: usize = 100;

/// Rate and connection limits far above what this machine can ask, so
/// they never cap a figure (the defaults are 20 requests a second and 16
/// connections per origin, and every client here is one origin: this uid).
const NO_RATE_LIMITS: &str = "[daemon]\norigin_requests_per_sec = 1000000\nrequests_per_sec = 1000000\n\
     shared_uid_requests_per_sec = 1000000\nconnections_per_origin = 100000\n\
     shared_uid_connections = 100000\n";

fn main() {
    let started = Instant::now();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!("rekey daemon benchmark: `rekey serve` over its Unix socket; {cores} cores shared");
    println!("by the daemon and the bench's clients; wall-clock times.");
    println!(
        "Open-file limit (soft/hard) of the bench: {}; the daemon inherits it.",
        open_files_limit("self")
    );
    println!(
        "Every daemon below runs with the rate limits raised to 1,000,000 requests/s (per origin \
         and in all) so that they do not cap the figures; other settings as each section says."
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let dir = tempfile::tempdir().expect("temp dir");
    if std::env::args().any(|a| a == "flood") {
        runtime.block_on(flood(&dir));
        return;
    }
    let config = format!(
        "{NO_RATE_LIMITS}max_connections = {}\n",
        IDLE_SESSIONS + 100
    );
    let daemon = start_daemon(&dir, "idle", &config);
    runtime.block_on(idle_sessions(&daemon));
    drop(daemon);

    let config = format!("[service]\nreply_floor_ms = 0\n{NO_RATE_LIMITS}");
    let daemon = start_daemon(&dir, "rate", &config);
    runtime.block_on(slide_rate(&daemon));
    runtime.block_on(wrong_code_rate(&daemon));
    drop(daemon);

    let daemon = start_daemon(&dir, "burst", NO_RATE_LIMITS);
    runtime.block_on(password_burst(&daemon, cores));
    drop(daemon);

    runtime.block_on(flood(&dir));

    println!(
        "\ntotal bench time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// A fresh daemon with its own store under `dir/name`.
fn start_daemon(dir: &tempfile::TempDir, name: &str, config: &str) -> Daemon {
    let root = dir.path().join(name);
    std::fs::create_dir_all(&root).expect("daemon root");
    Daemon::start(&root, config)
}

// ---------------------------------------------------------------- helpers

/// A field of /proc/<pid>/status in KiB (VmRSS, VmHWM) or a count (Threads).
fn proc_status(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    text.lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/{pid}/status"))
}

/// "VmRSS x MiB, VmHWM y MiB, n threads" of the daemon now.
fn memory(pid: u32) -> String {
    format!(
        "VmRSS {:.1} MiB, VmHWM {:.1} MiB, {} threads",
        mib(proc_status(pid, "VmRSS")),
        mib(proc_status(pid, "VmHWM")),
        proc_status(pid, "Threads")
    )
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// "soft/hard" from /proc/<who>/limits.
fn open_files_limit(who: &str) -> String {
    let text = std::fs::read_to_string(format!("/proc/{who}/limits")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with("Max open files"))
        .map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            format!("{}/{}", fields[3], fields[4])
        })
        .unwrap_or_else(|| "unknown".into())
}

/// "p50 x ms   p99 y ms   max z ms" of unsorted samples.
fn latencies(samples: &mut [Duration]) -> String {
    samples.sort();
    format!(
        "p50 {:.1} ms   p99 {:.1} ms   max {:.1} ms",
        percentile_ms(samples, 50.0),
        percentile_ms(samples, 99.0),
        percentile_ms(samples, 100.0)
    )
}

async fn connect(daemon: &Daemon) -> (SocketService, SlideEvidence) {
    common::daemon::connect_to(&daemon.socket).await
}

/// A connection with a session that gave `address` and passed the slide.
async fn slid(daemon: &Daemon, address: String) -> (SocketService, String, SlideEvidence) {
    let (service, slide) = connect(daemon).await;
    let session = common::daemon::slid_on(&service, &slide, "bench", &address).await;
    (service, session, slide)
}

/// A connection whose session has a code out for `address`.
async fn code_sent(daemon: &Daemon, address: String) -> (SocketService, String) {
    let (service, slide) = connect(daemon).await;
    let session = common::daemon::code_sent_on(&service, &slide, "bench", &address).await;
    (service, session)
}

// ---------------------------------------------------------------- 1

async fn idle_sessions(daemon: &Daemon) {
    let pid = daemon.pid();
    println!(
        "\n== 1. sessions held at once: {IDLE_SESSIONS} connections, one open session each, \
         then idle =="
    );
    println!(
        "config: max_connections = {} (default 1024), max_sessions = 1024 (default); \
         open-file limit of the daemon: {}",
        IDLE_SESSIONS + 100,
        open_files_limit(&pid.to_string())
    );
    // One session opened and closed first, so lazy start-up is not
    // counted as the sessions' cost.
    {
        let (service, _) = connect(daemon).await;
        let s = service.open_session("bench", "en").await.expect("session");
        service.close_session(&s).await.expect("closed");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rss_before = proc_status(pid, "VmRSS");
    let fds_before = open_files(pid);
    let threads_before = proc_status(pid, "Threads");

    let start = Instant::now();
    let opened: Vec<(SocketService, String, Duration)> = futures::stream::iter(0..IDLE_SESSIONS)
        .map(|_| async {
            let t = Instant::now();
            let (service, _) = connect(daemon).await;
            let s = service.open_session("bench", "en").await.expect("session");
            (service, s, t.elapsed())
        })
        .buffer_unordered(OPENING_AT_ONCE)
        .collect()
        .await;
    let fill = start.elapsed();
    let mut times: Vec<Duration> = opened.iter().map(|(_, _, t)| *t).collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after = proc_status(pid, "VmRSS");
    let fds_after = open_files(pid);
    let threads_after = proc_status(pid, "Threads");

    // Still served with all of them held: one more step on the first.
    let (first, first_session, _) = &opened[0];
    let t = Instant::now();
    first
        .submit_address(first_session, "still-served@example.com")
        .await
        .expect("a held session still answers");
    let held_step = t.elapsed();

    println!(
        "opened {} sessions in {:.2} s ({OPENING_AT_ONCE} opening at a time); connect + \
         handshake + open_session: {}",
        opened.len(),
        fill.as_secs_f64(),
        latencies(&mut times)
    );
    println!(
        "daemon VmRSS: {:.1} MiB before, {:.1} MiB with {} idle sessions: {:.1} KiB per idle \
         session (connection included)",
        mib(rss_before),
        mib(rss_after),
        opened.len(),
        (rss_after.saturating_sub(rss_before)) as f64 / opened.len() as f64
    );
    println!(
        "daemon open files: {fds_before} before, {fds_after} with them held; threads: \
         {threads_before} before, {threads_after} after"
    );
    println!(
        "a step on a held session with all {} held: {:.1} ms",
        opened.len(),
        held_step.as_secs_f64() * 1000.0
    );

    let start = Instant::now();
    drop(opened);
    let deadline = start + Duration::from_secs(30);
    while open_files(pid) > fds_before && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let closed = start.elapsed();
    println!(
        "all disconnected: the daemon closed their sessions and sockets in {:.2} s; VmRSS then \
         {:.1} MiB",
        closed.as_secs_f64(),
        mib(proc_status(pid, "VmRSS"))
    );
}

// ---------------------------------------------------------------- 2

/// `clients` connections each calling check_slide on their own session
/// for `run`: (answers, elapsed, latencies, failures).
async fn slide_run(
    daemon: &Daemon,
    clients: usize,
    run: Duration,
    tag: &str,
) -> (usize, Duration, Vec<Duration>, usize) {
    let ready =
        join_all((0..clients).map(|i| slid(daemon, format!("slide-{tag}-{i}@example.com")))).await;
    support::slide_run(&ready, run).await
}

async fn slide_rate(daemon: &Daemon) {
    println!("\n== 2. a cheap step: check_slide (one flushed store write with its audit event) ==");
    println!(
        "{:<9} {:>7} {:>9} {:>9}   latency",
        "clients", "answers", "seconds", "req/s"
    );
    for (clients, run) in [(1, Duration::from_secs(1)), (SLIDE_CLIENTS, SLIDE_RUN)] {
        let (answers, elapsed, mut times, failures) =
            slide_run(daemon, clients, run, &clients.to_string()).await;
        println!(
            "{:<9} {:>7} {:>9.2} {:>9.0}   {}{}",
            clients,
            answers,
            elapsed.as_secs_f64(),
            answers as f64 / elapsed.as_secs_f64(),
            latencies(&mut times),
            if failures > 0 {
                format!("   ({failures} failed)")
            } else {
                String::new()
            }
        );
    }
    println!("daemon after this section: {}", memory(daemon.pid()));
}

// ---------------------------------------------------------------- 3

async fn wrong_code_rate(daemon: &Daemon) {
    println!(
        "\n== 3. a hashing step: confirm_code with a wrong code (one argon2id verify each) =="
    );
    println!(
        "config: reply_floor_ms = 0 (default 400: the floor would set these times), \
         hashing.max_concurrent = cores (default); addresses without accounts, which do the \
         same hashing; {TRIES_PER_CODE} tries per code, so each session is used for \
         {TRIES_PER_CODE} then left"
    );
    let start = Instant::now();
    let prepared: Vec<(SocketService, String)> =
        futures::stream::iter(0..CODE_SESSIONS + SINGLE_SESSIONS)
            .map(|i| code_sent(daemon, format!("nobody{i}@example.com")))
            .buffer_unordered(CODE_CLIENTS)
            .collect()
            .await;
    println!(
        "prepared {} sessions with a code out in {:.2} s (each send_code hashes the code)",
        prepared.len(),
        start.elapsed().as_secs_f64()
    );
    let mut prepared = prepared;
    let single: Vec<_> = prepared.split_off(CODE_SESSIONS);
    println!(
        "{:<9} {:>7} {:>9} {:>9}   latency",
        "clients", "answers", "seconds", "req/s"
    );
    for (clients, sessions, run) in [
        (1, single, Duration::from_millis(1500)),
        (CODE_CLIENTS, prepared, CODE_RUN),
    ] {
        let offered = sessions.len() * TRIES_PER_CODE;
        let (answers, elapsed, mut times, failures) =
            support::wrong_code_run(sessions, clients, run, TRIES_PER_CODE, WRONG_CODE).await;
        println!(
            "{:<9} {:>7} {:>9.2} {:>9.0}   {}{}",
            clients,
            answers,
            elapsed.as_secs_f64(),
            answers as f64 / elapsed.as_secs_f64(),
            latencies(&mut times),
            if answers + failures.len() >= offered {
                "   (ran out of prepared codes before the time was up)"
            } else {
                ""
            }
        );
        if let Some(first) = failures.first() {
            println!("   {} calls failed, the first: {first}", failures.len());
        }
    }
    println!("daemon after this section: {}", memory(daemon.pid()));
}

// ---------------------------------------------------------------- 4

/// Distinct four-word phrases the policy takes (15+ characters, zxcvbn 3+).
fn new_password(i: usize) -> String {
    const WORDS: &[&str] = &[
        "correct", "horse", "battery", "staple", "river", "window", "orange", "castle", "pencil",
        "garden", "silver", "rocket", "marble", "forest", "candle", "puzzle", "winter", "anchor",
        "velvet", "harbor", "thunder", "meadow", "copper", "falcon", "jigsaw", "quartz", "saddle",
        "tunnel", "zephyr", "blanket", "cactus", "walrus", "pepper", "glacier", "lemon", "orchid",
        "tundra", "violin", "basket", "comet", "dragon", "ember",
    ];
    let n = WORDS.len();
    format!(
        "{} {} {} {} {i}",
        WORDS[i % n],
        WORDS[(i / n + 7) % n],
        WORDS[(i * 5 + 13) % n],
        WORDS[(i * 11 + 29) % n]
    )
}

/// The codes delivered under `mail_dir`, by recipient.
fn codes_by_address(mail_dir: &Path) -> HashMap<String, String> {
    eml_files(mail_dir)
        .iter()
        .map(|path| read_mail(path))
        .filter_map(|mail| {
            let code = mail
                .subject
                .strip_prefix("Your rekey verification code: ")?;
            Some((mail.to.clone(), code.to_string()))
        })
        .collect()
}

async fn password_burst(daemon: &Daemon, cores: usize) {
    let pid = daemon.pid();
    println!("\n== 4. a burst: {BURST} new passwords submitted at once ==");
    println!(
        "config: hashing.max_concurrent = {cores} (default: the cores), argon2id m = 19 MiB; \
         reply_floor_ms = 400 (default); each set_password: zxcvbn, a history check (one \
         argon2id verify against the old password) and one argon2id hash"
    );
    let start = Instant::now();
    let addresses: Vec<String> = (0..BURST)
        .map(|i| format!("person{i}@example.com"))
        .collect();
    let operators = join_all((0..cores).map(|_| connect(daemon))).await;
    join_all(operators.iter().enumerate().map(|(k, (operator, _))| {
        let addresses = &addresses;
        async move {
            for address in addresses.iter().skip(k).step_by(cores) {
                let outcome = operator
                    .operator(OperatorCommand::UserAdd {
                        email: address.clone(),
                        name: "Bench Account".into(),
                        password: Zeroizing::new(OLD_PASSWORD.into()),
                    })
                    .await
                    .expect("the daemon answers");
                outcome.expect("account added");
            }
        }
    }))
    .await;
    drop(operators);
    println!(
        "  {BURST} accounts added (operator `user add`, {cores} at a time): {}",
        memory(pid)
    );

    let clients = join_all(addresses.iter().map(|a| code_sent(daemon, a.clone()))).await;
    println!("  {BURST} codes sent: {}", memory(pid));
    let deadline = Instant::now() + Duration::from_secs(60);
    let codes = loop {
        let codes = codes_by_address(&daemon.mail_dir());
        if codes.len() >= BURST {
            break codes;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {BURST} code mails arrived",
            codes.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let passwords: Vec<String> = (0..BURST).map(new_password).collect();
    join_all(clients.iter().zip(&addresses).zip(&passwords).map(
        |(((service, session), address), password)| {
            let code = &codes[address];
            async move {
                let view = service
                    .confirm_code(session, &secret(code))
                    .await
                    .expect("the mailed code is right");
                assert_eq!(view.stage, Stage::CodeConfirmed);
                let verdict = service
                    .assess_password(session, &secret(password))
                    .await
                    .expect("assessed");
                assert!(verdict.passes(), "{password}: {verdict:?}");
            }
        },
    ))
    .await;
    println!(
        "  {BURST} codes confirmed, new passwords checked by the meter: {}",
        memory(pid)
    );
    println!("set-up took {:.2} s", start.elapsed().as_secs_f64());

    tokio::time::sleep(Duration::from_millis(200)).await;
    let hwm_before = proc_status(pid, "VmHWM");
    let rss_before = proc_status(pid, "VmRSS");
    let start = Instant::now();
    let answers = join_all(clients.iter().zip(&passwords).map(
        |((service, session), password)| async move {
            let outcome = service
                .set_password(session, &secret(password), &secret(password))
                .await;
            (start.elapsed(), outcome)
        },
    ))
    .await;
    let all_answered = start.elapsed();
    let hwm_after = proc_status(pid, "VmHWM");
    let rss_after = proc_status(pid, "VmRSS");
    let set = answers
        .iter()
        .filter(|(_, o)| matches!(o, Ok(view) if view.stage == Stage::PasswordSet))
        .count();
    let mut times: Vec<Duration> = answers.iter().map(|(t, _)| *t).collect();
    println!(
        "{set} of {BURST} passwords set; all answered {:.2} s after the burst was sent \
         ({:.1} ms of wall time per submission)",
        all_answered.as_secs_f64(),
        all_answered.as_secs_f64() * 1000.0 / BURST as f64
    );
    println!(
        "time to each answer from the burst's start: {}",
        latencies(&mut times)
    );
    println!(
        "daemon VmHWM (peak resident): {:.1} MiB before the burst, {:.1} MiB after \
         (+{:.1} MiB); VmRSS {:.1} MiB before, {:.1} MiB after",
        mib(hwm_before),
        mib(hwm_after),
        mib(hwm_after.saturating_sub(hwm_before)),
        mib(rss_before),
        mib(rss_after)
    );
    println!(
        "(argon2id runs at most {cores} at once here: {cores} x 19 MiB of working memory at a time)"
    );
    if let Some((_, Err(e))) = answers.iter().find(|(_, o)| o.is_err()) {
        println!("   a refusal: {e:?}");
    }
}

// ---------------------------------------------------------------- 5

/// Connections of the flooding peer.
const FLOOD_CONNECTIONS: usize = 60;
/// Legitimate steps timed in each run.
const LEGIT_STEPS: usize = 40;

/// One flooding connection: made-up addresses, each a code asked for and
/// five wrong guesses (six argon2 hashes, no mail), until `stop`.
async fn flood_one(
    socket: std::path::PathBuf,
    n: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> usize {
    let Ok((service, rules)) = SocketService::connect(&socket).await else {
        return 0;
    };
    let slide = human_slide(&rules.slide);
    let mut guesses = 0;
    let mut round = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        round += 1;
        let Ok(s) = service.open_session("ssh 198.51.100.7", "en").await else {
            break;
        };
        let address = format!("made-up-{n}-{round}@example.com");
        let _ = service.submit_address(&s, &address).await;
        let _ = service.check_slide(&s, &slide).await;
        let _ = service.request(&s).await;
        let _ = service.choose_email(&s).await;
        let _ = service.send_code(&s).await;
        for _ in 0..TRIES_PER_CODE {
            if service.confirm_code(&s, &secret(WRONG_CODE)).await.is_ok() {
                break;
            }
            guesses += 1;
        }
        let _ = service.close_session(&s).await;
    }
    guesses
}

/// A legitimate person's steps, from another place: send_code (one hash)
/// and a wrong guess (one verify), each timed.
async fn legit_steps(daemon: &Daemon) -> (Vec<Duration>, Vec<Duration>) {
    let (service, slide) = connect(daemon).await;
    let (mut sends, mut guesses) = (Vec::new(), Vec::new());
    for i in 0..LEGIT_STEPS {
        let s = service
            .open_session("ssh 203.0.113.9", "en")
            .await
            .expect("session");
        service
            .submit_address(&s, &format!("person{i}@example.com"))
            .await
            .expect("address");
        service.check_slide(&s, &slide).await.expect("slide");
        service.request(&s).await.expect("request");
        service.choose_email(&s).await.expect("email");
        let t = Instant::now();
        service.send_code(&s).await.expect("code sent");
        sends.push(t.elapsed());
        let t = Instant::now();
        let answer = service.confirm_code(&s, &secret(WRONG_CODE)).await;
        assert!(
            matches!(answer, Err(ServiceError::WrongCode { .. })),
            "{answer:?}"
        );
        guesses.push(t.elapsed());
        service.close_session(&s).await.expect("closed");
    }
    (sends, guesses)
}

async fn flood(dir: &tempfile::TempDir) {
    println!(
        "\n== 5. a legitimate step while one peer floods: {FLOOD_CONNECTIONS} connections of \
         wrong guesses on made-up addresses =="
    );
    let uid = nix::unistd::getuid().as_raw();
    println!(
        "config: reply_floor_ms = 0 (the 400 ms floor would hide the times), cooldown 0, this \
         uid in daemon.shared_uids so the flood (ssh 198.51.100.7) and the person (ssh \
         203.0.113.9) are two origins, request and connection limits raised so that only the \
         hash share bounds the flood; each flood round: send_code + {TRIES_PER_CODE} wrong \
         guesses = 6 argon2 hashes"
    );
    println!("run: send_code latency | a wrong guess's latency | the flood's guesses a second");
    let mut quiet_p50 = None;
    for (name, share) in [
        ("no flood", None),
        ("flood, per-origin share 0 (half)", Some(0)),
        ("flood, no share (= max_concurrent)", Some(64)),
    ] {
        let hashing = match share {
            Some(64) => format!(
                "[hashing]\nmax_concurrent_per_origin = {}\n",
                std::thread::available_parallelism().map_or(1, |n| n.get())
            ),
            _ => String::new(),
        };
        let config = format!(
            "[service]\nreply_floor_ms = 0\n[codes]\nresend_cooldown_secs = 0\n\
             max_sends_per_hour = 100\nmax_sends_per_address_per_hour = 200\n{hashing}\
             {NO_RATE_LIMITS}shared_uids = [{uid}]\n"
        );
        let daemon = start_daemon(dir, &format!("flood-{}", share.unwrap_or(1)), &config);
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let mut flooders = Vec::new();
        if share.is_some() {
            for n in 0..FLOOD_CONNECTIONS {
                flooders.push(tokio::spawn(flood_one(
                    daemon.socket.clone(),
                    n,
                    stop.clone(),
                )));
            }
            // Let the flood fill the queue first.
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        let started = Instant::now();
        let (mut sends, mut guesses) = legit_steps(&daemon).await;
        let elapsed = started.elapsed();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut flood_guesses = 0;
        for f in flooders {
            flood_guesses += f.await.unwrap_or(0);
        }
        guesses.sort();
        let p50 = percentile_ms(&guesses, 50.0);
        if share.is_none() {
            quiet_p50 = Some(p50);
        }
        let ratio = quiet_p50.map_or(String::new(), |q| {
            format!("   {:.1}x the quiet p50", p50 / q)
        });
        println!(
            "{name:<35} {} | {} | {:.0}/s{}",
            latencies(&mut sends),
            latencies(&mut guesses),
            flood_guesses as f64 / elapsed.as_secs_f64(),
            if share.is_some() {
                ratio
            } else {
                String::new()
            }
        );
    }
}
