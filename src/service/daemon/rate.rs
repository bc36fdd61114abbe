//! Request rate limits: one token bucket per origin (see [`super::origin`]),
//! one for a shared uid as a whole, and one for everyone. Forking more
//! wizards does not multiply an origin's rate. A request that finds a
//! bucket empty is refused with "busy", not queued: a wizard asks about
//! once a second.

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

use super::origin::Origin;

/// Origins not heard from in this long are forgotten (their bucket is full
/// again by then anyway).
const FORGET_AFTER_SECS: f64 = 60.0;

pub struct RateLimits {
    buckets: Mutex<(Bucket, HashMap<Origin, Bucket>)>,
}

impl RateLimits {
    pub fn new(global_rate: u32) -> Self {
        Self {
            buckets: Mutex::new((Bucket::full(global_rate), HashMap::new())),
        }
    }

    /// Takes one request from each of `own` (an origin's bucket and the
    /// rate it refills at; for a shared uid, its place's and the uid's)
    /// and from the global one; false, taking nothing, when any is empty.
    pub fn admit(&self, own: &[(&Origin, u32)], global_rate: u32) -> bool {
        let now = Instant::now();
        let mut guard = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (global, buckets) = &mut *guard;
        if buckets.len() > 4096 {
            buckets.retain(|_, b| now.duration_since(b.last).as_secs_f64() < FORGET_AFTER_SECS);
        }
        global.refill(global_rate, now);
        let mut empty = global.tokens < 1.0;
        for (origin, rate) in own {
            let bucket = buckets
                .entry((*origin).clone())
                .or_insert_with(|| Bucket::full(*rate));
            bucket.refill(*rate, now);
            empty |= bucket.tokens < 1.0;
        }
        // All or none: a greedy origin refused by its own bucket takes
        // nothing from everyone's.
        if empty {
            return false;
        }
        global.tokens -= 1.0;
        for (origin, _) in own {
            if let Some(bucket) = buckets.get_mut(*origin) {
                bucket.tokens -= 1.0;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(place: &str) -> Origin {
        Origin {
            principal: super::super::origin::Principal::Uid(990),
            place: Some(place.into()),
        }
    }

    #[test]
    fn an_origin_gets_its_burst_then_is_refused_while_others_go_on() {
        let limits = RateLimits::new(100);
        let wizard = Origin::uid(1001);
        let admitted = (0..50)
            .filter(|_| limits.admit(&[(&wizard, 10)], 100))
            .count();
        assert_eq!(
            admitted, 20,
            "twice the rate as burst, however many processes"
        );
        assert!(limits.admit(&[(&Origin::uid(1002), 10)], 100));
    }

    #[test]
    fn the_places_of_a_shared_uid_share_its_ceiling() {
        let limits = RateLimits::new(1000);
        let uid = Origin::uid(990);
        let (a, b) = (at("ssh 203.0.113.9"), at("ssh 198.51.100.7"));
        let from_a = (0..50)
            .filter(|_| limits.admit(&[(&a, 10), (&uid, 15)], 1000))
            .count();
        assert_eq!(from_a, 20);
        let from_b = (0..50)
            .filter(|_| limits.admit(&[(&b, 10), (&uid, 15)], 1000))
            .count();
        assert_eq!(from_b, 10, "the uid's burst of 30 is spent");
    }

    #[test]
    fn an_origin_refused_by_the_global_bucket_keeps_its_own_tokens() {
        let limits = RateLimits::new(1);
        let origin = Origin::uid(1);
        assert!(limits.admit(&[(&origin, 10)], 1));
        assert!(limits.admit(&[(&origin, 10)], 1));
        let refused = (0..30)
            .filter(|_| !limits.admit(&[(&origin, 10)], 1))
            .count();
        assert_eq!(refused, 30, "the global burst (2) is spent");
        let guard = limits.buckets.lock().unwrap();
        let own = guard.1.get(&origin).unwrap().tokens;
        assert!(own >= 17.0, "only two of its own tokens were used: {own}");
    }

    #[test]
    fn everyone_together_is_bounded_too() {
        let limits = RateLimits::new(5);
        let admitted = (0..20u32)
            .filter(|uid| limits.admit(&[(&Origin::uid(*uid), 5)], 5))
            .count();
        assert_eq!(admitted, 10);
    }
}
