//! Hashing off the async threads, a bounded number at a time: argon2 takes
//! 19 MiB and ~15 ms per hash, so a burst of requests waits in line instead
//! of exhausting memory or stalling the event loop.

use super::ServiceError;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct HashPool {
    permits: Arc<Semaphore>,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl HashPool {
    pub fn new(max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Runs `job` on a blocking thread once a slot is free.
    pub async fn run<T, F>(&self, job: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ServiceError::Internal("the hashing pool is closed".into()))?;
        let running = self.running.clone();
        let peak = self.peak.clone();
        tokio::task::spawn_blocking(move || {
            // The slot goes with the work: if the caller gives up waiting,
            // the hash still runs to its end and holds the slot till then.
            let _permit = permit;
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let out = job();
            running.fetch_sub(1, Ordering::SeqCst);
            out
        })
        .await
        .map_err(|e| ServiceError::Internal(format!("a hashing task failed: {e}")))
    }

    /// The most jobs that ever ran at once.
    pub fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_runs_at_most_the_bound_at_once() {
        let pool = HashPool::new(2);
        let jobs: Vec<_> = (0..12)
            .map(|i| {
                let pool = pool.clone();
                tokio::spawn(async move {
                    pool.run(move || {
                        std::thread::sleep(Duration::from_millis(10));
                        i
                    })
                    .await
                })
            })
            .collect();
        let mut sum = 0;
        for job in jobs {
            sum += job.await.unwrap().unwrap();
        }
        assert_eq!(sum, 66, "every job ran once");
        assert_eq!(pool.peak(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_caller_that_gives_up_does_not_free_the_slot_early() {
        let pool = HashPool::new(1);
        for _ in 0..3 {
            let slow = pool.run(|| std::thread::sleep(Duration::from_millis(100)));
            let _ = tokio::time::timeout(Duration::from_millis(20), slow).await;
        }
        pool.run(|| ()).await.unwrap();
        assert_eq!(pool.peak(), 1);
    }
}
