//! SMTP with STARTTLS and AUTH against a server on loopback whose
//! certificate a small CA, made by the test, signed (rustls refuses a
//! self-signed CA as a server certificate, so it is a CA and a leaf).

mod common;

use base64::Engine;
use common::*;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rekey::mail::{MailSettings, OutboxWorker, Smtp};
use rekey::recovery::Clock;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const ADA: &str = "ada@example.com";
const USER: &str = "rekey";
const SECRET: &str = "s3cret-for-tests";

/// A CA certificate (PEM) and a server config with a leaf it signed, for
/// localhost and 127.0.0.1.
fn certificates() -> (String, Arc<ServerConfig>) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    leaf_params.is_ca = IsCa::ExplicitNoCa;
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();

    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(leaf.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )
        .unwrap();
    (ca.pem(), Arc::new(config))
}

#[derive(Debug, Default, Clone)]
struct Seen {
    /// Messages accepted, with whether TLS and AUTH were in force.
    messages: Vec<(String, bool, bool)>,
    auth_failures: usize,
}

/// A server that offers STARTTLS, offers AUTH PLAIN only over TLS, and
/// accepts mail only from an authenticated client.
async fn start_server(tls: Arc<ServerConfig>) -> (u16, Arc<Mutex<Seen>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let record = seen.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let (tls, record) = (tls.clone(), record.clone());
            tokio::spawn(async move {
                let mut io = BufReader::new(socket);
                let _ = io.write_all(b"220 tls.test ESMTP\r\n").await;
                if converse(&mut io, false, &record).await {
                    let Ok(secure) = TlsAcceptor::from(tls).accept(io.into_inner()).await else {
                        return;
                    };
                    converse(&mut BufReader::new(secure), true, &record).await;
                }
            });
        }
    });
    (port, seen)
}

/// A server with TLS from the first byte (`smtps://`), AUTH PLAIN and the
/// same rules; counts its connections.
async fn start_implicit_tls_server(
    tls: Arc<ServerConfig>,
    per_connection: usize,
) -> (u16, Arc<Mutex<Seen>>, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let connections = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (record, count) = (seen.clone(), connections.clone());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let (tls, record) = (tls.clone(), record.clone());
            tokio::spawn(async move {
                let Ok(secure) = TlsAcceptor::from(tls).accept(socket).await else {
                    return;
                };
                let mut io = BufReader::new(secure);
                let _ = io.write_all(b"220 tls.test ESMTP\r\n").await;
                converse_until(&mut io, true, &record, per_connection).await;
            });
        }
    });
    (port, seen, connections)
}

/// One SMTP conversation; returns true when the client asked for STARTTLS.
async fn converse<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    secure: bool,
    seen: &Mutex<Seen>,
) -> bool {
    converse_until(io, secure, seen, usize::MAX).await
}

/// The same, hanging up without a word after `messages` messages, as
/// servers that take only so many on one connection do.
async fn converse_until<S: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<S>,
    secure: bool,
    seen: &Mutex<Seen>,
    messages: usize,
) -> bool {
    let mut taken = 0;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("\0{USER}\0{SECRET}"));
    let mut authenticated = false;
    let mut line = String::new();
    loop {
        line.clear();
        if io.read_line(&mut line).await.unwrap_or(0) == 0 {
            return false;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let verb = words.first().copied().unwrap_or("").to_ascii_uppercase();
        let reply = match verb.as_str() {
            "EHLO" if secure => "250-tls.test\r\n250 AUTH PLAIN\r\n".to_string(),
            "EHLO" => "250-tls.test\r\n250 STARTTLS\r\n".to_string(),
            "STARTTLS" if !secure => {
                let _ = io.write_all(b"220 go ahead\r\n").await;
                return true;
            }
            "AUTH"
                if secure
                    && words
                        .get(1)
                        .is_some_and(|m| m.eq_ignore_ascii_case("PLAIN")) =>
            {
                if words.get(2) == Some(&expected.as_str()) {
                    authenticated = true;
                    "235 2.7.0 accepted\r\n".to_string()
                } else {
                    seen.lock().unwrap().auth_failures += 1;
                    "535 5.7.8 bad credentials\r\n".to_string()
                }
            }
            "MAIL" if !authenticated => "530 5.7.0 authentication required\r\n".to_string(),
            "MAIL" | "RCPT" | "RSET" | "NOOP" => "250 OK\r\n".to_string(),
            "DATA" => {
                let _ = io.write_all(b"354 go on\r\n").await;
                let mut message = String::new();
                loop {
                    line.clear();
                    if io.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return false;
                    }
                    if line.trim_end() == "." {
                        break;
                    }
                    message.push_str(&line);
                }
                seen.lock()
                    .unwrap()
                    .messages
                    .push((message, secure, authenticated));
                taken += 1;
                if taken >= messages {
                    let _ = io.write_all(b"250 queued\r\n").await;
                    return false;
                }
                "250 queued\r\n".to_string()
            }
            "QUIT" => {
                let _ = io.write_all(b"221 bye\r\n").await;
                return false;
            }
            _ => "502 not here\r\n".to_string(),
        };
        if io.write_all(reply.as_bytes()).await.is_err() {
            return false;
        }
    }
}

fn worker(h: &Harness, url: &str, ca_pem: &str) -> OutboxWorker {
    let clock: Arc<dyn Clock> = Arc::new(h.clock.clone());
    let smtp = Smtp::from_url(url, Duration::from_secs(5), Some(ca_pem.as_bytes())).unwrap();
    OutboxWorker::new(
        h.store.clone(),
        Arc::new(smtp),
        clock,
        MailSettings::default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_goes_over_starttls_with_auth() {
    let (ca, tls) = certificates();
    let (port, seen) = start_server(tls).await;
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    h.code_sent(ADA).await;
    let code = h.last_code(ADA);

    let url = format!("smtp://{USER}:{SECRET}@localhost:{port}?tls=required");
    assert_eq!(worker(&h, &url, &ca).deliver_due().await.unwrap(), 1);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.messages.len(), 1);
    let (message, secure, authenticated) = &seen.messages[0];
    assert!(*secure, "sent after STARTTLS");
    assert!(*authenticated, "sent after AUTH");
    assert!(message.contains(&code), "the code went out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_are_kept_as_the_reason_and_nothing_is_sent() {
    let (ca, tls) = certificates();
    let (port, seen) = start_server(tls).await;
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    h.code_sent(ADA).await;
    let url = format!("smtp://{USER}:wrong@localhost:{port}?tls=required");
    assert_eq!(worker(&h, &url, &ca).deliver_due().await.unwrap(), 0);
    let record = h.store.outbox().unwrap().remove(0);
    let error = record.last_error.unwrap();
    assert!(!error.contains("wrong"), "the password stays out: {error}");
    assert!(
        error.contains("535") || error.to_lowercase().contains("credentials"),
        "{error}"
    );
    let seen = seen.lock().unwrap().clone();
    assert!(seen.messages.is_empty());
    assert_eq!(seen.auth_failures, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_from_an_unknown_ca_is_refused() {
    let (_ca, tls) = certificates();
    let (other_ca, _) = certificates();
    let (port, seen) = start_server(tls).await;
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    h.code_sent(ADA).await;
    let url = format!("smtp://{USER}:{SECRET}@localhost:{port}?tls=required");
    assert_eq!(worker(&h, &url, &other_ca).deliver_due().await.unwrap(), 0);
    assert!(seen.lock().unwrap().messages.is_empty());
    let record = h.store.outbox().unwrap().remove(0);
    assert!(record.last_error.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtps_delivers_over_implicit_tls_and_keeps_one_connection_for_many_messages() {
    let (ca, tls) = certificates();
    let (port, seen, connections) = start_implicit_tls_server(tls, usize::MAX).await;
    let h = Harness::new(quick_config());
    for i in 0..3 {
        let address = format!("p{i}@example.com");
        h.add_account(&address, "", OLD_PASSWORD);
        h.code_sent(&address).await;
    }
    let url = format!("smtps://{USER}:{SECRET}@localhost:{port}");
    assert_eq!(worker(&h, &url, &ca).deliver_due().await.unwrap(), 3);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.messages.len(), 3);
    assert!(
        seen.messages
            .iter()
            .all(|(_, secure, auth)| *secure && *auth)
    );
    assert_eq!(
        connections.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one connection served all three"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smtps_refuses_a_certificate_from_an_unknown_ca() {
    let (_ca, tls) = certificates();
    let (other_ca, _) = certificates();
    let (port, seen, _) = start_implicit_tls_server(tls, usize::MAX).await;
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    h.code_sent(ADA).await;
    let url = format!("smtps://{USER}:{SECRET}@localhost:{port}");
    assert_eq!(worker(&h, &url, &other_ca).deliver_due().await.unwrap(), 0);
    assert!(seen.lock().unwrap().messages.is_empty());
    let error = h.store.outbox().unwrap().remove(0).last_error.unwrap();
    assert!(error.contains("TLS"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_hangs_up_after_each_message_gets_every_message_on_a_new_connection() {
    let (ca, tls) = certificates();
    let (port, seen, connections) = start_implicit_tls_server(tls, 1).await;
    let h = Harness::new(quick_config());
    for i in 0..3 {
        let address = format!("p{i}@example.com");
        h.add_account(&address, "", OLD_PASSWORD);
        h.code_sent(&address).await;
    }
    let url = format!("smtps://{USER}:{SECRET}@localhost:{port}");
    assert_eq!(worker(&h, &url, &ca).deliver_due().await.unwrap(), 3);
    assert_eq!(seen.lock().unwrap().messages.len(), 3);
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 3);
    assert!(
        h.store
            .outbox()
            .unwrap()
            .iter()
            .all(|r| r.last_error.is_none()),
        "no delivery failed on the way"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_required_but_not_offered_sends_nothing() {
    // A plain server whose EHLO lists no STARTTLS.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut io = BufReader::new(socket);
                let _ = io.write_all(b"220 plain.test ESMTP\r\n").await;
                let mut line = String::new();
                while io.read_line(&mut line).await.unwrap_or(0) > 0 {
                    let reply: &[u8] = if line.to_ascii_uppercase().starts_with("EHLO") {
                        b"250 plain.test\r\n"
                    } else {
                        b"221 bye\r\n"
                    };
                    let _ = io.write_all(reply).await;
                    line.clear();
                }
            });
        }
    });
    let (ca, _) = certificates();
    let h = Harness::new(quick_config());
    h.add_account(ADA, "Ada", OLD_PASSWORD);
    h.code_sent(ADA).await;
    let url = format!("smtp://{USER}:{SECRET}@localhost:{port}?tls=required");
    assert_eq!(worker(&h, &url, &ca).deliver_due().await.unwrap(), 0);
    let error = h.store.outbox().unwrap().remove(0).last_error.unwrap();
    assert!(error.contains("does not offer STARTTLS"), "{error}");
    assert!(!error.contains(SECRET), "{error}");
}
