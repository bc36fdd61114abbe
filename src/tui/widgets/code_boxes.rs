//! Six boxes for the verification code, grouped 3+3 like the mail shows it:
//! digits only, Backspace, and a paste of the whole code with a space, a
//! dash or neither.

use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use zeroize::Zeroize;

const BOXES: usize = 6;

#[derive(Debug, Default)]
pub struct CodeBoxes {
    digits: Vec<char>,
}

impl Drop for CodeBoxes {
    fn drop(&mut self) {
        self.digits.zeroize();
    }
}

impl CodeBoxes {
    pub fn is_complete(&self) -> bool {
        self.digits.len() == BOXES
    }

    pub fn is_empty(&self) -> bool {
        self.digits.is_empty()
    }

    /// The code as typed, for the service.
    pub fn code(&self) -> zeroize::Zeroizing<String> {
        zeroize::Zeroizing::new(self.digits.iter().collect())
    }

    pub fn clear(&mut self) {
        self.digits.zeroize();
        self.digits.clear();
    }

    /// Returns true when the boxes changed.
    pub fn key(&mut self, key: &KeyEvent) -> bool {
        match key.code {
            KeyCode::Char(c) if c.is_ascii_digit() && !self.is_complete() => {
                self.digits.push(c);
                true
            }
            KeyCode::Backspace => self.digits.pop().is_some(),
            _ => false,
        }
    }

    /// A pasted code replaces what was typed. Spaces and dashes are
    /// skipped; a paste with anything else, or more than six digits, is
    /// not a code and changes nothing.
    pub fn paste(&mut self, text: &str) -> bool {
        let trimmed = text.trim();
        let digits: Vec<char> = trimmed.chars().filter(char::is_ascii_digit).collect();
        let only_code_chars = trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || c == ' ' || c == '-');
        if !only_code_chars || digits.is_empty() || digits.len() > BOXES {
            return false;
        }
        self.clear();
        self.digits = digits;
        true
    }

    /// Draws `[4][8][2] - [9][1][3]`.
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme, focused: bool) {
        let mut spans = Vec::new();
        let mut cursor_x = None;
        let mut x = area.x;
        for i in 0..BOXES {
            if i == 3 {
                spans.push(Span::styled(" - ", theme.dim()));
                x += 3;
            }
            let next = i == self.digits.len();
            let style = if focused && next {
                theme.focus()
            } else {
                theme.normal()
            };
            let shown = self.digits.get(i).copied().unwrap_or('_');
            if focused && next {
                cursor_x = Some(x + 1);
            }
            spans.push(Span::styled(format!("[{shown}]"), style));
            x += 3;
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        if let Some(cx) = cursor_x.filter(|_| focused) {
            frame.set_cursor_position(Position::new(
                cx.min(area.right().saturating_sub(1)),
                area.y,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyModifiers;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn digits_only_six_at_most_and_backspace() {
        let mut boxes = CodeBoxes::default();
        for c in "48a2-9137".chars() {
            boxes.key(&key(KeyCode::Char(c)));
        }
        assert_eq!(*boxes.code(), "482913");
        assert!(boxes.is_complete());
        boxes.key(&key(KeyCode::Backspace));
        assert_eq!(*boxes.code(), "48291");
        assert!(!boxes.is_complete());
    }

    #[test]
    fn a_pasted_code_fills_the_boxes_in_any_usual_form() {
        for pasted in ["482913", "482 913", "482-913", " 482 913\n"] {
            let mut boxes = CodeBoxes::default();
            assert!(boxes.paste(pasted), "{pasted:?}");
            assert_eq!(*boxes.code(), "482913", "{pasted:?}");
        }
    }

    #[test]
    fn a_paste_that_is_not_a_code_changes_nothing() {
        let mut boxes = CodeBoxes::default();
        boxes.key(&key(KeyCode::Char('1')));
        for pasted in ["hello", "4829131", "482913 is your code", ""] {
            assert!(!boxes.paste(pasted), "{pasted:?}");
            assert_eq!(*boxes.code(), "1");
        }
    }
}
