//! rekey on a real slapd: the `[directory]` settings for the test's server,
//! the in-process service on it with the system clock (LDAP's change
//! stamps are the server's real time), and a flow taken step by step.

use super::secret;
use super::slapd::{PEOPLE, SERVICE_DN, Slapd};
use super::{codes_queued, quick_config};
use rekey::config::Config;
use rekey::directory::build::LdapMode;
use rekey::directory::{Directory, DirectoryKind, DirectorySettings, Refusal};
use rekey::recovery::Stage;
use rekey::recovery::{Clock, SystemClock};
use rekey::service::{LocalService, RecoveryService, ServiceError, SessionId};
use rekey::store::Store;
use rekey::store::audit::{AuditKind, ChainReport, Outcome};
use std::path::Path;
use std::sync::Arc;

/// `[directory]` for the test's slapd: plain LDAP to loopback, a short
/// time limit so that a stopped server is noticed quickly.
pub fn slapd_settings(slapd: &Slapd) -> DirectorySettings {
    DirectorySettings {
        kind: DirectoryKind::Ldap,
        url: slapd.url.clone(),
        allow_plain_loopback: true,
        bind_dn: SERVICE_DN.to_string(),
        bind_password_file: slapd.service_password_file.display().to_string(),
        base: PEOPLE.to_string(),
        mode: LdapMode::Exop,
        timeout_secs: 3,
        ..DirectorySettings::default()
    }
}

/// The same settings as TOML, for a config file.
pub fn slapd_toml(slapd: &Slapd) -> String {
    format!(
        "[directory]\nkind = \"ldap\"\nurl = \"{}\"\nallow_plain_loopback = true\n\
         bind_dn = \"{SERVICE_DN}\"\nbind_password_file = \"{}\"\nbase = \"{PEOPLE}\"\n\
         timeout_secs = 3\n",
        slapd.url,
        slapd.service_password_file.display()
    )
}

/// The in-process service on the store under `dir`, with `settings`.
pub struct OnDirectory {
    pub store: Store,
    pub config: Config,
    pub directory: Arc<dyn Directory>,
    pub service: Arc<LocalService>,
}

impl OnDirectory {
    pub fn open(dir: &Path, settings: DirectorySettings) -> Self {
        let store = Store::open(dir).expect("store opens");
        let mut config = quick_config();
        // Tests here take several recoveries of one person in a row.
        config.codes.resend_cooldown_secs = 0;
        config.directory = settings;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let directory =
            rekey::directory::build(&config.directory, &store, clock.clone(), config.hash_cost())
                .expect("directory built");
        let service = Arc::new(LocalService::new(
            store.clone(),
            directory.clone(),
            clock,
            config.clone(),
        ));
        Self {
            store,
            config,
            directory,
            service,
        }
    }

    /// The last code queued for `address` (the test runs no mail worker).
    pub fn last_code(&self, address: &str) -> String {
        codes_queued(&self.store, address)
            .pop()
            .expect("a code was queued")
    }

    /// Sets `password` (typed twice) in session `s`; the recovery is over.
    pub async fn changes(&self, s: &str, password: &str) {
        let done = self
            .service
            .set_password(s, &secret(password), &secret(password))
            .await
            .unwrap_or_else(|e| panic!("the change went through: {e:?}"));
        assert_eq!(done.stage, Stage::PasswordSet);
    }

    /// Sets `password` in session `s` and expects the directory to refuse
    /// it with `refusal`.
    pub async fn refused(&self, s: &str, password: &str, refusal: Refusal) {
        match self
            .service
            .set_password(s, &secret(password), &secret(password))
            .await
        {
            Err(ServiceError::DirectoryRefused(r)) if r == refusal => {}
            other => panic!("expected the directory to refuse ({refusal:?}), got {other:?}"),
        }
    }

    /// Every audit event's kind, outcome and detail, in order.
    pub fn audit_kinds(&self) -> Vec<(AuditKind, Outcome, String)> {
        self.store
            .audit_events()
            .expect("audit")
            .into_iter()
            .map(|e| (e.kind, e.outcome, e.detail))
            .collect()
    }

    pub fn chain_intact(&self) {
        match self.store.verify_audit().expect("audit readable") {
            ChainReport::Intact { .. } => {}
            broken => panic!("audit chain: {broken:?}"),
        }
    }

    /// A session whose right code was confirmed.
    pub async fn confirmed(&self, address: &str) -> SessionId {
        let s = super::code_sent(self.service.as_ref(), address).await;
        self.service
            .confirm_code(&s, &secret(&self.last_code(address)))
            .await
            .expect("the right code");
        s
    }
}
