//! rekey's Active Directory mode on a real Samba AD DC: each test starts
//! its own DC (`common::samba`, ~4 s) on a loopback address, with ldaps
//! from a CA the test made, a lockout threshold of 5 and a service account
//! allowed to reset passwords, unlock accounts and set `pwdLastSet` under
//! CN=Users. A new password is checked by binding to Samba as the person.

mod common;

use common::ldap::OnDirectory;
use common::samba::SambaDc;
use common::{NEW_PASSWORD, with_config};
use rekey::directory::build::LdapMode;
use rekey::directory::{DirectoryKind, DirectorySettings, Refusal};
use rekey::store::audit::AuditKind;

const ADA: &str = "ada@rekey.test";
/// Samba keeps AD's complexity rule on (three of upper, lower, digit,
/// other): the shared OLD and NEW, lower case and spaces
/// only, are refused by it. These pass it, and rekey's policy.
const OLD: &str = "Lantern quietly orbits 17 Moths";
const NEW: &str = "Copper kettles whistle under Violet rain 42";
/// Strong to zxcvbn and long enough for rekey (15), too short for a domain
/// whose minimum length is 20.
const SHORT_FOR_AD: &str = "Vq7#kLm2!xZp9wRt";

/// `[directory]` for the test's DC: AD mode over ldaps, trusting its CA.
fn ad_settings(dc: &SambaDc) -> DirectorySettings {
    DirectorySettings {
        kind: DirectoryKind::Ldap,
        mode: LdapMode::Ad,
        url: dc.url.clone(),
        ca_file: dc.ca_file.display().to_string(),
        bind_dn: dc.service_dn.clone(),
        bind_password_file: dc.service_password_file.display().to_string(),
        base: dc.base.clone(),
        timeout_secs: 5,
        ..DirectorySettings::default()
    }
}

/// The same settings as TOML, for a config file.
fn ad_toml(dc: &SambaDc) -> String {
    format!(
        "[directory]\nkind = \"ldap\"\nmode = \"ad\"\nurl = \"{}\"\nca_file = \"{}\"\n\
         bind_dn = \"{}\"\nbind_password_file = \"{}\"\nbase = \"{}\"\ntimeout_secs = 5\n",
        dc.url,
        dc.ca_file.display(),
        dc.service_dn,
        dc.service_password_file.display(),
        dc.base
    )
}

/// A DC with Ada (mail ada@rekey.test, OLD) in it.
fn with_ada() -> Option<(SambaDc, String)> {
    let dc = SambaDc::start()?;
    let dn = dc.add_user("ada", ADA, OLD);
    assert!(dc.binds(&dn, OLD), "Ada's first password binds");
    Some((dc, dn))
}

fn one(dc: &SambaDc, dn: &str, attr: &str) -> String {
    let values = dc.attr(dn, attr);
    assert!(values.len() <= 1, "{attr} of {dn}: {values:?}");
    values.into_iter().next().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ad_mode_resets_the_password_over_ldaps() {
    let Some((dc, dn)) = with_ada() else {
        return;
    };
    let before = one(&dc, &dn, "pwdLastSet");
    assert!(!before.is_empty() && before != "0", "pwdLastSet {before:?}");
    let dir = tempfile::tempdir().unwrap();
    let on = OnDirectory::open(dir.path(), ad_settings(&dc));
    let s = on.confirmed(ADA).await;
    on.changes(&s, NEW).await;
    assert!(dc.binds(&dn, NEW), "the new password binds");
    assert!(!dc.binds(&dn, OLD), "the old one no longer does");
    let after = one(&dc, &dn, "pwdLastSet");
    assert_ne!(before, after, "pwdLastSet moves with the reset");
    assert_ne!(after, "0", "no must-change unless asked for");
    let kinds = on.audit_kinds();
    let started = kinds
        .iter()
        .position(|k| k.0 == AuditKind::PasswordChangeStarted)
        .expect("the intent is audited");
    let changed = kinds
        .iter()
        .position(|k| k.0 == AuditKind::PasswordChanged)
        .expect("the change is audited");
    assert!(started < changed, "{kinds:?}");
    assert!(kinds[changed].2.contains(&dn), "{:?}", kinds[changed]);
    assert!(
        on.store.change_intents().unwrap().is_empty(),
        "no change intent is left"
    );
    // The landing screen's sign-in binds to the DC as the person: the new
    // password works there, the old one does not.
    use common::secret;
    use rekey::service::{RecoveryService, SignInAnswer};
    let s = on.service.open_session("kiosk lobby", "en").await.unwrap();
    let old = on.service.sign_in(&s, ADA, &secret(OLD)).await.unwrap();
    assert_eq!(
        old,
        SignInAnswer::NoMatch {
            tries_left: 2,
            wait_ms: 0
        }
    );
    let new = on.service.sign_in(&s, ADA, &secret(NEW)).await.unwrap();
    assert_eq!(new, SignInAnswer::Works);
    on.chain_intact();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ad_refusals_are_told_in_words() {
    let Some((dc, dn)) = with_ada() else {
        return;
    };
    // Samba's default minimum (7) is below rekey's (15), and the domain's
    // own cannot go above 14: a fine-grained policy for Ada asks for 20.
    dc.min_password_length_for("ada", 20);
    assert_eq!(
        dc.attr(&dn, "msDS-ResultantPSO"),
        vec![format!(
            "CN=rekey-min-20,CN=Password Settings Container,CN=System,{}",
            dc.base
        )],
        "the policy applies to Ada"
    );
    let before = one(&dc, &dn, "pwdLastSet");
    let dir = tempfile::tempdir().unwrap();
    let on = OnDirectory::open(dir.path(), ad_settings(&dc));
    let s = on.confirmed(ADA).await;
    on.refused(&s, SHORT_FOR_AD, Refusal::TooShort).await;
    assert!(dc.binds(&dn, OLD), "the old password still binds");
    assert!(!dc.binds(&dn, SHORT_FOR_AD), "the refused one does not");
    assert_eq!(one(&dc, &dn, "pwdLastSet"), before, "nothing changed");
    // Long enough for the domain, not complex enough for it.
    on.refused(&s, NEW_PASSWORD, Refusal::TooSimple).await;
    assert!(dc.binds(&dn, OLD), "still nothing changed");
    assert_eq!(one(&dc, &dn, "pwdLastSet"), before, "still nothing changed");
    let refused: Vec<String> = on
        .audit_kinds()
        .into_iter()
        .filter(|k| k.0 == AuditKind::PasswordRefused)
        .map(|k| k.2)
        .collect();
    for words in [
        "too short: result 19 0000052D",
        "too simple: result 19 0000052D",
    ] {
        assert!(
            refused.iter().any(|d| d.contains(words)),
            "the refusal and Samba's own words ({words}) are audited: {refused:?}"
        );
    }
    assert!(on.store.change_intents().unwrap().is_empty());
    // The confirmation still holds: a password the domain takes.
    on.changes(&s, NEW).await;
    assert!(dc.binds(&dn, NEW));
    on.chain_intact();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_ad_account_is_unlocked_by_a_completed_recovery() {
    let Some((dc, dn)) = with_ada() else {
        return;
    };
    for i in 0..5 {
        assert!(!dc.binds(&dn, "not Ada's password"), "bad bind {i}");
    }
    let locked = one(&dc, &dn, "lockoutTime");
    assert!(
        !locked.is_empty() && locked != "0",
        "locked after 5 bad binds: lockoutTime {locked:?}"
    );
    assert!(
        !dc.binds(&dn, OLD),
        "a locked account refuses even the right password"
    );
    let dir = tempfile::tempdir().unwrap();
    let on = OnDirectory::open(dir.path(), ad_settings(&dc));
    let s = on.confirmed(ADA).await;
    on.changes(&s, NEW).await;
    let lockout = one(&dc, &dn, "lockoutTime");
    assert!(
        lockout.is_empty() || lockout == "0",
        "unlocked: lockoutTime {lockout:?}"
    );
    assert!(dc.binds(&dn, NEW), "unlocked, with the new password");
    assert!(!dc.binds(&dn, OLD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_starttls_ad_must_change_sets_pwd_last_set_zero() {
    let Some((dc, dn)) = with_ada() else {
        return;
    };
    let mut settings = ad_settings(&dc);
    // ldap:// on 389 with StartTLS, instead of ldaps:// on 636.
    settings.url = format!("ldap://{}:389", dc.ip);
    settings.starttls = true;
    settings.ad_must_change = true;
    let dir = tempfile::tempdir().unwrap();
    let on = OnDirectory::open(dir.path(), settings);
    let s = on.confirmed(ADA).await;
    on.changes(&s, NEW).await;
    assert_eq!(
        dc.attr(&dn, "pwdLastSet"),
        vec!["0".to_string()],
        "must change at the next sign-in"
    );
    assert!(
        on.audit_kinds()
            .iter()
            .any(|k| k.0 == AuditKind::PasswordChanged),
        "the change is audited"
    );
    assert!(on.store.change_intents().unwrap().is_empty());
}

#[test]
fn directory_test_on_ad() {
    let Some((dc, dn)) = with_ada() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) =
        with_config(dir.path(), &ad_toml(&dc), &["directory", "test", ADA], "");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    for line in [
        format!("ok   connect to {}", dc.url),
        "ok   connect to ldaps://".to_string(),
        "TLS (ldaps)".to_string(),
        format!("ok   bind as {}", dc.service_dn),
        "lists no policy hints control".to_string(),
        format!("ok   find {ADA}: {dn} (ada)"),
    ] {
        assert!(stdout.contains(&line), "{line:?} in\n{stdout}{stderr}");
    }
    let verify = |password: &str| {
        let stdin = format!("{password}\n");
        with_config(dir.path(), &ad_toml(&dc), &["user", "verify", ADA], &stdin).0
    };
    assert_eq!(verify(OLD), Some(0), "the right password");
    assert_eq!(verify(NEW), Some(1), "a wrong password");
}

#[test]
fn plain_ldap_to_ad_is_refused_by_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let password_file = dir.path().join("service.pw");
    std::fs::write(&password_file, "not used\n").unwrap();
    let toml = format!(
        "[directory]\nkind = \"ldap\"\nmode = \"ad\"\nurl = \"ldap://127.0.0.1\"\n\
         allow_plain_loopback = true\nbind_dn = \"CN=rekey-svc,CN=Users,DC=rekey,DC=test\"\n\
         bind_password_file = \"{}\"\nbase = \"DC=rekey,DC=test\"\n",
        password_file.display()
    );
    let (code, stdout, stderr) = with_config(dir.path(), &toml, &["directory", "test"], "");
    assert_eq!(code, Some(2), "{stdout}{stderr}");
    assert!(stderr.contains("needs TLS"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stdout.is_empty(), "nothing was tried: {stdout}");
}
