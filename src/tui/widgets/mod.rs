//! The wizard's controls, each with its state, its keys and its drawing.

pub mod code_boxes;
pub mod meter;
pub mod password_pair;
pub mod slider;
pub mod text_input;

use crate::tui::theme::Theme;
use ratatui::text::Span;

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
