//! One person at one screen: the steps before a flow exists (address given,
//! slide verified), and which flow the session then follows.

use super::address::EmailAddress;
use super::clock::Millis;
use super::flow::{Confirmation, Flow, FlowError, FlowView, Limits, Stage};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionStep {
    Started,
    AddressGiven {
        address: EmailAddress,
    },
    SlideVerified {
        address: EmailAddress,
    },
    /// Request was pressed: the flow for `address` is this session's.
    InFlow {
        address: EmailAddress,
    },
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
pub enum SessionError {
    #[error("enter your e-mail address first")]
    NoAddress,
    #[error("complete the slide first")]
    SlideNeeded,
    #[error("press Request first")]
    NotRequested,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    /// Where the person is: the SSH client or the terminal.
    pub client: String,
    /// Who the session's requests come from, as far as the service can
    /// prove it: what the cooldown and the hourly cap count per.
    #[serde(default)]
    pub origin: String,
    /// The language the person chose, for the mail they are sent.
    pub language: String,
    pub created_ms: Millis,
    pub seen_ms: Millis,
    pub step: SessionStep,
    /// The right code this session typed, if it did.
    #[serde(default)]
    pub confirmed: Option<Confirmation>,
    /// This session set the new password: its recovery is over.
    #[serde(default)]
    pub finished: bool,
    /// The Support ticket this session opened, if it did: asking again
    /// gives the same one.
    #[serde(default)]
    pub ticket: Option<String>,
    /// A plain-mode wizard (screen readers, braille displays): no slide.
    /// The slide is pacing evidence from rekey's own wizard, not a
    /// barrier; everything else (limits, floors, answers) is the same.
    #[serde(default)]
    pub plain: bool,
}

impl Session {
    pub fn start(id: String, client: String, language: String, now: Millis) -> Self {
        Self {
            id,
            origin: client.clone(),
            client,
            language,
            created_ms: now,
            seen_ms: now,
            step: SessionStep::Started,
            confirmed: None,
            finished: false,
            ticket: None,
            plain: false,
        }
    }

    pub fn address(&self) -> Option<&EmailAddress> {
        match &self.step {
            SessionStep::Started => None,
            SessionStep::AddressGiven { address }
            | SessionStep::SlideVerified { address }
            | SessionStep::InFlow { address } => Some(address),
        }
    }

    /// A new or corrected address. Coming back with the same address keeps
    /// the slide; another address must be slid for again.
    pub fn give_address(&mut self, address: EmailAddress) {
        let keeps_slide = matches!(
            &self.step,
            SessionStep::SlideVerified { address: a } | SessionStep::InFlow { address: a }
                if *a == address
        );
        if !keeps_slide {
            self.confirmed = None;
            self.finished = false;
        }
        self.step = if keeps_slide {
            SessionStep::SlideVerified { address }
        } else {
            SessionStep::AddressGiven { address }
        };
    }

    pub fn slide_verified(&mut self) -> Result<(), SessionError> {
        let address = self.address().cloned().ok_or(SessionError::NoAddress)?;
        self.step = SessionStep::SlideVerified { address };
        Ok(())
    }

    /// Press Request: needs an address and a verified slide.
    pub fn enter_flow(&mut self) -> Result<EmailAddress, SessionError> {
        match &self.step {
            SessionStep::Started => Err(SessionError::NoAddress),
            SessionStep::AddressGiven { address } if self.plain => {
                let address = address.clone();
                self.step = SessionStep::InFlow {
                    address: address.clone(),
                };
                Ok(address)
            }
            SessionStep::AddressGiven { .. } => Err(SessionError::SlideNeeded),
            SessionStep::SlideVerified { address } | SessionStep::InFlow { address } => {
                let address = address.clone();
                self.step = SessionStep::InFlow {
                    address: address.clone(),
                };
                Ok(address)
            }
        }
    }

    /// Checks that this session may set the password on `flow` now: it
    /// typed the flow's right code, not longer ago than a code lives.
    pub fn may_set_password(
        &self,
        flow: &Flow,
        now: Millis,
        limits: &Limits,
    ) -> Result<(), FlowError> {
        if self.finished {
            return Err(FlowError::Ended);
        }
        match &self.confirmed {
            Some(c) if c.flow_id == flow.id => {
                if now.saturating_sub(c.at_ms) < limits.code_lifetime_ms {
                    Ok(())
                } else {
                    Err(FlowError::CodeExpired)
                }
            }
            _ => Err(FlowError::NotConfirmed),
        }
    }

    pub fn password_set(&mut self) {
        self.confirmed = None;
        self.finished = true;
    }

    /// The flow as this session sees it: its own confirmation or finished
    /// recovery over the shared flow.
    pub fn overlay(&self, flow: &Flow, view: FlowView, now: Millis, limits: &Limits) -> FlowView {
        let live = self.confirmed.as_ref().is_some_and(|c| {
            c.flow_id == flow.id && now.saturating_sub(c.at_ms) < limits.code_lifetime_ms
        });
        let stage = if self.finished {
            Stage::PasswordSet
        } else if live {
            Stage::CodeConfirmed
        } else {
            return view;
        };
        FlowView {
            stage,
            code: None,
            ..view
        }
    }

    /// The address whose flow this session follows.
    pub fn flow_address(&self) -> Result<&EmailAddress, SessionError> {
        match &self.step {
            SessionStep::InFlow { address } => Ok(address),
            _ => Err(SessionError::NotRequested),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> EmailAddress {
        EmailAddress::parse(s).unwrap()
    }

    #[test]
    fn request_needs_an_address_and_a_slide() {
        let mut s = Session::start("s".into(), "tty".into(), "en".into(), 0);
        assert_eq!(s.enter_flow(), Err(SessionError::NoAddress));
        assert_eq!(s.slide_verified(), Err(SessionError::NoAddress));
        s.give_address(addr("a@example.com"));
        assert_eq!(s.enter_flow(), Err(SessionError::SlideNeeded));
        s.slide_verified().unwrap();
        assert_eq!(s.enter_flow(), Ok(addr("a@example.com")));
        assert_eq!(s.flow_address(), Ok(&addr("a@example.com")));
    }

    #[test]
    fn a_plain_session_needs_no_slide_but_still_an_address() {
        let mut s = Session::start("s".into(), "tty".into(), "en".into(), 0);
        s.plain = true;
        assert_eq!(s.enter_flow(), Err(SessionError::NoAddress));
        s.give_address(addr("a@example.com"));
        assert_eq!(s.enter_flow(), Ok(addr("a@example.com")));
    }

    #[test]
    fn another_address_needs_another_slide() {
        let mut s = Session::start("s".into(), "tty".into(), "en".into(), 0);
        s.give_address(addr("a@example.com"));
        s.slide_verified().unwrap();
        s.give_address(addr("a@example.com"));
        assert!(matches!(s.step, SessionStep::SlideVerified { .. }));
        s.give_address(addr("b@example.com"));
        assert_eq!(s.enter_flow(), Err(SessionError::SlideNeeded));
        assert_eq!(s.flow_address(), Err(SessionError::NotRequested));
    }
}
