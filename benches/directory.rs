//! Directory figures, through the real `rekey serve` over its Unix socket
//! on a slapd of the bench's own (ppolicy on, as in the tests): how long
//! the steps that reach the directory take (Request finds the account,
//! `user verify` finds and binds, Set password finds, changes and reads the
//! change stamps), and one whole flow, each next to the same on rekey's own
//! sled accounts. Then the same three directory calls in process, to
//! explain the socket figures. Run with `cargo bench --bench directory`.
//!
//! One client at a time: these are latencies, not throughput. The reply
//! floor is 0 here, so that it does not hide the directory's share.

mod support;
use support::percentile_ms;

#[path = "../tests/common/mod.rs"]
mod common;
use common::daemon::{Daemon, wait_for_code};
use common::ldap::{slapd_settings, slapd_toml};
use common::secret;
use common::slapd::Slapd;
use common::{NEW_PASSWORD, OLD_PASSWORD, operator};
use rekey::directory::{Account, Directory, Password};
use rekey::operator::OperatorCommand;
use rekey::recovery::{EmailAddress, SystemClock};
use rekey::service::{RecoveryService, SocketService};
use std::sync::Arc;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

const FLOWS: usize = 40;
const VERIFIES: usize = 100;
const CONFIG: &str = "[service]\nreply_floor_ms = 0\n[codes]\nresend_cooldown_secs = 0\n\
                      [daemon]\norigin_requests_per_sec = 100000\nconnections_per_origin = 100000\nrequests_per_sec = 100000\n";

#[derive(Default)]
struct Steps {
    request: Vec<Duration>,
    set_password: Vec<Duration>,
    /// Every step of a flow, without the wait for the mail.
    flow: Vec<Duration>,
    verify: Vec<Duration>,
}

fn main() {
    println!("rekey directory benchmark: `rekey serve` over its Unix socket, one client,");
    println!("{FLOWS} flows and {VERIFIES} `user verify` per directory; wall-clock times.");
    let Some(slapd) = Slapd::start() else {
        println!("no slapd here: install slapd and ldap-utils");
        return;
    };
    let people: Vec<String> = (0..FLOWS).map(|i| format!("p{i}@example.com")).collect();
    for (i, address) in people.iter().enumerate() {
        slapd.add_person(
            &format!("p{i}"),
            address,
            &format!("Person {i}"),
            OLD_PASSWORD,
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");

    let sled_root = tempfile::tempdir().expect("temp dir");
    let data = sled_root.path().join("data");
    for address in &people {
        let out = operator(
            &data,
            &["user", "add", address],
            &format!("{OLD_PASSWORD}\n"),
        );
        assert!(out.status.success(), "user add {address}");
    }
    let sled = Daemon::start(sled_root.path(), CONFIG);
    let on_sled = runtime.block_on(steps(&sled, &people));
    drop(sled);

    let ldap_root = tempfile::tempdir().expect("temp dir");
    let ldap = Daemon::start(ldap_root.path(), &format!("{CONFIG}{}", slapd_toml(&slapd)));
    let on_ldap = runtime.block_on(steps(&ldap, &people));
    drop(ldap);

    println!();
    println!("| step, through the daemon | sled p50 | sled p99 | ldap p50 | ldap p99 |");
    println!("|---|---|---|---|---|");
    let row = |what: &str, sled: &[Duration], ldap: &[Duration]| {
        let (sled, ldap) = (sorted(sled), sorted(ldap));
        let (sled, ldap) = (sled.as_slice(), ldap.as_slice());
        println!(
            "| {what} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
            percentile_ms(sled, 50.0),
            percentile_ms(sled, 99.0),
            percentile_ms(ldap, 50.0),
            percentile_ms(ldap, 99.0)
        );
    };
    row(
        "Request (finds the account)",
        &on_sled.request,
        &on_ldap.request,
    );
    row(
        "Set password (find, change, stamps, audit)",
        &on_sled.set_password,
        &on_ldap.set_password,
    );
    row(
        "`user verify` (find, then argon2 or a bind)",
        &on_sled.verify,
        &on_ldap.verify,
    );
    row(
        "a whole flow, without the mail's wait",
        &on_sled.flow,
        &on_ldap.flow,
    );

    runtime.block_on(in_process(&slapd));
}

async fn steps(daemon: &Daemon, people: &[String]) -> Steps {
    let (service, _) = SocketService::connect(&daemon.socket)
        .await
        .expect("the daemon answers");
    let mut steps = Steps::default();
    for (i, address) in people.iter().enumerate() {
        let started = Instant::now();
        let s = service.open_session("bench", "en").await.expect("session");
        service.submit_address(&s, address).await.expect("address");
        let slide = common::human_slide(&rekey::recovery::SlideRules::default());
        service.check_slide(&s, &slide).await.expect("slide");
        let before_request = Instant::now();
        service.request(&s).await.expect("request");
        steps.request.push(before_request.elapsed());
        service.choose_email(&s).await.expect("email");
        service.send_code(&s).await.expect("code");
        let until_mail = started.elapsed();
        let (dir, to) = (daemon.mail_dir(), address.clone());
        let code = tokio::task::spawn_blocking(move || wait_for_code(&dir, &to, 1))
            .await
            .expect("mail read");
        let after_mail = Instant::now();
        service
            .confirm_code(&s, &secret(&code))
            .await
            .expect("confirmed");
        let password = format!("{NEW_PASSWORD} number {i}");
        let before_set = Instant::now();
        service
            .set_password(&s, &secret(&password), &secret(&password))
            .await
            .expect("set");
        steps.set_password.push(before_set.elapsed());
        service.close_session(&s).await.expect("closed");
        steps.flow.push(until_mail + after_mail.elapsed());
    }
    for n in 0..VERIFIES {
        let address = &people[n % people.len()];
        let command = OperatorCommand::UserVerify {
            email: address.clone(),
            password: Zeroizing::new(format!("{NEW_PASSWORD} number {}", n % people.len())),
        };
        let started = Instant::now();
        let answer = service.operator(command).await.expect("answered");
        steps.verify.push(started.elapsed());
        assert!(answer.is_ok(), "{address}: {answer:?}");
    }
    steps
}

/// The LDAP directory's own calls, in this process, on the same slapd.
async fn in_process(slapd: &Slapd) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = rekey::store::Store::open(dir.path()).expect("store");
    let config = rekey::config::Config::default();
    let directory: Arc<dyn Directory> = rekey::directory::build(
        &slapd_settings(slapd),
        &store,
        Arc::new(SystemClock),
        config.hash_cost(),
    )
    .expect("directory");
    let address = EmailAddress::parse("p0@example.com").expect("address");
    let account: Account = directory
        .find(&address)
        .await
        .expect("find")
        .expect("found");
    let (mut find, mut verify, mut change) = (Vec::new(), Vec::new(), Vec::new());
    let mut current = format!("{NEW_PASSWORD} number 0");
    for n in 0..FLOWS {
        let t = Instant::now();
        directory.find(&address).await.expect("find");
        find.push(t.elapsed());
        let t = Instant::now();
        let right = directory
            .verify_password(&account, &Password::from(current.clone()))
            .await
            .expect("verify");
        verify.push(t.elapsed());
        assert!(right);
        let next = format!("{NEW_PASSWORD} again {n}");
        let t = Instant::now();
        directory
            .change_password(&account, &Password::from(next.clone()))
            .await
            .expect("change");
        change.push(t.elapsed());
        current = next;
    }
    println!();
    println!("| LdapDirectory in process, same slapd | p50 | p99 |");
    println!("|---|---|---|");
    for (what, times) in [
        ("find (one search, held connection)", &find),
        ("verify (new connection and bind)", &verify),
        ("change (Password Modify, then the lock check)", &change),
    ] {
        let times = sorted(times);
        println!(
            "| {what} | {:.2} ms | {:.2} ms |",
            percentile_ms(&times, 50.0),
            percentile_ms(&times, 99.0)
        );
    }
}

fn sorted(times: &[Duration]) -> Vec<Duration> {
    let mut times = times.to_vec();
    times.sort();
    times
}
