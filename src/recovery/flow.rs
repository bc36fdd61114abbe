//! The recovery flow as a state machine, one per session.
//!
//! ```text
//! Requested ─► EmailChosen ─► CodeSent ─► CodeConfirmed ─► PasswordSet
//!     │             │          │   ▲
//!     │             │          ▼   │ (a new code, within the limits)
//!     │             │      Expired / LockedOut
//!     └─────────────┴──► TicketOpened (the Support branch)
//! ```
//!
//! A code belongs to the session that asked for it: only that session can
//! type it, spend its tries or replace it, so a stranger who knows the
//! address and opens a session of their own gets a flow, and a code, of
//! their own. What sessions on one address share is the send count
//! ([`Sends`]): the cooldown and the hourly cap per address and origin,
//! under a ceiling per address for all origins together. A person whose
//! SSH link dropped opens a new session and asks for a new code; the
//! cooldown they wait for is their own earlier request.
//!
//! A flow holds only what an address without an account goes through as
//! well: the code's life (sent, tries, expired, locked). A right code is
//! kept as a [`Confirmation`] by the session. The steps before `Requested`
//! (address given, slide verified) are the session's too, see
//! [`crate::recovery::session`]. Every function here is pure: the caller
//! passes the time and stores the result, inside one transaction.

use super::address::EmailAddress;
use super::clock::Millis;
use serde::{Deserialize, Serialize};

const HOUR_MS: Millis = 60 * 60 * 1000;

/// Where recovery stands, as a session sees it. A stored flow is only ever
/// `Requested`, `EmailChosen`, `CodeSent`, `Expired` or `LockedOut`; the
/// other stages are a session's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stage {
    /// The person pressed Request; the method is not chosen yet.
    Requested,
    /// Verify by e-mail chosen; no code sent yet.
    EmailChosen,
    /// A code is out and can be typed.
    CodeSent,
    /// The code was right; a new password may be set by the session that
    /// typed it.
    CodeConfirmed,
    /// The new password is stored. The flow is over.
    PasswordSet,
    /// The person asked Support for help; a ticket carries on from here.
    TicketOpened,
    /// The code's lifetime ran out. A new code may be sent.
    Expired,
    /// The code's tries ran out. A new code may be sent.
    LockedOut,
}

/// The numbers that bound a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub code_lifetime_ms: Millis,
    pub max_attempts: u8,
    /// Between two codes to one address from one origin.
    pub resend_cooldown_ms: Millis,
    /// Codes to one address from one origin in an hour.
    pub max_sends_per_hour: u8,
    /// Codes to one address from all origins together in an hour: what a
    /// stranger asking from many places can take from the owner.
    pub max_sends_per_address_per_hour: u8,
    /// A flow untouched for this long is forgotten: the next request starts
    /// afresh (the hourly send count is kept apart and still applies).
    pub flow_idle_ms: Millis,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            code_lifetime_ms: 10 * 60 * 1000,
            max_attempts: 5,
            resend_cooldown_ms: 60 * 1000,
            max_sends_per_hour: 5,
            max_sends_per_address_per_hour: 20,
            flow_idle_ms: HOUR_MS,
        }
    }
}

/// A code that was sent, as the store keeps it: only its argon2 hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedCode {
    /// Counts the codes of this flow, so a late answer about an old code
    /// cannot confirm or punish a newer one.
    pub serial: u32,
    pub hash: String,
    pub issued_ms: Millis,
    pub expires_ms: Millis,
    pub attempts_used: u8,
    /// A right guess used the code up; it matches nothing any more.
    #[serde(default)]
    pub used: bool,
    /// The two words shown on screen and in the mail (not a secret).
    #[serde(default)]
    pub phrase: String,
}

/// A code about to be sent: its hash and its match phrase.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NewCode {
    pub hash: String,
    pub phrase: String,
}

impl From<&str> for NewCode {
    fn from(hash: &str) -> Self {
        Self {
            hash: hash.to_string(),
            phrase: String::new(),
        }
    }
}

/// When codes were sent to one address from one origin, or from all;
/// kept apart from the flow so a new flow cannot reset the hourly limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SendHistory {
    pub sent_ms: Vec<Millis>,
}

impl SendHistory {
    /// Forgets sends older than an hour.
    pub fn prune(&mut self, now: Millis) {
        self.sent_ms.retain(|&t| now.saturating_sub(t) < HOUR_MS);
    }

    fn in_last_hour(&self, now: Millis) -> impl Iterator<Item = Millis> + '_ {
        self.sent_ms
            .iter()
            .copied()
            .filter(move |&t| now.saturating_sub(t) < HOUR_MS)
    }

    /// When the hour's `cap` lets one more go, if it is reached now.
    fn cap_lifts_at(&self, now: Millis, cap: u8) -> Option<Millis> {
        let recent: Vec<Millis> = self.in_last_hour(now).collect();
        (recent.len() >= usize::from(cap)).then(|| {
            let oldest = recent.iter().copied().min().unwrap_or(now);
            oldest.saturating_add(HOUR_MS)
        })
    }

    fn record(&mut self, now: Millis) {
        self.prune(now);
        self.sent_ms.push(now);
    }
}

/// The sends that bound a new code: those to the address from the
/// session's origin (the cooldown and the hourly cap), and those to the
/// address from everywhere (the ceiling). A stranger elsewhere fills only
/// the second, and only up to the ceiling.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sends {
    pub origin: SendHistory,
    pub address: SendHistory,
}

impl Sends {
    /// When the next code may go out, or `None` if it may go now.
    fn next_send_at(&self, now: Millis, limits: &Limits) -> Option<NextSend> {
        let caps = [
            self.origin.cap_lifts_at(now, limits.max_sends_per_hour),
            self.address
                .cap_lifts_at(now, limits.max_sends_per_address_per_hour),
        ];
        if let Some(at) = caps.into_iter().flatten().max() {
            return Some(NextSend::HourlyLimit(at));
        }
        let last = self.origin.sent_ms.iter().copied().max()?;
        let cooldown_end = last.saturating_add(limits.resend_cooldown_ms);
        (cooldown_end > now).then_some(NextSend::Cooldown(cooldown_end))
    }

    fn record(&mut self, now: Millis) {
        self.origin.record(now);
        self.address.record(now);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NextSend {
    Cooldown(Millis),
    HourlyLimit(Millis),
}

/// Why a step was refused. Each reads as one line to the person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum FlowError {
    #[error("this step is not available now")]
    WrongStep { stage: Stage },
    #[error("this recovery is finished; start again to make another change")]
    Ended,
    #[error("a new code can be sent in {} s", wait_ms.div_ceil(1000))]
    ResendTooSoon { wait_ms: Millis },
    #[error("too many codes were sent in the last hour; try again in {} min", wait_ms.div_ceil(60_000))]
    HourlyLimit { wait_ms: Millis },
    #[error("the code has expired; ask for a new one")]
    CodeExpired,
    #[error("too many wrong codes; ask for a new one")]
    NoTriesLeft,
    #[error("that code is no longer valid")]
    CodeReplaced,
    #[error("the code has not been confirmed in this session")]
    NotConfirmed,
}

/// One guess in progress: the tries counter was already charged for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub flow_id: String,
    pub serial: u32,
    pub hash: String,
    /// The code was already used: no guess can be right.
    pub used: bool,
}

/// A right code, held by the session that typed it: that session, and only
/// it, may set the password for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    pub flow_id: String,
    pub serial: u32,
    pub at_ms: Millis,
}

/// The state of recovery for one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    pub id: String,
    pub address: EmailAddress,
    /// Whether an account exists. Never shown, never changes what is shown.
    pub known: bool,
    /// The account's display name, kept out of its new password.
    #[serde(default)]
    pub account_name: String,
    pub stage: Stage,
    pub code: Option<IssuedCode>,
    pub codes_issued: u32,
    pub created_ms: Millis,
    pub updated_ms: Millis,
}

/// What a person may see of a flow. It is the same for an address with an
/// account and one without.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowView {
    pub stage: Stage,
    /// The live code, while one can still be typed.
    pub code: Option<CodeStatus>,
    pub resend: ResendStatus,
    pub ticket: Option<String>,
    /// How the code's mail is getting on, while a code is live.
    #[serde(default)]
    pub mail: Option<MailProgress>,
}

/// What a person is told about the code's mail. It comes from how mail
/// delivery is going for everyone, never from this address's own mail:
/// an address without an account has none, and must see the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MailProgress {
    Sending,
    Sent,
    /// Deliveries are failing just now; rekey keeps trying.
    Delayed,
}

/// When mail last went out and last failed, across all messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MailHealth {
    pub last_ok_ms: Millis,
    pub last_failure_ms: Millis,
}

/// How long "Sending" shows after a code is issued.
pub const SENDING_MS: Millis = 2_000;

impl MailHealth {
    /// `delay_window_ms` is how long a failure keeps "Delayed" on show: at
    /// least the longest wait between two tries, so it does not lapse while
    /// mail is still failing.
    pub fn progress(
        &self,
        issued_ms: Millis,
        now: Millis,
        delay_window_ms: Millis,
    ) -> MailProgress {
        let failing = self.last_failure_ms > self.last_ok_ms
            && now.saturating_sub(self.last_failure_ms) < delay_window_ms;
        if failing {
            MailProgress::Delayed
        } else if now.saturating_sub(issued_ms) < SENDING_MS {
            MailProgress::Sending
        } else {
            MailProgress::Sent
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeStatus {
    pub expires_in_ms: Millis,
    pub attempts_left: u8,
    pub phrase: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResendStatus {
    Ready,
    In { ms: Millis },
    HourlyLimit { ms: Millis },
}

impl ResendStatus {
    /// How long until Resend is available, if it is not now.
    pub fn wait_ms(&self) -> Option<Millis> {
        match *self {
            Self::Ready => None,
            Self::In { ms } | Self::HourlyLimit { ms } => Some(ms),
        }
    }
}

impl Flow {
    pub fn start(id: String, address: EmailAddress, known: bool, now: Millis) -> Self {
        Self {
            id,
            address,
            known,
            account_name: String::new(),
            stage: Stage::Requested,
            code: None,
            codes_issued: 0,
            created_ms: now,
            updated_ms: now,
        }
    }

    /// Whether a new request should start a fresh flow instead of this one.
    pub fn is_over(&self, now: Millis, limits: &Limits) -> bool {
        now.saturating_sub(self.updated_ms) >= limits.flow_idle_ms
    }

    /// Request pressed again in the same session: the flow with its code,
    /// tries and timers as they were.
    pub fn resume(&mut self, now: Millis) {
        self.refresh(now);
        self.updated_ms = now;
    }

    /// Applies the passing of time: a live code past its lifetime expires.
    pub fn refresh(&mut self, now: Millis) {
        if self.stage == Stage::CodeSent && self.code.as_ref().is_some_and(|c| now >= c.expires_ms)
        {
            self.stage = Stage::Expired;
        }
    }

    pub fn choose_email(&mut self, now: Millis) {
        self.refresh(now);
        if self.stage == Stage::Requested {
            self.stage = Stage::EmailChosen;
        }
        // Coming back to the choice keeps a code that is already out.
        self.updated_ms = now;
    }

    /// Checks that a code may be sent now, before any hashing is spent on it.
    pub fn may_issue(&self, sends: &Sends, now: Millis, limits: &Limits) -> Result<(), FlowError> {
        match self.stage {
            Stage::EmailChosen | Stage::CodeSent | Stage::Expired | Stage::LockedOut => {}
            stage => return Err(FlowError::WrongStep { stage }),
        }
        match sends.next_send_at(now, limits) {
            None => Ok(()),
            Some(NextSend::Cooldown(at)) => Err(FlowError::ResendTooSoon { wait_ms: at - now }),
            Some(NextSend::HourlyLimit(at)) => Err(FlowError::HourlyLimit {
                wait_ms: at.saturating_sub(now),
            }),
        }
    }

    /// Puts a new code in place of any earlier one and counts the send.
    pub fn issue_code(
        &mut self,
        new: NewCode,
        sends: &mut Sends,
        now: Millis,
        limits: &Limits,
    ) -> Result<u32, FlowError> {
        self.refresh(now);
        self.may_issue(sends, now, limits)?;
        self.codes_issued += 1;
        self.code = Some(IssuedCode {
            serial: self.codes_issued,
            hash: new.hash,
            phrase: new.phrase,
            issued_ms: now,
            expires_ms: now.saturating_add(limits.code_lifetime_ms),
            attempts_used: 0,
            used: false,
        });
        self.stage = Stage::CodeSent;
        sends.record(now);
        self.updated_ms = now;
        Ok(self.codes_issued)
    }

    /// Charges one try against the live code and hands out what to check the
    /// guess against. The charge comes first, so racing guessers cannot get
    /// more tries between them than the limit.
    pub fn begin_attempt(&mut self, now: Millis, limits: &Limits) -> Result<Attempt, FlowError> {
        self.refresh(now);
        match self.stage {
            Stage::CodeSent => {}
            Stage::Expired => return Err(FlowError::CodeExpired),
            Stage::LockedOut => return Err(FlowError::NoTriesLeft),
            stage => return Err(FlowError::WrongStep { stage }),
        }
        let code = self.code.as_mut().ok_or(FlowError::WrongStep {
            stage: Stage::CodeSent,
        })?;
        if code.attempts_used >= limits.max_attempts {
            // Tries still being checked may include the right one: the
            // last of them to be found wrong locks the code, not this.
            return Err(FlowError::NoTriesLeft);
        }
        code.attempts_used += 1;
        self.updated_ms = now;
        Ok(Attempt {
            flow_id: self.id.clone(),
            serial: code.serial,
            hash: code.hash.clone(),
            used: code.used,
        })
    }

    /// The guess was right: the code is used up, and the confirmation goes
    /// to the session that typed it.
    pub fn accept_code(
        &mut self,
        attempt: &Attempt,
        now: Millis,
    ) -> Result<Confirmation, FlowError> {
        let live = self.id == attempt.flow_id
            && self.stage == Stage::CodeSent
            && self
                .code
                .as_ref()
                .is_some_and(|c| c.serial == attempt.serial && !c.used && now < c.expires_ms);
        if !live {
            return Err(FlowError::CodeReplaced);
        }
        if let Some(code) = self.code.as_mut() {
            code.used = true;
        }
        self.updated_ms = now;
        Ok(Confirmation {
            flow_id: self.id.clone(),
            serial: attempt.serial,
            at_ms: now,
        })
    }

    /// The guess was wrong; the last allowed try locks the code.
    pub fn reject_code(&mut self, attempt: &Attempt, now: Millis, limits: &Limits) {
        let exhausted = self.id == attempt.flow_id
            && self.code.as_ref().is_some_and(|c| {
                c.serial == attempt.serial && c.attempts_used >= limits.max_attempts
            });
        if self.stage == Stage::CodeSent && exhausted {
            self.stage = Stage::LockedOut;
        }
        self.updated_ms = now;
    }

    pub fn view(&self, sends: &Sends, now: Millis, limits: &Limits) -> FlowView {
        let mut flow = self.clone();
        flow.refresh(now);
        let code = match (flow.stage, &flow.code) {
            (Stage::CodeSent, Some(c)) => Some(CodeStatus {
                expires_in_ms: c.expires_ms.saturating_sub(now),
                attempts_left: limits.max_attempts.saturating_sub(c.attempts_used),
                phrase: c.phrase.clone(),
            }),
            _ => None,
        };
        let resend = match sends.next_send_at(now, limits) {
            None => ResendStatus::Ready,
            Some(NextSend::Cooldown(at)) => ResendStatus::In { ms: at - now },
            Some(NextSend::HourlyLimit(at)) => ResendStatus::HourlyLimit {
                ms: at.saturating_sub(now),
            },
        };
        FlowView {
            stage: flow.stage,
            code,
            resend,
            ticket: None,
            mail: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Millis = 1_700_000_000_000;

    fn flow() -> Flow {
        let address = EmailAddress::parse("ada@example.com").unwrap();
        Flow::start("f1".into(), address, true, T0)
    }

    fn with_code(limits: &Limits) -> (Flow, Sends) {
        let mut f = flow();
        let mut h = Sends::default();
        f.choose_email(T0);
        f.issue_code("hash-1".into(), &mut h, T0, limits).unwrap();
        (f, h)
    }

    #[test]
    fn a_right_code_confirms_once_and_is_used_up() {
        let limits = Limits::default();
        let (mut f, h) = with_code(&limits);
        assert_eq!(f.stage, Stage::CodeSent);
        let attempt = f.begin_attempt(T0 + 1_000, &limits).unwrap();
        assert_eq!(attempt.hash, "hash-1");
        assert!(!attempt.used);
        let confirmation = f.accept_code(&attempt, T0 + 1_100).unwrap();
        assert_eq!(confirmation.flow_id, "f1");
        // Other sessions still see a code with tries, as for any address.
        let view = f.view(&h, T0 + 1_100, &limits);
        assert_eq!(view.stage, Stage::CodeSent);
        assert_eq!(view.code.map(|c| c.attempts_left), Some(4));
        // The used code matches nothing any more.
        let again = f.begin_attempt(T0 + 1_200, &limits).unwrap();
        assert!(again.used);
        assert_eq!(
            f.accept_code(&again, T0 + 1_200),
            Err(FlowError::CodeReplaced)
        );
    }

    #[test]
    fn steps_out_of_order_are_refused() {
        let limits = Limits::default();
        let mut f = flow();
        let mut h = Sends::default();
        assert_eq!(
            f.issue_code("h".into(), &mut h, T0, &limits),
            Err(FlowError::WrongStep {
                stage: Stage::Requested
            })
        );
        assert_eq!(h, Sends::default(), "a refused send is not counted");
        assert!(f.begin_attempt(T0, &limits).is_err());
    }

    #[test]
    fn a_code_expires_after_its_lifetime_even_mid_check() {
        let limits = Limits::default();
        let (mut f, h) = with_code(&limits);
        let just_before = T0 + limits.code_lifetime_ms - 1;
        let view = f.view(&h, just_before, &limits);
        assert_eq!(view.code.map(|c| c.expires_in_ms), Some(1));
        let attempt = f.begin_attempt(just_before, &limits).unwrap();
        let end = T0 + limits.code_lifetime_ms;
        assert_eq!(f.accept_code(&attempt, end), Err(FlowError::CodeReplaced));
        assert_eq!(f.begin_attempt(end, &limits), Err(FlowError::CodeExpired));
        assert_eq!(f.stage, Stage::Expired);
    }

    #[test]
    fn the_fifth_wrong_try_ends_the_code() {
        let limits = Limits::default();
        let (mut f, h) = with_code(&limits);
        for used in 1..=5u8 {
            let a = f.begin_attempt(T0, &limits).unwrap();
            f.reject_code(&a, T0, &limits);
            let left = f.view(&h, T0, &limits).code.map(|c| c.attempts_left);
            assert_eq!(left, (used < 5).then_some(5 - used));
        }
        assert_eq!(f.stage, Stage::LockedOut);
        assert_eq!(f.begin_attempt(T0, &limits), Err(FlowError::NoTriesLeft));
    }

    #[test]
    fn tries_are_charged_before_the_answer_is_known() {
        let limits = Limits::default();
        let (mut f, _) = with_code(&limits);
        let attempts: Vec<Attempt> = (0..5)
            .map(|_| f.begin_attempt(T0, &limits).unwrap())
            .collect();
        assert_eq!(f.begin_attempt(T0, &limits), Err(FlowError::NoTriesLeft));
        // The refused sixth must not spoil a right guess still in flight.
        assert_eq!(f.stage, Stage::CodeSent);
        assert!(f.accept_code(&attempts[4], T0).is_ok());
    }

    #[test]
    fn a_late_answer_about_an_old_code_or_an_old_flow_changes_nothing() {
        let limits = Limits::default();
        let (mut f, mut h) = with_code(&limits);
        let old = f.begin_attempt(T0, &limits).unwrap();
        let later = T0 + limits.resend_cooldown_ms;
        f.issue_code("hash-2".into(), &mut h, later, &limits)
            .unwrap();
        assert_eq!(f.accept_code(&old, later), Err(FlowError::CodeReplaced));
        assert_eq!(f.stage, Stage::CodeSent);

        // A fresh flow numbers its codes from 1 again: the flow id tells
        // them apart.
        let (mut fresh, _) = with_code(&limits);
        fresh.id = "f2".into();
        let mut stale = fresh.begin_attempt(T0, &limits).unwrap();
        stale.flow_id = "f1".into();
        assert_eq!(fresh.accept_code(&stale, T0), Err(FlowError::CodeReplaced));
    }

    #[test]
    fn resend_waits_for_the_cooldown() {
        let limits = Limits::default();
        let (mut f, mut h) = with_code(&limits);
        let soon = T0 + 18_000;
        assert_eq!(
            f.view(&h, soon, &limits).resend,
            ResendStatus::In { ms: 42_000 }
        );
        assert_eq!(
            f.issue_code("h2".into(), &mut h, soon, &limits),
            Err(FlowError::ResendTooSoon { wait_ms: 42_000 })
        );
        let ready = T0 + limits.resend_cooldown_ms;
        assert_eq!(f.view(&h, ready, &limits).resend, ResendStatus::Ready);
        assert_eq!(f.issue_code("h2".into(), &mut h, ready, &limits), Ok(2));
    }

    #[test]
    fn at_most_five_codes_an_hour() {
        let limits = Limits::default();
        let (mut f, mut h) = with_code(&limits);
        let minute = limits.resend_cooldown_ms;
        for i in 1..5 {
            f.issue_code("h".into(), &mut h, T0 + i * minute, &limits)
                .unwrap();
        }
        let sixth = T0 + 5 * minute;
        let wait = HOUR_MS - 5 * minute;
        assert_eq!(
            f.issue_code("h".into(), &mut h, sixth, &limits),
            Err(FlowError::HourlyLimit { wait_ms: wait })
        );
        assert_eq!(
            f.view(&h, sixth, &limits).resend,
            ResendStatus::HourlyLimit { ms: wait }
        );
        assert!(
            f.issue_code("h".into(), &mut h, T0 + HOUR_MS, &limits)
                .is_ok()
        );
    }

    #[test]
    fn other_origins_fill_only_the_ceiling_for_the_address() {
        let limits = Limits::default();
        let mut f = flow();
        f.choose_email(T0);
        // Elsewhere, 19 codes went to the address this hour.
        let mut sends = Sends {
            origin: SendHistory::default(),
            address: SendHistory {
                sent_ms: (0..19).map(|i| T0 - 1000 - i).collect(),
            },
        };
        assert_eq!(f.view(&sends, T0, &limits).resend, ResendStatus::Ready);
        f.issue_code("h1".into(), &mut sends, T0, &limits).unwrap();
        assert_eq!(sends.origin.sent_ms, vec![T0]);
        // The twentieth was this origin's: the ceiling is reached for all.
        let later = T0 + limits.resend_cooldown_ms;
        let lifts = T0 - 1000 - 18 + HOUR_MS;
        assert_eq!(
            f.issue_code("h2".into(), &mut sends, later, &limits),
            Err(FlowError::HourlyLimit {
                wait_ms: lifts - later
            })
        );
        // Another origin has no cooldown of its own, but the same ceiling.
        let mut elsewhere = Sends {
            origin: SendHistory::default(),
            address: sends.address.clone(),
        };
        assert!(matches!(
            f.may_issue(&elsewhere, T0 + 1, &limits),
            Err(FlowError::HourlyLimit { .. })
        ));
        elsewhere.address.prune(lifts);
        assert_eq!(f.may_issue(&elsewhere, lifts, &limits), Ok(()));
    }

    #[test]
    fn a_new_code_after_lock_out_is_possible_within_the_limits() {
        let limits = Limits::default();
        let (mut f, mut h) = with_code(&limits);
        for _ in 0..5 {
            let a = f.begin_attempt(T0, &limits).unwrap();
            f.reject_code(&a, T0, &limits);
        }
        let later = T0 + limits.resend_cooldown_ms;
        f.issue_code("h2".into(), &mut h, later, &limits).unwrap();
        assert_eq!(f.stage, Stage::CodeSent);
        assert_eq!(
            f.view(&h, later, &limits).code.map(|c| c.attempts_left),
            Some(5)
        );
    }

    #[test]
    fn resuming_keeps_the_code_and_its_tries() {
        let limits = Limits::default();
        let (mut f, _) = with_code(&limits);
        let a = f.begin_attempt(T0, &limits).unwrap();
        f.reject_code(&a, T0, &limits);
        let mut copy = f.clone();
        copy.resume(T0 + 5_000);
        assert_eq!(copy.stage, Stage::CodeSent);
        assert_eq!(copy.code, f.code);
    }

    #[test]
    fn mail_progress_follows_delivery_for_everyone() {
        let healthy = MailHealth {
            last_ok_ms: T0,
            last_failure_ms: 0,
        };
        const WINDOW: Millis = 10 * 60 * 1000;
        assert_eq!(
            healthy.progress(T0, T0 + 1_000, WINDOW),
            MailProgress::Sending
        );
        assert_eq!(
            healthy.progress(T0, T0 + SENDING_MS, WINDOW),
            MailProgress::Sent
        );
        let failing = MailHealth {
            last_ok_ms: T0,
            last_failure_ms: T0 + 5_000,
        };
        assert_eq!(
            failing.progress(T0, T0 + 6_000, WINDOW),
            MailProgress::Delayed
        );
        assert_eq!(
            failing.progress(T0, T0 + 5_000 + WINDOW, WINDOW),
            MailProgress::Sent,
            "an old failure is forgotten"
        );
    }

    #[test]
    fn an_idle_flow_is_forgotten() {
        let limits = Limits::default();
        let f = flow();
        assert!(!f.is_over(T0 + limits.flow_idle_ms - 1, &limits));
        assert!(f.is_over(T0 + limits.flow_idle_ms, &limits));
    }
}
