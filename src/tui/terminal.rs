//! Taking the terminal and giving it back: raw mode, the alternate screen
//! (so no secret stays in the scrollback), bracketed paste and a hidden
//! cursor, undone in reverse order on every exit, a panic included.

use ratatui::crossterm::cursor::{Hide, Show};
use ratatui::crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use std::io::stdout;
use std::sync::Once;

static PANIC_HOOK: Once = Once::new();

pub struct TerminalGuard(());

impl TerminalGuard {
    pub fn enter() -> std::io::Result<Self> {
        // The hook goes in before the terminal is taken, so a panic at any
        // later point still restores it.
        PANIC_HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                restore();
                previous(info);
            }));
        });
        enable_raw_mode()?;
        let guard = Self(());
        execute!(stdout(), EnterAlternateScreen, EnableBracketedPaste, Hide)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

fn restore() {
    let _ = execute!(stdout(), Show, DisableBracketedPaste, LeaveAlternateScreen);
    let _ = disable_raw_mode();
}
