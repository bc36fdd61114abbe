//! Plain line mode as a screen-reader or braille user meets it: the real
//! binary through a pseudo-terminal with `ACCESSIBLE=1`, and with stdin
//! from a pipe; the whole flow to "Password changed" with the new password
//! then verifying, in English, Swedish and Russian, and a kiosk's rules.
//! The output holds no escape sequence, except the one clear-screen at a
//! kiosk's idle reset.

mod common;

use common::daemon::wait_for_code;
use common::pty::{CTRL_C, ENTER, Wizard};
use common::{NEW_PASSWORD, OLD_PASSWORD, operator, password_works};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const ADDRESS: &str = "ada@example.com";
const CLEAR_SCREEN: &str = "\x1b[H\x1b[2J\x1b[3J";

fn add_account(dir: &Path) {
    let out = operator(dir, &["user", "add", ADDRESS], &format!("{OLD_PASSWORD}\n"));
    assert!(out.status.success(), "{out:?}");
}

/// Types a line and Enter.
fn answer(w: &mut Wizard, line: &str) {
    w.type_text(line);
    w.send(ENTER);
}

/// From the start question to the code's, in English: recovery, the
/// address, Verify by e-mail.
fn to_the_code_question(w: &mut Wizard, address: &str) {
    answer(w, "1");
    w.wait_for("E-mail address:");
    answer(w, address);
    w.wait_for("1) Verify by e-mail");
    answer(w, "1");
    w.wait_for("Verification code:");
}

/// The whole flow in plain mode through a pty, in the language of
/// `words`: (start choices, the address question, the verify choices, the
/// code question, the new password, again, changed).
fn walk_through_a_pty(env: &[(&str, &str)], words: [&str; 7]) {
    let tmp = tempfile::tempdir().expect("temp dir");
    add_account(tmp.path());
    let mut w = Wizard::embedded_with(tmp.path(), env);
    w.wait_for(words[0]);
    answer(&mut w, "1");
    w.wait_for(words[1]);
    answer(&mut w, ADDRESS);
    w.wait_for(words[2]);
    answer(&mut w, "1");
    w.wait_for(words[3]);
    let code = wait_for_code(&tmp.path().join("mail"), ADDRESS, 1);
    // A pasted code in any usual form.
    answer(&mut w, &format!("{}-{}", &code[..3], &code[3..]));
    w.wait_for(words[4]);
    answer(&mut w, NEW_PASSWORD);
    w.wait_for(words[5]);
    answer(&mut w, NEW_PASSWORD);
    w.wait_for(words[6]);
    let transcript = w.transcript();
    assert!(
        !transcript.contains(NEW_PASSWORD),
        "the password was echoed:\n{transcript}"
    );
    assert!(
        !transcript.contains('\x1b'),
        "an escape sequence in plain mode:\n{transcript:?}"
    );
    assert!(w.quit().success());
    assert!(password_works(tmp.path(), ADDRESS, NEW_PASSWORD));
}

#[test]
fn plain_mode_through_a_pty_sets_the_password_in_english() {
    walk_through_a_pty(
        &[("ACCESSIBLE", "1")],
        [
            "1) Forgot your password?",
            "Step 1 of 5: Forgot your password?",
            "1) Verify by e-mail",
            "Verification code:",
            "New password:",
            "Type it again:",
            "Step 5 of 5: Password changed",
        ],
    );
}

#[test]
fn plain_mode_through_a_pty_sets_the_password_in_swedish() {
    walk_through_a_pty(
        &[("TERM", "dumb"), ("LANG", "sv_SE.UTF-8")],
        [
            "1) Glömt ditt lösenord?",
            "Steg 1 av 5",
            "1) Verifiera via e-post",
            "Verifieringskod:",
            "Nytt lösenord:",
            "Skriv det igen:",
            "Steg 5 av 5",
        ],
    );
}

#[test]
fn plain_mode_through_a_pty_sets_the_password_in_russian() {
    walk_through_a_pty(
        &[("ACCESSIBLE", "1"), ("LANG", "ru_RU.UTF-8")],
        [
            "1) Забыли пароль?",
            "Шаг 1 из 5",
            "1) Подтвердить по электронной почте",
            "Код подтверждения:",
            "Новый пароль:",
            "Повторите пароль:",
            "Шаг 5 из 5",
        ],
    );
}

/// What a piped child has written so far.
struct Piped {
    child: std::process::Child,
    out: Arc<Mutex<String>>,
}

impl Piped {
    fn start(dir: &Path) -> Self {
        Self::start_with(dir, &[], &[])
    }

    fn start_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let data = dir.to_str().expect("UTF-8 path");
        let mut child = Command::new(env!("CARGO_BIN_EXE_rekey"))
            .args(["--data-dir", data, "--plain"])
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("LANG", "C.UTF-8")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("rekey runs");
        let out = Arc::new(Mutex::new(String::new()));
        let mut stdout = child.stdout.take().expect("stdout");
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    return;
                }
                let text = String::from_utf8_lossy(&buf[..n]).into_owned();
                sink.lock().unwrap().push_str(&text);
            }
        });
        Self { child, out }
    }

    fn line(&mut self, text: &str) {
        let stdin = self.child.stdin.as_mut().expect("stdin");
        writeln!(stdin, "{text}").expect("written");
    }

    /// Waits until the output has `words` `count` times.
    fn wait_for(&self, words: &str, count: usize) -> String {
        let start = Instant::now();
        loop {
            let out = self.out.lock().unwrap().clone();
            if out.matches(words).count() >= count {
                return out;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no {words:?} x{count} in:\n{out}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The same with stdin from a pipe (a braille display's line input): no
/// terminal is needed, and the input's end ends rekey cleanly.
#[test]
fn plain_mode_reads_a_pipe_and_sets_the_password() {
    let tmp = tempfile::tempdir().expect("temp dir");
    add_account(tmp.path());
    let mut p = Piped::start(tmp.path());
    p.wait_for("1) Forgot your password?", 1);
    p.line("1");
    p.wait_for("E-mail address: ", 1);
    p.line("not an address");
    let out = p.wait_for("E-mail address: ", 2);
    assert!(out.contains("An e-mail address has one @"), "{out}");
    p.line(ADDRESS);
    p.wait_for("1) Verify by e-mail", 1);
    p.line("?");
    p.wait_for("2 is for when you cannot read that mailbox", 1);
    // b: one step back, to the address.
    p.line("b");
    p.wait_for("E-mail address: ", 3);
    p.line(ADDRESS);
    p.wait_for("1) Verify by e-mail", 2);
    p.line("1");
    p.wait_for("Verification code: ", 1);
    // The wait is one line, then another when the mail went out.
    let out = p.wait_for("Sent. It can take a minute.", 1);
    assert_eq!(out.matches("Sending the code…").count(), 1, "{out}");
    let code = wait_for_code(&tmp.path().join("mail"), ADDRESS, 1);
    p.line("t");
    p.wait_for("Valid for", 2);
    p.line(&code);
    p.wait_for("New password: ", 1);
    p.line("battery");
    let out = p.wait_for("New password: ", 2);
    assert!(out.contains("Not yet: At least 15 characters"), "{out}");
    p.line(NEW_PASSWORD);
    let out = p.wait_for("Type it again: ", 1);
    assert!(out.contains("This password meets every rule"), "{out}");
    p.line(NEW_PASSWORD);
    p.wait_for("Step 5 of 5: Password changed", 1);
    drop(p.child.stdin.take());
    let status = p.child.wait().expect("rekey ends");
    assert!(status.success(), "{status}");
    let out = p.out.lock().unwrap().clone();
    assert!(!out.contains('\x1b'), "an escape sequence:\n{out:?}");
    assert!(password_works(tmp.path(), ADDRESS, NEW_PASSWORD));
}

/// `--plain --kiosk`: Ctrl-C does nothing, and an idle kiosk goes back to
/// the start with one clear-screen, the only escape sequence it sends.
#[test]
fn a_plain_kiosk_ignores_ctrl_c_and_clears_once_at_an_idle_reset() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = tmp.path().join("rekey.toml");
    std::fs::write(&config, "[wizard]\nidle_secs = 2\n").expect("config");
    let mut w = Wizard::embedded(
        tmp.path(),
        &[
            "--plain",
            "--kiosk",
            "--config",
            config.to_str().expect("UTF-8"),
        ],
    );
    w.wait_for("1) Forgot your password?");
    assert!(
        !w.transcript().contains("Ctrl-C"),
        "no quit hint at a kiosk"
    );
    // Nothing typed: a kiosk on its start question does not reset.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        !w.transcript().contains(CLEAR_SCREEN),
        "a reset with nothing to wipe"
    );
    w.send(CTRL_C);
    // Ctrl-D (the end of input), Ctrl-\\ and Ctrl-Z do nothing either.
    w.send("\x04\x1c\x1a");
    std::thread::sleep(Duration::from_millis(300));
    assert!(w.exited().is_none(), "a key ended a kiosk");
    // They are only characters of a line that answers nothing.
    w.send(ENTER);
    w.wait_for("Type one of the numbers shown.");
    answer(&mut w, "1");
    w.wait_for("E-mail address:");
    w.type_text(ADDRESS);
    // Not sent: the kiosk sits idle with the address half given.
    let start = Instant::now();
    while !w.transcript().contains(CLEAR_SCREEN) {
        assert!(start.elapsed() < Duration::from_secs(10), "no reset");
        std::thread::sleep(Duration::from_millis(50));
    }
    w.wait_for("1) Forgot your password?");
    // Nothing of the last person's is written after the clear.
    let transcript = w.transcript();
    let after = transcript.rsplit(CLEAR_SCREEN).next().unwrap_or_default();
    assert!(
        !after.contains(ADDRESS) && after.contains("1) Forgot your password?"),
        "{after}"
    );
    // Back on the start question, the kiosk rests: no second reset.
    std::thread::sleep(Duration::from_secs(5));
    let transcript = w.transcript();
    assert_eq!(transcript.matches('\x1b').count(), 3, "{transcript:?}");
    assert_eq!(transcript.matches(CLEAR_SCREEN).count(), 1);
    // The same while the code is awaited, where the mail's news is said.
    to_the_code_question(&mut w, ADDRESS);
    let start = Instant::now();
    while w.transcript().matches(CLEAR_SCREEN).count() < 2 {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no reset at the code"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    w.wait_for("1) Forgot your password?");
}

/// Plain mode on a daemon that is killed while the code is awaited: "Lost
/// contact" is one line, said once; when the daemon is back, "Connected
/// again" is one line, said once, and the person carries on from the
/// address with a new code.
#[test]
fn plain_mode_says_lost_contact_and_connected_again_once_each() {
    use common::daemon::{Daemon, TEST_CONFIG};
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = format!("{TEST_CONFIG}[codes]\nresend_cooldown_secs = 2\n");
    let mut daemon = Daemon::start(tmp.path(), &config);
    daemon.add_user(ADDRESS, "Ada", OLD_PASSWORD);
    let socket = daemon.socket.to_str().expect("UTF-8 path").to_string();
    let mut w = Wizard::spawn_with(
        env!("CARGO_BIN_EXE_rekey"),
        &["--connect", &socket],
        tmp.path(),
        &[("ACCESSIBLE", "1")],
    );
    w.wait_for("1) Forgot your password?");
    to_the_code_question(&mut w, ADDRESS);
    wait_for_code(&daemon.mail_dir(), ADDRESS, 1);
    daemon.kill();
    w.wait_for("Lost contact with the rekey service.");
    std::thread::sleep(Duration::from_secs(4));
    daemon.restart();
    w.wait_for("Connected again.");
    w.wait_for("E-mail address:");
    let transcript = w.transcript();
    assert_eq!(
        transcript.matches("Lost contact").count(),
        1,
        "{transcript}"
    );
    assert_eq!(
        transcript.matches("Connected again").count(),
        1,
        "{transcript}"
    );
    answer(&mut w, ADDRESS);
    w.wait_for("1) Verify by e-mail");
    answer(&mut w, "1");
    w.wait_for("Words in the mail");
    let code = wait_for_code(&daemon.mail_dir(), ADDRESS, 2);
    answer(&mut w, &code);
    w.wait_for("New password:");
    answer(&mut w, NEW_PASSWORD);
    w.wait_for("Type it again:");
    answer(&mut w, NEW_PASSWORD);
    w.wait_for("Step 5 of 5: Password changed");
    assert!(!w.transcript().contains('\x1b'));
    assert!(w.quit().success());
}

/// What the full-screen wizard shows as it happens is one line in plain
/// mode, said once: mail running late (the mail server refuses
/// connections), then the code expired (a 5-second lifetime here).
#[test]
fn plain_mode_says_mail_late_and_code_expired_once_each() {
    let tmp = tempfile::tempdir().expect("temp dir");
    add_account(tmp.path());
    let config = tmp.path().join("rekey.toml");
    std::fs::write(&config, "[codes]\nlifetime_secs = 5\n").expect("config");
    // A port nothing listens on: every delivery fails at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let url = format!("smtp://{}", closed.local_addr().expect("address"));
    drop(closed);
    let mut p = Piped::start_with(
        tmp.path(),
        &["--config", config.to_str().expect("UTF-8")],
        &[("REKEY_SMTP_URL", url.as_str())],
    );
    p.wait_for("1) Forgot your password?", 1);
    p.line("1");
    p.wait_for("E-mail address: ", 1);
    p.line(ADDRESS);
    p.wait_for("1) Verify by e-mail", 1);
    p.line("1");
    p.wait_for("Mail is running late.", 1);
    let out = p.wait_for("The code has expired.", 1);
    std::thread::sleep(Duration::from_secs(7));
    let out_later = p.out.lock().unwrap().clone();
    assert_eq!(
        out_later.matches("Mail is running late.").count(),
        1,
        "{out_later}"
    );
    assert_eq!(
        out_later.matches("The code has expired.").count(),
        1,
        "{out_later}"
    );
    assert!(out.find("Mail is running late.") < out.find("The code has expired."));
    assert!(!out_later.contains('\x1b'), "{out_later:?}");
    drop(p.child.stdin.take());
    assert!(p.child.wait().expect("rekey ends").success());
}

/// A password typed ahead of its question (while the code is checked, and
/// while the first password is judged) is not shown either; `b` at a
/// password's question goes back to the code, which stays confirmed.
#[test]
fn passwords_typed_ahead_are_not_shown_and_b_goes_back_from_them() {
    let tmp = tempfile::tempdir().expect("temp dir");
    add_account(tmp.path());
    let mut w = Wizard::embedded_with(tmp.path(), &[("ACCESSIBLE", "1")]);
    w.wait_for("1) Forgot your password?");
    to_the_code_question(&mut w, ADDRESS);
    let code = wait_for_code(&tmp.path().join("mail"), ADDRESS, 1);
    answer(&mut w, &code);
    w.wait_for("New password:");
    answer(&mut w, "b");
    w.wait_for("Code confirmed. Press Enter to create your new password.");
    answer(&mut w, "");
    w.wait_until("the new password asked again", |s| {
        s.matches("New password:").count() >= 2
    });
    assert_eq!(
        common::eml_files(&tmp.path().join("mail")).len(),
        1,
        "no second code"
    );
    // Both passwords at once, the second long before its question.
    w.send(&format!("{NEW_PASSWORD}\r{NEW_PASSWORD}\r"));
    w.wait_for("Step 5 of 5: Password changed");
    let transcript = w.transcript();
    assert!(
        !transcript.contains(NEW_PASSWORD),
        "a password was shown:\n{transcript}"
    );
    assert!(w.quit().success());
    assert!(password_works(tmp.path(), ADDRESS, NEW_PASSWORD));
}

/// `ACCESSIBLE=1 rekey demo`: the demo's mail has no panel to show in, so
/// its code is said as a line when it arrives.
#[test]
fn the_plain_demo_says_the_code_it_mailed() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::spawn_with(
        env!("CARGO_BIN_EXE_rekey"),
        &["demo"],
        tmp.path(),
        &[("ACCESSIBLE", "1")],
    );
    w.wait_for("Demo account: alex@example.com");
    to_the_code_question(&mut w, "alex@example.com");
    let screen = w.wait_until("the demo's code said", |s| s.contains("Newest mail: "));
    let code = screen
        .lines()
        .find_map(|l| l.split("Newest mail: ").nth(1))
        .and_then(common::grouped_code)
        .unwrap_or_else(|| panic!("no code in:\n{screen}"));
    answer(&mut w, &code);
    w.wait_for("New password:");
    assert!(w.quit().success());
}

/// Plain mode's other ways: the sign-in (a wrong password, then the
/// right one) and Support (a contact, then the reference).
#[test]
fn plain_mode_signs_in_and_opens_a_ticket() {
    let tmp = tempfile::tempdir().expect("temp dir");
    add_account(tmp.path());
    let mut p = Piped::start(tmp.path());
    p.wait_for("1) Forgot your password?", 1);
    p.line("2");
    p.wait_for("E-mail address: ", 1);
    p.line(ADDRESS);
    p.wait_for("Password: ", 1);
    p.line("not the password");
    p.wait_for(
        "That address and password do not match. 2 more tries for now.",
        1,
    );
    p.line("2");
    p.wait_for("E-mail address: ", 2);
    p.line(ADDRESS);
    p.wait_for("Password: ", 2);
    p.line(OLD_PASSWORD);
    p.wait_for("Signed in. Your password works.", 1);
    p.line("1");
    p.wait_for("E-mail address: ", 3);
    p.line(ADDRESS);
    p.wait_for("1) Verify by e-mail", 1);
    p.line("2");
    p.wait_for("Phone or another e-mail address: ", 1);
    p.line("call me");
    p.wait_for("That is neither a phone number", 1);
    p.line("+46 70 123 45 67");
    let out = p.wait_for("Press Enter to go back to the start: ", 1);
    assert!(out.contains("Your reference: RK-"), "{out}");
    assert!(out.contains("Write this reference down."), "{out}");
    drop(p.child.stdin.take());
    assert!(p.child.wait().expect("rekey ends").success());
    let out = p.out.lock().unwrap().clone();
    assert!(!out.contains(OLD_PASSWORD), "a password was printed");
    assert!(!out.contains('\x1b'));
}
