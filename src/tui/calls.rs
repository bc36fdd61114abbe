//! What the wizard asks of the recovery service, and the answers, as
//! messages: the screens never wait on the service.

use crate::recovery::{EmailAddress, FlowView, SlideEvidence, SlideVerdict};
use crate::service::{RecoveryService, SecretString, ServiceError, SessionId, SignInAnswer};

#[derive(Debug)]
pub enum Call {
    Open {
        language: String,
    },
    /// The landing screen's sign-in, in a session of its own when none is
    /// open yet.
    SignIn {
        language: String,
        address: String,
        password: SecretString,
    },
    SubmitAddress(String),
    CheckSlide(SlideEvidence),
    Flow(FlowCall),
    ConfirmCode(SecretString),
    /// Support, with how support can reach the person.
    OpenTicket(Option<String>),
    SetPassword(SecretString, SecretString),
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowCall {
    Request,
    ChooseEmail,
    OpenTicket,
    SendCode,
    Confirm,
    Status,
    SetPassword,
}

#[derive(Debug)]
pub enum Reply {
    Opened(Result<(), ServiceError>),
    SignIn(Result<SignInAnswer, ServiceError>),
    Address(Result<EmailAddress, ServiceError>),
    Slide(Result<SlideVerdict, ServiceError>),
    Flow(FlowCall, Result<FlowView, ServiceError>),
    Closed,
}

/// Runs one call on `service` for the session in `session`.
pub async fn run(
    service: &dyn RecoveryService,
    session: &mut Option<SessionId>,
    client: &str,
    call: Call,
) -> Reply {
    match call {
        Call::Open { language } => {
            if let Some(old) = session.take() {
                let _ = service.close_session(&old).await;
            }
            let opened = service.open_session(client, &language).await;
            Reply::Opened(opened.map(|id| {
                *session = Some(id);
            }))
        }
        Call::Close => {
            if let Some(old) = session.take() {
                let _ = service.close_session(&old).await;
            }
            Reply::Closed
        }
        Call::SignIn {
            language,
            address,
            password,
        } => {
            let id = match session.clone() {
                Some(id) => id,
                None => match service.open_session(client, &language).await {
                    Ok(id) => session.insert(id).clone(),
                    Err(e) => return Reply::SignIn(Err(e)),
                },
            };
            let answer = service.sign_in(&id, &address, &password).await;
            if matches!(
                answer,
                Err(ServiceError::NoSession | ServiceError::Unavailable(_))
            ) {
                // The session idled out on the landing screen, or the
                // daemon went away with it: the next try opens another.
                *session = None;
            }
            Reply::SignIn(answer)
        }
        call => {
            let Some(s) = session.as_deref() else {
                return match call {
                    Call::SubmitAddress(_) => Reply::Address(Err(ServiceError::NoSession)),
                    Call::CheckSlide(_) => Reply::Slide(Err(ServiceError::NoSession)),
                    Call::Flow(kind) => Reply::Flow(kind, Err(ServiceError::NoSession)),
                    Call::ConfirmCode(_) => {
                        Reply::Flow(FlowCall::Confirm, Err(ServiceError::NoSession))
                    }
                    Call::OpenTicket(_) => {
                        Reply::Flow(FlowCall::OpenTicket, Err(ServiceError::NoSession))
                    }
                    _ => Reply::Flow(FlowCall::SetPassword, Err(ServiceError::NoSession)),
                };
            };
            match call {
                Call::SubmitAddress(address) => {
                    Reply::Address(service.submit_address(s, &address).await)
                }
                Call::CheckSlide(evidence) => Reply::Slide(service.check_slide(s, &evidence).await),
                Call::Flow(kind) => {
                    let answer = match kind {
                        FlowCall::Request => service.request(s).await,
                        FlowCall::ChooseEmail => service.choose_email(s).await,
                        FlowCall::SendCode => service.send_code(s).await,
                        FlowCall::Status => service.flow_status(s).await,
                        FlowCall::Confirm | FlowCall::SetPassword | FlowCall::OpenTicket => {
                            Err(ServiceError::Internal("a call without its input".into()))
                        }
                    };
                    Reply::Flow(kind, answer)
                }
                Call::ConfirmCode(code) => {
                    Reply::Flow(FlowCall::Confirm, service.confirm_code(s, &code).await)
                }
                Call::OpenTicket(contact) => Reply::Flow(
                    FlowCall::OpenTicket,
                    service.open_ticket(s, contact.as_deref()).await,
                ),
                Call::SetPassword(pw, again) => Reply::Flow(
                    FlowCall::SetPassword,
                    service.set_password(s, &pw, &again).await,
                ),
                Call::Open { .. } | Call::Close | Call::SignIn { .. } => Reply::Closed,
            }
        }
    }
}
