//! Settings: the policy numbers, their defaults and the TOML file that
//! overrides them. `assets/rekey.example.toml` documents every key.

use crate::mail::MailSettings;
use crate::recovery::flow::Limits;
use crate::recovery::hashing::HashCost;
use crate::recovery::policy::{LOWEST_MIN_LENGTH, PasswordPolicy};
use crate::recovery::slide::SlideRules;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("the config {0}")]
    OutOfRange(String),
}

/// Everything an operator can set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub codes: CodeSettings,
    pub password: PasswordPolicy,
    pub hashing: HashingSettings,
    pub slide: SlideRules,
    pub service: ServiceSettings,
    pub mail: MailSettings,
    pub wizard: WizardSettings,
    pub daemon: DaemonSettings,
    pub directory: crate::directory::DirectorySettings,
    pub audit: AuditSettings,
    pub support: SupportSettings,
    pub store: StoreSettings,
    pub tls: TlsSettings,
}

/// `[tls]`: `rekey serve --listen HOST:PORT`, for kiosks and support boxes
/// on other machines. Each presents a client certificate from `client_ca`;
/// its name (the subject's CN, else its first DNS name) is its origin and
/// goes into the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TlsSettings {
    /// The daemon's certificate chain (PEM), its own first.
    pub cert: Option<PathBuf>,
    /// The daemon's private key (PEM).
    pub key: Option<PathBuf>,
    /// The CA (PEM) whose certificates kiosks and support boxes present;
    /// nobody else gets past the handshake.
    pub client_ca: Option<PathBuf>,
    /// Certificate names that may run the operator commands.
    pub admins: Vec<String>,
    /// Certificate names many people share (a support box whose SSH users
    /// all come through it): their sessions are told apart by the place
    /// the wizard reports, like `daemon.shared_uids`.
    pub shared: Vec<String>,
}

/// Which store keeps rekey's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// Embedded, in the data directory: one process (a wizard or a daemon).
    #[default]
    Sled,
    /// A PostgreSQL database that several daemons share.
    Postgres,
}

/// `[store]`: where rekey's state lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreSettings {
    pub kind: StoreKind,
    /// `postgres://USER@HOST:PORT/DATABASE`, with `?sslmode=require` for
    /// TLS; no password in it (use `password_file`).
    pub url: String,
    /// A file holding the database password alone (a trailing newline is
    /// ignored); readable by rekey's user only.
    pub password_file: Option<PathBuf>,
    /// Connections each daemon keeps to the database at most.
    pub pool_size: usize,
    /// A PEM file with the CA of the database server's certificate, when
    /// it is not in the system's roots.
    pub ca_file: Option<PathBuf>,
    /// How long a connection may take before the step is refused with
    /// "try again in a moment".
    pub connect_timeout_secs: u64,
}

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            kind: StoreKind::Sled,
            url: String::new(),
            password_file: None,
            pool_size: 8,
            ca_file: None,
            connect_timeout_secs: 5,
        }
    }
}

/// Who a person who lost their mailbox turns to, shown with their ticket's
/// reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SupportSettings {
    /// The desk as people know it ("the IT service desk"); unset: the
    /// person's language's words for a support desk.
    pub desk: Option<String>,
    /// How to reach it; empty: not shown.
    pub phone: String,
    /// When it is open; empty: not shown.
    pub hours: String,
    /// A ticket needs a way to reach the person (a phone number or
    /// another address); false: they may leave it out.
    pub contact_required: bool,
}

impl Default for SupportSettings {
    fn default() -> Self {
        Self {
            desk: None,
            phone: String::new(),
            hours: String::new(),
            contact_required: true,
        }
    }
}

/// How long the audit trail keeps its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditSettings {
    /// Events older than this many days are removed, with a checkpoint
    /// that keeps the rest verifiable. 0: kept for ever.
    pub retention_days: u32,
}

impl Default for AuditSettings {
    fn default() -> Self {
        Self {
            retention_days: 400,
        }
    }
}

impl AuditSettings {
    /// The retention in milliseconds; `None` when events are kept for ever.
    pub fn keep_ms(&self) -> Option<u64> {
        (self.retention_days > 0).then(|| u64::from(self.retention_days) * 24 * 3600 * 1000)
    }
}

/// `rekey serve`: who may reach the socket and how much one origin may ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DaemonSettings {
    /// The socket's permission bits, in octal.
    pub socket_mode: String,
    /// The group that owns the socket (its members may run the wizard).
    /// Empty: the daemon's own group.
    pub socket_group: String,
    /// Members of this group, besides root and the daemon's own user, may
    /// run operator commands through the daemon. Empty: nobody else.
    pub admin_group: String,
    /// Connections served at once; one more is told that rekey is busy.
    pub max_connections: usize,
    /// Sessions open at once; a wizard beyond that is told to try again.
    pub max_sessions: usize,
    /// Uids that many people share (the recovery user every SSH wizard
    /// runs as, the kiosk user): their sessions are told apart by the
    /// place the wizard reports (the SSH client, the kiosk's name), under
    /// the ceilings below for the whole uid.
    pub shared_uids: Vec<u32>,
    /// Connections one origin may hold at once (an origin: a uid, or one
    /// place of a shared uid).
    pub connections_per_origin: usize,
    /// Connections a shared uid may hold at once, all its places together.
    pub shared_uid_connections: usize,
    /// Requests a second one origin may make, and the burst it may save
    /// up (twice that). Forking more wizards does not raise it.
    #[serde(alias = "peer_requests_per_sec")]
    pub origin_requests_per_sec: u32,
    /// Requests a second from a shared uid, all its places together.
    pub shared_uid_requests_per_sec: u32,
    /// Requests a second from everyone together, and twice that as burst.
    pub requests_per_sec: u32,
    /// A connection with no session open is closed after this long idle
    /// (one with a session: after service.session_idle_secs), so idle
    /// connections cannot hold every slot.
    pub idle_without_session_secs: u64,
}

impl Default for DaemonSettings {
    fn default() -> Self {
        Self {
            socket_mode: "0660".to_string(),
            socket_group: String::new(),
            admin_group: String::new(),
            max_connections: 1024,
            max_sessions: 1024,
            shared_uids: Vec::new(),
            connections_per_origin: 16,
            shared_uid_connections: 512,
            origin_requests_per_sec: 20,
            shared_uid_requests_per_sec: 200,
            requests_per_sec: 1000,
            idle_without_session_secs: 120,
        }
    }
}

impl DaemonSettings {
    /// The socket's mode as a number; `validate` has checked it.
    pub fn mode(&self) -> Option<u32> {
        let bits = u32::from_str_radix(self.socket_mode.trim_start_matches("0o"), 8).ok()?;
        (bits <= 0o777).then_some(bits)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WizardSettings {
    /// In kiosk mode, this long without a key goes back to the landing
    /// screen and wipes what was typed.
    pub idle_secs: u64,
    /// In kiosk mode, "Password changed" returns to the landing screen
    /// after this long.
    pub done_return_secs: u64,
    /// The language when neither --lang nor the locale picks one.
    pub language: String,
    /// In kiosk mode, the kiosk's name: the audit trail and the "password
    /// changed" notice say the change came from it.
    pub kiosk_name: String,
}

impl Default for WizardSettings {
    fn default() -> Self {
        Self {
            idle_secs: 120,
            done_return_secs: 20,
            language: "en".to_string(),
            kiosk_name: String::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodeSettings {
    pub lifetime_secs: u64,
    pub max_attempts: u8,
    /// Between two codes to one address from one origin.
    pub resend_cooldown_secs: u64,
    /// Codes to one address from one origin in an hour.
    pub max_sends_per_hour: u8,
    /// Codes to one address from all origins together in an hour.
    pub max_sends_per_address_per_hour: u8,
    pub flow_idle_secs: u64,
}

impl Default for CodeSettings {
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            lifetime_secs: limits.code_lifetime_ms / 1000,
            max_attempts: limits.max_attempts,
            resend_cooldown_secs: limits.resend_cooldown_ms / 1000,
            max_sends_per_hour: limits.max_sends_per_hour,
            max_sends_per_address_per_hour: limits.max_sends_per_address_per_hour,
            flow_idle_secs: limits.flow_idle_ms / 1000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HashingSettings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// argon2 hashes allowed to run at once; more wait their turn.
    pub max_concurrent: usize,
    /// Of those, how many one origin's requests may hold, waiting or
    /// running: a flood from one peer then queues behind itself. 0: half
    /// of max_concurrent (at least one).
    pub max_concurrent_per_origin: usize,
}

impl HashingSettings {
    /// The share of the hash pool one origin may hold.
    pub fn origin_share(&self) -> usize {
        match self.max_concurrent_per_origin {
            0 => (self.max_concurrent / 2).max(1),
            n => n.min(self.max_concurrent),
        }
    }
}

impl Default for HashingSettings {
    fn default() -> Self {
        let cost = HashCost::default();
        Self {
            memory_kib: cost.memory_kib,
            iterations: cost.iterations,
            parallelism: cost.parallelism,
            max_concurrent: std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(2),
            max_concurrent_per_origin: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceSettings {
    /// Steps that could tell a known address from an unknown one answer no
    /// sooner than this.
    pub reply_floor_ms: u64,
    /// A session untouched for this long is closed.
    pub session_idle_secs: u64,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            reply_floor_ms: 400,
            session_idle_secs: 30 * 60,
        }
    }
}

/// A parse error with the line it is on, and that line, so the operator
/// knows which key to mend: toml's own message names neither.
fn where_in(text: &str, e: &toml::de::Error) -> String {
    let Some(span) = e.span() else {
        return e.message().to_string();
    };
    let before = text.get(..span.start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let shown = text.lines().nth(line - 1).unwrap_or("").trim();
    format!(
        "line {line} ({}): {}",
        crate::recovery::text::visible(shown, 120),
        e.message()
    )
}

impl Config {
    /// Reads a TOML file; keys it leaves out keep their defaults.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let config: Self = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_path_buf(),
            message: where_in(&text, &e),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// The settings a run uses: the file when given, else the defaults;
    /// then `REKEY_MAIL_FROM` and `REKEY_SMTP_URL` over them; checked.
    pub fn for_run(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => Self::load(path)?,
            None => Self::default(),
        };
        for (variable, setting) in [
            ("REKEY_MAIL_FROM", &mut config.mail.from),
            ("REKEY_SMTP_URL", &mut config.mail.smtp_url),
            ("REKEY_STORE_URL", &mut config.store.url),
        ] {
            if let Ok(value) = std::env::var(variable) {
                *setting = value;
            }
        }
        if std::env::var_os("REKEY_STORE_URL").is_some() && config.store.url.starts_with("postgres")
        {
            config.store.kind = StoreKind::Postgres;
        }
        config.validate()?;
        Ok(config)
    }

    /// Refuses settings that would weaken a rule below its floor or that
    /// make no sense together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |what: &str| Err(ConfigError::OutOfRange(what.to_string()));
        let store = &self.store;
        if store.kind == StoreKind::Postgres {
            if !(store.url.starts_with("postgres://") || store.url.starts_with("postgresql://")) {
                return bad("store.url must be a postgres:// URL when store.kind is \"postgres\"");
            }
            if url::Url::parse(&store.url).is_ok_and(|u| {
                u.password().is_some() || u.query_pairs().any(|(k, _)| k == "password")
            }) {
                return bad("store.url must not hold the password: put it in store.password_file");
            }
        }
        let plain_name = |n: &String| {
            !n.is_empty()
                && n.len() <= 64
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        };
        if !self
            .tls
            .admins
            .iter()
            .chain(&self.tls.shared)
            .all(plain_name)
        {
            return bad(
                "tls.admins and tls.shared must be certificate names: letters, digits, '.', '-' \
                 and '_', 64 at most",
            );
        }
        if store.pool_size == 0 || store.pool_size > 256 {
            return bad("store.pool_size must be 1 to 256");
        }
        if store.connect_timeout_secs == 0 || store.connect_timeout_secs > 120 {
            return bad("store.connect_timeout_secs must be 1 to 120");
        }
        let p = &self.password;
        if p.min_length < LOWEST_MIN_LENGTH {
            return bad("password.min_length must be 8 or more");
        }
        if p.max_length < p.min_length || p.max_length > 4096 {
            return bad("password.max_length must be between min_length and 4096");
        }
        if p.min_score > 4 {
            return bad("password.min_score must be 0 to 4");
        }
        if p.history > 24 {
            return bad("password.history must be 24 or less");
        }
        if !crate::i18n::CODES.contains(&self.wizard.language.as_str()) {
            return bad(&format!(
                "wizard.language must be one of {}",
                crate::i18n::CODES.join(", ")
            ));
        }
        const DAY: u64 = 24 * 3600;
        let c = &self.codes;
        if c.lifetime_secs == 0 || c.lifetime_secs > DAY {
            return bad("codes.lifetime_secs must be 1 to 86400");
        }
        if c.max_attempts == 0 || c.max_attempts > 20 {
            return bad("codes.max_attempts must be 1 to 20");
        }
        if c.resend_cooldown_secs > DAY {
            return bad("codes.resend_cooldown_secs must be 0 to 86400");
        }
        if c.max_sends_per_hour == 0 || c.max_sends_per_hour > 100 {
            return bad("codes.max_sends_per_hour must be 1 to 100");
        }
        if c.max_sends_per_address_per_hour < c.max_sends_per_hour {
            return bad("codes.max_sends_per_address_per_hour must be at least max_sends_per_hour");
        }
        if c.flow_idle_secs < c.lifetime_secs || c.flow_idle_secs > 30 * DAY {
            return bad("codes.flow_idle_secs must be from codes.lifetime_secs to 30 days");
        }
        if !self.hash_cost().meets_minimum() {
            return bad("hashing must be at least memory_kib = 19456, iterations = 2");
        }
        let h = &self.hashing;
        if h.memory_kib > 4 * 1024 * 1024 || h.iterations > 100 || h.parallelism > 16 {
            return bad(
                "hashing must be at most memory_kib = 4194304, iterations = 100, parallelism = 16",
            );
        }
        if h.max_concurrent == 0 || h.max_concurrent > 64 {
            return bad("hashing.max_concurrent must be 1 to 64");
        }
        if self.audit.retention_days > 100 * 366 {
            return bad("audit.retention_days must be 0 (for ever) to 36600");
        }
        if self.mail.keep_delivered_days == 0 || self.mail.keep_delivered_days > 366 {
            return bad("mail.keep_delivered_days must be 1 to 366");
        }
        if h.max_concurrent_per_origin > h.max_concurrent {
            return bad("hashing.max_concurrent_per_origin must be 0 to hashing.max_concurrent");
        }
        let s = &self.slide;
        if s.notches < 2 || s.notches > 200 {
            return bad("slide.notches must be 2 to 200");
        }
        if s.spring_back_ms == 0 || s.spring_back_ms > 10_000 || s.min_total_ms > 10_000 {
            return bad(
                "slide.spring_back_ms must be 1 to 10000 and slide.min_total_ms at most 10000",
            );
        }
        if self.service.reply_floor_ms > 10_000 {
            return bad("service.reply_floor_ms must be at most 10000");
        }
        if self.service.session_idle_secs == 0 || self.service.session_idle_secs > 7 * DAY {
            return bad("service.session_idle_secs must be 1 to 604800");
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return bad("mail.from must be an address such as \"rekey <rekey@example.com>\"");
        }
        let m = &self.mail;
        if m.max_tries == 0 || m.max_tries > 100 {
            return bad("mail.max_tries must be 1 to 100");
        }
        if m.retry_base_secs == 0 || m.retry_base_secs > DAY || m.retry_max_secs > DAY {
            return bad(
                "mail.retry_base_secs must be 1 to 86400 and mail.retry_max_secs at most 86400",
            );
        }
        if m.smtp_timeout_secs == 0 || m.smtp_timeout_secs > 600 {
            return bad("mail.smtp_timeout_secs must be 1 to 600");
        }
        if crate::mail::smtp::sends_password_in_clear(&m.smtp_url) {
            return bad(
                "mail.smtp_url carries a password but no TLS: use smtps:// or ?tls=required",
            );
        }
        if !m.smtp_url.trim().is_empty() {
            let timeout = std::time::Duration::from_secs(m.smtp_timeout_secs);
            let ca = crate::mail::smtp_ca(m).map_err(ConfigError::OutOfRange)?;
            if let Err(e) = crate::mail::Smtp::from_url(&m.smtp_url, timeout, ca.as_deref()) {
                return Err(ConfigError::OutOfRange(format!("mail.smtp_url: {e}")));
            }
        }
        crate::mail::dkim_for(m).map_err(ConfigError::OutOfRange)?;
        let w = &self.wizard;
        if w.idle_secs == 0 || w.idle_secs > DAY || w.done_return_secs > DAY {
            return bad(
                "wizard.idle_secs must be 1 to 86400 and wizard.done_return_secs at most 86400",
            );
        }
        if self
            .support
            .desk
            .as_deref()
            .is_some_and(|d| d.trim().is_empty())
        {
            return bad(
                "support.desk must name the desk people contact, e.g. \"the IT service desk\"",
            );
        }
        if let Some(problem) = self.directory.problem() {
            return Err(ConfigError::OutOfRange(problem));
        }
        let d = &self.daemon;
        if d.mode().is_none() {
            return bad("daemon.socket_mode must be octal permission bits such as \"0660\"");
        }
        if d.max_connections == 0 || d.max_connections > 100_000 {
            return bad("daemon.max_connections must be 1 to 100000");
        }
        if d.max_sessions == 0 || d.max_sessions > 1_000_000 {
            return bad("daemon.max_sessions must be 1 to 1000000");
        }
        if d.idle_without_session_secs == 0 || d.idle_without_session_secs > DAY {
            return bad("daemon.idle_without_session_secs must be 1 to 86400");
        }
        if d.origin_requests_per_sec == 0 || d.requests_per_sec < d.origin_requests_per_sec {
            return bad("daemon.origin_requests_per_sec must be 1 to daemon.requests_per_sec");
        }
        if d.shared_uid_requests_per_sec == 0 {
            return bad("daemon.shared_uid_requests_per_sec must be at least 1");
        }
        if d.connections_per_origin == 0 || d.shared_uid_connections == 0 {
            return bad(
                "daemon.connections_per_origin and shared_uid_connections must be at least 1",
            );
        }
        Ok(())
    }

    pub fn limits(&self) -> Limits {
        Limits {
            code_lifetime_ms: self.codes.lifetime_secs * 1000,
            max_attempts: self.codes.max_attempts,
            resend_cooldown_ms: self.codes.resend_cooldown_secs * 1000,
            max_sends_per_hour: self.codes.max_sends_per_hour,
            max_sends_per_address_per_hour: self.codes.max_sends_per_address_per_hour,
            flow_idle_ms: self.codes.flow_idle_secs * 1000,
        }
    }

    pub fn hash_cost(&self) -> HashCost {
        HashCost {
            memory_kib: self.hashing.memory_kib,
            iterations: self.hashing.iterations,
            parallelism: self.hashing.parallelism,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let c = Config::default();
        c.validate().unwrap();
        assert_eq!(c.limits(), Limits::default());
        assert_eq!(c.password.min_length, 15);
        assert_eq!(c.hash_cost(), HashCost::OWASP_MINIMUM);
    }

    #[test]
    fn the_example_file_parses_and_matches_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/rekey.example.toml");
        // max_concurrent, the one default that depends on the machine, is
        // left out of the example.
        let example = Config::load(&path).unwrap();
        assert_eq!(example, Config::default());
    }

    #[test]
    fn store_and_tls_settings_that_cannot_work_are_refused() {
        let refused = |text: &str| {
            let c: Config = toml::from_str(text).unwrap();
            c.validate().unwrap_err().to_string()
        };
        assert!(refused("[tls]\nadmins = [\"ops laptop\"]\n").contains("tls.admins"));
        assert!(refused("[tls]\nshared = [\"\"]\n").contains("tls.shared"));
        assert!(
            refused("[store]\nkind = \"postgres\"\nurl = \"postgres://r:pw@db/r\"\n")
                .contains("password_file")
        );
        assert!(
            refused("[store]\nkind = \"postgres\"\nurl = \"postgres://r@db/r?password=pw\"\n")
                .contains("password_file")
        );
        assert!(refused("[store]\nkind = \"postgres\"\n").contains("store.url"));
        assert!(refused("[store]\npool_size = 0\n").contains("pool_size"));
        let fine: Config = toml::from_str("[tls]\nadmins = [\"ops-laptop.example_1\"]\n").unwrap();
        assert!(fine.validate().is_ok());
    }

    #[test]
    fn a_support_desk_without_a_name_is_refused() {
        let c: Config = toml::from_str("[support]\ndesk = \" \"\n").unwrap();
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("support.desk")
        );
    }

    #[test]
    fn a_value_of_the_wrong_kind_is_named_by_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rekey.toml");
        std::fs::write(
            &path,
            "[codes]\nresend_cooldown_secs = 0\nmax_sends_per_hour = 1000\n",
        )
        .unwrap();
        let message = Config::load(&path).unwrap_err().to_string();
        assert!(
            message.contains("line 3 (max_sends_per_hour = 1000)"),
            "{message}"
        );
    }

    #[test]
    fn a_partial_file_keeps_other_defaults() {
        let c: Config = toml::from_str("[password]\nmin_length = 8\n").unwrap();
        c.validate().unwrap();
        assert_eq!(c.password.min_length, 8);
        assert_eq!(c.password.max_length, 128);
        assert_eq!(c.codes, CodeSettings::default());
    }

    #[test]
    fn weakening_below_the_floor_is_refused() {
        for text in [
            "[password]\nmin_length = 6\n",
            "[hashing]\nmemory_kib = 1024\n",
            "[codes]\nmax_attempts = 0\n",
            "[password]\nmin_score = 5\n",
            "[codes]\nflow_idle_secs = 1844674407370955161\n",
            "[codes]\nresend_cooldown_secs = 18446744073709551615\n",
            "[service]\nreply_floor_ms = 18446744073709551615\n",
            "[wizard]\nidle_secs = 18446744073709551615\n",
            "[mail]\nsmtp_url = \"smtp://u:pw@mail.example.com:587\"\n",
        ] {
            let c: Config = toml::from_str(text).unwrap();
            assert!(c.validate().is_err(), "{text}");
        }
    }

    #[test]
    fn unknown_keys_are_an_error() {
        let r: Result<Config, _> = toml::from_str("[codes]\nlifetime = 5\n");
        assert!(r.is_err());
    }
}
