//! What a wizard and the daemon say to each other over the socket. The
//! wizard speaks first with a [`Hello`]; the daemon answers with a
//! [`Welcome`], then serves one [`Request`] after another, each answered
//! by one [`Reply`].
//!
//! `Hello` and `Welcome` must keep their shape in every version: they are
//! how an old wizard learns that it cannot talk to a newer daemon.

use crate::operator::{OperatorCommand, OperatorFailure, OperatorReport};
use crate::recovery::{
    EmailAddress, FlowView, PasswordPolicy, PasswordVerdict, SlideEvidence, SlideRules,
    SlideVerdict,
};
use crate::service::{ServiceError, SessionId, SignInAnswer};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Raised whenever a message below changes shape.
pub const PROTOCOL: u32 = 6;

/// The largest request the daemon reads. Passwords are at most 4096
/// characters by policy; everything else is far smaller.
pub const MAX_REQUEST: usize = 64 * 1024;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Hello {
    pub protocol: u32,
    /// The rekey version that speaks, for the message when they differ.
    pub version: String,
}

impl Hello {
    pub fn this_build() -> Self {
        Self {
            protocol: PROTOCOL,
            version: env!("CARGO_PKG_VERSION").to_string(),
        }
    }
}

/// The daemon's rules a wizard draws with: the meter judges as the daemon
/// will, and the slide has the daemon's number of notches.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Rules {
    pub policy: PasswordPolicy,
    pub slide: SlideRules,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Welcome {
    Ready {
        protocol: u32,
        version: String,
        rules: Rules,
    },
    Refused {
        message: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    OpenSession {
        client: String,
        language: String,
        /// A plain-mode wizard: the session skips the slide.
        plain: bool,
    },
    SignIn {
        session: SessionId,
        address: String,
        password: Zeroizing<String>,
    },
    SubmitAddress {
        session: SessionId,
        address: String,
    },
    CheckSlide {
        session: SessionId,
        evidence: SlideEvidence,
    },
    Request {
        session: SessionId,
    },
    ChooseEmail {
        session: SessionId,
    },
    OpenTicket {
        session: SessionId,
        contact: Option<String>,
    },
    SendCode {
        session: SessionId,
    },
    ConfirmCode {
        session: SessionId,
        code: Zeroizing<String>,
    },
    FlowStatus {
        session: SessionId,
    },
    AssessPassword {
        session: SessionId,
        password: Zeroizing<String>,
    },
    SetPassword {
        session: SessionId,
        password: Zeroizing<String>,
        again: Zeroizing<String>,
    },
    CloseSession {
        session: SessionId,
    },
    /// Goes on with a session opened through another daemon of the fleet
    /// (the one first reached went away). `client` as at OpenSession: the
    /// session's origin must be this connection's.
    Resume {
        session: SessionId,
        client: String,
    },
    Operator(OperatorCommand),
}

impl Request {
    /// Whether sending it again changes nothing the first one did not: a
    /// wizard whose daemon went away mid-call may ask the next daemon of
    /// the fleet again. A code, a password or a send is never repeated:
    /// the first may have counted.
    pub fn is_repeatable(&self) -> bool {
        matches!(
            self,
            Self::FlowStatus { .. }
                | Self::AssessPassword { .. }
                | Self::OpenSession { .. }
                | Self::CloseSession { .. }
        )
    }

    /// The request's name, for the log (never its contents).
    pub fn kind(&self) -> &'static str {
        use Request as R;
        match self {
            R::OpenSession { .. } => "open_session",
            R::SignIn { .. } => "sign_in",
            R::SubmitAddress { .. } => "submit_address",
            R::CheckSlide { .. } => "check_slide",
            R::Request { .. } => "request",
            R::ChooseEmail { .. } => "choose_email",
            R::OpenTicket { .. } => "open_ticket",
            R::SendCode { .. } => "send_code",
            R::ConfirmCode { .. } => "confirm_code",
            R::FlowStatus { .. } => "flow_status",
            R::AssessPassword { .. } => "assess_password",
            R::SetPassword { .. } => "set_password",
            R::CloseSession { .. } => "close_session",
            R::Resume { .. } => "resume",
            R::Operator(_) => "operator",
        }
    }

    /// The session a step names; `None` for opening one and for operator
    /// commands.
    pub fn session(&self) -> Option<&str> {
        use Request as R;
        match self {
            // Resume names a session this connection does not hold yet.
            R::OpenSession { .. } | R::Operator(_) | R::Resume { .. } => None,
            R::SignIn { session, .. }
            | R::SubmitAddress { session, .. }
            | R::CheckSlide { session, .. }
            | R::Request { session }
            | R::ChooseEmail { session }
            | R::OpenTicket { session, .. }
            | R::SendCode { session }
            | R::ConfirmCode { session, .. }
            | R::FlowStatus { session }
            | R::AssessPassword { session, .. }
            | R::SetPassword { session, .. }
            | R::CloseSession { session } => Some(session),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub enum Answer {
    Session(SessionId),
    SignIn(SignInAnswer),
    Address(EmailAddress),
    Slide(SlideVerdict),
    Flow(FlowView),
    Verdict(PasswordVerdict),
    Closed,
    Resumed,
    Operator(Result<OperatorReport, OperatorFailure>),
}

pub type Reply = Result<Answer, ServiceError>;
