//! The recovery service at the other end of the daemon's socket. Every
//! call is one request and its reply; when the daemon goes away the call
//! says so, and the next one connects again: to the next daemon of the
//! list when there are several (a fleet on one shared store), which takes
//! over the wizard's session.

use super::frame::{self, FrameError, Link, MAX_FRAME};
use super::protocol::{Answer, Hello, PROTOCOL, Reply, Request, Rules, Welcome};
use super::{RecoveryService, ServiceError, SessionId, SignInAnswer};
use crate::operator::{OperatorCommand, OperatorFailure, OperatorReport};
use crate::recovery::{EmailAddress, FlowView, PasswordVerdict};
use crate::recovery::{SlideEvidence, SlideVerdict};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpStream, UnixStream};
use tokio::sync::Mutex;
use zeroize::Zeroizing;

/// A step queued behind a burst of hashing may wait; longer than this and
/// the daemon is taken to be stuck.
const REPLY_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot reach the rekey daemon at {path}: {reason}")]
    Unreachable { path: String, reason: String },
    #[error("the rekey daemon at {path} refused this wizard: {message}")]
    Refused { path: String, message: String },
}

/// Where a daemon listens: its Unix socket on this machine, or
/// `tls://HOST:PORT` (`rekey serve --listen`) on another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Unix(PathBuf),
    Tls { host: String, port: u16 },
}

impl Address {
    /// A socket's path, or `tls://HOST:PORT`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let Some(rest) = text.strip_prefix("tls://") else {
            return Ok(Self::Unix(PathBuf::from(text)));
        };
        let rest = rest.trim_end_matches('/');
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("{text}: a TLS address is tls://HOST:PORT"))?;
        let port = port
            .parse()
            .map_err(|_| format!("{text}: {port:?} is not a port"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("{text}: a TLS address is tls://HOST:PORT"));
        }
        Ok(Self::Tls {
            host: host.to_string(),
            port,
        })
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "{}", path.display()),
            Self::Tls { host, port } if host.contains(':') => write!(f, "tls://[{host}]:{port}"),
            Self::Tls { host, port } => write!(f, "tls://{host}:{port}"),
        }
    }
}

/// Where to reach the daemons, and this wizard's certificate for those
/// over TLS.
#[derive(Clone)]
pub struct Dial {
    pub addresses: Vec<Address>,
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl Dial {
    /// Unix sockets only.
    pub fn sockets(paths: &[PathBuf]) -> Self {
        Self {
            addresses: paths.iter().cloned().map(Address::Unix).collect(),
            tls: None,
        }
    }
}

/// A wizard's TLS settings for `--connect tls://…`: its certificate and
/// key (PEM), and the CA of the daemons' certificates.
pub fn client_tls(cert: &Path, key: &Path, ca: &Path) -> Result<rustls::ClientConfig, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let read = |what: &str, path: &Path| {
        std::fs::read(path).map_err(|e| format!("cannot read {what} {}: {e}", path.display()))
    };
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(&read("--cert", cert)?)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("--cert {}: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("--cert {} holds no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_slice(&read("--key", key)?)
        .map_err(|e| format!("--key {}: {e}", key.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for found in CertificateDer::pem_slice_iter(&read("--ca", ca)?) {
        let found = found.map_err(|e| format!("--ca {}: {e}", ca.display()))?;
        roots
            .add(found)
            .map_err(|e| format!("--ca {}: {e}", ca.display()))?;
    }
    if roots.is_empty() {
        return Err(format!("--ca {} holds no certificate", ca.display()));
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_client_auth_cert(certs, key)
        .map_err(|e| format!("--cert and --key: {e}"))
}

pub struct SocketService {
    /// The daemons to try, in order; one alone without a fleet.
    addresses: Vec<Address>,
    tls: Option<Arc<rustls::ClientConfig>>,
    link: Mutex<Connected>,
    /// The sessions this wizard opened, with what it said of itself when it
    /// did: taken over on another daemon after a switch.
    opened: std::sync::Mutex<Vec<(SessionId, String)>>,
}

/// The connection now, if there is one, and where to try next.
#[derive(Default)]
struct Connected {
    stream: Option<Box<dyn Link>>,
    /// The daemon of `paths` this connection is to, or to try first.
    at: usize,
    /// The sessions this connection holds (opened or taken over on it).
    held: Vec<SessionId>,
}

impl SocketService {
    /// Connects and shakes hands; the rules are the daemon's.
    pub async fn connect(path: &Path) -> Result<(Self, Rules), ConnectError> {
        Self::connect_any(&[path.to_path_buf()]).await
    }

    /// Connects to the first of `paths` that answers; a call after one
    /// goes away goes to the next.
    pub async fn connect_any(paths: &[PathBuf]) -> Result<(Self, Rules), ConnectError> {
        Self::dial(&Dial::sockets(paths)).await
    }

    /// Connects to the first of the addresses that answers; a call after
    /// one goes away goes to the next.
    pub async fn dial(dial: &Dial) -> Result<(Self, Rules), ConnectError> {
        let mut last = None;
        for (at, address) in dial.addresses.iter().enumerate() {
            match handshake(address, dial.tls.as_ref()).await {
                Ok((stream, rules)) => {
                    let service = Self {
                        addresses: dial.addresses.clone(),
                        tls: dial.tls.clone(),
                        link: Mutex::new(Connected {
                            stream: Some(stream),
                            at,
                            held: Vec::new(),
                        }),
                        opened: std::sync::Mutex::new(Vec::new()),
                    };
                    return Ok((service, rules));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| ConnectError::Unreachable {
            path: String::new(),
            reason: "no daemon was named".into(),
        }))
    }

    /// Goes on with `session`, opened elsewhere (by another process of
    /// the same origin, which said `client` of itself): the next call on it
    /// asks the daemon to take it over.
    pub fn take_over(&self, session: &str, client: &str) {
        self.opened
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((session.to_string(), client.to_string()));
    }

    /// The first daemon's address.
    pub fn address(&self) -> Option<&Address> {
        self.addresses.first()
    }

    /// Connects to the daemon at `link.at`, else the ones after it in turn.
    async fn reach(&self, link: &mut Connected) -> Result<(), ServiceError> {
        let mut last = String::from("no daemon was named");
        for step in 0..self.addresses.len() {
            let at = (link.at + step) % self.addresses.len();
            match handshake(&self.addresses[at], self.tls.as_ref()).await {
                Ok((stream, _)) => {
                    *link = Connected {
                        stream: Some(stream),
                        at,
                        held: Vec::new(),
                    };
                    return Ok(());
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(ServiceError::Unavailable(last))
    }

    async fn call(&self, request: Request) -> Reply {
        let mut link = self.link.lock().await;
        let (mut answer, sent) = self.call_on(&mut link, &request).await;
        // The daemon went away mid-call: the next one of the fleet takes
        // the session over, and a request that may be repeated is. One
        // that never left (no daemon answered) is not tried again.
        if sent
            && matches!(answer, Err(ServiceError::Unavailable(_)))
            && self.addresses.len() > 1
            && request.is_repeatable()
        {
            answer = self.call_on(&mut link, &request).await.0;
        }
        match (&request, &answer) {
            (Request::OpenSession { client, .. }, Ok(Answer::Session(id))) => {
                link.held.push(id.clone());
                self.opened
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((id.clone(), client.clone()));
            }
            (Request::CloseSession { session }, _) => {
                link.held.retain(|s| s != session);
                self.opened
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .retain(|(s, _)| s != session);
            }
            _ => {}
        }
        answer
    }

    /// One try of `request`: connected first if need be, and the session
    /// taken over when this connection does not hold it yet. Says too
    /// whether a daemon was reached to send it to.
    async fn call_on(&self, link: &mut Connected, request: &Request) -> (Reply, bool) {
        // A daemon that stopped or died since the last call closed the
        // link: seen now, before a request that must not be sent twice is
        // sent into it, the next daemon is reached instead.
        if link.stream.as_mut().is_some_and(closed_by_peer) {
            link.stream = None;
            link.held.clear();
            link.at = (link.at + 1) % self.addresses.len().max(1);
        }
        if link.stream.is_none()
            && let Err(e) = self.reach(link).await
        {
            return (Err(e), false);
        }
        (self.send_on(link, request).await, true)
    }

    /// `request` on the connected link, the session taken over first when
    /// this connection does not hold it yet.
    async fn send_on(&self, link: &mut Connected, request: &Request) -> Reply {
        // A session of this wizard's that this connection does not hold:
        // opened on a daemon that went away; this one takes it over.
        if let Some(id) = request.session()
            && !link.held.iter().any(|s| s == id)
        {
            let client = self
                .opened
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .iter()
                .find(|(s, _)| s == id)
                .map(|(_, client)| client.clone());
            if let Some(client) = client {
                let resume = Request::Resume {
                    session: id.to_string(),
                    client,
                };
                match self.exchange_on(link, &resume).await? {
                    Answer::Resumed => link.held.push(id.to_string()),
                    other => return Err(unexpected(&other)),
                }
            }
        }
        self.exchange_on(link, request).await
    }

    /// One request on the link; a link that failed is dropped, and the
    /// next call starts at the next daemon.
    async fn exchange_on(&self, link: &mut Connected, request: &Request) -> Reply {
        let Some(stream) = link.stream.as_mut() else {
            return Err(ServiceError::Unavailable("not connected".into()));
        };
        let lost = match tokio::time::timeout(REPLY_TIMEOUT, exchange(stream, request)).await {
            Ok(Ok(reply)) => return reply,
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} s", REPLY_TIMEOUT.as_secs()),
        };
        link.stream = None;
        link.held.clear();
        link.at = (link.at + 1) % self.addresses.len().max(1);
        Err(ServiceError::Unavailable(lost))
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

/// A stream to `address`: the socket, or TCP with TLS (this wizard's
/// certificate presented, the daemon's checked against the CA).
async fn open(
    address: &Address,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<Box<dyn Link>, String> {
    match address {
        Address::Unix(path) => Ok(Box::new(
            UnixStream::connect(path).await.map_err(|e| e.to_string())?,
        )),
        Address::Tls { host, port } => {
            let Some(tls) = tls else {
                return Err("a TLS address needs --cert, --key and --ca".into());
            };
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|e| format!("{host}: {e}"))?;
            let tcp = TcpStream::connect((host.as_str(), *port))
                .await
                .map_err(|e| e.to_string())?;
            let _ = tcp.set_nodelay(true);
            let connector = tokio_rustls::TlsConnector::from(tls.clone());
            let stream = connector
                .connect(name, tcp)
                .await
                .map_err(|e| format!("the TLS handshake failed: {e}"))?;
            Ok(Box::new(stream))
        }
    }
}

async fn handshake(
    address: &Address,
    tls: Option<&Arc<rustls::ClientConfig>>,
) -> Result<(Box<dyn Link>, Rules), ConnectError> {
    let unreachable = |reason: String| ConnectError::Unreachable {
        path: address.to_string(),
        reason,
    };
    let mut stream = match tokio::time::timeout(CONNECT_TIMEOUT, open(address, tls)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(unreachable(e)),
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
            path: address.to_string(),
            message: format!(
                "it is rekey {version} (protocol {protocol}) and this is rekey {} (protocol \
                 {PROTOCOL}); install the same version on both sides",
                env!("CARGO_PKG_VERSION")
            ),
        }),
        Some(Welcome::Refused { message }) => Err(ConnectError::Refused {
            path: address.to_string(),
            message,
        }),
        None => Err(unreachable("it closed the connection".into())),
    }
}

/// Whether the daemon closed `stream` (or sent what nobody asked for),
/// without waiting: between calls nothing may be pending on it.
fn closed_by_peer(stream: &mut Box<dyn Link>) -> bool {
    use futures::FutureExt;
    use tokio::io::AsyncReadExt;
    let mut byte = [0u8; 1];
    // Pending: still open, with nothing to say. Anything else (the end
    // of the stream, an error, stray bytes) leaves it unusable.
    stream.read(&mut byte).now_or_never().is_some()
}

async fn exchange(stream: &mut Box<dyn Link>, request: &Request) -> Result<Reply, FrameError> {
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
