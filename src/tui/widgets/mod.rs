//! The wizard's controls, each with its state, its keys and its drawing.

pub mod code_boxes;
pub mod meter;
pub mod password_pair;
pub mod slider;
pub mod text_input;

use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

/// A button: `[ Request ]`, highlighted when focused.
pub fn button(label: &str, focused: bool, theme: &Theme) -> Span<'static> {
    let marker = if focused { theme.glyphs().arrow } else { " " };
    let style = if focused {
        theme.focus()
    } else {
        theme.normal()
    };
    Span::styled(format!("{marker}[ {} ]", theme.text(label)), style)
}

/// The text of a line, its spans joined.
pub fn line_text(line: &Line<'_>) -> String {
    line.spans.iter().map(|s| s.content.as_ref()).collect()
}

/// The rows `lines` take, each wrapped as [`wrapped_height`] does.
pub fn lines_height(lines: &[Line<'_>], width: u16) -> u16 {
    lines
        .iter()
        .map(|l| wrapped_height(&line_text(l), width))
        .sum()
}

/// The rows `text` takes wrapped at word boundaries to `width` columns, as
/// a wrapping paragraph lays it out (a word longer than the width takes
/// rows of its own).
pub fn wrapped_height(text: &str, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let mut rows = 0usize;
    for paragraph in text.lines() {
        let mut used = 0usize;
        rows += 1;
        for word in paragraph.split_whitespace() {
            let len = word.chars().count();
            if used > 0 && used + 1 + len > width {
                rows += 1;
                used = 0;
            }
            if used > 0 {
                used += 1;
            }
            used += len;
            while used > width {
                rows += 1;
                used -= width;
            }
        }
    }
    u16::try_from(rows.max(1)).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrapped_height_counts_rows_at_word_boundaries() {
        assert_eq!(super::wrapped_height("a few words", 80), 1);
        assert_eq!(super::wrapped_height("a few words", 7), 2);
        assert_eq!(super::wrapped_height("abcdefghij", 4), 3);
        assert_eq!(super::wrapped_height("", 10), 1);
    }
}
