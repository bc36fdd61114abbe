//! A real OpenLDAP `slapd` (mdb + ppolicy) in a temporary directory, on a
//! port of its own, driven through the ldap-utils command-line tools.
//!
//! The service account gets `write` (not `manage`) on `userPassword`, so
//! ppolicy treats it as an ordinary user and enforces history and quality on
//! its resets; the rootdn is a password administrator and skips both.
//!
//! Found on slapd 2.5.13: the ldap-utils `-y FILE` option sends the file's
//! whole content, a trailing newline included, so `-y service_password_file`
//! fails with 49: pass `-w` with the trimmed content instead. Quality is
//! checked before history: to see "in history", the old password must be
//! long enough itself.

#![allow(dead_code)]

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The directory's suffix.
pub const BASE: &str = "dc=example,dc=com";
/// Where `add_person` puts people.
pub const PEOPLE: &str = "ou=people,dc=example,dc=com";
/// The account rekey binds as: `write` on userPassword, `manage` on the lock.
pub const SERVICE_DN: &str = "cn=rekey,ou=services,dc=example,dc=com";

/// The rootdn: a password administrator, for seeding and reading only.
const ROOT_DN: &str = "cn=admin,dc=example,dc=com";
/// The default password policy entry.
const POLICY_DN: &str = "cn=default,ou=policies,dc=example,dc=com";
/// How long `start`/`restart` wait for slapd to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// A running slapd; killed when dropped, its directory removed.
pub struct Slapd {
    /// The TCP port slapd listens on (127.0.0.1).
    pub port: u16,
    /// `ldap://127.0.0.1:PORT`.
    pub url: String,
    /// The temporary directory holding config, data, pid and log.
    pub dir: PathBuf,
    /// The service account's password, with a trailing newline.
    pub service_password_file: PathBuf,
    _tmp: tempfile::TempDir,
    child: Option<Child>,
    config: PathBuf,
    log: PathBuf,
    root_password: String,
    root_password_file: PathBuf,
    tools: Tools,
}

/// Absolute paths of the programs used.
struct Tools {
    slapd: PathBuf,
    slapadd: PathBuf,
    ldapadd: PathBuf,
    ldapmodify: PathBuf,
    ldapwhoami: PathBuf,
    ldapsearch: PathBuf,
}

impl Tools {
    /// The programs, or the name of the first one missing.
    fn find() -> Result<Tools, String> {
        let find = |name: &str| which(name).ok_or_else(|| format!("{name} not found"));
        for module in ["back_mdb.so", "ppolicy.so"] {
            if !Path::new("/usr/lib/ldap").join(module).exists() {
                return Err(format!("/usr/lib/ldap/{module} not found"));
            }
        }
        for schema in SCHEMAS {
            if !Path::new(&schema_path(schema)).exists() {
                return Err(format!("{} not found", schema_path(schema)));
            }
        }
        // ldappasswd is not used here but tests use it: require all of ldap-utils.
        find("ldappasswd")?;
        Ok(Tools {
            slapd: find("slapd")?,
            slapadd: find("slapadd")?,
            ldapadd: find("ldapadd")?,
            ldapmodify: find("ldapmodify")?,
            ldapwhoami: find("ldapwhoami")?,
            ldapsearch: find("ldapsearch")?,
        })
    }
}

const SCHEMAS: [&str; 4] = ["core", "cosine", "inetorgperson", "nis"];

fn schema_path(name: &str) -> String {
    format!("/etc/ldap/schema/{name}.schema")
}

/// A program on PATH, or in the sbin directories a non-root PATH lacks.
fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// 32 hex characters from /dev/urandom.
fn random_password() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .expect("read /dev/urandom");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `content` to `path`, readable by its owner only.
fn write_private(path: &Path, content: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    f.write_all(content.as_bytes()).expect("write file");
}

/// One LDIF line `attr: value`, base64 when the value is not safe as is.
fn ldif_line(attr: &str, value: &str) -> String {
    use base64::Engine;
    let safe = value.bytes().all(|b| (0x20..0x7f).contains(&b))
        && !value.starts_with([' ', ':', '<'])
        && !value.ends_with(' ');
    if safe {
        format!("{attr}: {value}\n")
    } else {
        let b64 = base64::engine::general_purpose::STANDARD.encode(value);
        format!("{attr}:: {b64}\n")
    }
}

/// Runs `cmd` with `stdin` piped in; its output.
fn run_with_stdin(mut cmd: Command, stdin: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    child
        .stdin
        .take()
        .expect("stdin piped")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A port nobody listened on a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

impl Slapd {
    /// None (after eprintln! of the reason, starting with "skipped:") when slapd or ldap-utils are missing.
    pub fn start() -> Option<Slapd> {
        let tools = match Tools::find() {
            Ok(tools) => tools,
            Err(why) => {
                eprintln!("skipped: {why} (install slapd and ldap-utils)");
                return None;
            }
        };
        let tmp = tempfile::tempdir().expect("temp dir");
        let dir = tmp.path().to_path_buf();
        let data = dir.join("data");
        std::fs::create_dir(&data).expect("data dir");
        let port = free_port();
        let root_password = random_password();
        let root_password_file = dir.join("root.pw");
        // No newline: ldap-utils' -y sends the file's whole content.
        write_private(&root_password_file, &root_password);
        let service_password = random_password();
        let service_password_file = dir.join("service.pw");
        write_private(&service_password_file, &format!("{service_password}\n"));

        let config = dir.join("slapd.conf");
        write_private(&config, &slapd_conf(&dir, &data, &root_password));
        let seed = dir.join("seed.ldif");
        write_private(&seed, &seed_ldif(&service_password));
        let out = Command::new(&tools.slapadd)
            .arg("-f")
            .arg(&config)
            .arg("-l")
            .arg(&seed)
            .output()
            .expect("run slapadd");
        assert!(out.status.success(), "slapadd failed: {}", describe(&out));

        let mut slapd = Slapd {
            port,
            url: format!("ldap://127.0.0.1:{port}"),
            log: dir.join("slapd.log"),
            dir,
            service_password_file,
            _tmp: tmp,
            child: None,
            config,
            root_password,
            root_password_file,
            tools,
        };
        slapd.spawn();
        Some(slapd)
    }

    /// Starts slapd in the foreground (`-d stats`, log in the temp dir) and waits for its port.
    fn spawn(&mut self) {
        assert!(self.child.is_none(), "slapd is already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("slapd log");
        let mut child = Command::new(&self.tools.slapd)
            .arg("-f")
            .arg(&self.config)
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{}/", self.port))
            // Any -d keeps slapd in the foreground; stats logs each operation.
            .args(["-d", "stats"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("spawn slapd");
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().expect("slapd status") {
                panic!("slapd exited with {status}:\n{}", self.log_text());
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "slapd did not accept connections on {addr} within {START_TIMEOUT:?}:\n{}",
                    self.log_text()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(child);
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `tool -x -H url -D rootdn -y rootpw-file`.
    fn as_root(&self, tool: &Path) -> Command {
        let mut cmd = Command::new(tool);
        cmd.args(["-x", "-H", &self.url, "-D", ROOT_DN, "-y"])
            .arg(&self.root_password_file);
        cmd
    }

    /// Adds inetOrgPerson uid=UID,ou=people with mail, cn, sn, userPassword (as rootdn). Returns the DN.
    pub fn add_person(&self, uid: &str, mail: &str, cn: &str, password: &str) -> String {
        let dn = format!("uid={uid},{PEOPLE}");
        let sn = cn.rsplit(' ').next().unwrap_or(cn);
        let ldif = [
            ldif_line("dn", &dn),
            ldif_line("objectClass", "inetOrgPerson"),
            ldif_line("uid", uid),
            ldif_line("cn", cn),
            ldif_line("sn", sn),
            ldif_line("mail", mail),
            ldif_line("userPassword", password),
        ]
        .concat();
        let out = run_with_stdin(self.as_root(&self.tools.ldapadd), &ldif);
        assert!(out.status.success(), "ldapadd {dn}: {}", describe(&out));
        dn
    }

    /// true when a simple bind as dn with password succeeds (ldapwhoami -x -H url -D dn -w pw).
    pub fn binds(&self, dn: &str, password: &str) -> bool {
        // An empty password would make an unauthenticated bind, not a check.
        if password.is_empty() {
            return false;
        }
        Command::new(&self.tools.ldapwhoami)
            .args(["-x", "-H", &self.url, "-D", dn, "-w", password])
            .output()
            .expect("run ldapwhoami")
            .status
            .success()
    }

    /// Values of an attribute (operational attrs too, e.g. pwdChangedTime, pwdHistory, pwdAccountLockedTime, pwdReset), read as rootdn.
    pub fn attr(&self, dn: &str, attr: &str) -> Vec<String> {
        let out = self
            .as_root(&self.tools.ldapsearch)
            .args(["-LLL", "-o", "ldif-wrap=no", "-s", "base", "-b", dn])
            .args(["(objectClass=*)", attr])
            .output()
            .expect("run ldapsearch");
        // 32: noSuchObject, an entry that is not there has no values.
        if out.status.code() == Some(32) {
            return Vec::new();
        }
        assert!(
            out.status.success(),
            "ldapsearch {dn} {attr}: {}",
            describe(&out)
        );
        super::ldif_values(&String::from_utf8_lossy(&out.stdout), attr)
    }

    /// Runs an LDIF modify as rootdn (e.g. to set pwdAccountLockedTime: 000001010000Z to lock).
    pub fn modify(&self, ldif: &str) {
        let out = run_with_stdin(self.as_root(&self.tools.ldapmodify), ldif);
        assert!(
            out.status.success(),
            "ldapmodify:\n{ldif}\n{}",
            describe(&out)
        );
    }

    /// Stops slapd (SIGTERM, wait) keeping its data; restart() starts it again on the same port with the same data.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // std has no SIGTERM; nix is built without its signal feature.
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        child.wait().expect("wait for slapd");
    }

    /// Starts slapd again (stopping it first if it runs) on the same port with the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

/// Kills slapd in Drop.
impl Drop for Slapd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// slapd.conf: schemas, mdb + ppolicy, and the ACLs rekey relies on.
fn slapd_conf(dir: &Path, data: &Path, root_password: &str) -> String {
    let includes: String = SCHEMAS
        .iter()
        .map(|s| format!("include {}\n", schema_path(s)))
        .collect();
    let dir = dir.display();
    let data = data.display();
    format!(
        r#"{includes}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile {dir}/slapd.pid
argsfile {dir}/slapd.args

database mdb
suffix "{BASE}"
rootdn "{ROOT_DN}"
rootpw {root_password}
directory {data}
maxsize 104857600

overlay ppolicy
ppolicy_default "{POLICY_DN}"
ppolicy_use_lockout
ppolicy_hash_cleartext

# write, not manage: a manager is a password administrator and skips
# history and quality checks.
access to attrs=userPassword
  by dn.exact="{SERVICE_DN}" write
  by self write
  by anonymous auth
  by * none
# Unlocking: as written. On 2.5.13 plain write was enough too (measured);
# manage is kept as the brief asked.
access to attrs=pwdAccountLockedTime,pwdReset
  by dn.exact="{SERVICE_DN}" manage
  by * read
access to *
  by dn.exact="{SERVICE_DN}" read
  by self read
  by users read
  by anonymous auth
"#
    )
}

/// The tree, the default policy and the service account.
fn seed_ldif(service_password: &str) -> String {
    format!(
        "dn: {BASE}
objectClass: dcObject
objectClass: organization
dc: example
o: Example

dn: {PEOPLE}
objectClass: organizationalUnit
ou: people

dn: ou=services,{BASE}
objectClass: organizationalUnit
ou: services

dn: ou=policies,{BASE}
objectClass: organizationalUnit
ou: policies

dn: {POLICY_DN}
objectClass: applicationProcess
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdInHistory: 5
pwdCheckQuality: 2
pwdMinLength: 20
pwdLockout: TRUE
pwdMaxFailure: 5
pwdLockoutDuration: 0
pwdMustChange: FALSE
pwdAllowUserChange: TRUE

dn: {SERVICE_DN}
objectClass: applicationProcess
objectClass: simpleSecurityObject
cn: rekey
userPassword: {service_password}
"
    )
}
