//! The operator's commands on the store: accounts, the audit trail,
//! support tickets and the outbox. The command line runs them on the store
//! it opened; while a daemon holds the store, it runs them for an operator
//! who asked over its socket. Either way the output is the same text.

use crate::config::Config;
use crate::directory::{Directory, DirectoryError, OwnAccounts, Password};
use crate::recovery::clock::format_time;
use crate::recovery::hashing::hash_secret;
use crate::recovery::{Clock, EmailAddress, Rule, name_hints};
use crate::store::audit::{AuditDraft, AuditKind, ChainReport};
use crate::store::outbox::{OutboxMessage, OutboxState};
use crate::store::tickets::{TicketStatus, normalise_reference};
use crate::store::{Store, TxResult, abort};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use zeroize::Zeroizing;

/// One operator command, with the password already read where it needs one.
#[derive(Debug, Serialize, Deserialize)]
pub enum OperatorCommand {
    UserAdd {
        email: String,
        name: String,
        password: Zeroizing<String>,
    },
    UserVerify {
        email: String,
        password: Zeroizing<String>,
    },
    UserList,
    UserRemove {
        email: String,
    },
    /// Connects, binds, checks TLS and the password operation, finds ADDRESS.
    DirectoryTest {
        address: Option<String>,
    },
    Audit {
        json: bool,
    },
    AuditVerify,
    Tickets,
    TicketResolve {
        id: String,
    },
    Outbox,
    /// Queues given-up mail again (or one message); the caller delivers.
    OutboxRetry {
        id: Option<u64>,
    },
    /// Sends a test message to ADDRESS the way this store's mail goes.
    MailTest {
        address: String,
    },
}

impl OperatorCommand {
    /// The command as an operator types it, for the daemon's log.
    pub fn name(&self) -> &'static str {
        match self {
            Self::UserAdd { .. } => "user add",
            Self::UserVerify { .. } => "user verify",
            Self::UserList => "user list",
            Self::UserRemove { .. } => "user remove",
            Self::DirectoryTest { .. } => "directory test",
            Self::Audit { .. } => "audit",
            Self::AuditVerify => "audit verify",
            Self::Tickets => "tickets list",
            Self::TicketResolve { .. } => "tickets resolve",
            Self::Outbox => "outbox list",
            Self::OutboxRetry { .. } => "outbox retry",
            Self::MailTest { .. } => "mail test",
        }
    }
}

/// Why a command did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum OperatorFailure {
    /// A check said no (exit 1): wrong password, broken audit trail.
    #[error("{0}")]
    No(String),
    /// An error (exit 2).
    #[error("{0}")]
    Error(String),
    /// The store cannot save now, its disk is full (exit 75): the same
    /// command works once space is freed.
    #[error("{0}")]
    Temporary(String),
}

impl From<crate::store::StoreError> for OperatorFailure {
    fn from(e: crate::store::StoreError) -> Self {
        if e.is_sticky() {
            Self::Temporary(e.to_string())
        } else {
            Self::Error(e.to_string())
        }
    }
}

impl From<DirectoryError> for OperatorFailure {
    fn from(e: DirectoryError) -> Self {
        match e {
            DirectoryError::Store(store) => store.into(),
            other => Self::Error(other.to_string()),
        }
    }
}

/// What a command printed, and for `outbox retry` how many messages wait
/// to be delivered now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorReport {
    pub output: String,
    pub requeued: usize,
}

/// The store and what an operator command needs beside it.
pub struct Operator<'a> {
    pub store: &'a Store,
    pub directory: &'a dyn Directory,
    pub config: &'a Config,
    pub clock: &'a dyn Clock,
    /// Who asked, for the audit trail.
    pub client: String,
}

type Outcome = Result<OperatorReport, OperatorFailure>;

/// `rekey mail test ADDRESS`: a message that says only that rekey can send
/// mail, through the transport the settings name, as the wizard's or the
/// daemon's mail would go (for `.eml` files: under `data_dir`).
pub async fn mail_test(config: &Config, data_dir: &std::path::Path, address: &str) -> Outcome {
    let to = EmailAddress::parse(address)
        .map_err(|e| OperatorFailure::Error(format!("{address:?}: {e}")))?;
    let transport =
        crate::mail::transport_for(&config.mail, data_dir).map_err(OperatorFailure::Error)?;
    let message = crate::mail::worker::test_message(&config.mail, to.as_str())
        .map_err(OperatorFailure::Error)?;
    match transport.deliver("rekey-test", &message).await {
        Ok(answer) => printed(format!("{}: {answer}\n", transport.describe())),
        Err(e) => Err(OperatorFailure::Error(format!(
            "delivery failed: {}",
            e.message
        ))),
    }
}

fn printed(output: String) -> Outcome {
    Ok(OperatorReport {
        output,
        requeued: 0,
    })
}

fn parse_address(email: &str) -> Result<EmailAddress, OperatorFailure> {
    EmailAddress::parse(email).map_err(|e| OperatorFailure::Error(format!("{email:?}: {e}")))
}

impl Operator<'_> {
    pub async fn run(&self, command: OperatorCommand) -> Outcome {
        use OperatorCommand as C;
        match command {
            C::UserAdd {
                email,
                name,
                password,
            } => self.user_add(&email, &name, &password).await,
            C::UserVerify { email, password } => self.user_verify(&email, password).await,
            C::UserList => self.user_list(),
            C::DirectoryTest { address } => self.directory_test(address.as_deref()).await,
            C::UserRemove { email } => self.user_remove(&email),
            C::Audit { json } => self.audit_show(json),
            C::AuditVerify => self.audit_verify(),
            C::Tickets => self.tickets_list(),
            C::TicketResolve { id } => self.ticket_resolve(&id),
            C::Outbox => self.outbox_list(),
            C::OutboxRetry { id } => self.outbox_requeue(id),
            C::MailTest { address } => {
                // The store lives in <data-dir>/store; the .eml files beside it.
                let data_dir = self.store.path().parent().unwrap_or(self.store.path());
                mail_test(self.config, data_dir, &address).await
            }
        }
    }

    /// Whether `user add` would be refused before a password is asked for:
    /// the account exists, or the accounts are not rekey's own.
    pub async fn user_add_refusal(&self, email: &str) -> Result<(), OperatorFailure> {
        let address = parse_address(email)?;
        self.own("add")?;
        if self.directory.find(&address).await?.is_some() {
            return Err(DirectoryError::AccountExists.into());
        }
        Ok(())
    }

    /// rekey's own accounts; with another directory, a refusal that says
    /// where the accounts are managed instead.
    fn own(&self, verb: &str) -> Result<&dyn OwnAccounts, OperatorFailure> {
        self.directory.own_accounts().ok_or_else(|| {
            OperatorFailure::Error(format!(
                "`rekey user {verb}` manages rekey's own (sled) accounts only; the accounts here \
                 live in the {}: {verb} them there",
                self.directory.describe()
            ))
        })
    }

    async fn user_add(&self, email: &str, name: &str, password: &str) -> Outcome {
        self.user_add_refusal(email).await?;
        let address = parse_address(email)?;
        let mut hints = address.password_hints();
        hints.extend(name_hints(name));
        let verdict = self.config.password.assess(password, &hints);
        if !verdict.passes() {
            let reasons: Vec<String> = verdict
                .failed_rules()
                .map(|rule| describe_failed_rule(rule, verdict.score))
                .collect();
            let mut message = format!("password refused: {}", reasons.join("; "));
            if let Some(warning) = &verdict.warning {
                message.push_str(&format!(" ({})", warning.text.trim_end_matches('.')));
            }
            return Err(OperatorFailure::Error(message));
        }
        let password = crate::recovery::text::nfc(password);
        let hash = hash_secret(password.as_bytes(), &self.config.hash_cost())
            .map_err(|e| OperatorFailure::Error(e.to_string()))?;
        self.own("add")?
            .add_account(&address, name, &hash, &self.client)?;
        printed(format!("added {address}\n"))
    }

    async fn user_verify(&self, email: &str, password: Zeroizing<String>) -> Outcome {
        let address = parse_address(email)?;
        let no_account = || OperatorFailure::No(format!("no account has the address {address}"));
        let Some(account) = self.directory.find(&address).await? else {
            return Err(no_account());
        };
        let password = Password::from(crate::recovery::text::nfc(&password).to_string());
        match self.directory.verify_password(&account, &password).await {
            Ok(true) => printed("password is right\n".into()),
            Ok(false) => Err(OperatorFailure::No("password is wrong".into())),
            Err(DirectoryError::NoAccount) => Err(no_account()),
            Err(e) => Err(e.into()),
        }
    }

    fn user_list(&self) -> Outcome {
        self.own("list")?;
        let accounts = self.store.accounts()?;
        let mut out = String::new();
        if accounts.is_empty() {
            out.push_str("no accounts\n");
        }
        for a in accounts {
            let _ = writeln!(
                out,
                "{}\t{}\tadded {}\tpassword changed {}",
                a.address,
                if a.name.is_empty() { "-" } else { &a.name },
                format_time(a.created_ms),
                format_time(a.changed_ms)
            );
        }
        printed(out)
    }

    fn user_remove(&self, email: &str) -> Outcome {
        let address = parse_address(email)?;
        match self.own("remove")?.remove_account(&address, &self.client) {
            Err(DirectoryError::NoAccount) => Err(OperatorFailure::Error(format!(
                "no account has the address {address}"
            ))),
            other => {
                other?;
                printed(format!("removed {address}\n"))
            }
        }
    }

    async fn directory_test(&self, address: Option<&str>) -> Outcome {
        let address = address.map(parse_address).transpose()?;
        directory_report(self.directory, address.as_ref()).await
    }

    fn audit_show(&self, json: bool) -> Outcome {
        let to_text = |e: serde_json::Error| OperatorFailure::Error(e.to_string());
        let mut out = String::new();
        for e in self.store.audit_events()? {
            if json {
                let _ = writeln!(out, "{}", serde_json::to_string(&e).map_err(to_text)?);
                continue;
            }
            let kind = serde_json::to_value(e.kind).map_err(to_text)?;
            let outcome = serde_json::to_value(e.outcome).map_err(to_text)?;
            let _ = writeln!(
                out,
                "{}  #{}  {}  {}  {}  [{}]{}",
                format_time(e.time_ms),
                e.seq,
                kind.as_str().unwrap_or("?"),
                outcome.as_str().unwrap_or("?"),
                e.account.as_ref().map_or("-", EmailAddress::as_str),
                e.client,
                if e.detail.is_empty() {
                    String::new()
                } else {
                    format!("  {}", e.detail)
                }
            );
        }
        printed(out)
    }

    fn audit_verify(&self) -> Outcome {
        match self.store.verify_audit()? {
            ChainReport::Intact { events, pruned } => {
                let noun = if events == 1 { "event" } else { "events" };
                let mut out = format!("audit trail intact: {events} {noun}\n");
                if let Some(c) = pruned {
                    let noun = if c.pruned == 1 { "event" } else { "events" };
                    out.push_str(&format!(
                        "before them, {} older {noun} (up to {}) were removed after the \
                         retention (audit.retention_days); the trail verifies from the \
                         checkpoint of event #{}\n",
                        c.pruned,
                        format_time(c.through_ms),
                        c.seq
                    ));
                }
                printed(out)
            }
            ChainReport::Broken { at_seq, reason } => Err(OperatorFailure::No(format!(
                "audit trail broken at event #{at_seq}: {reason}"
            ))),
        }
    }

    fn tickets_list(&self) -> Outcome {
        let tickets = self.store.tickets()?;
        let mut out = String::new();
        if tickets.is_empty() {
            out.push_str("no tickets\n");
        }
        for t in tickets {
            let status = match t.status {
                TicketStatus::Open => "open".to_string(),
                TicketStatus::Resolved { at_ms } => format!("resolved {}", format_time(at_ms)),
            };
            let contact = if t.contacts.is_empty() {
                "no contact given".to_string()
            } else {
                t.contacts.join(", ")
            };
            let _ = writeln!(
                out,
                "{}\t{}\topened {}\t{}\treach at: {}\t[{}]",
                t.reference,
                status,
                format_time(t.created_ms),
                t.address,
                crate::recovery::text::visible(&contact, 600),
                t.client
            );
        }
        printed(out)
    }

    fn ticket_resolve(&self, id: &str) -> Outcome {
        let reference = normalise_reference(id);
        let now = self.clock.now();
        self.store.transact(|tx| -> TxResult<(), OperatorFailure> {
            let Some(mut ticket) = tx.ticket(&reference)? else {
                return abort(OperatorFailure::Error(format!("no ticket {reference}")));
            };
            if let TicketStatus::Resolved { at_ms } = ticket.status {
                return abort(OperatorFailure::Error(format!(
                    "ticket {reference} was already resolved at {}",
                    format_time(at_ms)
                )));
            }
            ticket.status = TicketStatus::Resolved { at_ms: now };
            tx.put_ticket(&ticket)?;
            tx.audit(
                AuditDraft::new(
                    AuditKind::TicketResolved,
                    Some(&ticket.address),
                    &self.client,
                )
                .detail(reference.clone()),
                now,
            )?;
            Ok(())
        })?;
        printed(format!("resolved {reference}\n"))
    }

    fn outbox_list(&self) -> Outcome {
        let records = self.store.outbox()?;
        let mut out = String::new();
        if records.is_empty() {
            out.push_str("no mail\n");
        }
        for r in records {
            let kind = crate::mail::worker::mail_kind(&r.message).unwrap_or("probe (no mail)");
            let state = match r.state {
                OutboxState::Queued => format!("queued, next try {}", format_time(r.next_try_ms)),
                OutboxState::Sending { since_ms } => {
                    format!("sending since {}", format_time(since_ms))
                }
                OutboxState::Sent { at_ms } => format!("sent {}", format_time(at_ms)),
                OutboxState::Abandoned { at_ms } => format!("given up {}", format_time(at_ms)),
            };
            let error = r
                .last_error
                .as_deref()
                .map(|e| format!("\tlast error: {}", crate::recovery::text::visible(e, 500)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{}\t{kind}\t{}\t{state}\ttries {}{error}",
                r.id, r.to, r.tries
            );
        }
        printed(out)
    }

    /// Queues given-up mail (or message `id`) again, due now.
    fn outbox_requeue(&self, id: Option<u64>) -> Outcome {
        let now = self.clock.now();
        // Read before the transaction: sled blocks a plain read of a tree
        // that a transaction holds.
        let ids: Vec<u64> = match id {
            Some(id) => vec![id],
            None => self
                .store
                .outbox()?
                .iter()
                .filter(|r| matches!(r.state, OutboxState::Abandoned { .. }))
                .map(|r| r.id)
                .collect(),
        };
        let missing = |one: u64| format!("no message {one} in the outbox");
        let outcome = self
            .store
            .transact(|tx| -> TxResult<(usize, usize), OperatorFailure> {
                let (mut requeued, mut codes_gone) = (0, 0);
                for &one in &ids {
                    let Some(mut record) = tx.outbox_record(one)? else {
                        return abort(OperatorFailure::Error(missing(one)));
                    };
                    if matches!(record.state, OutboxState::Sent { .. }) {
                        return abort(OperatorFailure::Error(format!(
                            "message {one} was already sent"
                        )));
                    }
                    // A probe is no mail: given up, it is not worth another.
                    if matches!(record.message, OutboxMessage::Probe { .. }) {
                        if id.is_some() {
                            return abort(OperatorFailure::Error(format!(
                                "message {one} is a probe of the mail server, not a mail"
                            )));
                        }
                        continue;
                    }
                    // A given-up code mail no longer holds its code.
                    if matches!(&record.message, OutboxMessage::Code { code, .. } if code.is_empty())
                    {
                        if id.is_some() {
                            return abort(OperatorFailure::Error(format!(
                                "message {one} held a code that is gone; the person asks for a new one"
                            )));
                        }
                        codes_gone += 1;
                        continue;
                    }
                    record.state = OutboxState::Queued;
                    record.tries = 0;
                    record.next_try_ms = now;
                    tx.put_outbox_record(&record)?;
                    requeued += 1;
                }
                Ok((requeued, codes_gone))
            });
        let (requeued, codes_gone) = match (outcome, id) {
            // Delivered mail leaves the outbox; the audit trail says when.
            (Err(OperatorFailure::Error(message)), Some(one)) if message == missing(one) => {
                return Err(OperatorFailure::Error(match self.store.mail_sent(one)? {
                    Some(sent) => format!(
                        "message {one} was already sent, at {}",
                        format_time(sent.time_ms)
                    ),
                    None => message,
                }));
            }
            (outcome, _) => outcome?,
        };
        Ok(OperatorReport {
            output: if codes_gone == 0 {
                format!("queued again: {requeued}")
            } else {
                format!(
                    "queued again: {requeued} (left out: {codes_gone} given-up code mails, whose \
                     codes are gone; those people ask for a new code)"
                )
            },
            requeued,
        })
    }
}

/// `rekey directory test`: each check on a line, `ok` or `FAIL`; a
/// failure is exit 1.
pub async fn directory_report(
    directory: &dyn Directory,
    address: Option<&EmailAddress>,
) -> Outcome {
    let checks = directory.self_test(address).await;
    let mut out = format!("directory: {}\n", directory.describe());
    for check in &checks {
        let mark = if check.passed { "ok  " } else { "FAIL" };
        let _ = writeln!(out, "{mark} {}: {}", check.what, check.detail);
    }
    if checks.iter().all(|c| c.passed) {
        printed(out)
    } else {
        Err(OperatorFailure::No(out.trim_end().to_string()))
    }
}

pub fn describe_failed_rule(rule: Rule, score: u8) -> String {
    match rule {
        Rule::MinLength(n) => format!("shorter than {n} characters"),
        Rule::MaxLength(n) => format!("longer than {n} characters"),
        Rule::MinScore(n) => format!("too easy to guess (strength {score} of 4, needs {n})"),
        Rule::NotPersonal => "made from the name or the address".to_string(),
        Rule::Printable => "contains control or invisible characters".to_string(),
        Rule::NotRecent(n) => format!("one of the last {n} passwords"),
    }
}
