//! Screen 4, "Create a new password": typed twice, masked unless revealed
//! (F2), with the strength meter redrawn from the engine's verdict on
//! every key. The estimate runs off the event loop; a newer key press
//! makes an older estimate moot.

use super::{Done, Screen, show_error};
use crate::recovery::{EmailAddress, PasswordVerdict};
use crate::service::ServiceError;
use crate::tui::app::{Ctx, Effect, Nav, View};
use crate::tui::calls::{Call, FlowCall, Reply};
use crate::tui::widgets::meter;
use crate::tui::widgets::text_input::{Edit, TextInput};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// A field holds a little more than the longest password allowed, so the
/// meter can say "too long" rather than the field cutting silently.
const FIELD_CHARS: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    First,
    Second,
}

#[derive(Debug)]
pub struct NewPassword {
    first: TextInput,
    second: TextInput,
    reveal: bool,
    focus: Focus,
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
            first: TextInput::new(FIELD_CHARS, true),
            second: TextInput::new(FIELD_CHARS, true),
            reveal: false,
            focus: Focus::First,
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
            .filter(|_| !self.first.is_empty())
            .map(|(_, v)| v)
    }

    /// The estimate of exactly what is typed now.
    fn current_verdict(&self) -> Option<&PasswordVerdict> {
        self.verdict
            .as_ref()
            .filter(|(seq, _)| *seq == self.seq)
            .map(|(_, v)| v)
    }

    fn matches(&self) -> bool {
        !self.second.is_empty() && *self.first.value() == *self.second.value()
    }

    fn first_changed(&mut self, cx: &mut Ctx<'_>) {
        self.seq += 1;
        *cx.notice = None;
        if self.first.is_empty() {
            self.verdict = None;
            return;
        }
        cx.effects.push(Effect::Assess {
            seq: self.seq,
            password: self.first.value(),
            hints: self.hints.clone(),
        });
    }

    pub fn paste(&mut self, text: &str, cx: &mut Ctx<'_>) {
        let line = text.lines().next().unwrap_or_default();
        match self.focus {
            Focus::First => {
                if self.first.insert_str(line) == Edit::Changed {
                    self.first_changed(cx);
                }
            }
            Focus::Second => {
                self.second.insert_str(line);
            }
        }
    }

    pub fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Nav {
        match key.code {
            KeyCode::F(2) => self.reveal = !self.reveal,
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                self.focus = match self.focus {
                    Focus::First => Focus::Second,
                    Focus::Second => Focus::First,
                };
            }
            KeyCode::Enter => match self.focus {
                Focus::First => self.focus = Focus::Second,
                Focus::Second => self.submit(cx),
            },
            _ => match self.focus {
                Focus::First => {
                    if self.first.key(key) == Edit::Changed {
                        self.first_changed(cx);
                    }
                }
                Focus::Second => {
                    if self.second.key(key) == Edit::Changed {
                        *cx.notice = None;
                    }
                }
            },
        }
        Nav::Stay
    }

    fn submit(&mut self, cx: &mut Ctx<'_>) {
        if !self.matches() {
            cx.error(cx.t.t("error.passwords_differ"));
            return;
        }
        match self.current_verdict() {
            Some(v) if v.passes() => {
                cx.call(
                    Call::SetPassword(self.first.value(), self.second.value()),
                    "password.saving",
                );
            }
            Some(_) => cx.error(cx.t.t("error.password_refused")),
            // The estimate is still running: the service judges anyway.
            None => cx.call(
                Call::SetPassword(self.first.value(), self.second.value()),
                "password.saving",
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
                    *cx.demo_password = Some(self.first.value().to_string());
                }
                self.first.clear();
                self.second.clear();
                *cx.notice = None;
                Nav::To(Box::new(Screen::Done(Done {
                    arrived_ms: cx.now_ms,
                })))
            }
            Reply::Flow(FlowCall::SetPassword, Err(ServiceError::PasswordRefused(verdict))) => {
                // The service's verdict includes the history check.
                self.verdict = Some((self.seq, *verdict));
                cx.error(cx.t.t("error.password_refused"));
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
        let [intro, label1, field1, label2, field2, _, meter_area] = Layout::vertical([
            Constraint::Length(if view.compact { 0 } else { 1 }),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(view.gap()),
            Constraint::Fill(1),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(Line::styled(
                theme.text(&t.t("password.intro")),
                theme.dim(),
            )),
            intro,
        );
        let width = field1.width.min(56);
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw(theme.text(&t.t("password.new"))),
                Span::styled(
                    format!("  ({})", theme.text(&t.t("password.reveal"))),
                    theme.dim(),
                ),
            ])),
            label1,
        );
        self.first.draw(
            frame,
            Rect { width, ..field1 },
            theme,
            self.focus == Focus::First,
            self.reveal,
        );
        let mark = if self.second.is_empty() {
            Span::raw("")
        } else if self.matches() {
            Span::styled(
                format!(
                    "  {} {}",
                    theme.glyphs().check,
                    theme.text(&t.t("password.matches"))
                ),
                theme.ok(),
            )
        } else {
            Span::styled(
                format!(
                    "  {} {}",
                    theme.glyphs().cross,
                    theme.text(&t.t("password.differs"))
                ),
                theme.error(),
            )
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw(theme.text(&t.t("password.again"))),
                mark,
            ])),
            label2,
        );
        self.second.draw(
            frame,
            Rect { width, ..field2 },
            theme,
            self.focus == Focus::Second,
            self.reveal,
        );
        let lines = meter::lines(
            self.shown_verdict(),
            t,
            theme,
            meter_area.width,
            view.compact,
        );
        frame.render_widget(Paragraph::new(lines), meter_area);
    }
}
