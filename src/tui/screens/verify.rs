//! Screen 2, "Verify your identity": a code by e-mail, or a Support ticket
//! for someone who no longer has the mailbox.

use super::{CheckEmail, Screen, Ticket, show_error};
use crate::tui::app::{Ctx, Nav, View};
use crate::tui::calls::{Call, FlowCall, Reply};
use crate::tui::widgets::button;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Focus {
    #[default]
    Email,
    Support,
}

#[derive(Debug, Default)]
pub struct Verify {
    focus: Focus,
}

impl Verify {
    pub fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Nav {
        match key.code {
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                self.focus = match self.focus {
                    Focus::Email => Focus::Support,
                    Focus::Support => Focus::Email,
                };
            }
            KeyCode::Enter => match self.focus {
                Focus::Email => cx.call(Call::Flow(FlowCall::ChooseEmail), "app-busy"),
                Focus::Support => {
                    *cx.notice = None;
                    return Nav::To(Box::new(Screen::Ticket(Ticket::new())));
                }
            },
            _ => {}
        }
        Nav::Stay
    }

    pub fn reply(&mut self, reply: Reply, cx: &mut Ctx<'_>) -> Nav {
        match reply {
            Reply::Flow(FlowCall::ChooseEmail, Ok(view)) => {
                *cx.notice = None;
                Nav::To(Box::new(Screen::CheckEmail(CheckEmail::new(
                    view, cx.now_ms,
                ))))
            }
            other => {
                show_error(&other, cx);
                Nav::Stay
            }
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        let (t, theme) = (view.t, view.theme);
        let mut lines = Vec::new();
        if !view.compact {
            lines.push(Line::raw(theme.text(&t.t("verify-intro"))));
            lines.push(Line::default());
        }
        lines.extend([
            Line::styled(theme.text(&t.t("verify-email")), theme.title()),
            Line::raw(
                theme.text(&t.tf("verify-email-detail", &[("address", view.address.into())])),
            ),
            Line::from(button(
                &t.t("verify-email-action"),
                self.focus == Focus::Email,
                theme,
            )),
        ]);
        if !view.compact {
            lines.push(Line::default());
        }
        lines.extend([
            Line::styled(theme.text(&t.t("verify-support")), theme.title()),
            Line::raw(theme.text(&t.t("verify-support-detail"))),
            Line::from(button(
                &t.t("verify-support-action"),
                self.focus == Focus::Support,
                theme,
            )),
        ]);
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}
