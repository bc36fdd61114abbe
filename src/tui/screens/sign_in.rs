//! Screen 0, "Sign in": the landing screen, with the language choice and
//! the way into recovery.

use super::{Forgot, Screen};
use crate::tui::app::{Ctx, Nav, View};
use crate::tui::widgets::button;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Language,
    Forgot,
}

#[derive(Debug)]
pub struct SignIn {
    focus: Focus,
}

impl Default for SignIn {
    fn default() -> Self {
        Self {
            focus: Focus::Forgot,
        }
    }
}

impl SignIn {
    /// ← / → (or Enter) on the language control: which way to move.
    pub fn language_key(&self, key: &KeyEvent) -> Option<isize> {
        if self.focus != Focus::Language {
            return None;
        }
        match key.code {
            KeyCode::Left => Some(-1),
            KeyCode::Right | KeyCode::Enter | KeyCode::Char(' ') => Some(1),
            _ => None,
        }
    }

    pub fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Nav {
        match key.code {
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                self.focus = match self.focus {
                    Focus::Language => Focus::Forgot,
                    Focus::Forgot => Focus::Language,
                };
                Nav::Stay
            }
            KeyCode::Enter if self.focus == Focus::Forgot => {
                *cx.notice = None;
                Nav::To(Box::new(Screen::Forgot(Forgot::new(cx.options.slide))))
            }
            _ => Nav::Stay,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        let (t, theme) = (view.t, view.theme);
        let mut lines = vec![
            Line::raw(theme.text(&t.t("sign_in.intro"))),
            Line::default(),
        ];
        let names: Vec<String> = (0..view.catalogs.len())
            .map(|i| view.catalogs.get(i).t("language.name"))
            .collect();
        let focused = self.focus == Focus::Language;
        let mut language = vec![Span::raw(format!(
            "{}: ",
            theme.text(&t.t("sign_in.language"))
        ))];
        for (i, name) in names.iter().enumerate() {
            let chosen = i == view.language;
            let style = match (chosen, focused) {
                (true, true) => theme.focus(),
                (true, false) => theme.title(),
                _ => theme.dim(),
            };
            let shown = if chosen {
                format!("<{}>", theme.text(name))
            } else {
                format!(" {} ", theme.text(name))
            };
            language.push(Span::styled(shown, style));
            language.push(Span::raw(" "));
        }
        lines.push(Line::from(language));
        lines.push(Line::default());
        lines.push(Line::from(button(
            &t.t("sign_in.forgot"),
            self.focus == Focus::Forgot,
            theme,
        )));
        if let Some(demo) = &view.options.demo {
            lines.push(Line::default());
            lines.push(Line::styled(
                theme.text(&t.tf("sign_in.demo", &[("address", &demo.address)])),
                theme.dim(),
            ));
            lines.push(Line::styled(
                theme.text(&t.tf("sign_in.demo_password", &[("password", &demo.password)])),
                theme.dim(),
            ));
        }
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
    }
}
