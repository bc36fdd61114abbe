//! Screen 3, "Check your email": send the code, type or paste it, see how
//! long it lives, how many tries are left and when Resend comes back.

use super::{NewPassword, Screen, Ticket, show_error};
use crate::recovery::FlowError;
use crate::recovery::{FlowView, MailProgress, ResendStatus, Stage};
use crate::service::ServiceError;
use crate::tui::app::{Ctx, Nav, View};
use crate::tui::calls::{Call, FlowCall, Reply};
use crate::tui::errors::clock;
use crate::tui::widgets::button;
use crate::tui::widgets::code_boxes::CodeBoxes;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    GetCode,
    Boxes,
    /// Only once six digits are in.
    Confirm,
    /// Only while a new code can be sent.
    Resend,
    /// Only when the e-mail way is closed for now.
    Support,
}

#[derive(Debug)]
pub struct CheckEmail {
    view: FlowView,
    /// When `view` was current.
    view_ms: u64,
    boxes: CodeBoxes,
    focus: Focus,
    /// A status refresh is on its way.
    refreshing: bool,
    /// When the flow's status was last asked for.
    polled_ms: u64,
}

impl CheckEmail {
    pub fn new(view: FlowView, now_ms: u64) -> Self {
        let focus = if view.stage == Stage::CodeSent {
            Focus::Boxes
        } else {
            Focus::GetCode
        };
        Self {
            view,
            view_ms: now_ms,
            boxes: CodeBoxes::default(),
            focus,
            refreshing: false,
            polled_ms: now_ms,
        }
    }

    /// The code was right: this screen, come back to from "Create a new
    /// password", only leads on to it again.
    fn confirmed(&self) -> bool {
        self.view.stage == Stage::CodeConfirmed
    }

    /// The code is spent (out of tries or time) and no new one may be sent
    /// for a while: the e-mail way is closed until then, and Support is
    /// what is left.
    fn email_closed(&self, now_ms: u64) -> bool {
        matches!(self.view.stage, Stage::LockedOut | Stage::Expired)
            && matches!(self.view.resend, ResendStatus::HourlyLimit { .. })
            && self.resend_wait(now_ms).is_some()
    }

    pub fn code_sent(&self) -> bool {
        self.view.stage != Stage::EmailChosen && self.view.stage != Stage::Requested
    }

    fn elapsed(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.view_ms)
    }

    fn resend_wait(&self, now_ms: u64) -> Option<u64> {
        self.view
            .resend
            .wait_ms()
            .map(|ms| ms.saturating_sub(self.elapsed(now_ms)))
            .filter(|&ms| ms > 0)
    }

    fn expires_in(&self, now_ms: u64) -> Option<u64> {
        self.view
            .code
            .as_ref()
            .map(|c| c.expires_in_ms.saturating_sub(self.elapsed(now_ms)))
    }

    /// The controls that can take the focus now: never a disabled one.
    fn focus_order(&self, now_ms: u64) -> Vec<Focus> {
        if !self.code_sent() {
            return vec![Focus::GetCode];
        }
        if self.email_closed(now_ms) {
            return vec![Focus::Support];
        }
        let mut order = vec![Focus::Boxes];
        if self.boxes.is_complete() {
            order.push(Focus::Confirm);
        }
        if self.resend_wait(now_ms).is_none() {
            order.push(Focus::Resend);
        }
        order
    }

    /// Where the focus goes when the one it is on stops being there.
    fn keep_focus_enabled(&mut self, now_ms: u64) {
        let order = self.focus_order(now_ms);
        if !order.contains(&self.focus) {
            self.focus = order[0];
        }
    }

    fn move_focus(&mut self, forward: bool, now_ms: u64) {
        let order = self.focus_order(now_ms);
        let at = order.iter().position(|f| *f == self.focus).unwrap_or(0);
        let n = order.len();
        self.focus = order[if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        }];
    }

    fn send(&mut self, cx: &mut Ctx<'_>) {
        *cx.notice = None;
        cx.call(Call::Flow(FlowCall::SendCode), "check-sending");
    }

    pub fn paste(&mut self, text: &str) {
        if self.code_sent() && self.boxes.paste(text) {
            self.focus = if self.boxes.is_complete() {
                Focus::Confirm
            } else {
                Focus::Boxes
            };
        }
    }

    fn confirm(&self, cx: &mut Ctx<'_>) {
        if self.boxes.is_complete() {
            cx.call(
                Call::ConfirmCode(self.boxes.code().as_str().into()),
                "app-busy",
            );
        } else {
            cx.error(cx.t.t("error-code-length"));
        }
    }

    pub fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Nav {
        if self.confirmed() {
            if key.code == KeyCode::Enter {
                *cx.notice = None;
                return Nav::To(Box::new(Screen::NewPassword(NewPassword::new(cx.address))));
            }
            return Nav::Stay;
        }
        self.keep_focus_enabled(cx.now_ms);
        // Digits and Backspace go to the boxes whatever has the focus: a
        // person looking at the boxes types into them.
        let for_boxes = matches!(key.code, KeyCode::Char(c) if c.is_ascii_digit())
            || key.code == KeyCode::Backspace;
        if self.code_sent() && for_boxes && !self.email_closed(cx.now_ms) {
            if self.boxes.key(key) {
                *cx.notice = None;
            }
            self.focus = if self.boxes.is_complete() {
                Focus::Confirm
            } else {
                Focus::Boxes
            };
            return Nav::Stay;
        }
        match key.code {
            KeyCode::Tab => self.move_focus(true, cx.now_ms),
            KeyCode::BackTab => self.move_focus(false, cx.now_ms),
            _ => match self.focus {
                Focus::GetCode => {
                    if key.code == KeyCode::Enter {
                        self.send(cx);
                    }
                }
                Focus::Resend => {
                    if key.code == KeyCode::Enter && self.resend_wait(cx.now_ms).is_none() {
                        self.boxes.clear();
                        self.send(cx);
                    } else if key.code == KeyCode::Up {
                        self.focus = Focus::Boxes;
                    } else if key.code == KeyCode::Left && self.boxes.is_complete() {
                        self.focus = Focus::Confirm;
                    }
                }
                Focus::Support => {
                    if key.code == KeyCode::Enter {
                        *cx.notice = None;
                        return Nav::To(Box::new(Screen::Ticket(Ticket::new())));
                    }
                }
                Focus::Confirm => match key.code {
                    KeyCode::Enter => self.confirm(cx),
                    KeyCode::Up => self.focus = Focus::Boxes,
                    KeyCode::Right if self.resend_wait(cx.now_ms).is_none() => {
                        self.focus = Focus::Resend;
                    }
                    _ => {}
                },
                Focus::Boxes => {
                    if key.code == KeyCode::Enter {
                        self.confirm(cx);
                    } else if key.code == KeyCode::Down {
                        self.move_focus(true, cx.now_ms);
                    }
                }
            },
        }
        Nav::Stay
    }

    pub fn tick(&mut self, cx: &mut Ctx<'_>) -> Nav {
        // A control that time took away (Resend's countdown began, the
        // e-mail way opened again) does not keep an unseen focus.
        self.keep_focus_enabled(cx.now_ms);
        let live = matches!(self.view.stage, Stage::CodeSent | Stage::CodeConfirmed);
        if !live || self.refreshing {
            return Nav::Stay;
        }
        let ran_out = self.expires_in(cx.now_ms) == Some(0);
        // Ask how the mail is getting on: often while it is on its way or
        // late, now and then once it went.
        let every = match self.view.mail {
            Some(MailProgress::Sent) | None => 15_000,
            Some(MailProgress::Sending | MailProgress::Delayed) => 2_000,
        };
        if ran_out || cx.now_ms.saturating_sub(self.polled_ms) >= every {
            self.refreshing = true;
            self.polled_ms = cx.now_ms;
            cx.effects
                .push(crate::tui::app::Effect::Call(Call::Flow(FlowCall::Status)));
        }
        Nav::Stay
    }

    fn update(&mut self, view: FlowView, now_ms: u64) {
        self.view = view;
        self.view_ms = now_ms;
        self.refreshing = false;
    }

    pub fn reply(&mut self, reply: Reply, cx: &mut Ctx<'_>) -> Nav {
        match reply {
            Reply::Flow(FlowCall::SendCode, Ok(view)) => {
                self.update(view, cx.now_ms);
                self.focus = Focus::Boxes;
                // The intro and the mail's line say it now; once is enough.
                *cx.notice = None;
            }
            Reply::Flow(FlowCall::Status, Ok(view)) => {
                self.update(view, cx.now_ms);
                self.keep_focus_enabled(cx.now_ms);
            }
            Reply::Flow(FlowCall::Status, Err(e)) => {
                // Ask again at the next poll, and say what went wrong.
                self.refreshing = false;
                cx.error(crate::tui::errors::text(&e, cx.t));
            }
            Reply::Flow(FlowCall::Confirm, Ok(view)) => {
                // Kept, so that going back shows the truth: confirmed.
                self.update(view, cx.now_ms);
                self.boxes.clear();
                *cx.notice = None;
                return Nav::To(Box::new(Screen::NewPassword(NewPassword::new(cx.address))));
            }
            Reply::Flow(FlowCall::Confirm, Err(e)) => {
                self.boxes.clear();
                cx.error(crate::tui::errors::text(&e, cx.t));
                let dead = matches!(
                    e,
                    ServiceError::Flow(FlowError::NoTriesLeft | FlowError::CodeExpired)
                ) || matches!(e, ServiceError::WrongCode { attempts_left: 0 });
                self.focus = Focus::Boxes;
                if dead && self.resend_wait(cx.now_ms).is_none() {
                    self.focus = Focus::Resend;
                }
                cx.effects
                    .push(crate::tui::app::Effect::Call(Call::Flow(FlowCall::Status)));
            }
            other => {
                show_error(&other, cx);
            }
        }
        Nav::Stay
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        let (t, theme) = (view.t, view.theme);
        let now = view.now_ms;
        let sent = self.code_sent();
        // A refusal of the code ("That code is not right") right under the
        // boxes, where the person looks.
        let under_boxes = view
            .notice
            .filter(|_| sent && !self.confirmed() && !self.email_closed(now));
        let notice_rows = under_boxes.map_or(0, |line| {
            crate::tui::widgets::lines_height(std::slice::from_ref(line), area.width).min(2)
        });
        let [
            intro,
            _,
            action,
            _,
            label,
            boxes,
            notice,
            status,
            phrase,
            mail,
            _,
            resend,
        ] = Layout::vertical([
            Constraint::Length(if view.compact { 0 } else { 2 }),
            Constraint::Length(view.gap()),
            Constraint::Length(if sent { 0 } else { 1 }),
            Constraint::Length(if sent { 0 } else { view.gap() }),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(notice_rows),
            Constraint::Length(1),
            Constraint::Length(1),
            // Two rows for "mail is late", which says more.
            Constraint::Length(if view.compact { 1 } else { 2 }),
            Constraint::Length(0),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(
            Paragraph::new(theme.text(&t.tf(
                if sent {
                    "check-intro-sent"
                } else {
                    "check-intro"
                },
                &[("address", view.address.into())],
            )))
            .wrap(Wrap { trim: true }),
            intro,
        );
        if !self.code_sent() {
            frame.render_widget(
                Paragraph::new(Line::from(button(
                    &t.t("check-get-code"),
                    self.focus == Focus::GetCode,
                    theme,
                ))),
                action,
            );
            return;
        }
        if self.confirmed() {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!(
                        "{} {}",
                        theme.glyphs().check,
                        theme.text(&t.t("check-confirmed"))
                    ),
                    theme.ok(),
                ))
                .wrap(Wrap { trim: true }),
                label,
            );
            frame.render_widget(
                Paragraph::new(Line::from(button(&t.t("check-continue"), true, theme))),
                resend,
            );
            return;
        }
        if self.email_closed(now) {
            // One message, not "ask for a new one" beside "no more codes".
            let wait = self.resend_wait(now).unwrap_or_default();
            frame.render_widget(
                Paragraph::new(Line::styled(
                    theme.text(&t.tf("check-email-closed", &[("time", clock(wait).into())])),
                    theme.error(),
                ))
                .wrap(Wrap { trim: true }),
                Rect {
                    height: resend.y.saturating_sub(label.y),
                    ..label
                },
            );
            frame.render_widget(
                Paragraph::new(Line::from(button(
                    &t.t("check-support"),
                    self.focus == Focus::Support,
                    theme,
                ))),
                resend,
            );
            return;
        }
        frame.render_widget(Paragraph::new(theme.text(&t.t("check-code"))), label);
        self.boxes
            .draw(frame, boxes, theme, self.focus == Focus::Boxes);
        if let Some(line) = under_boxes {
            frame.render_widget(
                Paragraph::new(line.clone()).wrap(Wrap { trim: true }),
                notice,
            );
            view.notice_shown.set(true);
        }
        let status_line = match (
            self.view.stage,
            self.view.code.as_ref(),
            self.expires_in(now),
        ) {
            (Stage::CodeSent, Some(code), Some(left)) if left > 0 => Line::from(vec![
                Span::raw(theme.text(&t.tf("check-valid-for", &[("time", clock(left).into())]))),
                Span::styled(theme.glyphs().separator, theme.dim()),
                Span::raw(
                    theme.text(&t.tf("check-tries-left", &[("n", code.attempts_left.into())])),
                ),
            ]),
            (Stage::LockedOut, _, _) => {
                Line::styled(theme.text(&t.t("check-locked")), theme.error())
            }
            _ => Line::styled(theme.text(&t.t("check-expired")), theme.error()),
        };
        frame.render_widget(Paragraph::new(status_line), status);
        let mail_line = match self.view.mail {
            Some(MailProgress::Sending) => {
                Line::styled(theme.text(&t.t("check-mail-sending")), theme.dim())
            }
            Some(MailProgress::Sent) => Line::styled(
                format!(
                    "{} {}",
                    theme.glyphs().check,
                    theme.text(&t.t("check-mail-sent"))
                ),
                theme.ok(),
            ),
            Some(MailProgress::Delayed) => {
                Line::styled(theme.text(&t.t("check-mail-delayed")), theme.warn())
            }
            None => Line::default(),
        };
        frame.render_widget(Paragraph::new(mail_line).wrap(Wrap { trim: true }), mail);
        if let Some(code) = self.view.code.as_ref().filter(|c| !c.phrase.is_empty()) {
            frame.render_widget(
                Paragraph::new(Line::styled(
                    theme.text(&t.tf("check-phrase", &[("phrase", code.phrase.as_str().into())])),
                    theme.dim(),
                )),
                phrase,
            );
        }
        // Confirm, then Resend, on one row; a control that cannot be used
        // now is shown dim, and the focus never lands on it.
        let confirm = if self.boxes.is_complete() {
            button(&t.t("check-confirm"), self.focus == Focus::Confirm, theme)
        } else {
            Span::styled(
                format!(" [ {} ]", theme.text(&t.t("check-confirm"))),
                theme.dim(),
            )
        };
        let resend_part = match (self.view.resend, self.resend_wait(now)) {
            (ResendStatus::HourlyLimit { .. }, Some(wait)) => Span::styled(
                theme.text(&t.tf("check-resend-later", &[("time", clock(wait).into())])),
                theme.dim(),
            ),
            (_, Some(wait)) => Span::styled(
                theme.text(&t.tf("check-resend-in", &[("time", clock(wait).into())])),
                theme.dim(),
            ),
            (_, None) => button(&t.t("check-resend"), self.focus == Focus::Resend, theme),
        };
        let resend_line = Line::from(vec![confirm, Span::raw("  "), resend_part]);
        frame.render_widget(
            Paragraph::new(resend_line).wrap(Wrap { trim: false }),
            resend,
        );
    }
}
