//! Kiosks on other machines: the real `rekey serve --listen` with mutual
//! TLS, and wizards and operators reaching it with `--connect
//! tls://HOST:PORT --cert … --key … --ca …` (through the library's
//! client, and through the real binary). Certificates are made here with
//! rcgen: a CA for the daemon, one for the kiosks, and a stranger's.

mod common;

use common::daemon::{Daemon, TEST_CONFIG, code_sent_on, rekey_binary, slid_on};
use common::{OLD_PASSWORD, human_slide};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rekey::recovery::{SlideRules, Stage};
use rekey::service::socket::client_tls;
use rekey::service::{Address, Dial, RecoveryService, SocketService};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const ADA: &str = "ada@example.com";

fn slide() -> rekey::recovery::SlideEvidence {
    human_slide(&SlideRules::default())
}

struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    let cert = params.self_signed(&key).expect("ca");
    Ca {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// A certificate `ca` signs for `name` (its CN, and a DNS name), written
/// as `dir/name.pem` and `dir/name.key`; `expired`: its validity ended a
/// year ago.
fn leaf(dir: &Path, ca: &Ca, name: &str, sans: &[&str], expired: bool) -> (PathBuf, PathBuf) {
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())
        .expect("params");
    params.distinguished_name.push(DnType::CommonName, name);
    if expired {
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    let cert = params.signed_by(&key, &ca.issuer).expect("leaf");
    let (cert_path, key_path) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    std::fs::write(&cert_path, cert.pem()).expect("cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("key");
    (cert_path, key_path)
}

struct Site {
    daemon: Daemon,
    port: u16,
    dir: tempfile::TempDir,
    daemon_ca: PathBuf,
    kiosks: Ca,
}

/// A daemon listening on a loopback port with TLS; kiosk certificates come
/// from the kiosks' CA, and "ops-laptop" is an admin.
fn site() -> Site {
    let dir = tempfile::tempdir().expect("temp dir");
    let daemons = ca("rekey daemons");
    let kiosks = ca("rekey kiosks");
    let (cert, key) = leaf(
        dir.path(),
        &daemons,
        "daemon",
        &["localhost", "127.0.0.1"],
        false,
    );
    let daemon_ca = dir.path().join("daemon-ca.pem");
    std::fs::write(&daemon_ca, &daemons.pem).expect("ca");
    let kiosk_ca = dir.path().join("kiosk-ca.pem");
    std::fs::write(&kiosk_ca, &kiosks.pem).expect("ca");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    let config = format!(
        "{TEST_CONFIG}[tls]\ncert = \"{}\"\nkey = \"{}\"\nclient_ca = \"{}\"\nadmins = [\"ops-laptop\"]\n",
        cert.display(),
        key.display(),
        kiosk_ca.display()
    );
    let root = dir.path().join("daemon");
    std::fs::create_dir_all(&root).expect("root");
    let listen = format!("127.0.0.1:{port}");
    let daemon = Daemon::start_with(&root, &root.join("data"), &config, &["--listen", &listen]);
    wait_for_port(port);
    daemon.add_user(ADA, "Ada", OLD_PASSWORD);
    Site {
        daemon,
        port,
        dir,
        daemon_ca,
        kiosks,
    }
}

fn wait_for_port(port: u16) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the TLS port never opened"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

impl Site {
    fn dial(&self, cert: &Path, key: &Path, ca: &Path) -> Dial {
        Dial {
            addresses: vec![Address::Tls {
                host: "127.0.0.1".into(),
                port: self.port,
            }],
            tls: Some(Arc::new(client_tls(cert, key, ca).expect("client TLS"))),
        }
    }

    fn kiosk(&self, name: &str, expired: bool) -> (PathBuf, PathBuf) {
        leaf(self.dir.path(), &self.kiosks, name, &[], expired)
    }

    /// A wizard of a kiosk named `name`, with a good certificate, let in.
    async fn kiosk_wizard(&self, name: &str) -> SocketService {
        let (cert, key) = self.kiosk(name, false);
        SocketService::dial(&self.dial(&cert, &key, &self.daemon_ca))
            .await
            .expect("the kiosk is let in")
            .0
    }

    /// `rekey --connect tls://… --cert … --key … --ca … ARGS`.
    fn rekey(&self, cert: &Path, key: &Path, args: &[&str]) -> std::process::Output {
        std::process::Command::new(rekey_binary())
            .arg("--connect")
            .arg(format!("tls://127.0.0.1:{}", self.port))
            .arg("--cert")
            .arg(cert)
            .arg("--key")
            .arg(key)
            .arg("--ca")
            .arg(&self.daemon_ca)
            .args(args)
            .env_remove("REKEY_SOCKET")
            .stdin(std::process::Stdio::null())
            .output()
            .expect("rekey runs")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_with_its_certificate_recovers_and_the_audit_names_it() {
    let site = site();
    let wizard = site.kiosk_wizard("kiosk-lobby-1").await;
    code_sent_on(&wizard, &slide(), "kiosk Lobby", ADA).await;

    // The trail names the certificate, where a socket peer has its uid.
    let out = site.daemon.operator(&["audit", "--json"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let trail = String::from_utf8_lossy(&out.stdout);
    let sent = trail
        .lines()
        .find(|l| l.contains("\"code_sent\""))
        .expect("a code_sent event");
    assert!(
        sent.contains("certificate kiosk-lobby-1 from 127.0.0.1:"),
        "{sent}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_without_a_good_certificate_is_refused() {
    let site = site();
    // From another CA.
    let stranger_ca = ca("somebody else");
    let (cert, key) = leaf(site.dir.path(), &stranger_ca, "kiosk-fake", &[], false);
    let refused = SocketService::dial(&site.dial(&cert, &key, &site.daemon_ca)).await;
    assert_refused(refused, "another CA's certificate");
    // Expired, from the right CA.
    let (cert, key) = site.kiosk("kiosk-old", true);
    let refused = SocketService::dial(&site.dial(&cert, &key, &site.daemon_ca)).await;
    assert_refused(refused, "an expired certificate");
    // None at all.
    let mut roots = rustls::RootCertStore::empty();
    for c in rustls::pki_types::pem::PemObject::pem_file_iter(&site.daemon_ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let bare = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let dial = Dial {
        addresses: vec![Address::Tls {
            host: "127.0.0.1".into(),
            port: site.port,
        }],
        tls: Some(Arc::new(bare)),
    };
    assert_refused(SocketService::dial(&dial).await, "no certificate");
    // A daemon whose certificate the wizard's CA did not sign is refused too.
    let (cert, key) = site.kiosk("kiosk-lobby-2", false);
    let wrong_ca = site.dir.path().join("stranger-ca.pem");
    std::fs::write(&wrong_ca, &stranger_ca.pem).unwrap();
    let refused = SocketService::dial(&site.dial(&cert, &key, &wrong_ca)).await;
    let said = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        said.contains("the TLS handshake failed") && said.contains("UnknownIssuer"),
        "the wizard took a daemon another CA signed: {said}"
    );
    // The daemon says why in its log, and serves on.
    let log = site.daemon.log_text();
    let refusals = log.matches("a TLS connection was refused").count();
    assert!(refusals >= 3, "{refusals} refusals logged: {log}");
    let (cert, key) = site.kiosk("kiosk-lobby-3", false);
    assert!(
        SocketService::dial(&site.dial(&cert, &key, &site.daemon_ca))
            .await
            .is_ok()
    );
}

/// The handshake turned the wizard away (the daemon's alert, or the link
/// closed after it), not anything else.
fn assert_refused<T>(answer: Result<T, rekey::service::socket::ConnectError>, what: &str) {
    let Err(e) = answer else {
        panic!("{what} was let in");
    };
    let said = e.to_string();
    assert!(
        said.contains("alert") || said.contains("closed the connection") || said.contains("reset"),
        "{what}: refused, but for another reason: {said}"
    );
}

/// A kiosk that has another kiosk's session id cannot go on with it: the
/// session's origin is the certificate it was opened with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kiosk_cannot_take_another_kiosks_session() {
    let site = site();
    let owner = site.kiosk_wizard("kiosk-lobby-1").await;
    let s = slid_on(&owner, &slide(), "kiosk Lobby", ADA).await;
    let other = site.kiosk_wizard("kiosk-lobby-2").await;
    other.take_over(&s, "kiosk Lobby");
    let answer = other.flow_status(&s).await;
    assert!(
        matches!(answer, Err(rekey::service::ServiceError::NoSession)),
        "{answer:?}"
    );
    let view = owner.request(&s).await.expect("the owner goes on");
    assert_eq!(view.stage, Stage::Requested);
}

#[test]
fn operators_over_tls_are_the_certificates_the_config_names() {
    let site = site();
    let (cert, key) = site.kiosk("kiosk-lobby-1", false);
    let out = site.rekey(&cert, &key, &["user", "list"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("operator commands over TLS are for the certificates tls.admins names")
            && said.contains("certificate kiosk-lobby-1"),
        "{said}"
    );
    let (cert, key) = site.kiosk("ops-laptop", false);
    let out = site.rekey(&cert, &key, &["user", "list"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(ADA));
    // The refusal is in the trail, with the kiosk's name.
    let out = site.daemon.operator(&["audit"], "");
    let trail = String::from_utf8_lossy(&out.stdout);
    assert!(trail.contains("certificate kiosk-lobby-1"), "{trail}");
}

/// README's `openssl` commands, as an operator pastes them (with the
/// daemon's name made `localhost`, where this test dials it): the
/// certificates they make let the kiosk in, and the daemon names it.
#[test]
fn the_readmes_openssl_commands_make_certificates_rekey_takes() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README");
    let from = readme
        .find("The certificates, with `openssl`")
        .expect("the section");
    let block = &readme[from..];
    let start = block.find("```\n").expect("a block") + 4;
    let end = start + block[start..].find("```").expect("its end");
    let script = block[start..end].replace("support1.example.com", "localhost");
    let dir = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(dir.path())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "the commands failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let at = |name: &str| dir.path().join(name);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    let config = format!(
        "{TEST_CONFIG}[tls]\ncert = \"{}\"\nkey = \"{}\"\nclient_ca = \"{}\"\nadmins = [\"kiosk-lobby-1\"]\n",
        at("daemon.pem").display(),
        at("daemon.key").display(),
        at("clients-ca.pem").display()
    );
    let root = dir.path().join("daemon");
    std::fs::create_dir_all(&root).expect("root");
    let listen = format!("127.0.0.1:{port}");
    let daemon = Daemon::start_with(&root, &root.join("data"), &config, &["--listen", &listen]);
    wait_for_port(port);
    daemon.add_user(ADA, "Ada", OLD_PASSWORD);
    let out = std::process::Command::new(rekey_binary())
        .arg("--connect")
        .arg(format!("tls://localhost:{port}"))
        .arg("--cert")
        .arg(at("kiosk.pem"))
        .arg("--key")
        .arg(at("kiosk.key"))
        .arg("--ca")
        .arg(at("daemon-ca.pem"))
        .args(["user", "list"])
        .env_remove("REKEY_SOCKET")
        .output()
        .expect("rekey runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(ADA));
}
