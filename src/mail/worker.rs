//! The outbox worker: takes queued mail out of the store, delivers it, and
//! records the outcome. A failed delivery is retried with exponential
//! backoff and jitter until `max_tries`; then the message is abandoned with
//! its last error for the operator to see. Mail queued before a restart goes
//! out when the worker runs again.

use super::templates::render;
use super::{DeliveryError, MailSettings, Transport};
use crate::recovery::{Clock, Millis};
use crate::store::audit::{AuditDraft, AuditKind};
use crate::store::outbox::{OutboxMessage, OutboxRecord, OutboxState};
use crate::store::{Store, StoreError, TxResult};
use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How often the worker looks for due mail when nobody wakes it.
const POLL: Duration = Duration::from_secs(1);
/// How often delivered mail past its retention is removed.
const FORGET_EVERY: Duration = Duration::from_secs(600);

pub struct OutboxWorker {
    store: Store,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    settings: MailSettings,
    wake: Arc<Notify>,
    delivered: watch::Sender<u64>,
    dkim: Option<lettre::message::dkim::DkimConfig>,
}

impl OutboxWorker {
    pub fn new(
        store: Store,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        settings: MailSettings,
    ) -> Self {
        Self {
            store,
            transport,
            clock,
            settings,
            wake: Arc::new(Notify::new()),
            delivered: watch::channel(0).0,
            dkim: None,
        }
    }

    /// Signs every message with DKIM.
    pub fn with_dkim(mut self, dkim: Option<lettre::message::dkim::DkimConfig>) -> Self {
        self.dkim = dkim;
        self
    }

    /// Notify this when mail is queued, to have it sent at once.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// Counts delivered messages; changes after each delivery.
    pub fn deliveries(&self) -> watch::Receiver<u64> {
        self.delivered.subscribe()
    }

    /// Delivers until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut last_forget: Option<std::time::Instant> = None;
        loop {
            // A store fault is retried on the next round.
            let _ = self.deliver_due().await;
            if last_forget.is_none_or(|at| at.elapsed() >= FORGET_EVERY) {
                last_forget = Some(std::time::Instant::now());
                match self.forget_delivered().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(files = n, "delivered mail past its retention removed"),
                    Err(e) => tracing::warn!("{e}"),
                }
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = stop.changed() => {}
            }
            if *stop.borrow() {
                return;
            }
        }
    }

    /// Removes what the transport kept of mail delivered longer ago than
    /// `mail.keep_delivered_days`.
    pub async fn forget_delivered(&self) -> Result<usize, String> {
        let cutoff_ms = self
            .clock
            .now()
            .saturating_sub(self.settings.keep_delivered_ms());
        let cutoff = std::time::UNIX_EPOCH + Duration::from_millis(cutoff_ms);
        self.transport.forget_delivered(cutoff).await
    }

    /// Delivers every queued message that is due; returns how many went.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let due: Vec<OutboxRecord> = self
            .store
            .pending_outbox()?
            .into_iter()
            .filter(|r| match r.state {
                OutboxState::Queued => r.next_try_ms <= now,
                OutboxState::Sending { since_ms } => {
                    now.saturating_sub(since_ms) >= self.stale_ms()
                }
                _ => false,
            })
            .collect();
        let mut sent = 0;
        for record in due {
            if let OutboxMessage::Code { lifetime_secs, .. }
            | OutboxMessage::Probe { lifetime_secs } = &record.message
            {
                let dead_at = record
                    .created_ms
                    .saturating_add(lifetime_secs.saturating_mul(1000));
                if now >= dead_at {
                    // A code past its lifetime is of no use to anyone.
                    self.give_up(record.id, "the code expired before it could be delivered")?;
                    continue;
                }
            }
            // Recorded before the transport is called, so that a process
            // dying mid-delivery leaves a trace, and a second worker skips it.
            if !self.mark_sending(&record, now)? {
                continue;
            }
            let outcome = match self.envelope(&record) {
                Ok(None) => match self.probe_envelope(&record) {
                    Ok(envelope) => self.transport.rehearse(&envelope).await,
                    Err(message) => Err(DeliveryError {
                        message,
                        permanent: true,
                        server_fault: false,
                    }),
                },
                Ok(Some(message)) => self.transport.deliver(&key(&record), &message).await,
                Err(e) => Err(DeliveryError {
                    message: e,
                    permanent: true,
                    server_fault: false,
                }),
            };
            let delivered =
                outcome.is_ok() && !matches!(record.message, OutboxMessage::Probe { .. });
            self.record_outcome(record.id, outcome)?;
            if delivered {
                sent += 1;
                self.delivered.send_modify(|n| *n += 1);
            }
        }
        Ok(sent)
    }

    /// The envelope a probe rehearses: the one its code mail would have.
    fn probe_envelope(&self, record: &OutboxRecord) -> Result<lettre::address::Envelope, String> {
        let from: lettre::Address = self
            .settings
            .from
            .parse::<Mailbox>()
            .map_err(|e| {
                format!(
                    "the From address {:?} is not valid: {e}",
                    self.settings.from
                )
            })?
            .email;
        let to: lettre::Address = record
            .to
            .as_str()
            .parse()
            .map_err(|e| format!("the address is not deliverable: {e}"))?;
        lettre::address::Envelope::new(Some(from), vec![to]).map_err(|e| e.to_string())
    }

    /// The message to deliver; `None` for a probe.
    fn envelope(&self, record: &OutboxRecord) -> Result<Option<Message>, String> {
        let Some(mail) = render(record, &jiff::tz::TimeZone::system()) else {
            return Ok(None);
        };
        let from: Mailbox = self.settings.from.parse().map_err(|e| {
            format!(
                "the From address {:?} is not valid: {e}",
                self.settings.from
            )
        })?;
        let to: Mailbox = record
            .to
            .as_str()
            .parse()
            .map_err(|e| format!("the address is not deliverable: {e}"))?;
        let domain = from.email.domain().to_string();
        let part = |text: String, kind: ContentType| {
            let body = Body::new_with_encoding(text.clone(), ContentTransferEncoding::EightBit)
                .unwrap_or_else(|_| Body::new(text));
            SinglePart::builder().header(kind).body(body)
        };
        let alternative = MultiPart::alternative()
            .singlepart(part(mail.text, ContentType::TEXT_PLAIN))
            .singlepart(part(mail.html, ContentType::TEXT_HTML));
        Message::builder()
            .from(from)
            .to(to)
            .subject(mail.subject)
            // Stable across retries, so a receiver can recognise a repeat.
            .message_id(Some(format!(
                "<{}.{}@{domain}>",
                key(record),
                record.created_ms
            )))
            .date_now()
            .multipart(alternative)
            .map_err(|e| format!("the message cannot be built: {e}"))
            .map(|mut message| {
                if let Some(dkim) = &self.dkim {
                    message.sign(dkim);
                }
                Some(message)
            })
    }

    /// How long a message may stay in `Sending` before it counts as left
    /// behind by a process that died.
    fn stale_ms(&self) -> Millis {
        self.settings
            .smtp_timeout_secs
            .saturating_mul(2000)
            .max(10_000)
    }

    /// Moves `record` to `Sending` if it is still as it was read; returns
    /// false when something else (another daemon's worker) got to it first.
    fn mark_sending(&self, record: &OutboxRecord, now: Millis) -> Result<bool, StoreError> {
        self.store.transact(|tx| -> TxResult<bool, StoreError> {
            let Some(mut current) = tx.claim_outbox_record(record.id)? else {
                return Ok(false);
            };
            if current.state != record.state {
                return Ok(false);
            }
            current.state = OutboxState::Sending { since_ms: now };
            tx.put_outbox_record(&current)?;
            Ok(true)
        })
    }

    fn give_up(&self, id: u64, why: &str) -> Result<(), StoreError> {
        let now = self.clock.now();
        self.store.transact(|tx| -> TxResult<(), StoreError> {
            let Some(mut record) = tx.outbox_record(id)? else {
                return Ok(());
            };
            record.state = OutboxState::Abandoned { at_ms: now };
            record.last_error = Some(why.to_string());
            redact(&mut record.message);
            tx.put_outbox_record(&record)?;
            Ok(())
        })
    }

    fn record_outcome(
        &self,
        id: u64,
        outcome: Result<String, DeliveryError>,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let settings = self.settings.clone();
        let jitter = jitter_fraction();
        self.store.transact(|tx| -> TxResult<(), StoreError> {
            let Some(mut record) = tx.outbox_record(id)? else {
                return Ok(());
            };
            record.tries += 1;
            let mut health = tx.mail_health()?;
            match &outcome {
                Ok(_) => health.last_ok_ms = now,
                Err(e) if e.server_fault => health.last_failure_ms = now,
                Err(_) => {}
            }
            tx.put_mail_health(&health)?;
            match &outcome {
                // Delivered: out of the outbox, into the audit trail (a
                // probe is no mail, and leaves no trace but mail health).
                // The store keeps work in progress, not a week of sends.
                Ok(_) => {
                    tx.remove_outbox_record(id)?;
                    if let Some(kind) = mail_kind(&record.message) {
                        tx.audit(
                            AuditDraft::new(AuditKind::MailSent, Some(&record.to), "outbox")
                                .detail(format!("message {id} ({kind}), try {}", record.tries)),
                            now,
                        )?;
                    }
                    return Ok(());
                }
                Err(e) => {
                    record.last_error = Some(e.message.clone());
                    if e.permanent || record.tries >= settings.max_tries {
                        record.state = OutboxState::Abandoned { at_ms: now };
                        redact(&mut record.message);
                    } else {
                        record.state = OutboxState::Queued;
                        record.next_try_ms = now + backoff_ms(&settings, record.tries, jitter);
                    }
                }
            }
            tx.put_outbox_record(&record)?;
            Ok(())
        })
    }
}

/// A message that says only that rekey can send mail, for `rekey mail test`.
pub fn test_message(settings: &MailSettings, to: &str) -> Result<Message, String> {
    let from: Mailbox = settings
        .from
        .parse()
        .map_err(|e| format!("the From address {:?} is not valid: {e}", settings.from))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("the address {to:?} is not valid: {e}"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject("rekey test message")
        .date_now()
        .header(ContentType::TEXT_PLAIN)
        .body(String::from(
            "This message was sent by `rekey mail test`: rekey can deliver mail.\n",
        ))
        .map_err(|e| format!("the message cannot be built: {e}"))
}

/// The name a message has in every transport: stable across retries.
pub fn key(record: &OutboxRecord) -> String {
    format!("rekey-{:010}", record.id)
}

/// What a message is, as `rekey outbox list` and the audit trail say it;
/// `None` for a probe, which is no mail.
pub fn mail_kind(message: &OutboxMessage) -> Option<&'static str> {
    match message {
        OutboxMessage::Code { .. } => Some("code"),
        OutboxMessage::PasswordChanged { .. } => Some("password-changed"),
        OutboxMessage::UnknownAddress => Some("unknown-address"),
        OutboxMessage::Probe { .. } => None,
    }
}

/// A code has no business in the store once its mail is given up.
fn redact(message: &mut OutboxMessage) {
    if let OutboxMessage::Code { code, .. } = message {
        *code = String::new();
    }
}

/// The wait before try `tries + 1`: base × 2^(tries − 1), capped, then
/// shortened by up to a fifth at random so retries do not march in step.
fn backoff_ms(settings: &MailSettings, tries: u32, jitter: f64) -> Millis {
    let exponent = tries.saturating_sub(1).min(20);
    let plain = settings
        .retry_base_secs
        .saturating_mul(1 << exponent)
        .min(settings.retry_max_secs)
        .saturating_mul(1000);
    let cut = (plain as f64 * 0.2 * jitter) as u64;
    plain - cut.min(plain)
}

fn jitter_fraction() -> f64 {
    let mut byte = [0u8; 1];
    match getrandom::fill(&mut byte) {
        Ok(()) => f64::from(byte[0]) / 255.0,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_only_shortens() {
        let s = MailSettings::default();
        assert_eq!(backoff_ms(&s, 1, 0.0), 5_000);
        assert_eq!(backoff_ms(&s, 2, 0.0), 10_000);
        assert_eq!(backoff_ms(&s, 4, 0.0), 40_000);
        assert_eq!(backoff_ms(&s, 30, 0.0), 600_000);
        assert_eq!(backoff_ms(&s, 1, 1.0), 4_000);
    }
}
