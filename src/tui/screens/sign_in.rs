//! Screen 0, "Sign in": the landing screen. A sign-in form (address,
//! password, Sign in) checked where the account lives, "Forgot your
//! password?" under the address, and the language. Signing in only says
//! whether the password works; it opens nothing, and goes back to the start.

use super::{Forgot, Screen};
use crate::recovery::EmailAddress;
use crate::recovery::address::MAX_ADDRESS_LEN;
use crate::service::{SecretString, SignInAnswer};
use crate::tui::app::{Ctx, Nav, View};
use crate::tui::calls::{Call, Reply};
use crate::tui::errors::{address_error, clock};
use crate::tui::widgets::button;
use crate::tui::widgets::text_input::{Edit, TextInput};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// The longest password the form takes (the policy's ceiling).
const MAX_PASSWORD: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Address,
    Forgot,
    Password,
    SignIn,
    Language,
}

/// The order Tab walks: "Forgot your password?" right under the address,
/// where a person who cannot go on looks. It has the focus first: rekey is
/// for getting back in, so Enter on the landing screen starts recovery,
/// and typing starts a sign-in (the letters go to the address).
const ORDER: [Focus; 5] = [
    Focus::Address,
    Focus::Forgot,
    Focus::Password,
    Focus::SignIn,
    Focus::Language,
];

#[derive(Debug)]
pub struct SignIn {
    address: TextInput,
    password: TextInput,
    focus: Focus,
    /// What the last try found, or what is missing, under the password.
    problem: Option<String>,
    /// When the password was found to work: the screen says so, then goes
    /// back to the start.
    signed_in_ms: Option<u64>,
}

impl Default for SignIn {
    fn default() -> Self {
        Self {
            address: TextInput::new(MAX_ADDRESS_LEN, false),
            password: TextInput::new(MAX_PASSWORD, true),
            focus: Focus::Forgot,
            problem: None,
            signed_in_ms: None,
        }
    }
}

impl SignIn {
    /// The form for trying a new password: the address filled in, the
    /// focus on the password.
    pub fn for_address(address: &str) -> Self {
        let mut form = Self::default();
        form.address.set(address);
        if !address.is_empty() {
            form.focus = Focus::Password;
        }
        form
    }

    /// Nothing typed, nothing tried.
    pub fn is_pristine(&self) -> bool {
        self.address.is_empty()
            && self.password.is_empty()
            && self.problem.is_none()
            && self.signed_in_ms.is_none()
    }

    /// ← / → (or Enter) on the language control: which way to move.
    pub fn language_key(&self, key: &KeyEvent) -> Option<isize> {
        if self.focus != Focus::Language || self.signed_in_ms.is_some() {
            return None;
        }
        match key.code {
            KeyCode::Left => Some(-1),
            KeyCode::Right | KeyCode::Enter | KeyCode::Char(' ') => Some(1),
            _ => None,
        }
    }

    fn step_focus(&mut self, forward: bool) {
        let at = ORDER.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = ORDER.len();
        self.focus = ORDER[if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        }];
    }

    /// Typing on "Forgot your password?" (where the focus starts) goes to
    /// the address: it is a sign-in being started.
    fn start_typing(&mut self) {
        if self.focus == Focus::Forgot {
            self.focus = Focus::Address;
        }
    }

    pub fn paste(&mut self, text: &str) {
        let line = text.lines().next().unwrap_or_default();
        self.start_typing();
        let edited = match self.focus {
            Focus::Address => self.address.insert_str(line),
            Focus::Password => self.password.insert_str(line),
            _ => Edit::Ignored,
        };
        if edited == Edit::Changed {
            self.problem = None;
        }
    }

    pub fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Nav {
        if self.signed_in_ms.is_some() {
            return match key.code {
                KeyCode::Enter => Nav::Landing,
                _ => Nav::Stay,
            };
        }
        match key.code {
            KeyCode::Tab | KeyCode::Down => self.step_focus(true),
            KeyCode::BackTab | KeyCode::Up => self.step_focus(false),
            KeyCode::Enter => match self.focus {
                Focus::Address => match EmailAddress::parse(&self.address.value()) {
                    Ok(_) => {
                        self.problem = None;
                        self.focus = Focus::Password;
                    }
                    Err(e) => self.problem = Some(address_error(&e, cx.t)),
                },
                Focus::Password | Focus::SignIn => self.submit(cx),
                Focus::Forgot => {
                    *cx.notice = None;
                    let typed = EmailAddress::parse(&self.address.value())
                        .map(|a| a.to_string())
                        .unwrap_or_default();
                    return Nav::To(Box::new(Screen::Forgot(Forgot::with_address(
                        cx.options.slide,
                        &typed,
                    ))));
                }
                Focus::Language => {}
            },
            _ => {
                if matches!(key.code, KeyCode::Char(_))
                    && !key.modifiers.contains(KeyModifiers::CONTROL)
                {
                    self.start_typing();
                }
                let edited = match self.focus {
                    Focus::Address => self.address.key(key),
                    Focus::Password => self.password.key(key),
                    _ => Edit::Ignored,
                };
                if edited == Edit::Changed {
                    self.problem = None;
                }
            }
        }
        Nav::Stay
    }

    fn submit(&mut self, cx: &mut Ctx<'_>) {
        let address = match EmailAddress::parse(&self.address.value()) {
            Ok(address) => address,
            Err(e) => {
                self.problem = Some(address_error(&e, cx.t));
                self.focus = Focus::Address;
                return;
            }
        };
        if self.password.is_empty() {
            self.problem = Some(cx.t.t("sign-in-password-first"));
            self.focus = Focus::Password;
            return;
        }
        self.problem = None;
        *cx.notice = None;
        let password = SecretString::from(self.password.value().as_str());
        // Typed once per try: the field is empty for the next.
        self.password.clear();
        self.focus = Focus::Password;
        cx.call(
            Call::SignIn {
                language: cx.t.code.to_string(),
                address: address.to_string(),
                password,
            },
            "sign-in-checking",
        );
    }

    pub fn reply(&mut self, reply: Reply, cx: &mut Ctx<'_>) -> Nav {
        let Reply::SignIn(answer) = reply else {
            return Nav::Stay;
        };
        self.problem = match answer {
            Ok(SignInAnswer::Works) => {
                self.signed_in_ms = Some(cx.now_ms);
                None
            }
            Ok(SignInAnswer::NoMatch {
                tries_left,
                wait_ms,
            }) => {
                let mut text = cx.t.t("sign-in-mismatch");
                text.push(' ');
                if tries_left == 0 {
                    text.push_str(
                        &cx.t
                            .tf("sign-in-paused", &[("time", clock(wait_ms).into())]),
                    );
                } else {
                    text.push_str(&cx.t.tf("sign-in-tries-left", &[("n", tries_left.into())]));
                }
                Some(text)
            }
            Ok(SignInAnswer::Paused { wait_ms }) => {
                Some(cx.t.tf("sign-in-paused", &[("time", clock(wait_ms).into())]))
            }
            // Nothing reconnects on its own here: the next try does.
            Err(crate::service::ServiceError::Unavailable(_)) => {
                Some(cx.t.t("sign-in-unavailable"))
            }
            Err(crate::service::ServiceError::DirectoryDown) => {
                Some(cx.t.t("sign-in-cannot-check"))
            }
            Err(e) => Some(crate::tui::errors::text(&e, cx.t)),
        };
        Nav::Stay
    }

    pub fn tick(&mut self, cx: &mut Ctx<'_>) -> Nav {
        match self.signed_in_ms {
            Some(at) if cx.now_ms.saturating_sub(at) >= cx.options.done_return_ms => Nav::Landing,
            _ => Nav::Stay,
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        match self.signed_in_ms {
            Some(at) => draw_signed_in(frame, area, view, at),
            None => self.draw_form(frame, area, view),
        }
    }

    fn draw_form(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        let (t, theme) = (view.t, view.theme);
        // The demo names its account where the introduction would be: it
        // is what a person trying rekey needs, in every window size.
        let top: Vec<Line> = match &view.options.demo {
            Some(demo) => vec![
                Line::styled(
                    theme.text(&t.tf("sign-in-demo", &[("address", demo.address.as_str().into())])),
                    theme.dim(),
                ),
                Line::styled(
                    theme.text(&t.tf(
                        "sign-in-demo-password",
                        &[("password", demo.password.as_str().into())],
                    )),
                    theme.dim(),
                ),
            ],
            None if view.compact => Vec::new(),
            None => vec![Line::raw(theme.text(&t.t("sign-in-intro")))],
        };
        let mut intro_rows = match top.as_slice() {
            [] => 0,
            lines => crate::tui::widgets::lines_height(lines, area.width) + view.gap(),
        };
        let problem = self.problem.as_deref().map(|p| theme.text(p));
        let problem_rows = problem
            .as_deref()
            .map_or(0, |p| crate::tui::widgets::wrapped_height(p, area.width));
        // The languages wrap in a narrow window rather than lose one.
        let languages = self.language_line(view);
        let languages_text = crate::tui::widgets::line_text(&languages);
        // Its spaces are part of the layout (`<English>  Svenska`): counted
        // as they are, not folded as a paragraph's are.
        let language_rows = u16::try_from(
            languages_text
                .trim_end()
                .chars()
                .count()
                .div_ceil(usize::from(area.width.max(1))),
        )
        .unwrap_or(1)
        .max(crate::tui::widgets::wrapped_height(
            &languages_text,
            area.width,
        ));
        // The form's controls come first: what is above them goes when the
        // window cannot hold both.
        let form_rows = 6 + problem_rows + view.gap() + language_rows;
        if intro_rows + form_rows > area.height {
            intro_rows = 0;
        }
        let [
            intro,
            address_label,
            address,
            forgot,
            password_label,
            password,
            problem_area,
            sign_in,
            _,
            language,
        ] = Layout::vertical([
            Constraint::Length(intro_rows),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(problem_rows),
            Constraint::Length(1),
            Constraint::Length(view.gap()),
            Constraint::Length(language_rows),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(top).wrap(Wrap { trim: true }), intro);
        let field = |r: Rect| Rect {
            width: r.width.min(56),
            ..r
        };
        frame.render_widget(
            Paragraph::new(theme.text(&t.t("sign-in-address"))),
            address_label,
        );
        self.address.draw(
            frame,
            field(address),
            theme,
            self.focus == Focus::Address,
            true,
        );
        frame.render_widget(
            Paragraph::new(Line::from(button(
                &t.t("sign-in-forgot"),
                self.focus == Focus::Forgot,
                theme,
            ))),
            forgot,
        );
        frame.render_widget(
            Paragraph::new(theme.text(&t.t("sign-in-password"))),
            password_label,
        );
        self.password.draw(
            frame,
            field(password),
            theme,
            self.focus == Focus::Password,
            false,
        );
        if let Some(problem) = problem {
            frame.render_widget(
                Paragraph::new(Line::styled(problem, theme.warn())).wrap(Wrap { trim: true }),
                problem_area,
            );
        }
        frame.render_widget(
            Paragraph::new(Line::from(button(
                &t.t("sign-in-submit"),
                self.focus == Focus::SignIn,
                theme,
            ))),
            sign_in,
        );
        frame.render_widget(
            Paragraph::new(languages).wrap(Wrap { trim: false }),
            language,
        );
    }

    fn language_line(&self, view: &View<'_>) -> Line<'static> {
        let (t, theme) = (view.t, view.theme);
        let focused = self.focus == Focus::Language;
        let mut spans = vec![Span::raw(format!(
            "{}: ",
            theme.text(&t.t("sign-in-language"))
        ))];
        for i in 0..view.catalogs.len() {
            let name = view.catalogs.get(i).t("language-name");
            let chosen = i == view.language;
            let style = match (chosen, focused) {
                (true, true) => theme.focus(),
                (true, false) => theme.title(),
                _ => theme.dim(),
            };
            let shown = if chosen {
                format!("<{}>", theme.text(&name))
            } else {
                format!(" {} ", theme.text(&name))
            };
            spans.push(Span::styled(shown, style));
            spans.push(Span::raw(" "));
        }
        Line::from(spans)
    }
}

fn draw_signed_in(frame: &mut Frame, area: Rect, view: &View<'_>, at: u64) {
    let (t, theme) = (view.t, view.theme);
    let left = view
        .options
        .done_return_ms
        .saturating_sub(view.now_ms.saturating_sub(at));
    let lines = vec![
        Line::styled(
            format!(
                "{} {}",
                theme.glyphs().check,
                theme.text(&t.t("sign-in-success"))
            ),
            theme.ok(),
        ),
        Line::default(),
        Line::raw(theme.text(&t.tf(
            "sign-in-success-detail",
            &[("n", left.div_ceil(1000).into())],
        ))),
        Line::default(),
        Line::from(button(&t.t("ticket-back"), true, theme)),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
