//! Where a finished message goes. `MailDir` writes one `.eml` file per
//! message, so a newcomer can read the code without a mail server.

use async_trait::async_trait;
use lettre::Message;
use std::path::{Path, PathBuf};

/// Why a delivery failed, in the words of whatever refused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryError {
    pub message: String,
    /// Trying again will not help (a 5xx answer): the message is given up
    /// at once instead of after every retry.
    pub permanent: bool,
    /// The failure is the mail system's (no connection, TLS, timeout, a
    /// full disk), not an answer about this one recipient. Only such
    /// failures make the wizard say that mail is late: an answer about one
    /// recipient exists only for an address with an account.
    pub server_fault: bool,
}

impl DeliveryError {
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: false,
            server_fault: true,
        }
    }
}

#[async_trait]
pub trait Transport: Send + Sync {
    /// Delivers `message`; `key` is the same on every try of one message,
    /// so a transport can recognise a retry. Returns what the receiving end
    /// said (a server's answer, or where the file went).
    async fn deliver(&self, key: &str, message: &Message) -> Result<String, DeliveryError>;

    /// Says where mail goes, for the operator.
    fn describe(&self) -> String;

    /// Checks that mail can go out now (the server answers), without
    /// sending anything.
    async fn check(&self) -> Result<(), String> {
        Ok(())
    }

    /// Removes what this transport kept of messages delivered before
    /// `older_than` (the `.eml` files); returns how many went. Most keep
    /// nothing.
    async fn forget_delivered(&self, older_than: std::time::SystemTime) -> Result<usize, String> {
        let _ = older_than;
        Ok(0)
    }

    /// Goes through a delivery to `envelope` as far as it can without a
    /// message (for SMTP: MAIL FROM and RCPT TO, then RSET), for a probe:
    /// it fails when a delivery would fail for the server's sake.
    async fn rehearse(
        &self,
        envelope: &lettre::address::Envelope,
    ) -> Result<String, DeliveryError> {
        let _ = envelope;
        self.check()
            .await
            .map(|()| "the mail server answers".to_string())
            .map_err(DeliveryError::transient)
    }
}

/// A directory of `.eml` files, one per message, each written atomically
/// (a temporary file renamed into place). A retry of a message overwrites
/// its own file, so it never appears twice.
pub struct MailDir {
    dir: PathBuf,
}

impl MailDir {
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

#[async_trait]
impl Transport for MailDir {
    async fn deliver(&self, key: &str, message: &Message) -> Result<String, DeliveryError> {
        let bytes = message.formatted();
        let dir = self.dir.clone();
        let name = format!("{key}.eml");
        let written = format!("written to {}", self.dir.join(&name).display());
        tokio::task::spawn_blocking(move || write_atomically(&dir, &name, &bytes))
            .await
            .map_err(|e| DeliveryError::transient(e.to_string()))?
            .map_err(|e| {
                DeliveryError::transient(format!(
                    "cannot write mail to {}: {e}",
                    dir_display(&self.dir)
                ))
            })?;
        Ok(written)
    }

    fn describe(&self) -> String {
        format!("files in {}", self.dir.display())
    }

    /// A delivered code mail holds its code in clear: the files go once
    /// they are older than the retention.
    async fn forget_delivered(&self, older_than: std::time::SystemTime) -> Result<usize, String> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || remove_older(&dir, older_than))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot clear old mail in {}: {e}", dir_display(&self.dir)))
    }
}

fn remove_older(dir: &Path, older_than: std::time::SystemTime) -> std::io::Result<usize> {
    let entries = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        other => other?,
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry?;
        let is_mail = entry.file_name().to_string_lossy().ends_with(".eml");
        let old = entry.metadata()?.modified()? < older_than;
        if is_mail && old {
            std::fs::remove_file(entry.path())?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn dir_display(dir: &Path) -> String {
    dir.display().to_string()
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, dir.join(name))?;
    std::fs::File::open(dir)?.sync_all()
}
