//! What the wizard asks of the recovery service, and the answers, as
//! messages: the screens never wait on the service.

use crate::recovery::{EmailAddress, FlowView, SlideEvidence, SlideVerdict};
use crate::service::{RecoveryService, SecretString, ServiceError, SessionId};

#[derive(Debug)]
pub enum Call {
    Open { language: String },
    SubmitAddress(String),
    CheckSlide(SlideEvidence),
    Flow(FlowCall),
    ConfirmCode(SecretString),
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
        call => {
            let Some(s) = session.as_deref() else {
                return match call {
                    Call::SubmitAddress(_) => Reply::Address(Err(ServiceError::NoSession)),
                    Call::CheckSlide(_) => Reply::Slide(Err(ServiceError::NoSession)),
                    Call::Flow(kind) => Reply::Flow(kind, Err(ServiceError::NoSession)),
                    Call::ConfirmCode(_) => {
                        Reply::Flow(FlowCall::Confirm, Err(ServiceError::NoSession))
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
                        FlowCall::OpenTicket => service.open_ticket(s).await,
                        FlowCall::SendCode => service.send_code(s).await,
                        FlowCall::Status => service.flow_status(s).await,
                        FlowCall::Confirm | FlowCall::SetPassword => {
                            Err(ServiceError::Internal("a call without its input".into()))
                        }
                    };
                    Reply::Flow(kind, answer)
                }
                Call::ConfirmCode(code) => {
                    Reply::Flow(FlowCall::Confirm, service.confirm_code(s, &code).await)
                }
                Call::SetPassword(pw, again) => Reply::Flow(
                    FlowCall::SetPassword,
                    service.set_password(s, &pw, &again).await,
                ),
                Call::Open { .. } | Call::Close => Reply::Closed,
            }
        }
    }
}
