//! The recovery service: what a wizard asks of rekey, step by step. One
//! trait, so a wizard does not know whether it talks to a service in its own
//! process ([`LocalService`]) or to the daemon over a socket.

pub mod daemon;
pub mod frame;
pub mod hash_pool;
pub mod local;
mod password_change;
pub mod protocol;
pub mod socket;

pub use hash_pool::HashPool;
pub use local::LocalService;
pub use socket::{Address, Dial, SocketService};

use crate::directory::{DirectoryError, Refusal};
use crate::recovery::hashing::HashError;
use crate::recovery::{
    AddressError, CodeFormatError, EmailAddress, FlowError, FlowView, PasswordVerdict,
    SessionError, SlideEvidence, SlideVerdict,
};
use crate::store::StoreError;
use async_trait::async_trait;
/// Codes and passwords cross the service in this: wiped when dropped,
/// never shown by `Debug`.
pub use secrecy::{ExposeSecret, SecretString};

/// A session's handle: random, unguessable, and all a wizard keeps.
pub type SessionId = String;

/// Why a step did not go through. Each reads as one line to the person;
/// `Internal` is a fault for the operator.
#[derive(Debug, Clone, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum ServiceError {
    #[error("this session has ended; please start again")]
    NoSession,
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error(transparent)]
    Flow(#[from] FlowError),
    #[error(transparent)]
    CodeFormat(#[from] CodeFormatError),
    #[error(transparent)]
    Contact(#[from] crate::recovery::contact::ContactError),
    #[error("that code is not right; {attempts_left} tries left")]
    WrongCode { attempts_left: u8 },
    #[error("the new password does not meet the rules")]
    PasswordRefused(Box<PasswordVerdict>),
    #[error("the two passwords are not the same")]
    PasswordsDiffer,
    /// The directory's own policy refused the new password.
    #[error("the directory refused the new password: {}", .0.as_str())]
    DirectoryRefused(Refusal),
    /// The directory cannot be reached; nothing was changed.
    #[error("the password cannot be changed right now; please try again in a few minutes")]
    DirectoryDown,
    /// The change was sent and rekey could not learn whether it was made.
    #[error(
        "the change could not be confirmed; try signing in with the new password in a few minutes"
    )]
    ChangeUnconfirmed,
    /// Another change of this account is on its way.
    #[error("a change of this password is already in progress")]
    ChangeInProgress,
    #[error("rekey failed: {0}")]
    Internal(String),
    /// The store cannot save (its disk is full, or a write failed): this
    /// step was not saved, and the service starts again once it can.
    #[error("rekey cannot save anything right now, so nothing was changed; please try again later")]
    CannotSave,
    /// The store took a step but could not make it durable: it may or may
    /// not be there after the service starts again.
    #[error("rekey could not finish saving this step; please try again later")]
    NotSaved,
    /// The store's database cannot be reached for now (a fleet's
    /// PostgreSQL restarting): nothing was changed.
    #[error(
        "rekey cannot reach its records right now, so nothing was changed; please try again in a moment"
    )]
    StoreDown,
    /// The daemon cannot be reached (socket wizards only).
    #[error("lost contact with the rekey service: {0}")]
    Unavailable(String),
    /// The daemon's session or request limits are reached.
    #[error("rekey is busy; please try again in a moment")]
    Busy,
    /// An operator command from someone who may not run it.
    #[error("{0}")]
    Forbidden(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        if matches!(e, StoreError::NotDurable(_)) {
            Self::NotSaved
        } else if e.is_unavailable() {
            tracing::warn!("{e}");
            Self::StoreDown
        } else if e.is_sticky() {
            Self::CannotSave
        } else {
            Self::Internal(e.to_string())
        }
    }
}

impl From<HashError> for ServiceError {
    fn from(e: HashError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<DirectoryError> for ServiceError {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Step(flow) => Self::Flow(flow),
            DirectoryError::Unreachable(_) | DirectoryError::NoAnswer(_) => {
                tracing::warn!("{e}");
                Self::DirectoryDown
            }
            DirectoryError::Store(store) => store.into(),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// What a sign-in on the landing screen found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SignInAnswer {
    /// The password is the account's current one.
    Works,
    /// The address and password do not match: the same answer for an
    /// address without an account. With no try left, `wait_ms` says when
    /// the next one is (0 otherwise).
    NoMatch { tries_left: u8, wait_ms: u64 },
    /// No tries are left for this address from here for now.
    Paused { wait_ms: u64 },
}

/// The steps of recovery, in the order a wizard takes them. Every rule is
/// enforced behind this trait; a wizard that skips or repeats a step gets
/// an error, never an advantage.
#[async_trait]
pub trait RecoveryService: Send + Sync {
    /// Starts a session for a person at `client` (SSH address or terminal)
    /// who reads `language` (a code such as `en`; mail is sent in it).
    async fn open_session(&self, client: &str, language: &str) -> Result<SessionId, ServiceError>;

    /// As [`RecoveryService::open_session`], for the plain line mode:
    /// the session skips the slide, and only the slide.
    async fn open_plain_session(
        &self,
        client: &str,
        language: &str,
    ) -> Result<SessionId, ServiceError>;

    /// The landing screen's sign-in: is `password` the current password
    /// of the account with `address`, where the account lives? Only
    /// [`SIGN_IN_TRIES`](crate::store::sign_in::SIGN_IN_TRIES) tries an
    /// address has from one origin in 15 minutes, fewer than a
    /// directory's lockout takes, so nobody can lock an account through
    /// rekey. The answer is the same, in content and timing, for an
    /// unknown address as for a wrong password. It opens nothing: rekey
    /// only says whether the password works.
    async fn sign_in(
        &self,
        session: &str,
        address: &str,
        password: &SecretString,
    ) -> Result<SignInAnswer, ServiceError>;

    /// The address typed on the "Forgot your password?" screen.
    async fn submit_address(
        &self,
        session: &str,
        address: &str,
    ) -> Result<EmailAddress, ServiceError>;

    /// The slide's timing; `Verified` unlocks Request.
    async fn check_slide(
        &self,
        session: &str,
        evidence: &SlideEvidence,
    ) -> Result<SlideVerdict, ServiceError>;

    /// Request: starts or resumes the flow for the session's address. The
    /// answer is the same, in content and timing, whether or not the
    /// address has an account.
    async fn request(&self, session: &str) -> Result<FlowView, ServiceError>;

    /// Verify by e-mail.
    async fn choose_email(&self, session: &str) -> Result<FlowView, ServiceError>;

    /// Support: opens a ticket, with how support can reach the person (a
    /// phone number or another address; see [`contact`]); its reference
    /// is in the view.
    async fn open_ticket(
        &self,
        session: &str,
        contact: Option<&str>,
    ) -> Result<FlowView, ServiceError>;

    /// Get a verification code (or Resend).
    async fn send_code(&self, session: &str) -> Result<FlowView, ServiceError>;

    /// Confirm a typed or pasted code.
    async fn confirm_code(
        &self,
        session: &str,
        code: &SecretString,
    ) -> Result<FlowView, ServiceError>;

    /// The flow as it stands now (lifetime, tries, resend countdown).
    async fn flow_status(&self, session: &str) -> Result<FlowView, ServiceError>;

    /// The strength meter's verdict for a candidate password. Only after
    /// the code was confirmed in this session.
    async fn assess_password(
        &self,
        session: &str,
        password: &SecretString,
    ) -> Result<PasswordVerdict, ServiceError>;

    /// Sets the new password, typed twice.
    async fn set_password(
        &self,
        session: &str,
        password: &SecretString,
        again: &SecretString,
    ) -> Result<FlowView, ServiceError>;

    /// Ends a session (the person left, or the wizard quit).
    async fn close_session(&self, session: &str) -> Result<(), ServiceError>;
}
