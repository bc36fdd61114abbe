//! End to end: the real `rekey` binary in an 80x24 pseudo-terminal
//! (`common::pty`), driven key by key like a person and read back from the
//! screen a terminal would show: embedded on its own store, as the demo,
//! and as `rekey --connect` to a `rekey serve` that dies and comes back.
//!
//! Every test works in its own temporary data directory. The wizard only
//! ever sees what a person's terminal would send; the tests only ever read
//! what a person would read: the screen, the `.eml` files the default
//! transport writes under `<data-dir>/mail/`, and the operator's command
//! line.

mod common;

use common::daemon::{Daemon, TEST_CONFIG, wait_for_code};
use common::pty::{
    CTRL_C, ENTER, TIMEOUT, Wizard, check_now, enter_address_and_slide, finish_and_quit, get_code,
    open_recovery, request, right_code, set_password, type_code, walk_to_code_sent,
};
use common::{
    NEW_PASSWORD, OLD_PASSWORD, eml_files, grouped_code, operator, password_works, read_mail,
};
use rekey::tui::launch::{DEMO_ADDRESS, DEMO_PASSWORD};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long the unknown address is given to (wrongly) produce a mail.
const MAIL_GRACE: Duration = Duration::from_secs(3);
/// How often "Check your email" asks the daemon about the flow once the
/// mail went: a daemon that died is noticed at that poll.
const STATUS_POLL: Duration = Duration::from_secs(15);

const ADDRESS: &str = "ada@example.com";
const NAME: &str = "Ada Lovelace";
/// An address with no account, as long as `ADDRESS` so that the screens of
/// both line up character for character once the address is masked.
const UNKNOWN_ADDRESS: &str = "eve@example.com";

// ---------------------------------------------------------------------------
// The operator's command line, and the demo's mailbox panel.
// ---------------------------------------------------------------------------

/// Adds an account with the real command line.
fn add_account(dir: &Path, address: &str, name: &str, password: &str) {
    let out = operator(
        dir,
        &["user", "add", address, "--name", name],
        &format!("{password}\n"),
    );
    assert!(out.status.success(), "user add {address}");
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

/// A wrong code: the screen saying so, with the tries left updated.
fn wrong_code(w: &mut Wizard) -> String {
    type_code(w, "000000");
    w.wait_until("the wrong code refused", |s| {
        s.contains("That code is not right. 4 tries left.") && s.contains("·  4 tries left")
    })
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
    let code = wait_for_code(&dir.join("mail"), ADDRESS, 1);
    finish_and_quit(w, &code, NEW_PASSWORD);

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
    wait_for_code(&known_tmp.path().join("mail"), ADDRESS, 1);
    assert!(known.quit().success());

    let mut unknown = Wizard::embedded(unknown_tmp.path(), &[]);
    let (unknown_steps, asked) = transcript_to_wrong_code(&mut unknown, UNKNOWN_ADDRESS);
    std::thread::sleep(MAIL_GRACE.saturating_sub(asked.elapsed()));
    let mail: Vec<_> = eml_files(&unknown_tmp.path().join("mail"))
        .iter()
        .map(|path| read_mail(path))
        .collect();
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

/// `rekey --connect`: the daemon is SIGKILLed once the code went out. The
/// wizard says it lost contact, keeps trying, says when it is connected
/// again, and the person carries on by typing the same address. The code
/// belonged to the session the daemon lost, so the person asks for a new
/// one (the cooldown, 2 s here, is long over); the old code is refused,
/// the new one sets the password, and the daemon then takes the new
/// password and no longer the old one.
#[test]
fn a_connected_wizard_outlives_a_killed_daemon_and_a_new_code_sets_the_password() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let config = format!("{TEST_CONFIG}[codes]\nresend_cooldown_secs = 2\n");
    let mut daemon = Daemon::start(tmp.path(), &config);
    daemon.add_user(ADDRESS, NAME, OLD_PASSWORD);
    let socket = daemon.socket.to_str().expect("a UTF-8 temporary path");
    let mut w = Wizard::rekey(&["--connect", socket], tmp.path());
    walk_to_code_sent(&mut w, ADDRESS);
    let first = wait_for_code(&daemon.mail_dir(), ADDRESS, 1);

    daemon.kill();
    let lost = w.wait_longer(TIMEOUT + STATUS_POLL, "the lost contact said", |s| {
        s.contains("Lost contact with the rekey service.")
    });
    assert!(
        lost.contains("Step 1 of 5") && lost.contains("Forgot your password?"),
        "not back on \"Forgot your password?\":\n{lost}"
    );
    assert!(
        !lost.contains(ADDRESS),
        "the address is still on screen:\n{lost}"
    );
    assert!(w.exited().is_none(), "the wizard ended with the daemon");

    daemon.restart();
    w.wait_for("Connected again.");
    enter_address_and_slide(&mut w, ADDRESS);
    request(&mut w);
    check_now(&mut w);
    get_code(&mut w);
    let second = wait_for_code(&daemon.mail_dir(), ADDRESS, 2);
    if second != first {
        type_code(&mut w, &first);
        w.wait_for("That code is not right. 4 tries left.");
    }
    finish_and_quit(w, &second, NEW_PASSWORD);

    assert!(
        password_works(&daemon.data_dir, ADDRESS, NEW_PASSWORD),
        "the new password is refused"
    );
    assert!(
        !password_works(&daemon.data_dir, ADDRESS, OLD_PASSWORD),
        "the old password still works"
    );
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

/// `battery` five times: its first 32 characters score 3 ("Strong", a pass),
/// the whole password "Weak". The meter settles on the whole verdict, with
/// "Hard to guess" failed, and Enter does not get past the rules.
#[test]
fn the_meter_settles_on_the_verdict_of_the_whole_password() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::rekey(&["demo"], tmp.path());
    w.wait_for("Its password now: ");
    walk_to_code_sent(&mut w, DEMO_ADDRESS);
    let panel = w.wait_until("the code on the mailbox panel", |s| {
        s.contains(&format!("to {DEMO_ADDRESS}:")) && code_on_demo_panel(s).is_some()
    });
    let code = code_on_demo_panel(&panel).expect("a code on the panel");
    right_code(&mut w, &code);
    w.type_text(&"battery".repeat(5));
    let screen = w.wait_until("the whole verdict", |s| {
        s.contains("✗ Hard to guess") && !s.contains("Strong") && !s.contains("Very strong")
    });
    assert!(!screen.contains("✓ Hard to guess"), "{screen}");
    w.send(ENTER);
    w.type_text(&"battery".repeat(5));
    w.send(ENTER);
    let refused = w.wait_for("The password is too easy to guess.");
    assert!(refused.contains("Create a new password"), "{refused}");
    let status = w.quit();
    assert!(status.success(), "exit status after Ctrl-C: {status}");
}

/// `rekey demo`: the landing screen names the demo account and its
/// password, and the whole flow works with the code from the mailbox panel.
#[test]
fn the_demo_walks_to_a_new_password_with_the_code_from_its_mailbox_panel() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::rekey(&["demo"], tmp.path());
    demo_walk_to_password_changed(&mut w);
    let status = w.quit();
    assert!(status.success(), "exit status after Ctrl-C: {status}");
    w.assert_terminal_restored();
}

/// "Its password now" on the demo's landing screen follows a change.
#[test]
fn the_demo_landing_screen_shows_the_password_as_it_is_now() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::rekey(&["demo"], tmp.path());
    demo_walk_to_password_changed(&mut w);
    // Enter on "Try your new password": the sign-in form, the address
    // filled in, the focus on the password.
    w.send(ENTER);
    let landing = w.wait_for("Its password now: ");
    assert!(
        landing.contains(&format!("Its password now: {NEW_PASSWORD}")),
        "the landing screen does not show the new password:\n{landing}"
    );
    // The old password no longer works; the new one does.
    w.type_text("not the password");
    w.send(ENTER);
    w.wait_for("That address and password do not match.");
    w.type_text(NEW_PASSWORD);
    w.send(ENTER);
    let signed_in = w.wait_for("Signed in. Your password works.");
    assert!(signed_in.contains("opens nothing else"), "{signed_in}");
    // Enter: back to the start, the form empty.
    w.send(ENTER);
    w.wait_until("an empty sign-in form", |s| {
        s.contains("Forgot your password?") && !s.contains("Your password works")
    });
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

/// 4 KiB of keys in one burst (a paste without bracketed paste, a slow SSH
/// link catching up) are all read, and Ctrl-C right after them quits at
/// once: no key waits in the terminal for another to wake the wizard.
#[test]
fn a_burst_of_4_kib_of_keys_is_read_and_ctrl_c_after_it_quits() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = Wizard::embedded(tmp.path(), &[]);
    open_recovery(&mut w);
    let burst = "x".repeat(4096);
    w.send(&burst);
    w.wait_until("the address field full of the burst", |s| {
        s.contains("xxxxxxxxxxxxxxxxxxxx")
    });
    let sent = Instant::now();
    let status = w.quit();
    assert!(status.success(), "exit status after Ctrl-C: {status}");
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "Ctrl-C took {:?}",
        sent.elapsed()
    );
    w.assert_terminal_restored();
}

/// The screen without trailing blanks: how many a row keeps depends on the
/// frames drawn before, not on what it shows.
fn trimmed(screen: &str) -> String {
    screen
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
}

/// A window resized while keys stream in (300 keys written around the
/// resize, each redrawing the address field): the screen settles drawn for
/// the new size every time, the same as a resize with no keys around it
/// draws it.
#[test]
fn a_resize_in_a_stream_of_keys_is_drawn_for_the_new_size() {
    let tmp = tempfile::tempdir().unwrap();
    let mut w = Wizard::embedded(tmp.path(), &[]);
    open_recovery(&mut w);
    let half = "a".repeat(150);
    let erase = "\x7f".repeat(300);
    for round in 0..10 {
        for (rows, cols, other) in [(30, 100, (24, 80)), (24, 80, (30, 100))] {
            w.send(&half);
            w.resize(rows, cols);
            w.send(&half);
            let seen = w.settled(trimmed);
            // The same state, drawn by a resize with no keys around it.
            w.resize(other.0, other.1);
            w.settled(trimmed);
            w.resize(rows, cols);
            let drawn = w.settled(trimmed);
            assert_eq!(
                seen, drawn,
                "round {round}: the screen at {cols}x{rows} is not drawn for that size"
            );
            w.send(&erase);
        }
    }
}

/// The code screen has a Confirm control: it takes the focus once six
/// digits are in, Enter on it confirms, and Tab never lands on a control
/// that cannot be used (Resend while its countdown runs). Digits go to the
/// boxes whatever has the focus.
#[test]
fn six_digits_focus_confirm_and_tab_skips_what_cannot_be_used() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    add_account(dir, ADDRESS, NAME, OLD_PASSWORD);
    let mut w = Wizard::embedded(dir, &["--ascii"]);
    let sent = walk_to_code_sent(&mut w, ADDRESS);
    assert!(sent.contains("[ Confirm ]"), "{sent}");
    assert!(
        !sent.contains(">[ Confirm ]"),
        "Confirm before a digit:\n{sent}"
    );
    assert!(sent.contains("Resend in"), "{sent}");
    let code = wait_for_code(&dir.join("mail"), ADDRESS, 1);

    // Tab with five digits in: Confirm is not there yet, Resend waits.
    w.type_text(&code[..5]);
    w.send("\t");
    let screen = w.settled(|s| s.to_string());
    assert!(
        !screen.contains(">["),
        "the focus on a dead control:\n{screen}"
    );
    // The sixth digit, typed after the Tab: to the boxes, then Confirm.
    w.type_text(&code[5..]);
    let screen = w.wait_for(">[ Confirm ]");
    assert!(!screen.contains("The code has 6 digits"), "{screen}");
    // Tab goes round the controls that work: the boxes and Confirm.
    w.send("\t");
    let screen = w.settled(|s| s.to_string());
    assert!(!screen.contains(">["), "{screen}");
    w.send("\t");
    w.wait_for(">[ Confirm ]");
    w.send(ENTER);
    w.wait_for("Create a new password");
    assert!(w.quit().success());
}

/// Below the minimum size the screen asks to be enlarged, and keys typed
/// meanwhile are not acted on unseen: nothing was typed or submitted once
/// the window is large again.
#[test]
fn keys_typed_in_a_window_too_small_to_show_them_do_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    add_account(dir, ADDRESS, NAME, OLD_PASSWORD);
    let mut w = Wizard::embedded(dir, &[]);
    open_recovery(&mut w);
    w.resize(10, 30);
    w.wait_for("Please enlarge");
    w.type_text(ADDRESS);
    w.send(ENTER);
    w.settled(|s| s.to_string());
    w.resize(24, 80);
    w.wait_for("Step 1 of 5");
    let screen = w.settled(|s| s.to_string());
    assert!(!screen.contains(ADDRESS), "typed unseen:\n{screen}");
    assert!(w.quit().success());
}

/// A window resized while the wizard runs, then Ctrl-C: the terminal's own
/// screen is as it was, with nothing of the wizard left on it.
#[test]
fn a_resize_then_quit_leaves_nothing_on_the_terminal() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    for _ in 0..3 {
        let mut w = Wizard::embedded(dir, &[]);
        w.resize(20, 60);
        w.wait_for("Forgot your password?");
        w.settled(|s| s.to_string());
        w.resize(24, 80);
        w.settled(|s| s.to_string());
        assert!(w.quit().success());
        let left = w.screen();
        assert_eq!(left.trim(), "", "left on the terminal:\n{left}");
        w.assert_terminal_restored();
    }
}

/// Esc on "Create a new password" goes back to a code screen that says
/// the truth: the code was confirmed (not "expired"); Enter goes on to
/// the new password without typing the code again, and the change works.
#[test]
fn going_back_from_the_new_password_keeps_the_confirmation() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    add_account(dir, ADDRESS, NAME, OLD_PASSWORD);
    let mut w = Wizard::embedded(dir, &[]);
    walk_to_code_sent(&mut w, ADDRESS);
    let code = wait_for_code(&dir.join("mail"), ADDRESS, 1);
    right_code(&mut w, &code);
    w.send("\x1b");
    let screen = w.wait_for("Code confirmed");
    assert!(!screen.contains("expired"), "{screen}");
    assert!(!screen.contains("tries left"), "{screen}");
    // A status poll later still says so.
    std::thread::sleep(Duration::from_secs(3));
    let screen = w.settled(|s| s.to_string());
    assert!(
        screen.contains("Code confirmed") && !screen.contains("expired"),
        "{screen}"
    );
    w.send(ENTER);
    w.wait_for("Create a new password");
    set_password(&mut w, NEW_PASSWORD);
    assert!(w.quit().success());
    assert!(password_works(dir, ADDRESS, NEW_PASSWORD));
}

/// After a finished change, a new session for the same address shows
/// what is true for it: no code yet. The spent code's countdown, words
/// and "Sent" are not shown, and typing it changes nothing.
#[test]
fn a_new_session_after_a_finished_change_shows_no_code_yet() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    add_account(dir, ADDRESS, NAME, OLD_PASSWORD);
    let mut w = Wizard::embedded(dir, &[]);
    walk_to_code_sent(&mut w, ADDRESS);
    let code = wait_for_code(&dir.join("mail"), ADDRESS, 1);
    finish_and_quit(w, &code, NEW_PASSWORD);

    let mut w = Wizard::embedded(dir, &[]);
    open_recovery(&mut w);
    enter_address_and_slide(&mut w, ADDRESS);
    request(&mut w);
    let screen = check_now(&mut w);
    for stale in ["Valid for", "tries left", "Sent", "Resend"] {
        assert!(!screen.contains(stale), "{stale:?} shown:\n{screen}");
    }
    // The spent code cannot even be typed: there are no boxes yet.
    w.type_text(&code);
    let screen = w.settled(|s| s.to_string());
    assert!(screen.contains("Get a verification code"), "{screen}");
    assert!(w.quit().success());
    assert!(password_works(dir, ADDRESS, NEW_PASSWORD));
}

/// The code screen says where the code went once, and how to fix a wrong
/// address: Esc goes straight back to it, and the corrected address gets
/// its own code.
#[test]
fn a_wrong_address_is_one_esc_away_on_the_code_screen() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    add_account(dir, ADDRESS, NAME, OLD_PASSWORD);
    add_account(dir, "bob@example.com", "Bob", OLD_PASSWORD);
    let mut w = Wizard::embedded(dir, &[]);
    walk_to_code_sent(&mut w, "bob@example.co");
    // Words as a person reads them, whatever line they wrapped onto.
    let screen = w.settled(|s| s.split_whitespace().collect::<Vec<_>>().join(" "));
    assert!(
        screen.contains("Wrong address? Esc to change it"),
        "{screen}"
    );
    assert!(!screen.contains("we send"), "{screen}");
    assert!(
        screen.matches("It can take a minute").count() <= 1,
        "{screen}"
    );

    w.send("\x1b");
    w.wait_for("Step 1 of 5");
    w.type_text("m");
    w.send(ENTER);
    let start = Instant::now();
    while !w.screen().contains("Verified") {
        assert!(start.elapsed() < TIMEOUT, "{}", w.screen());
        w.send("\x1b[C");
        std::thread::sleep(Duration::from_millis(30));
    }
    request(&mut w);
    check_now(&mut w);
    get_code(&mut w);
    let code = wait_for_code(&dir.join("mail"), "bob@example.com", 1);
    right_code(&mut w, &code);
    assert!(w.quit().success());
}

/// A kiosk left mid-way asks "Still there?" before it goes back to the
/// start; a key keeps the person where they were.
#[test]
fn an_idle_kiosk_asks_before_it_wipes_and_a_key_keeps_the_screen() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let config = dir.join("rekey.toml");
    std::fs::write(&config, "[wizard]\nidle_secs = 22\n").expect("config");
    let config = config.to_str().expect("UTF-8 path");
    let mut w = Wizard::embedded(dir, &["--kiosk", "--config", config]);
    open_recovery(&mut w);
    w.type_text(ADDRESS);
    let asked = w.wait_until("the question", |s| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("Still there? Going back to the start in")
    });
    assert!(asked.contains(ADDRESS), "{asked}");
    w.send(" ");
    let screen = w.wait_until("the question gone", |s| !s.contains("Still there?"));
    assert!(screen.contains(ADDRESS), "{screen}");
    assert!(screen.contains("Step 1 of 5"), "{screen}");
}

/// Five wrong tries when this hour's codes are used up: the screen says
/// when the e-mail way opens again and offers Support, which opens a
/// ticket.
#[test]
fn out_of_tries_and_out_of_codes_leads_to_support() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    add_account(dir, ADDRESS, NAME, OLD_PASSWORD);
    let config = dir.join("rekey.toml");
    std::fs::write(
        &config,
        "[service]\nreply_floor_ms = 0\n[codes]\nmax_sends_per_hour = 1\n\
         max_sends_per_address_per_hour = 1\n",
    )
    .expect("config");
    let config = config.to_str().expect("UTF-8 path");
    let mut w = Wizard::embedded(dir, &["--config", config]);
    walk_to_code_sent(&mut w, ADDRESS);
    let code = wait_for_code(&dir.join("mail"), ADDRESS, 1);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        type_code(&mut w, wrong);
        if left > 0 {
            let tries = if left == 1 { "try" } else { "tries" };
            w.wait_for(&format!("{left} {tries} left"));
        }
    }
    let screen = w.wait_until("the e-mail way closed", |s| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .contains("Support can help")
    });
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("you can ask for a new one in"), "{screen}");
    assert!(!flat.contains("Ask for a new one."), "{screen}");
    assert!(
        !flat.contains("No more codes for now. Try again"),
        "{screen}"
    );
    w.wait_for("[ Get help from Support ]");
    w.send(ENTER);
    w.wait_for("Ask Support for help");
    w.type_text("+46 70 123 45 67");
    w.send(ENTER);
    w.wait_for("Your reference: RK-");
    w.wait_for("Support will contact you at +46 70 123 45 67.");
}

/// On a large terminal the wizard is a dialog in the middle: its lines
/// start well in from the left edge and stop well short of the right.
#[test]
fn a_large_terminal_shows_the_wizard_centred_and_no_wider_than_a_dialog() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::embedded(tmp.path(), &[]);
    w.resize(50, 200);
    open_recovery(&mut w);
    let screen = w.settled(|s| s.to_string());
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let start = line.len() - line.trim_start().len();
        let end = line.trim_end().chars().count();
        assert!(start >= 50, "starts at column {start}: {line:?}\n{screen}");
        assert!(end <= 150, "ends at column {end}: {line:?}\n{screen}");
    }
    let first = screen
        .lines()
        .position(|l| !l.trim().is_empty())
        .unwrap_or(0);
    assert!(first >= 8, "starts on row {first}:\n{screen}");
    assert!(w.quit().success());
}

/// The colours come from the terminal's terminfo entry: a vt100 or an
/// xterm-mono gets no colour at all, and the focus in reverse video; the
/// Linux console gets its colours.
#[test]
fn a_terminal_without_colours_gets_none_and_sees_the_focus_in_reverse() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let colour = |raw: &str| {
        // SGR foreground or background colours: 30-37, 40-47, 90-97,
        // 100-107, 38;5 and 48;5.
        let mut found = false;
        for seq in raw.split("\x1b[").skip(1) {
            let Some(end) = seq.find(|c: char| c.is_ascii_alphabetic()) else {
                continue;
            };
            if &seq[end..=end] != "m" {
                continue;
            }
            for part in seq[..end].split(';') {
                if let Ok(n) = part.parse::<u32>()
                    && matches!(n, 30..=38 | 40..=48 | 90..=97 | 100..=107)
                {
                    found = true;
                }
            }
        }
        found
    };
    for term in ["vt100", "xterm-mono"] {
        let mut w = Wizard::embedded_with(tmp.path(), &[("TERM", term)]);
        open_recovery(&mut w);
        assert!(w.quit().success());
        let raw = w.transcript();
        assert!(!colour(&raw), "TERM={term} was sent colours");
        assert!(
            raw.contains("\x1b[7m") || raw.contains(";7m"),
            "TERM={term}: no reverse video"
        );
    }
    let mut w = Wizard::embedded_with(tmp.path(), &[("TERM", "linux")]);
    open_recovery(&mut w);
    assert!(w.quit().success());
    assert!(colour(&w.transcript()), "the Linux console has colours");
}

/// At 120x40 a wrong code's message is right under the boxes, not at the
/// bottom of the dialog.
#[test]
fn a_wrong_codes_message_is_under_the_boxes_in_a_tall_window() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().to_path_buf();
    add_account(&dir, ADDRESS, NAME, OLD_PASSWORD);
    let mut w = Wizard::embedded(&dir, &[]);
    w.resize(40, 120);
    walk_to_code_sent(&mut w, ADDRESS);
    let code = wait_for_code(&dir.join("mail"), ADDRESS, 1);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    type_code(&mut w, wrong);
    let screen = w.wait_for("That code is not right.");
    let row = |what: &str| {
        screen
            .lines()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?}:\n{screen}"))
    };
    assert_eq!(
        row("That code is not right."),
        row("Verification code") + 2,
        "{screen}"
    );
}

/// Russian from the locale and from `--lang ru`, and `--lang` refuses a
/// language rekey does not ship, naming those it does.
#[test]
fn russian_comes_from_the_locale_or_lang_and_an_unknown_language_is_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::embedded_with(tmp.path(), &[("LANG", "ru_RU.UTF-8")]);
    let screen = w.wait_for("Забыли пароль?");
    assert!(
        screen.contains("Вход") && screen.contains("<Русский>"),
        "{screen}"
    );
    assert!(w.quit().success());
    let mut w = Wizard::embedded(tmp.path(), &["--lang", "ru"]);
    let screen = w.wait_for("Забыли пароль?");
    assert!(screen.contains("Адрес электронной почты"), "{screen}");
    assert!(w.quit().success());

    let data = tmp.path().to_str().expect("UTF-8 path");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rekey"))
        .args(["--data-dir", data, "--lang", "de"])
        .output()
        .expect("rekey runs");
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("de") && said.contains("en, sv, ru"), "{said}");
}

/// At 60x20 the instructions wrap at words and are whole; at 40x12 the
/// demo, which has no room for its mailbox panel, shows the code it
/// mailed in its bottom line, so it can be walked through there.
#[test]
fn small_windows_wrap_whole_words_and_the_demo_shows_its_code_at_40x12() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::embedded(tmp.path(), &[]);
    w.resize(20, 60);
    let screen = open_recovery(&mut w);
    let flat = screen.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains(
            "Type the e-mail address of your account, then slide the knob to the right end."
        ),
        "{screen}"
    );
    assert!(w.quit().success());

    let demo = tempfile::tempdir().expect("temp dir");
    let mut w = Wizard::rekey(&["demo"], demo.path());
    w.resize(12, 40);
    open_recovery(&mut w);
    enter_address_and_slide(&mut w, DEMO_ADDRESS);
    request(&mut w);
    check_now(&mut w);
    w.send(ENTER);
    let newest = |screen: &str| {
        screen
            .lines()
            .find_map(|l| l.split("Newest mail:").nth(1).and_then(grouped_code))
    };
    let screen = w.wait_until("the code boxes and the newest mail's code", |s| {
        s.contains("Valid for") && newest(s).is_some()
    });
    let code = newest(&screen).expect("a code");
    right_code(&mut w, &code);
    w.wait_for("Create a new password");
}
