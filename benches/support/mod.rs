//! What the benchmarks share: nearest-rank percentiles, and a repeatable
//! source of "random" inputs.

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
