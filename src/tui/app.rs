//! The wizard's state and its one update function: an input (a key, a
//! paste, a tick, a service reply) goes in, effects (service calls, a
//! strength estimate, quit) come out, and `draw` only reads. Tests drive it
//! without a terminal.

use crate::config::Config;
use crate::i18n::{Catalog, Catalogs};
use crate::recovery::{PasswordPolicy, PasswordVerdict, SlideRules};
use crate::tui::calls::{Call, Reply};
use crate::tui::mailbox::MailboxView;
use crate::tui::screens::Screen;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use zeroize::Zeroizing;

/// Below this the wizard asks for a larger window.
/// How long before a kiosk's idle reset the person is asked whether they
/// are still there.
const IDLE_WARNING_MS: u64 = 20_000;

pub const MIN_WIDTH: u16 = 40;
pub const MIN_HEIGHT: u16 = 12;
/// Below this height the layout is compact.
pub const COMPACT_BELOW: u16 = 18;
/// On a large terminal the wizard is a dialog of at most this size in the
/// middle, not lines stretched across 200 columns.
pub const MAX_WIDTH: u16 = 88;
pub const MAX_HEIGHT: u16 = 32;

/// Where a notice goes: right under what the screen drew (a blank row
/// between, `gap`), so it is read with what it is about, not at the bottom
/// of a tall window; `fallback`, the notice row, when the body is full.
fn under_content(frame: &mut Frame, body: Rect, fallback: Rect, gap: u16) -> Rect {
    let buffer = frame.buffer_mut();
    let used = (body.y..body.bottom())
        .rev()
        .find(|&y| (body.x..body.right()).any(|x| buffer[(x, y)].symbol() != " "));
    let y = used.map_or(body.y, |last| last + 1 + gap);
    if y + fallback.height <= body.bottom() {
        Rect { y, ..fallback }
    } else {
        fallback
    }
}

/// `area` capped at [`MAX_WIDTH`] × [`MAX_HEIGHT`], centred.
fn dialog(area: Rect) -> Rect {
    let width = area.width.min(MAX_WIDTH);
    let height = area.height.min(MAX_HEIGHT);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}
/// Steps in the step indicator.
pub const STEPS: u8 = 5;
/// While the service cannot be reached, a new session is tried this often.
pub const RECONNECT_MS: u64 = 3_000;

#[derive(Debug)]
pub enum Input {
    Key(KeyEvent),
    Paste(String),
    Tick,
    Reply(Reply),
    Verdict { seq: u64, verdict: PasswordVerdict },
    Mailbox(MailboxView),
}

#[derive(Debug)]
pub enum Effect {
    Call(Call),
    /// Estimate a candidate password's strength off the event loop; only
    /// the latest `seq` matters.
    Assess {
        seq: u64,
        password: Zeroizing<String>,
        hints: Vec<String>,
    },
    /// The password field was emptied or the password set: the meter lets
    /// go of the last one it was given.
    ForgetPassword,
    Quit,
}

/// The demo account shown on the landing screen by `rekey demo`.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub address: String,
    pub password: String,
}

#[derive(Debug, Clone)]
pub struct AppOptions {
    pub kiosk: bool,
    pub policy: PasswordPolicy,
    pub slide: SlideRules,
    pub idle_ms: u64,
    pub done_return_ms: u64,
    pub demo: Option<DemoAccount>,
    pub support: crate::config::SupportSettings,
}

impl AppOptions {
    pub fn from_config(config: &Config, kiosk: bool, demo: Option<DemoAccount>) -> Self {
        Self {
            kiosk,
            policy: config.password,
            slide: config.slide,
            idle_ms: config.wizard.idle_secs * 1000,
            done_return_ms: config.wizard.done_return_secs * 1000,
            demo,
            support: config.support.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub kind: NoticeKind,
    pub text: String,
}

/// What a screen may touch while it handles an input.
pub struct Ctx<'a> {
    pub now_ms: u64,
    pub t: &'a Catalog,
    pub options: &'a AppOptions,
    pub effects: &'a mut Vec<Effect>,
    pub notice: &'a mut Option<Notice>,
    /// The catalogue key of what is running ("Sending the code…").
    pub busy: &'a mut Option<&'static str>,
    /// The address the service accepted, normalised.
    pub address: &'a mut String,
    /// In the demo: the demo account's new password, to show on the
    /// landing screen.
    pub demo_password: &'a mut Option<String>,
}

impl Ctx<'_> {
    pub fn call(&mut self, call: Call, busy: &'static str) {
        *self.busy = Some(busy);
        self.effects.push(Effect::Call(call));
    }

    pub fn error(&mut self, text: String) {
        *self.notice = Some(Notice {
            kind: NoticeKind::Error,
            text,
        });
    }

    pub fn info(&mut self, text: String) {
        *self.notice = Some(Notice {
            kind: NoticeKind::Info,
            text,
        });
    }
}

/// Where a screen sends the person next.
pub enum Nav {
    Stay,
    Back,
    To(Box<Screen>),
    /// Back to step 1, where the address is typed.
    ToAddress,
    Landing,
    /// To the sign-in form, with the address of this recovery filled in.
    TryPassword,
}

/// What a screen may read while it draws.
pub struct View<'a> {
    /// A short window: leave out introductions and spacing.
    pub compact: bool,
    pub t: &'a Catalog,
    pub theme: &'a Theme,
    pub now_ms: u64,
    pub address: &'a str,
    pub options: &'a AppOptions,
    pub catalogs: &'a Catalogs,
    pub language: usize,
    /// The line that says what is going on (a refusal, "Working…",
    /// "Still there?"), for a screen that shows it next to what it is
    /// about; it then sets `notice_shown`.
    pub notice: Option<&'a Line<'static>>,
    pub notice_shown: &'a std::cell::Cell<bool>,
}

impl View<'_> {
    /// A blank row between groups, none in a compact layout.
    pub fn gap(&self) -> u16 {
        if self.compact { 0 } else { 1 }
    }
}

pub struct App {
    catalogs: Catalogs,
    language: usize,
    theme: Theme,
    options: AppOptions,
    /// The screens walked so far; Esc goes back one.
    stack: Vec<Screen>,
    address: String,
    notice: Option<Notice>,
    busy: Option<&'static str>,
    help: bool,
    mailbox: Option<MailboxView>,
    now_ms: u64,
    last_key_ms: u64,
    quit: bool,
    /// The terminal's size, once known: below the minimum the screen asks
    /// to be enlarged, and keys are not acted on unseen.
    size: Option<(u16, u16)>,
    /// Contact with the service was lost and is not back yet.
    reconnecting: bool,
    /// When to try opening a session again; `None` while a try is on its
    /// way, so tries never pile up behind a daemon that does not answer.
    reconnect_at: Option<u64>,
}

/// Why the session a wizard had is gone.
enum Lost {
    /// The service (the daemon) cannot be reached.
    Contact,
    /// The service no longer knows the session (it idled out, or the
    /// daemon was restarted).
    Session,
}

impl Lost {
    fn of(reply: &Reply) -> Option<Self> {
        use crate::service::ServiceError as E;
        let error = match reply {
            Reply::Opened(Err(e))
            | Reply::Address(Err(e))
            | Reply::Slide(Err(e))
            | Reply::Flow(_, Err(e)) => e,
            _ => return None,
        };
        match error {
            E::Unavailable(_) => Some(Self::Contact),
            E::NoSession if !matches!(reply, Reply::Opened(_)) => Some(Self::Session),
            _ => None,
        }
    }
}

impl App {
    pub fn new(
        catalogs: Catalogs,
        language: usize,
        theme: Theme,
        options: AppOptions,
        now_ms: u64,
    ) -> Self {
        Self {
            catalogs,
            language,
            theme,
            options,
            stack: vec![Screen::landing()],
            address: String::new(),
            notice: None,
            busy: None,
            help: false,
            mailbox: None,
            now_ms,
            last_key_ms: now_ms,
            quit: false,
            size: None,
            reconnecting: false,
            reconnect_at: None,
        }
    }

    pub fn wants_quit(&self) -> bool {
        self.quit
    }

    /// The terminal is now `width` × `height`.
    pub fn resize(&mut self, width: u16, height: u16) {
        self.size = Some((width, height));
    }

    fn too_small(&self) -> bool {
        self.size
            .is_some_and(|(w, h)| w < MIN_WIDTH || h < MIN_HEIGHT)
    }

    pub fn screen(&self) -> &Screen {
        // The stack is never empty: landing() refills it.
        self.stack.last().unwrap_or_else(|| unreachable!())
    }

    pub fn language(&self) -> &str {
        self.catalogs.get(self.language).code
    }

    fn current(&mut self) -> &mut Screen {
        if self.stack.is_empty() {
            self.stack.push(Screen::landing());
        }
        let last = self.stack.len() - 1;
        &mut self.stack[last]
    }

    /// Applies one input at `now_ms`; returns what should happen.
    pub fn handle(&mut self, input: Input, now_ms: u64) -> Vec<Effect> {
        self.now_ms = now_ms;
        let mut effects = Vec::new();
        match input {
            Input::Key(key) => {
                if key.kind == KeyEventKind::Release {
                    return effects;
                }
                // The key that answers "Still there?" only says so.
                let warned = self.idle_warning_secs().is_some();
                self.last_key_ms = now_ms;
                if !warned {
                    self.key(key, &mut effects);
                }
            }
            Input::Paste(_) if self.idle_warning_secs().is_some() => {
                self.last_key_ms = now_ms;
            }
            Input::Paste(text) => {
                self.last_key_ms = now_ms;
                if self.busy.is_none() && !self.help && !self.too_small() {
                    let nav = self.with_screen(&mut effects, |s, cx| s.paste(&text, cx));
                    self.navigate(nav, &mut effects);
                }
            }
            Input::Tick => self.tick(&mut effects),
            Input::Reply(reply) => {
                self.busy = None;
                if let Some(lost) = Lost::of(&reply) {
                    self.start_over(lost, &mut effects);
                    return effects;
                }
                if matches!(reply, Reply::Opened(Ok(()))) && self.reconnecting {
                    self.reconnecting = false;
                    self.reconnect_at = None;
                    let text = self.catalogs.get(self.language).t("error-reconnected");
                    self.notice = Some(Notice {
                        kind: NoticeKind::Info,
                        text,
                    });
                }
                let nav = self.with_screen(&mut effects, |s, cx| s.reply(reply, cx));
                self.navigate(nav, &mut effects);
            }
            Input::Verdict { seq, verdict } => {
                self.with_screen(&mut effects, |s, _| {
                    s.verdict(seq, verdict);
                    Nav::Stay
                });
            }
            Input::Mailbox(view) => self.mailbox = Some(view),
        }
        effects
    }

    fn with_screen(
        &mut self,
        effects: &mut Vec<Effect>,
        f: impl FnOnce(&mut Screen, &mut Ctx<'_>) -> Nav,
    ) -> Nav {
        if self.stack.is_empty() {
            self.stack.push(Screen::landing());
        }
        let mut demo_password = None;
        // Borrowed field by field: the screen is changed while the
        // catalogue and the options are only read.
        let Self {
            catalogs,
            language,
            options,
            stack,
            notice,
            busy,
            address,
            now_ms,
            ..
        } = self;
        let mut cx = Ctx {
            now_ms: *now_ms,
            t: catalogs.get(*language),
            options,
            effects,
            notice,
            busy,
            address,
            demo_password: &mut demo_password,
        };
        let nav = match stack.last_mut() {
            Some(screen) => f(screen, &mut cx),
            None => Nav::Stay,
        };
        if let (Some(password), Some(demo)) = (demo_password, self.options.demo.as_mut()) {
            demo.password = password;
        }
        nav
    }

    fn key(&mut self, key: KeyEvent, effects: &mut Vec<Effect>) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Char('c') if ctrl => {
                if !self.options.kiosk {
                    self.quit = true;
                    effects.push(Effect::Call(Call::Close));
                    effects.push(Effect::Quit);
                }
                return;
            }
            // Suspend and quit-with-core: never a way out to a shell.
            KeyCode::Char('z' | '\\' | '4') if ctrl => return,
            // What cannot be seen is not acted on: the screen only asks
            // to be enlarged.
            _ if self.too_small() => return,
            KeyCode::F(1) => {
                self.help = !self.help;
                return;
            }
            KeyCode::Esc if self.help => {
                self.help = false;
                return;
            }
            _ if self.help => return,
            _ if self.busy.is_some() => return,
            KeyCode::Esc => {
                let nav = self.with_screen(effects, |s, cx| s.escape(cx));
                self.navigate(nav, effects);
                return;
            }
            _ => {}
        }
        if let Screen::SignIn(sign_in) = self.current()
            && let Some(step) = sign_in.language_key(&key)
        {
            let n = self.catalogs.len();
            self.language = (self.language + n).wrapping_add_signed(step) % n;
            return;
        }
        let nav = self.with_screen(effects, |s, cx| s.key(&key, cx));
        self.navigate(nav, effects);
    }

    /// The session is gone: back to "Forgot your password?" with a new
    /// one. The flow itself is in the store, found again by the address.
    fn start_over(&mut self, lost: Lost, effects: &mut Vec<Effect>) {
        if matches!(self.screen(), Screen::SignIn(_)) {
            // The person went back to the start meanwhile (or a kiosk
            // reset): nothing is in progress, and leaving the landing
            // screen opens a session anyway.
            self.reconnecting = false;
            self.reconnect_at = None;
            return;
        }
        if let Screen::Forgot(forgot) = self.current() {
            forgot.new_session();
        } else {
            // Dropping the screens zeroises what was typed on them.
            self.stack.truncate(1);
            self.stack
                .push(Screen::Forgot(crate::tui::screens::Forgot::new(
                    self.options.slide,
                )));
            self.address.clear();
        }
        let key = match lost {
            Lost::Contact => {
                self.reconnecting = true;
                self.reconnect_at = Some(self.now_ms + RECONNECT_MS);
                "error-unavailable"
            }
            Lost::Session => {
                effects.push(Effect::Call(Call::Open {
                    language: self.language().to_string(),
                }));
                "error-no-session"
            }
        };
        self.notice = Some(Notice {
            kind: NoticeKind::Error,
            text: self.catalogs.get(self.language).t(key),
        });
    }

    fn tick(&mut self, effects: &mut Vec<Effect>) {
        if let Some(at) = self.reconnect_at
            && self.now_ms >= at
            && self.busy.is_none()
        {
            self.reconnect_at = None;
            effects.push(Effect::Call(Call::Open {
                language: self.language().to_string(),
            }));
        }
        let idle = self.now_ms.saturating_sub(self.last_key_ms);
        if self.options.kiosk && idle >= self.options.idle_ms && !self.is_pristine() {
            self.go_landing(effects);
            return;
        }
        let nav = self.with_screen(effects, |s, cx| s.tick(cx));
        self.navigate(nav, effects);
    }

    /// In kiosk mode, the seconds left before an idle wizard goes back to
    /// the start, during the last `IDLE_WARNING_MS` of the wait.
    fn idle_warning_secs(&self) -> Option<u64> {
        if !self.options.kiosk || self.is_pristine() || self.busy.is_some() {
            return None;
        }
        let idle = self.now_ms.saturating_sub(self.last_key_ms);
        let left = self.options.idle_ms.checked_sub(idle).filter(|&l| l > 0)?;
        (left <= IDLE_WARNING_MS).then(|| left.div_ceil(1000))
    }

    /// Nothing typed and nothing started: the landing screen as it came up.
    fn is_pristine(&self) -> bool {
        matches!(self.stack.as_slice(), [Screen::SignIn(s)] if s.is_pristine())
            && self.notice.is_none()
            && self.address.is_empty()
    }

    fn navigate(&mut self, nav: Nav, effects: &mut Vec<Effect>) {
        match nav {
            Nav::Stay => {}
            Nav::To(screen) => {
                let screen = *screen;
                if matches!(self.screen(), Screen::SignIn(_)) {
                    // Leaving the landing screen starts a session in the
                    // language chosen there.
                    effects.insert(
                        0,
                        Effect::Call(Call::Open {
                            language: self.language().to_string(),
                        }),
                    );
                }
                self.stack.push(screen);
            }
            Nav::Back => {
                if self.stack.len() > 1 {
                    self.stack.pop();
                    self.notice = None;
                }
                if self.stack.len() == 1 {
                    self.go_landing(effects);
                }
            }
            Nav::ToAddress => {
                while self.stack.len() > 2 && !matches!(self.screen(), Screen::Forgot(_)) {
                    self.stack.pop();
                }
                self.notice = None;
                match self.current() {
                    Screen::Forgot(forgot) => forgot.focus_address(),
                    _ => self.go_landing(effects),
                }
            }
            Nav::Landing => self.go_landing(effects),
            Nav::TryPassword => {
                let address = std::mem::take(&mut self.address);
                self.go_landing(effects);
                self.stack = vec![Screen::SignIn(crate::tui::screens::SignIn::for_address(
                    &address,
                ))];
            }
        }
    }

    /// Back to the start, with everything typed wiped.
    fn go_landing(&mut self, effects: &mut Vec<Effect>) {
        // Dropping the screens zeroises their fields.
        self.stack.clear();
        self.stack.push(Screen::landing());
        self.address.clear();
        self.notice = None;
        self.busy = None;
        self.help = false;
        self.reconnecting = false;
        self.reconnect_at = None;
        effects.push(Effect::Call(Call::Close));
    }

    pub fn draw(&self, frame: &mut Frame) {
        let area = dialog(frame.area());
        let t = self.catalogs.get(self.language);
        let theme = &self.theme;
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let [_, middle, _] = Layout::vertical([
                Constraint::Fill(1),
                Constraint::Length(2),
                Constraint::Fill(1),
            ])
            .areas(area);
            frame.render_widget(
                Paragraph::new(theme.text(&t.t("app-enlarge")))
                    .alignment(Alignment::Center)
                    .wrap(Wrap { trim: true })
                    .style(theme.title()),
                middle,
            );
            return;
        }
        let mailbox_rows = match &self.mailbox {
            Some(_) if area.height >= 20 => 5,
            _ => 0,
        };
        // A short window gets a one-line header and notice, and screens
        // leave out their introductions, so every control still fits.
        let compact = area.height < COMPACT_BELOW;
        let [header, body, notice, footer, mailbox] = Layout::vertical([
            Constraint::Length(if compact { 1 } else { 3 }),
            Constraint::Fill(1),
            Constraint::Length(if compact { 1 } else { 2 }),
            Constraint::Length(1),
            Constraint::Length(mailbox_rows),
        ])
        .areas(area);
        let screen = self.screen();
        self.draw_header(frame, header, t, screen, compact);
        let notice_line = self.notice_line(t);
        let notice_shown = std::cell::Cell::new(false);
        let view = View {
            compact,
            t,
            theme,
            now_ms: self.now_ms,
            address: &self.address,
            options: &self.options,
            catalogs: &self.catalogs,
            language: self.language,
            notice: notice_line.as_ref(),
            notice_shown: &notice_shown,
        };
        let inner = body.inner(ratatui::layout::Margin::new(2, 0));
        screen.draw(frame, inner, &view);
        let gap = view.gap();
        if let Some(line) = notice_line.as_ref().filter(|_| !notice_shown.get()) {
            let fallback = notice.inner(ratatui::layout::Margin::new(2, 0));
            let area = under_content(frame, inner, fallback, gap);
            frame.render_widget(Paragraph::new(line.clone()).wrap(Wrap { trim: true }), area);
        }
        // The demo in a short window: the newest mail (the code) where the
        // key hints were; F1 still lists the keys.
        match self.mailbox.as_ref().filter(|_| mailbox_rows == 0) {
            Some(mail) if let Some(line) = mail.line(t, theme) => {
                frame.render_widget(
                    Paragraph::new(line),
                    footer.inner(ratatui::layout::Margin::new(1, 0)),
                );
            }
            _ => self.draw_footer(frame, footer, t),
        }
        if let Some(mail) = self.mailbox.as_ref().filter(|_| mailbox_rows > 0) {
            mail.draw(frame, mailbox, t, theme);
        }
        if self.help {
            self.draw_help(frame, area, t, screen);
        }
    }

    fn draw_header(
        &self,
        frame: &mut Frame,
        area: Rect,
        t: &Catalog,
        screen: &Screen,
        compact: bool,
    ) {
        let theme = &self.theme;
        let [top, title] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(2)]).areas(area);
        let step = screen
            .step()
            .map(|n| t.tf("app-step", &[("n", n.into()), ("total", STEPS.into())]))
            .unwrap_or_default();
        let left = if compact {
            Span::styled(
                format!(" {}", theme.text(&t.t(screen.title_key()))),
                theme.title(),
            )
        } else {
            Span::styled(" rekey", theme.dim())
        };
        let right = Span::styled(format!("{} ", theme.text(&step)), theme.dim());
        let gap = usize::from(area.width).saturating_sub(left.width() + right.width());
        frame.render_widget(
            Paragraph::new(Line::from(vec![left, Span::raw(" ".repeat(gap)), right])),
            top,
        );
        if compact {
            return;
        }
        frame.render_widget(
            Paragraph::new(Line::styled(
                format!("  {}", theme.text(&t.t(screen.title_key()))),
                theme.title(),
            ))
            .block(
                Block::default()
                    .border_set(theme.border())
                    .borders(Borders::BOTTOM)
                    .border_style(theme.dim()),
            ),
            title,
        );
    }

    /// What the notice row says now: "Still there?", what is running, or
    /// the last notice.
    fn notice_line(&self, t: &Catalog) -> Option<Line<'static>> {
        let theme = &self.theme;
        let line = if let Some(secs) = self.idle_warning_secs() {
            Line::styled(
                theme.text(&t.tf("app-still-there", &[("secs", secs.into())])),
                theme.warn(),
            )
        } else if let Some(key) = self.busy {
            let spinner = theme.glyphs().spinner;
            let at = usize::try_from(self.now_ms / 100).unwrap_or(0) % spinner.len();
            Line::from(vec![
                Span::styled(format!("{} ", spinner[at]), theme.warn()),
                Span::raw(theme.text(&t.t(key))),
            ])
        } else if let Some(notice) = &self.notice {
            let style = match notice.kind {
                NoticeKind::Error => theme.error(),
                NoticeKind::Info => theme.normal(),
            };
            Line::styled(theme.text(&notice.text), style)
        } else {
            return None;
        };
        Some(line)
    }

    fn draw_footer(&self, frame: &mut Frame, area: Rect, t: &Catalog) {
        let theme = &self.theme;
        let mut hints = vec![t.t("app-keys-hint")];
        if !self.options.kiosk {
            hints.push(t.t("app-quit-hint"));
        }
        let text = format!(" {}", hints.join(theme.glyphs().separator));
        frame.render_widget(
            Paragraph::new(Line::styled(theme.text(&text), theme.dim())),
            area,
        );
    }

    fn draw_help(&self, frame: &mut Frame, area: Rect, t: &Catalog, screen: &Screen) {
        let theme = &self.theme;
        let mut keys: Vec<&str> = screen.help_keys().to_vec();
        keys.extend(["keys-tab", "keys-enter", "keys-esc"]);
        if !self.options.kiosk {
            keys.push("keys-quit");
        }
        let texts: Vec<String> = keys.iter().map(|k| theme.text(&t.t(k))).collect();
        let close = theme.text(&t.t("keys-close"));
        // Rows the lines take wrapped inside a box `width` wide.
        let rows = |width: u16| -> u16 {
            texts
                .iter()
                .map(|l| crate::tui::widgets::wrapped_height(l, width.saturating_sub(2)))
                .sum::<u16>()
                + 2
        };
        let mut width = area.width.saturating_sub(4).min(70);
        // Blank line and "Press F1 or Esc to close" under the keys when
        // they fit; in a small window the box takes the whole width and
        // the hint goes into its bottom border, so no key is cut off.
        let roomy = rows(width) + 2 <= area.height;
        if !roomy {
            width = area.width;
        }
        let mut lines: Vec<Line> = texts.iter().map(|l| Line::raw(l.clone())).collect();
        let mut block = Block::default()
            .border_set(theme.border())
            .borders(Borders::ALL)
            .title(theme.text(&format!(" {} ", t.t("keys-title"))));
        let height = if roomy {
            lines.push(Line::default());
            lines.push(Line::styled(close, theme.dim()));
            rows(width) + 2
        } else {
            block = block.title_bottom(Line::styled(format!(" {close} "), theme.dim()));
            rows(width)
        };
        let popup = Rect {
            x: area.x + (area.width - width) / 2,
            y: area.y + area.height.saturating_sub(height) / 2,
            width,
            height: height.min(area.height),
        };
        frame.render_widget(Clear, popup);
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: true }).block(block),
            popup,
        );
    }
}

/// The screen as text, one line per row: for tests and snapshots.
pub fn render_text(app: &App, width: u16, height: u16) -> String {
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut terminal = ratatui::Terminal::new(backend).unwrap_or_else(|_| unreachable!());
    let _ = terminal.draw(|f| app.draw(f));
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..height {
        for x in 0..width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
#[path = "app_tests.rs"]
mod tests;
