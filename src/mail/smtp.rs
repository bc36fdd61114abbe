//! Delivery over SMTP with lettre: plain, STARTTLS or implicit TLS, with
//! or without AUTH, as the URL says. What the server answered is kept as
//! the message's last error, for `rekey outbox list`.

use super::transport::{DeliveryError, Transport};
use async_trait::async_trait;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The URL without its password, for messages.
    shown: String,
}

impl Smtp {
    /// `extra_ca` is a PEM certificate to trust besides the public roots,
    /// for a mail server with a private CA.
    pub fn from_url(url: &str, timeout: Duration, extra_ca: Option<&[u8]>) -> Result<Self, String> {
        let shown = without_password(url);
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP URL {shown} is not valid: {e}"))?
            .timeout(Some(timeout));
        if let Some(pem) = extra_ca {
            builder = builder.tls(tls_trusting(url, pem)?);
        }
        Ok(Self {
            transport: builder.build(),
            shown,
        })
    }
}

/// The TLS mode the URL asks for, trusting `pem` as well.
fn tls_trusting(url: &str, pem: &[u8]) -> Result<Tls, String> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("smtp", url));
    let after_user = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host: String = after_user
        .chars()
        .take_while(|c| !matches!(c, ':' | '/' | '?'))
        .collect();
    let mode = url
        .split_once('?')
        .and_then(|(_, query)| query.split('&').find_map(|kv| kv.strip_prefix("tls=")))
        .unwrap_or("");
    // lettre accepts a PEM with no certificate in it; that would trust
    // nothing and fail later with a puzzling handshake error.
    if !String::from_utf8_lossy(pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err("the CA certificate is not valid: no PEM certificate in it".to_string());
    }
    let certificate =
        Certificate::from_pem(pem).map_err(|e| format!("the CA certificate is not valid: {e}"))?;
    let parameters = TlsParameters::builder(host)
        .add_root_certificate(certificate)
        .build_rustls()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?;
    Ok(match (scheme, mode) {
        ("smtps", _) => Tls::Wrapper(parameters),
        (_, "required") => Tls::Required(parameters),
        (_, "opportunistic") => Tls::Opportunistic(parameters),
        _ => Tls::None,
    })
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
        match self.transport.send(message.clone()).await {
            Ok(answer) => {
                let words: Vec<&str> = answer.message().collect();
                Ok(format!("{} {}", answer.code(), words.join(" ")))
            }
            Err(e) => Err(DeliveryError {
                message: format!("{}: {e}", self.shown),
                permanent: e.is_permanent(),
                // A reply code is the server speaking about this message;
                // anything else (connection, TLS, timeout) is the server.
                server_fault: !e.is_permanent() && !e.is_transient(),
            }),
        }
    }

    fn describe(&self) -> String {
        format!("SMTP {}", self.shown)
    }

    async fn check(&self) -> Result<(), String> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(format!("{} does not answer as a mail server", self.shown)),
            Err(e) => Err(format!("{}: {e}", self.shown)),
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
