//! Mail: the texts (`templates`), where a message goes (`transport`) and the
//! worker that takes queued mail out of the store's outbox and delivers it
//! with retries (`worker`).

pub mod smtp;
pub mod templates;
pub mod transport;
pub mod worker;

pub use smtp::Smtp;
pub use transport::{DeliveryError, MailDir, Transport};
pub use worker::OutboxWorker;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailSettings {
    /// The From of every message rekey sends.
    pub from: String,
    /// Tries before a message is abandoned.
    pub max_tries: u32,
    /// The first retry waits this long; each later one twice as long.
    pub retry_base_secs: u64,
    /// No retry waits longer than this.
    pub retry_max_secs: u64,
    /// Where mail goes, as lettre reads it: `smtp://host:25` (plain, or
    /// `?tls=required` for STARTTLS), `smtps://host:465`, with
    /// `user:password@` for AUTH. Empty: `.eml` files under
    /// `<data-dir>/mail/`. REKEY_SMTP_URL overrides it.
    pub smtp_url: String,
    /// How long one SMTP conversation may take.
    pub smtp_timeout_secs: u64,
    /// A PEM file with a CA certificate to trust besides the public roots
    /// (a mail server with a private CA). Empty: public roots only.
    pub smtp_ca_file: String,
    /// DKIM: a key file (an RSA key in PKCS#1 PEM, or an Ed25519 key as
    /// the base64 of its 32 bytes), the selector published in DNS and the
    /// signing domain. Empty key file: no signature.
    pub dkim_key_file: String,
    pub dkim_selector: String,
    pub dkim_domain: String,
    /// Tell an address with no account that a reset was asked for it. Off
    /// by default: such a mail says the account does not exist.
    pub notify_unknown_addresses: bool,
    /// Given-up messages stay this many days for `rekey outbox list` and
    /// `outbox retry`, and delivered `.eml` files as long; then both are
    /// removed. (A delivered message leaves the outbox at once; the audit
    /// trail keeps its `mail_sent`.)
    pub keep_delivered_days: u32,
}

impl MailSettings {
    pub fn keep_delivered_ms(&self) -> u64 {
        u64::from(self.keep_delivered_days) * 24 * 3600 * 1000
    }
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            from: "rekey <rekey@localhost>".to_string(),
            max_tries: 8,
            retry_base_secs: 5,
            retry_max_secs: 600,
            smtp_url: String::new(),
            smtp_timeout_secs: 30,
            smtp_ca_file: String::new(),
            dkim_key_file: String::new(),
            dkim_selector: String::new(),
            dkim_domain: String::new(),
            notify_unknown_addresses: false,
            keep_delivered_days: 7,
        }
    }
}

/// Where the `.eml` transport writes under a data directory.
pub fn mail_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("mail")
}

/// The transport the settings name: SMTP when a URL is set, else the
/// `.eml` directory under `data_dir`.
pub fn transport_for(
    settings: &MailSettings,
    data_dir: &std::path::Path,
) -> Result<std::sync::Arc<dyn Transport>, String> {
    if settings.smtp_url.trim().is_empty() {
        return Ok(std::sync::Arc::new(MailDir::new(&mail_dir(data_dir))));
    }
    let timeout = std::time::Duration::from_secs(settings.smtp_timeout_secs);
    let ca = smtp_ca(settings)?;
    Ok(std::sync::Arc::new(Smtp::from_url(
        &settings.smtp_url,
        timeout,
        ca.as_deref(),
    )?))
}

/// The DKIM signer the settings name, if any.
pub fn dkim_for(
    settings: &MailSettings,
) -> Result<Option<lettre::message::dkim::DkimConfig>, String> {
    use lettre::message::dkim::{DkimConfig, DkimSigningAlgorithm, DkimSigningKey};
    if settings.dkim_key_file.trim().is_empty() {
        return Ok(None);
    }
    if settings.dkim_selector.is_empty() || settings.dkim_domain.is_empty() {
        return Err(
            "mail.dkim_selector and mail.dkim_domain are needed with mail.dkim_key_file".into(),
        );
    }
    let key = std::fs::read_to_string(&settings.dkim_key_file).map_err(|e| {
        format!(
            "cannot read mail.dkim_key_file {}: {e}",
            settings.dkim_key_file
        )
    })?;
    let algorithm = if key.contains("-----BEGIN RSA PRIVATE KEY-----") {
        DkimSigningAlgorithm::Rsa
    } else {
        DkimSigningAlgorithm::Ed25519
    };
    let signing = DkimSigningKey::new(key.trim(), algorithm).map_err(|e| {
        format!(
            "mail.dkim_key_file {} is not an RSA PKCS#1 PEM key or a base64 Ed25519 key: {e}",
            settings.dkim_key_file
        )
    })?;
    Ok(Some(DkimConfig::default_config(
        settings.dkim_selector.clone(),
        settings.dkim_domain.clone(),
        signing,
    )))
}

/// The extra CA certificate the settings name, read.
pub fn smtp_ca(settings: &MailSettings) -> Result<Option<Vec<u8>>, String> {
    if settings.smtp_ca_file.trim().is_empty() {
        return Ok(None);
    }
    std::fs::read(&settings.smtp_ca_file)
        .map(Some)
        .map_err(|e| {
            format!(
                "cannot read mail.smtp_ca_file {}: {e}",
                settings.smtp_ca_file
            )
        })
}
