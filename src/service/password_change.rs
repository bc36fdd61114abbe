//! Setting the new password where the account lives.
//!
//! rekey's own accounts change in the same sled transaction as rekey's
//! steps (the session ends, the audit event, the notice mail). An external
//! directory cannot share that transaction, so a change there is three
//! steps: an intent is recorded, the directory is asked, and the outcome
//! is recorded with rekey's steps. An intent that a crash or a lost answer
//! leaves behind is resolved from the directory's change stamp (read just
//! before the write, and again after): the person is never told "changed"
//! when it was not, and a change that happened is never left out of the
//! audit trail.

use super::{LocalService, ServiceError};
use crate::directory::{
    Account, ChangeStamp, ChangeVerdict, DirectoryError, Password, PasswordStep, Refusal, StampSays,
};
use crate::recovery::hashing::hash_secret;
use crate::recovery::{EmailAddress, FlowError, FlowView, Millis, PasswordVerdict};
use crate::store::audit::{AuditDraft, AuditKind};
use crate::store::changes::ChangeIntent;
use crate::store::outbox::OutboxMessage;
use crate::store::{StoreTx, TxResult, abort, map_abort};
use std::sync::PoisonError;
use zeroize::Zeroizing;

/// An intent nobody could resolve for this long is given up on, with an
/// "outcome unknown" event left for the operator.
const GIVE_UP_AFTER_MS: Millis = 24 * 3600 * 1000;

/// After the directory made (or may have made) the change, a store that
/// cannot save must not tell the person "nothing was changed": the intent
/// is on disk, and the daemon settles it once it can save again.
fn made_anyway(e: ServiceError) -> ServiceError {
    match e {
        ServiceError::CannotSave | ServiceError::NotSaved | ServiceError::StoreDown => {
            ServiceError::ChangeUnconfirmed
        }
        other => other,
    }
}

/// What became of a change whose answer was lost.
enum Resolution {
    Changed,
    NotChanged,
    Unknown(String),
}

impl LocalService {
    /// Checks the new password against rekey's policy, then sets it in the
    /// directory.
    pub(super) async fn change_password(
        &self,
        id: &str,
        password: &str,
    ) -> Result<FlowView, ServiceError> {
        let (address, name) = self.confirmed_address(id)?;
        let verdict = self.verdict(&address, &name, password).await?;
        if self.directory.own_accounts().is_some() {
            return self.change_own(id, &address, verdict, password).await;
        }
        if !verdict.passes() {
            return Err(self.refuse(id, &address, verdict));
        }
        let account = match self.directory.find(&address).await {
            Ok(Some(account)) => account,
            // The account went away since the code was confirmed.
            Ok(None) => return Err(ServiceError::Flow(FlowError::Ended)),
            Err(e) => {
                let detail = format!("{}: {e}", self.directory.describe());
                self.audit_refusal(id, &address, detail)?;
                return Err(e.into());
            }
        };
        let password = Password::from(password.to_string());
        // One change of an address at a time in this process: a second
        // submission meanwhile is told one is on its way, and the
        // resolver leaves this one alone.
        let Some(_claim) = self.claim(address.as_str()) else {
            return Err(ServiceError::ChangeInProgress);
        };
        // A change of this account still waiting for its outcome is
        // settled first: it may be this session's own earlier try.
        if let Some(view) = self.settle_earlier(id, &account, &password).await? {
            return Ok(view);
        }
        self.change_external(id, account, &password).await
    }

    fn refuse(&self, id: &str, address: &EmailAddress, verdict: PasswordVerdict) -> ServiceError {
        let failed: Vec<String> = verdict
            .failed_rules()
            .map(|rule| crate::operator::describe_failed_rule(rule, verdict.score))
            .collect();
        if let Err(e) = self.audit_refusal(id, address, failed.join("; ")) {
            return e;
        }
        ServiceError::PasswordRefused(Box::new(verdict))
    }

    /// rekey's own accounts: its history rule, the hash, and the change
    /// committed with rekey's steps in one transaction.
    async fn change_own(
        &self,
        id: &str,
        address: &EmailAddress,
        mut verdict: PasswordVerdict,
        password: &str,
    ) -> Result<FlowView, ServiceError> {
        let history = self.config().password.history;
        if verdict.passes() && history > 0 {
            let directory = self.directory.clone();
            let (who, pw) = (address.clone(), Zeroizing::new(password.to_string()));
            let reused = self
                .hashes
                .run(move || match directory.own_accounts() {
                    Some(own) => own.is_recent_password(&who, &pw, history),
                    None => Ok(false),
                })
                .await??;
            verdict = verdict.with_history_checked(reused);
        }
        if !verdict.passes() {
            return Err(self.refuse(id, address, verdict));
        }
        let cost = self.config().hash_cost();
        let pw = Zeroizing::new(password.to_string());
        let new_hash = self
            .hashes
            .run(move || hash_secret(pw.as_bytes(), &cost))
            .await??;
        let now = self.clock.now();
        let view = std::sync::Mutex::new(None);
        let step = |tx: &StoreTx<'_>| -> TxResult<(), DirectoryError> {
            let service_error = |e: ServiceError| match e {
                ServiceError::Flow(f) => DirectoryError::Step(f),
                _ => DirectoryError::Step(FlowError::NotConfirmed),
            };
            let answer = self.finish_session(tx, id, address, now, "");
            let answer = map_abort(answer, service_error)?;
            if let Ok(mut slot) = view.lock() {
                *slot = Some(answer);
            }
            Ok(())
        };
        let step: PasswordStep<'_> = &step;
        match self.directory.own_accounts() {
            // Taken but not made durable, the new password may be the one
            // after a restart: the person cannot be told either way.
            Some(own) => match own.set_password(address, &new_hash, step) {
                Err(DirectoryError::Store(e @ crate::store::StoreError::NotDurable(_))) => {
                    tracing::error!(account = %address, "a password change may not have reached the disk: {e}");
                    return Err(ServiceError::ChangeUnconfirmed);
                }
                other => other?,
            },
            None => return Err(ServiceError::Internal("the directory changed kind".into())),
        }
        self.mail_was_queued();
        let view = view.into_inner().ok().flatten();
        view.ok_or_else(|| ServiceError::Internal("the password step left no answer".into()))
    }

    /// rekey's steps after a change: this session's recovery is over, the
    /// notice is queued and the change is audited. Checked again here, so
    /// that two submissions racing set the password once.
    fn finish_session(
        &self,
        tx: &StoreTx<'_>,
        id: &str,
        address: &EmailAddress,
        now: Millis,
        detail: &str,
    ) -> TxResult<FlowView, ServiceError> {
        let limits = self.limits();
        let mut session = self.live_session(tx, id, now)?;
        let Some(flow) = super::local::session_flow(tx, &session, address)? else {
            return abort(ServiceError::Flow(FlowError::Ended));
        };
        if let Err(e) = session.may_set_password(&flow, now, &limits) {
            return abort(ServiceError::Flow(e));
        }
        session.password_set();
        tx.put_session(&session)?;
        queue_notice(tx, address, &session.language, &session.client, now)?;
        tx.audit(
            AuditDraft::new(AuditKind::PasswordChanged, Some(address), &session.client)
                .detail(detail),
            now,
        )?;
        let sends = tx.sends(address, &session.origin)?;
        Ok(session.overlay(&flow, flow.view(&sends, now, &limits), now, &limits))
    }

    /// An external directory: intent, write, outcome.
    async fn change_external(
        &self,
        id: &str,
        account: Account,
        password: &Password,
    ) -> Result<FlowView, ServiceError> {
        let address = account.address.clone();
        let before = self.directory.change_stamp(&account).await.ok();
        let now = self.clock.now();
        // The started event names the directory; the outcome names the entry.
        let started = format!("{}: {}", self.directory.describe(), account.id);
        let where_ = account.id.clone();
        let intent = self.store.transact(|tx| {
            let session = self.live_session(tx, id, now)?;
            let Some(flow) = super::local::session_flow(tx, &session, &address)? else {
                return abort(ServiceError::Flow(FlowError::Ended));
            };
            if let Err(e) = session.may_set_password(&flow, now, &self.limits()) {
                return abort(ServiceError::Flow(e));
            }
            // One change per address at a time: the key is the address.
            if tx.change_intent(address.as_str())?.is_some() {
                return abort(ServiceError::ChangeInProgress);
            }
            let intent = ChangeIntent {
                id: address.as_str().to_string(),
                account: account.clone(),
                session: id.to_string(),
                client: session.client.clone(),
                language: session.language.clone(),
                started_ms: now,
                before,
                reported_unknown: false,
            };
            tx.put_change_intent(&intent)?;
            tx.put_session(&session)?;
            tx.audit(
                AuditDraft::new(
                    AuditKind::PasswordChangeStarted,
                    Some(&address),
                    &session.client,
                )
                .detail(started.clone()),
                now,
            )?;
            Ok(intent)
        })?;
        let answer = self.directory.change_password(&account, password).await;
        let outcome = match answer {
            Ok(ChangeVerdict::Done) => self
                .record_changed(&intent, &where_)
                .map(Some)
                .map_err(made_anyway),
            Ok(ChangeVerdict::Refused { refusal, detail }) => self
                .record_not_changed(
                    &intent,
                    &format!("{where_}: {}: {detail}", refusal.as_str()),
                )
                .and(Err(refused(refusal))),
            Err(DirectoryError::NoAnswer(why)) => self.after_lost_answer(&intent, &why).await,
            Err(DirectoryError::NoAccount) => self
                .record_not_changed(&intent, &format!("{where_}: the entry is gone"))
                .and(Err(ServiceError::Flow(FlowError::Ended))),
            Err(other) => {
                tracing::warn!(entry = %account.id, "a password change failed: {other}");
                let down = matches!(other, DirectoryError::Unreachable(_));
                self.record_not_changed(&intent, &format!("{where_}: {other}"))
                    .and(Err(if down {
                        ServiceError::DirectoryDown
                    } else {
                        ServiceError::Internal(other.to_string())
                    }))
            }
        };
        match outcome? {
            Some(view) => {
                self.mail_was_queued();
                Ok(view)
            }
            None => Err(ServiceError::ChangeUnconfirmed),
        }
    }

    /// The directory took the request and no answer came: ask it.
    async fn after_lost_answer(
        &self,
        intent: &ChangeIntent,
        why: &str,
    ) -> Result<Option<FlowView>, ServiceError> {
        tracing::warn!(entry = %intent.account.id, "no answer to a password change: {why}");
        match self.resolve(intent).await {
            Resolution::Changed => self
                .record_changed(
                    intent,
                    &format!("{}, seen in its change stamp", intent.account.id),
                )
                .map(Some)
                .map_err(made_anyway),
            Resolution::NotChanged => self
                .record_not_changed(
                    intent,
                    &format!("{}: {why}; not changed", intent.account.id),
                )
                .and(Err(ServiceError::DirectoryDown)),
            Resolution::Unknown(more) => {
                self.record_unknown(intent, &format!("{why}; {more}"))
                    .map_err(made_anyway)?;
                Ok(None)
            }
        }
    }

    /// A change of `account` still waiting for its outcome: resolved now.
    /// When it was this session's and it went through, the recovery is
    /// over: the answer is the finished view if `password` is the one that
    /// works now.
    async fn settle_earlier(
        &self,
        id: &str,
        account: &Account,
        password: &Password,
    ) -> Result<Option<FlowView>, ServiceError> {
        let key = account.address.as_str();
        let earlier = self
            .store
            .transact(|tx| -> TxResult<_, ServiceError> { Ok(tx.change_intent(key)?) })?;
        let Some(intent) = earlier else {
            return Ok(None);
        };
        let own = intent.session == id;
        match self.resolve_one(intent.clone()).await? {
            Some(view) if own => {
                if self.directory.verify_password(account, password).await? {
                    Ok(Some(view))
                } else {
                    Err(ServiceError::Flow(FlowError::Ended))
                }
            }
            Some(_) => Ok(None),
            None => self.after_unsettled(id, &intent, account, password).await,
        }
    }

    /// The earlier change is still unsettled (or was found not made). If
    /// the password typed now already works, that change went through with
    /// it; otherwise the new try replaces it, and the earlier one stays
    /// "outcome unknown" in the audit trail.
    async fn after_unsettled(
        &self,
        id: &str,
        intent: &ChangeIntent,
        account: &Account,
        password: &Password,
    ) -> Result<Option<FlowView>, ServiceError> {
        let still = self
            .store
            .transact(|tx| -> TxResult<_, ServiceError> { Ok(tx.change_intent(&intent.id)?) })?;
        if still.is_none() {
            return Ok(None);
        }
        if intent.session == id && self.directory.verify_password(account, password).await? {
            let detail = format!(
                "{}: the password typed again works, so the earlier change went through",
                intent.account.id
            );
            return self
                .record_changed(intent, &detail)
                .map(Some)
                .map_err(made_anyway);
        }
        let now = self.clock.now();
        self.store.transact(|tx| -> TxResult<(), ServiceError> {
            tx.remove_change_intent(&intent.id)?;
            tx.audit(
                unknown_event(
                    intent,
                    &format!("{}: replaced by a new try", intent.account.id),
                ),
                now,
            )?;
            Ok(())
        })?;
        Ok(None)
    }

    /// Settles waiting changes at start and every minute, until `stop`.
    pub async fn resolve_changes_until(
        self: std::sync::Arc<Self>,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            if let Err(e) = self.resolve_pending_changes().await {
                tracing::warn!("settling password changes failed: {e}");
            }
            tokio::select! {
                _ = tokio::time::sleep(std::time::Duration::from_secs(60)) => {}
                _ = stop.changed() => return,
            }
        }
    }

    /// Settles every change left waiting by an earlier run (or by a lost
    /// answer): at start, and then every minute.
    pub async fn resolve_pending_changes(&self) -> Result<usize, ServiceError> {
        let mut settled = 0;
        // On a fleet's shared store another daemon may be making a change
        // right now, and settles it itself: only one older than any change
        // can take is anyone else's to settle. A change may connect, bind,
        // search and write, each within the directory's time limit and
        // each tried twice, then the directory may apply it late; two
        // minutes more cover waits for the store and the daemons' clocks
        // (which NTP keeps within a second).
        let running_ms = if self.store.is_shared() {
            let config = self.config();
            (config.directory.timeout_secs * 10_000)
                .saturating_add(self.directory.late_write_ms())
                .saturating_add(120_000)
        } else {
            0
        };
        let now = self.clock.now();
        for intent in self.store.change_intents()? {
            if now.saturating_sub(intent.started_ms) < running_ms {
                continue;
            }
            // A change running now in this process settles its own intent.
            let Some(_claim) = self.claim(&intent.id) else {
                continue;
            };
            // One that fails is tried again next time; the others go on.
            match self.resolve_one(intent).await {
                Ok(Some(_)) => settled += 1,
                Ok(None) => {}
                Err(e) => tracing::warn!("settling a password change failed: {e}"),
            }
        }
        Ok(settled)
    }

    /// Settles one intent. `Some(view)` when it had changed the password
    /// (the view is its session's, finished).
    async fn resolve_one(&self, intent: ChangeIntent) -> Result<Option<FlowView>, ServiceError> {
        match self.resolve(&intent).await {
            Resolution::Changed => {
                let view = self.record_changed(
                    &intent,
                    &format!(
                        "{}, found after the fact in its change stamp",
                        intent.account.id
                    ),
                )?;
                self.mail_was_queued();
                Ok(Some(view))
            }
            Resolution::NotChanged => {
                self.record_not_changed(
                    &intent,
                    &format!(
                        "{}: the change did not reach the directory",
                        intent.account.id
                    ),
                )?;
                Ok(None)
            }
            Resolution::Unknown(why) => {
                if self.clock.now().saturating_sub(intent.started_ms) >= GIVE_UP_AFTER_MS {
                    self.give_up(&intent, &why)?;
                } else if !intent.reported_unknown {
                    self.record_unknown(&intent, &why)?;
                }
                Ok(None)
            }
        }
    }

    async fn resolve(&self, intent: &ChangeIntent) -> Resolution {
        let Some(before) = intent.before else {
            return Resolution::Unknown(
                "its change stamp could not be read before the write".into(),
            );
        };
        let late = self.directory.late_write_ms();
        let last_write_ms = intent.started_ms.saturating_add(late);
        match self.directory.change_stamp(&intent.account).await {
            Ok(after) => match after.compared_with(&before, intent.started_ms, last_write_ms) {
                StampSays::Changed => Resolution::Changed,
                // The server may still apply a request it got.
                StampSays::Unchanged if self.clock.now() < last_write_ms => Resolution::Unknown(
                    format!("the directory may still apply it for {} s", late / 1000),
                ),
                StampSays::Unchanged => Resolution::NotChanged,
                StampSays::CannotTell => Resolution::Unknown(format!(
                    "its change stamp is too coarse to tell ({})",
                    describe_stamp(&after)
                )),
            },
            Err(e) => Resolution::Unknown(format!("its change stamp cannot be read: {e}")),
        }
    }

    /// The change happened: the intent goes, rekey's steps are taken, and
    /// the session (if it lives) sees its recovery finished.
    fn record_changed(
        &self,
        intent: &ChangeIntent,
        detail: &str,
    ) -> Result<FlowView, ServiceError> {
        let now = self.clock.now();
        let address = &intent.account.address;
        self.store.transact(|tx| {
            if tx.change_intent(&intent.id)?.is_none() {
                return abort(ServiceError::Internal(
                    "the change was settled twice".into(),
                ));
            }
            tx.remove_change_intent(&intent.id)?;
            match self.finish_session(tx, &intent.session, address, now, detail) {
                Ok(view) => Ok(view),
                // The session ended meanwhile: rekey's steps still happen.
                Err(sled::transaction::ConflictableTransactionError::Abort(_)) => {
                    if let Some(mut session) = tx.session(&intent.session)? {
                        session.password_set();
                        tx.put_session(&session)?;
                    }
                    queue_notice(tx, address, &intent.language, &intent.client, now)?;
                    tx.audit(
                        AuditDraft::new(AuditKind::PasswordChanged, Some(address), &intent.client)
                            .detail(detail),
                        now,
                    )?;
                    Ok(finished_view())
                }
                Err(other) => Err(other),
            }
        })
    }

    /// The change did not happen: the intent goes, and the refusal is
    /// audited. The session keeps its confirmation, so the person can try
    /// again.
    fn record_not_changed(&self, intent: &ChangeIntent, detail: &str) -> Result<(), ServiceError> {
        let now = self.clock.now();
        self.store.transact(|tx| {
            tx.remove_change_intent(&intent.id)?;
            tx.audit(
                AuditDraft::new(
                    AuditKind::PasswordRefused,
                    Some(&intent.account.address),
                    &intent.client,
                )
                .refused(detail),
                now,
            )?;
            Ok(())
        })
    }

    fn record_unknown(&self, intent: &ChangeIntent, why: &str) -> Result<(), ServiceError> {
        let now = self.clock.now();
        self.store.transact(|tx| {
            let Some(mut stored) = tx.change_intent(&intent.id)? else {
                return Ok(());
            };
            stored.reported_unknown = true;
            tx.put_change_intent(&stored)?;
            tx.audit(
                unknown_event(
                    intent,
                    &format!("{}: {why}; rekey keeps asking", intent.account.id),
                ),
                now,
            )?;
            Ok(())
        })
    }

    fn give_up(&self, intent: &ChangeIntent, why: &str) -> Result<(), ServiceError> {
        let now = self.clock.now();
        self.store.transact(|tx| {
            tx.remove_change_intent(&intent.id)?;
            tx.audit(
                unknown_event(
                    intent,
                    &format!("{}: {why}; given up after 24 hours", intent.account.id),
                ),
                now,
            )?;
            Ok(())
        })
    }

    /// Marks `key`'s change as being worked on in this process, until the
    /// claim is dropped (a panic included); `None` when it already is.
    fn claim(&self, key: &str) -> Option<Claim<'_>> {
        let mut set = self
            .changes_in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        set.insert(key.to_string()).then(|| Claim {
            service: self,
            key: key.to_string(),
        })
    }
}

/// An address whose change this process is working on.
struct Claim<'a> {
    service: &'a LocalService,
    key: String,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.service
            .changes_in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

fn unknown_event(intent: &ChangeIntent, detail: &str) -> AuditDraft {
    let mut draft = AuditDraft::new(
        AuditKind::PasswordChangeUnknown,
        Some(&intent.account.address),
        &intent.client,
    )
    .detail(detail);
    draft.outcome = crate::store::audit::Outcome::Unknown;
    draft
}

fn queue_notice(
    tx: &StoreTx<'_>,
    address: &EmailAddress,
    language: &str,
    client: &str,
    now: Millis,
) -> Result<(), crate::store::TxFault> {
    tx.queue_mail(
        address,
        language,
        OutboxMessage::PasswordChanged {
            at_ms: now,
            client: client.to_string(),
        },
        now,
    )
    .map(|_| ())
}

/// What a session whose record is gone would have seen.
fn finished_view() -> FlowView {
    FlowView {
        stage: crate::recovery::Stage::PasswordSet,
        code: None,
        resend: crate::recovery::ResendStatus::Ready,
        ticket: None,
        mail: None,
    }
}

fn refused(refusal: Refusal) -> ServiceError {
    match refusal {
        Refusal::Unreachable => ServiceError::DirectoryDown,
        other => ServiceError::DirectoryRefused(other),
    }
}

fn describe_stamp(stamp: &ChangeStamp) -> String {
    match stamp.at_ms {
        Some(at) => format!(
            "last change {} to within {} s",
            crate::recovery::clock::format_time(at),
            stamp.precision_ms / 1000
        ),
        None => "no change recorded".into(),
    }
}
