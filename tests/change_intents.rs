//! A password change in an external directory, when its answer is lost:
//! the service asks the directory's change stamp, tells the person only
//! what it knows, and settles what it could not learn later. The directory
//! here is the in-memory double, so that a test can make a change land and
//! lose its answer; the store is a real sled store on disk.

mod common;
use common::secret;

use common::{NEW_PASSWORD, OLD_PASSWORD, T0, code_sent, quick_config};
use rekey::directory::memory::{MemoryDirectory, NextChange};
use rekey::directory::{ChangeVerdict, DirectoryError, Refusal};
use rekey::recovery::{Clock, EmailAddress, ManualClock, Stage};
use rekey::service::{LocalService, RecoveryService, ServiceError, SessionId};
use rekey::store::Store;
use rekey::store::audit::{AuditKind, ChainReport, Outcome};
use rekey::store::outbox::OutboxMessage;
use std::sync::Arc;
use std::time::Duration;

const ADA: &str = "ada@example.com";

struct Memory {
    _dir: tempfile::TempDir,
    clock: ManualClock,
    store: Store,
    directory: Arc<MemoryDirectory>,
    service: Arc<LocalService>,
}

impl Memory {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let clock = ManualClock::starting_at(T0);
        let shared: Arc<dyn Clock> = Arc::new(clock.clone());
        let directory = Arc::new(MemoryDirectory::new(shared.clone()));
        directory.add(&address(), "uid=ada", "Ada Lovelace", OLD_PASSWORD);
        let service = Arc::new(LocalService::new(
            store.clone(),
            directory.clone(),
            shared,
            quick_config(),
        ));
        Self {
            _dir: dir,
            clock,
            store,
            directory,
            service,
        }
    }

    async fn confirmed(&self) -> SessionId {
        let s = code_sent(self.service.as_ref(), ADA).await;
        let code = self
            .store
            .outbox()
            .unwrap()
            .into_iter()
            .filter_map(|m| match m.message {
                OutboxMessage::Code { code, .. } => Some(code),
                _ => None,
            })
            .next_back()
            .expect("a code was queued");
        self.service
            .confirm_code(&s, &secret(&code))
            .await
            .expect("confirmed");
        s
    }

    fn events(&self, kind: AuditKind) -> Vec<(Outcome, String)> {
        self.store
            .audit_events()
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == kind)
            .map(|e| (e.outcome, e.detail))
            .collect()
    }

    fn notices(&self) -> usize {
        self.store
            .outbox()
            .unwrap()
            .iter()
            .filter(|m| matches!(m.message, OutboxMessage::PasswordChanged { .. }))
            .count()
    }

    fn intact(&self) {
        assert!(matches!(
            self.store.verify_audit().unwrap(),
            ChainReport::Intact { .. }
        ));
    }
}

fn address() -> EmailAddress {
    EmailAddress::parse(ADA).unwrap()
}

#[tokio::test]
async fn a_change_that_landed_without_an_answer_is_found_and_finished() {
    let m = Memory::new();
    let s = m.confirmed().await;
    m.clock.advance(Duration::from_secs(5));
    m.directory.then(NextChange::LandThenLoseAnswer);
    let done = m
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .expect("the stamp shows the change");
    assert_eq!(done.stage, Stage::PasswordSet);
    assert_eq!(m.directory.changes_of(&address()), 1, "written once");
    let changed = m.events(AuditKind::PasswordChanged);
    assert_eq!(changed.len(), 1);
    assert!(
        changed[0].1.contains("seen in its change stamp"),
        "{changed:?}"
    );
    assert_eq!(m.notices(), 1);
    assert!(m.store.change_intents().unwrap().is_empty());
    m.intact();
}

#[tokio::test]
async fn a_lost_answer_that_changed_nothing_says_try_again_and_keeps_the_code() {
    let m = Memory::new();
    let s = m.confirmed().await;
    m.directory.then(NextChange::Fail(DirectoryError::NoAnswer(
        "the connection dropped before the server read it".into(),
    )));
    match m
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
    {
        Err(ServiceError::DirectoryDown) => {}
        other => panic!("expected 'try again', got {other:?}"),
    }
    assert_eq!(m.directory.password_of(&address()).unwrap(), OLD_PASSWORD);
    assert!(m.events(AuditKind::PasswordChanged).is_empty());
    assert_eq!(
        m.service.flow_status(&s).await.unwrap().stage,
        Stage::CodeConfirmed
    );
    let done = m
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .expect("the second try");
    assert_eq!(done.stage, Stage::PasswordSet);
    assert_eq!(m.events(AuditKind::PasswordChanged).len(), 1);
    m.intact();
}

#[tokio::test]
async fn when_nothing_can_tell_the_person_is_not_told_changed_and_the_operator_sees_it() {
    let m = Memory::new();
    let s = m.confirmed().await;
    m.directory.then(NextChange::LandThenGoAway);
    match m
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
    {
        Err(ServiceError::ChangeUnconfirmed) => {}
        other => panic!("expected 'could not confirm', got {other:?}"),
    }
    let unknown = m.events(AuditKind::PasswordChangeUnknown);
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    assert_eq!(unknown[0].0, Outcome::Unknown);
    assert_eq!(m.store.change_intents().unwrap().len(), 1, "kept to settle");
    // Asking again while the directory is still away adds no second event.
    assert_eq!(m.service.resolve_pending_changes().await.unwrap(), 0);
    assert_eq!(m.events(AuditKind::PasswordChangeUnknown).len(), 1);
    assert!(m.events(AuditKind::PasswordChanged).is_empty());
    // The directory is back: the change is found and recorded once.
    m.directory.stamps_fail(false);
    assert_eq!(m.service.resolve_pending_changes().await.unwrap(), 1);
    let changed = m.events(AuditKind::PasswordChanged);
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert!(changed[0].1.contains("found after the fact"));
    assert_eq!(m.notices(), 1);
    assert!(m.store.change_intents().unwrap().is_empty());
    assert_eq!(
        m.service.flow_status(&s).await.unwrap().stage,
        Stage::PasswordSet
    );
    m.intact();
}

#[tokio::test]
async fn a_retry_in_the_same_session_after_an_unconfirmed_change_is_not_made_twice() {
    let m = Memory::new();
    let s = m.confirmed().await;
    m.directory.then(NextChange::LandThenGoAway);
    assert!(matches!(
        m.service
            .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
            .await,
        Err(ServiceError::ChangeUnconfirmed)
    ));
    m.directory.stamps_fail(false);
    // The person presses Enter again: the earlier change is found, and the
    // password typed is the one that works.
    let done = m
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .expect("finished");
    assert_eq!(done.stage, Stage::PasswordSet);
    assert_eq!(m.directory.changes_of(&address()), 1, "not written twice");
    assert_eq!(m.events(AuditKind::PasswordChanged).len(), 1);
    assert_eq!(m.notices(), 1);
    m.intact();
}

#[tokio::test]
async fn without_any_stamp_a_retry_that_already_works_finishes_and_another_replaces_it() {
    let m = Memory::new();
    let s = m.confirmed().await;
    // No stamp before the write either: only the password itself can tell.
    m.directory.stamps_fail(true);
    m.directory.then(NextChange::LandThenLoseAnswer);
    assert!(matches!(
        m.service
            .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
            .await,
        Err(ServiceError::ChangeUnconfirmed)
    ));
    let done = m
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .expect("the typed password works");
    assert_eq!(done.stage, Stage::PasswordSet);
    assert_eq!(m.directory.changes_of(&address()), 1);
    let changed = m.events(AuditKind::PasswordChanged);
    assert!(changed[0].1.contains("typed again works"), "{changed:?}");

    // A second round whose lost change did not land: a retry with another
    // password replaces the unsettled one and goes through.
    m.clock.advance(Duration::from_secs(61));
    let s = m.confirmed().await;
    m.directory
        .then(NextChange::Fail(DirectoryError::NoAnswer("dropped".into())));
    assert!(matches!(
        m.service
            .set_password(&s, &secret(OLD_PASSWORD), &secret(OLD_PASSWORD))
            .await,
        Err(ServiceError::ChangeUnconfirmed)
    ));
    let other = "amber lanterns drift over quiet harbours";
    let done = m
        .service
        .set_password(&s, &secret(other), &secret(other))
        .await
        .expect("replaced");
    assert_eq!(done.stage, Stage::PasswordSet);
    assert_eq!(m.directory.password_of(&address()).unwrap(), other);
    let unknown = m.events(AuditKind::PasswordChangeUnknown);
    assert!(
        unknown
            .iter()
            .any(|e| e.1.contains("replaced by a new try")),
        "{unknown:?}"
    );
    assert!(m.store.change_intents().unwrap().is_empty());
    m.intact();
}

#[tokio::test]
async fn a_refusal_changes_nothing_and_keeps_the_confirmation() {
    let m = Memory::new();
    let s = m.confirmed().await;
    m.directory.then(NextChange::Answer(ChangeVerdict::Refused {
        refusal: Refusal::InHistory,
        detail: "result 19 Password is in history of old passwords".into(),
    }));
    match m
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
    {
        Err(ServiceError::DirectoryRefused(Refusal::InHistory)) => {}
        other => panic!("{other:?}"),
    }
    let refused = m.events(AuditKind::PasswordRefused);
    assert!(
        refused[0].1.contains("Password is in history"),
        "{refused:?}"
    );
    assert!(m.store.change_intents().unwrap().is_empty());
    assert_eq!(m.directory.password_of(&address()).unwrap(), OLD_PASSWORD);
    let ok = "amber lanterns drift over quiet harbours";
    assert_eq!(
        m.service
            .set_password(&s, &secret(ok), &secret(ok))
            .await
            .unwrap()
            .stage,
        Stage::PasswordSet
    );
}

#[tokio::test]
async fn an_intent_nobody_can_settle_is_given_up_after_a_day_with_the_operator_told() {
    let m = Memory::new();
    let s = m.confirmed().await;
    m.directory.then(NextChange::LandThenLoseAnswer);
    m.directory.stamps_fail(true);
    let _ = m
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await;
    m.clock.advance(Duration::from_secs(25 * 3600));
    m.service.resolve_pending_changes().await.unwrap();
    assert!(m.store.change_intents().unwrap().is_empty());
    let unknown = m.events(AuditKind::PasswordChangeUnknown);
    assert_eq!(unknown.len(), 2, "{unknown:?}");
    assert!(unknown[1].1.contains("given up after 24 hours"));
    assert!(m.events(AuditKind::PasswordChanged).is_empty());
    m.intact();
}
