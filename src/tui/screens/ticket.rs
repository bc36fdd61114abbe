//! The Support branch: how support can reach the person (a phone number or
//! another address; the mailbox they lost is no use), then the ticket's
//! reference to write down, with the desk's name, phone and hours. The
//! reference stays until the person leaves the screen.

use crate::recovery::contact::{self, ContactError};
use crate::service::ServiceError;
use crate::tui::app::{Ctx, Nav, View};
use crate::tui::calls::{Call, FlowCall, Reply};
use crate::tui::widgets::button;
use crate::tui::widgets::text_input::{Edit, TextInput};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

/// The longest contact kept.
const MAX_CONTACT: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    Contact,
    Open,
}

#[derive(Debug)]
pub struct Ticket {
    contact: TextInput,
    focus: Focus,
    /// What is wrong with the contact, shown under it.
    problem: Option<ContactError>,
    /// The ticket, once opened: its reference, and the contact it has.
    opened: Option<(String, Option<String>)>,
}

impl Default for Ticket {
    fn default() -> Self {
        Self {
            contact: TextInput::new(MAX_CONTACT, false),
            focus: Focus::Contact,
            problem: None,
            opened: None,
        }
    }
}

impl Ticket {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn is_open(&self) -> bool {
        self.opened.is_some()
    }

    pub fn title_key(&self) -> &'static str {
        if self.is_open() {
            "ticket-title"
        } else {
            "ticket-ask-title"
        }
    }

    pub fn paste(&mut self, text: &str) {
        if self.opened.is_none() && self.focus == Focus::Contact {
            let line = text.lines().next().unwrap_or_default();
            if self.contact.insert_str(line) == Edit::Changed {
                self.problem = None;
            }
        }
    }

    pub fn key(&mut self, key: &KeyEvent, cx: &mut Ctx<'_>) -> Nav {
        if self.opened.is_some() {
            return match key.code {
                KeyCode::Enter => Nav::Landing,
                _ => Nav::Stay,
            };
        }
        match key.code {
            KeyCode::Tab | KeyCode::BackTab | KeyCode::Up | KeyCode::Down => {
                self.focus = match self.focus {
                    Focus::Contact => Focus::Open,
                    Focus::Open => Focus::Contact,
                };
            }
            KeyCode::Enter => self.open(cx),
            _ if self.focus == Focus::Contact && self.contact.key(key) == Edit::Changed => {
                self.problem = None;
            }
            _ => {}
        }
        Nav::Stay
    }

    /// Checks the contact here, then asks for the ticket.
    fn open(&mut self, cx: &mut Ctx<'_>) {
        let contact = match contact::parse(&self.contact.value()) {
            Ok(None) if cx.options.support.contact_required => Err(ContactError::Needed),
            other => other,
        };
        match contact {
            Ok(contact) => {
                self.problem = None;
                *cx.notice = None;
                cx.call(Call::OpenTicket(contact), "ticket-opening");
            }
            Err(e) => {
                self.problem = Some(e);
                self.focus = Focus::Contact;
            }
        }
    }

    pub fn reply(&mut self, reply: Reply, cx: &mut Ctx<'_>) -> Nav {
        match reply {
            Reply::Flow(FlowCall::OpenTicket, Ok(view)) => {
                *cx.notice = None;
                let contact = contact::parse(&self.contact.value()).ok().flatten();
                self.opened = Some((view.ticket.unwrap_or_default(), contact));
            }
            Reply::Flow(FlowCall::OpenTicket, Err(ServiceError::Contact(e))) => {
                self.problem = Some(e);
                self.focus = Focus::Contact;
            }
            other => {
                super::show_error(&other, cx);
            }
        }
        Nav::Stay
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        match &self.opened {
            Some((reference, contact)) => draw_reference(frame, area, view, reference, contact),
            None => self.draw_ask(frame, area, view),
        }
    }

    fn draw_ask(&self, frame: &mut Frame, area: Rect, view: &View<'_>) {
        let (t, theme) = (view.t, view.theme);
        let intro_text = theme.text(&t.t("ticket-ask-intro"));
        let intro_rows = if view.compact {
            0
        } else {
            crate::tui::widgets::wrapped_height(&intro_text, area.width) + 1
        };
        let label_key = if view.options.support.contact_required {
            "ticket-contact"
        } else {
            "ticket-contact-optional"
        };
        let hint_text = match self.problem {
            Some(ContactError::Needed) => Some(t.t("ticket-contact-needed")),
            Some(ContactError::Invalid) => Some(t.t("ticket-contact-invalid")),
            None => None,
        };
        let hint_shown = hint_text
            .clone()
            .unwrap_or_else(|| t.t("ticket-contact-hint"));
        let hint_rows = crate::tui::widgets::wrapped_height(&theme.text(&hint_shown), area.width);
        let [intro, label, field, hint, _, open] = Layout::vertical([
            Constraint::Length(intro_rows),
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(hint_rows),
            Constraint::Length(view.gap()),
            Constraint::Length(1),
        ])
        .areas(area);
        frame.render_widget(Paragraph::new(intro_text).wrap(Wrap { trim: true }), intro);
        frame.render_widget(Paragraph::new(theme.text(&t.t(label_key))), label);
        let width = field.width.min(56);
        self.contact.draw(
            frame,
            Rect { width, ..field },
            theme,
            self.focus == Focus::Contact,
            true,
        );
        let hint_style = if hint_text.is_some() {
            theme.warn()
        } else {
            theme.dim()
        };
        frame.render_widget(
            Paragraph::new(Line::styled(theme.text(&hint_shown), hint_style))
                .wrap(Wrap { trim: true }),
            hint,
        );
        frame.render_widget(
            Paragraph::new(Line::from(button(
                &t.t("ticket-open"),
                self.focus == Focus::Open,
                theme,
            ))),
            open,
        );
    }
}

fn draw_reference(
    frame: &mut Frame,
    area: Rect,
    view: &View<'_>,
    reference: &str,
    contact: &Option<String>,
) {
    let (t, theme) = (view.t, view.theme);
    let support = &view.options.support;
    let shown = |text: &str| theme.text(&crate::recovery::text::visible(text, 80));
    let mut lines = vec![
        Line::styled(
            theme.text(&t.tf("ticket-reference", &[("reference", reference.into())])),
            theme.ok(),
        ),
        Line::styled(theme.text(&t.t("ticket-write-down")), theme.title()),
        Line::default(),
        Line::raw(theme.text(&match &support.desk {
            Some(desk) => t.tf("ticket-next-desk", &[("desk", shown(desk).into())]),
            None => t.t("ticket-next"),
        })),
    ];
    if let Some(contact) = contact {
        lines.push(Line::raw(theme.text(
            &t.tf("ticket-reach-you", &[("contact", shown(contact).into())]),
        )));
    }
    if !support.phone.is_empty() {
        lines.push(Line::raw(theme.text(
            &t.tf("ticket-phone", &[("phone", shown(&support.phone).into())]),
        )));
    }
    if !support.hours.is_empty() {
        lines.push(Line::raw(theme.text(
            &t.tf("ticket-hours", &[("hours", shown(&support.hours).into())]),
        )));
    }
    lines.push(Line::default());
    lines.push(Line::from(button(&t.t("ticket-back"), true, theme)));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), area);
}
