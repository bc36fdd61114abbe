//! The recovery service at the other end of the daemon's socket. Every
//! call is one request and its reply; when the daemon goes away the call
//! says so, and the next one connects again.

use super::frame::{self, FrameError, MAX_FRAME};
use super::protocol::{Answer, Hello, PROTOCOL, Reply, Request, Rules, Welcome};
use super::{RecoveryService, ServiceError, SessionId, SignInAnswer};
use crate::operator::{OperatorCommand, OperatorFailure, OperatorReport};
use crate::recovery::{EmailAddress, FlowView, PasswordVerdict};
use crate::recovery::{SlideEvidence, SlideVerdict};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::net::UnixStream;
use tokio::sync::Mutex;
use zeroize::Zeroizing;

/// A step queued behind a burst of hashing may wait; longer than this and
/// the daemon is taken to be stuck.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot reach the rekey daemon at {path}: {reason}")]
    Unreachable { path: PathBuf, reason: String },
    #[error("the rekey daemon at {path} refused this wizard: {message}")]
    Refused { path: PathBuf, message: String },
}

pub struct SocketService {
    path: PathBuf,
    link: Mutex<Option<UnixStream>>,
}

impl SocketService {
    /// Connects and shakes hands; the rules are the daemon's.
    pub async fn connect(path: &Path) -> Result<(Self, Rules), ConnectError> {
        let (stream, rules) = handshake(path).await?;
        let service = Self {
            path: path.to_path_buf(),
            link: Mutex::new(Some(stream)),
        };
        Ok((service, rules))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    async fn call(&self, request: Request) -> Reply {
        let mut link = self.link.lock().await;
        if link.is_none() {
            let (stream, _) = handshake(&self.path)
                .await
                .map_err(|e| ServiceError::Unavailable(e.to_string()))?;
            *link = Some(stream);
        }
        let Some(stream) = link.as_mut() else {
            return Err(ServiceError::Unavailable("not connected".into()));
        };
        match tokio::time::timeout(REPLY_TIMEOUT, exchange(stream, &request)).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => {
                *link = None;
                Err(ServiceError::Unavailable(e.to_string()))
            }
            Err(_) => {
                *link = None;
                Err(ServiceError::Unavailable(format!(
                    "no answer within {} s",
                    REPLY_TIMEOUT.as_secs()
                )))
            }
        }
    }

    /// Runs an operator command in the daemon.
    pub async fn operator(
        &self,
        command: OperatorCommand,
    ) -> Result<Result<OperatorReport, OperatorFailure>, ServiceError> {
        match self.call(Request::Operator(command)).await? {
            Answer::Operator(outcome) => Ok(outcome),
            other => Err(unexpected(&other)),
        }
    }
}

async fn handshake(path: &Path) -> Result<(UnixStream, Rules), ConnectError> {
    let unreachable = |reason: String| ConnectError::Unreachable {
        path: path.to_path_buf(),
        reason,
    };
    let mut stream = match tokio::time::timeout(CONNECT_TIMEOUT, UnixStream::connect(path)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(unreachable(e.to_string())),
        Err(_) => return Err(unreachable("it did not answer".into())),
    };
    let welcome = tokio::time::timeout(CONNECT_TIMEOUT, async {
        frame::write_message(&mut stream, &Hello::this_build()).await?;
        frame::read_message::<_, Welcome>(&mut stream, MAX_FRAME).await
    })
    .await
    .map_err(|_| unreachable("it did not answer".into()))?
    .map_err(|e| unreachable(e.to_string()))?;
    match welcome {
        Some(Welcome::Ready {
            protocol: PROTOCOL,
            rules,
            ..
        }) => Ok((stream, rules)),
        Some(Welcome::Ready {
            protocol, version, ..
        }) => Err(ConnectError::Refused {
            path: path.to_path_buf(),
            message: format!(
                "it is rekey {version} (protocol {protocol}) and this is rekey {} (protocol \
                 {PROTOCOL}); install the same version on both sides",
                env!("CARGO_PKG_VERSION")
            ),
        }),
        Some(Welcome::Refused { message }) => Err(ConnectError::Refused {
            path: path.to_path_buf(),
            message,
        }),
        None => Err(unreachable("it closed the connection".into())),
    }
}

async fn exchange(stream: &mut UnixStream, request: &Request) -> Result<Reply, FrameError> {
    frame::write_message(stream, request).await?;
    match frame::read_message::<_, Reply>(stream, MAX_FRAME).await? {
        Some(reply) => Ok(reply),
        None => Err(FrameError::Truncated),
    }
}

fn unexpected(answer: &Answer) -> ServiceError {
    ServiceError::Internal(format!("the daemon answered out of turn: {answer:?}"))
}

fn session(session: &str) -> SessionId {
    session.to_string()
}

fn secret(text: &SecretString) -> Zeroizing<String> {
    Zeroizing::new(text.expose_secret().to_string())
}

macro_rules! expect {
    ($reply:expr, $variant:ident) => {
        match $reply? {
            Answer::$variant(value) => Ok(value),
            other => Err(unexpected(&other)),
        }
    };
}

impl SocketService {
    async fn open(
        &self,
        client: &str,
        language: &str,
        plain: bool,
    ) -> Result<SessionId, ServiceError> {
        let request = || Request::OpenSession {
            client: client.to_string(),
            language: language.to_string(),
            plain,
        };
        // The daemon closes a connection that sat idle without a session
        // (a wizard left on its landing screen): that is only noticed now,
        // and a second try on a new connection is safe for this request.
        match self.call(request()).await {
            Err(ServiceError::Unavailable(_)) => expect!(self.call(request()).await, Session),
            answer => expect!(answer, Session),
        }
    }
}

#[async_trait]
impl RecoveryService for SocketService {
    async fn open_session(&self, client: &str, language: &str) -> Result<SessionId, ServiceError> {
        self.open(client, language, false).await
    }

    async fn open_plain_session(
        &self,
        client: &str,
        language: &str,
    ) -> Result<SessionId, ServiceError> {
        self.open(client, language, true).await
    }

    async fn submit_address(&self, s: &str, address: &str) -> Result<EmailAddress, ServiceError> {
        let request = Request::SubmitAddress {
            session: session(s),
            address: address.to_string(),
        };
        expect!(self.call(request).await, Address)
    }

    async fn check_slide(
        &self,
        s: &str,
        evidence: &SlideEvidence,
    ) -> Result<SlideVerdict, ServiceError> {
        let request = Request::CheckSlide {
            session: session(s),
            evidence: evidence.clone(),
        };
        expect!(self.call(request).await, Slide)
    }

    async fn request(&self, s: &str) -> Result<FlowView, ServiceError> {
        let request = Request::Request {
            session: session(s),
        };
        expect!(self.call(request).await, Flow)
    }

    async fn choose_email(&self, s: &str) -> Result<FlowView, ServiceError> {
        let request = Request::ChooseEmail {
            session: session(s),
        };
        expect!(self.call(request).await, Flow)
    }

    async fn open_ticket(&self, s: &str, contact: Option<&str>) -> Result<FlowView, ServiceError> {
        let request = Request::OpenTicket {
            session: session(s),
            contact: contact.map(|c| c.chars().take(200).collect()),
        };
        expect!(self.call(request).await, Flow)
    }

    async fn sign_in(
        &self,
        s: &str,
        address: &str,
        password: &SecretString,
    ) -> Result<SignInAnswer, ServiceError> {
        let request = Request::SignIn {
            session: session(s),
            address: address.to_string(),
            password: secret(password),
        };
        expect!(self.call(request).await, SignIn)
    }

    async fn send_code(&self, s: &str) -> Result<FlowView, ServiceError> {
        let request = Request::SendCode {
            session: session(s),
        };
        expect!(self.call(request).await, Flow)
    }

    async fn confirm_code(&self, s: &str, code: &SecretString) -> Result<FlowView, ServiceError> {
        let request = Request::ConfirmCode {
            session: session(s),
            code: secret(code),
        };
        expect!(self.call(request).await, Flow)
    }

    async fn flow_status(&self, s: &str) -> Result<FlowView, ServiceError> {
        let request = Request::FlowStatus {
            session: session(s),
        };
        expect!(self.call(request).await, Flow)
    }

    async fn assess_password(
        &self,
        s: &str,
        password: &SecretString,
    ) -> Result<PasswordVerdict, ServiceError> {
        let request = Request::AssessPassword {
            session: session(s),
            password: secret(password),
        };
        expect!(self.call(request).await, Verdict)
    }

    async fn set_password(
        &self,
        s: &str,
        password: &SecretString,
        again: &SecretString,
    ) -> Result<FlowView, ServiceError> {
        let request = Request::SetPassword {
            session: session(s),
            password: secret(password),
            again: secret(again),
        };
        expect!(self.call(request).await, Flow)
    }

    async fn close_session(&self, s: &str) -> Result<(), ServiceError> {
        let request = Request::CloseSession {
            session: session(s),
        };
        match self.call(request).await? {
            Answer::Closed => Ok(()),
            other => Err(unexpected(&other)),
        }
    }
}
