//! A real Samba AD domain controller for integration tests: provisioned in
//! a temporary directory, listening on its own loopback address (its LDAP
//! ports are fixed at 389/636), with a certificate from a CA the test made,
//! and a service account allowed to reset passwords and unlock accounts
//! under CN=Users. Needs root and the Debian packages `samba samba-ad-dc
//! samba-ad-provision winbind ldb-tools python3-samba ldap-utils`.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const REALM: &str = "REKEY.TEST";
const DOMAIN: &str = "REKEY";
const BASE: &str = "DC=rekey,DC=test";
const SERVICE: &str = "rekey-svc";
/// Reset Password (extended right), lockoutTime, pwdLastSet.
const RESET_PASSWORD: &str = "00299570-246d-11d0-a768-00aa006e0529";
const LOCKOUT_TIME: &str = "28630ebf-41d5-11d1-a9c1-0000f80367c1";
const PWD_LAST_SET: &str = "bf967a0a-0de6-11d0-a285-00aa003049e2";

pub struct SambaDc {
    pub ip: String,
    pub url: String,
    pub ca_file: PathBuf,
    pub base: String,
    pub service_dn: String,
    pub service_password_file: PathBuf,
    pub realm: String,
    admin_dn: String,
    admin_password: String,
    dir: PathBuf,
    child: Option<Child>,
    _address_claim: UnixListener,
    _tmp: tempfile::TempDir,
}

impl SambaDc {
    /// None (after eprintln! of a reason starting with "skipped:") when not root or samba is missing.
    pub fn start() -> Option<SambaDc> {
        let began = Instant::now();
        if std::fs::metadata("/proc/self")
            .map(|m| m.uid())
            .unwrap_or(1)
            != 0
        {
            eprintln!("skipped: a Samba AD DC needs root");
            return None;
        }
        for tool in [
            "samba",
            "samba-tool",
            "ldbsearch",
            "ldapsearch",
            "ldapmodify",
        ] {
            if which(tool).is_none() {
                eprintln!(
                    "skipped: `{tool}` is not installed (apt-get install samba samba-ad-dc \
                     samba-ad-provision winbind ldb-tools python3-samba ldap-utils)"
                );
                return None;
            }
        }
        if !Path::new("/usr/share/samba/setup/ad-schema").is_dir() {
            eprintln!("skipped: samba-ad-provision is not installed (no AD schema to provision)");
            return None;
        }

        let (ip, address_claim) = claim_loopback_address();
        let tmp = tempfile::Builder::new()
            .prefix("rekey-samba-")
            .tempdir_in("/tmp")
            .expect("temp dir for samba");
        let dir = tmp.path().to_path_buf();
        let admin_password = format!("Adm-{}-x1!", random_hex());
        let service_password = format!("Svc-{}-y2!", random_hex());

        // TLS: a CA and a leaf for the IP, written before provisioning names them.
        let tls = dir.join("tls");
        std::fs::create_dir(&tls).expect("tls dir");
        let (ca_pem, cert_pem, key_pem) = certificates(&ip);
        let ca_file = tls.join("ca.pem");
        std::fs::write(&ca_file, ca_pem).expect("write ca");
        std::fs::write(tls.join("cert.pem"), cert_pem).expect("write cert");
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(tls.join("key.pem"))
            .and_then(|mut f| f.write_all(key_pem.as_bytes()))
            .expect("write key");
        std::fs::write(dir.join("empty.conf"), "").expect("empty conf");
        std::fs::write(dir.join("ldap.conf"), "").expect("ldap conf");

        let d = dir.display();
        let options = [
            format!("interfaces={ip}/8"),
            "bind interfaces only=yes".into(),
            "server services=ldap".into(),
            format!("pid directory={d}/run"),
            format!("log file={d}/log.%m"),
            format!("ncalrpc dir={d}/ncalrpc"),
            format!("winbindd socket directory={d}/winbindd"),
            format!("ntp signd socket directory={d}/ntp_signd"),
            "tls enabled=yes".into(),
            format!("tls keyfile={d}/tls/key.pem"),
            format!("tls certfile={d}/tls/cert.pem"),
            format!("tls cafile={d}/tls/ca.pem"),
        ];
        let mut provision = Command::new("samba-tool");
        provision
            .args(["domain", "provision"])
            .arg(format!("--configfile={d}/empty.conf"))
            .arg(format!("--targetdir={d}"))
            .args(["--dns-backend=NONE", "--server-role=dc", "--use-rfc2307"])
            .arg(format!("--realm={REALM}"))
            .arg(format!("--domain={DOMAIN}"))
            .arg("--host-name=rekeydc")
            .arg(format!("--adminpass={admin_password}"));
        for o in &options {
            provision.arg(format!("--option={o}"));
        }
        run(&mut provision, "samba-tool domain provision");
        let provisioned = began.elapsed();

        let conf = dir.join("etc/smb.conf");
        let mut dc = SambaDc {
            url: format!("ldaps://{ip}:636"),
            ip,
            ca_file,
            base: BASE.into(),
            service_dn: format!("CN={SERVICE},CN=Users,{BASE}"),
            service_password_file: dir.join("service-password"),
            realm: REALM.into(),
            admin_dn: format!("CN=Administrator,CN=Users,{BASE}"),
            admin_password,
            dir: dir.clone(),
            child: None,
            _address_claim: address_claim,
            _tmp: tmp,
        };

        // Before the server starts, straight on the sam.ldb: the service
        // account, its rights on CN=Users (CI: inherited by every user there,
        // including those made later), and a policy tests can use.
        dc.samba_tool(&["user", "create", SERVICE, &service_password]);
        let sid = dc.ldb_attr(&format!("(sAMAccountName={SERVICE})"), "objectSid");
        let sid = sid.first().expect("the service account has an objectSid");
        let sddl = format!(
            "(OA;CI;CR;{RESET_PASSWORD};;{sid})(OA;CI;WP;{LOCKOUT_TIME};;{sid})\
             (OA;CI;WP;{PWD_LAST_SET};;{sid})"
        );
        dc.samba_tool(&[
            "dsacl",
            "set",
            &format!("--objectdn=CN=Users,{BASE}"),
            &format!("--sddl={sddl}"),
        ]);
        dc.samba_tool(&[
            "domain",
            "passwordsettings",
            "set",
            "--min-pwd-age=0",
            "--account-lockout-threshold=5",
            "--account-lockout-duration=30",
            "--reset-account-lockout-after=30",
        ]);
        std::fs::write(&dc.service_password_file, format!("{service_password}\n"))
            .expect("write service password");
        let accounts = began.elapsed() - provisioned;

        let log = std::fs::File::create(dir.join("samba.out")).expect("samba log");
        let child = Command::new(which("samba").unwrap())
            .args(["-i", "-M", "single", "-s"])
            .arg(&conf)
            .arg("--option=old password allowed period=0")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log clone"))
            .stderr(log)
            .spawn()
            .expect("samba starts");
        dc.child = Some(child);
        dc.wait_until_ready(Duration::from_secs(60));
        eprintln!(
            "samba: DC on {} ready in {:.1?} (provision {:.1?}, accounts {:.1?}, start {:.1?})",
            dc.url,
            began.elapsed(),
            provisioned,
            accounts,
            began.elapsed() - provisioned - accounts
        );
        Some(dc)
    }

    /// samba-tool user create NAME PW --use-username-as-cn --mail-address=MAIL (plus --given-name/--surname if useful); returns the user's DN (CN=NAME,CN=Users,BASE).
    pub fn add_user(&self, name: &str, mail: &str, password: &str) -> String {
        self.samba_tool(&[
            "user",
            "create",
            name,
            password,
            "--use-username-as-cn",
            &format!("--mail-address={mail}"),
            &format!("--given-name={name}"),
            "--surname=Test",
        ]);
        format!("CN={name},CN=Users,{}", self.base)
    }

    /// A simple bind as dn with password over ldaps (LDAPTLS_CACERT=ca_file ldapwhoami -x -H url -D dn -w pw) succeeds.
    pub fn binds(&self, dn: &str, password: &str) -> bool {
        // Samba has no WhoAmI exop: ldapwhoami fails (2, "Extended Operation
        // ... not supported") after a good bind. A base search of the root
        // DSE after the bind tells the same without that noise.
        let out = self
            .ldap("ldapsearch")
            .args(["-H", &self.url, "-D", dn, "-w", password])
            .args(["-b", "", "-s", "base", "-LLL", "1.1"])
            .output()
            .expect("ldapsearch runs");
        match out.status.code() {
            Some(0) => true,
            Some(49) => false,
            other => panic!(
                "bind as {dn} ended with {other:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    /// Values of an attribute (pwdLastSet, lockoutTime, ...), read with ldapsearch as Administrator over ldaps (or ldbsearch on the sam.ldb).
    pub fn attr(&self, dn: &str, attr: &str) -> Vec<String> {
        let out = self
            .ldap("ldapsearch")
            .args([
                "-H",
                &self.url,
                "-D",
                &self.admin_dn,
                "-w",
                &self.admin_password,
            ])
            .args(["-b", dn, "-s", "base", "-LLL", "-o", "ldif-wrap=no", attr])
            .output()
            .expect("ldapsearch runs");
        assert!(
            out.status.success(),
            "ldapsearch of {attr} on {dn} ended with {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        );
        super::ldif_values(&String::from_utf8_lossy(&out.stdout), attr)
    }

    /// An OpenLDAP client that trusts only this DC's CA and reads no ldap.conf.
    fn ldap(&self, tool: &str) -> Command {
        let mut cmd = Command::new(tool);
        cmd.arg("-x")
            .env("LDAPCONF", self.dir.join("ldap.conf"))
            .env("LDAPRC", "/dev/null/none")
            .env("LDAPTLS_CACERT", &self.ca_file)
            .env("LDAPTLS_REQCERT", "demand")
            .stdin(Stdio::null());
        cmd
    }

    /// samba-tool on the local sam.ldb (works while samba runs).
    fn samba_tool(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new("samba-tool");
        cmd.args(args)
            .arg(format!(
                "--configfile={}",
                self.dir.join("etc/smb.conf").display()
            ))
            .arg("-H")
            .arg(self.dir.join("private/sam.ldb"));
        run(&mut cmd, &format!("samba-tool {}", args[..2].join(" ")))
    }

    /// Values of one attribute of the entries matching filter, from the sam.ldb.
    fn ldb_attr(&self, filter: &str, attr: &str) -> Vec<String> {
        let mut cmd = Command::new("ldbsearch");
        cmd.arg("-H")
            .arg(self.dir.join("private/sam.ldb"))
            .arg(filter)
            .arg(attr);
        let out = run(&mut cmd, "ldbsearch");
        super::ldif_values(&String::from_utf8_lossy(&out.stdout), attr)
    }

    fn wait_until_ready(&mut self, limit: Duration) {
        let deadline = Instant::now() + limit;
        let addr: SocketAddr = format!("{}:636", self.ip).parse().unwrap();
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().expect("try_wait") {
                panic!(
                    "samba exited ({status}) before ldaps answered:\n{}",
                    self.log_tail()
                );
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                let out = self
                    .ldap("ldapsearch")
                    .args([
                        "-H",
                        &self.url,
                        "-D",
                        &self.admin_dn,
                        "-w",
                        &self.admin_password,
                    ])
                    .args(["-b", "", "-s", "base", "-LLL", "1.1"])
                    .output()
                    .expect("ldapsearch runs");
                if out.status.success() {
                    return;
                }
                if Instant::now() > deadline {
                    panic!(
                        "ldaps on {} refused a TLS bind: {}\n{}",
                        self.url,
                        String::from_utf8_lossy(&out.stderr),
                        self.log_tail()
                    );
                }
            }
            if Instant::now() > deadline {
                panic!(
                    "samba did not listen on {addr} within {limit:?}:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last lines samba wrote, for a failure message.
    fn log_tail(&self) -> String {
        let mut text = String::new();
        for name in ["samba.out", "log.samba"] {
            if let Ok(log) = std::fs::read_to_string(self.dir.join(name)) {
                let lines: Vec<&str> = log.lines().collect();
                let from = lines.len().saturating_sub(40);
                text += &format!("--- {name}\n{}\n", lines[from..].join("\n"));
            }
        }
        text
    }
}

impl Drop for SambaDc {
    /// Stops samba (TERM, then KILL after 5 s); the temporary directory goes with it.
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A loopback address 127.0.0.N (N in 10..250) that no other test holds and
/// where nothing answers on 389 or 636. The claim is an abstract Unix socket,
/// which the kernel releases when the holder exits, even by SIGKILL.
fn claim_loopback_address() -> (String, UnixListener) {
    for _ in 0..200 {
        let n = 10 + (random_u64() % 240);
        let ip = format!("127.0.0.{n}");
        let name = format!("rekey-samba-{ip}");
        let Ok(addr) = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()) else {
            continue;
        };
        let Ok(claim) = UnixListener::bind_addr(&addr) else {
            continue;
        };
        let busy = [389, 636].iter().any(|port| {
            let sa: SocketAddr = format!("{ip}:{port}").parse().unwrap();
            TcpStream::connect_timeout(&sa, Duration::from_millis(200)).is_ok()
        });
        if !busy {
            return (ip, claim);
        }
    }
    panic!("no free loopback address 127.0.0.10-249 for a Samba DC");
}

/// A CA, and a leaf it signed for `ip` and localhost (PEM: CA, cert, key).
fn certificates(ip: &str) -> (String, String, String) {
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "rekey test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = Issuer::new(ca_params, ca_key);

    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut leaf_params =
        CertificateParams::new(vec![ip.to_string(), "localhost".to_string()]).expect("leaf params");
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "rekeydc.rekey.test");
    leaf_params.is_ca = IsCa::ExplicitNoCa;
    leaf_params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf = leaf_params
        .signed_by(&leaf_key, &issuer)
        .expect("leaf cert");
    (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
}

fn run(cmd: &mut Command, what: &str) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what} could not run: {e}"));
    assert!(
        out.status.success(),
        "{what} ended with {:?}:\n{}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn which(tool: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"].map(PathBuf::from))
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

fn random_u64() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    h.write_u32(std::process::id());
    h.finish()
}

fn random_hex() -> String {
    format!("{:016x}", random_u64())
}

impl SambaDc {
    /// A fine-grained password policy (PSO) with this minimum length,
    /// applied to the user `name`: `samba-tool domain passwordsettings set`
    /// takes at most 14, as Windows did, and rekey's own minimum is 15.
    /// Works on the running DC's sam.ldb; samba reads it at each change.
    pub fn min_password_length_for(&self, name: &str, length: u32) {
        let pso = format!("rekey-min-{length}");
        self.samba_tool(&[
            "domain",
            "passwordsettings",
            "pso",
            "create",
            &pso,
            "1",
            &format!("--min-pwd-length={length}"),
        ]);
        self.samba_tool(&["domain", "passwordsettings", "pso", "apply", &pso, name]);
    }
}
