//! A real PostgreSQL for a test: a cluster made with `initdb` in a temp
//! directory, run by the unprivileged `postgres` user on a loopback port
//! of its own, with a `rekey` role that owns its database and nothing
//! more (no superuser, no CREATEDB, no CREATEROLE), reached with a
//! password from a file. Stopped and removed when dropped.

use rekey::config::{StoreKind, StoreSettings};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Debian's PostgreSQL programs, the newest version installed.
fn bin() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map_or_else(|| PathBuf::from("/usr/lib/postgresql/15/bin"), |(_, p)| p)
}
/// The role the daemons log in as, and its password.
pub const ROLE: &str = "rekey";
const PASSWORD: &str = "pg-test-password-for-rekey";

pub struct PgServer {
    /// The cluster's directory (data, socket, log, password file).
    pub dir: PathBuf,
    pub port: u16,
    _tmp: Option<tempfile::TempDir>,
    running: bool,
    /// More `-c` settings for the server (TLS).
    extra: String,
}

/// Whether this machine can run a test PostgreSQL; says why not on stderr.
pub fn available() -> bool {
    let initdb = bin().join("initdb");
    if !initdb.exists() {
        eprintln!(
            "skipped: {} is missing (Debian's postgresql package; .ci/run installs it)",
            initdb.display()
        );
        return false;
    }
    true
}

/// The PostgreSQL the tests run, as `postgres --version` says it.
pub fn version() -> String {
    Command::new(bin().join("postgres"))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "(unknown version)".into())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `program args` as the `postgres` user (initdb refuses root).
fn as_postgres(program: &str, args: &[&str]) -> std::process::Output {
    let path = bin().join(program);
    let mut command = if nix::unistd::geteuid().is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(&path);
        c
    } else {
        Command::new(&path)
    };
    command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program}: {e}"))
}

fn chown_to_postgres(path: &Path) {
    if nix::unistd::geteuid().is_root() {
        let user = nix::unistd::User::from_name("postgres")
            .ok()
            .flatten()
            .expect("the postgres user (Debian's postgresql package makes it)");
        std::os::unix::fs::chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))
            .expect("chown");
    }
}

impl PgServer {
    /// A new cluster in a temp directory of its own, started.
    pub fn start() -> Self {
        let tmp = tempfile::tempdir().expect("temp dir");
        let mut server = Self::start_in(tmp.path());
        server._tmp = Some(tmp);
        server
    }

    /// A new cluster under `parent/pg`, started.
    pub fn start_in(parent: &Path) -> Self {
        use std::os::unix::fs::PermissionsExt;
        // The postgres user must reach its directory inside ours.
        std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o711)).expect("chmod");
        let dir = parent.join("pg");
        std::fs::create_dir_all(&dir).expect("pg dir");
        chown_to_postgres(&dir);
        let superuser_pw = dir.join("superuser.pw");
        std::fs::write(&superuser_pw, "superuser-test-password\n").expect("pw file");
        chown_to_postgres(&superuser_pw);
        let data = dir.join("data");
        let out = as_postgres(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=scram-sha-256",
                &format!("--pwfile={}", superuser_pw.display()),
                "-E",
                "UTF8",
                "--no-sync",
            ],
        );
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut server = Self {
            dir,
            port: free_port(),
            _tmp: None,
            running: false,
            extra: String::new(),
        };
        server.start_again();
        server.psql_as_superuser(&format!(
            "CREATE ROLE {ROLE} LOGIN PASSWORD '{PASSWORD}' NOSUPERUSER NOCREATEDB NOCREATEROLE"
        ));
        server.psql_as_superuser(&format!("CREATE DATABASE rekey OWNER {ROLE}"));
        server.psql_as_superuser("REVOKE ALL ON DATABASE rekey FROM PUBLIC");
        std::fs::write(server.password_file(), format!("{PASSWORD}\n")).expect("pw file");
        server
    }

    /// Starts the cluster (again, after [`PgServer::stop`]) and waits until
    /// it takes connections.
    pub fn start_again(&mut self) {
        let data = self.dir.join("data");
        let log = self.dir.join("log");
        let options = format!(
            "-k {} -c listen_addresses=127.0.0.1 -p {} -c max_connections=200 \
             -c shared_buffers=32MB{}",
            self.dir.display(),
            self.port,
            self.extra
        );
        let out = as_postgres(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "-t",
                "30",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        self.running = true;
    }

    /// Stops the cluster at once (`-m immediate`: as a crash would, with
    /// recovery at the next start), or cleanly (`fast`).
    pub fn stop(&mut self, mode: &str) {
        let data = self.dir.join("data");
        let _ = as_postgres(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", mode, "-w", "stop"],
        );
        self.running = false;
    }

    /// Restarts the server with TLS on, with `cert_pem` and `key_pem` as its
    /// certificate and key (and `hostssl` only, for the rekey role).
    pub fn with_tls(&mut self, cert_pem: &str, key_pem: &str) {
        use std::os::unix::fs::PermissionsExt;
        let (cert, key) = (self.dir.join("server.crt"), self.dir.join("server.key"));
        std::fs::write(&cert, cert_pem).expect("cert");
        std::fs::write(&key, key_pem).expect("key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        chown_to_postgres(&cert);
        chown_to_postgres(&key);
        // The rekey role may come in over TLS only.
        let hba = self.dir.join("data").join("pg_hba.conf");
        let rules = std::fs::read_to_string(&hba).expect("pg_hba.conf");
        std::fs::write(
            &hba,
            format!("hostnossl rekey {ROLE} 127.0.0.1/32 reject\n{rules}"),
        )
        .expect("pg_hba.conf");
        self.stop("fast");
        self.extra = format!(
            " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
            cert.display(),
            key.display()
        );
        self.start_again();
    }

    pub fn password_file(&self) -> PathBuf {
        self.dir.join("rekey.pw")
    }

    pub fn url(&self) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/rekey", self.port)
    }

    /// `[store]` for this server, as an operator writes it.
    pub fn settings(&self) -> StoreSettings {
        StoreSettings {
            kind: StoreKind::Postgres,
            url: self.url(),
            password_file: Some(self.password_file()),
            pool_size: 8,
            ca_file: None,
            connect_timeout_secs: 2,
        }
    }

    /// `[store]` as TOML, for a config file.
    pub fn toml(&self) -> String {
        format!(
            "[store]\nkind = \"postgres\"\nurl = \"{}\"\npassword_file = \"{}\"\nconnect_timeout_secs = 2\n",
            self.url(),
            self.password_file().display()
        )
    }

    /// Applies rekey's schema, as `rekey store migrate` does.
    pub fn migrate(&self) {
        let pg = rekey::store::postgres::Postgres::connect(&self.settings()).expect("connects");
        pg.migrate().expect("migrates");
    }

    /// Runs `sql` as the superuser through psql; its output.
    pub fn psql_as_superuser(&self, sql: &str) -> String {
        self.psql("postgres", "postgres", "superuser-test-password", sql)
    }

    /// Runs `sql` as the rekey role in its database; its output.
    pub fn psql_as_rekey(&self, sql: &str) -> String {
        self.psql(ROLE, "rekey", PASSWORD, sql)
    }

    fn psql(&self, user: &str, db: &str, password: &str, sql: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = Command::new("psql")
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                .args([
                    "-U",
                    user,
                    "-d",
                    db,
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-At",
                    "-c",
                    sql,
                ])
                .env("PGPASSWORD", password)
                .stdin(Stdio::null())
                .output()
                .expect("psql runs");
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).into_owned();
            }
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            // Still starting, or recovering after an immediate stop.
            if Instant::now() < deadline
                && (err.contains("starting up") || err.contains("Connection refused"))
            {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            panic!("psql failed on {sql:?}: {err}");
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        if self.running {
            self.stop("immediate");
        }
    }
}
