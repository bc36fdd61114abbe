//! The whole recovery flow through the service API: known and unknown
//! addresses, the code's limits on a test clock, reopening the store
//! between steps, the Support branch and the password policy. Run on sled
//! (tests/flow.rs) and on PostgreSQL (tests/flow_postgres.rs): `harness`
//! is the crate's.

use crate::common::secret;
use crate::harness;

use crate::common::*;
use rekey::recovery::{
    Clock, EmailAddress, FlowError, Rule, RuleStatus, SlideEvidence, SlideRefusal, SlideVerdict,
    Stage,
};
use rekey::service::{RecoveryService, ServiceError};
use rekey::store::audit::{AuditKind, ChainReport, Outcome};
use std::time::{Duration, Instant};

const ADA: &str = "ada@example.com";
const NOBODY: &str = "nobody@example.com";

/// The match phrase is random per code: masked where transcripts of two
/// addresses are compared.
fn mask_phrases(text: String) -> String {
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("phrase: \"") {
        let start = at + "phrase: \"".len();
        out.push_str(&rest[..start]);
        let end = rest[start..].find('"').map_or(rest.len(), |e| start + e);
        out.push('…');
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

fn wrong_code(right: &str) -> String {
    let digits: String = right.chars().filter(char::is_ascii_digit).collect();
    let n: u32 = digits.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

#[tokio::test]
async fn known_address_completes_the_flow() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada Lovelace", OLD_PASSWORD);

    let (s, view) = h.requested("  Ada@Example.COM ").await;
    assert_eq!(view.stage, Stage::Requested);
    let view = h.service.choose_email(&s).await.unwrap();
    assert_eq!(view.stage, Stage::EmailChosen);
    let view = h.service.send_code(&s).await.unwrap();
    assert_eq!(view.stage, Stage::CodeSent);
    let code = view.code.unwrap();
    assert_eq!(code.expires_in_ms, 10 * 60 * 1000);
    assert_eq!(code.attempts_left, 5);

    let mailed = h.last_code(ADA);
    assert_eq!(mailed.len(), 7, "shown as 3+3: {mailed}");
    let view = h.service.confirm_code(&s, &secret(&mailed)).await.unwrap();
    assert_eq!(view.stage, Stage::CodeConfirmed);

    let view = h
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .unwrap();
    assert_eq!(view.stage, Stage::PasswordSet);
    assert!(h.password_is(ADA, NEW_PASSWORD));
    assert!(!h.password_is(ADA, OLD_PASSWORD));

    // The code is single use, and the flow is over.
    let again = h.service.confirm_code(&s, &secret(&mailed)).await;
    assert!(matches!(again, Err(ServiceError::Flow(FlowError::Ended))));

    let kinds: Vec<AuditKind> = h
        .store
        .audit_events()
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    for kind in [
        AuditKind::SlideChecked,
        AuditKind::Requested,
        AuditKind::MethodChosen,
        AuditKind::CodeSent,
        AuditKind::CodeChecked,
        AuditKind::PasswordChanged,
    ] {
        assert!(kinds.contains(&kind), "{kind:?} in {kinds:?}");
    }
    assert_eq!(
        h.store.verify_audit().unwrap(),
        ChainReport::Intact {
            events: kinds.len() as u64,
            pruned: None
        }
    );
}

#[tokio::test]
async fn unknown_address_sees_exactly_what_a_known_one_sees() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);

    let mut transcripts = Vec::new();
    for address in [ADA, NOBODY] {
        let mut seen = Vec::new();
        let (s, view) = h.requested(address).await;
        seen.push(format!("{view:?}"));
        seen.push(format!("{:?}", h.service.choose_email(&s).await));
        seen.push(format!("{:?}", h.service.send_code(&s).await));
        seen.push(format!("{:?}", h.service.send_code(&s).await));
        seen.push(format!(
            "{:?}",
            h.service.confirm_code(&s, &secret("000 000")).await
        ));
        seen.push(format!("{:?}", h.service.flow_status(&s).await));
        seen.push(format!(
            "{:?}",
            h.service.assess_password(&s, &secret(NEW_PASSWORD)).await
        ));
        seen.push(format!(
            "{:?}",
            h.service
                .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
                .await
        ));
        transcripts.push(seen.into_iter().map(mask_phrases).collect::<Vec<_>>());
    }
    // 000 000 could be Ada's code once in a million runs; then the
    // transcripts rightly differ.
    if h.last_code(ADA) != "000 000" {
        assert_eq!(transcripts[0], transcripts[1]);
    }
    assert!(
        h.codes_mailed_to(NOBODY).is_empty(),
        "no mail to an unknown address"
    );
    assert_eq!(h.codes_mailed_to(ADA).len(), 1);
}

#[tokio::test]
async fn no_guess_confirms_an_unknown_address() {
    let h = harness(quick_config());
    let s = h.code_sent(NOBODY).await;
    for guess in ["123 456", "000000", "999-999", "314159", "271828"] {
        let answer = h.service.confirm_code(&s, &secret(guess)).await;
        assert!(
            matches!(answer, Err(ServiceError::WrongCode { .. })),
            "{answer:?}"
        );
    }
    let answer = h.service.confirm_code(&s, &secret("111111")).await;
    assert!(matches!(
        answer,
        Err(ServiceError::Flow(FlowError::NoTriesLeft))
    ));
}

#[tokio::test]
async fn both_kinds_of_address_answer_no_sooner_than_the_floor() {
    let mut config = quick_config();
    config.service.reply_floor_ms = 150;
    let h = harness(config);
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    for address in [ADA, NOBODY] {
        let s = h.service.open_session("t", "en").await.unwrap();
        h.service.submit_address(&s, address).await.unwrap();
        h.service
            .check_slide(&s, &human_slide(&h.config.slide))
            .await
            .unwrap();
        let start = Instant::now();
        h.service.request(&s).await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_millis(150),
            "{address}: request"
        );
        h.service.choose_email(&s).await.unwrap();
        let start = Instant::now();
        h.service.send_code(&s).await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_millis(150),
            "{address}: send"
        );
        let start = Instant::now();
        let _ = h.service.confirm_code(&s, &secret("000000")).await;
        assert!(
            start.elapsed() >= Duration::from_millis(150),
            "{address}: confirm"
        );
    }
}

#[tokio::test]
async fn a_code_expires_after_ten_minutes() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let s = h.code_sent(ADA).await;
    let code = h.last_code(ADA);

    h.clock.advance(Duration::from_secs(9 * 60 + 59));
    let view = h.service.flow_status(&s).await.unwrap();
    assert_eq!(view.code.unwrap().expires_in_ms, 1_000);

    h.clock.advance(Duration::from_secs(1));
    let answer = h.service.confirm_code(&s, &secret(&code)).await;
    assert!(matches!(
        answer,
        Err(ServiceError::Flow(FlowError::CodeExpired))
    ));
    assert_eq!(
        h.service.flow_status(&s).await.unwrap().stage,
        Stage::Expired
    );

    // A new code can be asked for, and works.
    h.service.send_code(&s).await.unwrap();
    let fresh = h.last_code(ADA);
    let view = h.service.confirm_code(&s, &secret(&fresh)).await.unwrap();
    assert_eq!(view.stage, Stage::CodeConfirmed);
}

#[tokio::test]
async fn five_wrong_codes_end_the_code() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let s = h.code_sent(ADA).await;
    let code = h.last_code(ADA);
    for left in (0..5u8).rev() {
        let answer = h
            .service
            .confirm_code(&s, &secret(&wrong_code(&code)))
            .await;
        match answer {
            Err(ServiceError::WrongCode { attempts_left }) => assert_eq!(attempts_left, left),
            other => panic!("expected a wrong code, got {other:?}"),
        }
    }
    assert_eq!(
        h.service.flow_status(&s).await.unwrap().stage,
        Stage::LockedOut
    );
    let answer = h.service.confirm_code(&s, &secret(&code)).await;
    assert!(
        matches!(answer, Err(ServiceError::Flow(FlowError::NoTriesLeft))),
        "even the right code is refused: {answer:?}"
    );
    // A malformed code costs no try.
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let s = h.code_sent(ADA).await;
    let answer = h.service.confirm_code(&s, &secret("12ab56")).await;
    assert!(matches!(answer, Err(ServiceError::CodeFormat(_))));
    let view = h.service.flow_status(&s).await.unwrap();
    assert_eq!(view.code.unwrap().attempts_left, 5);
}

#[tokio::test]
async fn resend_waits_sixty_seconds_and_replaces_the_code() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let s = h.code_sent(ADA).await;
    let first = h.last_code(ADA);

    h.clock.advance(Duration::from_secs(18));
    let view = h.service.flow_status(&s).await.unwrap();
    assert_eq!(view.resend.wait_ms(), Some(42_000));
    let answer = h.service.send_code(&s).await;
    assert!(matches!(
        answer,
        Err(ServiceError::Flow(FlowError::ResendTooSoon {
            wait_ms: 42_000
        }))
    ));
    assert_eq!(
        h.codes_mailed_to(ADA).len(),
        1,
        "a refused resend mails nothing"
    );

    h.clock.advance(Duration::from_secs(42));
    h.service.send_code(&s).await.unwrap();
    let second = h.last_code(ADA);
    if first != second {
        let answer = h.service.confirm_code(&s, &secret(&first)).await;
        assert!(matches!(answer, Err(ServiceError::WrongCode { .. })));
    }
    let view = h.service.confirm_code(&s, &secret(&second)).await.unwrap();
    assert_eq!(view.stage, Stage::CodeConfirmed);
}

#[tokio::test]
async fn at_most_five_codes_an_hour_from_one_origin_even_across_sessions_and_flows() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let s = h.code_sent(ADA).await;
    for _ in 0..4 {
        h.clock.advance(Duration::from_secs(60));
        h.service.send_code(&s).await.unwrap();
    }
    assert_eq!(h.codes_mailed_to(ADA).len(), 5);

    // A new session does not reset the count.
    h.clock.advance(Duration::from_secs(60));
    let (other, _) = h.requested(ADA).await;
    h.service.choose_email(&other).await.unwrap();
    let answer = h.service.send_code(&other).await;
    assert!(
        matches!(
            answer,
            Err(ServiceError::Flow(FlowError::HourlyLimit { .. }))
        ),
        "{answer:?}"
    );

    // Nor does finishing the flow and starting another.
    let code = h.last_code(ADA);
    h.service.confirm_code(&s, &secret(&code)).await.unwrap();
    h.service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .unwrap();
    let (third, _) = h.requested(ADA).await;
    h.service.choose_email(&third).await.unwrap();
    let answer = h.service.send_code(&third).await;
    assert!(matches!(
        answer,
        Err(ServiceError::Flow(FlowError::HourlyLimit { .. }))
    ));

    // An hour after the first send, one more may go (the idle session
    // has ended meanwhile; the person starts a new one).
    h.clock.advance(Duration::from_secs(55 * 60));
    h.code_sent(ADA).await;
    assert_eq!(h.codes_mailed_to(ADA).len(), 6);
}

#[tokio::test]
async fn the_store_reopened_between_every_step_picks_up_where_it_was() {
    let mut h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let s = h.service.open_session("test tty", "en").await.unwrap();
    h = h.reopen();
    h.service.submit_address(&s, ADA).await.unwrap();
    h = h.reopen();
    let slide = human_slide(&h.config.slide);
    h.service.check_slide(&s, &slide).await.unwrap();
    h = h.reopen();
    assert_eq!(h.service.request(&s).await.unwrap().stage, Stage::Requested);
    h = h.reopen();
    h.service.choose_email(&s).await.unwrap();
    h = h.reopen();
    h.service.send_code(&s).await.unwrap();
    h = h.reopen();
    let code = h.last_code(ADA);
    let answer = h
        .service
        .confirm_code(&s, &secret(&wrong_code(&code)))
        .await;
    assert!(matches!(
        answer,
        Err(ServiceError::WrongCode { attempts_left: 4 })
    ));
    h = h.reopen();
    let view = h.service.flow_status(&s).await.unwrap();
    assert_eq!(view.code.unwrap().attempts_left, 4, "the try was kept");
    h.service.confirm_code(&s, &secret(&code)).await.unwrap();
    h = h.reopen();
    h.service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .unwrap();
    h = h.reopen();
    assert!(h.password_is(ADA, NEW_PASSWORD));
    assert!(matches!(
        h.store.verify_audit().unwrap(),
        ChainReport::Intact { .. }
    ));
}

/// The SSH link dropped after the code went out: the person opens a new
/// session and types the same address. The code belonged to the old
/// session; the new one asks for another, and the cooldown it waits for
/// is its own origin's earlier request.
#[tokio::test]
async fn a_dropped_session_asks_again_and_waits_only_for_its_own_cooldown() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let first = h.code_sent(ADA).await;
    let old_code = h.last_code(ADA);
    h.clock.advance(Duration::from_secs(20));

    let (second, view) = h.requested("ADA@example.com").await;
    assert_eq!(view.stage, Stage::Requested, "a new session, a new flow");
    assert!(view.code.is_none());
    let answer = h.service.confirm_code(&second, &secret(&old_code)).await;
    assert!(
        matches!(answer, Err(ServiceError::Flow(FlowError::WrongStep { .. }))),
        "{answer:?}"
    );
    let view = h.service.choose_email(&second).await.unwrap();
    assert_eq!(view.resend.wait_ms(), Some(40_000));
    let answer = h.service.send_code(&second).await;
    assert!(matches!(
        answer,
        Err(ServiceError::Flow(FlowError::ResendTooSoon {
            wait_ms: 40_000
        }))
    ));
    h.clock.advance(Duration::from_secs(40));
    h.service.send_code(&second).await.unwrap();
    let new_code = h.last_code(ADA);
    if new_code != old_code {
        let answer = h.service.confirm_code(&second, &secret(&old_code)).await;
        assert!(matches!(answer, Err(ServiceError::WrongCode { .. })));
    }
    let view = h
        .service
        .confirm_code(&second, &secret(&new_code))
        .await
        .unwrap();
    assert_eq!(view.stage, Stage::CodeConfirmed);

    // The confirmation belongs to the session that typed the code.
    let answer = h
        .service
        .set_password(&first, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await;
    assert!(matches!(
        answer,
        Err(ServiceError::Flow(FlowError::NotConfirmed))
    ));
    h.service
        .set_password(&second, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .unwrap();
}

/// Strangers elsewhere share only the ceiling per address (20 an hour),
/// not the owner's cooldown or hourly cap.
#[tokio::test]
async fn another_origin_has_its_own_cooldown_and_cap_under_the_ceiling() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    // Three strangers take five codes each, then a fourth takes four.
    for (n, sends) in [(1, 5), (2, 5), (3, 5), (4, 4)] {
        let s = h.code_sent_from(&format!("ssh 198.51.100.{n}"), ADA).await;
        for _ in 1..sends {
            h.clock.advance(Duration::from_secs(60));
            h.service.send_code(&s).await.unwrap();
        }
        let answer = h.service.send_code(&s).await;
        assert!(
            matches!(
                answer,
                Err(ServiceError::Flow(
                    FlowError::ResendTooSoon { .. } | FlowError::HourlyLimit { .. }
                ))
            ),
            "{answer:?}"
        );
    }
    // The owner's first request is not held back by any of that.
    let owner = h.code_sent(ADA).await;
    let code = h.last_code(ADA);
    assert_eq!(h.codes_mailed_to(ADA).len(), 20);
    // The ceiling is reached: nobody else gets one this hour.
    h.clock.advance(Duration::from_secs(60));
    let (late, _) = h.requested_from("ssh 198.51.100.9", ADA).await;
    h.service.choose_email(&late).await.unwrap();
    let answer = h.service.send_code(&late).await;
    assert!(
        matches!(
            answer,
            Err(ServiceError::Flow(FlowError::HourlyLimit { .. }))
        ),
        "{answer:?}"
    );
    assert_eq!(h.codes_mailed_to(ADA).len(), 20, "the ceiling held");
    let view = h
        .service
        .confirm_code(&owner, &secret(&code))
        .await
        .unwrap();
    assert_eq!(view.stage, Stage::CodeConfirmed);
}

#[tokio::test]
async fn steps_cannot_be_skipped() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let s = h.service.open_session("t", "en").await.unwrap();
    assert!(matches!(
        h.service.request(&s).await,
        Err(ServiceError::Session(_))
    ));
    h.service.submit_address(&s, ADA).await.unwrap();
    assert!(matches!(
        h.service.request(&s).await,
        Err(ServiceError::Session(_))
    ));
    assert!(matches!(
        h.service.send_code(&s).await,
        Err(ServiceError::Session(_))
    ));

    let refused = h
        .service
        .check_slide(
            &s,
            &SlideEvidence {
                notch_times_ms: vec![0; 20],
            },
        )
        .await
        .unwrap();
    assert_eq!(refused, SlideVerdict::TryAgain(SlideRefusal::Burst));
    assert!(matches!(
        h.service.request(&s).await,
        Err(ServiceError::Session(_))
    ));

    h.service
        .check_slide(&s, &human_slide(&h.config.slide))
        .await
        .unwrap();
    h.service.request(&s).await.unwrap();
    let answer = h.service.send_code(&s).await;
    assert!(matches!(
        answer,
        Err(ServiceError::Flow(FlowError::WrongStep { .. }))
    ));
    let answer = h.service.assess_password(&s, &secret(NEW_PASSWORD)).await;
    assert!(matches!(
        answer,
        Err(ServiceError::Flow(FlowError::NotConfirmed))
    ));
    let answer = h
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await;
    assert!(matches!(
        answer,
        Err(ServiceError::Flow(FlowError::NotConfirmed))
    ));
    assert!(h.password_is(ADA, OLD_PASSWORD));

    let answer = h.service.submit_address(&s, "not an address").await;
    assert!(matches!(answer, Err(ServiceError::Address(_))));
    assert!(matches!(
        h.service.request("no-such-session").await,
        Err(ServiceError::NoSession)
    ));
}

#[tokio::test]
async fn an_idle_session_ends() {
    let h = harness(quick_config());
    let s = h.service.open_session("t", "en").await.unwrap();
    h.clock
        .advance(Duration::from_secs(h.config.service.session_idle_secs));
    let answer = h.service.submit_address(&s, ADA).await;
    assert!(matches!(answer, Err(ServiceError::NoSession)));
}

#[tokio::test]
async fn support_opens_a_ticket_for_known_and_unknown_alike() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let mut references = Vec::new();
    for address in [ADA, NOBODY] {
        let (s, _) = h.requested(address).await;
        let view = h
            .service
            .open_ticket(&s, Some("+46 70 123 45 67"))
            .await
            .unwrap();
        assert_eq!(view.stage, Stage::TicketOpened);
        let reference = view.ticket.unwrap();
        assert!(reference.starts_with("RK-"), "{reference}");
        references.push(reference);
    }
    let tickets = h.store.tickets().unwrap();
    assert_eq!(tickets.len(), 2);
    for (reference, address) in references.iter().zip([ADA, NOBODY]) {
        let ticket = tickets.iter().find(|t| &t.reference == reference).unwrap();
        assert_eq!(ticket.address, EmailAddress::parse(address).unwrap());
        assert_eq!(ticket.client, "test tty");
    }
}

#[tokio::test]
async fn the_password_policy_is_enforced_at_the_last_step() {
    let h = harness(quick_config());
    h.add_account(
        "maria.svensson@kirunamine.se",
        "Maria Svensson",
        OLD_PASSWORD,
    );
    let s = h.code_sent("maria.svensson@kirunamine.se").await;
    let code = h.last_code("maria.svensson@kirunamine.se");
    h.service.confirm_code(&s, &secret(&code)).await.unwrap();

    let failed = |answer: Result<_, ServiceError>| match answer {
        Err(ServiceError::PasswordRefused(verdict)) => verdict.failed_rules().collect::<Vec<_>>(),
        other => panic!("expected a refusal, got {other:?}"),
    };
    let weak = h
        .service
        .set_password(&s, &secret("password1"), &secret("password1"))
        .await;
    assert_eq!(failed(weak), vec![Rule::MinLength(15), Rule::MinScore(3)]);

    let from_address = "Maria.Svensson1!";
    let answer = h
        .service
        .set_password(&s, &secret(from_address), &secret(from_address))
        .await;
    assert_eq!(failed(answer), vec![Rule::MinScore(3), Rule::NotPersonal]);

    let too_long = "Xq7!vR2#mK9@wP4$".repeat(9);
    let answer = h
        .service
        .set_password(&s, &secret(&too_long), &secret(&too_long))
        .await;
    assert_eq!(failed(answer), vec![Rule::MaxLength(128)]);

    let reused = h
        .service
        .set_password(&s, &secret(OLD_PASSWORD), &secret(OLD_PASSWORD))
        .await;
    assert_eq!(failed(reused), vec![Rule::NotRecent(5)]);

    let differ = h
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(OLD_PASSWORD))
        .await;
    assert!(matches!(differ, Err(ServiceError::PasswordsDiffer)));

    // The meter's verdict for a candidate: every rule but the history.
    let verdict = h
        .service
        .assess_password(&s, &secret(NEW_PASSWORD))
        .await
        .unwrap();
    assert!(verdict.passes());
    let history = verdict
        .rules
        .iter()
        .find(|r| matches!(r.rule, Rule::NotRecent(_)));
    assert_eq!(history.unwrap().status, RuleStatus::Unchecked);

    // Refusals changed nothing; a good password still goes through.
    assert!(h.password_is("maria.svensson@kirunamine.se", OLD_PASSWORD));
    h.service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .unwrap();
    let refused = h
        .store
        .audit_events()
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == AuditKind::PasswordRefused && e.outcome == Outcome::Refused)
        .count();
    assert_eq!(refused, 4);
}

#[tokio::test]
async fn the_last_five_passwords_cannot_come_back() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let passwords = [
        "copper kettles whistle under violet rain",
        "seven quiet herons fold maps at dawn",
        "marble owls juggle frosty lemons",
        "velvet trains hum beneath cedar hills",
        "amber foxes paint lighthouses slowly",
    ];
    for pw in passwords {
        let s = h.code_sent(ADA).await;
        let code = h.last_code(ADA);
        h.service.confirm_code(&s, &secret(&code)).await.unwrap();
        h.service
            .set_password(&s, &secret(pw), &secret(pw))
            .await
            .unwrap();
        h.clock.advance(Duration::from_secs(15 * 60));
    }
    // Current: amber…; the last five are amber, velvet, marble, seven, copper.
    let s = h.code_sent(ADA).await;
    let code = h.last_code(ADA);
    h.service.confirm_code(&s, &secret(&code)).await.unwrap();
    for pw in passwords {
        let answer = h.service.set_password(&s, &secret(pw), &secret(pw)).await;
        assert!(
            matches!(answer, Err(ServiceError::PasswordRefused(_))),
            "{pw}"
        );
    }
    // The sixth-latest (the first one) is allowed again.
    h.service
        .set_password(&s, &secret(OLD_PASSWORD), &secret(OLD_PASSWORD))
        .await
        .unwrap();
}

#[tokio::test]
async fn codes_and_passwords_never_reach_the_audit_trail_or_the_store_in_clear() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let s = h.code_sent(ADA).await;
    let code = h.last_code(ADA);
    let wrong = wrong_code(&code);
    let _ = h.service.confirm_code(&s, &secret(&wrong)).await;
    h.service.confirm_code(&s, &secret(&code)).await.unwrap();
    h.service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .unwrap();
    let trail = serde_json::to_string(&h.store.audit_events().unwrap()).unwrap();
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    for secret in [
        digits.as_str(),
        code.as_str(),
        wrong.as_str(),
        NEW_PASSWORD,
        OLD_PASSWORD,
    ] {
        assert!(!trail.contains(secret), "{secret} in the audit trail");
    }
    h.store.flush().unwrap();
    let bytes = all_bytes_under(&h.dir);
    for secret in [NEW_PASSWORD, OLD_PASSWORD, wrong.as_str()] {
        assert!(
            !contains(&bytes, secret.as_bytes()),
            "{secret} stored in clear"
        );
    }
}

/// A stranger who knows the owner's address opens a session of their own
/// elsewhere, makes five wrong guesses and five requests: the owner's code
/// is neither spent, nor replaced, nor delayed, and the owner confirms it.
/// What the stranger sees is what an address without an account shows.
#[tokio::test]
async fn a_stranger_cannot_spend_replace_or_delay_the_owners_code() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let mut seen = Vec::new();
    for address in [ADA, NOBODY] {
        let owner = h.code_sent(address).await;
        let owners_code = h.codes_mailed_to(address).pop();
        let stranger = h.code_sent_from("ssh 198.51.100.7", address).await;
        let mut transcript = String::new();
        for i in 0..5 {
            let guess = format!("{:06}", 111_111 * (i + 1));
            let answer = h.service.confirm_code(&stranger, &secret(&guess)).await;
            transcript.push_str(&format!("{answer:?}\n"));
        }
        for _ in 0..5 {
            h.clock.advance(Duration::from_secs(60));
            let answer = h.service.send_code(&stranger).await;
            transcript.push_str(&format!("{:?}\n", answer.map(|v| (v.stage, v.code))));
        }
        seen.push(mask_phrases(transcript));
        // The owner's code has its five tries and its lifetime left.
        let view = h.service.flow_status(&owner).await.unwrap();
        let status = view.code.expect("the owner's code is live");
        assert_eq!(status.attempts_left, 5);
        assert_eq!(status.expires_in_ms, 5 * 60 * 1000);
        if let Some(code) = owners_code {
            let view = h
                .service
                .confirm_code(&owner, &secret(&code))
                .await
                .unwrap();
            assert_eq!(view.stage, Stage::CodeConfirmed);
            h.service
                .set_password(&owner, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
                .await
                .unwrap();
            let after = h.service.flow_status(&stranger).await.unwrap();
            assert_eq!(
                after.stage,
                Stage::CodeSent,
                "the change is the owner's alone"
            );
        }
    }
    // A stranger's guess may be right by chance on the known address only.
    if !seen[0].contains("CodeConfirmed") {
        assert_eq!(seen[0], seen[1]);
    }
    assert!(h.password_is(ADA, NEW_PASSWORD));
}

#[tokio::test]
async fn a_confirmation_does_not_outlive_a_code() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let s = h.code_sent(ADA).await;
    let code = h.last_code(ADA);
    h.service.confirm_code(&s, &secret(&code)).await.unwrap();
    h.clock.advance(Duration::from_secs(10 * 60));
    let answer = h
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await;
    assert!(
        matches!(answer, Err(ServiceError::Flow(FlowError::CodeExpired))),
        "{answer:?}"
    );
    assert!(h.password_is(ADA, OLD_PASSWORD));
}

#[tokio::test]
async fn asking_support_again_gives_the_same_ticket() {
    let h = harness(quick_config());
    let (s, _) = h.requested(ADA).await;
    let first = h
        .service
        .open_ticket(&s, Some("+46 70 123 45 67"))
        .await
        .unwrap()
        .ticket;
    let again = h
        .service
        .open_ticket(&s, Some("+46 70 123 45 67"))
        .await
        .unwrap()
        .ticket;
    assert_eq!(first, again);
    assert_eq!(h.store.tickets().unwrap().len(), 1);
}

/// The audit trail keeps `audit.retention_days`: older events go (with the
/// sweep a new session starts), and the trail still verifies from the
/// checkpoint they leave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_events_past_the_retention_go_and_the_rest_verifies() {
    let mut config = quick_config();
    config.audit.retention_days = 1;
    let h = harness(config);
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    h.code_sent(ADA).await;
    let old = h.store.audit_events().unwrap();
    h.clock.advance(Duration::from_secs(2 * 24 * 3600));
    let cutoff = h.clock.now() - 24 * 3600 * 1000;
    let before = old.iter().filter(|e| e.time_ms < cutoff).count();
    assert!(before >= 4, "{old:?}");
    h.code_sent(NOBODY).await;
    // Pruning runs beside the step that started it, and keeps the newest
    // event: a later session's sweep takes what the first one left.
    let deadline = Instant::now() + Duration::from_secs(10);
    let old_left = || {
        h.store
            .audit_events()
            .unwrap()
            .iter()
            .any(|e| e.time_ms < cutoff)
    };
    while old_left() {
        assert!(Instant::now() < deadline, "nothing was pruned");
        tokio::time::sleep(Duration::from_millis(50)).await;
        h.clock.advance(Duration::from_secs(61));
        h.service.open_session("test tty", "en").await.unwrap();
    }
    let kept = h.store.audit_events().unwrap();
    assert!(kept.iter().all(|e| e.time_ms >= cutoff), "{kept:?}");
    match h.store.verify_audit().unwrap() {
        ChainReport::Intact {
            pruned: Some(c), ..
        } => assert_eq!(c.pruned as usize, before),
        other => panic!("{other:?}"),
    }
}

/// A password is one password whichever way its letters were composed:
/// set with `å` as `a` and a combining ring (as some input methods send
/// it), it is the one typed with `å` as one character.
#[tokio::test]
async fn a_password_is_the_same_whichever_way_its_letters_were_composed() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada Lovelace", OLD_PASSWORD);
    let decomposed = "ka\u{30a}pa under violetta regnmoln";
    let composed = "k\u{e5}pa under violetta regnmoln";
    let s = h.code_sent(ADA).await;
    let code = h.last_code(ADA);
    h.service.confirm_code(&s, &secret(&code)).await.unwrap();
    // Typed once each way: the same password, so not "they differ".
    let view = h
        .service
        .set_password(&s, &secret(decomposed), &secret(composed))
        .await
        .unwrap();
    assert_eq!(view.stage, Stage::PasswordSet);
    assert!(h.password_is(ADA, composed));
}

/// Support for the same address from the same origin within a day shows
/// the ticket already open, for an address with or without an account;
/// another origin gets a ticket of its own, and a day later it is a new
/// ticket.
#[tokio::test]
async fn one_ticket_a_day_per_address_and_origin() {
    let h = harness(quick_config());
    h.add_account(ADA, "Ada Lovelace", OLD_PASSWORD);
    let ticket = |client: &'static str, address: &'static str| {
        let h = &h;
        async move {
            let (s, _) = h.requested_from(client, address).await;
            let view = h
                .service
                .open_ticket(&s, Some("+46 70 123 45 67"))
                .await
                .expect("ticket");
            h.service.close_session(&s).await.expect("closed");
            view.ticket.expect("a reference")
        }
    };
    for address in [ADA, "nobody@example.com"] {
        let first = ticket("kiosk lobby", address).await;
        assert_eq!(ticket("kiosk lobby", address).await, first, "{address}");
        let other = ticket("ssh 203.0.113.9", address).await;
        assert_ne!(other, first, "another origin gets its own: {address}");
    }
    let first = ticket("kiosk lobby", ADA).await;
    h.clock.advance(Duration::from_secs(24 * 3600));
    assert_ne!(ticket("kiosk lobby", ADA).await, first, "a day later");
    let open = h
        .store
        .tickets()
        .unwrap()
        .into_iter()
        .filter(|t| t.address.as_str() == ADA)
        .count();
    assert_eq!(open, 3);
}

/// The landing screen's sign-in: the right password works; a wrong one
/// and an unknown address get the same answer, counted alike; three tries
/// per address and origin in 15 minutes, then a pause; another origin has
/// its own three, under a ceiling on failures for the address from all
/// origins (one origin's worth and one more) that stays below a
/// directory's lockout.
#[tokio::test]
async fn sign_in_checks_the_password_with_three_tries_per_origin_and_a_ceiling() {
    use rekey::service::SignInAnswer;
    let h = harness(quick_config());
    h.add_account(ADA, "Ada Lovelace", OLD_PASSWORD);
    let open = |client: &'static str| {
        let h = &h;
        async move { h.service.open_session(client, "en").await.unwrap() }
    };
    let kiosk = open("kiosk lobby").await;
    let works = h.service.sign_in(&kiosk, ADA, &secret(OLD_PASSWORD)).await;
    assert_eq!(works.unwrap(), SignInAnswer::Works);
    let again = h
        .service
        .sign_in(&kiosk, " Ada@Example.COM ", &secret(OLD_PASSWORD))
        .await;
    assert_eq!(
        again.unwrap(),
        SignInAnswer::Works,
        "a good sign-in takes no try"
    );

    for address in [ADA, NOBODY] {
        let s = open("ssh 203.0.113.9").await;
        let mut answers = Vec::new();
        for _ in 0..4 {
            answers.push(
                h.service
                    .sign_in(&s, address, &secret("wrong horse"))
                    .await
                    .unwrap(),
            );
        }
        assert_eq!(
            answers[..3],
            [
                SignInAnswer::NoMatch {
                    tries_left: 2,
                    wait_ms: 0
                },
                SignInAnswer::NoMatch {
                    tries_left: 1,
                    wait_ms: 0
                },
                SignInAnswer::NoMatch {
                    tries_left: 0,
                    wait_ms: 15 * 60 * 1000
                },
            ],
            "{address}"
        );
        let SignInAnswer::Paused { wait_ms } = answers[3] else {
            panic!("{address}: {:?}", answers[3]);
        };
        assert!(
            wait_ms > 14 * 60 * 1000 && wait_ms <= 15 * 60 * 1000,
            "{wait_ms}"
        );
    }
    // Paused, even the right password is not tried at the directory.
    let s = open("ssh 203.0.113.9").await;
    let paused = h
        .service
        .sign_in(&s, ADA, &secret(OLD_PASSWORD))
        .await
        .unwrap();
    assert!(matches!(paused, SignInAnswer::Paused { .. }), "{paused:?}");
    // Another origin has its own tries, up to the address's ceiling of
    // four failures in all.
    let other = open("ssh 198.51.100.7").await;
    let answer = h
        .service
        .sign_in(&other, ADA, &secret("wrong horse"))
        .await
        .unwrap();
    assert_eq!(
        answer,
        SignInAnswer::NoMatch {
            tries_left: 0,
            wait_ms: 15 * 60 * 1000
        }
    );
    let answer = h
        .service
        .sign_in(&other, ADA, &secret(OLD_PASSWORD))
        .await
        .unwrap();
    assert!(
        matches!(answer, SignInAnswer::Paused { .. }),
        "the ceiling: {answer:?}"
    );
    // 15 minutes on, the tries are back.
    h.clock.advance(Duration::from_secs(15 * 60));
    let answer = h
        .service
        .sign_in(&other, ADA, &secret(OLD_PASSWORD))
        .await
        .unwrap();
    assert_eq!(answer, SignInAnswer::Works);

    let events = h.store.audit_events().unwrap();
    let sign_ins: Vec<_> = events
        .iter()
        .filter(|e| e.kind == AuditKind::SignIn)
        .collect();
    assert_eq!(sign_ins.len(), 14);
    assert!(
        sign_ins
            .iter()
            .all(|e| !format!("{e:?}").contains("wrong horse"))
    );
    assert!(
        sign_ins
            .iter()
            .any(|e| e.outcome == Outcome::Refused && e.detail.contains("no such account"))
    );
}

/// A sign-in answers no sooner than the reply floor, for a known address
/// with a wrong password as for an unknown address.
#[tokio::test]
async fn sign_in_answers_no_sooner_than_the_floor_for_both_kinds_of_address() {
    let mut config = quick_config();
    config.service.reply_floor_ms = 300;
    let h = harness(config);
    h.add_account(ADA, "Ada Lovelace", OLD_PASSWORD);
    let floor = Duration::from_millis(300);
    for address in [ADA, NOBODY] {
        let s = h.service.open_session("tty", "en").await.unwrap();
        let start = Instant::now();
        h.service
            .sign_in(&s, address, &secret("wrong horse"))
            .await
            .unwrap();
        assert!(start.elapsed() >= floor, "{address}: {:?}", start.elapsed());
    }
}

/// A ticket needs a contact (by default): none, or one that is neither a
/// phone number nor an address, is refused and opens nothing; the ticket
/// keeps the contact given.
#[tokio::test]
async fn a_ticket_keeps_how_support_can_reach_the_person() {
    use rekey::recovery::contact::ContactError;
    let h = harness(quick_config());
    h.add_account(ADA, "Ada Lovelace", OLD_PASSWORD);
    let (s, _) = h.requested(ADA).await;
    let none = h.service.open_ticket(&s, None).await;
    assert!(
        matches!(none, Err(ServiceError::Contact(ContactError::Needed))),
        "{none:?}"
    );
    let bad = h.service.open_ticket(&s, Some("call me")).await;
    assert!(
        matches!(bad, Err(ServiceError::Contact(ContactError::Invalid))),
        "{bad:?}"
    );
    assert!(h.store.tickets().unwrap().is_empty());
    let view = h
        .service
        .open_ticket(&s, Some(" Ada@Home.example "))
        .await
        .unwrap();
    let tickets = h.store.tickets().unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(Some(tickets[0].reference.clone()), view.ticket);
    assert_eq!(tickets[0].contacts, ["ada@home.example"]);
    // Shown again with another contact, the ticket keeps both: the screen
    // says support will use the one just typed.
    let again = h
        .service
        .open_ticket(&s, Some("+46 70 123 45 67"))
        .await
        .unwrap();
    assert_eq!(again.ticket, view.ticket);
    let tickets = h.store.tickets().unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(
        tickets[0].contacts,
        ["ada@home.example", "+46 70 123 45 67"]
    );

    let mut config = quick_config();
    config.support.contact_required = false;
    let h = harness(config);
    let (s, _) = h.requested(ADA).await;
    let view = h.service.open_ticket(&s, None).await.unwrap();
    assert!(view.ticket.is_some(), "optional by config");
}

/// The sign-in window slides: tries bunched on both sides of where a
/// fixed window would end still count together, so no burst passes the
/// limits (a fixed window let 5 failures through in two seconds).
#[tokio::test]
async fn sign_in_tries_bunched_at_the_edge_of_the_window_count_together() {
    use rekey::service::SignInAnswer;
    let h = harness(quick_config());
    h.add_account(ADA, "Ada Lovelace", OLD_PASSWORD);
    let a = h
        .service
        .open_session("ssh 203.0.113.9", "en")
        .await
        .unwrap();
    let b = h
        .service
        .open_session("ssh 198.51.100.7", "en")
        .await
        .unwrap();
    let wrong = || secret("wrong horse");
    let no_match = |answer: &SignInAnswer| matches!(answer, SignInAnswer::NoMatch { .. });
    assert!(no_match(
        &h.service.sign_in(&a, ADA, &wrong()).await.unwrap()
    ));
    h.clock.advance(Duration::from_secs(14 * 60 + 58));
    let mut burst = 0;
    for _ in 0..3 {
        burst += usize::from(no_match(
            &h.service.sign_in(&a, ADA, &wrong()).await.unwrap(),
        ));
    }
    assert_eq!(burst, 2, "the origin's third try is the one 14:58 ago");
    h.clock.advance(Duration::from_secs(2));
    for s in [&a, &a, &b, &b] {
        burst += usize::from(no_match(
            &h.service.sign_in(s, ADA, &wrong()).await.unwrap(),
        ));
    }
    assert_eq!(burst, 4, "at most 4 failures in any 15 minutes");
    let paused = h
        .service
        .sign_in(&b, ADA, &secret(OLD_PASSWORD))
        .await
        .unwrap();
    assert!(matches!(paused, SignInAnswer::Paused { .. }), "{paused:?}");
}
