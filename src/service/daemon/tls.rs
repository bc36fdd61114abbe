//! `rekey serve --listen HOST:PORT`: kiosks and support boxes on other
//! machines, over TLS with client certificates (mutual TLS, rustls). A
//! client without a certificate, with one the client CA did not sign, or
//! with one out of its validity, never gets past the handshake. The
//! certificate's name then stands where the Unix socket has the peer's
//! uid: it is the origin limits count for, and the audit trail names it.

use super::peer::Peer;
use crate::config::TlsSettings;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Handshakes under way at once, and from one address: a connection
/// counts against `daemon.max_connections` only once its certificate is
/// checked, so strangers who connect and say nothing hold these, not the
/// slots of the people being served.
pub const HANDSHAKES: usize = 64;
pub const HANDSHAKES_PER_ADDRESS: usize = 8;

/// Handshakes under way per client address.
#[derive(Default)]
pub struct Handshaking {
    open: std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>,
}

/// One handshake of an address under way; dropping it gives it back.
pub struct HandshakeTurn {
    counts: Arc<Handshaking>,
    address: std::net::IpAddr,
}

impl Handshaking {
    /// A turn for `address`, unless it has HANDSHAKES_PER_ADDRESS already.
    /// An IPv6 address counts by its /64, which one host may hold whole.
    pub fn take(self: &Arc<Self>, address: std::net::IpAddr) -> Option<HandshakeTurn> {
        let address = match address {
            std::net::IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                std::net::IpAddr::V6(std::net::Ipv6Addr::from(prefix))
            }
            v4 => v4,
        };
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = open.entry(address).or_insert(0);
        if *count >= HANDSHAKES_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(HandshakeTurn {
            counts: self.clone(),
            address,
        })
    }
}

impl Drop for HandshakeTurn {
    fn drop(&mut self) {
        let mut open = self
            .counts
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.address) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// The longest certificate name kept.
const NAME_CHARS: usize = 64;

/// The acceptor `[tls]` describes: the daemon's certificate and key, and
/// a client certificate required, from `client_ca`.
pub fn acceptor(settings: &TlsSettings) -> Result<TlsAcceptor, String> {
    let needed = |what: &str| format!("--listen needs tls.{what} in the config");
    let cert = settings.cert.as_deref().ok_or_else(|| needed("cert"))?;
    let key = settings.key.as_deref().ok_or_else(|| needed("key"))?;
    let client_ca = settings
        .client_ca
        .as_deref()
        .ok_or_else(|| needed("client_ca"))?;
    let chain = certificates(cert, "tls.cert")?;
    let key =
        PrivateKeyDer::from_pem_file(key).map_err(|e| format!("tls.key {}: {e}", key.display()))?;
    let mut roots = rustls::RootCertStore::empty();
    for ca in certificates(client_ca, "tls.client_ca")? {
        roots
            .add(ca)
            .map_err(|e| format!("tls.client_ca {}: {e}", client_ca.display()))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .build()
    .map_err(|e| format!("tls.client_ca {}: {e}", client_ca.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .map_err(|e| format!("tls.cert and tls.key: {e}"))?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

fn certificates(path: &Path, what: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let found: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{what} {}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{what} {}: {e}", path.display()))?;
    if found.is_empty() {
        return Err(format!("{what} {} holds no certificate", path.display()));
    }
    Ok(found)
}

/// The name a client certificate gives: its subject's CN, else its first
/// DNS name. Only a name of letters, digits, `.`, `-` and `_` (at most
/// 64) is taken, as it is: it is matched against `tls.admins` and
/// `tls.shared` and stands for the kiosk in the audit trail, so no name
/// may pass for another by a space, an invisible character or a cut.
pub fn name_of(cert: &CertificateDer<'_>) -> Option<String> {
    let (_, parsed) = x509_parser::parse_x509_certificate(cert.as_ref()).ok()?;
    let common_name = parsed
        .subject()
        .iter_common_name()
        .find_map(|cn| cn.as_str().ok().map(str::to_string));
    let name = common_name.or_else(|| {
        let san = parsed.subject_alternative_name().ok().flatten()?;
        san.value.general_names.iter().find_map(|n| match n {
            x509_parser::extensions::GeneralName::DNSName(d) => Some(d.to_string()),
            _ => None,
        })
    })?;
    let plain = !name.is_empty()
        && name.len() <= NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    plain.then_some(name)
}

/// The TLS handshake with a client that connected from `address`, and who
/// its certificate says it is.
pub async fn handshake(
    acceptor: &TlsAcceptor,
    tcp: TcpStream,
    address: std::net::SocketAddr,
) -> Result<(TlsStream<TcpStream>, Peer), String> {
    let _ = tcp.set_nodelay(true);
    let stream = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp))
        .await
        .map_err(|_| "the TLS handshake took too long".to_string())?
        .map_err(|e| format!("the TLS handshake failed: {e}"))?;
    let name = {
        let (_, connection) = stream.get_ref();
        let cert = connection
            .peer_certificates()
            .and_then(|chain| chain.first())
            .ok_or("no client certificate")?;
        name_of(cert).ok_or(
            "the client certificate's name (its CN, else its first DNS name) is missing, or not \
             only letters, digits, '.', '-' and '_' (64 at most)",
        )?
    };
    Ok((stream, Peer::Tls { name, address }))
}
