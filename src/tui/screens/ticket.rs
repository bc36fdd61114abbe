//! The Support branch's end: the ticket's reference, to quote to support.

use crate::tui::app::{Nav, View};
use crate::tui::widgets::button;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

#[derive(Debug)]
pub struct TicketShown {
    pub reference: String,
}

impl TicketShown {
    pub fn key(&mut self, key: &KeyEvent) -> Nav {
        match key.code {
            KeyCode::Enter => Nav::Landing,
            _ => Nav::Stay,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        let (t, theme) = (view.t, view.theme);
        let support = &view.options.support;
        let shown = |text: &str| theme.text(&crate::recovery::text::visible(text, 80));
        let mut lines = vec![
            Line::styled(
                theme.text(&t.tf("ticket.reference", &[("reference", &self.reference)])),
                theme.ok(),
            ),
            Line::raw(theme.text(&t.t("ticket.write_down"))),
            Line::default(),
            Line::raw(theme.text(&t.tf("ticket.next", &[("desk", &shown(&support.desk))]))),
        ];
        if !support.phone.is_empty() {
            lines.push(Line::raw(
                theme.text(&t.tf("ticket.phone", &[("phone", &shown(&support.phone))])),
            ));
        }
        if !support.hours.is_empty() {
            lines.push(Line::raw(
                theme.text(&t.tf("ticket.hours", &[("hours", &shown(&support.hours))])),
            ));
        }
        lines.push(Line::default());
        lines.push(Line::from(button(&t.t("ticket.back"), true, theme)));
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}
