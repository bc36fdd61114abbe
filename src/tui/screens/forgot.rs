//! Screen 1, "Forgot your password?": the address, checked as it is typed,
//! the slide to verify, and Request.

use super::{Screen, Verify, show_error};
use crate::recovery::address::MAX_ADDRESS_LEN;
use crate::recovery::{EmailAddress, SlideRules, SlideVerdict};
use crate::tui::app::{Ctx, Nav, View};
use crate::tui::calls::{Call, FlowCall, Reply};
use crate::tui::errors::address_error;
use crate::tui::widgets::button;
use crate::tui::widgets::slider::{SlideEvent, SlideState, Slider};
use crate::tui::widgets::text_input::{Edit, TextInput};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Address,
    Slider,
    Request,
}

#[derive(Debug)]
pub struct Forgot {
    address: TextInput,
    slider: Slider,
    focus: Focus,
    /// The address the service accepted for this session.
    accepted: Option<EmailAddress>,
    /// The person pressed Enter in the field or left it since the last
    /// edit: only then does a wrong address say what is wrong, not at
    /// every key while it is still being typed.
    checked: bool,
}

impl Forgot {
    pub fn new(rules: SlideRules) -> Self {
        Self {
            address: TextInput::new(MAX_ADDRESS_LEN, false),
            slider: Slider::new(rules),
            focus: Focus::Address,
            accepted: None,
            checked: false,
        }
    }

    /// Come from the sign-in form with an address typed there.
    pub fn with_address(rules: SlideRules, address: &str) -> Self {
        let mut screen = Self::new(rules);
        screen.address.set(address);
        screen
    }

    /// A new session knows nothing of the old one's address or slide:
    /// the typed address stays, to be sent again.
    pub fn new_session(&mut self) {
        self.accepted = None;
        self.slider.reset();
        self.focus = Focus::Address;
    }

    /// Back here to change the address: the focus on its field.
    pub fn focus_address(&mut self) {
        self.focus = Focus::Address;
    }

    fn typed(&self) -> Result<EmailAddress, crate::recovery::AddressError> {
        EmailAddress::parse(&self.address.value())
    }

    /// The address changed: a different one must be slid for again.
    fn address_edited(&mut self) {
        let same = self
            .accepted
            .as_ref()
            .is_some_and(|a| Ok(a) == self.typed().as_ref());
        if !same {
            self.accepted = None;
            self.slider.reset();
        }
    }

    fn next_focus(&self, forward: bool) -> Focus {
        let order: Vec<Focus> = [Focus::Address, Focus::Slider, Focus::Request]
            .into_iter()
            .filter(|f| match f {
                Focus::Address => true,
                Focus::Slider => self.accepted.is_some(),
                Focus::Request => self.slider.is_verified(),
            })
            .collect();
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        let next = if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        };
        order[next]
    }

    pub fn paste(&mut self, text: &str) {
        if self.focus == Focus::Address {
            // An address is one line: a pasted newline ends it.
            let line = text.lines().next().unwrap_or_default();
            if self.address.insert_str(line) == Edit::Changed {
                self.checked = false;
                self.address_edited();
            }
        }
    }

    pub fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Nav {
        match key.code {
            KeyCode::Tab | KeyCode::BackTab => {
                if self.focus == Focus::Address {
                    self.checked = !self.address.is_empty();
                }
                self.focus = self.next_focus(key.code == KeyCode::Tab);
                return Nav::Stay;
            }
            _ => {}
        }
        match self.focus {
            Focus::Address => self.key_address(key, cx),
            Focus::Slider => self.key_slider(key, cx),
            Focus::Request => {
                if key.code == KeyCode::Enter && self.slider.is_verified() {
                    cx.call(Call::Flow(FlowCall::Request), "app-busy");
                } else if key.code == KeyCode::Left || key.code == KeyCode::Up {
                    self.focus = Focus::Slider;
                }
            }
        }
        Nav::Stay
    }

    fn key_address(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) {
        if key.code == KeyCode::Enter {
            self.checked = true;
            match self.typed() {
                Ok(address) if self.accepted.as_ref() == Some(&address) => {
                    self.focus = if self.slider.is_verified() {
                        Focus::Request
                    } else {
                        Focus::Slider
                    };
                }
                Ok(address) => {
                    *cx.notice = None;
                    cx.call(Call::SubmitAddress(address.to_string()), "app-busy");
                }
                Err(e) => cx.error(address_error(&e, cx.t)),
            }
            return;
        }
        if self.address.key(key) == Edit::Changed {
            *cx.notice = None;
            self.checked = false;
            self.address_edited();
        }
    }

    fn key_slider(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) {
        let event = match key.code {
            KeyCode::Right | KeyCode::Char('l')
                if !key.modifiers.contains(KeyModifiers::CONTROL) =>
            {
                self.slider.right(cx.now_ms)
            }
            KeyCode::Left | KeyCode::Char('h') => self.slider.left(),
            KeyCode::Enter if self.slider.is_verified() => {
                self.focus = Focus::Request;
                SlideEvent::None
            }
            // Enter is not how the knob moves: say what is.
            KeyCode::Enter => {
                cx.error(cx.t.t("error-slide-first"));
                SlideEvent::None
            }
            KeyCode::Up => {
                self.focus = Focus::Address;
                SlideEvent::None
            }
            _ => SlideEvent::None,
        };
        match event {
            // No spinner: the knob at the end is the feedback.
            SlideEvent::Completed(evidence) => {
                cx.effects
                    .push(crate::tui::app::Effect::Call(Call::CheckSlide(evidence)));
            }
            SlideEvent::Moved => *cx.notice = None,
            SlideEvent::None => {}
        }
    }

    pub fn tick(&mut self, cx: &mut Ctx<'_>) -> Nav {
        self.slider.tick(cx.now_ms);
        Nav::Stay
    }

    pub fn reply(&mut self, reply: Reply, cx: &mut Ctx<'_>) -> Nav {
        match reply {
            Reply::Address(Ok(address)) => {
                *cx.address = address.to_string();
                self.accepted = Some(address);
                self.focus = if self.slider.is_verified() {
                    Focus::Request
                } else {
                    Focus::Slider
                };
                Nav::Stay
            }
            Reply::Slide(Ok(verdict)) => {
                self.slider.verdict(verdict);
                match verdict {
                    SlideVerdict::Verified => {
                        *cx.notice = None;
                        self.focus = Focus::Request;
                    }
                    // A burst is what a paste or a script makes: say how
                    // the knob is moved instead.
                    SlideVerdict::TryAgain(crate::recovery::SlideRefusal::Burst) => {
                        cx.error(cx.t.t("forgot-burst"))
                    }
                    SlideVerdict::TryAgain(_) => cx.error(cx.t.t("forgot-try-again")),
                }
                Nav::Stay
            }
            Reply::Slide(Err(_)) => {
                self.slider.check_failed();
                show_error(&reply, cx);
                Nav::Stay
            }
            Reply::Flow(FlowCall::Request, Ok(_)) => {
                Nav::To(Box::new(Screen::Verify(Verify::default())))
            }
            other => {
                show_error(&other, cx);
                Nav::Stay
            }
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        let (t, theme) = (view.t, view.theme);
        let [
            intro,
            label,
            field,
            hint,
            _,
            slider,
            slider_hint,
            _,
            request,
        ] = Layout::vertical([
            Constraint::Length(if view.compact { 0 } else { 2 }),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(view.gap()),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(view.gap()),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(theme.text(&t.t("forgot-intro"))).wrap(Wrap { trim: true }),
            intro,
        );
        frame.render_widget(Paragraph::new(theme.text(&t.t("forgot-address"))), label);
        let width = field.width.min(56);
        self.address.draw(
            frame,
            Rect { width, ..field },
            theme,
            self.focus == Focus::Address,
            true,
        );
        let hint_line = if self.address.is_empty() {
            Line::default()
        } else {
            match self.typed() {
                Ok(_) if self.accepted.is_some() => {
                    Line::styled(theme.glyphs().check.to_string(), theme.ok())
                }
                Ok(_) => Line::styled(theme.text(&t.t("forgot-address-ok")), theme.ok()),
                Err(e) if self.checked => {
                    Line::styled(theme.text(&address_error(&e, t)), theme.warn())
                }
                Err(_) => Line::default(),
            }
        };
        frame.render_widget(Paragraph::new(hint_line), hint);
        let label = match self.slider.state {
            SlideState::Verified => t.t("forgot-verified"),
            SlideState::Refused => t.t("forgot-try-again"),
            _ => t.t("forgot-slider"),
        };
        let slider_focused = self.focus == Focus::Slider;
        let widest = ["forgot-slider", "forgot-verified", "forgot-try-again"]
            .iter()
            .map(|key| theme.text(&t.t(key)).chars().count())
            .max()
            .unwrap_or(0);
        self.slider.draw(
            frame,
            slider,
            theme,
            slider_focused,
            &theme.text(&label),
            widest,
        );
        if slider_focused && self.slider.state == SlideState::Sliding {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    theme.text(&t.t("forgot-slider-hint")),
                    theme.dim(),
                )),
                slider_hint,
            );
        }
        let request_style_enabled = self.slider.is_verified();
        let mut request_button =
            button(&t.t("forgot-request"), self.focus == Focus::Request, theme);
        if !request_style_enabled {
            request_button = request_button.style(theme.dim());
        }
        frame.render_widget(Paragraph::new(Line::from(request_button)), request);
    }
}
