//! A full disk under the store: on a small tmpfs of its own (mounted here,
//! so these tests need root; without it they say why and skip). An open on
//! a full disk says so and leaves nothing behind that breaks the next one;
//! a daemon that runs out of space answers the truth, stops with its own
//! exit status, and serves again once space is free, with everything it
//! acknowledged before still there.

mod common;
use common::secret;

use common::daemon::{Daemon, TEST_CONFIG, seed_accounts, wait_for_code};
use common::{NEW_PASSWORD, OLD_PASSWORD, requested};
use rekey::recovery::Stage;
use rekey::service::{RecoveryService, ServiceError, SocketService};
use rekey::store::Store;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The exit status of `rekey` when the disk under its store is full.
const EXIT_NO_SPACE: i32 = 75;

/// A tmpfs of `size` mounted on a temporary directory, unmounted when
/// dropped (also when the test panics).
struct SmallDisk {
    mount: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    /// `None`, said on stderr, when this process cannot mount one.
    fn mount(test: &str, size: &str) -> Option<Self> {
        if !nix::unistd::geteuid().is_root() {
            eprintln!("{test}: skipped: mounting a small tmpfs needs root");
            return None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let mount = dir.path().join("disk");
        std::fs::create_dir(&mount).expect("mount point");
        let out = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(&mount)
            .output();
        match out {
            Ok(out) if out.status.success() => Some(Self { mount, _dir: dir }),
            Ok(out) => {
                eprintln!(
                    "{test}: skipped: mount -t tmpfs failed: {}",
                    String::from_utf8_lossy(&out.stderr).trim()
                );
                None
            }
            Err(e) => {
                eprintln!("{test}: skipped: cannot run mount: {e}");
                None
            }
        }
    }

    fn path(&self) -> &Path {
        &self.mount
    }

    fn filler(&self) -> PathBuf {
        self.mount.join("filler")
    }

    /// Writes a file until the disk has not a byte left (again, if some
    /// came free since).
    fn fill(&self) {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.filler())
            .expect("filler");
        let block = [0u8; 4096];
        loop {
            match file.write(&block) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling the disk: {e}"),
            }
        }
    }

    fn free(&self) {
        std::fs::remove_file(self.filler()).expect("filler removed");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        // Lazily: a daemon still running on it must not keep it mounted.
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

/// The files sled left in the store's directory.
fn store_files(data_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data_dir.join("store"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn code_and_text(out: &std::process::Output) -> (Option<i32>, String, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Ada and Bob, added by the operator's command, with an open between
/// them that gets as far as sled's snapshot: the log grew since the last
/// one, and the space the log's tail needs is already its own.
fn two_accounts(data: &Path) {
    let add = |address: &str, name: &str, password: &str| {
        let added = common::operator(
            data,
            &["user", "add", address, "--name", name],
            &format!("{password}\n"),
        );
        assert!(added.status.success(), "{:?}", code_and_text(&added));
    };
    add("ada@example.com", "Ada", OLD_PASSWORD);
    let listed = common::operator(data, &["user", "list"], "");
    assert!(listed.status.success(), "{:?}", code_and_text(&listed));
    add("bob@example.com", "Bob", NEW_PASSWORD);
}

#[test]
fn an_open_on_a_full_disk_says_so_and_the_store_opens_once_space_is_free() {
    let test = "an_open_on_a_full_disk_says_so_and_the_store_opens_once_space_is_free";
    let Some(disk) = SmallDisk::mount(test, "4m") else {
        return;
    };
    let data = disk.path().join("data");
    two_accounts(&data);

    disk.fill();
    // Twice: the second open meets whatever the first one left.
    for _ in 0..2 {
        let (code, _, stderr) = code_and_text(&common::operator(&data, &["user", "list"], ""));
        assert_eq!(code, Some(EXIT_NO_SPACE), "{stderr}");
        let store = data.join("store");
        assert!(
            stderr.contains(&format!(
                "no space left on the device holding {}",
                store.display()
            )),
            "{stderr}"
        );
        assert!(!stderr.contains("corrupt"), "{stderr}");
        let files = store_files(&data);
        assert!(
            !files.iter().any(|f| f.ends_with(".generating")),
            "an unfinished snapshot was left: {files:?}"
        );
    }

    disk.free();
    let (code, stdout, stderr) = code_and_text(&common::operator(&data, &["user", "list"], ""));
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stdout.contains("ada@example.com"), "{stdout}");
    assert!(stdout.contains("bob@example.com"), "{stdout}");
    let store = Store::open(&data).expect("the store opens");
    drop(store);
    assert!(common::password_works(
        &data,
        "ada@example.com",
        OLD_PASSWORD
    ));
}

/// The audit trail through the daemon, one JSON event a line.
fn audit_lines(daemon: &Daemon) -> Vec<String> {
    let out = daemon.operator(&["audit", "--json"], "");
    let (code, stdout, stderr) = code_and_text(&out);
    assert_eq!(code, Some(0), "{stderr}");
    stdout.lines().map(str::to_string).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_out_of_space_tells_the_truth_stops_and_serves_again_once_space_is_free() {
    let test = "a_daemon_out_of_space_tells_the_truth_stops_and_serves_again_once_space_is_free";
    let Some(disk) = SmallDisk::mount(test, "8m") else {
        return;
    };
    let root = tempfile::tempdir().expect("temp dir");
    let data = disk.path().join("data");
    let accounts =
        ["ada@example.com", "bob@example.com"].map(|a| (a.to_string(), OLD_PASSWORD.to_string()));
    seed_accounts(&data, &accounts);
    // The traffic below is one origin's, faster than a person's.
    let config = format!(
        "{TEST_CONFIG}[codes]\nresend_cooldown_secs = 0\n[daemon]\norigin_requests_per_sec = 1000\n"
    );
    let mut daemon = Daemon::start_on(root.path(), &data, &config);

    // Acknowledged before the fault: Ada's new password, Bob's confirmed code.
    let wizard = SocketService::connect(&daemon.socket)
        .await
        .expect("the daemon answers")
        .0;
    let ada = requested(&wizard, "ada@example.com").await;
    wizard.choose_email(&ada).await.expect("email chosen");
    wizard.send_code(&ada).await.expect("code sent");
    let mail = daemon.mail_dir();
    let code = tokio::task::spawn_blocking(move || wait_for_code(&mail, "ada@example.com", 1))
        .await
        .expect("mail read");
    wizard
        .confirm_code(&ada, &secret(&code))
        .await
        .expect("right code");
    let done = wizard
        .set_password(&ada, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
        .expect("password set");
    assert_eq!(done.stage, Stage::PasswordSet);
    let bob = requested(&wizard, "bob@example.com").await;
    wizard.choose_email(&bob).await.expect("email chosen");
    wizard.send_code(&bob).await.expect("code sent");
    let mail = daemon.mail_dir();
    let code = tokio::task::spawn_blocking(move || wait_for_code(&mail, "bob@example.com", 1))
        .await
        .expect("mail read");
    wizard
        .confirm_code(&bob, &secret(&code))
        .await
        .expect("right code");
    let acknowledged = audit_lines(&daemon);
    assert!(acknowledged.len() >= 6, "{acknowledged:?}");

    // Traffic goes on while the disk fills: the first step that cannot be
    // saved is told so, not "try again in a moment". sled's current
    // segment of the log (512 KiB) already holds its space: the disk runs
    // out when the log moves to the next one.
    let traffic = SocketService::connect(&daemon.socket)
        .await
        .expect("the daemon answers")
        .0;
    disk.fill();
    let mut refusal = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    for i in 0.. {
        if Instant::now() > deadline {
            panic!("{i} steps on a full disk were all saved");
        }
        let step = async {
            let s = traffic.open_session("full disk", "en").await?;
            traffic
                .submit_address(&s, &format!("nobody{i}@example.com"))
                .await?;
            traffic.close_session(&s).await
        };
        match step.await {
            Ok(()) => {}
            Err(e) => {
                eprintln!("{test}: refused at step {i} after the disk filled");
                refusal = Some(e);
                break;
            }
        }
    }
    let refusal = refusal.expect("a step on a full disk was refused");
    // The step whose flush failed may or may not be on disk: it is told
    // that, not "nothing was changed"; a step sled refused outright is.
    match &refusal {
        ServiceError::NotSaved => {
            assert!(!refusal.to_string().contains("nothing was changed"));
        }
        ServiceError::CannotSave => {
            assert!(refusal.to_string().contains("nothing was changed"));
        }
        other => panic!("the person was told: {other:?} ({other})"),
    }

    // The daemon stops by itself, with its own status and a plain line.
    let status = tokio::task::block_in_place(|| daemon.wait_for_exit(Duration::from_secs(40)))
        .unwrap_or_else(|| panic!("the daemon kept running: {}", daemon.log_text()));
    assert_eq!(status.code(), Some(EXIT_NO_SPACE), "{}", daemon.log_text());
    let log = daemon.log_text();
    let store = data.join("store");
    assert!(
        log.contains(&format!(
            "no space left on the device holding {}",
            store.display()
        )),
        "{log}"
    );
    assert!(matches!(
        wizard.open_session("after", "en").await,
        Err(ServiceError::Unavailable(_))
    ));

    // Started again (as systemd's Restart=on-failure does) while the disk
    // is still full (what the daemon gave back on its way out, such as its
    // socket's note, is taken again): it waits for space, then serves.
    disk.fill();
    daemon.spawn();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        tokio::task::block_in_place(|| daemon.wait_for_exit(Duration::ZERO)).is_none(),
        "a daemon started on a full disk gave up: {}",
        daemon.log_text()
    );
    assert!(
        daemon.log_text().contains("waiting for space"),
        "{}",
        daemon.log_text()
    );
    disk.free();
    let freed = Instant::now();
    tokio::task::block_in_place(|| daemon.wait_until_served(Duration::from_secs(20)));
    eprintln!(
        "{test}: served again {:?} after space was freed",
        freed.elapsed()
    );

    // Everything acknowledged before the fault is still there, and the
    // daemon saves again.
    let after = audit_lines(&daemon);
    assert_eq!(&after[..acknowledged.len()], &acknowledged[..]);
    let verified = daemon.operator(&["audit", "verify"], "");
    assert!(verified.status.success(), "{:?}", code_and_text(&verified));
    let wizard = SocketService::connect(&daemon.socket)
        .await
        .expect("the daemon answers")
        .0;
    let bob = requested(&wizard, "bob@example.com").await;
    wizard.choose_email(&bob).await.expect("email chosen");
    wizard.send_code(&bob).await.expect("code sent");
    let mail = daemon.mail_dir();
    let code = tokio::task::spawn_blocking(move || wait_for_code(&mail, "bob@example.com", 2))
        .await
        .expect("mail read");
    wizard
        .confirm_code(&bob, &secret(&code))
        .await
        .expect("right code");
    let bob_password = format!("{NEW_PASSWORD} after the disk was full");
    let done = wizard
        .set_password(&bob, &secret(&bob_password), &secret(&bob_password))
        .await
        .expect("password set");
    assert_eq!(done.stage, Stage::PasswordSet);

    let status = tokio::task::block_in_place(|| daemon.terminate());
    assert!(status.success(), "{}", daemon.log_text());
    assert!(common::password_works(
        &data,
        "ada@example.com",
        NEW_PASSWORD
    ));
    assert!(common::password_works(
        &data,
        "bob@example.com",
        &bob_password
    ));
}

/// The embedded wizard on a store whose disk is full: it says so in one
/// line and exits 75 (a kiosk's loop then tries again every 3 s), and once
/// space is free it starts.
#[test]
fn the_embedded_wizard_on_a_full_disk_says_so_and_starts_once_space_is_free() {
    let test = "the_embedded_wizard_on_a_full_disk_says_so_and_starts_once_space_is_free";
    let Some(disk) = SmallDisk::mount(test, "4m") else {
        return;
    };
    let data = disk.path().join("data");
    two_accounts(&data);
    disk.fill();
    let mut w = common::pty::Wizard::embedded(&data, &[]);
    let status = w
        .wait_exit(Duration::from_secs(20))
        .expect("the wizard ends");
    assert_eq!(
        status.exit_code(),
        EXIT_NO_SPACE as u32,
        "{}",
        w.transcript()
    );
    // The terminal's last bytes may still be on their way to the reader.
    let said = "no space left on the device holding";
    let deadline = Instant::now() + Duration::from_secs(5);
    while !w.transcript().contains(said) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(w.transcript().contains(said), "{}", w.transcript());
    disk.free();
    let mut w = common::pty::Wizard::embedded(&data, &[]);
    w.wait_for("Forgot your password?");
    let status = w.quit();
    assert!(status.success(), "{status}");
}

/// The embedded wizard whose disk fills while a person is in it: code
/// after code is asked for (each one a record in the store and a mail on
/// the same disk) until a step cannot be saved. The person reads that
/// nothing could be saved, never that it was; the wizard then ends with
/// its own status, and once space is free it starts on a store that
/// verifies, with the accounts as they were.
#[test]
fn the_embedded_wizard_whose_disk_fills_mid_session_says_so_ends_and_starts_again() {
    let test = "the_embedded_wizard_whose_disk_fills_mid_session_says_so_ends_and_starts_again";
    let Some(disk) = SmallDisk::mount(test, "4m") else {
        return;
    };
    let data = disk.path().join("data");
    two_accounts(&data);
    // Codes as fast as the keys ask for them, so the disk fills quickly.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let config = elsewhere.path().join("rekey.toml");
    std::fs::write(
        &config,
        "[service]\nreply_floor_ms = 0\n[codes]\nresend_cooldown_secs = 0\n\
         max_sends_per_hour = 100\nmax_sends_per_address_per_hour = 255\n",
    )
    .expect("config written");
    let config_arg = config.to_str().expect("a UTF-8 temporary path");
    let mut w = common::pty::Wizard::embedded(&data, &["--config", config_arg]);
    common::pty::walk_to_code_sent(&mut w, "ada@example.com");
    disk.fill();

    let cannot_save = "rekey cannot save anything right now";
    let not_saved = "rekey could not finish saving this step";
    let refused = |s: &str| s.contains(cannot_save) || s.contains(not_saved);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut asked = 0;
    let screen = loop {
        let screen = w.screen();
        if refused(&screen) {
            break screen;
        }
        assert!(
            Instant::now() < deadline && w.exited().is_none(),
            "{asked} codes asked for on a full disk, none refused; the screen:\n{screen}"
        );
        // Down to Resend, Enter: another code.
        w.send("\x1b[B\r");
        asked += 1;
        std::thread::sleep(Duration::from_millis(15));
    };
    eprintln!("{test}: refused after {asked} codes asked for on a full disk");
    if screen.contains(not_saved) {
        assert!(!screen.contains("nothing was changed"), "{screen}");
    }

    let status = w
        .wait_exit(Duration::from_secs(30))
        .expect("the wizard ends by itself");
    assert_eq!(
        status.exit_code(),
        EXIT_NO_SPACE as u32,
        "{}",
        w.transcript()
    );
    let said = "no space left on the device holding";
    let deadline = Instant::now() + Duration::from_secs(5);
    while !w.transcript().contains(said) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(w.transcript().contains(said), "{}", w.transcript());
    drop(w);

    disk.free();
    let verified = common::operator(&data, &["audit", "verify"], "");
    assert!(verified.status.success(), "{:?}", code_and_text(&verified));
    assert!(common::password_works(
        &data,
        "ada@example.com",
        OLD_PASSWORD
    ));
    assert!(common::password_works(
        &data,
        "bob@example.com",
        NEW_PASSWORD
    ));
    let mut w = common::pty::Wizard::embedded(&data, &["--config", config_arg]);
    w.wait_for("Forgot your password?");
    let status = w.quit();
    assert!(status.success(), "{status}");
}
