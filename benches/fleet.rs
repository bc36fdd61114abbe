//! Fleet figures, through real `rekey serve` processes over their Unix
//! sockets: requests a second for a cheap step (the slide) and a hashing
//! step (a wrong code) with 1, 2 and 3 daemons on one PostgreSQL, and one
//! daemon on sled for comparison; and what one whole recovery costs on
//! each store. The clients are spread over the daemons. Run with `cargo
//! bench --bench fleet`.
//!
//! Everything shares this machine's cores: the daemons, PostgreSQL and
//! the bench's clients. More daemons here do not add cores; on a fleet
//! each box brings its own.

mod support;
use support::percentile_ms;

use futures::StreamExt;
use futures::future::join_all;
use rekey::recovery::{SlideEvidence, Stage};
use rekey::service::{RecoveryService, SocketService};
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;
use common::daemon::Daemon;
use common::postgres::PgServer;
use common::{NEW_PASSWORD, OLD_PASSWORD, secret};

const CLIENTS: usize = 16;
const SLIDE_RUN: Duration = Duration::from_secs(3);
const CODE_RUN: Duration = Duration::from_secs(4);
const CODE_SESSIONS: usize = 160;
const TRIES_PER_CODE: usize = 5;
const FLOWS: usize = 10;

/// No floor (it would set every time) and limits far above what this
/// machine can ask, so they never cap a figure.
const CONFIG: &str = "[service]\nreply_floor_ms = 0\n\
     [daemon]\norigin_requests_per_sec = 1000000\nrequests_per_sec = 1000000\n\
     shared_uid_requests_per_sec = 1000000\nconnections_per_origin = 100000\n\
     shared_uid_connections = 100000\n";

/// How a setup is made, by its tag.
type MakeSetup = fn() -> Setup;

struct Setup {
    name: String,
    daemons: Vec<Daemon>,
    _pg: Option<PgServer>,
    _dir: tempfile::TempDir,
}

impl Setup {
    fn sled() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("sled");
        std::fs::create_dir_all(&root).expect("root");
        Self {
            name: "sled, 1 daemon".into(),
            daemons: vec![Daemon::start(&root, CONFIG)],
            _pg: None,
            _dir: dir,
        }
    }

    fn postgres(n: usize) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = PgServer::start();
        pg.migrate();
        let config = format!("{CONFIG}{}", pg.toml());
        let daemons = (0..n)
            .map(|i| {
                let root = dir.path().join(format!("d{i}"));
                std::fs::create_dir_all(&root).expect("root");
                Daemon::start(&root, &config)
            })
            .collect();
        Self {
            name: format!("PostgreSQL, {n} daemon{}", if n == 1 { "" } else { "s" }),
            daemons,
            _pg: Some(pg),
            _dir: dir,
        }
    }

    fn socket(&self, i: usize) -> PathBuf {
        self.daemons[i % self.daemons.len()].socket.clone()
    }

    fn code_for(&self, address: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            for daemon in &self.daemons {
                if let Some(code) = common::daemon::codes_mailed(&daemon.mail_dir(), address).pop()
                {
                    return code;
                }
            }
            assert!(Instant::now() < deadline, "no code for {address}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

async fn slid(socket: PathBuf, address: String) -> (SocketService, String, SlideEvidence) {
    let (service, slide) = common::daemon::connect_to(&socket).await;
    let session = common::daemon::slid_on(&service, &slide, "bench", &address).await;
    (service, session, slide)
}

async fn code_sent(socket: PathBuf, address: String) -> (SocketService, String) {
    let (service, slide) = common::daemon::connect_to(&socket).await;
    let session = common::daemon::code_sent_on(&service, &slide, "bench", &address).await;
    (service, session)
}

fn rate(answers: usize, elapsed: Duration, times: &[Duration]) -> String {
    format!(
        "{:>7.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms",
        answers as f64 / elapsed.as_secs_f64(),
        percentile_ms(times, 50.0),
        percentile_ms(times, 99.0)
    )
}

/// check_slide from CLIENTS sessions spread over the daemons.
async fn cheap(setup: &Setup, tag: &str) -> String {
    let ready = join_all(
        (0..CLIENTS).map(|i| slid(setup.socket(i), format!("slide-{tag}-{i}@example.com"))),
    )
    .await;
    let (answers, elapsed, mut times, failures) = support::slide_run(&ready, SLIDE_RUN).await;
    times.sort();
    format!("{}{}", rate(answers, elapsed, &times), failed(failures))
}

/// Wrong codes (an argon2id verify each) from CLIENTS workers over
/// sessions spread over the daemons.
async fn hashing(setup: &Setup, tag: &str) -> String {
    let prepared: Vec<(SocketService, String)> = futures::stream::iter(0..CODE_SESSIONS)
        .map(|i| code_sent(setup.socket(i), format!("nobody-{tag}-{i}@example.com")))
        .buffer_unordered(CLIENTS)
        .collect()
        .await;
    let offered = prepared.len() * TRIES_PER_CODE;
    let (answers, elapsed, mut times, failures) =
        support::wrong_code_run(prepared, CLIENTS, CODE_RUN, TRIES_PER_CODE, "000000").await;
    times.sort();
    let ran_out = answers + failures.len() >= offered;
    format!(
        "{}{}{}",
        rate(answers, elapsed, &times),
        failed(failures.len()),
        if ran_out { " (ran out of codes)" } else { "" }
    )
}

/// "(N failed)" when some did.
fn failed(failures: usize) -> String {
    if failures > 0 {
        format!(" ({failures} failed)")
    } else {
        String::new()
    }
}

/// Whole recoveries one after another, each through the next daemon: the
/// time of the wizard's calls, the wait for the mail left out.
async fn flows(setup: &Setup, tag: &str) -> String {
    let people: Vec<String> = (0..FLOWS)
        .map(|i| format!("flow-{tag}-{i}@example.com"))
        .collect();
    for address in &people {
        setup.daemons[0].add_user(address, "Someone", OLD_PASSWORD);
    }
    let mut times = Vec::new();
    for (i, address) in people.iter().enumerate() {
        let mut spent = Duration::ZERO;
        let t = Instant::now();
        let (service, session) = code_sent(setup.socket(i), address.clone()).await;
        spent += t.elapsed();
        let code = setup.code_for(address);
        let t = Instant::now();
        service
            .confirm_code(&session, &secret(&code))
            .await
            .expect("confirmed");
        let view = service
            .set_password(&session, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
            .await
            .expect("password set");
        assert_eq!(view.stage, Stage::PasswordSet);
        spent += t.elapsed();
        times.push(spent);
    }
    times.sort();
    format!(
        "p50 {:>6.1} ms  max {:>6.1} ms",
        percentile_ms(&times, 50.0),
        percentile_ms(&times, 100.0)
    )
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "rekey fleet benchmark: real `rekey serve` processes over Unix sockets; {cores} cores \
         shared by the daemons, PostgreSQL {} and the clients; reply floor off, rate limits \
         raised.",
        common::postgres::version()
    );
    println!(
        "cheap step: check_slide from {CLIENTS} clients for {} s; hashing step: a wrong code \
         (argon2id verify) from {CLIENTS} clients for {} s; flow: a whole recovery (open, \
         address, slide, request, e-mail, send, confirm, set password), {FLOWS} in a row, \
         without the wait for its mail.",
        SLIDE_RUN.as_secs(),
        CODE_RUN.as_secs()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let only: Option<String> = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    let setups: [(&str, MakeSetup); 4] = [
        ("sled", Setup::sled),
        ("pg1", || Setup::postgres(1)),
        ("pg2", || Setup::postgres(2)),
        ("pg3", || Setup::postgres(3)),
    ];
    for (tag, make) in setups {
        if only.as_deref().is_some_and(|o| o != tag) {
            continue;
        }
        let setup = make();
        println!("\n== {} ==", setup.name);
        println!("cheap step   {}", runtime.block_on(cheap(&setup, tag)));
        println!("hashing step {}", runtime.block_on(hashing(&setup, tag)));
        println!("whole flow   {}", runtime.block_on(flows(&setup, tag)));
    }
}
