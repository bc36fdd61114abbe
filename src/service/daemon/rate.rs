//! Request rate limits: one token bucket per peer (a local user id) and
//! one for everyone. A request that finds a bucket empty is refused with
//! "busy", not queued: a wizard asks about once a second.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

struct Bucket {
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn full(rate: u32) -> Self {
        Self {
            tokens: burst(rate),
            last: Instant::now(),
        }
    }

    fn take(&mut self, rate: u32, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * f64::from(rate)).min(burst(rate));
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn burst(rate: u32) -> f64 {
    f64::from(rate) * 2.0
}

/// Peers not heard from in this long are forgotten (their bucket is full
/// again by then anyway).
const FORGET_AFTER_SECS: f64 = 60.0;

pub struct RateLimits {
    buckets: Mutex<(Bucket, HashMap<u32, Bucket>)>,
}

impl RateLimits {
    pub fn new(global_rate: u32) -> Self {
        Self {
            buckets: Mutex::new((Bucket::full(global_rate), HashMap::new())),
        }
    }

    /// Takes one request from `uid`'s bucket and the global one; false
    /// when either is empty.
    pub fn admit(&self, uid: u32, peer_rate: u32, global_rate: u32) -> bool {
        let now = Instant::now();
        let mut guard = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (global, peers) = &mut *guard;
        if peers.len() > 4096 {
            peers.retain(|_, b| now.duration_since(b.last).as_secs_f64() < FORGET_AFTER_SECS);
        }
        let peer = peers.entry(uid).or_insert_with(|| Bucket::full(peer_rate));
        // The peer's bucket first: one greedy user must not drain the
        // global bucket for everyone.
        peer.take(peer_rate, now) && global.take(global_rate, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_gets_its_burst_then_is_refused_while_others_go_on() {
        let limits = RateLimits::new(100);
        let admitted = (0..50).filter(|_| limits.admit(1001, 10, 100)).count();
        assert_eq!(admitted, 20, "twice the rate as burst");
        assert!(limits.admit(1002, 10, 100), "another user is not held back");
    }

    #[test]
    fn everyone_together_is_bounded_too() {
        let limits = RateLimits::new(5);
        let admitted = (0..20u32).filter(|uid| limits.admit(*uid, 5, 5)).count();
        assert_eq!(admitted, 10);
    }
}
