//! Screen 5, "Password changed": the flow's end. In kiosk mode it goes back
//! to the landing screen by itself.

use crate::tui::app::{Ctx, Nav, View};
use crate::tui::widgets::button;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

#[derive(Debug)]
pub struct Done {
    pub arrived_ms: u64,
}

impl Done {
    pub fn key(&mut self, key: &KeyEvent) -> Nav {
        match key.code {
            KeyCode::Enter => Nav::TryPassword,
            _ => Nav::Stay,
        }
    }

    pub fn tick(&mut self, cx: &mut Ctx<'_>) -> Nav {
        let shown = cx.now_ms.saturating_sub(self.arrived_ms);
        if cx.options.kiosk && shown >= cx.options.done_return_ms {
            return Nav::Landing;
        }
        Nav::Stay
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        let (t, theme) = (view.t, view.theme);
        let mut lines = vec![
            Line::styled(
                format!(
                    "{} {}",
                    theme.glyphs().check,
                    theme.text(&t.t("done-message"))
                ),
                theme.ok(),
            ),
            Line::default(),
            Line::raw(theme.text(&t.t("done-notice"))),
            Line::default(),
            Line::from(button(&t.t("done-sign-in"), true, theme)),
            Line::styled(theme.text(&t.t("done-propagation")), theme.dim()),
        ];
        if view.options.kiosk {
            let left = view
                .options
                .done_return_ms
                .saturating_sub(view.now_ms.saturating_sub(self.arrived_ms));
            lines.push(Line::default());
            lines.push(Line::styled(
                theme.text(&t.tf("done-returning", &[("n", left.div_ceil(1000).into())])),
                theme.dim(),
            ));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}
