//! "Slide to verify" on a keyboard: → (or `l`) moves the knob a notch
//! right, ← a notch left; with no → for about a second the knob springs
//! back, the way a slider does when let go. Reaching the end hands the
//! notch times to the service, which says whether a hand did it.

use crate::recovery::{SlideEvidence, SlideRules, SlideVerdict};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlideState {
    /// At rest or being pushed.
    Sliding,
    /// At the end, waiting for the service's verdict.
    Checking,
    Verified,
    /// The last slide was refused; "Please try again" shows until the next
    /// push.
    Refused,
}

#[derive(Debug, Clone)]
pub struct Slider {
    rules: SlideRules,
    position: u16,
    /// Milliseconds of each → from the first, for the current push.
    times: Vec<u32>,
    started_ms: u64,
    last_right_ms: u64,
    pub state: SlideState,
}

/// What a key or a tick did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlideEvent {
    None,
    Moved,
    /// The knob reached the end: check this evidence.
    Completed(SlideEvidence),
}

impl Slider {
    pub fn new(rules: SlideRules) -> Self {
        Self {
            rules,
            position: 0,
            times: Vec::new(),
            started_ms: 0,
            last_right_ms: 0,
            state: SlideState::Sliding,
        }
    }

    pub fn position(&self) -> u16 {
        self.position
    }

    pub fn notches(&self) -> u16 {
        self.rules.notches
    }

    pub fn is_verified(&self) -> bool {
        self.state == SlideState::Verified
    }

    pub fn reset(&mut self) {
        *self = Self::new(self.rules);
    }

    pub fn right(&mut self, now_ms: u64) -> SlideEvent {
        match self.state {
            SlideState::Checking | SlideState::Verified => return SlideEvent::None,
            SlideState::Refused => self.reset(),
            SlideState::Sliding => {}
        }
        if self.position == 0 {
            self.started_ms = now_ms;
            self.times.clear();
        }
        let offset = u32::try_from(now_ms.saturating_sub(self.started_ms)).unwrap_or(u32::MAX);
        self.times.push(offset);
        self.position += 1;
        self.last_right_ms = now_ms;
        if self.position >= self.rules.notches {
            self.state = SlideState::Checking;
            return SlideEvent::Completed(SlideEvidence {
                notch_times_ms: self.times.clone(),
            });
        }
        SlideEvent::Moved
    }

    pub fn left(&mut self) -> SlideEvent {
        if self.state != SlideState::Sliding || self.position == 0 {
            return SlideEvent::None;
        }
        self.position -= 1;
        self.times.pop();
        SlideEvent::Moved
    }

    /// Springs the knob back when no → came for the spring-back time.
    pub fn tick(&mut self, now_ms: u64) -> SlideEvent {
        let idle = now_ms.saturating_sub(self.last_right_ms);
        if self.state == SlideState::Sliding
            && self.position > 0
            && idle >= u64::from(self.rules.spring_back_ms)
        {
            self.position = 0;
            self.times.clear();
            return SlideEvent::Moved;
        }
        SlideEvent::None
    }

    /// The service's verdict on the completed slide.
    pub fn verdict(&mut self, verdict: SlideVerdict) {
        if self.state != SlideState::Checking {
            return;
        }
        match verdict {
            SlideVerdict::Verified => self.state = SlideState::Verified,
            SlideVerdict::TryAgain(_) => {
                self.position = 0;
                self.times.clear();
                self.state = SlideState::Refused;
            }
        }
    }

    /// The check could not be made (the service failed): push again.
    pub fn check_failed(&mut self) {
        self.reset();
    }

    /// Draws `[━━━━█─────] label` in one row.
    /// Draws the track and `label` beside it. The track's width depends on
    /// `area` and the widest label the slider shows (`widest`, in
    /// characters) only, so it keeps its width as the label changes and
    /// every label fits.
    pub fn draw(
        &self,
        frame: &mut Frame,
        area: Rect,
        theme: &Theme,
        focused: bool,
        label: &str,
        widest: usize,
    ) {
        let g = theme.glyphs();
        // The label, with the check mark a verified slide adds.
        let room = u16::try_from(widest + 2).unwrap_or(u16::MAX);
        let track_width = area.width.saturating_sub(room + 3).clamp(4, 40);
        let cells = usize::from(track_width);
        let notches = usize::from(self.rules.notches.max(1));
        let knob_at = if self.state == SlideState::Verified {
            cells - 1
        } else {
            (usize::from(self.position) * (cells - 1)) / notches
        };
        let track_style = match self.state {
            SlideState::Verified => theme.ok(),
            SlideState::Refused => theme.error(),
            _ if focused => theme.focus(),
            _ => theme.normal(),
        };
        let mut spans = vec![
            Span::styled("[", track_style),
            Span::styled(g.filled.repeat(knob_at), track_style),
            Span::styled(g.knob, track_style),
            Span::styled(g.track.repeat(cells - 1 - knob_at), track_style),
            Span::styled("] ", track_style),
        ];
        let label_style = match self.state {
            SlideState::Verified => theme.ok(),
            SlideState::Refused => theme.error(),
            _ => theme.normal(),
        };
        let label = if self.state == SlideState::Verified {
            format!("{} {label}", g.check)
        } else {
            label.to_string()
        };
        spans.push(Span::styled(label, label_style));
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slide_every(slider: &mut Slider, start_ms: u64, gap_ms: u64) -> SlideEvent {
        let mut last = SlideEvent::None;
        for i in 0..u64::from(slider.notches()) {
            last = slider.right(start_ms + i * gap_ms);
        }
        last
    }

    #[test]
    fn held_key_repeat_completes_the_slide_and_the_service_agrees() {
        for per_second in [25u64, 30, 40] {
            let rules = SlideRules::default();
            let mut slider = Slider::new(rules);
            let done = slide_every(&mut slider, 10_000, 1_000 / per_second);
            let SlideEvent::Completed(evidence) = done else {
                panic!("not completed at {per_second}/s");
            };
            assert_eq!(slider.state, SlideState::Checking);
            let verdict = rules.check(&evidence);
            assert_eq!(verdict, SlideVerdict::Verified, "{per_second}/s");
            slider.verdict(verdict);
            assert!(slider.is_verified());
            assert_eq!(slider.right(99_999), SlideEvent::None, "stays verified");
        }
    }

    #[test]
    fn a_pasted_burst_is_refused_and_the_knob_goes_home() {
        let rules = SlideRules::default();
        let mut slider = Slider::new(rules);
        let SlideEvent::Completed(evidence) = slide_every(&mut slider, 5_000, 0) else {
            panic!("a burst still reaches the end");
        };
        slider.verdict(rules.check(&evidence));
        assert_eq!(slider.state, SlideState::Refused);
        assert_eq!(slider.position(), 0);
        // The next push starts afresh.
        assert_eq!(slider.right(6_000), SlideEvent::Moved);
        assert_eq!(slider.state, SlideState::Sliding);
        assert_eq!(slider.position(), 1);
    }

    #[test]
    fn letting_go_springs_back_after_a_second() {
        let mut slider = Slider::new(SlideRules::default());
        for i in 0..5 {
            slider.right(1_000 + i * 30);
        }
        assert_eq!(slider.tick(1_120 + 999), SlideEvent::None);
        assert_eq!(slider.position(), 5);
        assert_eq!(slider.tick(1_120 + 1_000), SlideEvent::Moved);
        assert_eq!(slider.position(), 0);
    }

    #[test]
    fn left_moves_back_and_forgets_the_notch() {
        let mut slider = Slider::new(SlideRules::default());
        slider.right(0);
        slider.right(30);
        slider.left();
        assert_eq!(slider.position(), 1);
        let mut t = 60;
        let evidence = loop {
            if let SlideEvent::Completed(evidence) = slider.right(t) {
                break evidence;
            }
            t += 30;
        };
        assert_eq!(evidence.notch_times_ms.len(), 20);
        assert_eq!(evidence.notch_times_ms[1], 60, "the undone notch is gone");
    }
}
