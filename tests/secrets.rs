//! After a reset, the new password is nowhere in the memory of the wizard
//! or the daemon: a scan of each process's memory (`/proc/PID/mem`, read
//! as root) finds no copy of it. With rekey's own accounts: LDAP and TLS
//! libraries keep buffers of their own.

mod common;

use common::daemon::{Daemon, TEST_CONFIG, wait_for_code};
use common::pty::{Wizard, right_code, set_password, walk_to_code_sent};
use common::{OLD_PASSWORD, operator};
use std::path::Path;

const ADDRESS: &str = "ada@example.com";

/// A password nobody else uses, so a copy found is this one.
fn unique_password() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).expect("randomness");
    format!("quiet lantern {} orbits moths", hex::encode(bytes))
}

/// Where `needle` occurs in the readable memory of process `pid`: the
/// mapping's name and the offset, at most a few.
fn copies_in(pid: u32, needle: &[u8]) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).expect("mem (as root)");
    let mut found = Vec::new();
    for line in maps.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (range, perms) = (fields[0], fields[1]);
        let name = fields.get(5).copied().unwrap_or("[anonymous]");
        if !perms.starts_with('r') || name == "[vvar]" || name == "[vsyscall]" {
            continue;
        }
        let (start, end) = range.split_once('-').expect("a range");
        let start = u64::from_str_radix(start, 16).expect("hex");
        let end = u64::from_str_radix(end, 16).expect("hex");
        let mut region = vec![0u8; (end - start) as usize];
        if mem.seek(SeekFrom::Start(start)).is_err() || mem.read_exact(&mut region).is_err() {
            continue;
        }
        for (at, window) in region.windows(needle.len()).enumerate() {
            if window == needle {
                found.push(format!("{name} +{at:#x}"));
            }
        }
    }
    found
}

/// The forms a copy could take: UTF-8, the `char`s a text field holds
/// (UTF-32), and reversed (zxcvbn reverses what it matches).
fn forms(password: &str) -> Vec<Vec<u8>> {
    let utf32: Vec<u8> = password
        .chars()
        .flat_map(|c| u32::from(c).to_le_bytes())
        .collect();
    let reversed: String = password.chars().rev().collect();
    vec![password.as_bytes().to_vec(), utf32, reversed.into_bytes()]
}

/// Every copy of `password`, in any of its forms, in `pid`'s memory.
fn password_copies(pid: u32, password: &str) -> Vec<String> {
    forms(password)
        .iter()
        .flat_map(|form| copies_in(pid, form))
        .collect()
}

fn as_root() -> bool {
    if nix::unistd::geteuid().is_root() {
        return true;
    }
    eprintln!("skipped: reading another process's memory needs root (.ci/run runs as root)");
    false
}

fn add_account(dir: &Path) {
    let out = operator(dir, &["user", "add", ADDRESS], &format!("{OLD_PASSWORD}\n"));
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn the_embedded_wizard_keeps_no_copy_of_the_new_password() {
    if !as_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    add_account(&dir);
    let password = unique_password();
    let mut w = Wizard::embedded(&dir, &[]);
    walk_to_code_sent(&mut w, ADDRESS);
    let code = wait_for_code(&dir.join("mail"), ADDRESS, 1);
    right_code(&mut w, &code);
    set_password(&mut w, &password);
    w.settled(str::to_string);
    let copies = password_copies(w.pid(), &password);
    assert!(
        copies.is_empty(),
        "the wizard holds the password at {copies:?}"
    );
}

#[test]
fn neither_the_connected_wizard_nor_the_daemon_keeps_a_copy() {
    if !as_root() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Daemon::start(tmp.path(), TEST_CONFIG);
    daemon.add_user(ADDRESS, "Ada", OLD_PASSWORD);
    let password = unique_password();
    let socket = daemon.socket.to_str().expect("a UTF-8 path");
    let mut w = Wizard::rekey(&["--connect", socket], tmp.path());
    walk_to_code_sent(&mut w, ADDRESS);
    let code = wait_for_code(&daemon.mail_dir(), ADDRESS, 1);
    right_code(&mut w, &code);
    set_password(&mut w, &password);
    w.settled(str::to_string);
    let wizard = password_copies(w.pid(), &password);
    let served = password_copies(daemon.pid(), &password);
    assert!(
        wizard.is_empty() && served.is_empty(),
        "copies of the password: wizard {wizard:?}, daemon {served:?}"
    );
}
