//! The TLS client settings rekey's own connections use (LDAP, and SMTP over
//! implicit TLS): the public roots, the system's, and an operator's CA, ring
//! as the crypto provider.

use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::sync::Arc;

/// Trusts the system's roots and the certificates in `extra_pem` (named
/// `what` in messages). A PEM without a certificate is an error: it would
/// trust nothing and fail later with a puzzling handshake error.
pub fn client_config(extra_pem: Option<&[u8]>, what: &str) -> Result<ClientConfig, String> {
    // The Mozilla roots lettre trusts, and the system's store besides (a
    // private CA installed there), and the operator's CA.
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if let Some(pem) = extra_pem {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("{what} is not valid PEM: {e}"))?;
        if certs.is_empty() {
            return Err(format!("{what} holds no PEM certificate"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| format!("{what}: {e}"))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
