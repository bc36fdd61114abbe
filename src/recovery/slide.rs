//! The "slide to verify" check: did a person push the knob to the end, or
//! did a script paste the whole slide in one burst?
//!
//! The evidence is the time of every → that moved the knob, from the start
//! of the track to its end. A held arrow key (terminal key repeat, 25–40 a
//! second) passes; a slide whose notches all arrive within a few
//! milliseconds, or one with a pause long enough that the knob would have
//! sprung back, does not.

use serde::{Deserialize, Serialize};

/// The slide's shape and timing rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlideRules {
    /// Presses of → from the start of the track to its end.
    pub notches: u16,
    /// A whole slide faster than this is a burst, not a hand.
    pub min_total_ms: u32,
    /// With no → for this long the knob springs back to the start.
    pub spring_back_ms: u32,
}

impl Default for SlideRules {
    fn default() -> Self {
        Self {
            notches: 20,
            min_total_ms: 150,
            spring_back_ms: 1_000,
        }
    }
}

/// When each notch was reached, in milliseconds from the first one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SlideEvidence {
    pub notch_times_ms: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum SlideRefusal {
    #[error("the slide did not reach the end")]
    Incomplete,
    #[error("the slide was too fast to be a hand")]
    Burst,
    #[error("the slide paused long enough to spring back")]
    SprangBack,
    #[error("the slide's timing is not readable")]
    Malformed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlideVerdict {
    Verified,
    /// The person sees "Please try again"; the reason is for the audit trail.
    TryAgain(SlideRefusal),
}

impl SlideRules {
    pub fn check(&self, evidence: &SlideEvidence) -> SlideVerdict {
        match self.refusal(&evidence.notch_times_ms) {
            None => SlideVerdict::Verified,
            Some(why) => SlideVerdict::TryAgain(why),
        }
    }

    fn refusal(&self, times: &[u32]) -> Option<SlideRefusal> {
        let needed = usize::from(self.notches);
        if times.len() > needed {
            return Some(SlideRefusal::Malformed);
        }
        if times.len() < needed {
            return Some(SlideRefusal::Incomplete);
        }
        let mut gaps = Vec::with_capacity(times.len());
        for pair in times.windows(2) {
            let [earlier, later] = pair else { continue };
            match later.checked_sub(*earlier) {
                Some(gap) => gaps.push(gap),
                None => return Some(SlideRefusal::Malformed),
            }
        }
        if gaps.iter().any(|&gap| gap >= self.spring_back_ms) {
            return Some(SlideRefusal::SprangBack);
        }
        let total = match (times.first(), times.last()) {
            (Some(first), Some(last)) => last - first,
            _ => 0,
        };
        if total < self.min_total_ms {
            return Some(SlideRefusal::Burst);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evenly(notches: u16, gap_ms: u32) -> SlideEvidence {
        SlideEvidence {
            notch_times_ms: (0..u32::from(notches)).map(|i| i * gap_ms).collect(),
        }
    }

    #[test]
    fn key_repeat_between_25_and_40_a_second_passes() {
        let rules = SlideRules::default();
        for per_second in [25, 30, 33, 40] {
            let verdict = rules.check(&evenly(rules.notches, 1_000 / per_second));
            assert_eq!(verdict, SlideVerdict::Verified, "{per_second}/s");
        }
    }

    #[test]
    fn a_burst_is_refused() {
        let rules = SlideRules::default();
        assert_eq!(
            rules.check(&evenly(rules.notches, 0)),
            SlideVerdict::TryAgain(SlideRefusal::Burst)
        );
        assert_eq!(
            rules.check(&evenly(rules.notches, 2)),
            SlideVerdict::TryAgain(SlideRefusal::Burst)
        );
    }

    #[test]
    fn a_slow_link_that_bunches_some_presses_still_passes() {
        // Over SSH several repeats can arrive in one packet.
        let rules = SlideRules::default();
        let mut times = Vec::new();
        for i in 0..u32::from(rules.notches) {
            times.push((i / 4) * 120);
        }
        let verdict = rules.check(&SlideEvidence {
            notch_times_ms: times,
        });
        assert_eq!(verdict, SlideVerdict::Verified);
    }

    #[test]
    fn a_pause_longer_than_spring_back_is_refused() {
        let rules = SlideRules::default();
        let mut evidence = evenly(rules.notches, 30);
        for t in evidence.notch_times_ms.iter_mut().skip(10) {
            *t += 1_000;
        }
        assert_eq!(
            rules.check(&evidence),
            SlideVerdict::TryAgain(SlideRefusal::SprangBack)
        );
    }

    #[test]
    fn short_long_and_backwards_slides_are_refused() {
        let rules = SlideRules::default();
        assert_eq!(
            rules.check(&evenly(rules.notches - 1, 30)),
            SlideVerdict::TryAgain(SlideRefusal::Incomplete)
        );
        assert_eq!(
            rules.check(&SlideEvidence::default()),
            SlideVerdict::TryAgain(SlideRefusal::Incomplete)
        );
        assert_eq!(
            rules.check(&evenly(rules.notches + 1, 30)),
            SlideVerdict::TryAgain(SlideRefusal::Malformed)
        );
        let mut backwards = evenly(rules.notches, 30);
        backwards.notch_times_ms.swap(3, 4);
        assert_eq!(
            rules.check(&backwards),
            SlideVerdict::TryAgain(SlideRefusal::Malformed)
        );
    }
}
