//! The store's size over a kiosk's long life: 10,000 recoveries, half of
//! them completed and half abandoned after the code was sent, on a real
//! sled store in the service's own process, with the mail worker writing
//! `.eml` files. A test clock moves 3 hours between recoveries (about
//! 3.4 years in all), so the retentions (sessions, flows, sent mail after
//! 7 days, the audit trail after 400 days) all come into play; the size is
//! sampled every 1,000 recoveries and once more after a reopen. Run with
//! `cargo bench --bench store`. (`.eml` files go by their age on disk, in
//! real time, so on the fast test clock they go at each removal, every 100
//! recoveries; `tests/mail.rs` shows the 7 days.)
//!
//! The argon2 cost is lowered to 1 MiB and one pass so the run takes
//! minutes: a hash is the same length whatever its cost, so the sizes are
//! those of a real store.

use rekey::config::Config;
use rekey::directory::{OwnAccounts, SledDirectory};
use rekey::mail::{MailDir, OutboxWorker};
use rekey::recovery::hashing::{HashCost, hash_secret};
use rekey::recovery::{Clock, EmailAddress, ManualClock, SlideRules};
use rekey::service::{LocalService, RecoveryService};
use rekey::store::Store;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../tests/common/mod.rs"]
mod common;
use common::secret;
use common::{codes_queued, human_slide};

const RECOVERIES: usize = 10_000;
const SAMPLE_EVERY: usize = 1_000;
const ACCOUNTS: usize = 50;
const BETWEEN: Duration = Duration::from_secs(3 * 3600);
const START_MS: u64 = 1_790_000_000_000;

fn bytes_under(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => bytes_under(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

struct Kiosk {
    store: Store,
    service: LocalService,
    worker: OutboxWorker,
    clock: ManualClock,
}

fn open(dir: &Path, clock: &ManualClock, config: &Config, cost: HashCost) -> Kiosk {
    let store = Store::open(dir).expect("store opens");
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let directory = SledDirectory::new(store.clone(), shared.clone()).with_hash_cost(cost);
    let service = LocalService::new(
        store.clone(),
        Arc::new(directory),
        shared.clone(),
        config.clone(),
    );
    let transport = Arc::new(MailDir::new(&dir.join("mail")));
    let worker = OutboxWorker::new(store.clone(), transport, shared, config.mail.clone());
    Kiosk {
        store,
        service,
        worker,
        clock: clock.clone(),
    }
}

/// This process's resident memory, in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

fn sample(k: &Kiosk, dir: &Path, done: &str, started: Instant) {
    let audit = k.store.audit_events().expect("audit").len();
    let outbox = k.store.outbox().expect("outbox").len();
    let mail_files = std::fs::read_dir(dir.join("mail")).map_or(0, |d| d.count());
    println!(
        "{done:>8} {:>10.2} {:>10.2} {:>10.2} {audit:>8} {outbox:>7} {mail_files:>6} {:>8.1} {:>8.0}",
        mib(bytes_under(&dir.join("store"))),
        mib(bytes_under(&dir.join("audit"))),
        mib(k.store.size_on_disk().expect("size")),
        rss_mib(),
        started.elapsed().as_secs_f64()
    );
}

async fn recover(k: &Kiosk, slide: &rekey::recovery::SlideEvidence, i: usize) {
    let service = &k.service;
    let complete = i.is_multiple_of(2);
    let address = if complete {
        format!("person{}@example.com", (i / 2) % ACCOUNTS)
    } else {
        format!("nobody{i}@example.com")
    };
    let s = service
        .open_session("kiosk lobby", "en")
        .await
        .expect("session");
    service.submit_address(&s, &address).await.expect("address");
    service.check_slide(&s, slide).await.expect("slide");
    service.request(&s).await.expect("request");
    service.choose_email(&s).await.expect("email");
    service.send_code(&s).await.expect("code");
    if complete {
        let code = codes_queued(&k.store, &address).pop().expect("a code");
        service
            .confirm_code(&s, &secret(&code))
            .await
            .expect("right code");
        let password = format!("lantern quietly orbits moth number {i}");
        service
            .set_password(&s, &secret(&password), &secret(&password))
            .await
            .expect("password set");
        service.close_session(&s).await.expect("closed");
    }
    // An abandoned session is left as the person left it.
    k.worker.deliver_due().await.expect("mail");
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let mut config = Config::default();
    config.service.reply_floor_ms = 0;
    let cost = HashCost {
        memory_kib: 1024,
        iterations: 1,
        parallelism: 1,
    };
    config.hashing.memory_kib = cost.memory_kib;
    config.hashing.iterations = cost.iterations;
    let clock = ManualClock::starting_at(START_MS);
    let k = open(dir, &clock, &config, cost);
    for n in 0..ACCOUNTS {
        let address = EmailAddress::parse(&format!("person{n}@example.com")).expect("address");
        let hash = hash_secret(b"an old password of theirs", &cost).expect("hash");
        let directory = SledDirectory::new(k.store.clone(), Arc::new(clock.clone()));
        directory
            .add_account(&address, "", &hash, "bench")
            .expect("account");
    }
    let slide = human_slide(&SlideRules::default());
    println!(
        "rekey store bench: {RECOVERIES} recoveries, every other one completed ({ACCOUNTS} \
         accounts), the rest abandoned with a code out; 3 hours between recoveries on a test \
         clock; defaults otherwise (audit.retention_days 400, mail.keep_delivered_days 7, \
         sessions idle 30 min); argon2 lowered to 1 MiB, t=1 (sizes do not depend on it)."
    );
    println!(
        "{:>8} {:>10} {:>10} {:>10} {:>8} {:>7} {:>6} {:>8} {:>8}",
        "done", "files MiB", "journal", "sled MiB", "audit", "outbox", ".eml", "RSS MiB", "secs"
    );
    let started = Instant::now();
    sample(&k, dir, "0", started);
    for i in 0..RECOVERIES {
        runtime.block_on(recover(&k, &slide, i));
        if (i + 1).is_multiple_of(100) {
            runtime
                .block_on(k.worker.forget_delivered())
                .expect("old mail removed");
        }
        k.clock.advance(BETWEEN);
        if (i + 1).is_multiple_of(SAMPLE_EVERY) {
            // Pruning runs off the request path: let it finish.
            std::thread::sleep(Duration::from_millis(200));
            sample(&k, dir, &(i + 1).to_string(), started);
        }
    }
    drop(k);
    std::thread::sleep(Duration::from_millis(500));
    let k = open(dir, &clock, &config, cost);
    sample(&k, dir, "reopened", started);
}
