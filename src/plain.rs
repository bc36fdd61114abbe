//! The plain line mode, for screen readers and braille displays: the same
//! flow on the same recovery service as the full-screen wizard, as lines
//! on stdout and answers read line by line from stdin (a terminal or a
//! pipe). No alternate screen, no colours, no cursor moves, no spinners:
//! each step says where the person is, choices are numbered, an error comes
//! next to its question and the question again. `?` gives the step's help,
//! `b` goes back, `t` says how long the code is valid.
//!
//! There is no slider: the slide is pacing evidence rekey's own wizard
//! sends, not a barrier. A plain session skips it and keeps every limit,
//! floor and answer of any other session.

use crate::config::Config;
use crate::i18n::{Catalog, Catalogs};
use crate::recovery::{FlowError, FlowView, MailProgress, PasswordVerdict, RuleStatus, Stage};
use crate::service::{RecoveryService, SecretString, ServiceError, SessionId, SignInAnswer};
use crate::tui::WizardOptions;
use crate::tui::errors::{clock, text as error_text};
use crate::tui::widgets::meter::{crack_time, rule_text};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// While the code is awaited, the flow is asked for news this often.
const POLL: Duration = Duration::from_secs(3);
/// While the service cannot be reached, a new session is tried this often.
const RECONNECT: Duration = Duration::from_secs(3);
/// The one escape sequence plain mode sends: at a kiosk's idle reset, so
/// the next person does not read the last one's address.
const CLEAR_SCREEN: &str = "\x1b[H\x1b[2J\x1b[3J";
/// The longest line read: far more than any answer, so a pipe cannot fill
/// memory with one line.
const MAX_LINE: u64 = 64 * 1024;

/// What a question got.
enum Answer {
    Text(String),
    /// `b`: one step back.
    Back,
    /// The input ended (the pipe closed, the terminal hung up).
    End,
    /// A kiosk sat idle: back to the start, wiped.
    Idle,
    /// The service went away, or forgot the session, meanwhile.
    Lost(ServiceError),
}

/// The session is gone: the daemon cannot be reached, or no longer knows
/// it (it was restarted, or the session idled out).
fn is_lost(e: &ServiceError) -> bool {
    matches!(e, ServiceError::Unavailable(_) | ServiceError::NoSession)
}

/// Where the person is.
enum Step {
    Start,
    SignIn,
    Address,
    Verify,
    Ticket,
    Code,
    Password,
    Done,
}

struct Plain {
    service: Arc<dyn RecoveryService>,
    t: Catalog,
    options: WizardOptions,
    config: Config,
    lines: mpsc::UnboundedReceiver<Option<String>>,
    session: Option<SessionId>,
    address: String,
    /// What was last said of the code's mail, so each change is said once.
    mail_said: Option<MailProgress>,
    expiry_said: bool,
    /// In the demo: the newest mail's code, each time mail arrives.
    mailbox: Option<mpsc::UnboundedReceiver<String>>,
    /// On the start question with nothing under way: a kiosk has nothing
    /// to wipe, so it does not reset.
    resting: bool,
}

/// Typed characters not shown while this lives (passwords, and what may
/// be typed ahead of their question).
struct Hidden;

impl Hidden {
    fn new() -> Self {
        echo(false);
        Self
    }
}

impl Drop for Hidden {
    fn drop(&mut self) {
        echo(true);
    }
}

/// The terminal as plain mode found it, put back on every way out (a panic
/// included). At a kiosk, the keys that would end or suspend rekey (Ctrl-D,
/// Ctrl-\\, Ctrl-Z) do nothing while it runs.
struct TerminalGuard {
    saved: Option<nix::sys::termios::Termios>,
}

impl TerminalGuard {
    fn enter(kiosk: bool) -> Self {
        use nix::sys::termios::{SetArg, SpecialCharacterIndices as C, tcgetattr, tcsetattr};
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok();
        if let (Some(original), true) = (&saved, kiosk) {
            let mut locked = original.clone();
            for key in [C::VEOF, C::VQUIT, C::VSUSP] {
                // 0 is _POSIX_VDISABLE on Linux: the key does nothing.
                locked.control_chars[key as usize] = 0;
            }
            let _ = tcsetattr(&stdin, SetArg::TCSANOW, &locked);
        }
        Self { saved }
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        if let Some(saved) = &self.saved {
            let _ = nix::sys::termios::tcsetattr(
                std::io::stdin(),
                nix::sys::termios::SetArg::TCSANOW,
                saved,
            );
        }
    }
}

/// Runs plain mode until the input ends or the person quits.
pub async fn run(
    service: Arc<dyn RecoveryService>,
    config: &Config,
    options: WizardOptions,
) -> std::io::Result<()> {
    let catalogs = Catalogs::shipped();
    let language = catalogs.starting(options.language.as_deref(), &config.wizard.language);
    let _terminal = TerminalGuard::enter(options.kiosk);
    let (tx, lines) = mpsc::unbounded_channel();
    // A thread of its own: a read that never returns (nobody types) must
    // not hold up the runtime's shutdown.
    std::thread::Builder::new()
        .name("rekey-plain-input".into())
        .spawn(move || read_lines(&tx))?;
    let mailbox = options.mailbox.clone().map(|(dir, mut deliveries)| {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            while deliveries.changed().await.is_ok() {
                let view = crate::tui::mailbox::MailboxView::read(&dir);
                if view.count > 0 && tx.send(view.highlight).is_err() {
                    return;
                }
            }
        });
        rx
    });
    let mut plain = Plain {
        service,
        t: catalogs.get(language).clone(),
        options,
        config: config.clone(),
        lines,
        session: None,
        address: String::new(),
        mail_said: None,
        expiry_said: false,
        mailbox,
        resting: false,
    };
    let kiosk = plain.options.kiosk;
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())?;
    let outcome = {
        let walk = plain.walk();
        tokio::pin!(walk);
        loop {
            tokio::select! {
                outcome = &mut walk => break outcome,
                // Ctrl-C quits, except at a kiosk, where there is no way out.
                _ = interrupt.recv() => if !kiosk { break Ok(()) },
                _ = terminate.recv() => break Ok(()),
                _ = hangup.recv() => break Ok(()),
            }
        }
    };
    if let Some(session) = plain.session.take() {
        let _ = plain.service.close_session(&session).await;
    }
    outcome
}

/// Reads stdin line by line, for as long as it lasts. A line that is not
/// UTF-8 (a Latin-1 terminal) is read as well as it can be, not taken for
/// the end; one longer than [`MAX_LINE`] is cut there.
fn read_lines(tx: &mpsc::UnboundedSender<Option<String>>) {
    use std::io::{BufRead, Read};
    let mut stdin = std::io::stdin().lock();
    loop {
        let mut bytes = zeroize::Zeroizing::new(Vec::new());
        let read = (&mut stdin).take(MAX_LINE).read_until(b'\n', &mut bytes);
        match read {
            Ok(0) | Err(_) => {
                let _ = tx.send(None);
                return;
            }
            Ok(_) => {
                if bytes.last() != Some(&b'\n') && bytes.len() as u64 >= MAX_LINE {
                    // The rest of an overlong line is dropped, a piece at
                    // a time.
                    loop {
                        let mut rest = zeroize::Zeroizing::new(Vec::new());
                        match (&mut stdin).take(MAX_LINE).read_until(b'\n', &mut rest) {
                            Ok(0) | Err(_) => break,
                            Ok(_) if rest.last() == Some(&b'\n') => break,
                            Ok(_) => {}
                        }
                    }
                }
                let line = String::from_utf8_lossy(&bytes)
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                if tx.send(Some(line)).is_err() {
                    return;
                }
            }
        }
    }
}

/// Typed characters shown or not, when stdin is a terminal: a password is
/// read without echo; the Enter that ends it still moves to a new line.
fn echo(on: bool) {
    use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
    let stdin = std::io::stdin();
    let Ok(mut termios) = tcgetattr(&stdin) else {
        return;
    };
    termios.local_flags.set(LocalFlags::ECHO, on);
    termios.local_flags.insert(LocalFlags::ECHONL);
    let _ = tcsetattr(&stdin, SetArg::TCSANOW, &termios);
}

/// The code as typed or pasted: its digits, when nothing but separators
/// (spaces of any kind, dashes, dots) is between them; else as it was, for
/// the service to refuse with its reason.
fn code_digits(typed: &str) -> String {
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    let separators_only = typed.chars().all(|c| {
        c.is_ascii_digit() || c.is_whitespace() || matches!(c, '-' | '‐' | '‑' | '–' | '—' | '.')
    });
    if separators_only {
        digits
    } else {
        typed.trim().to_string()
    }
}

/// A line to the person.
fn say(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", crate::recovery::text::visible(text, usize::MAX));
    let _ = out.flush();
}

/// A question, on a line of its own, the answer typed after it.
fn prompt(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{text}: ");
    let _ = out.flush();
}

impl Plain {
    async fn walk(&mut self) -> std::io::Result<()> {
        let mut step = Step::Start;
        loop {
            let next = match step {
                Step::Start => self.start().await,
                Step::SignIn => self.sign_in().await,
                Step::Address => self.address_step().await,
                Step::Verify => self.verify().await,
                Step::Ticket => self.ticket().await,
                Step::Code => self.code().await,
                Step::Password => self.password().await,
                Step::Done => self.done().await,
            };
            step = match next {
                Some(step) => step,
                None => return Ok(()),
            };
        }
    }

    fn step_line(&self, n: u8, title: &str) {
        say("");
        say(&format!(
            "{}: {}",
            self.t.tf(
                "app-step",
                &[("n", n.into()), ("total", crate::tui::app::STEPS.into())]
            ),
            self.t.t(title)
        ));
    }

    /// Waits for a line; in a kiosk, no longer than the idle time. `b`
    /// is Back; `?` prints `help` and asks again.
    async fn ask(&mut self, question: &str, help: &str) -> Answer {
        self.ask_watching(question, help, None).await
    }

    /// As [`Plain::ask`]; with a `session`, what happens to its code
    /// meanwhile is said once (the mail sent or late, the code expired,
    /// the demo's mail), and a lost session ends the wait.
    async fn ask_watching(&mut self, question: &str, help: &str, session: Option<&str>) -> Answer {
        prompt(question);
        let idle = Duration::from_secs(self.config.wizard.idle_secs);
        let resets = self.options.kiosk && !self.resting;
        let mut last_line = tokio::time::Instant::now();
        loop {
            let mail = async {
                match (session, self.mailbox.as_mut()) {
                    (Some(_), Some(mailbox)) => mailbox.recv().await,
                    _ => std::future::pending().await,
                }
            };
            let wait = match session {
                Some(_) => Some(POLL),
                None if resets => Some(idle.saturating_sub(last_line.elapsed())),
                None => None,
            };
            let tick = async {
                match wait {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                // The demo's mailbox: the code it mailed, as one line.
                Some(highlight) = mail => {
                    say("");
                    say(&self.t.tf("mailbox-newest", &[("text", highlight.as_str().into())]));
                    prompt(question);
                }
                line = self.lines.recv() => {
                    let Some(Some(line)) = line else { return Answer::End };
                    last_line = tokio::time::Instant::now();
                    // No password is one letter long: `?` and `b` mean the
                    // same at a password's question as anywhere.
                    match line.trim() {
                        "?" => { say(&self.t.t(help)); prompt(question); }
                        "b" | "B" => return Answer::Back,
                        _ => return Answer::Text(line),
                    }
                }
                () = tick => {
                    if resets && last_line.elapsed() >= idle {
                        return Answer::Idle;
                    }
                    if let Some(session) = session {
                        match self.service.flow_status(session).await {
                            Ok(view) => {
                                if self.announce(&view) {
                                    prompt(question);
                                }
                            }
                            Err(e) if is_lost(&e) => return Answer::Lost(e),
                            Err(_) => {}
                        }
                    }
                }
            }
        }
    }

    /// A numbered choice: 1-based, or what else the answer was.
    async fn choose(&mut self, choices: &str, help: &str) -> Result<usize, Answer> {
        say(&self.t.t(choices));
        loop {
            match self.ask(&self.t.t("plain-choose"), help).await {
                Answer::Text(text) => match text.trim().parse::<usize>() {
                    Ok(n @ 1..=2) => return Ok(n),
                    _ => say(&self.t.t("plain-pick")),
                },
                other => return Err(other),
            }
        }
    }

    /// Where an answer that is not an answer leads: the start after an
    /// idle kiosk (wiped), the end of the input, or one step back.
    async fn elsewhere(&mut self, answer: Answer, back: Step) -> Option<Step> {
        match answer {
            Answer::Text(_) => Some(back),
            Answer::Back => Some(back),
            Answer::End => None,
            Answer::Lost(e) => self.lost(&e).await,
            Answer::Idle => {
                self.idle_reset().await;
                Some(Step::Start)
            }
        }
    }

    /// A kiosk left idle: the session ends, what was typed and not sent
    /// goes, and the screen (and its scrollback) is cleared for the next
    /// person.
    async fn idle_reset(&mut self) {
        self.leave().await;
        let _ = nix::sys::termios::tcflush(std::io::stdin(), nix::sys::termios::FlushArg::TCIFLUSH);
        let mut out = std::io::stdout().lock();
        let _ = write!(out, "{CLEAR_SCREEN}");
        let _ = out.flush();
    }

    /// Contact lost, said once; then a new session is tried every few
    /// seconds, and "connected again" said once. The flow carries on from
    /// the address, with a new code (the old one was the lost session's).
    /// Lines typed meanwhile answer nothing; a kiosk still resets when
    /// idle, and the end of the input still ends rekey.
    async fn lost(&mut self, e: &ServiceError) -> Option<Step> {
        self.session = None;
        self.mail_said = None;
        say("");
        say(&error_text(e, &self.t));
        if !matches!(e, ServiceError::Unavailable(_)) {
            return Some(Step::Address);
        }
        let idle = Duration::from_secs(self.config.wizard.idle_secs);
        let mut last_line = tokio::time::Instant::now();
        loop {
            tokio::select! {
                line = self.lines.recv() => match line {
                    Some(Some(_)) => last_line = tokio::time::Instant::now(),
                    _ => return None,
                },
                _ = tokio::time::sleep(RECONNECT) => {
                    if self.open(true).await.is_ok() {
                        say(&self.t.t("error-reconnected"));
                        return Some(Step::Address);
                    }
                    if self.options.kiosk && last_line.elapsed() >= idle {
                        self.idle_reset().await;
                        return Some(Step::Start);
                    }
                }
            }
        }
    }

    /// Ends the session and forgets what was typed.
    async fn leave(&mut self) {
        if let Some(session) = self.session.take() {
            let _ = self.service.close_session(&session).await;
        }
        self.address.clear();
        self.mail_said = None;
        self.expiry_said = false;
    }

    async fn start(&mut self) -> Option<Step> {
        self.leave().await;
        say("");
        say("rekey");
        say(&self.t.t("plain-welcome"));
        if !self.options.kiosk {
            say(&self.t.t("plain-quit"));
        }
        if let Some(demo) = &self.options.demo {
            say(&self
                .t
                .tf("sign-in-demo", &[("address", demo.address.as_str().into())]));
            say(&self.t.tf(
                "sign-in-demo-password",
                &[("password", demo.password.as_str().into())],
            ));
        }
        self.resting = true;
        let chosen = self.choose("plain-start-choices", "plain-help-start").await;
        self.resting = false;
        match chosen {
            Ok(1) => Some(Step::Address),
            Ok(_) => Some(Step::SignIn),
            Err(Answer::Back) => Some(Step::Start),
            Err(other) => self.elsewhere(other, Step::Start).await,
        }
    }

    async fn sign_in(&mut self) -> Option<Step> {
        say("");
        say(&self.t.t("sign-in-title"));
        let address = match self
            .ask(&self.t.t("sign-in-address"), "plain-help-sign-in")
            .await
        {
            Answer::Text(text) => text,
            other => return self.elsewhere(other, Step::Start).await,
        };
        let hidden = Hidden::new();
        let password = match self
            .ask(&self.t.t("sign-in-password"), "plain-help-sign-in")
            .await
        {
            Answer::Text(text) => SecretString::from(text),
            other => return self.elsewhere(other, Step::Start).await,
        };
        drop(hidden);
        let session = match self.open(false).await {
            Ok(session) => session,
            Err(ServiceError::Unavailable(_)) => {
                say(&self.t.t("sign-in-unavailable"));
                return Some(Step::Start);
            }
            Err(e) => {
                say(&error_text(&e, &self.t));
                return Some(Step::Start);
            }
        };
        say(&self.t.t("sign-in-checking"));
        match self.service.sign_in(&session, &address, &password).await {
            Ok(SignInAnswer::Works) => say(&self.t.t("sign-in-success")),
            Ok(SignInAnswer::NoMatch {
                tries_left,
                wait_ms,
            }) => {
                let more = if tries_left == 0 {
                    self.t
                        .tf("sign-in-paused", &[("time", clock(wait_ms).into())])
                } else {
                    self.t.tf("sign-in-tries-left", &[("n", tries_left.into())])
                };
                say(&format!("{} {more}", self.t.t("sign-in-mismatch")));
            }
            Ok(SignInAnswer::Paused { wait_ms }) => {
                say(&self
                    .t
                    .tf("sign-in-paused", &[("time", clock(wait_ms).into())]));
            }
            Err(ServiceError::DirectoryDown) => say(&self.t.t("sign-in-cannot-check")),
            Err(ServiceError::Unavailable(_)) => say(&self.t.t("sign-in-unavailable")),
            Err(e) => say(&error_text(&e, &self.t)),
        }
        Some(Step::Start)
    }

    /// A session for this round: plain (no slide) for recovery.
    async fn open(&mut self, plain: bool) -> Result<SessionId, ServiceError> {
        if let Some(session) = &self.session {
            return Ok(session.clone());
        }
        let client = self.options.client.clone();
        let opened = if plain {
            self.service.open_plain_session(&client, self.t.code).await
        } else {
            self.service.open_session(&client, self.t.code).await
        }?;
        self.session = Some(opened.clone());
        Ok(opened)
    }

    async fn address_step(&mut self) -> Option<Step> {
        self.step_line(1, "forgot-title");
        let session = match self.open(true).await {
            Ok(session) => session,
            Err(e) if is_lost(&e) => return self.lost(&e).await,
            Err(e) => {
                say(&error_text(&e, &self.t));
                return Some(Step::Start);
            }
        };
        loop {
            let typed = match self
                .ask(&self.t.t("forgot-address"), "plain-help-address")
                .await
            {
                Answer::Text(text) => text,
                other => return self.elsewhere(other, Step::Start).await,
            };
            let accepted = match self.service.submit_address(&session, &typed).await {
                Ok(address) => address,
                Err(e) if is_lost(&e) => return self.lost(&e).await,
                Err(e) => {
                    say(&error_text(&e, &self.t));
                    continue;
                }
            };
            self.address = accepted.to_string();
            say(&self.t.t("app-busy"));
            match self.service.request(&session).await {
                Ok(_) => return Some(Step::Verify),
                Err(e) if is_lost(&e) => return self.lost(&e).await,
                Err(e) => say(&error_text(&e, &self.t)),
            }
        }
    }

    async fn verify(&mut self) -> Option<Step> {
        self.step_line(2, "verify-title");
        say(&self.t.t("verify-intro"));
        // No session (it was lost): from the start.
        let Some(session) = self.session.clone() else {
            return Some(Step::Start);
        };
        loop {
            match self
                .choose("plain-verify-choices", "plain-help-verify")
                .await
            {
                Ok(1) => match self.service.choose_email(&session).await {
                    Ok(_) => return Some(Step::Code),
                    Err(e) if is_lost(&e) => return self.lost(&e).await,
                    Err(e) => say(&error_text(&e, &self.t)),
                },
                Ok(_) => return Some(Step::Ticket),
                Err(other) => return self.elsewhere(other, Step::Address).await,
            }
        }
    }

    async fn ticket(&mut self) -> Option<Step> {
        say("");
        say(&self.t.t("ticket-ask-title"));
        say(&self.t.t("ticket-ask-intro"));
        // No session (it was lost): from the start.
        let Some(session) = self.session.clone() else {
            return Some(Step::Start);
        };
        let label = if self.config.support.contact_required {
            "ticket-contact"
        } else {
            "ticket-contact-optional"
        };
        let view = loop {
            let contact = match self.ask(&self.t.t(label), "ticket-contact-hint").await {
                Answer::Text(text) => text,
                other => return self.elsewhere(other, Step::Verify).await,
            };
            say(&self.t.t("ticket-opening"));
            match self.service.open_ticket(&session, Some(&contact)).await {
                Ok(view) => break view,
                Err(e) if is_lost(&e) => return self.lost(&e).await,
                Err(e) => say(&error_text(&e, &self.t)),
            }
        };
        let reference = view.ticket.unwrap_or_default();
        say(&self.t.tf(
            "ticket-reference",
            &[("reference", reference.as_str().into())],
        ));
        say(&self.t.t("ticket-write-down"));
        let support = &self.config.support;
        let shown = |text: &str| crate::recovery::text::visible(text, 80);
        say(&match &support.desk {
            Some(desk) => self
                .t
                .tf("ticket-next-desk", &[("desk", shown(desk).into())]),
            None => self.t.t("ticket-next"),
        });
        if !support.phone.is_empty() {
            say(&self
                .t
                .tf("ticket-phone", &[("phone", shown(&support.phone).into())]));
        }
        if !support.hours.is_empty() {
            say(&self
                .t
                .tf("ticket-hours", &[("hours", shown(&support.hours).into())]));
        }
        self.back_to_start().await
    }

    /// "Press Enter to go back to the start", then the start.
    async fn back_to_start(&mut self) -> Option<Step> {
        match self
            .ask(&self.t.t("plain-press-enter"), "plain-press-enter")
            .await
        {
            Answer::End => None,
            other => self.elsewhere(other, Step::Start).await,
        }
    }

    async fn code(&mut self) -> Option<Step> {
        self.step_line(3, "check-title");
        // No session (it was lost): from the start.
        let Some(session) = self.session.clone() else {
            return Some(Step::Start);
        };
        let address = self.address.clone();
        say(&self
            .t
            .tf("check-intro", &[("address", address.as_str().into())]));
        // Back here with a code still live (after `b`): it is the one to
        // type, and no other is sent (each would use up the hour's codes).
        let live = match self.service.flow_status(&session).await {
            // Back from the new password: the code stays confirmed.
            Ok(view) if view.stage == Stage::CodeConfirmed => {
                say(&self.t.t("check-confirmed"));
                return match self
                    .ask(&self.t.t("plain-press-enter-on"), "plain-help-code")
                    .await
                {
                    Answer::Text(_) => Some(Step::Password),
                    other => self.elsewhere(other, Step::Verify).await,
                };
            }
            Ok(view) if view.stage == Stage::CodeSent && view.code.is_some() => Some(view),
            Ok(_) => None,
            Err(e) if is_lost(&e) => return self.lost(&e).await,
            Err(_) => None,
        };
        match live {
            Some(view) => self.tell_code(&view),
            None => {
                if let Err(e) = self.send_code(&session).await {
                    return self.lost(&e).await;
                }
            }
        }
        loop {
            let question = self.t.t("check-code");
            let answer = self
                .ask_watching(&question, "plain-help-code", Some(&session))
                .await;
            let typed = match answer {
                Answer::Text(text) => text,
                other => return self.elsewhere(other, Step::Verify).await,
            };
            match typed.trim() {
                "t" | "T" => match self.service.flow_status(&session).await {
                    Ok(view) => self.tell_time(&view),
                    Err(e) if is_lost(&e) => return self.lost(&e).await,
                    Err(e) => say(&error_text(&e, &self.t)),
                },
                "r" | "R" => {
                    if let Err(e) = self.send_code(&session).await {
                        return self.lost(&e).await;
                    }
                }
                "s" | "S" => return Some(Step::Ticket),
                code => {
                    let code = SecretString::from(code_digits(code));
                    // What is typed ahead of the new password's question
                    // is not shown either.
                    let _hidden = Hidden::new();
                    match self.service.confirm_code(&session, &code).await {
                        Ok(view) if view.stage == Stage::CodeConfirmed => {
                            say(&self.t.t("plain-code-confirmed"));
                            return Some(Step::Password);
                        }
                        Ok(view) => self.tell_time(&view),
                        Err(e) if is_lost(&e) => return self.lost(&e).await,
                        Err(e) => say(&error_text(&e, &self.t)),
                    }
                }
            }
        }
    }

    /// "Sending the code…", then what became of it; "Sent." follows when
    /// the mail went out. The error when the session is lost.
    async fn send_code(&mut self, session: &str) -> Result<(), ServiceError> {
        say(&self.t.t("check-sending"));
        match self.service.send_code(session).await {
            Ok(view) => {
                // "Sending" was just said; what the mail does next is news.
                self.mail_said = view.mail.or(Some(MailProgress::Sending));
                self.tell_code(&view);
            }
            Err(e) if is_lost(&e) => return Err(e),
            Err(e) => say(&error_text(&e, &self.t)),
        }
        Ok(())
    }

    /// Says a change of the mail's progress or the code's life, once;
    /// true when something was said.
    fn announce(&mut self, view: &FlowView) -> bool {
        let mut said = false;
        if view.mail != self.mail_said
            && let Some(progress) = view.mail
        {
            say("");
            say(&self.t.t(match progress {
                MailProgress::Sending => "check-mail-sending",
                MailProgress::Sent => "check-mail-sent",
                MailProgress::Delayed => "check-mail-delayed",
            }));
            self.mail_said = view.mail;
            said = true;
        }
        if view.stage == Stage::Expired && !self.expiry_said {
            say("");
            say(&self.t.t("check-expired"));
            self.expiry_said = true;
            said = true;
        }
        said
    }

    fn tell_code(&mut self, view: &FlowView) {
        self.expiry_said = false;
        if let Some(code) = &view.code {
            say(&self
                .t
                .tf("check-phrase", &[("phrase", code.phrase.as_str().into())]));
        }
        self.announce(view);
        self.tell_time(view);
    }

    fn tell_time(&self, view: &FlowView) {
        match (&view.code, view.stage) {
            (Some(code), Stage::CodeSent) => say(&format!(
                "{} · {}",
                self.t.tf(
                    "check-valid-for",
                    &[("time", clock(code.expires_in_ms).into())]
                ),
                self.t
                    .tf("check-tries-left", &[("n", code.attempts_left.into())])
            )),
            (_, Stage::Expired) => say(&self.t.t("check-expired")),
            (_, Stage::LockedOut) => say(&self.t.t("check-locked")),
            _ => {}
        }
    }

    async fn password(&mut self) -> Option<Step> {
        self.step_line(4, "password-title");
        say(&self.t.t("password-intro"));
        say(&self.t.t("password-rules"));
        for rule in self.config.password.rules() {
            if rule != crate::recovery::Rule::Printable {
                say(&format!("- {}", rule_text(rule, &self.t)));
            }
        }
        // No session (it was lost): from the start.
        let Some(session) = self.session.clone() else {
            return Some(Step::Start);
        };
        // Not shown, from the first question to the last answer: a
        // password typed ahead of its question is not shown either.
        let _hidden = Hidden::new();
        // The confirmation lapsed or was replaced: back to the code.
        let unconfirmed = |e: &ServiceError| {
            matches!(
                e,
                ServiceError::Flow(FlowError::NotConfirmed | FlowError::CodeExpired)
            )
        };
        loop {
            let first = match self
                .ask(&self.t.t("password-new"), "plain-help-password")
                .await
            {
                Answer::Text(text) => SecretString::from(text),
                other => return self.elsewhere(other, Step::Code).await,
            };
            use crate::service::ExposeSecret;
            if !first.expose_secret().is_ascii() {
                say(&self.t.t("password-non-ascii"));
            }
            match self.service.assess_password(&session, &first).await {
                Ok(verdict) => {
                    self.tell_verdict(&verdict);
                    if !verdict.passes() {
                        continue;
                    }
                }
                Err(e) if is_lost(&e) => return self.lost(&e).await,
                Err(e) if unconfirmed(&e) => {
                    say(&error_text(&e, &self.t));
                    return Some(Step::Code);
                }
                Err(e) => {
                    say(&error_text(&e, &self.t));
                    continue;
                }
            }
            let again = match self
                .ask(&self.t.t("password-again"), "plain-help-password")
                .await
            {
                Answer::Text(text) => SecretString::from(text),
                other => return self.elsewhere(other, Step::Code).await,
            };
            say(&self.t.t("password-saving"));
            match self.service.set_password(&session, &first, &again).await {
                Ok(_) => return Some(Step::Done),
                Err(ServiceError::PasswordRefused(verdict)) => self.tell_verdict(&verdict),
                Err(e) if is_lost(&e) => return self.lost(&e).await,
                Err(e) if unconfirmed(&e) => {
                    say(&error_text(&e, &self.t));
                    return Some(Step::Code);
                }
                Err(e) => say(&error_text(&e, &self.t)),
            }
        }
    }

    /// The strength verdict in words, and each rule it fails.
    fn tell_verdict(&self, verdict: &PasswordVerdict) {
        say(&format!(
            "{}. {}",
            self.t.t(&format!("password-score-{}", verdict.score)),
            self.t.tf(
                "password-crack-time",
                &[("time", crack_time(verdict.crack_seconds, &self.t).into())]
            )
        ));
        for check in &verdict.rules {
            if check.status == RuleStatus::Failed {
                say(&format!(
                    "{} {}",
                    self.t.t("plain-rule-failed"),
                    rule_text(check.rule, &self.t)
                ));
            }
        }
        if verdict.passes() {
            say(&self.t.t("plain-strong-enough"));
        }
    }

    async fn done(&mut self) -> Option<Step> {
        self.step_line(5, "done-title");
        say(&self.t.t("done-message"));
        say(&self.t.t("done-notice"));
        say(&self.t.t("done-propagation"));
        self.back_to_start().await
    }
}
