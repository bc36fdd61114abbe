//! Connecting to the LDAP server: TLS as the config says (ldaps://,
//! StartTLS, or plain to loopback only), the system's CA roots plus the
//! configured CA file, a time limit on connecting and on every operation.

use crate::directory::DirectoryError;
use crate::directory::build::DirectorySettings;
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError};
use rustls::ClientConfig;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// Where and how to connect.
#[derive(Clone)]
pub struct Endpoint {
    pub url: String,
    pub starttls: bool,
    pub timeout: Duration,
    tls: Arc<ClientConfig>,
}

impl Endpoint {
    pub fn new(settings: &DirectorySettings) -> Result<Self, String> {
        Ok(Self {
            url: settings.url.clone(),
            starttls: settings.starttls,
            timeout: settings.timeout(),
            tls: Arc::new(tls_config(&settings.ca_file)?),
        })
    }

    /// A new connection, not yet bound. Its driver runs on the runtime
    /// until the connection closes.
    pub async fn connect(&self) -> Result<Ldap, DirectoryError> {
        let settings = LdapConnSettings::new()
            .set_conn_timeout(self.timeout)
            .set_starttls(self.starttls)
            .set_config(self.tls.clone());
        let (conn, ldap) = LdapConnAsync::with_settings(settings, &self.url)
            .await
            .map_err(|e| DirectoryError::Unreachable(format!("{}: {}", self.url, reason(&e))))?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// A connection bound as `dn`. `Ok(None)`: the server said the
    /// password is wrong (result 49).
    pub async fn bind(
        &self,
        dn: &str,
        password: &SecretString,
    ) -> Result<Option<Ldap>, DirectoryError> {
        // An empty password is an unauthenticated bind, which succeeds
        // without checking anything (RFC 4513 5.1.2).
        if password.expose_secret().is_empty() {
            return Ok(None);
        }
        let mut ldap = self.connect().await?;
        let result = ldap
            .with_timeout(self.timeout)
            .simple_bind(dn, password.expose_secret())
            .await
            .map_err(|e| DirectoryError::Unreachable(reason(&e)))?;
        match result.rc {
            0 => Ok(Some(ldap)),
            49 => {
                let _ = ldap.unbind().await;
                Ok(None)
            }
            rc => Err(DirectoryError::Failed(format!(
                "bind as {dn}: result {rc} {}",
                result.text
            ))),
        }
    }
}

/// The system's roots and the operator's CA file.
fn tls_config(ca_file: &str) -> Result<ClientConfig, String> {
    if ca_file.trim().is_empty() {
        return crate::tls::client_config(None, "directory.ca_file");
    }
    let pem = std::fs::read(ca_file)
        .map_err(|e| format!("cannot read directory.ca_file {ca_file}: {e}"))?;
    crate::tls::client_config(Some(&pem), &format!("directory.ca_file {ca_file}"))
}

/// An ldap3 error in an operator's words.
pub fn reason(e: &LdapError) -> String {
    match e {
        LdapError::Timeout { .. } => "no answer within the time limit".to_string(),
        LdapError::Io { source } => format!("connection failed: {source}"),
        other => other.to_string(),
    }
}

/// Whether the error means the connection is gone (so a fresh one may
/// work), as opposed to an answer from the server.
pub fn connection_lost(e: &LdapError) -> bool {
    matches!(
        e,
        LdapError::Io { .. }
            | LdapError::OpSend { .. }
            | LdapError::ResultRecv { .. }
            | LdapError::IdScrubSend { .. }
            | LdapError::EndOfStream
    )
}
