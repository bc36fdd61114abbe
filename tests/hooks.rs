//! rekey on a command hook (`[directory] kind = "command"`): the real
//! `assets/hooks/chpasswd-hook` against a throwaway root with the real
//! chpasswd (as root), and tiny `/bin/sh` hooks that hang, print garbage,
//! fail, or record what they were given. Also runs the Python suite of the
//! hooks (`tests/hooks/test_hooks.py`), so that `cargo test` covers it.

mod common;
use common::secret;

use common::ldap::OnDirectory;
use common::{NEW_PASSWORD, OLD_PASSWORD, code_sent, human_slide};
use rekey::directory::{DirectoryKind, DirectorySettings, Password, Refusal};
use rekey::recovery::{EmailAddress, SlideRules, SlideVerdict, Stage};
use rekey::service::{RecoveryService, ServiceError, SessionId};
use rekey::store::audit::AuditKind;
use rekey::store::outbox::OutboxMessage;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The PATH rekey gives its hooks (`src/directory/command.rs`): the hook's
/// `#!/usr/bin/env python3` is looked up there, not in the test's PATH.
const HOOK_PATH: [&str; 6] = [
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

const ALICE: &str = "alice@example.com";
const BOB: &str = "bob@example.com";

fn hooks_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/hooks")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

fn python3_for_hooks() -> bool {
    HOOK_PATH
        .iter()
        .any(|d| Path::new(d).join("python3").exists())
}

fn has_python3() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `program args` with `input` on stdin; its stdout, on success.
fn run_with_stdin(program: &str, args: &[&str], input: &[u8]) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} starts: {e}"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("written");
    let out = child.wait_with_output().expect("ends");
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// crypt(3) through libcrypt (as Debian's passwd tools use it), the
/// password on stdin: independent of the hook's own code.
const CRYPT_PY: &str = "import ctypes, sys\n\
lib = ctypes.CDLL('libcrypt.so.1')\n\
lib.crypt.restype = ctypes.c_char_p\n\
lib.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]\n\
pw, setting = sys.stdin.buffer.read().split(b'\\n')[:2]\n\
out = lib.crypt(pw, setting)\n\
sys.stdout.write(out.decode() if out else '')\n";

fn crypt(password: &str, setting: &str) -> String {
    run_with_stdin(
        "python3",
        &["-c", CRYPT_PY],
        format!("{password}\n{setting}\n").as_bytes(),
    )
}

fn hash_verifies(password: &str, hash: &str) -> bool {
    crypt(password, hash) == hash
}

/// The fields of `login`'s line in a shadow file.
fn shadow_fields(shadow: &Path, login: &str) -> Vec<String> {
    std::fs::read_to_string(shadow)
        .expect("shadow")
        .lines()
        .map(|l| l.split(':').map(str::to_string).collect::<Vec<_>>())
        .find(|f| f[0] == login)
        .unwrap_or_else(|| panic!("{login} in shadow"))
}

fn shadow_line(shadow: &Path, login: &str) -> String {
    shadow_fields(shadow, login).join(":")
}

fn audit(on: &OnDirectory) -> Vec<(AuditKind, String)> {
    on.store
        .audit_events()
        .expect("audit")
        .into_iter()
        .map(|e| (e.kind, e.detail))
        .collect()
}

fn count(kinds: &[(AuditKind, String)], kind: AuditKind) -> usize {
    kinds.iter().filter(|k| k.0 == kind).count()
}

fn codes_to(on: &OnDirectory, address: &str) -> usize {
    let address = EmailAddress::parse(address).expect("address");
    on.store
        .outbox()
        .expect("outbox")
        .into_iter()
        .filter(|m| m.to == address && matches!(m.message, OutboxMessage::Code { .. }))
        .count()
}

async fn stage(on: &OnDirectory, s: &SessionId) -> Stage {
    on.service.flow_status(s).await.expect("flow status").stage
}

/// A `/bin/sh` hook in `dir`. rekey runs `/bin/sh` (no shell *between*
/// rekey and the hook: the shell is the hook's interpreter) with the
/// script as its argument, so the freshly written script is never exec'd
/// itself (no "text file busy" while other tests fork). `$here` is `dir`,
/// `$req` the request; `find`, `changed_at` and `change` are shell bodies.
fn sh_hook(
    dir: &Path,
    find: &str,
    changed_at: &str,
    change: &str,
    timeout_secs: u64,
) -> DirectorySettings {
    let script = dir.join("hook.sh");
    std::fs::write(
        &script,
        format!(
            "here='{here}'\n\
             req=$(cat)\n\
             case \"$req\" in\n\
             *'\"op\":\"find\"'*) {find} ;;\n\
             *'\"op\":\"changed_at\"'*) echo x >> \"$here/stamps\"; {changed_at} ;;\n\
             *'\"op\":\"change\"'*) echo x >> \"$here/changes\"; {change} ;;\n\
             *) echo '{{\"error\":\"unexpected op\"}}'; exit 1 ;;\n\
             esac\n",
            here = dir.display()
        ),
    )
    .expect("hook written");
    DirectorySettings {
        kind: DirectoryKind::Command,
        command: "/bin/sh".into(),
        args: vec![script.display().to_string()],
        timeout_secs,
        ..DirectorySettings::default()
    }
}

const FOUND: &str = "echo '{\"found\":true,\"account\":\"ada\",\"name\":\"Ada L\"}'";
const NO_STAMP: &str = "echo '{\"changed_at_ms\":null}'";

fn lines_in(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// Whether `pid` is still a running process (a zombie is not).
fn running(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            !state.is_some_and(|s| s.starts_with('Z') || s.starts_with('X'))
        }
    }
}

fn read_pid(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .parse()
        .expect("a pid")
}

fn gone_within(pid: u32, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while running(pid) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chpasswd_hook_resets_a_unix_password_in_a_throwaway_root() {
    if !is_root() {
        eprintln!("skipped: not root (chpasswd -R chroots)");
        return;
    }
    if !Path::new("/usr/sbin/chpasswd").exists() {
        eprintln!("skipped: no /usr/sbin/chpasswd");
        return;
    }
    if !python3_for_hooks() || !has_python3() {
        eprintln!("skipped: no python3");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let etc = root.join("etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("passwd"),
        "root:x:0:0:root:/root:/bin/bash\n\
         alice:x:1001:1001:Alice Liddell,,,:/home/alice:/bin/bash\n\
         bob:x:1002:1002:Bob Locked:/home/bob:/bin/bash\n",
    )
    .unwrap();
    let alice_hash = crypt(OLD_PASSWORD, "$6$rekeytestsalt$");
    assert!(alice_hash.starts_with("$6$"), "{alice_hash:?}");
    assert!(hash_verifies(OLD_PASSWORD, &alice_hash));
    let bob_hash = crypt(OLD_PASSWORD, "$6$bobsalt$");
    let shadow = etc.join("shadow");
    std::fs::write(
        &shadow,
        format!(
            "root:*:19000:0:99999:7:::\n\
             alice:{alice_hash}:19000:0:99999:7:::\n\
             bob:!{bob_hash}:19001:0:99999:7:::\n"
        ),
    )
    .unwrap();
    std::fs::write(
        etc.join("group"),
        "root:x:0:\nshadow:x:42:\nalice:x:1001:\nbob:x:1002:\n",
    )
    .unwrap();
    std::fs::write(
        etc.join("gshadow"),
        "root:*::\nshadow:*::\nalice:!::\nbob:!::\n",
    )
    .unwrap();
    let map = tmp.path().join("hook.map");
    std::fs::write(
        &map,
        format!("# address login\n{ALICE} alice\n{BOB} bob\nroot@example.com root\n"),
    )
    .unwrap();
    let config = tmp.path().join("chpasswd-hook.conf");
    std::fs::write(
        &config,
        format!(
            "[chpasswd]\nmap_file = {}\nroot = {}\ncrypt_method = YESCRYPT\ntimeout = 15\n",
            map.display(),
            root.display()
        ),
    )
    .unwrap();
    let hook = hooks_dir().join("chpasswd-hook");
    let config_arg = config.display().to_string();
    let settings = DirectorySettings {
        kind: DirectoryKind::Command,
        command: hook.display().to_string(),
        args: vec!["--config".into(), config_arg.clone()],
        timeout_secs: 20,
        ..DirectorySettings::default()
    };
    let store_dir = tmp.path().join("store");
    let on = OnDirectory::open(&store_dir, settings);

    // Alice: a whole recovery, through the real chpasswd.
    let s = on.confirmed(ALICE).await;
    let bob_before = shadow_line(&shadow, "bob");
    on.changes(&s, NEW_PASSWORD).await;
    let fields = shadow_fields(&shadow, "alice");
    assert_ne!(fields[1], alice_hash, "a new hash");
    assert!(fields[1].starts_with("$y$"), "yescrypt: {:?}", fields[1]);
    assert!(hash_verifies(NEW_PASSWORD, &fields[1]), "the new one works");
    assert!(!hash_verifies(OLD_PASSWORD, &fields[1]), "the old one not");
    let today = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86400;
    let lastchg: u64 = fields[2].parse().expect("a day number");
    assert!(lastchg.abs_diff(today) <= 1, "{lastchg} vs {today}");
    assert_eq!(shadow_line(&shadow, "bob"), bob_before, "bob untouched");
    // The hook's own verify op, as rekey asks it (`rekey user verify`).
    let address = EmailAddress::parse(ALICE).unwrap();
    let account = on
        .directory
        .find(&address)
        .await
        .expect("find")
        .expect("alice is found");
    assert_eq!(account.id, "alice");
    assert_eq!(account.name, "Alice Liddell");
    let verify = |pw: &str| Password::from(pw.to_string());
    assert!(
        on.directory
            .verify_password(&account, &verify(NEW_PASSWORD))
            .await
            .expect("verify")
    );
    assert!(
        !on.directory
            .verify_password(&account, &verify(OLD_PASSWORD))
            .await
            .expect("verify")
    );
    // And the hook run by hand, request on stdin.
    let answer = run_with_stdin(
        hook.to_str().unwrap(),
        &["--config", &config_arg],
        serde_json::json!({"version": 1, "op": "verify", "address": ALICE,
            "account": "alice", "password": NEW_PASSWORD})
        .to_string()
        .as_bytes(),
    );
    assert_eq!(answer.trim(), r#"{"valid": true}"#);
    let kinds = audit(&on);
    let changed: Vec<_> = kinds
        .iter()
        .filter(|k| k.0 == AuditKind::PasswordChanged)
        .collect();
    assert_eq!(changed.len(), 1, "{kinds:?}");
    assert!(changed[0].1.contains("alice"), "{changed:?}");
    assert!(
        on.store
            .outbox()
            .unwrap()
            .iter()
            .any(|m| m.to == address && matches!(m.message, OutboxMessage::PasswordChanged { .. })),
        "the notice is queued"
    );
    assert!(on.store.change_intents().unwrap().is_empty());

    // Bob is locked: the hook refuses, and his line stays as it was.
    let alice_after = shadow_line(&shadow, "alice");
    let s = on.confirmed(BOB).await;
    on.refused(&s, NEW_PASSWORD, Refusal::Locked).await;
    assert_eq!(shadow_line(&shadow, "bob"), bob_before);
    assert_eq!(shadow_line(&shadow, "alice"), alice_after);
    assert_eq!(stage(&on, &s).await, Stage::CodeConfirmed);
    assert!(on.store.change_intents().unwrap().is_empty());

    // An unmapped address and a mapped system account: no code to anyone.
    for nobody in ["nobody@example.com", "root@example.com"] {
        let s = code_sent(on.service.as_ref(), nobody).await;
        on.service.close_session(&s).await.unwrap();
        assert_eq!(codes_to(&on, nobody), 0, "{nobody}");
    }
    assert_eq!(count(&audit(&on), AuditKind::PasswordChanged), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_that_hangs_is_stopped_and_nothing_is_claimed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let settings = sh_hook(
        dir,
        FOUND,
        NO_STAMP,
        // The hook, and a child of it, both asleep.
        "echo $$ > \"$here/hook.pid\"; sleep 30 & echo $! > \"$here/child.pid\"; wait",
        1,
    );
    let on = OnDirectory::open(&dir.join("store"), settings);
    let s = on.confirmed("ada@example.com").await;
    let started = Instant::now();
    let answer = on
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await;
    let took = started.elapsed();
    eprintln!("a hanging change answered after {took:?}");
    // No answer, then both stamps null: "not changed", so "try later".
    match answer {
        Err(ServiceError::DirectoryDown) => {}
        other => panic!("expected DirectoryDown, got {other:?}"),
    }
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_eq!(lines_in(&dir.join("changes")), 1);
    assert_eq!(lines_in(&dir.join("stamps")), 2, "before and after");
    let kinds = audit(&on);
    assert_eq!(
        count(&kinds, AuditKind::PasswordChangeStarted),
        1,
        "{kinds:?}"
    );
    assert_eq!(count(&kinds, AuditKind::PasswordRefused), 1, "{kinds:?}");
    assert_eq!(count(&kinds, AuditKind::PasswordChanged), 0, "{kinds:?}");
    assert!(on.store.change_intents().unwrap().is_empty());
    assert_eq!(stage(&on, &s).await, Stage::CodeConfirmed);

    let hook = read_pid(&dir.join("hook.pid"));
    assert!(
        gone_within(hook, Duration::from_secs(3)),
        "the hook (pid {hook}) is still running"
    );
    // The hook's own process group goes with it: what it started (as
    // chpasswd-hook starts chpasswd) does not run on.
    let child = read_pid(&dir.join("child.pid"));
    assert!(
        gone_within(child, Duration::from_secs(3)),
        "the hook's child (pid {child}) is still running"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_that_prints_garbage_or_fails_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mode = dir.join("mode");
    std::fs::write(&mode, "ok\n").unwrap();
    let settings = sh_hook(
        dir,
        &format!(
            "if [ \"$(cat \"$here/mode\")\" = find-fails ]; then \
             echo '{{\"error\":\"cannot reach the accounts\"}}'; exit 1; fi; {FOUND}"
        ),
        NO_STAMP,
        "case \"$(cat \"$here/mode\")\" in \
         garbage) echo 'not json' ;; \
         exit3) echo '{\"error\":\"ldap down\"}'; exit 3 ;; \
         error0) echo '{\"error\":\"the server said no\"}' ;; \
         *) echo '{\"result\":\"done\"}' ;; esac",
        5,
    );
    let on = OnDirectory::open(&dir.join("store"), settings);
    let s = on.confirmed("ada@example.com").await;
    let mut changes = 0;
    let mut stamps = 0;
    // Garbage, a failure exit, or an error answer during a change: it may
    // have come after the write, so the stamp is asked (null before and
    // after: not changed), and the person is told to try again later.
    for case in ["garbage", "exit3", "error0"] {
        std::fs::write(&mode, case).unwrap();
        let answer = on
            .service
            .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
            .await;
        assert!(
            matches!(answer, Err(ServiceError::DirectoryDown)),
            "{case}: {answer:?}"
        );
        changes += 1;
        stamps += 2;
        assert_eq!(lines_in(&dir.join("changes")), changes, "{case}");
        assert_eq!(lines_in(&dir.join("stamps")), stamps, "{case}");
        let kinds = audit(&on);
        assert_eq!(count(&kinds, AuditKind::PasswordChanged), 0, "{case}");
        assert_eq!(
            count(&kinds, AuditKind::PasswordRefused),
            changes,
            "{case}: {kinds:?}"
        );
        assert!(on.store.change_intents().unwrap().is_empty(), "{case}");
        assert_eq!(stage(&on, &s).await, Stage::CodeConfirmed, "{case}");
    }

    // `find` failing: Request is an error, not a panic, and not "unknown
    // address" either.
    std::fs::write(&mode, "find-fails").unwrap();
    let other = on.service.open_session("test", "en").await.unwrap();
    on.service
        .submit_address(&other, "ada@example.com")
        .await
        .unwrap();
    let slid = on
        .service
        .check_slide(&other, &human_slide(&SlideRules::default()))
        .await
        .unwrap();
    assert_eq!(slid, SlideVerdict::Verified);
    match on.service.request(&other).await {
        Err(ServiceError::Internal(why)) => {
            assert!(why.contains("cannot reach the accounts"), "{why}")
        }
        other => panic!("expected an error from Request, got {other:?}"),
    }
    // And a set_password whose find fails changes nothing.
    match on
        .service
        .set_password(&s, &secret(NEW_PASSWORD), &secret(NEW_PASSWORD))
        .await
    {
        Err(ServiceError::Internal(_)) => {}
        other => panic!("expected an error, got {other:?}"),
    }
    assert_eq!(lines_in(&dir.join("changes")), changes);
    assert_eq!(stage(&on, &s).await, Stage::CodeConfirmed);

    // Once the hook works again, so does the confirmed session, and so
    // does Request.
    std::fs::write(&mode, "ok").unwrap();
    on.changes(&s, NEW_PASSWORD).await;
    assert_eq!(count(&audit(&on), AuditKind::PasswordChanged), 1);
    on.service
        .request(&other)
        .await
        .expect("request works again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_password_never_reaches_the_hooks_argv_or_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // Every call records its command line, its initial environment (as
    // the kernel has it) and the shell's exported variables.
    let record = "{ echo \"== $$\"; tr '\\0' '\\n' < /proc/$$/cmdline; echo '-- environ'; \
                  tr '\\0' '\\n' < /proc/$$/environ; echo '-- env'; env; } >> \"$here/seen\"";
    let settings = sh_hook(
        dir,
        &format!("{record}; {FOUND}"),
        &format!("{record}; {NO_STAMP}"),
        &format!("{record}; echo '{{\"result\":\"done\"}}'"),
        5,
    );
    let on = OnDirectory::open(&dir.join("store"), settings);
    let s = on.confirmed("ada@example.com").await;
    on.changes(&s, NEW_PASSWORD).await;
    assert_eq!(lines_in(&dir.join("changes")), 1);
    let seen = std::fs::read_to_string(dir.join("seen")).expect("the hook recorded");
    assert!(seen.contains("hook.sh"), "argv recorded: {seen}");
    assert!(
        seen.contains("-- environ\nPATH="),
        "environ recorded: {seen}"
    );
    assert!(!seen.contains(NEW_PASSWORD), "{seen}");
    // The test's own environment (cargo's) did not reach it either.
    assert!(!seen.contains("CARGO"), "{seen}");
}

#[test]
fn the_python_hook_suite_passes() {
    if !has_python3() {
        eprintln!("skipped: no python3");
        return;
    }
    let started = Instant::now();
    let out = Command::new("python3")
        .args(["-m", "unittest", "discover", "-s", "tests/hooks", "-v"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "the hook suite failed:\n{text}");
    let summary = text
        .lines()
        .filter(|l| l.starts_with("Ran ") || l.starts_with("OK"))
        .collect::<Vec<_>>()
        .join(", ");
    eprintln!("python hook suite: {summary} in {:?}", started.elapsed());
}

/// Where the accounts live elsewhere, rekey keeps no history of their
/// passwords, so its meter and its gate list no "Not one of your last 5
/// passwords" rule that nobody checks; rekey's own accounts do list it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_rule_is_listed_only_where_rekey_checks_it() {
    use rekey::recovery::Rule;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let settings = sh_hook(dir, FOUND, NO_STAMP, "echo '{\"result\":\"done\"}'", 5);
    let on = OnDirectory::open(&dir.join("store"), settings);
    let s = on.confirmed("ada@example.com").await;
    let verdict = on
        .service
        .assess_password(&s, &secret(NEW_PASSWORD))
        .await
        .unwrap();
    assert!(
        !verdict
            .rules
            .iter()
            .any(|r| matches!(r.rule, Rule::NotRecent(_))),
        "{:?}",
        verdict.rules
    );
    assert_eq!(on.service.password_policy().history, 0);

    let h = common::Harness::new(common::quick_config());
    assert!(h.service.password_policy().history > 0);
}
