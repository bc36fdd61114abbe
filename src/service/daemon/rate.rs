//! Request rate limits: one token bucket per peer and one for everyone. A
//! peer is one process at the other end of the socket (its user id and
//! process id, as the kernel says): every SSH wizard on a support box runs
//! as the same user, so a bucket per user would be one bucket for all. A
//! request that finds a bucket empty is refused with "busy", not queued:
//! a wizard asks about once a second.

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

    fn refill(&mut self, rate: u32, now: Instant) {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * f64::from(rate)).min(burst(rate));
    }
}

fn burst(rate: u32) -> f64 {
    f64::from(rate) * 2.0
}

/// A peer process: user id and process id.
pub type PeerKey = (u32, Option<i32>);

/// Peers not heard from in this long are forgotten (their bucket is full
/// again by then anyway).
const FORGET_AFTER_SECS: f64 = 60.0;

pub struct RateLimits {
    buckets: Mutex<(Bucket, HashMap<PeerKey, Bucket>)>,
}

impl RateLimits {
    pub fn new(global_rate: u32) -> Self {
        Self {
            buckets: Mutex::new((Bucket::full(global_rate), HashMap::new())),
        }
    }

    /// Takes one request from the peer's bucket and the global one; false,
    /// taking nothing, when either is empty.
    pub fn admit(&self, peer_key: PeerKey, peer_rate: u32, global_rate: u32) -> bool {
        let now = Instant::now();
        let mut guard = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (global, peers) = &mut *guard;
        if peers.len() > 4096 {
            peers.retain(|_, b| now.duration_since(b.last).as_secs_f64() < FORGET_AFTER_SECS);
        }
        let peer = peers
            .entry(peer_key)
            .or_insert_with(|| Bucket::full(peer_rate));
        peer.refill(peer_rate, now);
        global.refill(global_rate, now);
        // Both or neither: a greedy peer refused by its own bucket takes
        // nothing from everyone's.
        if peer.tokens < 1.0 || global.tokens < 1.0 {
            return false;
        }
        peer.tokens -= 1.0;
        global.tokens -= 1.0;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_gets_its_burst_then_is_refused_while_others_go_on() {
        let limits = RateLimits::new(100);
        let wizard = (1001, Some(4242));
        let admitted = (0..50).filter(|_| limits.admit(wizard, 10, 100)).count();
        assert_eq!(admitted, 20, "twice the rate as burst");
        let same_user_other_wizard = (1001, Some(4243));
        assert!(limits.admit(same_user_other_wizard, 10, 100));
    }

    #[test]
    fn a_peer_refused_by_the_global_bucket_keeps_its_own_tokens() {
        let limits = RateLimits::new(1);
        assert!(limits.admit((1, Some(1)), 10, 1));
        assert!(limits.admit((1, Some(1)), 10, 1));
        let refused = (0..30)
            .filter(|_| !limits.admit((1, Some(1)), 10, 1))
            .count();
        assert_eq!(refused, 30, "the global burst (2) is spent");
        let guard = limits.buckets.lock().unwrap();
        let own = guard.1.get(&(1, Some(1))).unwrap().tokens;
        assert!(own >= 17.0, "only two of its own tokens were used: {own}");
    }

    #[test]
    fn everyone_together_is_bounded_too() {
        let limits = RateLimits::new(5);
        let admitted = (0..20u32)
            .filter(|uid| limits.admit((*uid, None), 5, 5))
            .count();
        assert_eq!(admitted, 10);
    }
}
