//! End to end: the real `rekey` binary in an 80x24 pseudo-terminal, driven
//! key by key like a person and read back from the screen a terminal would
//! show (the bytes go through a vt100 parser).
//!
//! Every test works in its own temporary data directory. The wizard only
//! ever sees what a person's terminal would send; the tests only ever read
//! what a person would read: the screen, the `.eml` files the embedded
//! default writes under `<data-dir>/mail/`, and the operator's command line.

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};
use rekey::tui::launch::{DEMO_ADDRESS, DEMO_PASSWORD};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The terminal's size: the smallest the wizard is designed for in full.
const ROWS: u16 = 24;
const COLS: u16 = 80;

/// How long anything may take to show up; generous for a loaded machine.
const TIMEOUT: Duration = Duration::from_secs(20);
/// How long a screen must stay the same to count as settled.
const SETTLE: Duration = Duration::from_millis(300);
/// How often the screen is looked at while waiting.
const POLL: Duration = Duration::from_millis(20);
/// Between two typed characters.
const KEY_GAP: Duration = Duration::from_millis(10);
/// Between two → presses on the slider: a held key repeats about this fast.
const SLIDE_GAP: Duration = Duration::from_millis(30);
/// How long the unknown address is given to (wrongly) produce a mail.
const MAIL_GRACE: Duration = Duration::from_secs(3);

/// What the keys send.
const ENTER: &str = "\r";
const RIGHT: &str = "\x1b[C";
const CTRL_C: &str = "\x03";

/// What a terminal is sent to leave the alternate screen.
const LEAVE_ALTERNATE_SCREEN: &[u8] = b"\x1b[?1049l";
const ENTER_ALTERNATE_SCREEN: &[u8] = b"\x1b[?1049h";

const ADDRESS: &str = "ada@example.com";
const NAME: &str = "Ada Lovelace";
/// An address with no account, as long as `ADDRESS` so that the screens of
/// both line up character for character once the address is masked.
const UNKNOWN_ADDRESS: &str = "eve@example.com";
const OLD_PASSWORD: &str = "lantern quietly orbits seventeen moths";
const NEW_PASSWORD: &str = "copper kettles whistle under violet rain";

// ---------------------------------------------------------------------------
// The harness: the binary in a pseudo-terminal.
// ---------------------------------------------------------------------------

/// Everything the terminal has received: the raw bytes and the screen they
/// draw.
struct Received {
    parser: vt100::Parser,
    raw: Vec<u8>,
}

/// One run of `rekey` in a pseudo-terminal of `COLS`x`ROWS`. Killed when
/// dropped, so a failing test leaves no process behind.
struct Wizard {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
    received: Arc<Mutex<Received>>,
    reader: Option<JoinHandle<()>>,
}

impl Wizard {
    /// Starts `rekey ARGS...` in `cwd` with a clean environment: an English
    /// UTF-8 locale, a colour xterm, and no `REKEY_*` setting from the
    /// test's own environment.
    fn spawn(args: &[&str], cwd: &Path) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal opens");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_rekey"));
        cmd.args(args);
        cmd.cwd(cwd);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("REKEY_") {
                cmd.env_remove(key);
            }
        }
        for key in ["LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LANGUAGE", "NO_COLOR"] {
            cmd.env_remove(key);
        }
        cmd.env("LANG", "C.UTF-8");
        cmd.env("TERM", "xterm-256color");
        let child = pair
            .slave
            .spawn_command(cmd)
            .expect("the rekey binary starts");
        // Only the child holds the terminal's other end now, so reading
        // ends when it exits.
        drop(pair.slave);
        let received = Arc::new(Mutex::new(Received {
            parser: vt100::Parser::new(ROWS, COLS, 0),
            raw: Vec::new(),
        }));
        let reader = pair.master.try_clone_reader().expect("a reader");
        let reader = std::thread::spawn({
            let received = received.clone();
            move || read_all(reader, &received)
        });
        let writer = pair.master.take_writer().expect("a writer");
        Self {
            child,
            writer,
            master: pair.master,
            received,
            reader: Some(reader),
        }
    }

    /// `rekey --data-dir DIR EXTRA...`: the wizard on the store under `dir`.
    fn embedded(dir: &Path, extra: &[&str]) -> Self {
        let dir_arg = dir.to_str().expect("a UTF-8 temporary path");
        let mut args = vec!["--data-dir", dir_arg];
        args.extend_from_slice(extra);
        Self::spawn(&args, dir)
    }

    /// The screen as text, one line per row.
    fn screen(&self) -> String {
        self.received().parser.screen().contents()
    }

    fn received(&self) -> std::sync::MutexGuard<'_, Received> {
        self.received.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `keys` to the terminal as they are.
    fn send(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .and_then(|()| self.writer.flush())
            .expect("the terminal takes keys");
    }

    /// Types `text` one key at a time.
    fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(c.encode_utf8(&mut [0; 4]));
            std::thread::sleep(KEY_GAP);
        }
    }

    /// Waits until the screen contains `text`; returns the screen.
    fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |screen| screen.contains(text))
    }

    /// Waits until `ready` holds for the screen; returns the screen. Panics
    /// after `TIMEOUT` with the screen as it is, `what` naming the wait.
    fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if start.elapsed() > TIMEOUT {
                panic!("waited {TIMEOUT:?} for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until the screen, as `comparable` makes it, stays the same for
    /// `SETTLE`; returns it so.
    fn settled(&self, comparable: impl Fn(&str) -> String) -> String {
        let start = Instant::now();
        let mut last = comparable(&self.screen());
        let mut since = Instant::now();
        while since.elapsed() < SETTLE {
            if start.elapsed() > TIMEOUT {
                panic!("the screen did not settle in {TIMEOUT:?}:\n{last}");
            }
            std::thread::sleep(POLL);
            let now = comparable(&self.screen());
            if now != last {
                last = now;
                since = Instant::now();
            }
        }
        last
    }

    /// The exit status, if the process has ended.
    fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("the process can be polled")
    }

    /// Waits up to `limit` for the process to end.
    fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.exited() {
                return Some(status);
            }
            if start.elapsed() > limit {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }

    /// Ctrl-C, then the exit status within a few seconds (a panic if the
    /// process does not end) once everything it wrote has been read.
    fn quit(&mut self) -> ExitStatus {
        self.send(CTRL_C);
        let status = self.wait_exit(Duration::from_secs(5)).unwrap_or_else(|| {
            panic!(
                "still running 5 s after Ctrl-C; the screen:\n{}",
                self.screen()
            )
        });
        self.drain();
        status
    }

    /// Waits until the reader has read the last byte the ended process
    /// wrote.
    fn drain(&mut self) {
        let Some(reader) = self.reader.take() else {
            return;
        };
        let start = Instant::now();
        while !reader.is_finished() {
            assert!(
                start.elapsed() < TIMEOUT,
                "the terminal stayed open after the process ended"
            );
            std::thread::sleep(POLL);
        }
        let _ = reader.join();
    }

    /// Checks that the terminal was given back as it was found: the
    /// alternate screen left after the last frame, the cursor shown,
    /// bracketed paste off, and the line discipline out of raw mode.
    fn assert_terminal_restored(&self) {
        let received = self.received();
        let raw = &received.raw;
        let entered = rfind(raw, ENTER_ALTERNATE_SCREEN).expect("the alternate screen was used");
        let left = rfind(raw, LEAVE_ALTERNATE_SCREEN)
            .unwrap_or_else(|| panic!("the alternate screen was never left"));
        assert!(left > entered, "the alternate screen was entered again");
        let mut after = vt100::Parser::new(ROWS, COLS, 0);
        after.process(&raw[left..]);
        assert_eq!(
            after.screen().contents().trim(),
            "",
            "something was drawn after leaving the alternate screen"
        );
        let screen = received.parser.screen();
        assert!(!screen.alternate_screen(), "still on the alternate screen");
        assert!(!screen.hide_cursor(), "the cursor is still hidden");
        assert!(!screen.bracketed_paste(), "bracketed paste is still on");
        let termios = self.master.get_termios().expect("the terminal's settings");
        let local = format!("{:?}", termios.local_flags);
        for flag in ["ICANON", "ECHO", "ISIG"] {
            assert!(
                local
                    .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|f| f == flag),
                "{flag} is off: the terminal was left in raw mode ({local})"
            );
        }
    }
}

impl Drop for Wizard {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SIGHUP, then SIGKILL if it is still there.
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// The reader thread: everything the terminal receives, until it closes.
fn read_all(mut reader: Box<dyn Read + Send>, received: &Mutex<Received>) {
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let mut received = received.lock().unwrap_or_else(|e| e.into_inner());
                received.parser.process(&buf[..n]);
                received.raw.extend_from_slice(&buf[..n]);
            }
        }
    }
}

/// Where `needle` last occurs in `haystack`.
fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

// ---------------------------------------------------------------------------
// The operator's command line and the mail directory.
// ---------------------------------------------------------------------------

/// `rekey --data-dir DIR ARGS...` with `stdin` piped in; the exit code.
fn cli(dir: &Path, args: &[&str], stdin: &str) -> i32 {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rekey"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("REKEY_") {
            cmd.env_remove(key);
        }
    }
    let mut child = cmd
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rekey binary starts");
    {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        let _ = pipe.write_all(stdin.as_bytes());
    }
    let output = child.wait_with_output().expect("the rekey binary ends");
    output.status.code().unwrap_or_else(|| {
        panic!(
            "rekey {args:?} ended by a signal; stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// Adds an account with the real command line.
fn add_account(dir: &Path, address: &str, name: &str, password: &str) {
    let code = cli(
        dir,
        &["user", "add", address, "--name", name],
        &format!("{password}\n"),
    );
    assert_eq!(code, 0, "user add {address}");
}

/// `rekey user verify`: whether the store takes `password` for `address`.
fn password_works(dir: &Path, address: &str, password: &str) -> bool {
    match cli(dir, &["user", "verify", address], &format!("{password}\n")) {
        0 => true,
        1 => false,
        other => panic!("user verify exited {other}"),
    }
}

/// One delivered mail, as a mail program reads it.
struct Mail {
    to: String,
    body: String,
}

/// Every `.eml` under `<dir>/mail/` (none when the directory is missing).
fn delivered_mail(dir: &Path) -> Vec<Mail> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("mail"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|x| x == "eml"));
    files.sort();
    files
        .iter()
        .map(|path| {
            let bytes = std::fs::read(path).expect("a delivered mail reads");
            let message = mail_parser::MessageParser::default()
                .parse(&bytes)
                .unwrap_or_else(|| panic!("{} is not a mail", path.display()));
            Mail {
                to: message
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_string(),
                body: message.body_text(0).unwrap_or_default().to_string(),
            }
        })
        .collect()
}

/// The code in a line like "    482 913" (grouped 3+3), as six digits.
fn grouped_code(line: &str) -> Option<String> {
    let line = line.trim();
    let (a, b) = line.split_once(' ')?;
    let digits = |s: &str| s.len() == 3 && s.bytes().all(|c| c.is_ascii_digit());
    (digits(a) && digits(b)).then(|| format!("{a}{b}"))
}

/// Waits for the code mail to `address` under `<dir>/mail/`; the code.
fn code_from_mail(dir: &Path, address: &str) -> String {
    let start = Instant::now();
    loop {
        let code = delivered_mail(dir)
            .iter()
            .filter(|m| m.to == address)
            .find_map(|m| m.body.lines().find_map(grouped_code));
        if let Some(code) = code {
            return code;
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "no code mail to {address} after {TIMEOUT:?}"
        );
        std::thread::sleep(POLL);
    }
}

/// The code on the demo's mailbox panel (a line "482 913" in the box).
fn code_on_demo_panel(screen: &str) -> Option<String> {
    screen
        .lines()
        .skip_while(|l| !l.contains("Demo mailbox"))
        .find_map(|l| grouped_code(l.trim_matches(|c: char| c == '│' || c == '|' || c == ' ')))
}

// ---------------------------------------------------------------------------
// The flow, one person's step at a time.
// ---------------------------------------------------------------------------

/// Landing screen, Enter on "Forgot your password?": screen 1.
fn open_recovery(w: &mut Wizard) -> String {
    w.wait_until("the landing screen", |s| {
        s.contains("Sign in") && s.contains("Forgot your password?")
    });
    w.send(ENTER);
    w.wait_for("Step 1 of 5")
}

/// Types the address and Enter, then presses → `SLIDE_GAP` apart until the
/// slider reads `Verified`.
fn enter_address_and_slide(w: &mut Wizard, address: &str) -> String {
    w.type_text(address);
    w.send(ENTER);
    let start = Instant::now();
    loop {
        let screen = w.screen();
        if screen.contains("Verified") {
            return screen;
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "no \"Verified\" after {TIMEOUT:?} of → presses; the screen:\n{screen}"
        );
        w.send(RIGHT);
        std::thread::sleep(SLIDE_GAP);
    }
}

/// Enter on Request: screen 2.
fn request(w: &mut Wizard) -> String {
    w.send(ENTER);
    w.wait_until("\"Verify your identity\"", |s| {
        s.contains("Step 2 of 5") && s.contains("Verify your identity")
    })
}

/// Enter on "Check now": screen 3, before a code is sent.
fn check_now(w: &mut Wizard) -> String {
    w.send(ENTER);
    w.wait_until("\"Check your email\"", |s| {
        s.contains("Step 3 of 5") && s.contains("Get a verification code")
    })
}

/// Enter on "Get a verification code": the code boxes and the timers.
fn get_code(w: &mut Wizard) -> String {
    w.send(ENTER);
    w.wait_until("the code sent", |s| {
        s.contains("the code is on its way") && s.contains("Valid for")
    })
}

/// Types the code and Enter.
fn type_code(w: &mut Wizard, code: &str) {
    w.type_text(code);
    w.send(ENTER);
}

/// A wrong code: the screen saying so, with the tries left updated.
fn wrong_code(w: &mut Wizard) -> String {
    type_code(w, "000000");
    w.wait_until("the wrong code refused", |s| {
        s.contains("That code is not right. 4 tries left.") && s.contains("·  4 tries left")
    })
}

/// The right code: screen 4.
fn right_code(w: &mut Wizard, code: &str) -> String {
    type_code(w, code);
    w.wait_for("Create a new password")
}

/// The new password, twice: screen 5.
fn set_password(w: &mut Wizard, password: &str) -> String {
    w.type_text(password);
    w.send(ENTER);
    w.type_text(password);
    w.send(ENTER);
    w.wait_until("\"Password changed\"", |s| {
        s.contains("Step 5 of 5") && s.contains("Password changed")
    })
}

/// Walks from the landing screen to the code sent for `address`.
fn walk_to_code_sent(w: &mut Wizard, address: &str) -> String {
    open_recovery(w);
    enter_address_and_slide(w, address);
    request(w);
    check_now(w);
    get_code(w)
}

/// The screen with what differs between two people masked: `address`
/// becomes `<address>`, and the countdowns (which tick) become `#:##`.
/// Trailing blanks go too: how many a row keeps depends on the frames drawn
/// before it, not on what it shows.
fn comparable(screen: &str, address: &str) -> String {
    screen
        .replace(address, "<address>")
        .lines()
        .map(|line| mask_countdowns(line).trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// "Valid for 9:58  ·  5 tries left" becomes "Valid for #:##  ·  5 tries
/// left"; "Resend in 0:59" becomes "Resend in #:##"; the match phrase
/// becomes "…".
fn mask_countdowns(line: &str) -> String {
    let mut out = line.to_string();
    for marker in ["Valid for ", "Resend in "] {
        if let Some(at) = out.find(marker) {
            let start = at + marker.len();
            let end = out[start..]
                .find(|c: char| !(c.is_ascii_digit() || c == ':'))
                .map_or(out.len(), |n| start + n);
            out.replace_range(start..end, "#:##");
        }
    }
    // The match phrase is drawn at random for each code.
    if let Some(at) = out.find("Words in the mail: ") {
        out.replace_range(at + "Words in the mail: ".len().., "…");
    }
    out
}

/// The screens one person sees, settled and masked, by step.
type Transcript = Vec<(&'static str, String)>;

/// Walks `address` to a wrong code, recording each screen; returns the
/// transcript and when the code was asked for.
fn transcript_to_wrong_code(w: &mut Wizard, address: &str) -> (Transcript, Instant) {
    let settle = |w: &Wizard| w.settled(|s| comparable(s, address));
    let mut steps = Transcript::new();
    open_recovery(w);
    enter_address_and_slide(w, address);
    steps.push(("1 verified", settle(w)));
    request(w);
    steps.push(("2 verify your identity", settle(w)));
    check_now(w);
    steps.push(("3 check your email", settle(w)));
    get_code(w);
    let asked = Instant::now();
    steps.push(("3 code sent", settle(w)));
    wrong_code(w);
    steps.push(("3 wrong code", settle(w)));
    (steps, asked)
}

// ---------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------

/// The whole flow for an account, the code read from the mail the embedded
/// default wrote; Ctrl-C then leaves cleanly, and the store takes the new
/// password and no longer the old one.
#[test]
fn a_known_address_walks_to_a_new_password_that_the_store_then_takes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    add_account(dir, ADDRESS, NAME, OLD_PASSWORD);

    let mut w = Wizard::embedded(dir, &[]);
    walk_to_code_sent(&mut w, ADDRESS);
    let code = code_from_mail(dir, ADDRESS);
    right_code(&mut w, &code);
    set_password(&mut w, NEW_PASSWORD);

    let status = w.quit();
    assert!(status.success(), "exit status after Ctrl-C: {status}");
    w.assert_terminal_restored();
    drop(w);

    assert!(
        password_works(dir, ADDRESS, NEW_PASSWORD),
        "the new password is refused"
    );
    assert!(
        !password_works(dir, ADDRESS, OLD_PASSWORD),
        "the old password still works"
    );
}

/// No account enumeration: up to a wrong code, an address without an
/// account sees the very screens an account's address sees, and no mail
/// goes out for it.
#[test]
fn an_unknown_address_sees_the_same_screens_and_gets_no_mail() {
    assert_eq!(ADDRESS.len(), UNKNOWN_ADDRESS.len());
    let known_tmp = tempfile::tempdir().expect("temp dir");
    let unknown_tmp = tempfile::tempdir().expect("temp dir");
    add_account(known_tmp.path(), ADDRESS, NAME, OLD_PASSWORD);
    add_account(unknown_tmp.path(), ADDRESS, NAME, OLD_PASSWORD);

    let mut known = Wizard::embedded(known_tmp.path(), &[]);
    let (known_steps, _) = transcript_to_wrong_code(&mut known, ADDRESS);
    // The known address did get its mail: the comparison means something.
    code_from_mail(known_tmp.path(), ADDRESS);
    assert!(known.quit().success());

    let mut unknown = Wizard::embedded(unknown_tmp.path(), &[]);
    let (unknown_steps, asked) = transcript_to_wrong_code(&mut unknown, UNKNOWN_ADDRESS);
    std::thread::sleep(MAIL_GRACE.saturating_sub(asked.elapsed()));
    let mail = delivered_mail(unknown_tmp.path());
    assert!(
        mail.iter().all(|m| m.to != UNKNOWN_ADDRESS),
        "a mail went to the unknown address"
    );
    // The only account never asked for anything either.
    assert!(mail.is_empty(), "{} mail(s) went out", mail.len());
    assert!(unknown.quit().success());

    for ((step, known_screen), (_, unknown_screen)) in known_steps.iter().zip(&unknown_steps) {
        assert_eq!(
            known_screen, unknown_screen,
            "step {step}: the screens differ (left known, right unknown)"
        );
    }
    assert_eq!(known_steps.len(), unknown_steps.len());
}

/// The demo's walk from its landing screen to "Password changed", the
/// code read from the mailbox panel.
fn demo_walk_to_password_changed(w: &mut Wizard) {
    w.wait_until("the demo's landing screen and mailbox panel", |s| {
        s.contains("Its password now: ") && s.contains("No mail yet.")
    });
    // Read only a whole frame.
    let landing = w.settled(str::to_string);
    let shown = |prefix: &str| {
        landing
            .lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .map(str::to_string)
    };
    let address = shown("Demo account: ").expect("the demo address on the landing screen");
    let password = shown("Its password now: ").expect("the demo password on the landing screen");
    assert_eq!(address, DEMO_ADDRESS);
    assert_eq!(password, DEMO_PASSWORD);

    walk_to_code_sent(w, &address);
    let panel = w.wait_until("the code on the mailbox panel", |s| {
        s.contains(&format!("to {address}:")) && code_on_demo_panel(s).is_some()
    });
    let code = code_on_demo_panel(&panel).expect("a code on the panel");
    right_code(w, &code);
    set_password(w, NEW_PASSWORD);
}

/// `rekey demo`: the landing screen names the demo account and its
/// password, and the whole flow works with the code from the mailbox panel.
#[test]
fn the_demo_walks_to_a_new_password_with_the_code_from_its_mailbox_panel() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::spawn(&["demo"], tmp.path());
    demo_walk_to_password_changed(&mut w);
    let status = w.quit();
    assert!(status.success(), "exit status after Ctrl-C: {status}");
    w.assert_terminal_restored();
}

/// "Its password now" on the demo's landing screen follows a change.
#[test]
fn the_demo_landing_screen_shows_the_password_as_it_is_now() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::spawn(&["demo"], tmp.path());
    demo_walk_to_password_changed(&mut w);
    // Enter on "Sign in": back to the landing screen.
    w.send(ENTER);
    let landing = w.wait_for("Its password now: ");
    assert!(
        landing.contains(&format!("Its password now: {NEW_PASSWORD}")),
        "the landing screen does not show the new password:\n{landing}"
    );
}

/// Ctrl-C leaves from the landing screen, restoring the terminal; in kiosk
/// mode it is ignored.
#[test]
fn ctrl_c_quits_from_the_landing_screen_but_not_in_kiosk_mode() {
    let tmp = tempfile::tempdir().expect("temp dir");

    let mut w = Wizard::embedded(tmp.path(), &[]);
    w.wait_for("Ctrl-C quit");
    let status = w.quit();
    assert!(status.success(), "exit status after Ctrl-C: {status}");
    w.assert_terminal_restored();
    drop(w);

    let mut kiosk = Wizard::embedded(tmp.path(), &["--kiosk"]);
    kiosk.wait_for("Forgot your password?");
    let before = kiosk.settled(str::to_string);
    assert!(
        !before.contains("Ctrl-C"),
        "kiosk mode offers Ctrl-C:\n{before}"
    );
    kiosk.send(CTRL_C);
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        kiosk.exited().is_none(),
        "Ctrl-C ended the kiosk; the screen:\n{}",
        kiosk.screen()
    );
    assert_eq!(kiosk.screen(), before, "Ctrl-C changed the kiosk's screen");
    // The Drop guard kills it.
    drop(kiosk);
}

/// An unreachable mail server is said to the operator before the wizard
/// takes the screen; the wizard still starts.
#[test]
fn an_unreachable_mail_server_is_said_at_start_and_the_wizard_runs() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = tmp.path().join("rekey.toml");
    std::fs::write(&config, "[mail]\nsmtp_url = \"smtp://127.0.0.1:1\"\n").expect("config");
    let config_arg = config.to_str().expect("a UTF-8 path").to_string();
    let mut w = Wizard::embedded(tmp.path(), &["--config", &config_arg]);
    w.wait_for("Forgot your password?");
    let status = w.quit();
    assert!(status.success(), "exit status: {status}");
    let received = w.received();
    let raw = String::from_utf8_lossy(&received.raw).to_string();
    let warning = raw
        .find("mail cannot go out now")
        .expect("the operator is told");
    let screen = raw.find("\x1b[?1049h").expect("the wizard took the screen");
    assert!(warning < screen, "said before the screen is taken");
}
