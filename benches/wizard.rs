//! How the wizard feels at 80x24 (issue 3, "Benchmark"): on the password
//! screen, the time from a key event to the frame written, the strength
//! estimate, the time from its verdict to the frame written, and the bytes
//! the terminal is sent per key press; the same for a held → on the slider;
//! and the time from start to the first frame of the real binary in a
//! pseudo-terminal. A plain binary that prints tables; run it with
//! `cargo build --release && cargo bench --bench wizard`.
//!
//! The screens are drawn in-process by a real `Terminal<CrosstermBackend<_>>`
//! whose writer counts the bytes and throws them away, so the figures are
//! what the event loop in `src/tui/mod.rs` does per key minus the write(2)
//! to the terminal itself. Section 4 is what a person feels: the binary
//! under test in a pseudo-terminal, a key written to the master, timed until
//! the output settles (`support/pty_keys.rs`); it is the figure that shows a
//! key waiting in the event loop, which the in-process figures cannot.

mod support;
use support::{Lcg, percentile_ms};

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/pty_keys.rs"]
mod pty_keys;

use std::cell::RefCell;
use std::hint::black_box;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use portable_pty::{PtySize, native_pty_system};
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use rekey::config::Config;
use rekey::i18n::Catalogs;
use rekey::recovery::{EmailAddress, PasswordPolicy, SlideVerdict, Stage};
use rekey::tui::app::{App, AppOptions, Effect, Input, render_text};
use rekey::tui::calls::{FlowCall, Reply};
use rekey::tui::screens::Screen;
use rekey::tui::theme::Theme;

const COLS: u16 = 80;
const ROWS: u16 = 24;
const T0: u64 = 1_790_000_000_000;
const ADDRESS: &str = "ada@example.com";

/// Typed passwords grow to this many characters.
const MAX_LEN: usize = 128;
/// Timed rounds per scenario, each with its own password, after one
/// untimed warm-up round.
const ROUNDS: usize = 20;
const BUCKETS: [(usize, usize); 4] = [(1, 16), (17, 32), (33, 64), (65, 128)];
/// Between two typed characters, and between two repeats of a held key.
const KEY_GAP_MS: u64 = 150;
const REPEAT_GAP_MS: u64 = 33;
const SLIDER_PRESSES: usize = 20;
/// The screen shown beside the per-row byte counts: after this many
/// characters and their verdict.
const REFERENCE_LEN: usize = 24;

const TARGET_P99_MS: f64 = 2.0;
const TARGET_AVG_BYTES: f64 = 300.0;

const START_RUNS: usize = 10;
const START_TIMEOUT: Duration = Duration::from_secs(20);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);
const FIRST_FRAME_NEEDLE: &str = "Sign in";

const WORDS: &[&str] = &[
    "correct", "horse", "battery", "staple", "river", "window", "orange", "castle", "pencil",
    "garden", "silver", "rocket", "marble", "forest", "candle", "puzzle", "winter", "anchor",
    "velvet", "harbor", "thunder", "meadow", "lantern", "copper", "falcon", "jigsaw", "quartz",
    "saddle", "tunnel", "zephyr", "blanket", "cactus",
];
const RANDOM_CHARSET: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*-_=+?";

fn main() {
    println!("rekey wizard benchmark: {COLS}x{ROWS}, colour + Unicode theme, English catalogue.");
    println!(
        "Times are wall-clock ms of App::handle + Terminal::draw (flush included) into a \
         byte-counting writer;"
    );
    println!(
        "percentiles are nearest-rank. {} cores.",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let started = Instant::now();
    if std::env::args().any(|a| a == "pty") {
        // `cargo bench --bench wizard -- pty`: only the real binary through a pty.
        pty_keys::bench_keys_through_pty();
        return;
    }
    let typing = bench_password_screen();
    bench_slider();
    bench_start();
    pty_keys::bench_keys_through_pty();
    verdict(&typing);
    println!(
        "\ntotal bench time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------- terminal

/// What the terminal was sent.
#[derive(Default)]
struct Wire {
    bytes: u64,
    /// The bytes themselves, while a breakdown is being taken.
    capture: Option<Vec<u8>>,
}

/// The terminal's writer: counts, optionally keeps, and discards.
#[derive(Clone, Default)]
struct Counter(Rc<RefCell<Wire>>);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut wire = self.0.borrow_mut();
        wire.bytes += buf.len() as u64;
        if let Some(capture) = &mut wire.capture {
            capture.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One wizard and the terminal it draws on.
struct Rig {
    app: App,
    terminal: Terminal<CrosstermBackend<Counter>>,
    wire: Counter,
    now_ms: u64,
    /// A second terminal drawn once per key press, after its last frame:
    /// what the wire would carry if the meter kept its last verdict on
    /// show until the next one (the key's own frame adds only the field
    /// and one frame end).
    shadow: Option<(Terminal<CrosstermBackend<Counter>>, Counter)>,
}

/// One handled input and the frame drawn after it.
struct Step {
    took: Duration,
    bytes: u64,
    effects: Vec<Effect>,
}

impl Rig {
    fn new() -> Self {
        let options = AppOptions::from_config(&Config::default(), false, None);
        let theme = Theme {
            color: true,
            unicode: true,
        };
        let app = App::new(Catalogs::shipped(), 0, theme, options, T0);
        let (terminal, wire) = counting_terminal();
        Self {
            app,
            terminal,
            wire,
            now_ms: T0,
            shadow: None,
        }
    }

    /// Handles an input without drawing: for walking to a screen.
    fn feed(&mut self, input: Input) -> Vec<Effect> {
        self.app.handle(input, self.now_ms)
    }

    fn key(&mut self, code: KeyCode) {
        self.feed(key(code));
    }

    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn reply(&mut self, reply: Reply) {
        self.feed(Input::Reply(reply));
    }

    /// Handles `input` and draws, as the event loop does: timed, counted.
    fn step(&mut self, input: Input) -> Step {
        let before = self.wire.0.borrow().bytes;
        let start = Instant::now();
        let effects = self.app.handle(input, self.now_ms);
        self.terminal
            .draw(|frame| self.app.draw(frame))
            .expect("drawing into memory works");
        let took = start.elapsed();
        Step {
            took,
            bytes: self.wire.0.borrow().bytes - before,
            effects,
        }
    }

    /// Draws without an input; returns the bytes.
    fn draw(&mut self) -> u64 {
        let before = self.wire.0.borrow().bytes;
        self.terminal
            .draw(|frame| self.app.draw(frame))
            .expect("drawing into memory works");
        self.wire.0.borrow().bytes - before
    }

    /// Keeps the bytes from now on, and starts the shadow terminal from
    /// the screen as it is.
    fn start_capture(&mut self) {
        self.wire.0.borrow_mut().capture = Some(Vec::new());
        let (mut terminal, wire) = counting_terminal();
        terminal
            .draw(|frame| self.app.draw(frame))
            .expect("drawing into memory works");
        self.shadow = Some((terminal, wire));
    }

    /// Draws the shadow terminal; returns its bytes.
    fn draw_shadow(&mut self) -> u64 {
        let Some((terminal, wire)) = &mut self.shadow else {
            return 0;
        };
        let before = wire.0.borrow().bytes;
        terminal
            .draw(|frame| self.app.draw(frame))
            .expect("drawing into memory works");
        wire.0.borrow().bytes - before
    }

    /// The bytes since the last call (or `start_capture`).
    fn take_capture(&mut self) -> Vec<u8> {
        self.wire
            .0
            .borrow_mut()
            .capture
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    fn text(&self) -> String {
        render_text(&self.app, COLS, ROWS)
    }
}

fn counting_terminal() -> (Terminal<CrosstermBackend<Counter>>, Counter) {
    let wire = Counter::default();
    let terminal = Terminal::with_options(
        CrosstermBackend::new(wire.clone()),
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, COLS, ROWS)),
        },
    )
    .expect("a terminal on a counting writer");
    (terminal, wire)
}

fn key(code: KeyCode) -> Input {
    Input::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

/// Landing → "Forgot your password?" with the address accepted: the
/// slider has the focus.
fn walk_to_slider(rig: &mut Rig) {
    // "Forgot your password?" has the focus first.
    rig.key(KeyCode::Enter);
    rig.type_text(ADDRESS);
    rig.key(KeyCode::Enter);
    rig.reply(Reply::Address(Ok(
        EmailAddress::parse(ADDRESS).expect("a valid address")
    )));
    assert!(
        matches!(rig.app.screen(), Screen::Forgot(_)),
        "the walk should end on the forgot screen:\n{}",
        rig.text()
    );
}

/// All the way to "Create a new password", first field focused.
fn walk_to_password(rig: &mut Rig) {
    walk_to_slider(rig);
    for _ in 0..20 {
        rig.now_ms += REPEAT_GAP_MS;
        rig.key(KeyCode::Right);
    }
    rig.reply(Reply::Slide(Ok(SlideVerdict::Verified)));
    rig.key(KeyCode::Enter);
    rig.reply(Reply::Flow(
        FlowCall::Request,
        Ok(common::flow_view(Stage::Requested)),
    ));
    rig.key(KeyCode::Enter);
    rig.reply(Reply::Flow(
        FlowCall::ChooseEmail,
        Ok(common::flow_view(Stage::EmailChosen)),
    ));
    rig.key(KeyCode::Enter);
    rig.reply(Reply::Flow(
        FlowCall::SendCode,
        Ok(common::flow_view(Stage::CodeSent)),
    ));
    rig.type_text("482913");
    rig.key(KeyCode::Enter);
    rig.reply(Reply::Flow(
        FlowCall::Confirm,
        Ok(common::flow_view(Stage::CodeConfirmed)),
    ));
    let text = rig.text();
    assert!(
        matches!(rig.app.screen(), Screen::NewPassword(_))
            && text.contains("Create a new password"),
        "the walk should end on the password screen:\n{text}"
    );
}

// ---------------------------------------------------------------- statistics

fn to_ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// p50, p99 and max of some timings, in ms.
struct Times {
    p50: f64,
    p99: f64,
    max: f64,
}

impl Times {
    fn of(samples: impl IntoIterator<Item = Duration>) -> Self {
        let mut sorted: Vec<Duration> = samples.into_iter().collect();
        sorted.sort();
        Self {
            p50: percentile_ms(&sorted, 50.0),
            p99: percentile_ms(&sorted, 99.0),
            max: percentile_ms(&sorted, 100.0),
        }
    }
}

/// Average and max of some byte counts.
fn bytes_of(samples: impl IntoIterator<Item = u64>) -> (f64, u64) {
    let all: Vec<u64> = samples.into_iter().collect();
    let max = all.iter().copied().max().unwrap_or(0);
    let avg = all.iter().sum::<u64>() as f64 / all.len().max(1) as f64;
    (avg, max)
}

// ---------------------------------------------------------------- password screen

/// One key press on the password screen.
#[derive(Clone, Copy)]
struct Press {
    /// The password's length when the key was pressed (typing: after it;
    /// Backspace: before it).
    len: usize,
    /// (a) key → frame.
    key: Duration,
    key_bytes: u64,
    /// (b) the estimate, off the loop in the real wizard.
    assess: Duration,
    /// (c) verdict → frame; zero when no estimate was asked for.
    verdict: Duration,
    verdict_bytes: u64,
}

impl Press {
    fn meter_included(&self) -> Duration {
        self.key + self.assess + self.verdict
    }

    fn bytes(&self) -> u64 {
        self.key_bytes + self.verdict_bytes
    }
}

/// Where the bytes of one scenario go, from the bytes themselves.
#[derive(Default)]
struct Breakdown {
    key_frames: Tally,
    verdict_frames: Tally,
    key_rows: [u64; ROWS as usize],
    verdict_rows: [u64; ROWS as usize],
    presses: u64,
    /// Bytes of the shadow terminal, drawn once per key press.
    kept: u64,
    reference: Option<String>,
}

/// Bytes by kind: printed text, SGR (colour and attribute) sequences,
/// cursor moves between changed cells, and the end of the frame (the SGR
/// reset and showing and placing the cursor, sent with every frame).
#[derive(Default, Clone, Copy)]
struct Tally {
    frames: u64,
    text: u64,
    style: u64,
    moves: u64,
    end: u64,
}

impl Tally {
    fn total(&self) -> u64 {
        self.text + self.style + self.moves + self.end
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Style,
    Move,
    Other,
}

/// Splits a frame's bytes into escape sequences and text, each with the
/// row the cursor is on.
fn tokens(bytes: &[u8]) -> Vec<(usize, Kind, u64)> {
    let mut out = Vec::new();
    let mut row = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b && bytes.get(i + 1) == Some(&b'[') {
            let mut j = i + 2;
            while j < bytes.len() && !(0x40..=0x7e).contains(&bytes[j]) {
                j += 1;
            }
            let end = (j + 1).min(bytes.len());
            let kind = match bytes.get(j) {
                Some(b'H') => {
                    let params = String::from_utf8_lossy(&bytes[i + 2..j]);
                    row = params
                        .split(';')
                        .next()
                        .and_then(|r| r.parse::<usize>().ok())
                        .unwrap_or(1)
                        .saturating_sub(1);
                    Kind::Move
                }
                Some(b'm') => Kind::Style,
                _ => Kind::Other,
            };
            out.push((row, kind, (end - i) as u64));
            i = end;
        } else {
            // Text runs to the next escape (a lone ESC counts as text).
            let j = bytes[i + 1..]
                .iter()
                .position(|&b| b == 0x1b)
                .map_or(bytes.len(), |p| i + 1 + p);
            out.push((row, Kind::Text, (j - i) as u64));
            i = j;
        }
    }
    out
}

/// Adds a frame's bytes to `tally` and `rows`; whatever follows the last
/// printed text is the end of the frame.
fn account(bytes: &[u8], tally: &mut Tally, rows: &mut [u64; ROWS as usize]) {
    let tokens = tokens(bytes);
    let last_text = tokens.iter().rposition(|t| t.1 == Kind::Text);
    tally.frames += 1;
    for (i, (row, kind, n)) in tokens.into_iter().enumerate() {
        if last_text.is_none_or(|last| i > last) {
            tally.end += n;
            continue;
        }
        rows[row.min(ROWS as usize - 1)] += n;
        match kind {
            Kind::Text => tally.text += n,
            Kind::Style => tally.style += n,
            Kind::Move => tally.moves += n,
            Kind::Other => tally.end += n,
        }
    }
}

/// A fresh wizard on the password screen, drawn once; returns the rig and
/// the bytes of that full first frame.
fn password_rig() -> (Rig, u64) {
    let mut rig = Rig::new();
    walk_to_password(&mut rig);
    let bytes = rig.draw();
    (rig, bytes)
}

/// Presses `code` on the password screen: (a), then the estimate the
/// screen asked for (b) and its verdict (c).
fn press(
    rig: &mut Rig,
    policy: &PasswordPolicy,
    code: KeyCode,
    len: usize,
    mut breakdown: Option<&mut Breakdown>,
) -> Press {
    rig.now_ms += KEY_GAP_MS;
    let step = rig.step(key(code));
    if let Some(b) = breakdown.as_deref_mut() {
        let frame = rig.take_capture();
        account(&frame, &mut b.key_frames, &mut b.key_rows);
        b.presses += 1;
    }
    let job = step.effects.into_iter().find_map(|e| match e {
        Effect::Assess {
            seq,
            password,
            hints,
        } => Some((seq, password, hints)),
        _ => None,
    });
    let mut out = Press {
        len,
        key: step.took,
        key_bytes: step.bytes,
        assess: Duration::ZERO,
        verdict: Duration::ZERO,
        verdict_bytes: 0,
    };
    let Some((seq, password, hints)) = job else {
        if let Some(b) = breakdown {
            b.kept += rig.draw_shadow();
        }
        return out;
    };
    let start = Instant::now();
    let verdict = policy.assess(&password, &hints);
    out.assess = start.elapsed();
    rig.now_ms += 1;
    let step = rig.step(Input::Verdict { seq, verdict });
    out.verdict = step.took;
    out.verdict_bytes = step.bytes;
    if let Some(b) = breakdown {
        let frame = rig.take_capture();
        account(&frame, &mut b.verdict_frames, &mut b.verdict_rows);
        b.kept += rig.draw_shadow();
        if len == REFERENCE_LEN && b.reference.is_none() {
            b.reference = Some(rig.text());
        }
    }
    out
}

/// Types `password` one key at a time.
fn type_password(
    rig: &mut Rig,
    policy: &PasswordPolicy,
    password: &str,
    mut breakdown: Option<&mut Breakdown>,
) -> Vec<Press> {
    password
        .chars()
        .enumerate()
        .map(|(i, c)| {
            press(
                rig,
                policy,
                KeyCode::Char(c),
                i + 1,
                breakdown.as_deref_mut(),
            )
        })
        .collect()
}

/// Types `password`, then deletes it with Backspace; returns the deletes.
fn delete_password(
    rig: &mut Rig,
    policy: &PasswordPolicy,
    password: &str,
    mut breakdown: Option<&mut Breakdown>,
) -> Vec<Press> {
    type_password(rig, policy, password, None);
    rig.take_capture();
    rig.draw_shadow();
    let n = password.chars().count();
    (0..n)
        .map(|i| {
            press(
                rig,
                policy,
                KeyCode::Backspace,
                n - i,
                breakdown.as_deref_mut(),
            )
        })
        .collect()
}

struct Scenario {
    name: &'static str,
    presses: Vec<Press>,
    breakdown: Breakdown,
}

fn bench_password_screen() -> Vec<Scenario> {
    let policy = PasswordPolicy::default();
    let hints = EmailAddress::parse(ADDRESS)
        .expect("a valid address")
        .password_hints();
    println!("\n== 1. \"Create a new password\" at {COLS}x{ROWS}, passwords of 1 to {MAX_LEN} ==");
    let start = Instant::now();
    black_box(policy.assess("Tr0ub4dor&3", &hints));
    println!(
        "first estimate in this process (zxcvbn's lazy dictionaries): {:.2} ms; \
         on the worker thread in the real wizard",
        to_ms(start.elapsed())
    );
    let (mut rig, first_frame) = password_rig();
    println!("arriving on the screen (a full frame): {first_frame} bytes");
    rig.now_ms += 100;
    let idle = rig.step(Input::Tick);
    println!(
        "an idle tick's redraw (the loop redraws every 100 ms): {} bytes, {:.3} ms",
        idle.bytes,
        to_ms(idle.took)
    );
    println!(
        "{ROUNDS} timed rounds per scenario, each on a fresh wizard with its own password, \
         after one warm-up round; {KEY_GAP_MS} ms between keys."
    );
    println!(
        "(a) key → frame   (b) the estimate, PasswordPolicy::assess (off the loop)   \
         (c) verdict → frame"
    );
    println!(
        "meter incl. = a+b+c: until the meter shows the new verdict. bytes = a+c per key press."
    );

    type Run = fn(&mut Rig, &PasswordPolicy, &str, Option<&mut Breakdown>) -> Vec<Press>;
    type Make = fn(u64) -> String;
    let scenarios: [(&'static str, Make, Run); 3] = [
        ("typing a passphrase", passphrase, type_password),
        (
            "typing a random mixed password",
            random_mixed,
            type_password,
        ),
        ("Backspace over a passphrase", passphrase, delete_password),
    ];
    let mut out = Vec::new();
    for (name, make, run) in scenarios {
        // Warm-up, with the bytes taken apart (not timed).
        let mut breakdown = Breakdown::default();
        let (mut rig, _) = password_rig();
        rig.start_capture();
        run(&mut rig, &policy, &make(1_000), Some(&mut breakdown));
        let mut presses = Vec::new();
        for round in 0..ROUNDS {
            let (mut rig, _) = password_rig();
            presses.extend(run(&mut rig, &policy, &make(round as u64 + 1), None));
        }
        println!(
            "\n-- {name}: {ROUNDS} x {MAX_LEN} presses, e.g. {} --",
            shorten(&make(1))
        );
        print_times(&presses);
        print_bytes(&presses);
        out.push(Scenario {
            name,
            presses,
            breakdown,
        });
    }
    for scenario in &out {
        print_breakdown(scenario);
    }
    estimate_by_length(&policy, &hints);
    out
}

/// Where (b)'s time goes: the policy's call against zxcvbn alone, on the
/// whole password and on its first 32 and 64 characters.
fn estimate_by_length(policy: &PasswordPolicy, hints: &[String]) {
    const RUNS: usize = 5;
    println!(
        "\n-- (b) by length: median of {RUNS} calls, ms; the password's first N characters --"
    );
    println!(
        "{:<8} {:>5} {:>9} {:>9} {:>16} {:>16}",
        "password", "N", "assess", "zxcvbn", "zxcvbn first 32", "zxcvbn first 64"
    );
    let hint_refs: Vec<&str> = hints.iter().map(String::as_str).collect();
    let median = |f: &dyn Fn()| {
        let mut runs: Vec<Duration> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect();
        runs.sort();
        to_ms(runs[RUNS / 2])
    };
    for (name, password) in [("phrase", passphrase(1)), ("random", random_mixed(1))] {
        for n in [16, 32, 64, 96, 128] {
            let prefix: String = password.chars().take(n).collect();
            let first_32: String = prefix.chars().take(32).collect();
            let first_64: String = prefix.chars().take(64).collect();
            let assess = median(&|| {
                black_box(policy.assess(&prefix, hints));
            });
            let raw = median(&|| {
                black_box(zxcvbn::zxcvbn(&prefix, &hint_refs));
            });
            let capped_32 = median(&|| {
                black_box(zxcvbn::zxcvbn(&first_32, &hint_refs));
            });
            let capped_64 = median(&|| {
                black_box(zxcvbn::zxcvbn(&first_64, &hint_refs));
            });
            println!(
                "{name:<8} {n:>5} {assess:>9.3} {raw:>9.3} {capped_32:>16.3} {capped_64:>16.3}"
            );
        }
    }
}

fn in_bucket(presses: &[Press], (lo, hi): (usize, usize)) -> Vec<Press> {
    presses
        .iter()
        .filter(|p| (lo..=hi).contains(&p.len))
        .copied()
        .collect()
}

fn rows_of(presses: &[Press]) -> Vec<(String, Vec<Press>)> {
    let mut rows: Vec<(String, Vec<Press>)> = BUCKETS
        .iter()
        .map(|&(lo, hi)| (format!("{lo}-{hi}"), in_bucket(presses, (lo, hi))))
        .collect();
    rows.push(("all".to_string(), presses.to_vec()));
    rows
}

fn print_times(presses: &[Press]) {
    println!(
        "{:<7} {:>5} | {:^23} | {:^15} | {:^23} | {:^23}",
        "", "", "(a) key→frame ms", "(b) estimate", "(c) verdict→frame", "meter incl. a+b+c"
    );
    println!(
        "{:<7} {:>5} | {:>7}{:>8}{:>8} | {:>7}{:>8} | {:>7}{:>8}{:>8} | {:>7}{:>8}{:>8}",
        "length", "n", "p50", "p99", "max", "p50", "max", "p50", "p99", "max", "p50", "p99", "max"
    );
    for (label, rows) in rows_of(presses) {
        let a = Times::of(rows.iter().map(|p| p.key));
        let b = Times::of(rows.iter().map(|p| p.assess));
        let c = Times::of(rows.iter().map(|p| p.verdict));
        let t = Times::of(rows.iter().map(Press::meter_included));
        println!(
            "{:<7} {:>5} | {:>7.3}{:>8.3}{:>8.3} | {:>7.3}{:>8.3} | {:>7.3}{:>8.3}{:>8.3} | \
             {:>7.3}{:>8.3}{:>8.3}",
            label,
            rows.len(),
            a.p50,
            a.p99,
            a.max,
            b.p50,
            b.max,
            c.p50,
            c.p99,
            c.max,
            t.p50,
            t.p99,
            t.max
        );
    }
}

fn print_bytes(presses: &[Press]) {
    println!(
        "{:<7} | {:>14} | {:>14} | {:>18}",
        "bytes", "(a) avg  max", "(c) avg  max", "per press avg  max"
    );
    for (label, rows) in rows_of(presses) {
        let a = bytes_of(rows.iter().map(|p| p.key_bytes));
        let c = bytes_of(rows.iter().map(|p| p.verdict_bytes));
        let t = bytes_of(rows.iter().map(Press::bytes));
        println!(
            "{:<7} | {:>8.0} {:>5} | {:>8.0} {:>5} | {:>12.0} {:>5}",
            label, a.0, a.1, c.0, c.1, t.0, t.1
        );
    }
}

fn print_breakdown(scenario: &Scenario) {
    let b = &scenario.breakdown;
    println!(
        "\n-- where the bytes go, {}: one round of {} presses, taken apart --",
        scenario.name, b.presses
    );
    println!(
        "{:<16} {:>7} {:>7} {:>7} {:>7} {:>7} {:>7}",
        "avg per frame", "frames", "text", "SGR", "moves", "end", "total"
    );
    for (name, t) in [
        ("(a) key", &b.key_frames),
        ("(c) verdict", &b.verdict_frames),
    ] {
        let per = |n: u64| n as f64 / t.frames.max(1) as f64;
        println!(
            "{:<16} {:>7} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>7.1}",
            name,
            t.frames,
            per(t.text),
            per(t.style),
            per(t.moves),
            per(t.end),
            per(t.total())
        );
    }
    let end_per_frame = b.key_frames.end as f64 / b.key_frames.frames.max(1) as f64;
    let kept =
        (b.kept as f64 + b.verdict_frames.frames as f64 * end_per_frame) / b.presses.max(1) as f64;
    println!(
        "\"end\" = SGR reset + show cursor + place cursor, sent with every frame.\n\
         what-if, measured: a terminal drawn once per key press (after the verdict) got \
         {:.1} bytes per press;\n\
         a meter that kept its last verdict on show until the next would send about that \
         plus one frame end: ≈{kept:.0} bytes per press.",
        b.kept as f64 / b.presses.max(1) as f64
    );
    println!("Per screen row, average bytes per key press of (a) and (c) frames (end excluded);");
    match &b.reference {
        Some(_) => {
            println!("beside the screen after {REFERENCE_LEN} characters and their verdict:")
        }
        None => println!("beside the screen as it was left:"),
    }
    let reference = b.reference.clone().unwrap_or_default();
    let lines: Vec<&str> = reference.lines().collect();
    println!("{:>3} {:>7} {:>7} | screen", "row", "(a)", "(c)");
    let presses = b.presses.max(1) as f64;
    for row in 0..usize::from(ROWS) {
        println!(
            "{:>3} {:>7.1} {:>7.1} | {}",
            row,
            b.key_rows[row] as f64 / presses,
            b.verdict_rows[row] as f64 / presses,
            lines.get(row).map_or("", |l| l.trim_end())
        );
    }
}

// ---------------------------------------------------------------- slider

fn bench_slider() {
    println!(
        "\n== 2. held → on the slider (\"Forgot your password?\", address accepted): \
         {SLIDER_PRESSES} presses {REPEAT_GAP_MS} ms apart, {ROUNDS} rounds =="
    );
    let mut times = Vec::new();
    let mut bytes = Vec::new();
    let mut first_round = Vec::new();
    let mut verified_bytes = 0;
    for round in 0..=ROUNDS {
        let mut rig = Rig::new();
        walk_to_slider(&mut rig);
        rig.draw();
        let mut this_round = Vec::new();
        for _ in 0..SLIDER_PRESSES {
            rig.now_ms += REPEAT_GAP_MS;
            let step = rig.step(key(KeyCode::Right));
            this_round.push(step.bytes);
            // Round 0 warms up.
            if round > 0 {
                times.push(step.took);
                bytes.push(step.bytes);
            }
        }
        if round == 0 {
            first_round = this_round;
            rig.now_ms += 5;
            verified_bytes = rig
                .step(Input::Reply(Reply::Slide(Ok(SlideVerdict::Verified))))
                .bytes;
        }
    }
    let t = Times::of(times);
    let (avg, max) = bytes_of(bytes.iter().copied());
    println!(
        "time per press ms: p50 {:.3}  p99 {:.3}  max {:.3}",
        t.p50, t.p99, t.max
    );
    println!(
        "bytes per press: avg {avg:.0}  max {max}  ({:.0} bytes/s at {} presses/s)",
        avg * 1000.0 / REPEAT_GAP_MS as f64,
        1000 / REPEAT_GAP_MS
    );
    println!(
        "bytes of each press in turn: {}",
        first_round
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!("then the service's Verified: {verified_bytes} bytes");
}

// ---------------------------------------------------------------- start

/// `target/release/rekey`, next to the `deps/` folder this bench runs from.
fn release_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let deps = exe.parent()?;
    let profile_dir = if deps.file_name()? == "deps" {
        deps.parent()?
    } else {
        deps
    };
    let bin = profile_dir.join("rekey");
    bin.is_file().then_some(bin)
}

fn bench_start() {
    println!(
        "\n== 3. start to first frame: the release binary in an {COLS}x{ROWS} pseudo-terminal, \
         until the screen shows {FIRST_FRAME_NEEDLE:?} =="
    );
    let Some(bin) = release_binary() else {
        println!(
            "skipped: no target/release/rekey next to this bench; \
             run `cargo build --release` first."
        );
        return;
    };
    println!("binary: {}", bin.display());
    let modified = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|m| m.elapsed().ok());
    if let Some(age) = modified {
        println!(
            "(built {:.0} min ago; rebuild with `cargo build --release` if src/ changed since)",
            age.as_secs_f64() / 60.0
        );
    }
    println!(
        "{:<28} {:>5} {:>9} {:>9} {:>9} {:>13}",
        "command", "runs", "p50 ms", "max ms", "min ms", "bytes to it"
    );
    let data_dir = tempfile::tempdir().expect("a temporary directory");
    let dir_arg = data_dir.path().to_str().expect("a UTF-8 temporary path");
    for (label, args) in [
        ("rekey --data-dir <tmp>", vec!["--data-dir", dir_arg]),
        ("rekey demo", vec!["demo"]),
    ] {
        let mut times = Vec::new();
        let mut bytes = Vec::new();
        let mut failures = Vec::new();
        for _ in 0..START_RUNS {
            match time_first_frame(&bin, &args, data_dir.path()) {
                Ok((took, n)) => {
                    times.push(took);
                    bytes.push(n);
                }
                Err(e) => failures.push(e),
            }
        }
        let t = Times::of(times.iter().copied());
        let min = times.iter().min().map_or(0.0, |d| to_ms(*d));
        let (avg_bytes, _) = bytes_of(bytes);
        println!(
            "{:<28} {:>5} {:>9.1} {:>9.1} {:>9.1} {:>13.0}",
            label,
            times.len(),
            t.p50,
            t.max,
            min,
            avg_bytes
        );
        for failure in failures {
            println!("  failed run: {failure}");
        }
    }
}

/// Spawns `bin args` in a pseudo-terminal; returns the time until the
/// screen shows the needle and the bytes received until then. Quits it
/// with Ctrl-C and waits for it to exit.
fn time_first_frame(bin: &Path, args: &[&str], cwd: &Path) -> Result<(Duration, u64), String> {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: ROWS,
            cols: COLS,
            pixel_width: 0,
            pixel_height: 0,
        })
        .map_err(|e| format!("no pseudo-terminal: {e}"))?;
    let cmd = common::pty::clean_command(bin, args, cwd);
    let mut reader = pair
        .master
        .try_clone_reader()
        .map_err(|e| format!("no reader: {e}"))?;
    let (seen_tx, seen_rx) = mpsc::channel::<(Instant, u64)>();
    let started = Instant::now();
    let mut child = pair
        .slave
        .spawn_command(cmd)
        .map_err(|e| format!("cannot start: {e}"))?;
    // Only the child holds the other end now: reading ends when it exits.
    drop(pair.slave);
    let reading = std::thread::spawn(move || {
        let mut parser = vt100::Parser::new(ROWS, COLS, 0);
        let mut total = 0u64;
        let mut seen = false;
        let mut buf = [0u8; 8192];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            total += n as u64;
            parser.process(&buf[..n]);
            if !seen && parser.screen().contents().contains(FIRST_FRAME_NEEDLE) {
                seen = true;
                let _ = seen_tx.send((Instant::now(), total));
            }
        }
    });
    let result = match seen_rx.recv_timeout(START_TIMEOUT) {
        Ok((at, bytes)) => Ok((at - started, bytes)),
        Err(_) => Err(format!(
            "no {FIRST_FRAME_NEEDLE:?} within {} s",
            START_TIMEOUT.as_secs()
        )),
    };
    let mut writer = pair
        .master
        .take_writer()
        .map_err(|e| format!("no writer: {e}"))?;
    let _ = writer.write_all(b"\x03");
    let _ = writer.flush();
    let deadline = Instant::now() + EXIT_TIMEOUT;
    let exited = loop {
        match child.try_wait() {
            Ok(Some(_)) => break true,
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => break false,
        }
    };
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(writer);
    drop(pair.master);
    let _ = reading.join();
    match (result, exited) {
        (Ok(r), true) => Ok(r),
        (Ok(_), false) => Err("did not exit on Ctrl-C; killed".to_string()),
        (Err(e), _) => Err(e),
    }
}

// ---------------------------------------------------------------- verdict

fn verdict(scenarios: &[Scenario]) {
    println!(
        "\n== targets (issue 3): p99 < {TARGET_P99_MS} ms per key press, meter included; \
         < {TARGET_AVG_BYTES:.0} bytes per key press on average =="
    );
    let pass = |ok: bool| if ok { "PASS" } else { "FAIL" };
    let mut all = Vec::new();
    for s in scenarios {
        let t = Times::of(s.presses.iter().map(Press::meter_included));
        let a = Times::of(s.presses.iter().map(|p| p.key));
        let (avg, _) = bytes_of(s.presses.iter().map(Press::bytes));
        println!(
            "{:<32} p99 meter incl. {:>7.3} ms {}  (key frame alone {:.3})   \
             bytes avg {:>5.0} {}",
            s.name,
            t.p99,
            pass(t.p99 < TARGET_P99_MS),
            a.p99,
            avg,
            pass(avg < TARGET_AVG_BYTES)
        );
        all.extend(s.presses.iter().copied());
    }
    let t = Times::of(all.iter().map(Press::meter_included));
    let (avg, max) = bytes_of(all.iter().map(Press::bytes));
    println!(
        "VERDICT over all {} key presses: time p99 {:.3} ms (target < {TARGET_P99_MS}) {}; \
         bytes avg {avg:.0} (max {max}, target < {TARGET_AVG_BYTES:.0}) {}",
        all.len(),
        t.p99,
        pass(t.p99 < TARGET_P99_MS),
        pass(avg < TARGET_AVG_BYTES)
    );
}

// ---------------------------------------------------------------- inputs

/// Lower-case words and spaces, cut to `MAX_LEN`.
fn passphrase(seed: u64) -> String {
    let mut rng = Lcg(seed);
    let mut out = String::new();
    while out.len() < MAX_LEN {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(WORDS[rng.below(WORDS.len())]);
    }
    out.chars().take(MAX_LEN).collect()
}

fn random_mixed(seed: u64) -> String {
    let mut rng = Lcg(seed ^ 0x9e37_79b9_7f4a_7c15);
    (0..MAX_LEN)
        .map(|_| char::from(RANDOM_CHARSET[rng.below(RANDOM_CHARSET.len())]))
        .collect()
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 48 {
        format!("{s:?}")
    } else {
        format!("{:?}…", s.chars().take(48).collect::<String>())
    }
}
