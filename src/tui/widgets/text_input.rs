//! A one-line text field: bounded, cleaned of control and invisible format characters, masked
//! for passwords, and zeroised when dropped or cleared. No undo history or
//! kill buffer keeps a deleted secret around.

use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use zeroize::Zeroizing;

#[derive(Debug)]
pub struct TextInput {
    chars: Zeroizing<Vec<char>>,
    cursor: usize,
    max_chars: usize,
    pub masked: bool,
}

/// What a key did to the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edit {
    Changed,
    Moved,
    Ignored,
}

impl TextInput {
    /// A masked field (a password) holds its longest value from the start:
    /// growing would leave the old buffer behind.
    pub fn new(max_chars: usize, masked: bool) -> Self {
        let capacity = if masked { max_chars } else { 0 };
        Self {
            chars: Zeroizing::new(Vec::with_capacity(capacity)),
            cursor: 0,
            max_chars,
            masked,
        }
    }

    pub fn value(&self) -> Zeroizing<String> {
        let bytes: usize = self.chars.iter().map(|c| c.len_utf8()).sum();
        let mut value = Zeroizing::new(String::with_capacity(bytes));
        value.extend(self.chars.iter());
        value
    }

    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    pub fn len(&self) -> usize {
        self.chars.len()
    }

    pub fn clear(&mut self) {
        self.chars.iter_mut().for_each(|c| *c = '\0');
        self.chars.clear();
        self.cursor = 0;
    }

    pub fn set(&mut self, text: &str) {
        self.clear();
        self.insert_str(text);
    }

    /// Inserts typed or pasted text, dropping control and format characters and
    /// anything past the bound.
    pub fn insert_str(&mut self, text: &str) -> Edit {
        let mut changed = false;
        for c in text
            .chars()
            .filter(|c| !crate::recovery::text::is_hidden(*c))
        {
            if self.chars.len() >= self.max_chars {
                break;
            }
            self.chars.insert(self.cursor, c);
            self.cursor += 1;
            changed = true;
        }
        if changed {
            Edit::Changed
        } else {
            Edit::Ignored
        }
    }

    pub fn key(&mut self, key: &KeyEvent) -> Edit {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('u') if ctrl => {
                if self.is_empty() {
                    return Edit::Ignored;
                }
                self.clear();
                Edit::Changed
            }
            KeyCode::Char(_) if ctrl => Edit::Ignored,
            KeyCode::Char(c) => self.insert_str(c.encode_utf8(&mut [0; 4])),
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                self.chars.remove(self.cursor);
                Edit::Changed
            }
            KeyCode::Delete if self.cursor < self.chars.len() => {
                self.chars.remove(self.cursor);
                Edit::Changed
            }
            KeyCode::Left if self.cursor > 0 => {
                self.cursor -= 1;
                Edit::Moved
            }
            KeyCode::Right if self.cursor < self.chars.len() => {
                self.cursor += 1;
                Edit::Moved
            }
            KeyCode::Home => {
                self.cursor = 0;
                Edit::Moved
            }
            KeyCode::End => {
                self.cursor = self.chars.len();
                Edit::Moved
            }
            _ => Edit::Ignored,
        }
    }

    /// Draws the field in `area` (one row); puts the terminal's cursor in
    /// it when focused.
    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme, focused: bool, reveal: bool) {
        let width = usize::from(area.width.saturating_sub(2)).max(1);
        // Scroll so the cursor stays visible.
        let start = self.cursor.saturating_sub(width - 1);
        let shown: String = self
            .chars
            .iter()
            .skip(start)
            .take(width)
            .map(|&c| {
                if self.masked && !reveal {
                    theme.glyphs().mask
                } else {
                    c
                }
            })
            .collect();
        let shown = if theme.unicode {
            shown
        } else {
            theme.text(&shown)
        };
        let pad = width.saturating_sub(shown.chars().count());
        let style = if focused {
            theme.focus()
        } else {
            theme.normal()
        };
        let line = Line::from(vec![
            Span::styled("[", style),
            Span::styled(shown, style),
            Span::styled("_".repeat(pad), if focused { style } else { theme.dim() }),
            Span::styled("]", style),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        if focused {
            let x = area.x + 1 + u16::try_from(self.cursor - start).unwrap_or(0);
            frame.set_cursor_position(Position::new(x.min(area.right().saturating_sub(1)), area.y));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::crossterm::event::KeyEventKind;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn typing_editing_and_bounds() {
        let mut input = TextInput::new(5, false);
        for c in "abc".chars() {
            input.key(&key(KeyCode::Char(c)));
        }
        input.key(&key(KeyCode::Left));
        input.key(&key(KeyCode::Backspace));
        assert_eq!(*input.value(), "ac");
        input.insert_str("xyz\u{1b}[2J");
        assert_eq!(
            *input.value(),
            "axyzc",
            "inserted at the cursor, bounded to 5"
        );
        input.key(&KeyEvent::new(KeyCode::Char('u'), KeyModifiers::CONTROL));
        assert!(input.is_empty());
        let release = KeyEvent {
            kind: KeyEventKind::Press,
            ..key(KeyCode::Char('q'))
        };
        assert_eq!(input.key(&release), Edit::Changed);
    }

    #[test]
    fn pasted_newlines_and_controls_are_dropped() {
        let mut input = TextInput::new(100, true);
        input.insert_str("pass\nword\t!");
        assert_eq!(*input.value(), "password!");
    }
}
