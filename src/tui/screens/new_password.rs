//! Screen 4, "Create a new password": typed twice, masked unless revealed
//! (F2), with the strength meter redrawn from the engine's verdict on
//! every key. The estimate runs off the event loop; a newer key press
//! makes an older estimate moot.

use super::{Done, Screen, show_error};
use crate::i18n::Catalog;
use crate::recovery::{EmailAddress, PasswordVerdict};
use crate::service::ServiceError;
use crate::tui::app::{Ctx, Effect, Nav, View};
use crate::tui::calls::{Call, FlowCall, Reply};
use crate::tui::widgets::meter;
use crate::tui::widgets::password_pair::{PairEvent, PasswordPair};
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

/// A field holds a little more than the longest password allowed, so the
/// meter can say "too long" rather than the field cutting silently.
const FIELD_CHARS: usize = 4096;

#[derive(Debug)]
pub struct NewPassword {
    pair: PasswordPair,
    hints: Vec<String>,
    /// Counts edits of the first field; a verdict for an older one is dropped.
    seq: u64,
    verdict: Option<(u64, PasswordVerdict)>,
}

impl NewPassword {
    pub fn new(address: &str) -> Self {
        let hints = EmailAddress::parse(address)
            .map(|a| a.password_hints())
            .unwrap_or_default();
        Self {
            pair: PasswordPair::new(FIELD_CHARS),
            hints,
            seq: 0,
            verdict: None,
        }
    }

    /// The latest estimate, even if a key or two newer than it is still
    /// being estimated: the meter stays on screen instead of blinking.
    fn shown_verdict(&self) -> Option<&PasswordVerdict> {
        self.verdict
            .as_ref()
            .filter(|_| !self.pair.first_is_empty())
            .map(|(_, v)| v)
    }

    /// The estimate of exactly what is typed now.
    fn current_verdict(&self) -> Option<&PasswordVerdict> {
        self.verdict
            .as_ref()
            .filter(|(seq, _)| *seq == self.seq)
            .map(|(_, v)| v)
    }

    fn first_changed(&mut self, cx: &mut Ctx<'_>) {
        self.seq += 1;
        *cx.notice = None;
        if self.pair.first_is_empty() {
            self.verdict = None;
            cx.effects.push(Effect::ForgetPassword);
            return;
        }
        cx.effects.push(Effect::Assess {
            seq: self.seq,
            password: self.pair.first(),
            hints: self.hints.clone(),
        });
    }

    pub fn paste(&mut self, text: &str, cx: &mut Ctx<'_>) {
        let event = self.pair.paste(text);
        self.react(event, cx);
    }

    pub fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Nav {
        let event = self.pair.key(key);
        self.react(event, cx);
        Nav::Stay
    }

    fn react(&mut self, event: PairEvent, cx: &mut Ctx<'_>) {
        match event {
            PairEvent::FirstChanged => self.first_changed(cx),
            PairEvent::SecondChanged => *cx.notice = None,
            PairEvent::Submit => self.submit(cx),
            PairEvent::None => {}
        }
    }

    fn submit(&mut self, cx: &mut Ctx<'_>) {
        if !self.pair.matches() {
            cx.error(cx.t.t("error-passwords-differ"));
            return;
        }
        match self.current_verdict().filter(|v| !v.provisional) {
            Some(v) if v.passes() => {
                cx.call(
                    Call::SetPassword(
                        self.pair.first().as_str().into(),
                        self.pair.second().as_str().into(),
                    ),
                    "password-saving",
                );
            }
            Some(v) => cx.error(refusal(v, cx.t)),
            // The whole verdict is still coming: the service judges anyway.
            None => cx.call(
                Call::SetPassword(
                    self.pair.first().as_str().into(),
                    self.pair.second().as_str().into(),
                ),
                "password-saving",
            ),
        }
    }

    pub fn verdict(&mut self, seq: u64, verdict: PasswordVerdict) {
        if seq == self.seq {
            self.verdict = Some((seq, verdict));
        }
    }

    pub fn reply(&mut self, reply: Reply, cx: &mut Ctx<'_>) -> Nav {
        match reply {
            Reply::Flow(FlowCall::SetPassword, Ok(_)) => {
                let demo = cx.options.demo.as_ref();
                if demo.is_some_and(|d| d.address == *cx.address) {
                    *cx.demo_password = Some(self.pair.first().to_string());
                }
                self.pair.clear();
                self.verdict = None;
                cx.effects.push(Effect::ForgetPassword);
                *cx.notice = None;
                Nav::To(Box::new(Screen::Done(Done {
                    arrived_ms: cx.now_ms,
                })))
            }
            Reply::Flow(FlowCall::SetPassword, Err(ServiceError::PasswordRefused(verdict))) => {
                // The service's verdict includes the history check.
                cx.error(refusal(&verdict, cx.t));
                self.verdict = Some((self.seq, *verdict));
                Nav::Stay
            }
            other => {
                show_error(&other, cx);
                Nav::Stay
            }
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        let (t, theme) = (view.t, view.theme);
        let intro_text = theme.text(&t.t("password-intro"));
        let intro_rows = crate::tui::widgets::wrapped_height(&intro_text, area.width).min(3);
        let [intro, pair, _, meter_area] = Layout::vertical([
            Constraint::Length(if view.compact { 0 } else { intro_rows }),
            Constraint::Length(4),
            Constraint::Length(view.gap()),
            Constraint::Fill(1),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(Line::styled(intro_text, theme.dim())).wrap(Wrap { trim: true }),
            intro,
        );
        self.pair.draw(frame, pair, theme, t);
        let lines = meter::lines(
            self.shown_verdict(),
            &view.options.policy,
            t,
            theme,
            meter_area.width,
            view.compact,
        );
        // A Swedish or Russian kiosk's layout makes letters a person's own
        // keyboard may not have.
        let mut lines = lines;
        if !self.pair.first().is_ascii() {
            lines.insert(
                0,
                Line::styled(theme.text(&t.t("password-non-ascii")), theme.warn()),
            );
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), meter_area);
    }
}

/// Why a password was refused, naming the first rule it fails ("You used
/// this password before"), not only that some rule failed.
fn refusal(verdict: &PasswordVerdict, t: &Catalog) -> String {
    use crate::recovery::Rule;
    match verdict.failed_rules().next() {
        Some(Rule::NotRecent(_)) => t.t("error-refused-recent"),
        Some(Rule::MinLength(n)) => t.tf("error-refused-short", &[("n", n.into())]),
        Some(Rule::MaxLength(n)) => t.tf("error-refused-long", &[("n", n.into())]),
        Some(Rule::MinScore(_)) => t.t("error-refused-guessable"),
        Some(Rule::NotPersonal) => t.t("error-refused-personal"),
        Some(Rule::Printable) => t.t("error-refused-control"),
        None => t.t("error-password-refused"),
    }
}
