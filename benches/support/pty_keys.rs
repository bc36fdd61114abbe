//! Keys as a person feels them: the real binary in an 80x24 pseudo-terminal,
//! a key written to the master, and the time until the terminal's output
//! for it settles (the last byte before a quiet gap), with the bytes it
//! took. Nothing in the process is timed: a key that waits in the event
//! loop for a timer shows here, as it would on a person's screen.

use crate::common::daemon::wait_for_code;
use crate::common::pty::{
    ENTER, RIGHT, Wizard, check_now, get_code, open_recovery, request, right_code,
};
use crate::common::{OLD_PASSWORD, operator};
use crate::support::percentile_ms;
use std::time::{Duration, Instant};

/// No output for this long after a key: what it changed is on screen.
const QUIET: Duration = Duration::from_millis(40);
/// Between two typed keys, well above QUIET: each key is timed alone.
const TYPING_GAP: Duration = Duration::from_millis(80);
/// A held arrow key: a press every 33 ms (30 a second, as xterm repeats).
const REPEAT: Duration = Duration::from_millis(33);
const ADDRESS: &str = "ada@example.com";
const TYPED: &str = "copper kettles whistle under violet rain at dawn";

/// Writes `key`; the time to the last byte before a quiet gap, and the
/// bytes the terminal got.
fn key_to_settled(w: &mut Wizard, key: &str) -> Option<(Duration, usize)> {
    let before = w.received().raw.len();
    let sent = Instant::now();
    w.send(key);
    loop {
        std::thread::sleep(Duration::from_millis(1));
        let last = w.received().arrivals.last().copied();
        if let Some((at, len)) = last
            && len > before
            && at.elapsed() >= QUIET
        {
            return Some((at.duration_since(sent), len - before));
        }
        if sent.elapsed() > Duration::from_secs(2) {
            return None;
        }
    }
}

/// Presses → every `REPEAT` and reads, for each press, when the first byte
/// after it arrived: how far behind the screen is under key repeat.
fn held_right(w: &mut Wizard, presses: usize) -> (Vec<Duration>, usize) {
    let mut sent = Vec::new();
    let start_len = w.received().raw.len();
    for _ in 0..presses {
        sent.push((Instant::now(), w.received().raw.len()));
        w.send(RIGHT);
        std::thread::sleep(REPEAT);
    }
    std::thread::sleep(Duration::from_millis(200));
    let received = w.received();
    let arrivals: Vec<(Instant, usize)> = received
        .arrivals
        .iter()
        .copied()
        .filter(|(_, len)| *len > start_len)
        .collect();
    let shown = sent
        .iter()
        .filter_map(|(at, len)| {
            arrivals
                .iter()
                .find(|(t, l)| t >= at && l > len)
                .map(|(t, _)| t.duration_since(*at))
        })
        .collect();
    (shown, arrivals.len())
}

fn sorted(mut times: Vec<Duration>) -> Vec<Duration> {
    times.sort();
    times
}

pub fn bench_keys_through_pty() {
    println!(
        "\n== 4. keys through a real pseudo-terminal: the binary under test, a key written to the \
         master, until the output settles (no byte for {} ms) ==",
        QUIET.as_millis()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let out = operator(
        &data,
        &["user", "add", ADDRESS],
        &format!("{OLD_PASSWORD}\n"),
    );
    assert!(out.status.success(), "user add");
    let mut w = Wizard::embedded(&data, &[]);

    // The landing screen's sign-in: Enter on the password until the answer
    // is on screen (the reply floor, 400 ms, and the hash are in it).
    w.wait_for("Forgot your password?");
    w.type_text(ADDRESS);
    w.send(ENTER);
    let mut waits = Vec::new();
    for (password, answer) in [
        ("not the password", "do not match"),
        ("nor this one", "1 more try for now"),
        (OLD_PASSWORD, "Your password works"),
    ] {
        w.type_text(password);
        let sent = Instant::now();
        w.send(ENTER);
        w.wait_for(answer);
        waits.push(sent.elapsed());
    }
    println!(
        "sign-in, Enter until the answer is on screen (polled every 20 ms): wrong {:.0} ms, \
         wrong {:.0} ms, right {:.0} ms",
        waits[0].as_secs_f64() * 1000.0,
        waits[1].as_secs_f64() * 1000.0,
        waits[2].as_secs_f64() * 1000.0,
    );
    w.send(ENTER);
    w.wait_until("an empty sign-in form", |s| {
        !s.contains("Your password works")
    });

    open_recovery(&mut w);
    w.type_text(ADDRESS);
    w.send(ENTER);
    w.wait_for("Hold → to slide the knob");
    std::thread::sleep(Duration::from_millis(300));
    let (shown, bursts) = held_right(&mut w, 20);
    let shown = sorted(shown);
    println!(
        "held → on the slider, 20 presses {} ms apart: {} shown; write → first byte p50 {:.1} ms, \
         p99 {:.1} ms, max {:.1} ms; {bursts} reads by the terminal",
        REPEAT.as_millis(),
        shown.len(),
        percentile_ms(&shown, 50.0),
        percentile_ms(&shown, 99.0),
        percentile_ms(&shown, 100.0),
    );
    // The slide may have sprung back meanwhile: finish it as a person would.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !w.screen().contains("Verified") {
        assert!(Instant::now() < deadline, "no Verified:\n{}", w.screen());
        w.send(RIGHT);
        std::thread::sleep(REPEAT);
    }
    request(&mut w);
    check_now(&mut w);
    get_code(&mut w);
    let code = wait_for_code(&data.join("mail"), ADDRESS, 1);
    right_code(&mut w, &code);
    std::thread::sleep(Duration::from_millis(300));

    let mut times = Vec::new();
    let mut bytes = Vec::new();
    for c in TYPED.chars() {
        if let Some((took, n)) = key_to_settled(&mut w, c.encode_utf8(&mut [0; 4])) {
            times.push(took);
            bytes.push(n);
        }
        std::thread::sleep(TYPING_GAP.saturating_sub(QUIET));
    }
    let typed = times.len();
    let times = sorted(times);
    let mean_bytes = bytes.iter().sum::<usize>() as f64 / bytes.len().max(1) as f64;
    println!(
        "password screen, {typed} keys typed (the strength meter redraws with each): key → settled \
         p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {mean_bytes:.0} B per key",
        percentile_ms(&times, 50.0),
        percentile_ms(&times, 99.0),
        percentile_ms(&times, 100.0),
    );
    let _ = w.quit();
}
