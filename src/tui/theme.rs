//! How the wizard looks on the terminal it has: colours or monochrome,
//! Unicode or plain ASCII. Focus and states stay visible in every mode:
//! monochrome uses reverse video and bold where colour uses hues.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub unicode: bool,
}

/// The characters the widgets draw with.
#[derive(Debug, Clone, Copy)]
pub struct Glyphs {
    pub track: &'static str,
    pub filled: &'static str,
    pub knob: &'static str,
    pub check: &'static str,
    pub cross: &'static str,
    pub pending: &'static str,
    pub mask: char,
    pub spinner: &'static [&'static str],
    pub bar_full: &'static str,
    pub bar_empty: &'static str,
    pub arrow: &'static str,
    /// Between items on one line.
    pub separator: &'static str,
}

const UNICODE: Glyphs = Glyphs {
    track: "─",
    filled: "━",
    knob: "█",
    check: "✓",
    cross: "✗",
    pending: "·",
    mask: '•',
    spinner: &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"],
    bar_full: "█",
    bar_empty: "░",
    arrow: "›",
    separator: "  ·  ",
};

const ASCII: Glyphs = Glyphs {
    track: "-",
    filled: "=",
    knob: "#",
    check: "+",
    cross: "x",
    pending: ".",
    mask: '*',
    spinner: &["|", "/", "-", "\\"],
    bar_full: "#",
    bar_empty: ".",
    arrow: ">",
    separator: "  -  ",
};

/// How many colours the terminal has, as its terminfo entry says
/// (`colors`): none for a vt100 or an xterm-mono, whatever TERM's name
/// suggests. Without an entry for TERM, crossterm's guess from the name.
fn terminal_colors() -> u16 {
    match termini::TermInfo::from_env() {
        Ok(info) => info
            .number_cap(termini::NumberCapability::MaxColors)
            .map_or(0, |n| u16::try_from(n.clamp(0, 256)).unwrap_or(0)),
        Err(_) => ratatui::crossterm::style::available_color_count(),
    }
}

impl Theme {
    /// Decides from the environment: `NO_COLOR`, the terminal's colour
    /// count, and whether the locale is UTF-8.
    pub fn detect(force_ascii: bool) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color: !no_color && terminal_colors() >= 8,
            unicode: !force_ascii && locale_is_utf8(),
        }
    }

    pub fn glyphs(&self) -> &'static Glyphs {
        if self.unicode { &UNICODE } else { &ASCII }
    }

    /// Makes catalogue text safe for an ASCII terminal.
    pub fn text(&self, s: &str) -> String {
        if self.unicode {
            return s.to_string();
        }
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '…' => out.push_str("..."),
                '—' | '–' => out.push('-'),
                '‘' | '’' => out.push('\''),
                '“' | '”' => out.push('"'),
                '←' => out.push_str("<-"),
                '→' => out.push_str("->"),
                '⟨' => out.push('<'),
                '⟩' => out.push('>'),
                'å' | 'ä' => out.push('a'),
                'Å' | 'Ä' => out.push('A'),
                'ö' => out.push('o'),
                'Ö' => out.push('O'),
                'é' => out.push('e'),
                c if c.is_ascii() => out.push(c),
                _ => out.push('?'),
            }
        }
        out
    }

    /// Box lines: Unicode, or `+`, `-` and `|`.
    pub fn border(&self) -> ratatui::symbols::border::Set<'static> {
        if self.unicode {
            ratatui::symbols::border::PLAIN
        } else {
            ratatui::symbols::border::Set {
                top_left: "+",
                top_right: "+",
                bottom_left: "+",
                bottom_right: "+",
                vertical_left: "|",
                vertical_right: "|",
                horizontal_top: "-",
                horizontal_bottom: "-",
            }
        }
    }

    pub fn normal(&self) -> Style {
        Style::default()
    }

    pub fn title(&self) -> Style {
        let s = Style::default().add_modifier(Modifier::BOLD);
        if self.color { s.fg(Color::Cyan) } else { s }
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default()
        }
    }

    /// The control that Enter would activate.
    pub fn focus(&self) -> Style {
        if self.color {
            Style::default()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::default().add_modifier(Modifier::REVERSED | Modifier::BOLD)
        }
    }

    pub fn ok(&self) -> Style {
        let s = Style::default().add_modifier(Modifier::BOLD);
        if self.color { s.fg(Color::Green) } else { s }
    }

    pub fn error(&self) -> Style {
        let s = Style::default().add_modifier(Modifier::BOLD);
        if self.color {
            s.fg(Color::Red)
        } else {
            s.add_modifier(Modifier::UNDERLINED)
        }
    }

    pub fn warn(&self) -> Style {
        if self.color {
            Style::default().fg(Color::Yellow)
        } else {
            Style::default()
        }
    }

    /// The strength bar's colour for a zxcvbn score.
    pub fn score(&self, score: u8) -> Style {
        if !self.color {
            return Style::default().add_modifier(Modifier::BOLD);
        }
        let color = match score {
            0 => Color::Red,
            1 => Color::LightRed,
            2 => Color::Yellow,
            3 => Color::LightGreen,
            _ => Color::Green,
        };
        Style::default().fg(color)
    }
}

fn locale_is_utf8() -> bool {
    let value = ["LC_ALL", "LC_CTYPE", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .unwrap_or_default()
        .to_ascii_lowercase();
    value.contains("utf-8") || value.contains("utf8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_mode_folds_typography_and_letters() {
        let ascii = Theme {
            color: false,
            unicode: false,
        };
        assert_eq!(ascii.text("Sending…"), "Sending...");
        assert_eq!(ascii.text("Glömt ditt lösenord?"), "Glomt ditt losenord?");
        assert_eq!(ascii.text("← →"), "<- ->");
        assert!(ascii.text("⠋ ✓ ✗").is_ascii());
    }
}
