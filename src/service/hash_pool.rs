//! Hashing off the async threads, a bounded number at a time: argon2 takes
//! 19 MiB and ~15 ms per hash, so a burst of requests waits in line instead
//! of exhausting memory or stalling the event loop.
//!
//! The pool is its own threads, one per slot, living as long as the pool.
//! The allocator gives each thread its own arena and keeps freed memory
//! there: hashing on tokio's blocking threads, whose number grows with the
//! load, left a 19 MiB buffer in each of them (a daemon reached 870 MiB
//! with two hashes at a time). On a fixed set of threads each buffer is
//! reused by that thread's next hash.
//!
//! One origin (see the daemon's `origin` module) may hold only a share of
//! the slots, waiting or running: a flood of guesses from one peer queues
//! behind itself, and everyone else's steps find a free slot.

use super::ServiceError;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{Semaphore, oneshot};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Clone)]
pub struct HashPool {
    jobs: mpsc::Sender<Job>,
    peak: Arc<AtomicUsize>,
    /// Each origin's share of the slots.
    shares: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    share: usize,
}

/// Between a shared uid and the place its wizard reported, in an origin's
/// name (see the daemon's `origin` module).
pub const PLACE_SEPARATOR: &str = " at ";

/// Origins with a share on record before the idle ones are forgotten.
const SHARES_KEPT: usize = 1024;

impl HashPool {
    /// A pool of `max_concurrent` slots; one origin may take `share` of
    /// them (at least one).
    pub fn with_share(max_concurrent: usize, share: usize) -> Self {
        let mut pool = Self::new(max_concurrent);
        pool.share = share.clamp(1, max_concurrent.max(1));
        pool
    }

    pub fn new(max_concurrent: usize) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        for n in 0..max_concurrent.max(1) {
            let (queue, running, peak) = (queue.clone(), running.clone(), peak.clone());
            let worker = move || {
                loop {
                    // One idle thread waits for the next job; the others
                    // wait for their turn to.
                    let next = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
                    let Ok(job) = next else {
                        return;
                    };
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    job();
                    running.fetch_sub(1, Ordering::SeqCst);
                }
            };
            // A pool that could not start a thread runs with fewer; with
            // none, every job fails with a message instead of waiting.
            let _ = std::thread::Builder::new()
                .name(format!("rekey-hash-{n}"))
                .spawn(worker);
        }
        Self {
            jobs,
            peak,
            shares: Arc::default(),
            share: max_concurrent.max(1),
        }
    }

    /// Runs `job` as [`HashPool::run`] does, once `origin` has fewer than
    /// its share of jobs waiting or running. A place of a uid many people
    /// share (`uid 990 at ssh 203.0.113.9`) has a share of its own: the
    /// people behind one shared uid are what the share protects from each
    /// other. (A wizard that names many places is bounded by the uid's
    /// request and connection ceilings; a hashing ceiling for the uid too
    /// made every place wait behind one flooding place on a small pool.)
    pub async fn run_as<T, F>(&self, origin: &str, job: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let turn = self
            .share_of(origin)
            .acquire_owned()
            .await
            .map_err(|_| ServiceError::Internal("the hashing share closed".into()))?;
        // The turn ends with the job, not with a caller that gives up.
        self.run(move || {
            let out = job();
            drop(turn);
            out
        })
        .await
    }

    fn share_of(&self, key: &str) -> Arc<Semaphore> {
        let mut shares = self.shares.lock().unwrap_or_else(PoisonError::into_inner);
        if shares.len() >= SHARES_KEPT {
            // Nobody waits on or holds an idle origin's share.
            shares.retain(|_, turns| Arc::strong_count(turns) > 1);
        }
        shares
            .entry(key.to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.share)))
            .clone()
    }

    /// Runs `job` on one of the pool's threads once one is free. A caller
    /// that gives up waiting does not stop the job: it runs to its end and
    /// holds its thread till then.
    pub async fn run<T, F>(&self, job: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move || {
            // A panic ends this job, not the thread; the caller hears of it.
            if let Ok(out) = std::panic::catch_unwind(AssertUnwindSafe(job)) {
                let _ = answer.send(out);
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| ServiceError::Internal("the hashing threads are gone".into()))?;
        answered
            .await
            .map_err(|_| ServiceError::Internal("a hashing task failed".into()))
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

    /// The flood's jobs do not end until the other origin's job has run:
    /// in one queue for all, both threads would hold the flood and the
    /// other job would never start.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_flood_from_one_origin_leaves_the_other_slots_free() {
        let pool = HashPool::with_share(2, 1);
        let (other_ran, wait_for_other) = tokio::sync::watch::channel(false);
        let started = Arc::new(AtomicUsize::new(0));
        let flood: Vec<_> = (0..8)
            .map(|_| {
                let (pool, mut wait, started) =
                    (pool.clone(), wait_for_other.clone(), started.clone());
                tokio::spawn(async move {
                    pool.run_as("uid 1001", move || {
                        started.fetch_add(1, Ordering::SeqCst);
                        let rt = tokio::runtime::Builder::new_current_thread()
                            .build()
                            .unwrap();
                        rt.block_on(wait.wait_for(|ran| *ran)).map(|_| ()).ok();
                    })
                    .await
                })
            })
            .collect();
        while started.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let other = pool.run_as("uid 1002", || ());
        let ran = tokio::time::timeout(Duration::from_secs(10), other).await;
        assert!(ran.is_ok(), "the other origin waited behind the flood");
        other_ran.send(true).unwrap();
        for job in flood {
            job.await.unwrap().unwrap();
        }
        assert_eq!(started.load(Ordering::SeqCst), 8);
    }

    #[tokio::test]
    async fn a_job_that_panics_is_an_error_and_the_pool_goes_on() {
        let pool = HashPool::new(1);
        let failed = pool.run(|| panic!("a broken hash")).await;
        assert!(matches!(failed, Err(ServiceError::Internal(_))));
        assert_eq!(pool.run(|| 7).await.unwrap(), 7);
    }
}
