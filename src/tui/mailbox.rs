//! The demo's on-screen mailbox: the newest message the wizard sent, read
//! back from the `.eml` file as a mail program would read it.

use crate::i18n::Catalog;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxView {
    pub count: usize,
    pub to: String,
    pub subject: String,
    /// The body's indented lines (the code), else its first line.
    pub highlight: String,
}

impl MailboxView {
    /// Reads every `.eml` in `dir`; the newest is shown.
    pub fn read(dir: &Path) -> Self {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|x| x == "eml"));
        files.sort();
        let Some(newest) = files.last() else {
            return Self::default();
        };
        let bytes = std::fs::read(newest).unwrap_or_default();
        let Some(message) = mail_parser::MessageParser::default().parse(&bytes) else {
            return Self::default();
        };
        let body = message.body_text(0).unwrap_or_default().to_string();
        let highlight = body
            .lines()
            .find(|l| l.starts_with("    ") && !l.trim().is_empty())
            .or_else(|| body.lines().find(|l| !l.trim().is_empty()))
            .unwrap_or_default()
            .trim()
            .to_string();
        Self {
            count: files.len(),
            to: message
                .to()
                .and_then(|a| a.first())
                .and_then(|a| a.address())
                .unwrap_or_default()
                .to_string(),
            subject: message.subject().unwrap_or_default().to_string(),
            highlight,
        }
    }

    /// The newest mail's highlight (the code) in one line, for a window
    /// too short for the panel; `None` before any mail.
    pub fn line(&self, t: &Catalog, theme: &Theme) -> Option<Line<'static>> {
        let clean = crate::recovery::text::visible(&self.highlight, 80);
        (self.count > 0).then(|| {
            Line::styled(
                theme.text(&t.tf("mailbox-newest", &[("text", clean.as_str().into())])),
                theme.ok(),
            )
        })
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, t: &Catalog, theme: &Theme) {
        let clean = |s: &str| theme.text(&crate::recovery::text::visible(s, usize::MAX));
        let lines = if self.count == 0 {
            vec![Line::styled(theme.text(&t.t("mailbox-empty")), theme.dim())]
        } else {
            vec![
                Line::styled(
                    theme.text(&t.tf(
                        "mailbox-count",
                        &[("n", self.count.into()), ("to", clean(&self.to).into())],
                    )),
                    theme.dim(),
                ),
                Line::raw(clean(&self.subject)),
                Line::styled(clean(&self.highlight), theme.ok()),
            ]
        };
        frame.render_widget(
            Paragraph::new(lines).block(
                Block::default()
                    .border_set(theme.border())
                    .borders(Borders::ALL)
                    .border_style(theme.dim())
                    .title(theme.text(&format!(" {} ", t.t("mailbox-title")))),
            ),
            area,
        );
    }
}
