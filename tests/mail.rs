//! The outbox worker on a real store: queued mail is written once as an
//! `.eml` file, the code is wiped from the store once delivered, and a
//! failing transport is retried with backoff, then abandoned with its error.

mod common;

use async_trait::async_trait;
use common::*;
use rekey::mail::{MailDir, MailSettings, OutboxWorker, Transport};
use rekey::recovery::Clock;
use rekey::store::audit::AuditKind;
use rekey::store::outbox::{OutboxMessage, OutboxState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

const ADA: &str = "ada@example.com";

fn worker(h: &Harness, transport: Arc<dyn Transport>) -> OutboxWorker {
    let clock: Arc<dyn Clock> = Arc::new(h.clock.clone());
    OutboxWorker::new(h.store.clone(), transport, clock, MailSettings::default())
}

#[tokio::test]
async fn a_code_mail_is_written_once_and_the_code_leaves_the_store() {
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    h.code_sent(ADA).await;
    let code = h.last_code(ADA);
    let mail_dir = h.dir.join("mail");
    let w = worker(&h, Arc::new(MailDir::new(&mail_dir)));
    let view_phrase = match &h.store.outbox().unwrap()[0].message {
        OutboxMessage::Code { phrase, .. } => phrase.clone(),
        _ => String::new(),
    };

    assert_eq!(w.deliver_due().await.unwrap(), 1);
    assert_eq!(w.deliver_due().await.unwrap(), 0, "nothing is sent twice");
    let files = eml_files(&mail_dir);
    assert_eq!(files.len(), 1);
    let raw = std::fs::read_to_string(&files[0]).unwrap();
    assert!(raw.contains("\r\nDate: "), "{raw}");
    assert!(raw.contains("From: rekey <rekey@localhost>"), "{raw}");
    assert!(raw.contains("Content-Type: multipart/alternative"), "{raw}");
    let mail = read_mail(&files[0]);
    assert_eq!(mail.to, ADA);
    assert!(
        mail.subject
            .starts_with("Your rekey verification code, with the words \""),
        "{mail:?}"
    );
    assert!(
        !mail.subject.contains(&code),
        "the code stays out of the subject"
    );
    assert!(mail.message_id.starts_with("rekey-"), "{mail:?}");
    assert!(
        mail.html.contains(&format!("<strong>{code}</strong>")),
        "{mail:?}"
    );
    assert!(
        mail.text
            .lines()
            .any(|l| l.trim_end() == format!("    {code}")),
        "{mail:?}"
    );

    // Delivered, the mail leaves the outbox with its code; the audit
    // trail keeps that it went, and no code.
    assert!(h.store.outbox().unwrap().is_empty());
    let trail = h.store.audit_events().unwrap();
    let sent = trail
        .iter()
        .find(|e| e.kind == AuditKind::MailSent)
        .unwrap_or_else(|| panic!("{trail:?}"));
    assert_eq!(sent.account.as_ref().map(|a| a.as_str()), Some(ADA));
    assert!(sent.detail.ends_with("(code), try 1"), "{sent:?}");
    assert!(!serde_json::to_string(&trail).unwrap().contains(&code));
    assert!(
        mail.text.contains(&format!("\"{view_phrase}\"")),
        "{mail:?}"
    );
}

#[tokio::test]
async fn swedish_mail_for_a_swedish_session() {
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let s = h.service.open_session("t", "sv").await.unwrap();
    use rekey::service::RecoveryService;
    h.service.submit_address(&s, ADA).await.unwrap();
    h.service
        .check_slide(&s, &human_slide(&h.config.slide))
        .await
        .unwrap();
    h.service.request(&s).await.unwrap();
    h.service.choose_email(&s).await.unwrap();
    h.service.send_code(&s).await.unwrap();
    let mail_dir = h.dir.join("mail");
    worker(&h, Arc::new(MailDir::new(&mail_dir)))
        .deliver_due()
        .await
        .unwrap();
    let mail = read_mail(&eml_files(&mail_dir)[0]);
    assert!(
        mail.subject
            .starts_with("Din verifieringskod från rekey, med orden \""),
        "{mail:?}"
    );
    assert!(mail.text.contains("Din verifieringskod är:"), "{mail:?}");
}

/// Queues a "password changed" notice, a mail that does not expire.
fn queue_notice(h: &Harness) {
    let to = rekey::recovery::EmailAddress::parse(ADA).unwrap();
    h.store
        .transact(
            |tx| -> rekey::store::TxResult<(), rekey::store::StoreError> {
                let notice = OutboxMessage::PasswordChanged {
                    at_ms: T0,
                    client: "tty".into(),
                };
                tx.queue_mail(&to, "en", notice, T0)?;
                Ok(())
            },
        )
        .unwrap();
}

#[tokio::test]
async fn a_code_that_expired_before_delivery_is_not_sent() {
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    h.code_sent(ADA).await;
    let mail_dir = h.dir.join("mail");
    let w = worker(&h, Arc::new(MailDir::new(&mail_dir)));
    h.clock.advance(Duration::from_secs(600));
    assert_eq!(w.deliver_due().await.unwrap(), 0);
    assert!(eml_files(&mail_dir).is_empty());
    let record = h.store.outbox().unwrap().remove(0);
    assert!(matches!(record.state, OutboxState::Abandoned { .. }));
    assert!(record.last_error.unwrap().contains("expired"));
    assert!(matches!(record.message, OutboxMessage::Code { ref code, .. } if code.is_empty()));
}

struct Refusing {
    tries: AtomicU32,
}

#[async_trait]
impl Transport for Refusing {
    async fn deliver(
        &self,
        _key: &str,
        _message: &lettre::Message,
    ) -> Result<String, rekey::mail::DeliveryError> {
        self.tries.fetch_add(1, Ordering::SeqCst);
        Err(rekey::mail::DeliveryError::transient("421 try again later"))
    }
    fn describe(&self) -> String {
        "a server that refuses".into()
    }
    async fn check(&self) -> Result<(), String> {
        Err("421 try again later".into())
    }
}

#[tokio::test]
async fn a_failing_transport_is_retried_with_backoff_then_abandoned() {
    let h = Harness::new(quick_config());
    queue_notice(&h);
    let refusing = Arc::new(Refusing {
        tries: AtomicU32::new(0),
    });
    let w = worker(&h, refusing.clone());
    let settings = MailSettings::default();

    assert_eq!(w.deliver_due().await.unwrap(), 0);
    let record = h.store.outbox().unwrap().remove(0);
    assert_eq!(record.tries, 1);
    assert_eq!(record.last_error.as_deref(), Some("421 try again later"));
    assert!(record.next_try_ms > T0, "a retry waits");
    // Not due yet: no new try.
    w.deliver_due().await.unwrap();
    assert_eq!(refusing.tries.load(Ordering::SeqCst), 1);

    for _ in 1..settings.max_tries {
        h.clock
            .advance(Duration::from_secs(settings.retry_max_secs));
        w.deliver_due().await.unwrap();
    }
    assert_eq!(refusing.tries.load(Ordering::SeqCst), settings.max_tries);
    let record = h.store.outbox().unwrap().remove(0);
    assert!(
        matches!(record.state, OutboxState::Abandoned { .. }),
        "{record:?}"
    );
    assert_eq!(record.last_error.as_deref(), Some("421 try again later"));
    h.clock
        .advance(Duration::from_secs(settings.retry_max_secs));
    w.deliver_due().await.unwrap();
    assert_eq!(refusing.tries.load(Ordering::SeqCst), settings.max_tries);
}

#[tokio::test]
async fn an_operator_may_have_unknown_addresses_told_and_no_code_goes_out() {
    let mut config = quick_config();
    config.mail.notify_unknown_addresses = true;
    let h = Harness::new(config);
    h.code_sent("nobody@example.com").await;
    let outbox = h.store.outbox().unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].message, OutboxMessage::UnknownAddress);
    let mail_dir = h.dir.join("mail");
    worker(&h, Arc::new(MailDir::new(&mail_dir)))
        .deliver_due()
        .await
        .unwrap();
    let mail = read_mail(&eml_files(&mail_dir)[0]);
    assert_eq!(mail.to, "nobody@example.com");
    assert!(
        mail.text.contains("no account here uses this address"),
        "{mail:?}"
    );
}

#[tokio::test]
async fn the_screen_hears_how_mail_is_going_the_same_for_every_address() {
    use rekey::recovery::MailProgress;
    use rekey::service::RecoveryService;
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let known = h.code_sent(ADA).await;
    let unknown = h.code_sent("nobody@example.com").await;
    let progress = |view: rekey::recovery::FlowView| view.mail;
    for s in [&known, &unknown] {
        let view = h.service.flow_status(s).await.unwrap();
        assert_eq!(progress(view), Some(MailProgress::Sending));
    }
    h.clock.advance(Duration::from_secs(3));
    for s in [&known, &unknown] {
        let view = h.service.flow_status(s).await.unwrap();
        assert_eq!(progress(view), Some(MailProgress::Sent));
    }
    // Ada's mail fails to go out: both screens say mail is late.
    let refusing = Arc::new(Refusing {
        tries: AtomicU32::new(0),
    });
    worker(&h, refusing).deliver_due().await.unwrap();
    for s in [&known, &unknown] {
        let view = h.service.flow_status(s).await.unwrap();
        assert_eq!(progress(view), Some(MailProgress::Delayed));
    }
}

#[tokio::test]
async fn a_message_left_sending_by_a_dead_process_is_tried_again_later_once() {
    let h = Harness::new(quick_config());
    queue_notice(&h);
    // A process marked it Sending and died before recording the outcome.
    let mut record = h.store.outbox().unwrap().remove(0);
    record.state = OutboxState::Sending { since_ms: T0 };
    h.store
        .transact(
            |tx| -> rekey::store::TxResult<(), rekey::store::StoreError> {
                tx.put_outbox_record(&record)?;
                Ok(())
            },
        )
        .unwrap();
    let mail_dir = h.dir.join("mail");
    let w = worker(&h, Arc::new(MailDir::new(&mail_dir)));
    assert_eq!(
        w.deliver_due().await.unwrap(),
        0,
        "it may still be on its way"
    );
    h.clock.advance(Duration::from_secs(60));
    assert_eq!(
        w.deliver_due().await.unwrap(),
        1,
        "left behind: tried again"
    );
    assert_eq!(w.deliver_due().await.unwrap(), 0);
    assert_eq!(eml_files(&mail_dir).len(), 1);
}

struct RefusingOneMailbox;

#[async_trait]
impl Transport for RefusingOneMailbox {
    async fn deliver(
        &self,
        _key: &str,
        _message: &lettre::Message,
    ) -> Result<String, rekey::mail::DeliveryError> {
        Err(rekey::mail::DeliveryError {
            message: "552 mailbox full".into(),
            permanent: true,
            server_fault: false,
        })
    }
    fn describe(&self) -> String {
        "a server refusing one mailbox".into()
    }
}

#[tokio::test]
async fn an_answer_about_one_mailbox_does_not_make_the_screen_say_mail_is_late() {
    use rekey::recovery::MailProgress;
    use rekey::service::RecoveryService;
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    let known = h.code_sent(ADA).await;
    worker(&h, Arc::new(RefusingOneMailbox))
        .deliver_due()
        .await
        .unwrap();
    h.clock.advance(Duration::from_secs(3));
    let view = h.service.flow_status(&known).await.unwrap();
    assert_eq!(
        view.mail,
        Some(MailProgress::Sent),
        "as for an address without an account"
    );
}

/// Mail is failing (a real SMTP transport to a loopback port where nothing
/// listens): people typing known and unknown addresses in turn see the
/// same screens, "mail is late" included. An address without an account
/// has no mail, so its code queues a probe that tries the server instead.
#[tokio::test]
async fn while_mail_fails_known_and_unknown_addresses_see_the_same() {
    use rekey::recovery::MailProgress;
    use rekey::service::RecoveryService;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let settings = MailSettings {
        smtp_url: format!("smtp://127.0.0.1:{port}"),
        smtp_timeout_secs: 2,
        ..MailSettings::default()
    };
    let h = Harness::new(quick_config());
    let people = [
        "bob@example.com",
        "ada@example.com",
        "eve@example.com",
        "cy@example.com",
    ];
    h.add_account(people[1], "Ada", OLD_PASSWORD);
    h.add_account(people[3], "Cy", OLD_PASSWORD);
    let transport = rekey::mail::transport_for(&settings, &h.dir).unwrap();
    let clock: Arc<dyn Clock> = Arc::new(h.clock.clone());
    let w = OutboxWorker::new(h.store.clone(), transport, clock, settings);
    let mut seen = Vec::new();
    for address in people {
        let s = h.code_sent(address).await;
        w.deliver_due().await.unwrap();
        h.clock.advance(Duration::from_secs(3));
        let view = h.service.flow_status(&s).await.unwrap();
        seen.push((
            view.stage,
            view.mail,
            view.resend,
            view.code.map(|c| c.attempts_left),
        ));
    }
    assert_eq!(seen[0].1, Some(MailProgress::Delayed), "{seen:?}");
    assert!(seen.iter().all(|v| *v == seen[0]), "{seen:?}");
    // Nothing went to the addresses without an account.
    let outbox = h.store.outbox().unwrap();
    let to_unknown: Vec<_> = outbox
        .iter()
        .filter(|r| ["bob@example.com", "eve@example.com"].contains(&r.to.as_str()))
        .collect();
    assert_eq!(to_unknown.len(), 2);
    assert!(
        to_unknown
            .iter()
            .all(|r| matches!(r.message, OutboxMessage::Probe { .. })),
        "{to_unknown:?}"
    );
}

/// A delivered `.eml` file holds its code in clear: it is removed once it
/// is older than `mail.keep_delivered_days` (7), and not before.
#[tokio::test]
async fn delivered_mail_files_go_after_their_retention() {
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    h.code_sent(ADA).await;
    let mail_dir = h.dir.join("mail");
    let w = worker(&h, Arc::new(MailDir::new(&mail_dir)));
    assert_eq!(w.deliver_due().await.unwrap(), 1);
    let file = eml_files(&mail_dir).remove(0);
    // Written "now" on the test's clock.
    std::fs::File::options()
        .write(true)
        .open(&file)
        .unwrap()
        .set_modified(std::time::UNIX_EPOCH + Duration::from_millis(h.clock.now()))
        .unwrap();
    h.clock.advance(Duration::from_secs(7 * 24 * 3600 - 1));
    assert_eq!(w.forget_delivered().await.unwrap(), 0);
    assert!(file.exists());
    h.clock.advance(Duration::from_secs(2));
    assert_eq!(w.forget_delivered().await.unwrap(), 1);
    assert!(!file.exists());
    assert!(eml_files(&mail_dir).is_empty());
}
