//! The full-screen wizard: one event loop over keys, pastes, resizes,
//! timers and service replies, a redraw after each batch of events, and
//! slow work (service calls, strength estimates) off the loop.

pub mod app;
pub mod calls;
pub mod errors;
pub mod launch;
pub mod mailbox;
pub mod screens;
pub mod terminal;
pub mod theme;
pub mod widgets;

use crate::config::Config;
use crate::i18n::Catalogs;
use crate::recovery::{Clock, PasswordVerdict, SystemClock};
use crate::service::RecoveryService;
use app::{App, AppOptions, DemoAccount, Effect, Input};
use calls::Call;
use futures::StreamExt;
use mailbox::MailboxView;
use ratatui::backend::CrosstermBackend;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{Event, EventStream};
use ratatui::layout::{Position, Rect, Size};
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::path::PathBuf;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use theme::Theme;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{mpsc, watch};
use zeroize::Zeroizing;

/// The size assumed when the terminal reports 0x0 (`ssh -tt` from a pipe).
pub const FALLBACK_SIZE: (u16, u16) = (80, 24);
const TICK: Duration = Duration::from_millis(100);

pub struct WizardOptions {
    pub kiosk: bool,
    pub ascii: bool,
    /// `--lang`; else the locale; else the config's language.
    pub language: Option<String>,
    pub demo: Option<DemoAccount>,
    /// Where delivered mail lands, for the demo's mailbox panel.
    pub mailbox: Option<(PathBuf, watch::Receiver<u64>)>,
    pub client: String,
}

type MeterJob = Option<(u64, Zeroizing<String>, Vec<String>)>;

/// Runs the full-screen wizard, or plain mode.
pub async fn run_any(
    service: Arc<dyn RecoveryService>,
    config: &Config,
    options: WizardOptions,
    plain: bool,
) -> std::io::Result<()> {
    if plain {
        crate::plain::run(service, config, options).await
    } else {
        run(service, config, options).await
    }
}

/// Runs the wizard on this process's terminal until the person quits (or
/// SIGTERM / SIGHUP arrives).
pub async fn run(
    service: Arc<dyn RecoveryService>,
    config: &Config,
    options: WizardOptions,
) -> std::io::Result<()> {
    let catalogs = Catalogs::shipped();
    let language = catalogs.starting(options.language.as_deref(), &config.wizard.language);
    let clock = SystemClock;
    let app_options = AppOptions::from_config(config, options.kiosk, options.demo.clone());
    let mut app = App::new(
        catalogs,
        language,
        Theme::detect(options.ascii),
        app_options,
        clock.now(),
    );

    let (input_tx, mut inputs) = mpsc::unbounded_channel::<Input>();
    let (call_tx, call_rx) = mpsc::unbounded_channel::<Call>();
    let service_task = tokio::spawn(serve_calls(
        service,
        options.client.clone(),
        call_rx,
        input_tx.clone(),
    ));
    let (meter_tx, meter_rx) = watch::channel::<MeterJob>(None);
    tokio::spawn(estimate_strength(
        config.password,
        meter_rx,
        input_tx.clone(),
    ));
    if let Some((dir, deliveries)) = options.mailbox {
        tokio::spawn(watch_mailbox(dir, deliveries, input_tx.clone()));
    }

    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sighup = signal(SignalKind::hangup())?;
    let _guard = terminal::TerminalGuard::enter()?;
    let mut terminal = open_terminal()?;
    let size = terminal.size()?;
    app.resize(size.width, size.height);
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(TICK);

    let mut shadow = Shadow::new();
    loop {
        // A tick that changed nothing on screen writes nothing: each frame
        // costs bytes even without a change (cursor, style reset).
        let area = terminal.get_frame().area();
        if shadow.changed(&app, area.as_size()) {
            terminal.draw(|frame| app.draw(frame))?;
        }
        let mut effects = Vec::new();
        tokio::select! {
            event = events.next() => match event {
                Some(Ok(event)) => {
                    if on_event(event, &mut app, &mut terminal, &mut effects, &clock)? {
                        shadow.forget();
                    }
                }
                // The terminal is gone.
                Some(Err(_)) | None => break,
            },
            Some(input) = inputs.recv() => effects.extend(app.handle(input, clock.now())),
            _ = tick.tick() => effects.extend(app.handle(Input::Tick, clock.now())),
            _ = sigterm.recv() => break,
            _ = sighup.recv() => break,
        }
        // Take what is already waiting before drawing again. `poll!` polls
        // with this task's waker: `now_or_never` would leave crossterm a
        // no-op waker, and the next key would wait for the tick. (With the
        // /dev/tty source a zero-time poll finds only what crossterm's
        // thread already read, so a burst is often drawn a key at a time.)
        while let Poll::Ready(Some(Ok(event))) = futures::poll!(events.next()) {
            if on_event(event, &mut app, &mut terminal, &mut effects, &clock)? {
                shadow.forget();
            }
        }
        while let Ok(input) = inputs.try_recv() {
            effects.extend(app.handle(input, clock.now()));
        }
        for effect in effects {
            match effect {
                Effect::Call(call) => {
                    let _ = call_tx.send(call);
                }
                Effect::Assess {
                    seq,
                    password,
                    hints,
                } => {
                    let _ = meter_tx.send(Some((seq, password, hints)));
                }
                Effect::ForgetPassword => {
                    let _ = meter_tx.send(None);
                }
                Effect::Quit => {}
            }
        }
        if app.wants_quit() {
            break;
        }
    }
    // Let the session close before the terminal is given back.
    let _ = call_tx.send(Call::Close);
    drop(call_tx);
    let _ = tokio::time::timeout(Duration::from_secs(2), service_task).await;
    Ok(())
}

/// The last picture drawn, kept off-screen to tell whether a new one
/// differs.
struct Shadow {
    terminal: Option<Terminal<TestBackend>>,
    last: Option<(Buffer, Option<Position>)>,
}

impl Shadow {
    fn new() -> Self {
        Self {
            terminal: None,
            last: None,
        }
    }

    /// The real screen was cleared (a resize): the next picture is drawn
    /// whatever the last one was.
    fn forget(&mut self) {
        self.last = None;
    }

    fn changed(&mut self, app: &App, size: Size) -> bool {
        let fits = self
            .terminal
            .as_ref()
            .is_some_and(|t| t.backend().buffer().area.as_size() == size);
        if !fits {
            self.terminal = Some(infallible(Terminal::new(TestBackend::new(
                size.width,
                size.height,
            ))));
            self.last = None;
        }
        let Some(terminal) = self.terminal.as_mut() else {
            return true;
        };
        let buffer = infallible(terminal.draw(|f| app.draw(f))).buffer.clone();
        let picture = (buffer, frame_cursor(terminal));
        let changed = self.last.as_ref() != Some(&picture);
        self.last = Some(picture);
        changed
    }
}

fn frame_cursor(terminal: &mut Terminal<TestBackend>) -> Option<Position> {
    use ratatui::backend::Backend;
    terminal.backend_mut().get_cursor_position().ok()
}

fn infallible<T>(result: Result<T, std::convert::Infallible>) -> T {
    match result {
        Ok(value) => value,
        Err(never) => match never {},
    }
}

fn open_terminal() -> std::io::Result<Terminal<CrosstermBackend<std::io::Stdout>>> {
    let (w, h) = ratatui::crossterm::terminal::size().unwrap_or((0, 0));
    let viewport = if w == 0 || h == 0 {
        Viewport::Fixed(Rect::new(0, 0, FALLBACK_SIZE.0, FALLBACK_SIZE.1))
    } else {
        Viewport::Fullscreen
    };
    Terminal::with_options(
        CrosstermBackend::new(std::io::stdout()),
        TerminalOptions { viewport },
    )
}

/// Handles one terminal event; true when it was a resize, after which the
/// screen must be drawn whole again. A resize clears the screen even when
/// the size it reports is the one drawn last: crossterm reads the size
/// when it gets to SIGWINCH, which during a burst of keys is after the
/// next frame's own size check already drew the new size, so skipping an
/// unchanged picture then left the screen blank or drawn for the old size.
fn on_event(
    event: Event,
    app: &mut App,
    terminal: &mut Terminal<CrosstermBackend<std::io::Stdout>>,
    effects: &mut Vec<Effect>,
    clock: &SystemClock,
) -> std::io::Result<bool> {
    match event {
        Event::Key(key) => effects.extend(app.handle(Input::Key(key), clock.now())),
        Event::Paste(text) => effects.extend(app.handle(Input::Paste(text), clock.now())),
        Event::Resize(w, h) if w > 0 && h > 0 => {
            terminal.resize(Rect::new(0, 0, w, h))?;
            app.resize(w, h);
            return Ok(true);
        }
        _ => {}
    }
    Ok(false)
}

/// Runs service calls one after another, in the order the screens made
/// them, and hands each reply back to the loop.
async fn serve_calls(
    service: Arc<dyn RecoveryService>,
    client: String,
    mut calls: mpsc::UnboundedReceiver<Call>,
    replies: mpsc::UnboundedSender<Input>,
) {
    let mut session = None;
    while let Some(call) = calls.recv().await {
        let reply = calls::run(service.as_ref(), &mut session, &client, call).await;
        let _ = replies.send(Input::Reply(reply));
    }
    if let Some(s) = session {
        let _ = service.close_session(&s).await;
    }
}

/// The strength meter's worker: always estimates the newest password and
/// skips the ones typed over meanwhile. A long password gets a quick
/// estimate first, then the whole verdict, the one the service will gate
/// the change with, unless a newer key came in meanwhile.
async fn estimate_strength(
    policy: crate::recovery::PasswordPolicy,
    mut jobs: watch::Receiver<MeterJob>,
    verdicts: mpsc::UnboundedSender<Input>,
) {
    // zxcvbn's first call builds its dictionaries (about 12 ms): done now,
    // not on the person's first key.
    let _ = tokio::task::spawn_blocking(move || policy.assess("warm up the meter", &[])).await;
    while jobs.changed().await.is_ok() {
        let job = jobs.borrow_and_update().clone();
        let Some((seq, password, hints)) = job else {
            continue;
        };
        let (quick_password, quick_hints) = (password.clone(), hints.clone());
        let quick: Result<PasswordVerdict, _> =
            tokio::task::spawn_blocking(move || policy.estimate(&quick_password, &quick_hints))
                .await;
        let Ok(quick) = quick else {
            continue;
        };
        let provisional = quick.provisional;
        let _ = verdicts.send(Input::Verdict {
            seq,
            verdict: quick,
        });
        if !provisional || jobs.has_changed().unwrap_or(true) {
            continue;
        }
        let whole: Result<PasswordVerdict, _> =
            tokio::task::spawn_blocking(move || policy.assess(&password, &hints)).await;
        if let Ok(verdict) = whole {
            let _ = verdicts.send(Input::Verdict { seq, verdict });
        }
    }
}

async fn watch_mailbox(
    dir: PathBuf,
    mut deliveries: watch::Receiver<u64>,
    inputs: mpsc::UnboundedSender<Input>,
) {
    loop {
        let read_dir = dir.clone();
        if let Ok(view) = tokio::task::spawn_blocking(move || MailboxView::read(&read_dir)).await {
            let _ = inputs.send(Input::Mailbox(view));
        }
        if deliveries.changed().await.is_err() {
            return;
        }
    }
}
