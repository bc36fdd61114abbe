//! What the benchmarks share: nearest-rank percentiles, a repeatable
//! source of "random" inputs, and the timed runs of requests over a
//! daemon's socket (benches/daemon.rs, benches/fleet.rs).

#![allow(dead_code)]

use std::time::Duration;

/// The nearest-rank `p`th percentile (0 to 100) of `sorted`, in ms.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

/// A small linear congruential generator, so inputs are the same every run
/// without a rand dependency.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

/// `check_slide` on each of `ready` (a connection, its session, its slide)
/// over and over until `run` is over: (answers, elapsed, latencies,
/// failures).
pub async fn slide_run(
    ready: &[(
        rekey::service::SocketService,
        String,
        rekey::recovery::SlideEvidence,
    )],
    run: Duration,
) -> (usize, Duration, Vec<Duration>, usize) {
    use rekey::service::RecoveryService;
    let start = std::time::Instant::now();
    let deadline = start + run;
    let results =
        futures::future::join_all(ready.iter().map(|(service, session, slide)| async move {
            let mut times = Vec::new();
            let mut failures = 0;
            while std::time::Instant::now() < deadline {
                let t = std::time::Instant::now();
                match service.check_slide(session, slide).await {
                    Ok(rekey::recovery::SlideVerdict::Verified) => times.push(t.elapsed()),
                    _ => failures += 1,
                }
            }
            (times, failures)
        }))
        .await;
    let elapsed = start.elapsed();
    let failures = results.iter().map(|(_, f)| f).sum();
    let times: Vec<Duration> = results.into_iter().flat_map(|(t, _)| t).collect();
    (times.len(), elapsed, times, failures)
}

/// Wrong codes (`wrong`, `tries` on each session) from `clients` workers
/// until `run` is over or the prepared sessions are used up: (answers,
/// elapsed, latencies, failures).
pub async fn wrong_code_run(
    prepared: Vec<(rekey::service::SocketService, String)>,
    clients: usize,
    run: Duration,
    tries: usize,
    wrong: &str,
) -> (usize, Duration, Vec<Duration>, Vec<String>) {
    use rekey::service::{RecoveryService, SecretString, ServiceError};
    let queue = std::sync::Arc::new(std::sync::Mutex::new(prepared));
    let start = std::time::Instant::now();
    let deadline = start + run;
    let results = futures::future::join_all((0..clients).map(|_| {
        let queue = queue.clone();
        async move {
            let mut times = Vec::new();
            let mut failures = Vec::new();
            while std::time::Instant::now() < deadline {
                let next = queue.lock().expect("queue").pop();
                let Some((service, session)) = next else {
                    break;
                };
                for _ in 0..tries {
                    if std::time::Instant::now() >= deadline {
                        break;
                    }
                    let t = std::time::Instant::now();
                    match service
                        .confirm_code(&session, &SecretString::from(wrong))
                        .await
                    {
                        Err(ServiceError::WrongCode { .. }) => times.push(t.elapsed()),
                        other => failures.push(format!("{other:?}")),
                    }
                }
            }
            (times, failures)
        }
    }))
    .await;
    let elapsed = start.elapsed();
    let mut times = Vec::new();
    let mut failures = Vec::new();
    for (t, f) in results {
        times.extend(t);
        failures.extend(f);
    }
    (times.len(), elapsed, times, failures)
}
