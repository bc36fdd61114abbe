//! End to end through a real OpenSSH server, as on a support box: sshd on a
//! loopback port with the shipped drop-in (`assets/deploy/sshd_rekey.conf`)
//! forces `rekey --connect` on the user, a `rekey serve` holds the store,
//! and a person runs `ssh` in an 80x24 terminal (`common::pty`) and walks
//! from the landing screen to "Password changed".
//!
//! Where sshd cannot run (OpenSSH missing, no loopback port, sshd refusing
//! to let this user log in) the test says why on stderr and passes without
//! running.

mod common;

use common::daemon::{Daemon, TEST_CONFIG, wait_for_code};
use common::pty::{TIMEOUT, Wizard, finish_and_quit, walk_to_code_sent};
use common::{NEW_PASSWORD, OLD_PASSWORD, password_works};
use nix::unistd::{Uid, User};
use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SSHD: &str = "/usr/sbin/sshd";
/// The drop-in as shipped, and what in it names the deployment: the
/// account, the binary and the daemon's socket.
const DROP_IN: &str = include_str!("../assets/deploy/sshd_rekey.conf");
const SHIPPED_MATCH: &str = "Match User recover";
const SHIPPED_REKEY: &str = "/usr/local/bin/rekey";
const SHIPPED_SOCKET: &str = "/run/rekey/rekey.sock";

const ADDRESS: &str = "ada@example.com";
const NAME: &str = "Ada Lovelace";

/// Says why the test does not run here.
fn skip(reason: &str) {
    eprintln!("tests/ssh.rs skipped: {reason}");
}

/// Whether `program` runs from the PATH.
fn runs(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A new ed25519 key pair without a passphrase at `path` (and `path.pub`).
fn new_key(path: &Path) {
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "rekey-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .expect("ssh-keygen runs");
    assert!(
        out.status.success(),
        "ssh-keygen {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A loopback port nobody listens on now.
fn free_loopback_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The shipped drop-in for this machine: `user` instead of `recover`, the
/// binary under test and the test daemon's socket instead of the installed
/// paths. Each placeholder must be there, so that a change to the shipped
/// file cannot quietly leave this test on other settings.
fn drop_in_for(user: &str, rekey: &Path, socket: &Path) -> String {
    for placeholder in [SHIPPED_MATCH, SHIPPED_REKEY, SHIPPED_SOCKET] {
        assert!(
            DROP_IN.contains(placeholder),
            "the shipped drop-in no longer says {placeholder:?}"
        );
    }
    DROP_IN
        .replace(SHIPPED_MATCH, &format!("Match User {user}"))
        .replace(SHIPPED_REKEY, &rekey.display().to_string())
        .replace(SHIPPED_SOCKET, &socket.display().to_string())
}

/// sshd's own settings for a throwaway server in `dir` on `port`; the
/// drop-in goes after them, as the Match block a support box would have.
fn base_config(dir: &Path, port: u16) -> String {
    let d = dir.display();
    format!(
        "ListenAddress 127.0.0.1\n\
         Port {port}\n\
         HostKey {d}/host_key\n\
         PidFile {d}/sshd.pid\n\
         AuthorizedKeysFile {d}/authorized_keys\n\
         StrictModes no\n\
         UsePAM no\n\
         PasswordAuthentication no\n\
         KbdInteractiveAuthentication no\n\
         PermitRootLogin prohibit-password\n\
         PrintMotd no\n\
         PrintLastLog no\n\n"
    )
}

/// `sshd -D -e` on its config; killed when dropped.
struct Sshd {
    child: Child,
    log: PathBuf,
}

impl Sshd {
    fn start(config: &Path, log: &Path) -> Self {
        let child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(log).expect("sshd's log file"))
            .spawn()
            .expect("sshd starts");
        Self {
            child,
            log: log.to_path_buf(),
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until `port` accepts; `Err` with sshd's log when sshd ended
    /// first.
    fn wait_listening(&mut self, port: u16) -> Result<(), String> {
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let start = Instant::now();
        loop {
            if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("sshd ended with {status}: {}", self.log_text()));
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "sshd did not listen on {port} in {TIMEOUT:?}: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ssh -tt` into the test server as `user`, in the pseudo-terminal: the
/// system's and the user's ssh_config are left out, and only LANG is sent.
fn ssh_in(dir: &Path, key: &Path, user: &str, port: u16) -> Wizard {
    let key = key.to_str().expect("a UTF-8 temporary path");
    let port = port.to_string();
    let target = format!("{user}@127.0.0.1");
    Wizard::spawn(
        "ssh",
        &[
            "-F",
            "/dev/null",
            "-tt",
            "-i",
            key,
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "SendEnv=LANG",
            "-p",
            &port,
            &target,
        ],
        dir,
    )
}

/// How the login went: the wizard's landing screen, or ssh's own words
/// when it ended first.
fn login(w: &mut Wizard) -> Result<(), String> {
    let start = Instant::now();
    loop {
        if w.screen().contains("Forgot your password?") {
            return Ok(());
        }
        if let Some(status) = w.exited() {
            w.drain();
            return Err(format!(
                "ssh ended with {status}: {}",
                w.transcript().trim()
            ));
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "no landing screen over ssh in {TIMEOUT:?}; the screen:\n{}",
            w.screen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `ssh` to a support box whose sshd forces the wizard on the user: the
/// whole flow in an 80x24 terminal, the code from the daemon's mail; Ctrl-C
/// ends the wizard, ssh exits 0 and the terminal is given back. The daemon
/// then takes the new password and not the old one, and its audit trail
/// has the change from `ssh 127.0.0.1`, with the uid the kernel gave for
/// the wizard's end of the socket.
#[test]
fn ssh_into_the_support_box_runs_the_wizard_to_a_new_password() {
    if !Path::new(SSHD).exists() {
        return skip(&format!("{SSHD} is not installed (openssh-server)"));
    }
    if !runs("ssh", "-V") || !runs("ssh-keygen", "-?") {
        return skip("ssh or ssh-keygen is not on the PATH (openssh-client)");
    }
    let uid = Uid::current();
    let Some(user) = User::from_uid(uid).ok().flatten().map(|u| u.name) else {
        return skip(&format!("uid {uid} has no user name to log in as"));
    };
    if Uid::effective().is_root() {
        // sshd's privilege separation directory, which a package makes at
        // boot and a container may lack.
        std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
    }

    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = std::path::absolute(tmp.path()).expect("an absolute temporary path");
    new_key(&dir.join("host_key"));
    new_key(&dir.join("client_key"));
    std::fs::copy(dir.join("client_key.pub"), dir.join("authorized_keys"))
        .expect("authorized_keys");

    std::fs::create_dir(dir.join("rekey")).expect("the daemon's directory");
    let daemon = Daemon::start(&dir.join("rekey"), TEST_CONFIG);
    daemon.add_user(ADDRESS, NAME, OLD_PASSWORD);

    let port = match free_loopback_port() {
        Ok(port) => port,
        Err(e) => return skip(&format!("no loopback port to listen on: {e}")),
    };
    let config = dir.join("sshd_config");
    let drop_in = drop_in_for(
        &user,
        Path::new(env!("CARGO_BIN_EXE_rekey")),
        &daemon.socket,
    );
    std::fs::write(&config, base_config(&dir, port) + &drop_in).expect("sshd_config");
    let check = Command::new(SSHD)
        .arg("-t")
        .arg("-f")
        .arg(&config)
        .output()
        .expect("sshd -t runs");
    assert!(
        check.status.success(),
        "sshd -t refuses the config with the shipped drop-in: {}",
        String::from_utf8_lossy(&check.stderr)
    );

    let mut sshd = Sshd::start(&config, &dir.join("sshd.log"));
    if let Err(why) = sshd.wait_listening(port) {
        if why.to_lowercase().contains("bind") {
            return skip(&format!("sshd cannot listen on 127.0.0.1:{port}: {why}"));
        }
        panic!("{why}");
    }

    let mut w = ssh_in(&dir, &dir.join("client_key"), &user, port);
    if let Err(why) = login(&mut w) {
        // sshd's own refusal of the account (locked, no valid shell, not
        // in AllowUsers) is this machine's; any other failure is the test's.
        let log = sshd.log_text();
        if let Some(refusal) = log.lines().find(|l| l.contains("not allowed because")) {
            return skip(&format!("sshd does not let {user} log in here: {refusal}"));
        }
        panic!("{why}\nsshd's log:\n{log}");
    }
    walk_to_code_sent(&mut w, ADDRESS);
    let code = wait_for_code(&daemon.mail_dir(), ADDRESS, 1);
    finish_and_quit(w, &code, NEW_PASSWORD);

    assert!(
        password_works(&daemon.data_dir, ADDRESS, NEW_PASSWORD),
        "the new password is refused"
    );
    assert!(
        !password_works(&daemon.data_dir, ADDRESS, OLD_PASSWORD),
        "the old password still works"
    );

    let audit = daemon.operator(&["audit"], "");
    assert!(audit.status.success(), "rekey audit through the daemon");
    let audit = String::from_utf8_lossy(&audit.stdout);
    let changed = audit
        .lines()
        .find(|l| l.contains("password_changed") && l.contains(ADDRESS))
        .unwrap_or_else(|| panic!("no password change in the audit trail:\n{audit}"));
    let from = format!("[ssh 127.0.0.1; uid {uid} ({user}) pid ");
    assert!(
        changed.contains(&from),
        "the change is not recorded as from {from:?}: {changed}"
    );
}
