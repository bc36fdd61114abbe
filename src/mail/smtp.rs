//! Delivery over SMTP with lettre: plain, STARTTLS or implicit TLS, with
//! or without AUTH, as the URL says. What the server answered is kept as
//! the message's last error, for `rekey outbox list`.

use super::transport::{DeliveryError, Transport};
use async_trait::async_trait;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The URL without its password, for messages.
    shown: String,
}

impl Smtp {
    pub fn from_url(url: &str, timeout: Duration) -> Result<Self, String> {
        let shown = without_password(url);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP URL {shown} is not valid: {e}"))?
            .timeout(Some(timeout))
            .build();
        Ok(Self { transport, shown })
    }
}

/// `smtp://user:secret@host` → `smtp://user:***@host`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    let user = userinfo.split(':').next().unwrap_or_default();
    format!("{scheme}://{user}:***@{host}")
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
            }),
        }
    }

    fn describe(&self) -> String {
        format!("SMTP {}", self.shown)
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
        let err = Smtp::from_url("gopher://x", Duration::from_secs(1))
            .err()
            .unwrap();
        assert!(
            err.starts_with("the SMTP URL gopher://x is not valid"),
            "{err}"
        );
        assert!(Smtp::from_url("smtp://127.0.0.1:2525", Duration::from_secs(1)).is_ok());
    }
}
