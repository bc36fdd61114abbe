//! Exercises the slapd harness (tests/common/slapd.rs): ppolicy history,
//! quality and lockout as the service account sees them, and stop/restart.

mod common;

use common::slapd::{BASE, PEOPLE, SERVICE_DN, Slapd};
use std::process::{Command, Output};
use std::time::Instant;

const ORIGINAL: &str = "original password, long enough";
const NEW: &str = "a brand new password of 24+ chars";

/// `ldappasswd` as the service account: reset `dn`'s password to `new`.
fn reset_as_service(slapd: &Slapd, service_password: &str, dn: &str, new: &str) -> Output {
    Command::new("ldappasswd")
        .args([
            "-x",
            "-H",
            &slapd.url,
            "-D",
            SERVICE_DN,
            "-w",
            service_password,
        ])
        .args(["-s", new, dn])
        .output()
        .expect("run ldappasswd")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn slapd_harness_works() {
    let started = Instant::now();
    let Some(mut slapd) = Slapd::start() else {
        return;
    };
    eprintln!("start() took {:?} on {}", started.elapsed(), slapd.url);
    assert_eq!(slapd.url, format!("ldap://127.0.0.1:{}", slapd.port));
    assert!(slapd.dir.join("slapd.conf").exists());

    let file = std::fs::read_to_string(&slapd.service_password_file).expect("service password");
    assert!(file.ends_with('\n') && !file.ends_with("\n\n"), "{file:?}");
    let service_password = file.trim_end().to_string();
    assert!(slapd.binds(SERVICE_DN, &service_password));

    // ldap-utils' -y sends the file as is, newline included: refused.
    let y = Command::new("ldapwhoami")
        .args(["-x", "-H", &slapd.url, "-D", SERVICE_DN, "-y"])
        .arg(&slapd.service_password_file)
        .output()
        .expect("run ldapwhoami");
    assert_eq!(y.status.code(), Some(49), "{}", text(&y));

    // The seeded tree and policy are there.
    assert_eq!(slapd.attr(BASE, "dc"), ["example"]);
    assert_eq!(
        slapd.attr("cn=default,ou=policies,dc=example,dc=com", "pwdMinLength"),
        ["20"]
    );
    assert!(
        slapd
            .attr("uid=nobody,ou=people,dc=example,dc=com", "cn")
            .is_empty()
    );

    // A person binds with their password and not with another.
    let dn = slapd.add_person("alice", "alice@example.com", "Alice Liddell", ORIGINAL);
    assert_eq!(dn, format!("uid=alice,{PEOPLE}"));
    assert_eq!(slapd.attr(&dn, "mail"), ["alice@example.com"]);
    assert_eq!(slapd.attr(&dn, "sn"), ["Liddell"]);
    assert!(slapd.attr(&dn, "userPassword")[0].starts_with("{SSHA}"));
    assert!(slapd.binds(&dn, ORIGINAL));
    assert!(!slapd.binds(&dn, "not the password at all, no"));
    assert!(!slapd.binds(&dn, ""));
    assert!(slapd.attr(&dn, "pwdChangedTime").is_empty());

    // A non-ASCII value goes through base64 both ways.
    let bea = slapd.add_person("bea", "bea@example.com", "Béatrice Ørsted", ORIGINAL);
    assert_eq!(slapd.attr(&bea, "cn"), ["Béatrice Ørsted"]);

    // The service account resets the password: the person binds with it.
    let out = reset_as_service(&slapd, &service_password, &dn, NEW);
    assert!(out.status.success(), "{}", text(&out));
    assert!(slapd.binds(&dn, NEW));
    assert!(!slapd.binds(&dn, ORIGINAL));
    assert_eq!(slapd.attr(&dn, "pwdChangedTime").len(), 1);
    assert_eq!(slapd.attr(&dn, "pwdHistory").len(), 1);

    // Back to the original: refused, it is in the history.
    let out = reset_as_service(&slapd, &service_password, &dn, ORIGINAL);
    eprintln!("history: {:?} {}", out.status.code(), text(&out));
    assert!(!out.status.success());
    assert!(
        text(&out).contains("Password is in history"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("(19)"), "{}", text(&out));

    // Ten characters: refused, too short.
    let out = reset_as_service(&slapd, &service_password, &dn, "0123456789");
    eprintln!("too short: {:?} {}", out.status.code(), text(&out));
    assert!(!out.status.success());
    assert!(text(&out).contains("fails quality"), "{}", text(&out));
    assert!(slapd.binds(&dn, NEW));

    // Locked by the rootdn: the right password no longer binds.
    slapd.modify(&format!(
        "dn: {dn}\nchangetype: modify\nreplace: pwdAccountLockedTime\npwdAccountLockedTime: 000001010000Z\n"
    ));
    assert_eq!(slapd.attr(&dn, "pwdAccountLockedTime"), ["000001010000Z"]);
    assert!(!slapd.binds(&dn, NEW));
    let locked = Command::new("ldapwhoami")
        .args([
            "-e", "ppolicy", "-x", "-H", &slapd.url, "-D", &dn, "-w", NEW,
        ])
        .output()
        .expect("run ldapwhoami");
    eprintln!("locked: {:?} {}", locked.status.code(), text(&locked));
    assert_eq!(locked.status.code(), Some(49));

    // Unlocked by the service account.
    let mut unlock = Command::new("ldapmodify");
    unlock.args([
        "-x",
        "-H",
        &slapd.url,
        "-D",
        SERVICE_DN,
        "-w",
        &service_password,
    ]);
    let out = run_with_stdin(
        unlock,
        &format!("dn: {dn}\nchangetype: modify\ndelete: pwdAccountLockedTime\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(slapd.attr(&dn, "pwdAccountLockedTime").is_empty());
    assert!(slapd.binds(&dn, NEW));

    // The service account may also set pwdReset.
    let mut reset = Command::new("ldapmodify");
    reset.args([
        "-x",
        "-H",
        &slapd.url,
        "-D",
        SERVICE_DN,
        "-w",
        &service_password,
    ]);
    let out = run_with_stdin(
        reset,
        &format!("dn: {dn}\nchangetype: modify\nreplace: pwdReset\npwdReset: TRUE\n"),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(slapd.attr(&dn, "pwdReset"), ["TRUE"]);

    // Five wrong passwords lock an account until the lock is cleared.
    let carol = slapd.add_person("carol", "carol@example.com", "Carol Danvers", ORIGINAL);
    for _ in 0..5 {
        assert!(!slapd.binds(&carol, "wrong wrong wrong wrong"));
    }
    assert_eq!(slapd.attr(&carol, "pwdFailureTime").len(), 5);
    assert_eq!(slapd.attr(&carol, "pwdAccountLockedTime").len(), 1);
    assert!(!slapd.binds(&carol, ORIGINAL));

    // Stop keeps the data; restart serves it on the same port.
    let port = slapd.port;
    let t = Instant::now();
    slapd.stop();
    eprintln!("stop() took {:?}", t.elapsed());
    assert!(!slapd.binds(&dn, NEW));
    let t = Instant::now();
    slapd.restart();
    eprintln!("restart() took {:?}", t.elapsed());
    assert_eq!(slapd.port, port);
    assert!(slapd.binds(&dn, NEW));
    assert_eq!(slapd.attr(&dn, "pwdHistory").len(), 1);

    // restart() of a running slapd stops it first.
    slapd.restart();
    assert!(slapd.binds(&dn, NEW));

    // Drop kills it.
    let pid: i32 = std::fs::read_to_string(slapd.dir.join("slapd.pid"))
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid");
    drop(slapd);
    assert!(!std::path::Path::new(&format!("/proc/{pid}")).exists());
}

fn run_with_stdin(mut cmd: Command, stdin: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}
