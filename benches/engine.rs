//! How long the engine's expensive calls take: argon2id hashing and
//! verifying, and the zxcvbn estimate the strength meter runs on every key
//! press. A plain binary that prints tables; run it with
//! `cargo bench --bench engine`.

mod support;
use support::{Lcg, percentile_ms};

use std::hint::black_box;
use std::thread;
use std::time::{Duration, Instant};

use rekey::recovery::PasswordPolicy;
use rekey::recovery::hashing::{HashCost, hash_secret, verify_secret};

const ARGON2_RUNS: usize = 30;
const ARGON2_BATCHES: usize = 10;
const LENGTHS: [usize; 5] = [8, 16, 32, 64, 128];
const ZXCVBN_RUNS: usize = 30;
/// Cases slower than this get fewer runs, so the whole bench stays short.
const SLOW_CALL: Duration = Duration::from_millis(50);
const SLOW_CASE_BUDGET: Duration = Duration::from_secs(1);
const MIN_SLOW_RUNS: usize = 3;
/// Distinct inputs per typical case, so one lucky string does not decide it.
const TYPICAL_INPUTS: usize = 10;

const WORDS: &[&str] = &[
    "correct", "horse", "battery", "staple", "river", "window", "orange", "castle", "pencil",
    "garden", "silver", "rocket", "marble", "forest", "candle", "puzzle", "winter", "anchor",
    "velvet", "harbor", "thunder", "meadow", "lantern", "copper", "falcon", "jigsaw", "quartz",
    "saddle", "tunnel", "zephyr", "blanket", "cactus",
];
const SEQUENCES: &[&str] = &["abcdefghijklmnopqrstuvwxyz", "0123456789"];
/// Punctuation, l33t and keyboard patterns. zxcvbn tries every combination
/// of l33t substitutions the password's characters allow, so strings using
/// many l33t characters are its slow path.
const HOSTILE: &[&str] = &[
    "p@$$w0rd!",
    "P4$$w0rd1!",
    "!@#$%^&*()",
    "1!a@2#b$",
    "1qaz2wsx3edc",
    "s3cr3t!|7+",
    "4@8({[<3691!|70$5+%2",
];
const RANDOM_CHARSET: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!@#$%^&*-_=+?";

fn main() {
    println!("rekey engine benchmark: all times are wall-clock milliseconds (ms).");
    println!(
        "{} cores; argon2id with HashCost::default(); zxcvbn through PasswordPolicy::assess().",
        thread::available_parallelism().map_or(1, |n| n.get())
    );
    let started = Instant::now();
    bench_argon2();
    bench_zxcvbn();
    println!(
        "\ntotal bench time: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// Summary of a set of timings, in milliseconds.
struct Stats {
    runs: usize,
    mean: f64,
    p50: f64,
    p99: f64,
    max: f64,
}

impl Stats {
    fn of(samples: &[Duration]) -> Self {
        let mut sorted = samples.to_vec();
        sorted.sort();
        Self {
            runs: sorted.len(),
            mean: sorted.iter().map(|d| to_ms(*d)).sum::<f64>() / sorted.len() as f64,
            p50: percentile_ms(&sorted, 50.0),
            p99: percentile_ms(&sorted, 99.0),
            max: percentile_ms(&sorted, 100.0),
        }
    }
}

fn to_ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn time<T>(f: impl FnOnce() -> T) -> Duration {
    let start = Instant::now();
    black_box(f());
    start.elapsed()
}

// ---------------------------------------------------------------- argon2

fn bench_argon2() {
    let cost = HashCost::default();
    let secret = b"correct horse battery staple";
    println!(
        "\n== argon2id: m={} KiB, t={}, p={}; {ARGON2_RUNS} runs each after one warm-up ==",
        cost.memory_kib, cost.iterations, cost.parallelism
    );
    let phc = hash_secret(secret, &cost).expect("hashing works");
    verify_secret(secret, &phc).expect("verifying works");

    let hash = sample(ARGON2_RUNS, || {
        hash_secret(secret, &cost).expect("hashing works")
    });
    let verify = sample(ARGON2_RUNS, || {
        verify_secret(secret, &phc).expect("verifying works")
    });
    println!(
        "{:<10} {:>5} {:>8} {:>8} {:>8} {:>8}",
        "call", "runs", "mean", "p50", "p99", "max"
    );
    for (name, stats) in [("hash", Stats::of(&hash)), ("verify", Stats::of(&verify))] {
        println!(
            "{:<10} {:>5} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            name, stats.runs, stats.mean, stats.p50, stats.p99, stats.max
        );
    }

    println!("\n-- concurrent hashes: wall time per batch, {ARGON2_BATCHES} batches each --");
    // Ratios use the median: a single slow batch (page faults, a neighbour
    // process) would otherwise skew them.
    println!(
        "{:<8} {:>8} {:>8} {:>8} {:>11} {:>10}",
        "threads", "mean", "p50", "max", "p50 vs 1", "p50/hash"
    );
    let mut single = None;
    for threads in [1, 2, 4] {
        let batches = sample(ARGON2_BATCHES, || hash_batch(threads, secret, &cost));
        let stats = Stats::of(&batches);
        let baseline = *single.get_or_insert(stats.p50);
        println!(
            "{:<8} {:>8.2} {:>8.2} {:>8.2} {:>11.2} {:>10.2}",
            threads,
            stats.mean,
            stats.p50,
            stats.max,
            stats.p50 / baseline,
            stats.p50 / threads as f64
        );
    }
}

fn sample<T>(runs: usize, mut f: impl FnMut() -> T) -> Vec<Duration> {
    (0..runs).map(|_| time(&mut f)).collect()
}

/// Hashes `threads` secrets at once, one per thread, and waits for all.
fn hash_batch(threads: usize, secret: &[u8], cost: &HashCost) {
    thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| hash_secret(secret, cost).expect("hashing works")))
            .collect();
        for worker in workers {
            black_box(worker.join().expect("hashing thread finished"));
        }
    });
}

// ---------------------------------------------------------------- zxcvbn

/// The strength meter's call, with the hints a real account would give.
struct Meter {
    policy: PasswordPolicy,
    hints: Vec<String>,
}

impl Meter {
    fn new() -> Self {
        let hints = ["jsmith", "example", "John Smith"]
            .map(String::from)
            .to_vec();
        Self {
            policy: PasswordPolicy::default(),
            hints,
        }
    }

    fn assess(&self, password: &str) -> Duration {
        time(|| self.policy.assess(password, &self.hints))
    }
}

/// One (length, kind) row: its timings and its slowest input.
struct Measured {
    stats: Stats,
    slowest: Duration,
    slowest_input: String,
}

fn bench_zxcvbn() {
    let meter = Meter::new();
    println!(
        "\n== zxcvbn via PasswordPolicy::assess() (hints: {:?}) ==",
        meter.hints
    );
    let first = meter.assess("Tr0ub4dor&3");
    let second = meter.assess("Tr0ub4dor&3");
    println!(
        "first call (lazy dictionary setup): {:.2} ms; same call again: {:.3} ms",
        to_ms(first),
        to_ms(second)
    );
    compare_with_raw_zxcvbn(&meter);
    let hostile = survey_hostile(&meter);

    println!(
        "\n-- per estimate: {ZXCVBN_RUNS} runs, or fewer (at least {MIN_SLOW_RUNS}) \
         when one call exceeds {} ms --",
        SLOW_CALL.as_millis()
    );
    println!("typical rows cycle through {TYPICAL_INPUTS} generated inputs;");
    println!("sequential and hostile rows use the slowest pattern at that length.");
    println!(
        "{:>4}  {:<11} {:>5} {:>9} {:>9}  slowest input",
        "len", "kind", "runs", "mean", "max"
    );
    let mut worst: Option<Measured> = None;
    for (length, hostile) in LENGTHS.into_iter().zip(&hostile) {
        for (kind, inputs) in cases(length, hostile, &meter) {
            let measured = measure(&meter, &inputs);
            println!(
                "{:>4}  {:<11} {:>5} {:>9.3} {:>9.3}  {}",
                length,
                kind,
                measured.stats.runs,
                measured.stats.mean,
                measured.stats.max,
                shorten(&measured.slowest_input)
            );
            if worst.as_ref().is_none_or(|w| measured.slowest > w.slowest) {
                worst = Some(measured);
            }
        }
    }
    if let Some(worst) = worst {
        println!(
            "slowest single estimate: {:.2} ms for {:?} ({} chars)",
            to_ms(worst.slowest),
            worst.slowest_input,
            worst.slowest_input.chars().count()
        );
    }

    let slowest_hostile = hostile.last().expect("at least one length");
    bench_typing(&meter, slowest_hostile);
}

/// The inputs for each kind at one length. Sequential keeps its slowest
/// pattern, picked by timing one call of each.
fn cases(length: usize, hostile: &str, meter: &Meter) -> Vec<(&'static str, Vec<String>)> {
    let seeds = 1..=TYPICAL_INPUTS as u64;
    let sequential = SEQUENCES
        .iter()
        .map(|p| repeat_to(p, length))
        .max_by_key(|input| meter.assess(input))
        .expect("at least one sequence");
    vec![
        (
            "passphrase",
            seeds.clone().map(|s| passphrase(length, s)).collect(),
        ),
        ("random", seeds.map(|s| random_mixed(length, s)).collect()),
        ("repeated", vec![repeat_to("a", length)]),
        ("sequential", vec![sequential]),
        ("hostile", vec![hostile.to_owned()]),
    ]
}

/// Times one call of each hostile pattern at each length, prints them, and
/// returns the slowest input for each length.
fn survey_hostile(meter: &Meter) -> Vec<String> {
    println!("\n-- hostile patterns, repeated to length: one call each --");
    print!("{:<22}", "pattern");
    for length in LENGTHS {
        print!(" {length:>8}");
    }
    println!();
    let mut slowest = vec![(Duration::ZERO, String::new()); LENGTHS.len()];
    for pattern in HOSTILE {
        print!("{:<22}", format!("{pattern:?}"));
        for (length, worst) in LENGTHS.into_iter().zip(&mut slowest) {
            let input = repeat_to(pattern, length);
            let took = meter.assess(&input);
            print!(" {:>8.3}", to_ms(took));
            if took > worst.0 {
                *worst = (took, input);
            }
        }
        println!();
    }
    slowest.into_iter().map(|(_, input)| input).collect()
}

/// Times `assess` over the inputs in turn, with fewer runs for slow cases.
fn measure(meter: &Meter, inputs: &[String]) -> Measured {
    let first = meter.assess(&inputs[0]);
    let runs = if first < SLOW_CALL {
        ZXCVBN_RUNS
    } else {
        (SLOW_CASE_BUDGET.as_nanos() / first.as_nanos()).max(MIN_SLOW_RUNS as u128) as usize
    };
    let timed: Vec<(Duration, &String)> = inputs
        .iter()
        .cycle()
        .take(runs)
        .map(|input| (meter.assess(input), input))
        .collect();
    let (slowest, slowest_input) = timed
        .iter()
        .max_by_key(|(d, _)| *d)
        .expect("at least one run");
    let samples: Vec<Duration> = timed.iter().map(|(d, _)| *d).collect();
    Measured {
        stats: Stats::of(&samples),
        slowest: *slowest,
        slowest_input: (*slowest_input).clone(),
    }
}

fn compare_with_raw_zxcvbn(meter: &Meter) {
    println!(
        "\n-- assess() against raw zxcvbn::zxcvbn(pw, &[]), \
         typical passphrase, mean of {ZXCVBN_RUNS} --"
    );
    println!("{:>4} {:>9} {:>9}", "len", "assess", "raw");
    for length in [64, 128] {
        let password = passphrase(length, 1);
        let assess = Stats::of(&sample(ZXCVBN_RUNS, || meter.assess(&password)));
        let raw = Stats::of(&sample(ZXCVBN_RUNS, || zxcvbn::zxcvbn(&password, &[])));
        println!("{:>4} {:>9.3} {:>9.3}", length, assess.mean, raw.mean);
    }
}

// ---------------------------------------------------------------- typing

/// What the meter costs while someone types a long password: one
/// estimate per key press, on each growing prefix.
fn bench_typing(meter: &Meter, hostile: &str) {
    let length = hostile.chars().count();
    println!("\n-- typing a {length}-char password: one assess() per key press --");
    println!(
        "{:<10} {:>9} {:>9} {:>7} {:>7} {:>7}",
        "password", "total", "max", "at len", ">2ms", ">16ms"
    );
    let typical = passphrase(length, 7);
    for (name, password) in [("typical", typical.as_str()), ("hostile", hostile)] {
        let presses: Vec<Duration> = prefixes(password).map(|p| meter.assess(p)).collect();
        let (at, max) = presses
            .iter()
            .enumerate()
            .max_by_key(|(_, d)| **d)
            .expect("a non-empty password");
        let over = |limit: u64| {
            presses
                .iter()
                .filter(|d| **d > Duration::from_millis(limit))
                .count()
        };
        println!(
            "{:<10} {:>9.2} {:>9.3} {:>7} {:>7} {:>7}",
            name,
            to_ms(presses.iter().sum()),
            to_ms(*max),
            at + 1,
            over(2),
            over(16)
        );
        println!("           {}", shorten(password));
    }
}

/// Every non-empty prefix of `s`, shortest first.
fn prefixes(s: &str) -> impl Iterator<Item = &str> {
    s.char_indices().map(|(i, c)| &s[..i + c.len_utf8()])
}

// ---------------------------------------------------------------- inputs

fn repeat_to(pattern: &str, length: usize) -> String {
    pattern.chars().cycle().take(length).collect()
}

/// Dictionary words with a separator and the odd capital or digit, cut to
/// `length`: what people pick when told to use a passphrase.
fn passphrase(length: usize, seed: u64) -> String {
    let mut rng = Lcg(seed);
    let separator = [" ", "-", ".", ""][rng.below(4)];
    let mut out = String::new();
    while out.len() < length {
        if !out.is_empty() {
            out.push_str(separator);
        }
        let word = WORDS[rng.below(WORDS.len())];
        match rng.below(6) {
            0 => out.extend(word[..1].to_uppercase().chars().chain(word[1..].chars())),
            1 => {
                out.push_str(word);
                out.push(char::from(b'0' + rng.below(10) as u8));
            }
            _ => out.push_str(word),
        }
    }
    out.chars().take(length).collect()
}

/// Random letters, digits and symbols, as a password manager makes them.
fn random_mixed(length: usize, seed: u64) -> String {
    let mut rng = Lcg(seed);
    (0..length)
        .map(|_| char::from(RANDOM_CHARSET[rng.below(RANDOM_CHARSET.len())]))
        .collect()
}

/// Long inputs cut for the table.
fn shorten(s: &str) -> String {
    const SHOWN: usize = 40;
    if s.chars().count() <= SHOWN {
        format!("{s:?}")
    } else {
        let head: String = s.chars().take(SHOWN).collect();
        format!("{head:?}…")
    }
}
