//! Scratch test of the Samba AD DC harness: every function of `SambaDc`,
//! and, as the service account, a password reset and an unlock over ldaps.

mod common;

use base64::Engine;
use common::samba::SambaDc;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

const OLD: &str = "Ada-Old-Pass-1!";
const NEW: &str = "Ada-New-Pass-2!";

/// `"password"` in UTF-16LE, base64: a unicodePwd value.
fn unicode_pwd(password: &str) -> String {
    let quoted = format!("\"{password}\"");
    let bytes: Vec<u8> = quoted.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// ldapmodify over ldaps as `dn`, the LDIF on stdin.
fn ldapmodify(dc: &SambaDc, dn: &str, password: &str, ldif: &str) -> Output {
    let mut child = Command::new("ldapmodify")
        .args(["-x", "-H", &dc.url, "-D", dn, "-w", password])
        .env("LDAPTLS_CACERT", &dc.ca_file)
        .env("LDAPTLS_REQCERT", "demand")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ldapmodify runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ldif.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn reset(dc: &SambaDc, as_dn: &str, as_pw: &str, user_dn: &str, new: &str) -> Output {
    let ldif = format!(
        "dn: {user_dn}\nchangetype: modify\nreplace: unicodePwd\nunicodePwd:: {}\n-\n",
        unicode_pwd(new)
    );
    ldapmodify(dc, as_dn, as_pw, &ldif)
}

fn show(what: &str, out: &Output) {
    eprintln!(
        "{what}: code {:?}\n  stdout: {}\n  stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).trim(),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

#[test]
fn samba_dc_harness() {
    let t = Instant::now();
    let Some(dc) = SambaDc::start() else { return };
    eprintln!("start() took {:.1?}", t.elapsed());
    eprintln!(
        "ip {} url {} base {} realm {} service {} ca {}",
        dc.ip,
        dc.url,
        dc.base,
        dc.realm,
        dc.service_dn,
        dc.ca_file.display()
    );
    let svc_pw = std::fs::read_to_string(&dc.service_password_file).unwrap();
    assert!(svc_pw.ends_with('\n'));
    let svc_pw = svc_pw.trim_end().to_string();
    assert!(
        dc.binds(&dc.service_dn, &svc_pw),
        "the service account binds"
    );
    assert!(!dc.binds(&dc.service_dn, "not-the-password"));

    let t = Instant::now();
    let ada = dc.add_user("ada", "ada@rekey.test", OLD);
    eprintln!("add_user took {:.1?}", t.elapsed());
    assert_eq!(ada, format!("CN=ada,CN=Users,{}", dc.base));
    assert_eq!(dc.attr(&ada, "mail"), vec!["ada@rekey.test".to_string()]);
    assert_eq!(dc.attr(&ada, "sAMAccountName"), vec!["ada".to_string()]);
    assert!(dc.attr(&ada, "nosuchattributeatall").is_empty());
    assert!(dc.binds(&ada, OLD));

    // Plain LDAP refuses a simple bind.
    let plain = Command::new("ldapsearch")
        .args([
            "-x",
            "-H",
            &format!("ldap://{}:389", dc.ip),
            "-D",
            &ada,
            "-w",
            OLD,
        ])
        .args(["-b", "", "-s", "base", "-LLL", "1.1"])
        .output()
        .unwrap();
    show("simple bind over ldap://:389", &plain);
    assert_eq!(plain.status.code(), Some(8));

    // Too short, as the service account.
    let before = dc.attr(&ada, "pwdLastSet");
    let short = reset(&dc, &dc.service_dn, &svc_pw, &ada, "Ab1!");
    show("reset to \"Ab1!\"", &short);
    assert_eq!(short.status.code(), Some(19));
    assert!(String::from_utf8_lossy(&short.stderr).contains("0000052D"));
    assert_eq!(dc.attr(&ada, "pwdLastSet"), before);

    // A good reset, as the service account.
    std::thread::sleep(std::time::Duration::from_millis(50));
    let good = reset(&dc, &dc.service_dn, &svc_pw, &ada, NEW);
    show("reset to NEW", &good);
    assert!(good.status.success());
    let after = dc.attr(&ada, "pwdLastSet");
    eprintln!("pwdLastSet before {before:?} after {after:?}");
    assert_ne!(before, after);
    assert!(dc.binds(&ada, NEW), "the new password binds");
    assert!(!dc.binds(&ada, OLD), "the old password no longer binds");

    // Another user with no rights may not reset.
    let bob = dc.add_user("bob", "bob@rekey.test", "Bob-Pass-Word-3!");
    let denied = reset(&dc, &bob, "Bob-Pass-Word-3!", &ada, "Whatever-Pass-4!");
    show("reset by a user without the right", &denied);
    assert_eq!(denied.status.code(), Some(50));

    // Lockout (threshold 5) and unlock by the service account.
    eprintln!("lockoutTime before: {:?}", dc.attr(&ada, "lockoutTime"));
    for _ in 0..5 {
        assert!(!dc.binds(&ada, "wrong-password"));
    }
    let locked = dc.attr(&ada, "lockoutTime");
    eprintln!(
        "lockoutTime after 5 bad binds: {locked:?}, badPwdCount {:?}",
        dc.attr(&ada, "badPwdCount")
    );
    let locked_bind = Command::new("ldapsearch")
        .args(["-x", "-H", &dc.url, "-D", &ada, "-w", NEW])
        .args(["-b", "", "-s", "base", "-LLL", "1.1"])
        .env("LDAPTLS_CACERT", &dc.ca_file)
        .output()
        .unwrap();
    show("bind while locked", &locked_bind);
    assert!(!dc.binds(&ada, NEW), "locked out");
    let unlock = ldapmodify(
        &dc,
        &dc.service_dn,
        &svc_pw,
        &format!("dn: {ada}\nchangetype: modify\nreplace: lockoutTime\nlockoutTime: 0\n-\n"),
    );
    show("unlock (lockoutTime: 0)", &unlock);
    assert!(unlock.status.success());
    assert_eq!(dc.attr(&ada, "lockoutTime"), vec!["0".to_string()]);
    assert!(dc.binds(&ada, NEW), "unlocked");

    // pwdLastSet: 0 (must change at next logon) by the service account.
    let expire = ldapmodify(
        &dc,
        &dc.service_dn,
        &svc_pw,
        &format!("dn: {ada}\nchangetype: modify\nreplace: pwdLastSet\npwdLastSet: 0\n-\n"),
    );
    show("pwdLastSet: 0", &expire);
    assert!(expire.status.success());
    let expired_bind = Command::new("ldapsearch")
        .args(["-x", "-H", &dc.url, "-D", &ada, "-w", NEW])
        .args(["-b", "", "-s", "base", "-LLL", "1.1"])
        .env("LDAPTLS_CACERT", &dc.ca_file)
        .output()
        .unwrap();
    show("bind with pwdLastSet 0", &expired_bind);

    let dir = dc.ca_file.parent().unwrap().parent().unwrap().to_path_buf();
    let t = Instant::now();
    drop(dc);
    eprintln!("drop took {:.1?}", t.elapsed());
    assert!(!dir.exists(), "the DC's directory is gone");
}
