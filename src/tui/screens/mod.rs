//! One module per screen of the flow. A screen holds its own state, turns
//! keys and replies into calls and navigation, and draws itself.

pub mod check_email;
pub mod done;
pub mod forgot;
pub mod new_password;
pub mod sign_in;
pub mod ticket;
pub mod verify;

use crate::recovery::PasswordVerdict;
use crate::tui::app::{Ctx, Nav, View};
use crate::tui::calls::Reply;
use ratatui::Frame;
use ratatui::crossterm::event::KeyEvent;
use ratatui::layout::Rect;

pub use check_email::CheckEmail;
pub use done::Done;
pub use forgot::Forgot;
pub use new_password::NewPassword;
pub use sign_in::SignIn;
pub use ticket::Ticket;
pub use verify::Verify;

pub enum Screen {
    SignIn(SignIn),
    Forgot(Forgot),
    Verify(Verify),
    Ticket(Ticket),
    CheckEmail(CheckEmail),
    NewPassword(NewPassword),
    Done(Done),
}

impl Screen {
    pub fn landing() -> Self {
        Self::SignIn(SignIn::default())
    }

    pub fn title_key(&self) -> &'static str {
        match self {
            Self::SignIn(_) => "sign-in-title",
            Self::Forgot(_) => "forgot-title",
            Self::Verify(_) => "verify-title",
            Self::Ticket(s) => s.title_key(),
            Self::CheckEmail(_) => "check-title",
            Self::NewPassword(_) => "password-title",
            Self::Done(_) => "done-title",
        }
    }

    /// The step indicator's number, for the steps of the flow.
    pub fn step(&self) -> Option<u8> {
        match self {
            Self::SignIn(_) | Self::Ticket(_) => None,
            Self::Forgot(_) => Some(1),
            Self::Verify(_) => Some(2),
            Self::CheckEmail(_) => Some(3),
            Self::NewPassword(_) => Some(4),
            Self::Done(_) => Some(5),
        }
    }

    /// Keys F1 lists for this screen, besides the common ones.
    pub fn help_keys(&self) -> &'static [&'static str] {
        match self {
            Self::SignIn(_) => &["keys-language"],
            Self::Forgot(_) => &["keys-slider"],
            Self::CheckEmail(_) => &["keys-code"],
            Self::NewPassword(_) => &["keys-reveal"],
            _ => &[],
        }
    }

    pub fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Nav {
        match self {
            Self::SignIn(s) => s.key(key, cx),
            Self::Forgot(s) => s.key(key, cx),
            Self::Verify(s) => s.key(key, cx),
            Self::Ticket(s) => s.key(key, cx),
            Self::CheckEmail(s) => s.key(key, cx),
            Self::NewPassword(s) => s.key(key, cx),
            Self::Done(s) => s.key(key),
        }
    }

    pub fn paste(&mut self, text: &str, cx: &mut Ctx<'_>) -> Nav {
        match self {
            Self::SignIn(s) => s.paste(text),
            Self::Forgot(s) => s.paste(text),
            Self::CheckEmail(s) => s.paste(text),
            Self::NewPassword(s) => s.paste(text, cx),
            Self::Ticket(s) => s.paste(text),
            _ => {}
        }
        Nav::Stay
    }

    pub fn escape(&mut self, cx: &mut Ctx<'_>) -> Nav {
        match self {
            Self::SignIn(_) => Nav::Stay,
            Self::Ticket(s) if !s.is_open() => Nav::Back,
            Self::Ticket(_) | Self::Done(_) => Nav::Landing,
            Self::Forgot(_) => {
                cx.address.clear();
                Nav::Landing
            }
            // "Wrong address? Esc to change it": straight to the address.
            Self::CheckEmail(c) if c.code_sent() => Nav::ToAddress,
            _ => Nav::Back,
        }
    }

    pub fn tick(&mut self, cx: &mut Ctx<'_>) -> Nav {
        match self {
            Self::SignIn(s) => s.tick(cx),
            Self::Forgot(s) => s.tick(cx),
            Self::CheckEmail(s) => s.tick(cx),
            Self::Done(s) => s.tick(cx),
            _ => Nav::Stay,
        }
    }

    pub fn reply(&mut self, reply: Reply, cx: &mut Ctx<'_>) -> Nav {
        if let Reply::Opened(Err(e)) = &reply {
            cx.error(crate::tui::errors::text(e, cx.t));
            return Nav::Stay;
        }
        match self {
            Self::SignIn(s) => s.reply(reply, cx),
            Self::Forgot(s) => s.reply(reply, cx),
            Self::Verify(s) => s.reply(reply, cx),
            Self::CheckEmail(s) => s.reply(reply, cx),
            Self::NewPassword(s) => s.reply(reply, cx),
            Self::Ticket(s) => s.reply(reply, cx),
            _ => Nav::Stay,
        }
    }

    pub fn verdict(&mut self, seq: u64, verdict: PasswordVerdict) {
        if let Self::NewPassword(s) = self {
            s.verdict(seq, verdict);
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        match self {
            Self::SignIn(s) => s.draw(frame, area, view),
            Self::Forgot(s) => s.draw(frame, area, view),
            Self::Verify(s) => s.draw(frame, area, view),
            Self::Ticket(s) => s.draw(frame, area, view),
            Self::CheckEmail(s) => s.draw(frame, area, view),
            Self::NewPassword(s) => s.draw(frame, area, view),
            Self::Done(s) => s.draw(frame, area, view),
        }
    }
}

/// Any reply that is an error the screen has no special use for: shown.
pub fn show_error(reply: &Reply, cx: &mut Ctx<'_>) -> bool {
    let error = match reply {
        Reply::Address(Err(e)) | Reply::Slide(Err(e)) | Reply::Flow(_, Err(e)) => e,
        _ => return false,
    };
    cx.error(crate::tui::errors::text(error, cx.t));
    true
}
