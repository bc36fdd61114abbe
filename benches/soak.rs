//! The daemon's memory over a long run of complete recoveries: `rekey
//! serve` (the real binary) with mail going over SMTP to a loopback sink,
//! four wizards each taking accounts through code, confirmation and a new
//! password, one after another, for an hour. The daemon's RSS is sampled
//! every minute; the bench prints the slope over the first and the last
//! half. Run with `cargo bench --bench soak` (REKEY_SOAK_MINUTES to change
//! the length). All four wizards are one origin (this uid), so the request
//! rate limit is raised.

use futures::future::join_all;
use rekey::config::Config;
use rekey::directory::{OwnAccounts, SledDirectory};
use rekey::recovery::hashing::hash_secret;
use rekey::recovery::{Clock, EmailAddress, SystemClock};
use rekey::service::{RecoveryService, SocketService};
use rekey::store::Store;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

#[path = "../tests/common/mod.rs"]
mod common;
use common::daemon::Daemon;
use common::secret;
use common::smtp_server::SmtpServer;
use common::{grouped_code, human_slide};

const CLIENTS: usize = 4;
const ACCOUNTS_PER_CLIENT: usize = 200;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Least-squares slope of (minute, KiB) points, in KiB a minute.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let cov: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let var: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if var == 0.0 { 0.0 } else { cov / var }
}

type Codes = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<String>>>>;

/// Hands each code mail's code to the wizard waiting for that address.
async fn route_codes(mut mail: mpsc::UnboundedReceiver<String>, codes: Codes) {
    while let Some(message) = mail.recv().await {
        let to = message
            .lines()
            .find_map(|l| l.strip_prefix("To: "))
            .map(|t| t.trim().to_string());
        let code = message.lines().find_map(grouped_code);
        if let (Some(to), Some(code)) = (to, code)
            && let Some(waiting) = codes.lock().expect("codes").get(&to)
        {
            let _ = waiting.send(code);
        }
    }
}

async fn wizard(
    socket: std::path::PathBuf,
    client: usize,
    codes: Codes,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicUsize>,
) {
    let (service, rules) = SocketService::connect(&socket).await.expect("connect");
    let slide = human_slide(&rules.slide);
    let mut round = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let address = format!(
            "soak{}@example.com",
            client * ACCOUNTS_PER_CLIENT + round % ACCOUNTS_PER_CLIENT
        );
        let (tx, mut rx) = mpsc::unbounded_channel();
        codes.lock().expect("codes").insert(address.clone(), tx);
        let s = service.open_session("soak", "en").await.expect("session");
        service.submit_address(&s, &address).await.expect("address");
        service.check_slide(&s, &slide).await.expect("slide");
        service.request(&s).await.expect("request");
        service.choose_email(&s).await.expect("email");
        service.send_code(&s).await.expect("code sent");
        let code = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("the code mail within 30 s")
            .expect("a code");
        service
            .confirm_code(&s, &secret(&code))
            .await
            .expect("right code");
        let password = format!("lantern quietly orbits moth {client} {round}");
        service
            .set_password(&s, &secret(&password), &secret(&password))
            .await
            .expect("password set");
        service.close_session(&s).await.expect("closed");
        codes.lock().expect("codes").remove(&address);
        done.fetch_add(1, Ordering::Relaxed);
        round += 1;
    }
}

fn main() {
    let minutes: u64 = std::env::var("REKEY_SOAK_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(60);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tmp = tempfile::tempdir().expect("temp dir");
    {
        let store = Store::open(&tmp.path().join("data")).expect("store");
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let directory = SledDirectory::new(store.clone(), clock);
        let hash = hash_secret(b"an old password of theirs", &Config::default().hash_cost())
            .expect("hash");
        for n in 0..CLIENTS * ACCOUNTS_PER_CLIENT {
            let address = EmailAddress::parse(&format!("soak{n}@example.com")).expect("address");
            directory
                .add_account(&address, "", &hash, "bench")
                .expect("account");
        }
        store.flush().expect("flushed");
    }
    runtime.block_on(async {
        let (mail_tx, mail_rx) = mpsc::unbounded_channel();
        let sink = SmtpServer::forwarding(mail_tx).await;
        let codes: Codes = Arc::default();
        tokio::spawn(route_codes(mail_rx, codes.clone()));
        let config = format!(
            "[service]\nreply_floor_ms = 0\n[codes]\nresend_cooldown_secs = 0\n\
             max_sends_per_hour = 100\nmax_sends_per_address_per_hour = 200\n\
             [mail]\nsmtp_url = \"{}\"\n\
             [daemon]\norigin_requests_per_sec = 100000\nrequests_per_sec = 100000\n",
            sink.url()
        );
        let daemon = Daemon::start(tmp.path(), &config);
        let pid = daemon.pid();
        println!(
            "rekey soak: `rekey serve` with SMTP to a loopback sink; {CLIENTS} wizards doing \
             complete recoveries (code, confirmation, new password) one after another for \
             {minutes} min; the daemon's RSS each minute"
        );
        println!("{:>6} {:>10} {:>10}", "minute", "recoveries", "RSS MiB");
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicUsize::new(0));
        let wizards: Vec<_> = (0..CLIENTS)
            .map(|c| {
                tokio::spawn(wizard(
                    daemon.socket.clone(),
                    c,
                    codes.clone(),
                    stop.clone(),
                    done.clone(),
                ))
            })
            .collect();
        let started = Instant::now();
        let mut points = Vec::new();
        for minute in 0..=minutes {
            let due = started + Duration::from_secs(60 * minute);
            tokio::time::sleep_until(due.into()).await;
            let rss = rss_kib(pid);
            points.push((minute as f64, rss as f64));
            println!(
                "{minute:>6} {:>10} {:>10.1}",
                done.load(Ordering::Relaxed),
                rss as f64 / 1024.0
            );
        }
        stop.store(true, Ordering::Relaxed);
        join_all(wizards).await;
        let half = points.len() / 2;
        println!(
            "RSS slope: first half {:+.1} KiB/min, last half {:+.1} KiB/min; {} recoveries, \
             {:.1} a second",
            slope(&points[..=half]),
            slope(&points[half..]),
            done.load(Ordering::Relaxed),
            done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
        );
        drop(daemon);
    });
}
