//! The operator command line, run as the real binary: exit codes, the
//! one-line messages on stderr, and that a refused command changes nothing.
//!
//! Every test works in its own temporary data directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A password the default policy accepts.
const PASSWORD: &str = "lantern quietly orbits seventeen moths";
/// Another acceptable password, for the second account or a wrong guess.
const OTHER_PASSWORD: &str = "copper valleys whisper under nine kites";

/// What one run of the binary left behind.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// The binary with no setting taken from the test's own environment.
fn command() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rekey"));
    cmd.env_remove("REKEY_DATA_DIR")
        .env_remove("REKEY_CONFIG")
        .env("NO_COLOR", "1");
    cmd
}

/// Runs `cmd` with `stdin` as its standard input (a pipe, never a terminal).
fn run(mut cmd: Command, stdin: &str) -> Run {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the rekey binary starts");
    {
        let mut pipe = child.stdin.take().expect("stdin is piped");
        // The binary may exit before it reads (a bad address is refused
        // first); a broken pipe then is expected.
        let _ = pipe.write_all(stdin.as_bytes());
    }
    let output = child.wait_with_output().expect("the rekey binary ends");
    Run {
        code: output
            .status
            .code()
            .expect("rekey exits with a code, not a signal"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
    }
}

/// `rekey --data-dir DIR ARGS...` with `stdin`.
fn rekey(dir: &Path, args: &[&str], stdin: &str) -> Run {
    let mut cmd = command();
    cmd.arg("--data-dir").arg(dir).args(args);
    run(cmd, stdin)
}

/// Checks a refusal: the exit code, nothing on stdout, and exactly one line
/// on stderr starting with `rekey: `. Returns that line without the prefix.
fn one_line_failure(run: &Run, code: i32) -> String {
    assert_eq!(run.code, code, "exit code; {run:#?}");
    assert!(!run.stderr.contains("panicked"), "a panic: {run:#?}");
    assert!(!run.stderr.contains("RUST_BACKTRACE"), "a panic: {run:#?}");
    assert_eq!(run.stdout, "", "nothing on stdout; {run:#?}");
    assert!(run.stderr.ends_with('\n'), "a whole line; {run:#?}");
    assert_eq!(run.stderr.lines().count(), 1, "one line; {run:#?}");
    let message = run
        .stderr
        .trim_end()
        .strip_prefix("rekey: ")
        .unwrap_or_else(|| panic!("starts with `rekey: `; {run:#?}"));
    assert!(!message.trim().is_empty(), "a message; {run:#?}");
    message.to_string()
}

/// Checks a success and returns stdout.
fn success(run: &Run) -> &str {
    assert_eq!(run.code, 0, "exit code; {run:#?}");
    assert_eq!(run.stderr, "", "nothing on stderr; {run:#?}");
    &run.stdout
}

fn add(dir: &Path, email: &str, name: &str, password: &str) {
    let out = rekey(
        dir,
        &["user", "add", email, "--name", name],
        &format!("{password}\n"),
    );
    assert!(success(&out).starts_with("added "), "{out:#?}");
}

/// The lines of `user list`, none when it says there are no accounts.
fn accounts(dir: &Path) -> Vec<String> {
    let out = rekey(dir, &["user", "list"], "");
    let stdout = success(&out);
    if stdout == "no accounts\n" {
        return Vec::new();
    }
    stdout.lines().map(str::to_string).collect()
}

/// The addresses `user list` shows.
fn addresses(dir: &Path) -> Vec<String> {
    accounts(dir)
        .iter()
        .map(|line| line.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

fn verify(dir: &Path, email: &str, password: &str) -> Run {
    rekey(dir, &["user", "verify", email], &format!("{password}\n"))
}

fn assert_verifies(dir: &Path, email: &str, password: &str) {
    let out = verify(dir, email, password);
    assert_eq!(success(&out), "password is right\n");
}

/// The `audit --json` lines, parsed.
fn audit_json(dir: &Path) -> Vec<serde_json::Value> {
    let out = rekey(dir, &["audit", "--json"], "");
    success(&out)
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?} is not JSON: {e}"))
        })
        .collect()
}

fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The audit tree as sled holds it, for tampering behind rekey's back.
/// Changes the audit tree behind rekey's back, as someone with write
/// access to the store could, then runs `audit verify`: returns its
/// one-line refusal (exit 1).
fn verify_after_tampering(data_dir: &Path, tamper: impl FnOnce(&sled::Tree)) -> String {
    {
        let db = sled::open(data_dir.join("store")).expect("the store opens with sled");
        tamper(&db.open_tree("audit").unwrap());
        db.flush().unwrap();
    }
    let out = rekey(data_dir, &["audit", "verify"], "");
    one_line_failure(&out, 1)
}

// ---------------------------------------------------------------- accounts

#[test]
fn add_then_verify_says_yes_to_the_right_password_and_no_to_a_wrong_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = rekey(
        dir.path(),
        &["user", "add", "ada@example.com"],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(success(&out), "added ada@example.com\n");

    assert_verifies(dir.path(), "ada@example.com", PASSWORD);

    let wrong = verify(dir.path(), "ada@example.com", OTHER_PASSWORD);
    assert_eq!(one_line_failure(&wrong, 1), "password is wrong");
    // A prefix of the password is wrong too.
    let prefix = verify(dir.path(), "ada@example.com", "lantern quietly");
    assert_eq!(one_line_failure(&prefix, 1), "password is wrong");
}

#[test]
fn the_address_is_case_insensitive_and_trimmed() {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "  Ada@EXAMPLE.com ", "", PASSWORD);
    assert_eq!(addresses(dir.path()), ["ada@example.com"]);

    assert_verifies(dir.path(), "ADA@Example.com", PASSWORD);
    assert_verifies(dir.path(), " ada@example.com\t", PASSWORD);
    let wrong = verify(dir.path(), "ADA@Example.com", OTHER_PASSWORD);
    assert_eq!(one_line_failure(&wrong, 1), "password is wrong");
}

#[test]
fn a_password_line_ending_in_crlf_is_the_same_password() {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "ada@example.com", "", PASSWORD);
    let out = rekey(
        dir.path(),
        &["user", "verify", "ada@example.com"],
        &format!("{PASSWORD}\r\nignored second line\n"),
    );
    assert_eq!(success(&out), "password is right\n");
}

#[test]
fn user_list_shows_each_account_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    assert!(accounts(dir.path()).is_empty());

    add(dir.path(), "ada@example.com", "Ada Lovelace", PASSWORD);
    add(dir.path(), "bob@example.org", "", OTHER_PASSWORD);
    let lines = accounts(dir.path());
    assert_eq!(lines.len(), 2, "{lines:?}");
    let ada: Vec<&str> = lines[0].split('\t').collect();
    assert_eq!(ada[0], "ada@example.com");
    assert_eq!(ada[1], "Ada Lovelace");
    assert!(ada[2].starts_with("added "), "{ada:?}");
    assert!(ada[3].starts_with("password changed "), "{ada:?}");
    let bob: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!(bob[0], "bob@example.org");
    assert_eq!(bob[1], "-", "an account without a name shows -");
}

#[test]
fn verify_of_an_unknown_account_says_no() {
    let dir = tempfile::tempdir().unwrap();
    let out = verify(dir.path(), "nobody@example.com", PASSWORD);
    let message = one_line_failure(&out, 1);
    assert!(message.contains("nobody@example.com"), "{message}");
}

#[test]
fn bad_addresses_are_refused_in_one_line_and_nothing_is_added() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("not-an-address", "one @"),
        ("bob@localhost", "needs a dot"),
        ("x@[127.0.0.1]", "IP address"),
        ("a..b@example.com", "before the @"),
        ("a@b@example.com", "one @"),
        ("", "enter your e-mail address"),
        ("   ", "enter your e-mail address"),
        ("@example.com", "before the @"),
        ("ada@-example.com", "domain"),
    ];
    for (address, reason) in cases {
        let out = rekey(
            dir.path(),
            &["user", "add", address],
            &format!("{PASSWORD}\n"),
        );
        let message = one_line_failure(&out, 2);
        assert!(message.contains(reason), "{address:?}: {message}");
        assert!(
            message.contains(&format!("{address:?}")),
            "names the address it refused: {message}"
        );

        // The other commands that take an address refuse it the same way.
        for command in ["verify", "remove"] {
            let out = rekey(
                dir.path(),
                &["user", command, address],
                &format!("{PASSWORD}\n"),
            );
            one_line_failure(&out, 2);
        }
    }
    assert!(accounts(dir.path()).is_empty());
    assert!(audit_json(dir.path()).is_empty(), "nothing was audited");
}

#[test]
fn a_second_add_of_the_same_address_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "ada@example.com", "Ada Lovelace", PASSWORD);
    let before = accounts(dir.path());

    // Another case and spacing is the same address.
    for address in ["ada@example.com", " ADA@example.COM "] {
        let out = rekey(
            dir.path(),
            &["user", "add", address, "--name", "Someone Else"],
            &format!("{OTHER_PASSWORD}\n"),
        );
        let message = one_line_failure(&out, 2);
        assert!(message.contains("already exists"), "{message}");
    }

    assert_eq!(accounts(dir.path()), before);
    assert_verifies(dir.path(), "ada@example.com", PASSWORD);
    let out = verify(dir.path(), "ada@example.com", OTHER_PASSWORD);
    assert_eq!(one_line_failure(&out, 1), "password is wrong");
    assert_eq!(audit_json(dir.path()).len(), 1, "one account_added only");
}

/// Runs `user add` and checks the password was refused and no account made.
fn assert_password_refused(email: &str, name: &str, password: &str, reason: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = rekey(
        dir.path(),
        &["user", "add", email, "--name", name],
        &format!("{password}\n"),
    );
    let message = one_line_failure(&out, 2);
    assert!(
        message.starts_with("password refused: "),
        "{password:?}: {message}"
    );
    assert!(message.contains(reason), "{password:?}: {message}");
    assert!(
        !message.contains(password),
        "echoes the password: {message}"
    );
    assert!(
        accounts(dir.path()).is_empty(),
        "{password:?} made an account"
    );
    assert!(audit_json(dir.path()).is_empty());
}

#[test]
fn a_weak_password_is_refused() {
    // Long enough, but a common pattern.
    assert_password_refused(
        "ada@example.com",
        "",
        "password12345678",
        "too easy to guess",
    );
    assert_password_refused(
        "ada@example.com",
        "",
        "aaaaaaaaaaaaaaaaaaaa",
        "too easy to guess",
    );
}

#[test]
fn a_too_short_password_is_refused() {
    // Strong for its length, but under the 15 characters of the default.
    assert_password_refused(
        "ada@example.com",
        "",
        "Xq7#vB2p!z",
        "shorter than 15 characters",
    );
}

#[test]
fn a_password_built_from_the_address_is_refused() {
    // Scores 4 of 4 for anyone else.
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "someone@example.com", "", "Maria.Svensson1!");

    assert_password_refused(
        "maria.svensson@kirunamine.se",
        "",
        "Maria.Svensson1!",
        "too easy to guess",
    );
    assert_password_refused(
        "maria.svensson@kirunamine.se",
        "",
        "maria.svensson@kirunamine.se",
        "too easy to guess",
    );
}

/// The name given with `--name` is kept out of the password, however it
/// is joined.
#[test]
fn a_password_built_from_the_name_is_refused() {
    assert_password_refused(
        "ms@example.com",
        "Maria Svensson",
        "Maria.Svensson1!",
        "too easy to guess",
    );
    assert_password_refused(
        "ms@example.com",
        "Maria Svensson",
        "mariasvensson!!",
        "too easy to guess",
    );
}

#[test]
fn the_longest_password_is_accepted_and_one_character_more_is_refused() {
    let long: String = PASSWORD.repeat(4).chars().take(128).collect();
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "ada@example.com", "", &long);
    assert_verifies(dir.path(), "ada@example.com", &long);

    let too_long: String = PASSWORD.repeat(4).chars().take(129).collect();
    assert_password_refused(
        "ada@example.com",
        "",
        &too_long,
        "longer than 128 characters",
    );
}

#[test]
fn empty_stdin_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for stdin in [
        "",
        "\n",
        "\r\n",
        "\nlantern quietly orbits seventeen moths\n",
    ] {
        let out = rekey(dir.path(), &["user", "add", "ada@example.com"], stdin);
        assert_eq!(
            one_line_failure(&out, 2),
            "no password on stdin",
            "{stdin:?}"
        );
    }
    assert!(accounts(dir.path()).is_empty());

    add(dir.path(), "ada@example.com", "", PASSWORD);
    let out = rekey(dir.path(), &["user", "verify", "ada@example.com"], "");
    assert_eq!(one_line_failure(&out, 2), "no password on stdin");
}

#[test]
fn more_than_4096_bytes_on_stdin_is_refused_not_cut() {
    let dir = tempfile::tempdir().unwrap();
    let stdin = format!("{}\n", "x".repeat(5000));
    let out = rekey(dir.path(), &["user", "add", "ada@example.com"], &stdin);
    let message = one_line_failure(&out, 2);
    assert!(message.contains("too long"), "{message}");
    assert!(accounts(dir.path()).is_empty());
}

#[test]
fn a_removed_account_no_longer_verifies() {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "ada@example.com", "", PASSWORD);
    add(dir.path(), "bob@example.org", "", OTHER_PASSWORD);

    let out = rekey(dir.path(), &["user", "remove", "ADA@example.com"], "");
    assert_eq!(success(&out), "removed ada@example.com\n");

    let out = verify(dir.path(), "ada@example.com", PASSWORD);
    let message = one_line_failure(&out, 1);
    assert!(message.contains("no account"), "{message}");
    assert_eq!(addresses(dir.path()), ["bob@example.org"]);
    assert_verifies(dir.path(), "bob@example.org", OTHER_PASSWORD);
}

#[test]
fn removing_an_unknown_account_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "ada@example.com", "", PASSWORD);
    let out = rekey(dir.path(), &["user", "remove", "nobody@example.com"], "");
    let message = one_line_failure(&out, 2);
    assert!(message.contains("no account"), "{message}");

    // Twice: the second remove finds nothing.
    let out = rekey(dir.path(), &["user", "remove", "ada@example.com"], "");
    success(&out);
    let out = rekey(dir.path(), &["user", "remove", "ada@example.com"], "");
    one_line_failure(&out, 2);
    let kinds: Vec<serde_json::Value> = audit_json(dir.path())
        .into_iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(kinds, ["account_added", "account_removed"]);
}

// ------------------------------------------------------------- data dir

#[test]
fn the_data_directory_can_come_from_rekey_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested").join("data");
    let mut cmd = command();
    cmd.env("REKEY_DATA_DIR", &data)
        .args(["user", "add", "ada@example.com"]);
    let out = run(cmd, &format!("{PASSWORD}\n"));
    assert_eq!(success(&out), "added ada@example.com\n");
    assert!(
        data.join("store").is_dir(),
        "the store is under the env's dir"
    );

    // The flag and the variable name the same store.
    assert_verifies(&data, "ada@example.com", PASSWORD);
}

#[test]
fn a_store_in_use_is_reported_in_one_line_and_works_again_once_free() {
    let dir = tempfile::tempdir().unwrap();
    let store = rekey::store::Store::open(dir.path()).expect("the test opens the store");

    for (args, stdin) in [
        (vec!["user", "list"], String::new()),
        (
            vec!["user", "add", "ada@example.com"],
            format!("{PASSWORD}\n"),
        ),
        (vec!["audit", "verify"], String::new()),
    ] {
        let out = rekey(dir.path(), &args, &stdin);
        let message = one_line_failure(&out, 2);
        // Where, what holds it, and what to do: nothing this rekey lacks.
        let want = format!(
            "the store at {} is in use by another rekey process; wait for it to end, or stop it",
            dir.path().join("store").display()
        );
        assert_eq!(message, want, "{args:?}");
    }

    drop(store);
    assert!(
        accounts(dir.path()).is_empty(),
        "the add while locked did nothing"
    );
    add(dir.path(), "ada@example.com", "", PASSWORD);
    assert_eq!(addresses(dir.path()), ["ada@example.com"]);
}

fn run_help(args: &[&str]) -> Run {
    let mut cmd = command();
    cmd.args(args);
    run(cmd, "")
}

// ----------------------------------------------------------------- config

/// Runs `user add` under the config file at `path` and checks it was
/// refused before anything happened. Returns the message.
fn refused_config(dir: &Path, path: &Path) -> String {
    let path_arg = path.to_str().unwrap();
    let out = rekey(
        dir,
        &["--config", path_arg, "user", "add", "ada@example.com"],
        &format!("{PASSWORD}\n"),
    );
    let message = one_line_failure(&out, 2);

    // The same through REKEY_CONFIG.
    let mut cmd = command();
    cmd.env("REKEY_CONFIG", path)
        .arg("--data-dir")
        .arg(dir)
        .args(["user", "add", "ada@example.com"]);
    let out = run(cmd, &format!("{PASSWORD}\n"));
    assert_eq!(one_line_failure(&out, 2), message);

    assert!(accounts(dir).is_empty(), "an account was added");
    message
}

#[test]
fn a_config_with_an_unknown_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "unknown.toml", "[password]\nmin_lenght = 20\n");
    let message = refused_config(dir.path(), &path);
    assert!(message.contains("unknown.toml"), "{message}");
    assert!(message.contains("min_lenght"), "{message}");

    let path = write_file(dir.path(), "section.toml", "[passwords]\nmin_length = 20\n");
    let message = refused_config(dir.path(), &path);
    assert!(message.contains("passwords"), "{message}");
}

#[test]
fn a_config_below_a_floor_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (text, key) in [
        ("[password]\nmin_length = 4\n", "password.min_length"),
        ("[password]\nmin_score = 5\n", "password.min_score"),
        ("[hashing]\nmemory_kib = 1024\n", "hashing"),
        ("[codes]\nmax_attempts = 0\n", "codes.max_attempts"),
    ] {
        let path = write_file(dir.path(), "floor.toml", text);
        let message = refused_config(dir.path(), &path);
        assert!(message.contains(key), "{text:?}: {message}");
    }
}

#[test]
fn a_config_that_is_not_toml_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "this is not toml\n",
        "[password\nmin_length = 20\n",
        "[password]\nmin_length = \"twenty\"\n",
    ] {
        let path = write_file(dir.path(), "broken.toml", text);
        let message = refused_config(dir.path(), &path);
        assert!(message.contains("broken.toml"), "{text:?}: {message}");
        assert!(message.contains("not valid"), "{text:?}: {message}");
    }
}

#[test]
fn a_missing_config_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.toml");
    let message = refused_config(dir.path(), &path);
    assert!(message.contains("cannot read"), "{message}");
    assert!(message.contains("missing.toml"), "{message}");
}

#[test]
fn a_good_config_is_obeyed() {
    // 16 characters, 4 of 4 for strength: fine by default.
    let sixteen = "quiet-Lantern-47";
    assert_eq!(sixteen.chars().count(), 16);
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "ada@example.com", "", sixteen);

    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "rekey.toml", "[password]\nmin_length = 20\n");
    let path_arg = path.to_str().unwrap();
    let out = rekey(
        dir.path(),
        &["--config", path_arg, "user", "add", "ada@example.com"],
        &format!("{sixteen}\n"),
    );
    let message = one_line_failure(&out, 2);
    assert!(message.contains("shorter than 20 characters"), "{message}");
    assert!(accounts(dir.path()).is_empty());

    // Through REKEY_CONFIG too, and a long enough password passes.
    let mut cmd = command();
    cmd.env("REKEY_CONFIG", &path)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["user", "add", "ada@example.com"]);
    let out = run(cmd, &format!("{sixteen}\n"));
    assert!(one_line_failure(&out, 2).contains("shorter than 20 characters"));
    let out = rekey(
        dir.path(),
        &["--config", path_arg, "user", "add", "ada@example.com"],
        &format!("{PASSWORD}\n"),
    );
    success(&out);
}

#[test]
fn the_example_config_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/rekey.example.toml");
    let out = rekey(
        dir.path(),
        &["--config", example.to_str().unwrap(), "user", "list"],
        "",
    );
    assert_eq!(success(&out), "no accounts\n");
}

// ------------------------------------------------------------------ audit

#[test]
fn audit_lists_the_account_added_event() {
    let dir = tempfile::tempdir().unwrap();
    let out = rekey(dir.path(), &["audit"], "");
    assert_eq!(success(&out), "", "an empty trail prints nothing");

    add(dir.path(), "ada@example.com", "Ada Lovelace", PASSWORD);
    let out = rekey(dir.path(), &["audit"], "");
    let lines: Vec<&str> = success(&out).lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    for part in ["#1", "account_added", "ok", "ada@example.com", "operator"] {
        assert!(lines[0].contains(part), "{part} in {:?}", lines[0]);
    }
}

#[test]
fn audit_json_is_one_chained_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "ada@example.com", "", PASSWORD);
    add(dir.path(), "bob@example.org", "", OTHER_PASSWORD);
    success(&rekey(
        dir.path(),
        &["user", "remove", "ada@example.com"],
        "",
    ));

    let events = audit_json(dir.path());
    assert_eq!(events.len(), 3);
    let expected = [
        ("account_added", "ada@example.com"),
        ("account_added", "bob@example.org"),
        ("account_removed", "ada@example.com"),
    ];
    let mut prev = "0".repeat(64);
    for (i, (event, (kind, account))) in events.iter().zip(expected).enumerate() {
        assert!(event.is_object(), "{event}");
        assert_eq!(event["seq"], serde_json::json!(i + 1), "{event}");
        assert_eq!(event["kind"], kind, "{event}");
        assert_eq!(event["account"], account, "{event}");
        assert_eq!(event["outcome"], "ok", "{event}");
        assert_eq!(event["prev"], prev.as_str(), "{event}");
        let hash = event["hash"].as_str().expect("hash is a string");
        assert_eq!(hash.len(), 64, "{event}");
        assert!(hash.chars().all(|c| c.is_ascii_hexdigit()), "{event}");
        prev = hash.to_string();
    }
}

#[test]
fn no_password_is_in_the_audit_output_or_the_store() {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "ada@example.com", "Ada Lovelace", PASSWORD);
    // A wrong guess and a refused password must not be kept either.
    let wrong = "zebra marmalade typhoon lighthouse";
    one_line_failure(&verify(dir.path(), "ada@example.com", wrong), 1);
    let refused = "Xq7#vB2p!z";
    one_line_failure(
        &rekey(
            dir.path(),
            &["user", "add", "bob@example.org"],
            &format!("{refused}\n"),
        ),
        2,
    );
    assert_verifies(dir.path(), "ada@example.com", PASSWORD);

    let text = rekey(dir.path(), &["audit"], "");
    let json = rekey(dir.path(), &["audit", "--json"], "");
    let list = rekey(dir.path(), &["user", "list"], "");
    for out in [&text, &json, &list] {
        let stdout = success(out);
        for secret in [PASSWORD, wrong, refused] {
            assert!(!stdout.contains(secret), "{secret:?} in {stdout}");
        }
    }

    let files = files_under(dir.path());
    assert!(!files.is_empty());
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        for secret in [PASSWORD, wrong, refused] {
            assert!(
                !contains(&bytes, secret.as_bytes()),
                "{secret:?} is in {}",
                file.display()
            );
        }
    }
}

#[test]
fn audit_verify_passes_an_intact_trail() {
    let dir = tempfile::tempdir().unwrap();
    let out = rekey(dir.path(), &["audit", "verify"], "");
    assert_eq!(success(&out), "audit trail intact: 0 events\n");

    add(dir.path(), "ada@example.com", "", PASSWORD);
    let out = rekey(dir.path(), &["audit", "verify"], "");
    assert_eq!(success(&out), "audit trail intact: 1 event\n");

    add(dir.path(), "bob@example.org", "", OTHER_PASSWORD);
    let out = rekey(dir.path(), &["audit", "verify"], "");
    assert_eq!(success(&out), "audit trail intact: 2 events\n");
}

/// A store with three audit events: two accounts added, one removed.
fn store_with_three_events() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "ada@example.com", "", PASSWORD);
    add(dir.path(), "bob@example.org", "", OTHER_PASSWORD);
    success(&rekey(
        dir.path(),
        &["user", "remove", "ada@example.com"],
        "",
    ));
    assert_eq!(
        success(&rekey(dir.path(), &["audit", "verify"], "")),
        "audit trail intact: 3 events\n"
    );
    dir
}

#[test]
fn audit_verify_finds_an_edited_event() {
    let dir = store_with_three_events();
    let message = verify_after_tampering(dir.path(), |audit| {
        let key = 2u64.to_be_bytes();
        let mut event: serde_json::Value =
            serde_json::from_slice(&audit.get(key).unwrap().expect("event #2")).unwrap();
        assert_eq!(event["outcome"], "ok");
        event["outcome"] = "refused".into();
        audit
            .insert(key, serde_json::to_vec(&event).unwrap())
            .unwrap();
    });
    assert!(message.contains("broken at event #2"), "{message}");
    assert!(message.contains("changed"), "{message}");
}

#[test]
fn audit_verify_finds_a_deleted_last_event() {
    let dir = store_with_three_events();
    let message = verify_after_tampering(dir.path(), |audit| {
        assert!(audit.remove(3u64.to_be_bytes()).unwrap().is_some());
    });
    assert!(message.contains("broken at event #3"), "{message}");
    assert!(message.contains("removed"), "{message}");
}

#[test]
fn audit_verify_finds_a_deleted_middle_event() {
    let dir = store_with_three_events();
    let message = verify_after_tampering(dir.path(), |audit| {
        assert!(audit.remove(2u64.to_be_bytes()).unwrap().is_some());
    });
    assert!(message.contains("broken at event #2"), "{message}");
    assert!(message.contains("missing"), "{message}");
}

// ---------------------------------------------------------------- tickets

#[test]
fn tickets_with_none_says_so() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["tickets"][..], &["tickets", "list"]] {
        let out = rekey(dir.path(), args, "");
        assert_eq!(success(&out), "no tickets\n", "{args:?}");
    }
}

#[test]
fn resolving_an_unknown_ticket_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    for id in ["RK-AAAA-BBBB", "rkaaaabbbb", "nonsense", "RK-ÄÄÄÄ-ÖÖÖÖ"] {
        let out = rekey(dir.path(), &["tickets", "resolve", id], "");
        let message = one_line_failure(&out, 2);
        assert!(message.starts_with("no ticket"), "{id:?}: {message}");
    }
    let out = rekey(dir.path(), &["tickets", "resolve", "rk-aaaa-bbbb"], "");
    assert_eq!(one_line_failure(&out, 2), "no ticket RK-AAAA-BBBB");
    assert!(audit_json(dir.path()).is_empty(), "nothing was audited");
}

/// The wizard's service on the store under `dir`, with a session at
/// `client` taken through address, slide and Request for `address`; `then`
/// goes on from there. The store is closed when it returns.
fn in_a_session<T>(
    dir: &Path,
    client: &str,
    address: &str,
    then: impl AsyncFnOnce(&rekey::service::LocalService, &str) -> T,
) -> T {
    use rekey::recovery::{SlideEvidence, SystemClock};
    use rekey::service::{LocalService, RecoveryService};
    use std::sync::Arc;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let store = rekey::store::Store::open(dir).unwrap();
        let clock = Arc::new(SystemClock);
        let directory = rekey::directory::SledDirectory::new(store.clone(), clock.clone());
        let mut config = rekey::config::Config::default();
        config.service.reply_floor_ms = 0;
        let slide = SlideEvidence {
            notch_times_ms: (0..u32::from(config.slide.notches))
                .map(|i| i * 30)
                .collect(),
        };
        let service = LocalService::new(store, Arc::new(directory), clock, config);
        let s = service.open_session(client, "en").await.unwrap();
        service.submit_address(&s, address).await.unwrap();
        service.check_slide(&s, &slide).await.unwrap();
        service.request(&s).await.unwrap();
        then(&service, &s).await
    })
}

/// Opens a Support ticket the way the wizard does; returns its reference.
fn ticket_opened_by(dir: &Path, address: &str) -> String {
    use rekey::service::RecoveryService;
    in_a_session(dir, "ssh 192.0.2.7", address, async |service, s| {
        service
            .open_ticket(s, Some("+46 70 123 45 67"))
            .await
            .unwrap()
            .ticket
            .unwrap()
    })
}

#[test]
fn a_ticket_is_listed_and_resolved_once() {
    let dir = tempfile::tempdir().unwrap();
    let reference = ticket_opened_by(dir.path(), "Lost.Mailbox@example.com");

    let out = rekey(dir.path(), &["tickets"], "");
    let line = success(&out).trim_end().to_string();
    let fields: Vec<&str> = line.split('\t').collect();
    assert_eq!(fields[0], reference);
    assert_eq!(fields[1], "open");
    assert_eq!(fields[3], "lost.mailbox@example.com");
    assert_eq!(
        fields[4], "reach at: +46 70 123 45 67",
        "how support reaches them"
    );
    assert_eq!(fields[5], "[ssh 192.0.2.7]");

    // Typed the way a person reads it out: any case, no dashes.
    let typed = reference.to_lowercase().replace('-', "");
    let out = rekey(dir.path(), &["tickets", "resolve", &typed], "");
    assert_eq!(success(&out), format!("resolved {reference}\n"));
    let out = rekey(dir.path(), &["tickets", "list"], "");
    assert!(success(&out).contains("\tresolved "), "{out:#?}");

    let out = rekey(dir.path(), &["tickets", "resolve", &reference], "");
    let message = one_line_failure(&out, 2);
    assert!(message.contains("already resolved"), "{message}");

    let kinds: Vec<String> = audit_json(dir.path())
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_string())
        .collect();
    let resolved = kinds.iter().filter(|k| *k == "ticket_resolved").count();
    assert_eq!(resolved, 1, "{kinds:?}");
    assert!(kinds.contains(&"ticket_opened".to_string()));
}

/// Sends a code through the service, as the wizard does, without
/// delivering it.
fn code_requested_by(dir: &Path, address: &str) {
    use rekey::service::RecoveryService;
    in_a_session(dir, "tty", address, async |service, s| {
        service.choose_email(s).await.unwrap();
        service.send_code(s).await.unwrap();
    })
}

#[test]
fn the_outbox_lists_queued_mail_and_retry_delivers_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = rekey(dir.path(), &["outbox"], "");
    assert_eq!(success(&out), "no mail\n");

    add(dir.path(), "ada@example.com", "", PASSWORD);
    code_requested_by(dir.path(), "ada@example.com");
    let out = rekey(dir.path(), &["outbox", "list"], "");
    let listing = success(&out).to_string();
    assert!(
        listing.contains("\tcode\tada@example.com\tqueued, next try "),
        "{listing}"
    );
    assert!(listing.contains("tries 0"), "{listing}");

    let out = rekey(dir.path(), &["outbox", "retry"], "");
    assert_eq!(success(&out), "queued again: 0; delivered now: 1\n");
    let mail: Vec<_> = std::fs::read_dir(dir.path().join("mail"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .collect();
    assert_eq!(mail.len(), 1);
    // Delivered, it leaves the outbox; the audit trail keeps that it went.
    let out = rekey(dir.path(), &["outbox"], "");
    assert_eq!(success(&out), "no mail\n");
    let out = rekey(dir.path(), &["audit"], "");
    let sent = success(&out)
        .lines()
        .find(|l| l.contains("mail_sent"))
        .unwrap_or_else(|| panic!("{out:#?}"))
        .to_string();
    assert!(sent.contains("ada@example.com"), "{sent}");
    assert!(sent.contains("(code), try 1"), "{sent}");

    let id = listing.split('\t').next().unwrap().to_string();
    let out = rekey(dir.path(), &["outbox", "retry", &id], "");
    let message = one_line_failure(&out, 2);
    assert!(message.contains("already sent"), "{message}");
    let out = rekey(dir.path(), &["outbox", "retry", "99"], "");
    assert_eq!(one_line_failure(&out, 2), "no message 99 in the outbox");
}

// ------------------------------------------------------------------- help

#[test]
fn help_describes_the_data_directory_and_stdin() {
    let top = run_help(&["--help"]);
    let stdout = success(&top);
    for part in [
        "data directory",
        "--data-dir",
        "REKEY_DATA_DIR",
        "--config",
        "Exit status",
    ] {
        assert!(stdout.contains(part), "{part} in {stdout}");
    }

    let add = run_help(&["user", "add", "--help"]);
    let stdout = success(&add);
    for part in ["stdin", "--data-dir", "--name"] {
        assert!(stdout.contains(part), "{part} in {stdout}");
    }

    let verify = run_help(&["user", "verify", "--help"]);
    let stdout = success(&verify);
    assert!(stdout.contains("--data-dir"), "{stdout}");
}

#[test]
fn a_usage_error_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["frobnicate"][..],
        &["user", "add"],
        &["user", "verify"],
        &["audit", "--yaml"],
    ] {
        let out = rekey(dir.path(), args, "");
        assert_eq!(out.code, 2, "{args:?}: {out:#?}");
        assert!(!out.stderr.contains("panicked"), "{out:#?}");
    }
}

#[test]
fn the_wizard_without_a_terminal_and_connect_where_it_has_no_use_are_one_line_refusals() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let no_terminal = rekey(&data, &[], "");
    assert_eq!(
        one_line_failure(&no_terminal, 2),
        "the wizard needs a terminal on its input and output; over SSH, connect with `ssh -t`"
    );
    assert!(!data.exists(), "a refused wizard made no store");
    let socket = dir.path().join("rekey.sock");
    let socket = socket.to_str().unwrap();
    for args in [
        vec!["--connect", socket, "serve", "--socket", socket],
        vec!["--connect", socket, "demo"],
    ] {
        assert_eq!(
            one_line_failure(&rekey(&data, &args, ""), 2),
            "--connect is for the wizard and the operator commands, not for `demo` or `serve`"
        );
    }
    let nobody_there = rekey(&data, &["--connect", socket, "user", "list"], "");
    assert_eq!(
        one_line_failure(&nobody_there, 2),
        format!(
            "cannot reach the rekey daemon at {socket}: No such file or directory (os error 2)"
        )
    );
}

/// Bidi overrides and other invisible format characters never reach the
/// store or the operator's screen: a name with U+202E is listed without it,
/// and a password holding one is refused as unprintable.
#[test]
fn bidi_and_format_characters_are_dropped_from_names_and_refused_in_passwords() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    add(
        dir,
        "ada@example.com",
        "Ada \u{202E}ecalevol\u{202C}",
        PASSWORD,
    );
    let listed = accounts(dir).join("\n");
    assert!(listed.contains("Ada ecalevol"), "{listed}");
    for hidden in ['\u{202E}', '\u{202C}', '\u{2066}', '\u{200B}'] {
        assert!(
            !listed.contains(hidden),
            "{:04X} in {listed:?}",
            u32::from(hidden)
        );
    }
    let refused = rekey(
        dir,
        &["user", "add", "bo@example.com"],
        "lantern quietly\u{2067} orbits seventeen moths\n",
    );
    let line = one_line_failure(&refused, 2);
    assert!(line.contains("invisible characters"), "{line}");
}

/// `outbox retry` says why a given-up code mail was not queued again.
#[test]
fn retry_says_why_a_given_up_code_mail_stays_given_up() {
    use rekey::store::outbox::{OutboxMessage, OutboxState};
    let dir = tempfile::tempdir().unwrap();
    add(dir.path(), "ada@example.com", "", PASSWORD);
    code_requested_by(dir.path(), "ada@example.com");
    {
        // As the worker leaves a code mail it gave up on: its code wiped.
        let store = rekey::store::Store::open(dir.path()).unwrap();
        let mut record = store.outbox().unwrap().pop().unwrap();
        if let OutboxMessage::Code { code, .. } = &mut record.message {
            code.clear();
        }
        record.state = OutboxState::Abandoned { at_ms: 1 };
        store
            .transact(
                |tx| -> rekey::store::TxResult<(), rekey::store::StoreError> {
                    tx.put_outbox_record(&record)?;
                    Ok(())
                },
            )
            .unwrap();
    }
    let out = rekey(dir.path(), &["outbox", "retry"], "");
    assert_eq!(
        success(&out),
        "queued again: 0 (left out: 1 given-up code mails, whose codes are gone; those people \
         ask for a new code); delivered now: 0\n"
    );
}

/// An operator who forgot `--connect` (or `--data-dir`) is told so: no
/// empty store is made in their home to answer "no accounts", and a store
/// they may not read says to ask the daemon.
#[test]
fn an_operator_without_connect_or_data_dir_is_told_where_to_look() {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rekey"));
    cmd.args(["user", "list"])
        .env("HOME", home.path())
        .env_remove("XDG_DATA_HOME")
        .env_remove("REKEY_DATA_DIR")
        .env_remove("REKEY_CONFIG");
    let out = run(cmd, "");
    let message = one_line_failure(&out, 2);
    let default = home.path().join(".local/share/rekey");
    assert!(
        message.starts_with(&format!(
            "there is no rekey store in {} (nothing was created)",
            default.display()
        )) && message.contains("--connect"),
        "{message}"
    );
    assert!(!default.join("store").exists(), "a store was made");

    if !nix::unistd::geteuid().is_root() {
        eprintln!("skipped the permission check: it needs root to run as another user");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    add(&data, "ada@example.com", "Ada", OTHER_PASSWORD);
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rekey"));
    cmd.arg("--data-dir").arg(&data).args(["user", "list"]);
    std::os::unix::process::CommandExt::uid(&mut cmd, 65534);
    std::os::unix::process::CommandExt::gid(&mut cmd, 65534);
    let message = one_line_failure(&run(cmd, ""), 2);
    assert!(
        message.contains("permission denied") && message.contains("--connect"),
        "{message}"
    );
}

/// `user add` and `user verify` take a password in Unicode NFC: `å` as one
/// character or as `a` and a combining ring is the same password.
#[test]
fn a_password_is_the_same_whichever_way_its_letters_were_composed() {
    let dir = tempfile::tempdir().unwrap();
    add(
        dir.path(),
        "ada@example.com",
        "Ada",
        "ka\u{30a}pa under violetta regnmoln",
    );
    for typed in [
        "k\u{e5}pa under violetta regnmoln",
        "ka\u{30a}pa under violetta regnmoln",
    ] {
        let out = rekey(
            dir.path(),
            &["user", "verify", "ada@example.com"],
            &format!("{typed}\n"),
        );
        assert_eq!(success(&out), "password is right\n", "{typed:?}");
    }
}
