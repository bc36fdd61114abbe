//! Delivery over SMTP with lettre: plain, STARTTLS or implicit TLS, with
//! or without AUTH, as the URL says. What the server answered is kept as
//! the message's last error, for `rekey outbox list`.
//!
//! rekey opens the TCP connection itself, with TCP_NODELAY, and keeps it
//! for the next message, asking NOOP before each. lettre writes a message's body and its final
//! `\r\n.\r\n` in two writes; without nodelay, Nagle held the last five
//! bytes until the server's delayed ACK, about 40 ms a message (22 a
//! second), and lettre's own transport offers no way to set it.

use super::transport::{DeliveryError, Transport};
use async_trait::async_trait;
use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{
    AsyncSmtpConnection, AsyncTokioStream, Certificate, TlsParameters,
};
use lettre::transport::smtp::extension::ClientId;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Mutex;
use tokio::time::timeout;

/// How the connection is protected, as the URL says.
#[derive(Clone)]
enum Security {
    Plain,
    /// STARTTLS; `required` refuses a server that does not offer it.
    StartTls {
        parameters: TlsParameters,
        required: bool,
    },
    /// TLS from the first byte (`smtps://`).
    Wrapper(Arc<rustls::ClientConfig>),
}

pub struct Smtp {
    host: String,
    port: u16,
    security: Security,
    credentials: Option<Credentials>,
    hello: ClientId,
    timeout: Duration,
    /// The connection kept between messages.
    held: Mutex<Option<AsyncSmtpConnection>>,
    /// The URL without its password, for messages.
    shown: String,
}

impl Smtp {
    /// `extra_ca` is a PEM certificate to trust besides the public roots,
    /// for a mail server with a private CA.
    pub fn from_url(url: &str, timeout: Duration, extra_ca: Option<&[u8]>) -> Result<Self, String> {
        let shown = without_password(url);
        let invalid =
            |why: &dyn std::fmt::Display| format!("the SMTP URL {shown} is not valid: {why}");
        let parsed = url::Url::parse(url).map_err(|e| invalid(&e))?;
        let host = parsed
            .host_str()
            .ok_or_else(|| invalid(&"it names no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let tls = parsed
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.to_string());
        // lettre accepts a PEM with no certificate in it; that would trust
        // nothing and fail later with a puzzling handshake error.
        if let Some(pem) = extra_ca
            && !String::from_utf8_lossy(pem).contains("-----BEGIN CERTIFICATE-----")
        {
            return Err("the CA certificate is not valid: no PEM certificate in it".to_string());
        }
        let starttls = |required: bool| -> Result<Security, String> {
            let mut builder = TlsParameters::builder(host.clone());
            if let Some(pem) = extra_ca {
                let certificate = Certificate::from_pem(pem)
                    .map_err(|e| format!("the CA certificate is not valid: {e}"))?;
                builder = builder.add_root_certificate(certificate);
            }
            let parameters = builder
                .build_rustls()
                .map_err(|e| format!("TLS cannot be set up: {e}"))?;
            Ok(Security::StartTls {
                parameters,
                required,
            })
        };
        let (security, default_port) = match (parsed.scheme(), tls.as_deref()) {
            ("smtp", None) => (Security::Plain, 25),
            ("smtp", Some("required")) => (starttls(true)?, 587),
            ("smtp", Some("opportunistic")) => (starttls(false)?, 587),
            ("smtps", _) => {
                let config = crate::tls::client_config(extra_ca, "the CA certificate")?;
                (Security::Wrapper(Arc::new(config)), 465)
            }
            (scheme, tls) => {
                return Err(invalid(&format!(
                    "unknown scheme {scheme:?} or tls parameter {tls:?}"
                )));
            }
        };
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|e| invalid(&e))
        };
        let credentials = match parsed.password() {
            Some(password) => Some(Credentials::new(
                decode(parsed.username())?,
                decode(password)?,
            )),
            None => None,
        };
        // The path names the client in EHLO, as lettre reads it.
        let hello = match parsed.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(name.to_string()),
        };
        Ok(Self {
            port: parsed.port().unwrap_or(default_port),
            host,
            security,
            credentials,
            hello,
            timeout,
            held: Mutex::new(None),
            shown,
        })
    }

    /// A new connection: TCP with nodelay, TLS as the URL says, EHLO,
    /// AUTH.
    async fn open(&self) -> Result<AsyncSmtpConnection, DeliveryError> {
        let fault = |why: String| DeliveryError::transient(format!("{}: {why}", self.shown));
        let limit = |what: &str| {
            fault(format!(
                "{what} took longer than {} s",
                self.timeout.as_secs()
            ))
        };
        let addresses = timeout(
            self.timeout,
            tokio::net::lookup_host((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| limit("looking up the host"))?
        .map_err(|e| fault(format!("cannot look up the host: {e}")))?;
        // Each address with a time limit of its own, as lettre does: a
        // blackholed IPv6 address must not use up the time of an IPv4 one.
        let mut tcp = None;
        let mut last = "the host has no address".to_string();
        for address in addresses {
            match timeout(self.timeout, TcpStream::connect(address)).await {
                Ok(Ok(stream)) => {
                    tcp = Some(stream);
                    break;
                }
                Ok(Err(e)) => last = format!("cannot connect to {address}: {e}"),
                Err(_) => last = format!("connecting to {address} took too long"),
            }
        }
        let tcp = tcp.ok_or_else(|| fault(last))?;
        tcp.set_nodelay(true)
            .map_err(|e| fault(format!("cannot set TCP_NODELAY: {e}")))?;
        let stream: Box<dyn AsyncTokioStream> = match &self.security {
            Security::Wrapper(config) => {
                let name = rustls::pki_types::ServerName::try_from(self.host.clone())
                    .map_err(|e| fault(format!("{e}")))?;
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                let tls = timeout(self.timeout, connector.connect(name, tcp))
                    .await
                    .map_err(|_| limit("the TLS handshake"))?
                    .map_err(|e| fault(format!("TLS failed: {e}")))?;
                Box::new(TlsTcp(tls))
            }
            _ => Box::new(tcp),
        };
        let step = |e: lettre::transport::smtp::Error| self.error(&e);
        let mut conn = timeout(
            self.timeout,
            AsyncSmtpConnection::connect_with_transport(stream, &self.hello),
        )
        .await
        .map_err(|_| limit("the greeting"))?
        .map_err(step)?;
        if let Security::StartTls {
            parameters,
            required,
        } = &self.security
        {
            if conn.can_starttls() {
                timeout(self.timeout, conn.starttls(parameters.clone(), &self.hello))
                    .await
                    .map_err(|_| limit("STARTTLS"))?
                    .map_err(step)?;
            } else if *required {
                return Err(fault("the server does not offer STARTTLS".into()));
            }
        }
        if let Some(credentials) = &self.credentials {
            timeout(
                self.timeout,
                conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials),
            )
            .await
            .map_err(|_| limit("AUTH"))?
            .map_err(step)?;
        }
        Ok(conn)
    }

    /// The kept connection when it still serves, else a new one.
    async fn connection(
        &self,
        held: &mut Option<AsyncSmtpConnection>,
    ) -> Result<AsyncSmtpConnection, DeliveryError> {
        // NOOP first, one round trip: a server that closed the connection
        // (idle, or after so many messages) costs a new one, not a failure.
        if let Some(mut conn) = held.take()
            && !conn.has_broken()
            && let Ok(true) = timeout(self.timeout, conn.test_connected()).await
        {
            return Ok(conn);
        }
        self.open().await
    }

    /// What a conversation under the time limit came to: on success the
    /// connection is kept for the next message; after a refusal or a fault
    /// it is not trusted again, and the next message opens a new one.
    async fn settle(
        &self,
        held: &mut Option<AsyncSmtpConnection>,
        mut conn: AsyncSmtpConnection,
        outcome: Result<
            Result<lettre::transport::smtp::response::Response, lettre::transport::smtp::Error>,
            tokio::time::error::Elapsed,
        >,
        what: &str,
    ) -> Result<lettre::transport::smtp::response::Response, DeliveryError> {
        match outcome {
            Ok(Ok(answer)) => {
                *held = Some(conn);
                Ok(answer)
            }
            Ok(Err(e)) => {
                let _ = timeout(self.timeout, conn.abort()).await;
                Err(self.error(&e))
            }
            Err(_) => Err(DeliveryError::transient(format!(
                "{}: {what} took longer than {} s",
                self.shown,
                self.timeout.as_secs()
            ))),
        }
    }

    fn error(&self, e: &lettre::transport::smtp::Error) -> DeliveryError {
        DeliveryError {
            message: format!("{}: {e}", self.shown),
            permanent: e.is_permanent(),
            // A reply code is the server speaking about this message;
            // anything else (connection, TLS, timeout) is the server.
            server_fault: !e.is_permanent() && !e.is_transient(),
        }
    }
}

/// A TLS stream over TCP as lettre's connection takes it.
struct TlsTcp(tokio_rustls::client::TlsStream<TcpStream>);

impl std::fmt::Debug for TlsTcp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsTcp")
    }
}

impl AsyncRead for TlsTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsTcp {
    fn peer_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

/// `smtp://user:secret@host` → `smtp://user:***@host`; a malformed URL
/// loses everything before its last `@`.
fn without_password(url: &str) -> String {
    let Some((before, host)) = url.rsplit_once('@') else {
        return url.to_string();
    };
    match before.split_once("://") {
        Some((scheme, userinfo)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => format!("***@{host}"),
    }
}

/// True when the URL carries credentials but the connection would not be
/// encrypted (and the server is not on this machine).
pub fn sends_password_in_clear(url: &str) -> bool {
    let Some((before, host)) = url.rsplit_once('@') else {
        return false;
    };
    let encrypted = url.starts_with("smtps://") || url.contains("tls=required");
    let local =
        host.starts_with("localhost") || host.starts_with("127.") || host.starts_with("[::1]");
    before.contains(':') && before.contains("://") && !encrypted && !local
}

#[async_trait]
impl Transport for Smtp {
    async fn deliver(&self, _key: &str, message: &Message) -> Result<String, DeliveryError> {
        let mut held = self.held.lock().await;
        let mut conn = self.connection(&mut held).await?;
        let sent = timeout(
            self.timeout,
            conn.send(message.envelope(), &message.formatted()),
        )
        .await;
        let answer = self.settle(&mut held, conn, sent, "the message").await?;
        let words: Vec<&str> = answer.message().collect();
        Ok(format!("{} {}", answer.code(), words.join(" ")))
    }

    fn describe(&self) -> String {
        format!("SMTP {}", self.shown)
    }

    async fn rehearse(
        &self,
        envelope: &lettre::address::Envelope,
    ) -> Result<String, DeliveryError> {
        use lettre::transport::smtp::commands::{Mail, Rcpt, Rset};
        let mut held = self.held.lock().await;
        let mut conn = self.connection(&mut held).await?;
        let steps = timeout(self.timeout, async {
            conn.command(Mail::new(envelope.from().cloned(), Vec::new()))
                .await?;
            for to in envelope.to() {
                conn.command(Rcpt::new(to.clone(), Vec::new())).await?;
            }
            conn.command(Rset).await
        })
        .await;
        let answer = self.settle(&mut held, conn, steps, "the server").await?;
        Ok(format!("{} (no message sent)", answer.code()))
    }

    async fn check(&self) -> Result<(), String> {
        let mut held = self.held.lock().await;
        let mut conn = self.connection(&mut held).await.map_err(|e| e.message)?;
        if timeout(self.timeout, conn.test_connected())
            .await
            .unwrap_or(false)
        {
            *held = Some(conn);
            Ok(())
        } else {
            Err(format!("{} does not answer as a mail server", self.shown))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_messages() {
        assert_eq!(
            without_password("smtp://ada:s3cret@mail.example.com:587?tls=required"),
            "smtp://ada:***@mail.example.com:587?tls=required"
        );
        assert_eq!(
            without_password("smtp://localhost:25"),
            "smtp://localhost:25"
        );
    }

    #[test]
    fn a_wrong_url_is_a_clear_error() {
        let err = Smtp::from_url("gopher://x", Duration::from_secs(1), None)
            .err()
            .unwrap();
        assert!(
            err.starts_with("the SMTP URL gopher://x is not valid"),
            "{err}"
        );
        assert!(Smtp::from_url("smtp://127.0.0.1:2525", Duration::from_secs(1), None).is_ok());
        let bad_ca = Smtp::from_url("smtps://localhost", Duration::from_secs(1), Some(b"nope"));
        assert!(bad_ca.err().unwrap().contains("CA certificate"));
    }
}
