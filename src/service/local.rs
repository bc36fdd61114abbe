//! The recovery service in the wizard's own process, on the store it
//! opened. Every step loads the session and the flow, applies the pure
//! rules of `recovery`, and writes the result with its audit event in one
//! transaction. Hashing goes through the [`HashPool`].

use super::{HashPool, RecoveryService, ServiceError, SessionId, SignInAnswer};
use crate::config::Config;
use crate::directory::Directory;
use crate::recovery::hashing::{hash_secret, verify_secret};
use crate::recovery::{
    Clock, Code, EmailAddress, Flow, FlowError, FlowView, Limits, Millis, NewCode, PasswordVerdict,
    Session, SlideEvidence, SlideVerdict, Stage, name_hints,
};
use crate::store::audit::{AuditDraft, AuditKind};
use crate::store::outbox::OutboxMessage;
use crate::store::{Store, StoreTx, TxResult, abort, random_id};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use zeroize::Zeroizing;

const SWEEP_EVERY_MS: Millis = 60_000;

pub struct LocalService {
    pub(super) store: Store,
    pub(super) directory: Arc<dyn Directory>,
    pub(super) hashes: HashPool,
    /// zxcvbn takes up to 0.7 s on hostile input: bounded like hashing.
    strength_checks: HashPool,
    pub(super) clock: Arc<dyn Clock>,
    /// Replaced whole when the daemon reloads its config.
    config: RwLock<Arc<Config>>,
    last_sweep: AtomicU64,
    /// A sweep is running: the next waits for its turn a minute later.
    sweeping: Arc<std::sync::atomic::AtomicBool>,
    mail_queued: Option<Arc<Notify>>,
    /// Change intents whose directory call is running in this process:
    /// not for the resolver to judge.
    pub(super) changes_in_flight: Mutex<HashSet<String>>,
}

/// The session's flow, if it follows one on `address`: a flow left from an
/// address the person since corrected is not theirs any more.
pub(super) fn session_flow(
    tx: &StoreTx<'_>,
    session: &Session,
    address: &EmailAddress,
) -> Result<Option<Flow>, crate::store::TxFault> {
    Ok(tx.flow(&session.id)?.filter(|f| f.address == *address))
}

/// A step's outcome that is still committed: the refusal is audited, so the
/// transaction must not abort.
type Committed<T> = Result<T, ServiceError>;

impl LocalService {
    pub fn new(
        store: Store,
        directory: Arc<dyn Directory>,
        clock: Arc<dyn Clock>,
        config: Config,
    ) -> Self {
        Self {
            hashes: HashPool::with_share(
                config.hashing.max_concurrent,
                config.hashing.origin_share(),
            ),
            strength_checks: HashPool::with_share(
                config.hashing.max_concurrent,
                config.hashing.origin_share(),
            ),
            store,
            directory,
            clock,
            config: RwLock::new(Arc::new(config)),
            last_sweep: AtomicU64::new(0),
            sweeping: Arc::default(),
            mail_queued: None,
            changes_in_flight: Mutex::default(),
        }
    }

    /// Wakes the outbox worker whenever a step queues mail.
    pub fn with_mail_waker(mut self, waker: Arc<Notify>) -> Self {
        self.mail_queued = Some(waker);
        self
    }

    pub(super) fn mail_was_queued(&self) {
        if let Some(waker) = &self.mail_queued {
            waker.notify_one();
        }
    }

    /// The settings every later step follows. The hash pools keep the
    /// size they started with.
    pub fn reload(&self, config: Config) {
        let mut slot = self.config.write().unwrap_or_else(PoisonError::into_inner);
        *slot = Arc::new(config);
    }

    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    pub fn hash_pool(&self) -> &HashPool {
        &self.hashes
    }

    pub(super) fn limits(&self) -> Limits {
        self.config().limits()
    }

    /// When a step that could reveal whether an account exists may answer.
    fn reply_floor(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.config().service.reply_floor_ms)
    }

    /// Loads a live session inside a transaction and marks it seen.
    pub(super) fn live_session(
        &self,
        tx: &StoreTx<'_>,
        id: &str,
        now: Millis,
    ) -> TxResult<Session, ServiceError> {
        let Some(mut session) = tx.session(id)? else {
            return abort(ServiceError::NoSession);
        };
        let idle_ms = self.config().service.session_idle_secs * 1000;
        if now.saturating_sub(session.seen_ms) >= idle_ms {
            return abort(ServiceError::NoSession);
        }
        session.seen_ms = now;
        Ok(session)
    }

    /// Runs a step on the session's flow: loads both, lets `step` change
    /// the flow, stores both. `step` returns what to answer; a refusal is
    /// still committed, with its audit event.
    fn flow_step<T>(
        &self,
        id: &str,
        step: impl Fn(
            &StoreTx<'_>,
            &mut Session,
            &mut Flow,
            Millis,
        ) -> TxResult<Committed<T>, ServiceError>,
    ) -> Result<T, ServiceError> {
        let now = self.clock.now();
        self.store.transact(|tx| {
            let mut session = self.live_session(tx, id, now)?;
            let address = match session.flow_address() {
                Ok(a) => a.clone(),
                Err(e) => return abort(ServiceError::Session(e)),
            };
            let Some(mut flow) = session_flow(tx, &session, &address)? else {
                return abort(ServiceError::Flow(FlowError::Ended));
            };
            let answer = step(tx, &mut session, &mut flow, now)?;
            tx.put_flow(&session.id, &flow)?;
            tx.put_session(&session)?;
            Ok(answer)
        })?
    }

    /// The flow as `session` sees it.
    fn view(
        &self,
        tx: &StoreTx<'_>,
        session: &Session,
        flow: &Flow,
        now: Millis,
    ) -> TxResult<FlowView, ServiceError> {
        let sends = tx.sends(&flow.address, &session.origin)?;
        let mut view = flow.view(&sends, now, &self.limits());
        if let (Some(_), Some(code)) = (&view.code, &flow.code) {
            let config = self.config();
            let mail = &config.mail;
            let window = (mail.retry_max_secs + mail.smtp_timeout_secs) * 1000;
            view.mail = Some(tx.mail_health()?.progress(code.issued_ms, now, window));
        }
        Ok(session.overlay(flow, view, now, &self.limits()))
    }

    /// The session's flow address and the account's name, when the code
    /// was confirmed by this session.
    pub(super) fn confirmed_address(
        &self,
        id: &str,
    ) -> Result<(EmailAddress, String), ServiceError> {
        let now = self.clock.now();
        self.store.transact(|tx| {
            let session = self.live_session(tx, id, now)?;
            let address = match session.flow_address() {
                Ok(a) => a.clone(),
                Err(e) => return abort(ServiceError::Session(e)),
            };
            let Some(flow) = session_flow(tx, &session, &address)? else {
                return abort(ServiceError::Flow(FlowError::NotConfirmed));
            };
            if let Err(e) = session.may_set_password(&flow, now, &self.limits()) {
                return abort(ServiceError::Flow(e));
            }
            tx.put_session(&session)?;
            Ok((address, flow.account_name))
        })
    }

    /// zxcvbn off the async threads, a bounded number at a time, with the address and the account's name
    /// as words the password should not be built from.
    pub(super) async fn verdict(
        &self,
        address: &EmailAddress,
        name: &str,
        password: &str,
    ) -> Result<PasswordVerdict, ServiceError> {
        let mut hints = address.password_hints();
        hints.extend(name_hints(name));
        let policy = self.password_policy();
        let password = Zeroizing::new(password.to_string());
        self.strength_checks
            .run(move || policy.assess(&password, &hints))
            .await
    }

    /// The password rules as this service enforces them: the history rule
    /// only where rekey keeps the history (its own accounts). An LDAP or
    /// AD directory checks its own history, or none (an administrator's
    /// reset in Samba AD checks none), so the meter never lists a rule
    /// nobody enforces.
    pub fn password_policy(&self) -> crate::recovery::PasswordPolicy {
        let mut policy = self.config().password;
        if self.directory.own_accounts().is_none() {
            policy.history = 0;
        }
        policy
    }

    /// At most once a minute, and one at a time, off the request path:
    /// moves the audit events of the last minute to the journal, forgets
    /// idle sessions, flows, spent send counts and old mail, and prunes
    /// the audit trail past its retention.
    fn sweep_sessions_now_and_then(&self, now: Millis) -> Result<(), ServiceError> {
        let last = self.last_sweep.load(Ordering::Relaxed);
        let due = now.saturating_sub(last) >= SWEEP_EVERY_MS
            && self
                .last_sweep
                .compare_exchange(last, now, Ordering::SeqCst, Ordering::Relaxed)
                .is_ok();
        if !due || self.sweeping.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let (store, config, sweeping) = (self.store.clone(), self.config(), self.sweeping.clone());
        tokio::task::spawn_blocking(move || {
            // One daemon of a fleet at a time; the others' turns pass.
            let _turn = match store.sweep_turn() {
                Ok(Some(turn)) => turn,
                Ok(None) => return sweeping.store(false, Ordering::SeqCst),
                Err(e) => {
                    tracing::warn!("the sweep waits: {e}");
                    return sweeping.store(false, Ordering::SeqCst);
                }
            };
            // Pruning settles first; without a retention, settle alone.
            if config.audit.keep_ms().is_none()
                && let Err(e) = store.settle_audit()
            {
                tracing::warn!("audit events could not be moved to the journal yet: {e}");
            }
            let idle_ms = config.service.session_idle_secs * 1000;
            let swept = store.sweep_sessions(now, idle_ms).and_then(|_| {
                store.sweep_flows(
                    now,
                    config.limits().flow_idle_ms,
                    config.mail.keep_delivered_ms(),
                )
            });
            if let Err(e) = swept {
                tracing::warn!("the sweep of idle records failed: {e}");
            }
            if let Some(keep_ms) = config.audit.keep_ms() {
                match store.prune_audit(now, keep_ms) {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(events = n, "audit events past the retention removed"),
                    Err(e) => tracing::warn!("the audit trail could not be pruned: {e}"),
                }
            }
            sweeping.store(false, Ordering::SeqCst);
        });
        Ok(())
    }

    async fn request_now(&self, id: &str) -> Result<FlowView, ServiceError> {
        let now = self.clock.now();
        let address = self.store.transact(|tx| -> TxResult<_, ServiceError> {
            let session = self.live_session(tx, id, now)?;
            let mut probe = session.clone();
            match probe.enter_flow() {
                Ok(address) => Ok(address),
                Err(e) => abort(ServiceError::Session(e)),
            }
        })?;
        let account = self.directory.find(&address).await?;
        let known = account.is_some();
        let name = account.map(|a| a.name).unwrap_or_default();
        let fresh_id = random_id(16)?;
        let limits = self.limits();
        self.store.transact(|tx| {
            let mut session = self.live_session(tx, id, now)?;
            // Request again after finishing: a new round of recovery.
            session.finished = false;
            match session.enter_flow() {
                Ok(a) if a == address => {}
                Ok(_) => {
                    return abort(ServiceError::Session(
                        crate::recovery::SessionError::SlideNeeded,
                    ));
                }
                Err(e) => return abort(ServiceError::Session(e)),
            }
            let flow = match session_flow(tx, &session, &address)? {
                Some(mut flow) if !flow.is_over(now, &limits) => {
                    flow.resume(now);
                    flow.known = known;
                    flow.account_name = name.clone();
                    flow
                }
                _ => {
                    let mut flow = Flow::start(fresh_id.clone(), address.clone(), known, now);
                    flow.account_name = name.clone();
                    flow
                }
            };
            tx.put_flow(&session.id, &flow)?;
            tx.put_session(&session)?;
            let detail = if known {
                "account found"
            } else {
                "no such account"
            };
            tx.audit(
                AuditDraft::new(AuditKind::Requested, Some(&address), &session.client)
                    .detail(detail),
                now,
            )?;
            self.view(tx, &session, &flow, now)
        })
    }

    async fn send_code_now(&self, id: &str) -> Result<FlowView, ServiceError> {
        let limits = self.limits();
        // Refuse early, before hashing, when the limits say no anyway.
        let now = self.clock.now();
        let (origin, language) =
            self.store
                .transact(|tx| -> TxResult<(String, String), ServiceError> {
                    let session = self.live_session(tx, id, now)?;
                    let address = match session.flow_address() {
                        Ok(a) => a.clone(),
                        Err(e) => return abort(ServiceError::Session(e)),
                    };
                    let Some(mut flow) = session_flow(tx, &session, &address)? else {
                        return abort(ServiceError::Flow(FlowError::Ended));
                    };
                    flow.refresh(now);
                    match flow.may_issue(&tx.sends(&address, &session.origin)?, now, &limits) {
                        Ok(()) => Ok((session.origin.clone(), session.language.clone())),
                        Err(e) => abort(ServiceError::Flow(e)),
                    }
                })?;
        let code =
            Code::generate().map_err(|e| ServiceError::Internal(format!("no randomness: {e}")))?;
        let digits = code.digits();
        let cost = self.config().hash_cost();
        let hash = self
            .hashes
            .run_as(&origin, move || hash_secret(digits.as_bytes(), &cost))
            .await??;
        let lifetime_secs = self.config().codes.lifetime_secs;
        let notify_unknown = self.config().mail.notify_unknown_addresses;
        let phrase = crate::recovery::phrase::generate(&language)
            .map_err(|e| ServiceError::Internal(format!("no randomness: {e}")))?;
        self.flow_step(id, |tx, session, flow, now| {
            let mut sends = tx.sends(&flow.address, &session.origin)?;
            let draft = AuditDraft::new(AuditKind::CodeSent, Some(&flow.address), &session.client);
            let new = NewCode {
                hash: hash.clone(),
                phrase: phrase.clone(),
            };
            match flow.issue_code(new, &mut sends, now, &limits) {
                Ok(serial) => {
                    // A new code replaces whatever the session confirmed.
                    session.confirmed = None;
                    tx.put_sends(&flow.address, &session.origin, &sends)?;
                    let detail = if flow.known {
                        tx.queue_mail(
                            &flow.address,
                            &session.language,
                            OutboxMessage::Code {
                                code: code.grouped().to_string(),
                                lifetime_secs,
                                phrase: phrase.clone(),
                            },
                            now,
                        )?;
                        format!("code {serial}, mail queued")
                    } else if notify_unknown {
                        tx.queue_mail(
                            &flow.address,
                            &session.language,
                            OutboxMessage::UnknownAddress,
                            now,
                        )?;
                        format!("code {serial}, no such account, notice queued")
                    } else {
                        // No mail, but the worker tries the server as if:
                        // the screen's mail state cannot tell them apart.
                        tx.queue_mail(
                            &flow.address,
                            &session.language,
                            OutboxMessage::Probe { lifetime_secs },
                            now,
                        )?;
                        format!("code {serial}, no such account, no mail")
                    };
                    tx.audit(draft.detail(detail), now)?;
                    Ok(Ok(self.view(tx, session, flow, now)?))
                }
                Err(e) => {
                    tx.audit(draft.refused(e.to_string()), now)?;
                    Ok(Err(ServiceError::Flow(e)))
                }
            }
        })
    }

    async fn confirm_code_now(&self, id: &str, input: &str) -> Result<FlowView, ServiceError> {
        let code = Code::parse(input)?;
        let limits = self.limits();
        // First charge the try, so racing guessers share the limit.
        let (attempt, known, origin) = self.flow_step(id, |tx, session, flow, now| {
            if session.finished {
                return Ok(Err(ServiceError::Flow(FlowError::Ended)));
            }
            match flow.begin_attempt(now, &limits) {
                Ok(attempt) => Ok(Ok((attempt, flow.known, session.origin.clone()))),
                Err(e) => {
                    tx.audit(
                        AuditDraft::new(
                            AuditKind::CodeChecked,
                            Some(&flow.address),
                            &session.client,
                        )
                        .refused(e.to_string()),
                        now,
                    )?;
                    Ok(Err(ServiceError::Flow(e)))
                }
            }
        })?;
        let digits = code.digits();
        let stored = attempt.hash.clone();
        let matches = self
            .hashes
            .run_as(&origin, move || verify_secret(digits.as_bytes(), &stored))
            .await??;
        // An address without an account has a code nobody was sent, and a
        // used code is spent: the same work is done, and no guess is right.
        let right = matches && known && !attempt.used;
        self.flow_step(id, |tx, session, flow, now| {
            let draft =
                AuditDraft::new(AuditKind::CodeChecked, Some(&flow.address), &session.client);
            if right {
                return match flow.accept_code(&attempt, now) {
                    Ok(confirmation) => {
                        session.confirmed = Some(confirmation);
                        tx.audit(
                            draft.detail(format!("code {} confirmed", attempt.serial)),
                            now,
                        )?;
                        Ok(Ok(self.view(tx, session, flow, now)?))
                    }
                    Err(e) => {
                        tx.audit(draft.refused(e.to_string()), now)?;
                        Ok(Err(ServiceError::Flow(e)))
                    }
                };
            }
            flow.reject_code(&attempt, now, &limits);
            let view = self.view(tx, session, flow, now)?;
            let attempts_left = view.code.map_or(0, |c| c.attempts_left);
            tx.audit(
                draft.refused(format!("wrong code, {attempts_left} tries left")),
                now,
            )?;
            Ok(Err(ServiceError::WrongCode { attempts_left }))
        })
    }

    /// Starts a session for `client` whose limits count for `origin`: the
    /// daemon names the origin from what the kernel says of the peer.
    /// Checks that session `id` is live and was opened from `origin`, for a
    /// daemon of the fleet that takes it over; marks it seen.
    pub async fn resume_session(&self, id: &str, origin: &str) -> Result<(), ServiceError> {
        let now = self.clock.now();
        self.store.transact(|tx| -> TxResult<(), ServiceError> {
            let session = self.live_session(tx, id, now)?;
            // Someone else's session, or none: told apart from nothing.
            if session.origin != crate::recovery::text::visible(origin, 160) {
                return abort(ServiceError::NoSession);
            }
            tx.put_session(&session)?;
            Ok(())
        })
    }

    pub async fn open_session_from(
        &self,
        origin: &str,
        client: &str,
        language: &str,
        plain: bool,
    ) -> Result<SessionId, ServiceError> {
        let now = self.clock.now();
        self.sweep_sessions_now_and_then(now)?;
        // Room for what a daemon adds: the wizard's own words (at most 60)
        // and the peer's user, uid and pid.
        let client = crate::recovery::text::visible(client, 160);
        let language: String = language
            .chars()
            .filter(char::is_ascii_alphabetic)
            .take(8)
            .collect();
        let mut session = Session::start(random_id(16)?, client, language, now);
        session.origin = crate::recovery::text::visible(origin, 160);
        session.plain = plain;
        self.store.transact(|tx| -> TxResult<(), ServiceError> {
            tx.put_session(&session)?;
            Ok(())
        })?;
        Ok(session.id)
    }

    async fn sign_in_now(
        &self,
        id: &str,
        address: &str,
        password: &SecretString,
    ) -> Result<SignInAnswer, ServiceError> {
        use crate::store::sign_in::{Counted, SIGN_IN_FAILURES, SIGN_IN_TRIES};
        let address = EmailAddress::parse(address)?;
        let now = self.clock.now();
        // A try is taken before the directory is asked, and counted as a
        // failure until it is known not to be one: sign-ins at the same
        // time cannot go past the limits.
        let taken = self.store.transact(|tx| -> TxResult<_, ServiceError> {
            let session = self.live_session(tx, id, now)?;
            tx.put_session(&session)?;
            let here = Counted::FromOrigin(&address, &session.origin);
            let everywhere = Counted::Address(&address);
            let wait = [
                tx.sign_in_tries(here, now)?.wait_ms(now, SIGN_IN_TRIES),
                tx.sign_in_tries(everywhere, now)?
                    .wait_ms(now, SIGN_IN_FAILURES),
            ]
            .into_iter()
            .flatten()
            .max();
            if let Some(wait_ms) = wait {
                let draft = AuditDraft::new(AuditKind::SignIn, Some(&address), &session.client);
                tx.audit(draft.refused("no tries left for now"), now)?;
                return Ok(Err(wait_ms));
            }
            let here = tx.add_sign_in_try(here, now)?;
            let everywhere = tx.add_sign_in_try(everywhere, now)?;
            let left = here
                .left(SIGN_IN_TRIES)
                .min(everywhere.left(SIGN_IN_FAILURES));
            let wait = [
                here.wait_ms(now, SIGN_IN_TRIES),
                everywhere.wait_ms(now, SIGN_IN_FAILURES),
            ];
            Ok(Ok((
                session.origin.clone(),
                session.client.clone(),
                left,
                wait,
            )))
        })?;
        let (origin, client, mut tries_left, waits) = match taken {
            Ok(taken) => taken,
            Err(wait_ms) => return Ok(SignInAnswer::Paused { wait_ms }),
        };
        let mut wait_ms = waits.into_iter().flatten().max().unwrap_or(0);
        let account = self.directory.find(&address).await?;
        // The account is counted too, whichever of its addresses was typed.
        if let Some(account) = &account {
            let counted = self.store.transact(|tx| -> TxResult<_, ServiceError> {
                let it = Counted::Account(&account.id);
                if let Some(wait) = tx.sign_in_tries(it, now)?.wait_ms(now, SIGN_IN_FAILURES) {
                    // Nothing reaches the directory: the address's tries
                    // are given back.
                    tx.give_back_sign_in_try(Counted::FromOrigin(&address, &origin), now, now)?;
                    tx.give_back_sign_in_try(Counted::Address(&address), now, now)?;
                    let draft = AuditDraft::new(AuditKind::SignIn, Some(&address), &client);
                    tx.audit(draft.refused("no tries left for now"), now)?;
                    return Ok(Err(wait));
                }
                Ok(Ok(tx.add_sign_in_try(it, now)?))
            })?;
            match counted {
                Ok(tries) => {
                    tries_left = tries_left.min(tries.left(SIGN_IN_FAILURES));
                    wait_ms = wait_ms.max(tries.wait_ms(now, SIGN_IN_FAILURES).unwrap_or(0));
                }
                Err(wait_ms) => return Ok(SignInAnswer::Paused { wait_ms }),
            }
        }
        let password = crate::recovery::text::nfc(password.expose_secret());
        let own = self.directory.own_accounts().is_some();
        let works = match &account {
            // rekey's own accounts hash, in the pool like every hash; an
            // address without one hashes as much, so it answers as late.
            None if own => {
                let cost = self.config().hash_cost();
                self.hashes
                    .run_as(&origin, move || hash_secret(password.as_bytes(), &cost))
                    .await??;
                false
            }
            None => false,
            Some(account) if own => {
                let directory = self.directory.clone();
                let address = account.address.clone();
                self.hashes
                    .run_as(&origin, move || match directory.own_accounts() {
                        Some(own) => own.verify(&address, &password),
                        None => Ok(false),
                    })
                    .await??
            }
            Some(account) => {
                let password = SecretString::from(password.as_str());
                self.directory.verify_password(account, &password).await?
            }
        };
        self.store.transact(|tx| -> TxResult<(), ServiceError> {
            let draft = AuditDraft::new(AuditKind::SignIn, Some(&address), &client);
            if works {
                // This origin's tries start again; of the failures, only
                // the one taken for this try is given back (whether a
                // directory forgets others at a good bind is its own
                // policy). A try the directory could not answer stays
                // counted: it may have reached it.
                tx.forget_sign_in_tries(Counted::FromOrigin(&address, &origin))?;
                tx.give_back_sign_in_try(Counted::Address(&address), now, now)?;
                if let Some(account) = &account {
                    tx.give_back_sign_in_try(Counted::Account(&account.id), now, now)?;
                }
                tx.audit(draft, now)?;
            } else {
                let why = if account.is_some() {
                    "wrong password"
                } else {
                    "no such account"
                };
                tx.audit(draft.refused(why), now)?;
            }
            Ok(())
        })?;
        Ok(if works {
            SignInAnswer::Works
        } else {
            SignInAnswer::NoMatch {
                tries_left,
                wait_ms: if tries_left == 0 { wait_ms } else { 0 },
            }
        })
    }

    pub(super) fn audit_refusal(
        &self,
        id: &str,
        address: &EmailAddress,
        detail: String,
    ) -> Result<(), ServiceError> {
        let now = self.clock.now();
        self.store.transact(|tx| {
            let session = self.live_session(tx, id, now)?;
            tx.audit(
                AuditDraft::new(AuditKind::PasswordRefused, Some(address), &session.client)
                    .refused(detail.clone()),
                now,
            )?;
            tx.put_session(&session)?;
            Ok(())
        })
    }
}

#[async_trait]
impl RecoveryService for LocalService {
    /// In the wizard's own process, the person is wherever the process
    /// says: that is the origin too.
    async fn open_session(&self, client: &str, language: &str) -> Result<SessionId, ServiceError> {
        self.open_session_from(client, client, language, false)
            .await
    }

    async fn open_plain_session(
        &self,
        client: &str,
        language: &str,
    ) -> Result<SessionId, ServiceError> {
        self.open_session_from(client, client, language, true).await
    }

    async fn sign_in(
        &self,
        id: &str,
        address: &str,
        password: &SecretString,
    ) -> Result<SignInAnswer, ServiceError> {
        let floor = self.reply_floor();
        let answer = self.sign_in_now(id, address, password).await;
        tokio::time::sleep_until(floor).await;
        answer
    }

    async fn submit_address(&self, id: &str, address: &str) -> Result<EmailAddress, ServiceError> {
        let address = EmailAddress::parse(address)?;
        let now = self.clock.now();
        self.store.transact(|tx| {
            let mut session = self.live_session(tx, id, now)?;
            session.give_address(address.clone());
            tx.put_session(&session)?;
            Ok(())
        })?;
        Ok(address)
    }

    async fn check_slide(
        &self,
        id: &str,
        evidence: &SlideEvidence,
    ) -> Result<SlideVerdict, ServiceError> {
        let verdict = self.config().slide.check(evidence);
        let now = self.clock.now();
        self.store.transact(|tx| {
            let mut session = self.live_session(tx, id, now)?;
            let draft =
                AuditDraft::new(AuditKind::SlideChecked, session.address(), &session.client);
            match verdict {
                SlideVerdict::Verified => {
                    if let Err(e) = session.slide_verified() {
                        return abort(ServiceError::Session(e));
                    }
                    tx.audit(draft, now)?;
                }
                SlideVerdict::TryAgain(why) => tx.audit(draft.refused(why.to_string()), now)?,
            }
            tx.put_session(&session)?;
            Ok(())
        })?;
        Ok(verdict)
    }

    async fn request(&self, id: &str) -> Result<FlowView, ServiceError> {
        let floor = self.reply_floor();
        let answer = self.request_now(id).await;
        tokio::time::sleep_until(floor).await;
        answer
    }

    async fn choose_email(&self, id: &str) -> Result<FlowView, ServiceError> {
        self.flow_step(id, |tx, session, flow, now| {
            flow.choose_email(now);
            tx.audit(
                AuditDraft::new(
                    AuditKind::MethodChosen,
                    Some(&flow.address),
                    &session.client,
                )
                .detail("email"),
                now,
            )?;
            Ok(Ok(self.view(tx, session, flow, now)?))
        })
    }

    async fn open_ticket(&self, id: &str, contact: Option<&str>) -> Result<FlowView, ServiceError> {
        use crate::recovery::contact::{self, ContactError};
        let contact = contact::parse(contact.unwrap_or_default())?;
        if contact.is_none() && self.config().support.contact_required {
            return Err(ContactError::Needed.into());
        }
        let reference = crate::store::tickets::new_reference()?;
        // The ticket is this session's: the flow, which other sessions on
        // the same address share, is left as it is.
        self.flow_step(id, |tx, session, flow, now| {
            if session.finished {
                return Ok(Err(ServiceError::Flow(FlowError::Ended)));
            }
            // One ticket a session: asking again shows the same reference.
            let same_address = |t: &crate::store::tickets::Ticket| t.address == flow.address;
            // A ticket shown again keeps every way of reaching the person
            // given for it, so "support will contact you at" stays true.
            let add_contact = |reference: &str| -> Result<(), crate::store::TxFault> {
                if let (Some(contact), Some(mut ticket)) = (&contact, tx.ticket(reference)?)
                    && !ticket.contacts.contains(contact)
                {
                    ticket.contacts.push(contact.clone());
                    tx.put_ticket(&ticket)?;
                }
                Ok(())
            };
            if let Some(existing) = session.ticket.clone()
                && tx.ticket(&existing)?.is_some_and(|t| same_address(&t))
            {
                add_contact(&existing)?;
                let view = self.view(tx, session, flow, now)?;
                return Ok(Ok(FlowView {
                    stage: Stage::TicketOpened,
                    code: None,
                    ticket: Some(existing),
                    ..view
                }));
            }
            // The same address from the same origin within a day: the
            // ticket already open, not a second one. Another origin gets its
            // own, so a stranger's ticket never stands in for the owner's.
            const DAY_MS: Millis = 24 * 3600 * 1000;
            if let Some(last) = tx.last_ticket(&flow.address, &session.origin)?
                && now.saturating_sub(last.created_ms) < DAY_MS
                && tx.ticket(&last.reference)?.is_some_and(|t| {
                    same_address(&t) && t.status == crate::store::tickets::TicketStatus::Open
                })
            {
                session.ticket = Some(last.reference.clone());
                add_contact(&last.reference)?;
                let view = self.view(tx, session, flow, now)?;
                return Ok(Ok(FlowView {
                    stage: Stage::TicketOpened,
                    code: None,
                    ticket: Some(last.reference),
                    ..view
                }));
            }
            session.ticket = Some(reference.clone());
            tx.put_last_ticket(
                &flow.address,
                &session.origin,
                &crate::store::tickets::LastTicket {
                    reference: reference.clone(),
                    created_ms: now,
                },
            )?;
            tx.put_ticket(&crate::store::tickets::Ticket {
                reference: reference.clone(),
                address: flow.address.clone(),
                client: session.client.clone(),
                contacts: contact.clone().into_iter().collect(),
                created_ms: now,
                status: crate::store::tickets::TicketStatus::Open,
            })?;
            let detail = if flow.known { "" } else { "no such account" };
            tx.audit(
                AuditDraft::new(
                    AuditKind::TicketOpened,
                    Some(&flow.address),
                    &session.client,
                )
                .detail(format!("{reference} {detail}").trim().to_string()),
                now,
            )?;
            let view = self.view(tx, session, flow, now)?;
            Ok(Ok(FlowView {
                stage: Stage::TicketOpened,
                code: None,
                ticket: Some(reference.clone()),
                ..view
            }))
        })
    }

    async fn send_code(&self, id: &str) -> Result<FlowView, ServiceError> {
        let floor = self.reply_floor();
        let answer = self.send_code_now(id).await;
        if answer.is_ok() {
            self.mail_was_queued();
        }
        tokio::time::sleep_until(floor).await;
        answer
    }

    async fn confirm_code(&self, id: &str, code: &SecretString) -> Result<FlowView, ServiceError> {
        let floor = self.reply_floor();
        let answer = self.confirm_code_now(id, code.expose_secret()).await;
        tokio::time::sleep_until(floor).await;
        answer
    }

    async fn flow_status(&self, id: &str) -> Result<FlowView, ServiceError> {
        self.flow_step(id, |tx, session, flow, now| {
            flow.refresh(now);
            Ok(Ok(self.view(tx, session, flow, now)?))
        })
    }

    async fn assess_password(
        &self,
        id: &str,
        password: &SecretString,
    ) -> Result<PasswordVerdict, ServiceError> {
        let (address, name) = self.confirmed_address(id)?;
        self.verdict(&address, &name, password.expose_secret())
            .await
    }

    async fn set_password(
        &self,
        id: &str,
        password: &SecretString,
        again: &SecretString,
    ) -> Result<FlowView, ServiceError> {
        let password = crate::recovery::text::nfc(password.expose_secret());
        if *password != *crate::recovery::text::nfc(again.expose_secret()) {
            return Err(ServiceError::PasswordsDiffer);
        }
        self.change_password(id, &password).await
    }

    async fn close_session(&self, id: &str) -> Result<(), ServiceError> {
        // The session's code goes with it: nobody else can type it.
        self.store.transact(|tx| -> TxResult<(), ServiceError> {
            tx.remove_session(id)?;
            tx.remove_flow(id)?;
            Ok(())
        })
    }
}
