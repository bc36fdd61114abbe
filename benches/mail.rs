//! Mail figures: the time from "Get a verification code" to the message
//! accepted by an SMTP server on loopback (p50 and p99 over 100 sends),
//! and how many queued messages a second the outbox worker delivers with
//! 1,000 waiting. Prints a table; run with `cargo bench --bench mail`.

mod support;
use support::percentile_ms;

use rekey::config::Config;
use rekey::directory::{OwnAccounts, SledDirectory};
use rekey::mail::{MailSettings, OutboxWorker, Smtp};
use rekey::recovery::hashing::hash_secret;
use rekey::recovery::{Clock, EmailAddress, SlideEvidence, SystemClock};
use rekey::service::{LocalService, RecoveryService};
use rekey::store::outbox::OutboxMessage;
use rekey::store::{Store, StoreError, TxResult};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;

// The tests' SMTP server: real SMTP on loopback, accepting every message.
#[allow(dead_code)]
#[path = "../tests/common/smtp_server.rs"]
mod smtp_server;

const SENDS: usize = 100;
const QUEUED: usize = 1_000;

async fn code_to_server(port: u16) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut config = Config::default();
    config.service.reply_floor_ms = 0;
    let hash = hash_secret(
        b"lantern quietly orbits seventeen moths",
        &config.hash_cost(),
    )
    .expect("hash");
    let directory = SledDirectory::new(store.clone(), clock.clone());
    for i in 0..SENDS {
        let address = EmailAddress::parse(&format!("person{i}@example.com")).expect("address");
        directory
            .add_account(&address, "", &hash, "bench")
            .expect("account");
    }
    let url = format!("smtp://127.0.0.1:{port}");
    let settings = MailSettings {
        smtp_url: url.clone(),
        ..MailSettings::default()
    };
    let smtp = Smtp::from_url(&url, Duration::from_secs(5), None).expect("smtp");
    let worker = OutboxWorker::new(store.clone(), Arc::new(smtp), clock.clone(), settings);
    let service = LocalService::new(store.clone(), Arc::new(directory), clock, config.clone())
        .with_mail_waker(worker.waker());
    let mut delivered = worker.deliveries();
    let (_stop, stop_rx) = watch::channel(false);
    tokio::spawn(worker.run(stop_rx));

    let slide = SlideEvidence {
        notch_times_ms: (0..u32::from(config.slide.notches))
            .map(|i| i * 33)
            .collect(),
    };
    let mut times = Vec::with_capacity(SENDS);
    for i in 0..SENDS {
        let s = service.open_session("bench", "en").await.expect("session");
        service
            .submit_address(&s, &format!("person{i}@example.com"))
            .await
            .expect("address");
        service.check_slide(&s, &slide).await.expect("slide");
        service.request(&s).await.expect("request");
        service.choose_email(&s).await.expect("email");
        let before = *delivered.borrow_and_update();
        let start = Instant::now();
        service.send_code(&s).await.expect("code");
        while *delivered.borrow_and_update() == before {
            delivered.changed().await.expect("worker runs");
        }
        times.push(start.elapsed());
    }
    times.sort();
    println!(
        "== Get a verification code → accepted by an SMTP server on loopback, {SENDS} sends =="
    );
    println!(
        "p50 {:.1} ms   p99 {:.1} ms   max {:.1} ms   (includes hashing the code: argon2id, ~17 ms)",
        percentile_ms(&times, 50.0),
        percentile_ms(&times, 99.0),
        percentile_ms(&times, 100.0)
    );
}

async fn throughput(port: u16) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(dir.path()).expect("store");
    let clock = SystemClock;
    let now = clock.now();
    for i in 0..QUEUED {
        let to = EmailAddress::parse(&format!("queued{i}@example.com")).expect("address");
        store
            .transact(|tx| -> TxResult<(), StoreError> {
                let notice = OutboxMessage::PasswordChanged {
                    at_ms: now,
                    client: "bench".into(),
                };
                tx.queue_mail(&to, "en", notice, now)?;
                Ok(())
            })
            .expect("queued");
    }
    let url = format!("smtp://127.0.0.1:{port}");
    let smtp = Smtp::from_url(&url, Duration::from_secs(5), None).expect("smtp");
    let settings = MailSettings {
        smtp_url: url,
        ..MailSettings::default()
    };
    let worker = OutboxWorker::new(store, Arc::new(smtp), Arc::new(clock), settings);
    let start = Instant::now();
    let sent = worker.deliver_due().await.expect("delivered");
    let elapsed = start.elapsed().as_secs_f64();
    println!("== outbox throughput: {QUEUED} queued, one worker, SMTP on loopback ==");
    println!(
        "{sent} delivered in {:.2} s: {:.0} messages/s (each one SMTP conversation and one flushed store write)",
        elapsed,
        sent as f64 / elapsed
    );
}

/// One SMTP delivery alone, without the store: where the per-message time
/// goes.
async fn bare_delivery(port: u16) {
    use rekey::mail::Transport;
    let url = format!("smtp://127.0.0.1:{port}");
    let smtp = Smtp::from_url(&url, Duration::from_secs(5), None).expect("smtp");
    let message = rekey::mail::worker::test_message(&MailSettings::default(), "ada@example.com")
        .expect("message");
    let mut times = Vec::new();
    for _ in 0..50 {
        let start = Instant::now();
        smtp.deliver("bench", &message).await.expect("delivered");
        times.push(start.elapsed());
    }
    times.sort();
    println!("== one SMTP delivery alone (lettre, loopback), 50 sends ==");
    println!(
        "p50 {:.1} ms   p99 {:.1} ms",
        percentile_ms(&times, 50.0),
        percentile_ms(&times, 99.0)
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let server = smtp_server::SmtpServer::start(vec![smtp_server::Answer::Accept]).await;
        let port = server.port;
        println!("rekey mail benchmark: 2 cores, wall-clock times.");
        bare_delivery(port).await;
        code_to_server(port).await;
        throughput(port).await;
    });
}
