//! Counters that hold when many requests race on one code: a code belongs
//! to the session that asked for it, and a client that fires twenty
//! guesses on that session at once gets five tries between them, and at
//! most one win. Run on sled (tests/concurrency.rs) and on PostgreSQL
//! (tests/concurrency_postgres.rs): `harness` is the crate's.

use crate::common::secret;

use crate::common::*;
use rekey::recovery::{FlowError, Stage};
use rekey::service::{RecoveryService, ServiceError};
use rekey::store::audit::{AuditKind, Outcome};
use std::sync::Arc;

const ADA: &str = "ada@example.com";

/// Ada's session with one code out, named by 20 racing requests.
async fn twenty_sessions(h: &Harness) -> Vec<String> {
    let session = h.code_sent(ADA).await;
    vec![session; 20]
}

async fn race(
    h: &Harness,
    sessions: Vec<String>,
    guesses: Vec<String>,
) -> Vec<Result<Stage, ServiceError>> {
    let tasks: Vec<_> = sessions
        .into_iter()
        .zip(guesses)
        .map(|(s, guess)| {
            let service = Arc::clone(&h.service);
            tokio::spawn(async move {
                service
                    .confirm_code(&s, &secret(&guess))
                    .await
                    .map(|v| v.stage)
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task ran"));
    }
    answers
}

fn tries_counted(h: &Harness) -> usize {
    h.store
        .audit_events()
        .unwrap()
        .iter()
        .filter(|e| e.kind == AuditKind::CodeChecked)
        .filter(|e| e.outcome == Outcome::Ok || e.detail.starts_with("wrong code"))
        .count()
}

fn harness() -> Harness {
    let mut config = quick_config();
    config.hashing.max_concurrent = 4;
    let h = crate::harness(config);
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    h
}

fn other_than(code: &str, i: u32) -> String {
    let n: u32 = code.replace(' ', "").parse().unwrap();
    format!("{:06}", (n + 1 + i) % 1_000_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_wrong_guessers_get_five_tries_between_them() {
    let h = harness();
    let sessions = twenty_sessions(&h).await;
    let s = sessions[0].clone();
    let code = h.last_code(ADA);
    let guesses = (0..20).map(|i| other_than(&code, i)).collect();
    let answers = race(&h, sessions, guesses).await;

    let wrong = answers
        .iter()
        .filter(|a| matches!(a, Err(ServiceError::WrongCode { .. })))
        .count();
    let refused = answers
        .iter()
        .filter(|a| matches!(a, Err(ServiceError::Flow(FlowError::NoTriesLeft))))
        .count();
    assert_eq!(wrong, 5, "{answers:?}");
    assert_eq!(refused, 15, "{answers:?}");
    assert_eq!(tries_counted(&h), 5);

    // The code is dead, the right guess included.
    let view = h.service.flow_status(&s).await.unwrap();
    assert_eq!(view.stage, Stage::LockedOut);
    let answer = h.service.confirm_code(&s, &secret(&code)).await;
    assert!(matches!(
        answer,
        Err(ServiceError::Flow(FlowError::NoTriesLeft))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_sessions_with_the_right_code_win_once() {
    let h = harness();
    let sessions = twenty_sessions(&h).await;
    let code = h.last_code(ADA);
    let answers = race(&h, sessions, vec![code; 20]).await;
    let won = answers
        .iter()
        .filter(|a| matches!(a, Ok(Stage::CodeConfirmed)))
        .count();
    assert_eq!(won, 1, "{answers:?}");
    assert!(tries_counted(&h) <= 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_right_guess_among_wrong_ones_wins_at_most_once_within_five_tries() {
    let h = harness();
    let sessions = twenty_sessions(&h).await;
    let session = sessions[0].clone();
    let code = h.last_code(ADA);
    let mut guesses: Vec<String> = (0..20).map(|i| other_than(&code, i)).collect();
    guesses[7] = code.clone();
    guesses[13] = code;
    let answers = race(&h, sessions, guesses).await;
    let won = answers.iter().filter(|a| a.is_ok()).count();
    assert!(won <= 1, "{answers:?}");
    assert!(tries_counted(&h) <= 5);
    let flow = h.store.flow(&session).unwrap().unwrap();
    let used = flow.code.as_ref().is_some_and(|c| c.used);
    assert_eq!(won == 1, used, "a win uses the code: {flow:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_hashing_is_bounded() {
    let h = harness();
    let sessions = twenty_sessions(&h).await;
    let guesses = (0..20).map(|i| format!("{i:06}")).collect();
    race(&h, sessions, guesses).await;
    let peak = h.service.hash_pool().peak();
    assert!((1..=4).contains(&peak), "peak {peak}");
}
