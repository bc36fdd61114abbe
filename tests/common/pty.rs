//! A program in an 80x24 pseudo-terminal, driven key by key like a person
//! and read back from the screen a terminal would show (the bytes go
//! through a vt100 parser): `rekey` itself, or `ssh` into a box whose
//! sshd runs the wizard. Then the steps a person takes through the wizard.

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The terminal's size: the smallest the wizard is designed for in full.
pub const ROWS: u16 = 24;
pub const COLS: u16 = 80;

/// How long anything may take to show up; generous for a loaded machine.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// How long a screen must stay the same to count as settled.
pub const SETTLE: Duration = Duration::from_millis(300);
/// How often the screen is looked at while waiting.
pub const POLL: Duration = Duration::from_millis(20);
/// Between two typed characters.
pub const KEY_GAP: Duration = Duration::from_millis(10);
/// Between two → presses on the slider: a held key repeats about this fast.
pub const SLIDE_GAP: Duration = Duration::from_millis(30);

/// What the keys send.
pub const ENTER: &str = "\r";
pub const TAB: &str = "\t";
pub const RIGHT: &str = "\x1b[C";
pub const CTRL_C: &str = "\x03";

/// What a terminal is sent to enter and to leave the alternate screen.
pub const ENTER_ALTERNATE_SCREEN: &[u8] = b"\x1b[?1049h";
pub const LEAVE_ALTERNATE_SCREEN: &[u8] = b"\x1b[?1049l";

// ---------------------------------------------------------------------------
// The terminal.
// ---------------------------------------------------------------------------

/// Everything the terminal has received: the raw bytes and the screen they
/// draw.
pub struct Received {
    pub parser: vt100::Parser,
    pub raw: Vec<u8>,
    /// When each read arrived, and the length of `raw` after it: for
    /// timing what a person sees.
    pub arrivals: Vec<(Instant, usize)>,
}

/// One run of a program in a pseudo-terminal of `COLS`x`ROWS`, with the
/// wizard on its screen (drawn by `rekey` itself, or by a `rekey` at the
/// other end of `ssh`). Killed when dropped, so a failing test leaves no
/// process behind.
pub struct Wizard {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
    received: Arc<Mutex<Received>>,
    reader: Option<JoinHandle<()>>,
}

/// `PROGRAM ARGS...` in `cwd` with a clean environment: an English UTF-8
/// locale, a colour xterm, and no `REKEY_*` setting from the caller's own
/// environment.
pub fn clean_command(program: impl AsRef<OsStr>, args: &[&str], cwd: &Path) -> CommandBuilder {
    let mut cmd = CommandBuilder::new(program);
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
    cmd
}

impl Wizard {
    /// Starts `PROGRAM ARGS...` in `cwd` with a clean environment: an
    /// English UTF-8 locale, a colour xterm, and no `REKEY_*` setting from
    /// the test's own environment.
    pub fn spawn(program: impl AsRef<OsStr>, args: &[&str], cwd: &Path) -> Self {
        Self::spawn_with(program, args, cwd, &[])
    }

    /// As [`Wizard::spawn`], with `env` set over the clean environment
    /// (another TERM, say).
    pub fn spawn_with(
        program: impl AsRef<OsStr>,
        args: &[&str],
        cwd: &Path,
        env: &[(&str, &str)],
    ) -> Self {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("a pseudo-terminal opens");
        let program = program.as_ref();
        let mut cmd = clean_command(program, args, cwd);
        for (key, value) in env {
            cmd.env(key, value);
        }
        let child = pair
            .slave
            .spawn_command(cmd)
            .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
        // Only the child holds the terminal's other end now, so reading
        // ends when it exits.
        drop(pair.slave);
        let received = Arc::new(Mutex::new(Received {
            parser: vt100::Parser::new(ROWS, COLS, 0),
            raw: Vec::new(),
            arrivals: Vec::new(),
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

    /// `rekey ARGS...`: the binary under test.
    pub fn rekey(args: &[&str], cwd: &Path) -> Self {
        Self::spawn(env!("CARGO_BIN_EXE_rekey"), args, cwd)
    }

    /// `rekey --data-dir DIR` with `env` set: the wizard on the store under
    /// `dir`, in another terminal or locale.
    pub fn embedded_with(dir: &Path, env: &[(&str, &str)]) -> Self {
        let dir_arg = dir.to_str().expect("a UTF-8 temporary path");
        Self::spawn_with(
            env!("CARGO_BIN_EXE_rekey"),
            &["--data-dir", dir_arg],
            dir,
            env,
        )
    }

    /// `rekey --data-dir DIR EXTRA...`: the wizard on the store under `dir`.
    pub fn embedded(dir: &Path, extra: &[&str]) -> Self {
        let dir_arg = dir.to_str().expect("a UTF-8 temporary path");
        let mut args = vec!["--data-dir", dir_arg];
        args.extend_from_slice(extra);
        Self::rekey(&args, dir)
    }

    /// The program's process id.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("a running program")
    }

    /// The screen as text, one line per row.
    pub fn screen(&self) -> String {
        self.received().parser.screen().contents()
    }

    pub fn received(&self) -> MutexGuard<'_, Received> {
        self.received.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sends `keys` to the terminal as they are.
    pub fn send(&mut self, keys: &str) {
        self.writer
            .write_all(keys.as_bytes())
            .and_then(|()| self.writer.flush())
            .expect("the terminal takes keys");
    }

    /// Resizes the terminal, as a person dragging its window does: the
    /// pty's size (the program gets SIGWINCH) and the screen read here.
    pub fn resize(&mut self, rows: u16, cols: u16) {
        self.received().parser.screen_mut().set_size(rows, cols);
        self.master
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("the terminal resizes");
    }

    /// Types `text` one key at a time.
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.send(c.encode_utf8(&mut [0; 4]));
            std::thread::sleep(KEY_GAP);
        }
    }

    /// Waits until the screen contains `text`; returns the screen.
    pub fn wait_for(&self, text: &str) -> String {
        self.wait_until(&format!("{text:?}"), |screen| screen.contains(text))
    }

    /// Waits until `ready` holds for the screen; returns the screen. Panics
    /// after `TIMEOUT` with the screen as it is, `what` naming the wait.
    pub fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        self.wait_longer(TIMEOUT, what, ready)
    }

    /// `wait_until` with another limit than `TIMEOUT`, for what takes its
    /// own time to come (a poll that runs every so many seconds).
    pub fn wait_longer(&self, limit: Duration, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            if start.elapsed() > limit {
                panic!("waited {limit:?} for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// Waits until the screen, as `comparable` makes it, stays the same for
    /// `SETTLE`; returns it so.
    pub fn settled(&self, comparable: impl Fn(&str) -> String) -> String {
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
    pub fn exited(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("the process can be polled")
    }

    /// Waits up to `limit` for the process to end.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
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
    pub fn quit(&mut self) -> ExitStatus {
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
    pub fn drain(&mut self) {
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

    /// Everything the terminal received, as text (escape sequences and
    /// all): for what a program printed outside the screen's frames.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.received().raw).into_owned()
    }

    /// Checks that the terminal was given back as it was found: the
    /// alternate screen left after the last frame, the cursor shown,
    /// bracketed paste off, and the line discipline out of raw mode.
    pub fn assert_terminal_restored(&self) {
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
                let len = received.raw.len();
                received.arrivals.push((Instant::now(), len));
            }
        }
    }
}

/// Where `needle` last occurs in `haystack`.
pub fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

// ---------------------------------------------------------------------------
// The flow, one person's step at a time.
// ---------------------------------------------------------------------------

/// Landing screen, Enter on "Forgot your password?": screen 1.
pub fn open_recovery(w: &mut Wizard) -> String {
    w.wait_until("the landing screen", |s| {
        s.contains("Sign in") && s.contains("Forgot your password?")
    });
    // "Forgot your password?" has the focus first.
    w.send(ENTER);
    w.wait_for("Step 1 of 5")
}

/// Types the address and Enter, then presses → `SLIDE_GAP` apart until the
/// slider reads `Verified`.
pub fn enter_address_and_slide(w: &mut Wizard, address: &str) -> String {
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
pub fn request(w: &mut Wizard) -> String {
    w.send(ENTER);
    w.wait_until("\"Verify your identity\"", |s| {
        s.contains("Step 2 of 5") && s.contains("Verify your identity")
    })
}

/// Enter on "Check now": screen 3, before a code is sent.
pub fn check_now(w: &mut Wizard) -> String {
    w.send(ENTER);
    w.wait_until("\"Check your email\"", |s| {
        s.contains("Step 3 of 5") && s.contains("Get a verification code")
    })
}

/// Enter on "Get a verification code": the code boxes and the timers.
pub fn get_code(w: &mut Wizard) -> String {
    w.send(ENTER);
    w.wait_until("the code sent", |s| {
        s.contains("a 6-digit code is on its way there") && s.contains("Valid for")
    })
}

/// Types the code and Enter.
pub fn type_code(w: &mut Wizard, code: &str) {
    w.type_text(code);
    w.send(ENTER);
}

/// The right code: screen 4.
pub fn right_code(w: &mut Wizard, code: &str) -> String {
    type_code(w, code);
    w.wait_for("Create a new password")
}

/// The new password, twice: screen 5.
pub fn set_password(w: &mut Wizard, password: &str) -> String {
    w.type_text(password);
    w.send(ENTER);
    w.type_text(password);
    w.send(ENTER);
    w.wait_until("\"Password changed\"", |s| {
        s.contains("Step 5 of 5") && s.contains("Password changed")
    })
}

/// The right code and the new password, then Ctrl-C: the program exits
/// successfully and leaves the terminal as it found it.
pub fn finish_and_quit(mut w: Wizard, code: &str, password: &str) {
    right_code(&mut w, code);
    set_password(&mut w, password);
    let status = w.quit();
    assert!(status.success(), "exit status after Ctrl-C: {status}");
    w.assert_terminal_restored();
}

/// Walks from the landing screen to the code sent for `address`.
pub fn walk_to_code_sent(w: &mut Wizard, address: &str) -> String {
    open_recovery(w);
    enter_address_and_slide(w, address);
    request(w);
    check_now(w);
    get_code(w)
}
