//! Plain mode as a screen-reader user feels it: the real binary in a
//! pseudo-terminal with `ACCESSIBLE=1`, a line typed (Enter written to the
//! master) until the next question is on the terminal, for each step of
//! the flow, over several whole recoveries (one account each, so no limit
//! is in the way). Nothing in the process is timed. The 400 ms reply floor
//! of the steps that could tell a known address from an unknown one is in
//! the figures, as a person waits it.
//!
//! `cargo bench --bench plain`; `REKEY_PLAIN_ROUNDS` sets the rounds (10).

mod support;

#[path = "../tests/common/mod.rs"]
mod common;

use common::daemon::wait_for_code;
use common::pty::{ENTER, Wizard};
use common::{NEW_PASSWORD, OLD_PASSWORD, operator};
use std::time::{Duration, Instant};
use support::percentile_ms;

/// Writes `line` and Enter; the time until `question` shows once more
/// than it had in the terminal's output.
fn line_to_question(w: &mut Wizard, line: &str, question: &str) -> Duration {
    let before = String::from_utf8_lossy(&w.received().raw)
        .matches(question)
        .count();
    w.type_text(line);
    let sent = Instant::now();
    w.send(ENTER);
    loop {
        let seen = String::from_utf8_lossy(&w.received().raw)
            .matches(question)
            .count();
        if seen > before {
            return sent.elapsed();
        }
        assert!(
            sent.elapsed() < Duration::from_secs(20),
            "no {question:?} after {line:?}:\n{}",
            w.transcript()
        );
        std::thread::sleep(Duration::from_micros(500));
    }
}

fn main() {
    let rounds: usize = std::env::var("REKEY_PLAIN_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(10);
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let addresses: Vec<String> = (0..rounds).map(|i| format!("p{i}@example.com")).collect();
    for address in &addresses {
        let out = operator(
            &data,
            &["user", "add", address],
            &format!("{OLD_PASSWORD}\n"),
        );
        assert!(out.status.success(), "user add");
    }
    let mut w = Wizard::embedded_with(&data, &[("ACCESSIBLE", "1")]);
    w.wait_for("1) Forgot your password?");
    let steps = [
        "1 → the address question",
        "address → the verify choice",
        "1 → the code question (the code sent)",
        "code → the new password",
        "password → again (the verdict said)",
        "again → \"Password changed\"",
        "Enter → the start",
    ];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); steps.len()];
    for (round, address) in addresses.iter().enumerate() {
        times[0].push(line_to_question(&mut w, "1", "E-mail address: "));
        times[1].push(line_to_question(
            &mut w,
            address,
            "Type a number, then Enter: ",
        ));
        times[2].push(line_to_question(&mut w, "1", "Verification code: "));
        let code = wait_for_code(&data.join("mail"), address, 1);
        times[3].push(line_to_question(&mut w, &code, "New password: "));
        times[4].push(line_to_question(&mut w, NEW_PASSWORD, "Type it again: "));
        times[5].push(line_to_question(
            &mut w,
            NEW_PASSWORD,
            "Press Enter to go back to the start: ",
        ));
        times[6].push(line_to_question(&mut w, "", "Type a number, then Enter: "));
        eprint!("\rround {} of {rounds}", round + 1);
    }
    eprintln!();
    println!(
        "rekey plain mode through a pty (ACCESSIBLE=1), {rounds} recoveries: a line typed \
         until the next question is on the terminal, ms"
    );
    println!("{:<42} {:>8} {:>8} {:>8}", "step", "p50", "p99", "max");
    for (step, mut t) in steps.iter().zip(times) {
        t.sort();
        println!(
            "{:<42} {:>8.1} {:>8.1} {:>8.1}",
            step,
            percentile_ms(&t, 50.0),
            percentile_ms(&t, 99.0),
            percentile_ms(&t, 100.0)
        );
    }
    assert!(w.quit().success());
}
