//! The new password, typed twice: two masked fields, F2 to reveal both,
//! and a live mark on the second saying whether it matches the first.

use crate::i18n::Catalog;
use crate::tui::theme::Theme;
use crate::tui::widgets::text_input::{Edit, TextInput};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use zeroize::Zeroizing;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    First,
    Second,
}

/// What a key did to the pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairEvent {
    None,
    /// The first field changed: its strength needs estimating again.
    FirstChanged,
    SecondChanged,
    /// Enter in the second field.
    Submit,
}

#[derive(Debug)]
pub struct PasswordPair {
    first: TextInput,
    second: TextInput,
    reveal: bool,
    focus: Field,
}

impl PasswordPair {
    pub fn new(max_chars: usize) -> Self {
        Self {
            first: TextInput::new(max_chars, true),
            second: TextInput::new(max_chars, true),
            reveal: false,
            focus: Field::First,
        }
    }

    pub fn first(&self) -> Zeroizing<String> {
        self.first.value()
    }

    pub fn second(&self) -> Zeroizing<String> {
        self.second.value()
    }

    pub fn first_is_empty(&self) -> bool {
        self.first.is_empty()
    }

    pub fn matches(&self) -> bool {
        !self.second.is_empty() && *self.first.value() == *self.second.value()
    }

    pub fn clear(&mut self) {
        self.first.clear();
        self.second.clear();
    }

    pub fn key(&mut self, key: &KeyEvent) -> PairEvent {
        match key.code {
            KeyCode::F(2) => {
                self.reveal = !self.reveal;
                PairEvent::None
            }
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                self.focus = match self.focus {
                    Field::First => Field::Second,
                    Field::Second => Field::First,
                };
                PairEvent::None
            }
            KeyCode::Enter => match self.focus {
                Field::First => {
                    self.focus = Field::Second;
                    PairEvent::None
                }
                Field::Second => PairEvent::Submit,
            },
            _ => self.edited(|field| field.key(key)),
        }
    }

    /// A paste goes into the focused field, up to its first line break.
    pub fn paste(&mut self, text: &str) -> PairEvent {
        let line = text.lines().next().unwrap_or_default();
        self.edited(|field| field.insert_str(line))
    }

    fn edited(&mut self, edit: impl FnOnce(&mut TextInput) -> Edit) -> PairEvent {
        let (field, event) = match self.focus {
            Field::First => (&mut self.first, PairEvent::FirstChanged),
            Field::Second => (&mut self.second, PairEvent::SecondChanged),
        };
        if edit(field) == Edit::Changed {
            event
        } else {
            PairEvent::None
        }
    }

    /// Draws both fields with their labels in four rows of `area`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme, t: &Catalog) {
        let [label1, field1, label2, field2] =
            Layout::vertical([Constraint::Length(1); 4]).areas(area);
        let width = area.width.min(56);
        let label = theme.text(&t.t("password-new"));
        let hint = format!(
            "  ({})",
            theme.text(&t.t(if self.reveal {
                "password-hide"
            } else {
                "password-reveal"
            }))
        );
        // The hint only where it fits whole (F1 lists F2 too).
        let fits = label.chars().count() + hint.chars().count() <= usize::from(label1.width);
        let mut spans = vec![Span::raw(label)];
        if fits {
            spans.push(Span::styled(hint, theme.dim()));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), label1);
        self.first.draw(
            frame,
            Rect { width, ..field1 },
            theme,
            self.focus == Field::First,
            self.reveal,
        );
        let g = theme.glyphs();
        let mark = if self.second.is_empty() {
            Span::raw("")
        } else if self.matches() {
            Span::styled(
                format!("  {} {}", g.check, theme.text(&t.t("password-matches"))),
                theme.ok(),
            )
        } else {
            Span::styled(
                format!("  {} {}", g.cross, theme.text(&t.t("password-differs"))),
                theme.error(),
            )
        };
        frame.render_widget(
            Paragraph::new(Line::from(vec![
                Span::raw(theme.text(&t.t("password-again"))),
                mark,
            ])),
            label2,
        );
        self.second.draw(
            frame,
            Rect { width, ..field2 },
            theme,
            self.focus == Field::Second,
            self.reveal,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Catalogs;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn typed(pair: &mut PasswordPair, text: &str) -> Vec<PairEvent> {
        text.chars()
            .map(|c| pair.key(&key(KeyCode::Char(c))))
            .collect()
    }

    fn shown(pair: &PasswordPair) -> String {
        let mut terminal = Terminal::new(TestBackend::new(60, 4)).unwrap();
        let t = Catalogs::shipped().get(0).clone();
        let theme = Theme {
            color: false,
            unicode: true,
        };
        terminal
            .draw(|f| pair.draw(f, f.area(), &theme, &t))
            .unwrap();
        let buffer = terminal.backend().buffer().clone();
        (0..4)
            .map(|y| {
                (0..60)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn both_fields_are_masked_until_f2_reveals_them() {
        let mut pair = PasswordPair::new(100);
        assert!(
            typed(&mut pair, "hunter")
                .iter()
                .all(|e| *e == PairEvent::FirstChanged)
        );
        pair.key(&key(KeyCode::Enter));
        typed(&mut pair, "hun");
        let masked = shown(&pair);
        assert!(
            !masked.contains("hunter") && !masked.contains("hun"),
            "{masked}"
        );
        assert!(masked.contains("••••••"), "{masked}");
        pair.key(&key(KeyCode::F(2)));
        let revealed = shown(&pair);
        assert!(
            revealed.contains("[hunter") && revealed.contains("[hun_"),
            "{revealed}"
        );
        pair.key(&key(KeyCode::F(2)));
        assert!(!shown(&pair).contains("hunter"));
    }

    #[test]
    fn the_second_field_says_whether_it_matches() {
        let mut pair = PasswordPair::new(100);
        typed(&mut pair, "abc");
        pair.key(&key(KeyCode::Enter));
        assert!(!shown(&pair).contains("Matches"));
        typed(&mut pair, "ab");
        assert!(shown(&pair).contains("✗ Not the same yet"));
        assert_eq!(typed(&mut pair, "c"), [PairEvent::SecondChanged]);
        assert!(shown(&pair).contains("✓ Matches"));
        assert!(pair.matches());
        assert_eq!(pair.key(&key(KeyCode::Enter)), PairEvent::Submit);
    }

    #[test]
    fn a_paste_fills_the_focused_field_up_to_a_line_break() {
        let mut pair = PasswordPair::new(100);
        assert_eq!(pair.paste("copper kettles\nrest"), PairEvent::FirstChanged);
        assert_eq!(*pair.first(), "copper kettles");
        pair.clear();
        assert!(pair.first_is_empty());
    }
}
