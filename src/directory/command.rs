//! A directory behind a command hook: an executable the operator names,
//! run without a shell for each call, with one JSON request on its stdin
//! and one JSON answer on its stdout (the protocol is in
//! `assets/hooks/README.md`). The password travels only on stdin, never on
//! the command line or in the environment; the hook's stderr goes to the
//! log; a hook that overruns its time is killed.

use super::build::DirectorySettings;
use super::{Account, ChangeStamp, ChangeVerdict, Directory, DirectoryError, Password, Refusal};
use crate::recovery::{EmailAddress, Millis};
use async_trait::async_trait;
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use zeroize::Zeroizing;

/// An answer longer than this is not a hook's answer.
const MAX_ANSWER: u64 = 64 * 1024;
/// Of the hook's stderr, this much reaches the log per call.
const MAX_LOGGED: usize = 2000;

pub struct CommandDirectory {
    command: String,
    args: Vec<String>,
    timeout: Duration,
}

#[derive(Serialize)]
struct Request<'a> {
    version: u32,
    op: &'a str,
    address: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<&'a str>,
}

#[derive(Deserialize)]
struct FindAnswer {
    found: bool,
    #[serde(default)]
    account: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct VerifyAnswer {
    valid: bool,
}

#[derive(Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
enum ChangeAnswer {
    Done,
    Refused {
        reason: Refusal,
        #[serde(default)]
        message: String,
    },
}

#[derive(Deserialize)]
struct StampAnswer {
    changed_at_ms: Option<Millis>,
    #[serde(default = "one_second")]
    precision_ms: Millis,
}

fn one_second() -> Millis {
    1000
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
}

impl CommandDirectory {
    pub fn new(settings: &DirectorySettings) -> Self {
        Self {
            command: settings.command.clone(),
            args: settings.args.clone(),
            timeout: settings.timeout(),
        }
    }

    /// Runs the hook once. `Err(NoAnswer)` when a change may have been
    /// made but no answer came (killed at its time limit, or it died).
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        request: &Request<'_>,
    ) -> Result<T, DirectoryError> {
        let changes = request.op == "change";
        let input = Zeroizing::new(
            serde_json::to_vec(request).map_err(|e| DirectoryError::Failed(e.to_string()))?,
        );
        let mut child = tokio::process::Command::new(&self.command)
            .args(&self.args)
            .env_clear()
            .env(
                "PATH",
                "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own process group, so that what it started (chpasswd,
            // ldappasswd) is stopped with it.
            .process_group(0)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                DirectoryError::Unreachable(format!("the hook {} cannot start: {e}", self.command))
            })?;
        let group = child.id().map(|pid| Pid::from_raw(pid as i32));
        let (Some(mut stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(DirectoryError::Failed(
                "the hook's pipes are missing".into(),
            ));
        };
        let run = async {
            // A hook that exits without reading is a failure, seen below.
            let _ = stdin.write_all(&input).await;
            drop(stdin);
            let mut out = Vec::new();
            let mut err = Vec::new();
            let (mut stdout, mut stderr) = (stdout.take(MAX_ANSWER + 1), stderr.take(MAX_ANSWER));
            let (read_out, read_err) =
                tokio::join!(stdout.read_to_end(&mut out), stderr.read_to_end(&mut err));
            read_out?;
            read_err?;
            let status = child.wait().await?;
            Ok::<_, std::io::Error>((status, out, err))
        };
        let (status, out, err) = match tokio::time::timeout(self.timeout, run).await {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                return Err(self.lost(changes, format!("talking to it failed: {e}")));
            }
            Err(_) => {
                // The whole group; dropping the child then kills and reaps
                // the hook itself.
                if let Some(group) = group {
                    let _ = killpg(group, Signal::SIGKILL);
                }
                return Err(self.lost(
                    changes,
                    format!(
                        "it did not answer within {} s and was stopped",
                        self.timeout.as_secs()
                    ),
                ));
            }
        };
        self.log_stderr(&err);
        if !status.success() {
            let said = serde_json::from_slice::<ErrorAnswer>(&out)
                .map(|e| e.error)
                .unwrap_or_else(|_| "no error message".into());
            let message = format!("the hook {} ended with {status}: {said}", self.command);
            return Err(if changes {
                DirectoryError::NoAnswer(message)
            } else {
                DirectoryError::Failed(message)
            });
        }
        if out.len() as u64 > MAX_ANSWER {
            return Err(self.garbled(changes, "its answer is too long"));
        }
        if let Ok(e) = serde_json::from_slice::<ErrorAnswer>(&out) {
            let message = format!("the hook {} says: {}", self.command, e.error);
            // A fault during a change may have come after the write.
            return Err(if changes {
                DirectoryError::NoAnswer(message)
            } else {
                DirectoryError::Failed(message)
            });
        }
        serde_json::from_slice(&out).map_err(|e| {
            self.garbled(
                changes,
                &format!("its answer is not what rekey expects: {e}"),
            )
        })
    }

    /// A change whose hook gave no usable answer may have been made.
    fn lost(&self, changes: bool, why: String) -> DirectoryError {
        let message = format!("the hook {}: {why}", self.command);
        if changes {
            DirectoryError::NoAnswer(message)
        } else {
            DirectoryError::Unreachable(message)
        }
    }

    fn garbled(&self, changes: bool, why: &str) -> DirectoryError {
        let message = format!("the hook {}: {why}", self.command);
        if changes {
            DirectoryError::NoAnswer(message)
        } else {
            DirectoryError::Failed(message)
        }
    }

    fn log_stderr(&self, err: &[u8]) {
        let text = String::from_utf8_lossy(err);
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let line = crate::recovery::text::visible(line, MAX_LOGGED);
            tracing::warn!(hook = %self.command, "{line}");
        }
    }
}

#[async_trait]
impl Directory for CommandDirectory {
    fn describe(&self) -> String {
        format!("command hook {}", self.command)
    }

    async fn find(&self, address: &EmailAddress) -> Result<Option<Account>, DirectoryError> {
        let answer: FindAnswer = self
            .call(&Request {
                version: 1,
                op: "find",
                address: address.as_str(),
                account: None,
                password: None,
            })
            .await?;
        if !answer.found {
            return Ok(None);
        }
        if answer.account.trim().is_empty()
            || answer.account.chars().any(crate::recovery::text::is_hidden)
        {
            return Err(DirectoryError::Failed(format!(
                "the hook {} found an account without a usable id",
                self.command
            )));
        }
        Ok(Some(Account {
            id: answer.account,
            name: super::sled_directory::clean_name(&answer.name),
            address: address.clone(),
        }))
    }

    async fn verify_password(
        &self,
        account: &Account,
        password: &Password,
    ) -> Result<bool, DirectoryError> {
        let answer: VerifyAnswer = self
            .call(&Request {
                version: 1,
                op: "verify",
                address: account.address.as_str(),
                account: Some(&account.id),
                password: Some(password.expose_secret()),
            })
            .await?;
        Ok(answer.valid)
    }

    async fn change_password(
        &self,
        account: &Account,
        new: &Password,
    ) -> Result<ChangeVerdict, DirectoryError> {
        let answer: ChangeAnswer = self
            .call(&Request {
                version: 1,
                op: "change",
                address: account.address.as_str(),
                account: Some(&account.id),
                password: Some(new.expose_secret()),
            })
            .await?;
        Ok(match answer {
            ChangeAnswer::Done => ChangeVerdict::Done,
            ChangeAnswer::Refused { reason, message } => ChangeVerdict::Refused {
                refusal: reason,
                detail: crate::recovery::text::visible(&message, 300),
            },
        })
    }

    async fn change_stamp(&self, account: &Account) -> Result<ChangeStamp, DirectoryError> {
        let answer: StampAnswer = self
            .call(&Request {
                version: 1,
                op: "changed_at",
                address: account.address.as_str(),
                account: Some(&account.id),
                password: None,
            })
            .await?;
        Ok(ChangeStamp {
            at_ms: answer.changed_at_ms,
            precision_ms: answer.precision_ms.max(1),
        })
    }
}
