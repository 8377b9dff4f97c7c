//! Part of `cargo xtask bench`: what the company directory adds to a
//! sign-in, against Debian's slapd on this machine.
//!
//! `cargo run --release -p aanmelden-server --example bench_directory --
//! [RUNS]` (default 200). The password step (`POST /login/password`, after
//! identify) of a local user (argon2id) and of a directory user (the
//! service account's bind and search, the user's bind, the groups read
//! again as the service account, one connection each time), timed one
//! after the other; and a directory user's wrong password beside a name
//! the directory does not have, which should take as long.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]
// Durations turned into figures to print.
#![allow(clippy::cast_precision_loss)]

#[path = "../tests/api/slapd.rs"]
#[allow(dead_code)]
mod slapd;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aanmelden_server::AppState;
use aanmelden_server::clock::{Clock, SystemClock};
use aanmelden_server::config::{AccountSource, Config};
use aanmelden_server::domain::passwords::Passwords;
use aanmelden_server::domain::secrets::SecretString;
use aanmelden_server::listener;

use crate::slapd::{GROUPS, PEOPLE, SERVICE_DN, SERVICE_PASSWORD, Slapd};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::main]
async fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map_or(200, |runs| runs.parse().expect("RUNS"));
    let Some(slapd) = Slapd::with(
        &[("jan", "jan@example.test", "Jan Jansen", PASSWORD)],
        &[("finance", &["jan"]), ("staff", &["group:finance"])],
    ) else {
        println!("slapd is not installed here: nothing measured");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        spa_dir: dir.path().join("dist"),
        demo_user: false,
        accounts: AccountSource::DirectoryThenLocal,
        directory_url: Some(slapd.url.clone()),
        directory_base_dn: Some(PEOPLE.to_owned()),
        directory_groups_base_dn: Some(GROUPS.to_owned()),
        directory_bind_dn: Some(SERVICE_DN.to_owned()),
        directory_bind_password: Some(SecretString::new(SERVICE_PASSWORD.to_owned())),
        // Hundreds of wrong passwords from this one address, on purpose.
        lockout_threshold: i64::MAX,
        lockout_account_threshold: i64::MAX,
        lockout_address_threshold: i64::MAX,
        unknown_name_budget: i64::MAX,
        ..Config::default()
    };
    let state = AppState::open(config, Arc::new(SystemClock)).await.unwrap();
    let hash = Passwords::new(1, 1)
        .unwrap()
        .hash(&SecretString::new(PASSWORD.to_owned()))
        .await
        .unwrap();
    state
        .store
        .create_user("admin@local.test", &hash, SystemClock.now())
        .await
        .unwrap();
    let address = serve(state).await;

    println!(
        "The password step, {runs} times each, one after the other, on 127.0.0.1 \
         (slapd on the same machine):\n"
    );
    println!("| password step | p50 | p99 |\n|---|---:|---:|");
    let local = timed(address, runs, "admin@local.test", PASSWORD, 200).await;
    row("local user (argon2id)", &local);
    let directory = timed(address, runs, "jan", PASSWORD, 200).await;
    row("directory user, right password", &directory);
    let wrong = timed(address, runs, "jan", "wrong", 401).await;
    row("directory user, wrong password", &wrong);
    let unknown = timed(address, runs, "niemand", "wrong", 401).await;
    row("a name the directory does not have", &unknown);
    println!(
        "\nThe directory instead of argon2id: {:+.1} ms at p50, {:+.1} ms at p99.",
        ms(percentile(&directory, 50)) - ms(percentile(&local, 50)),
        ms(percentile(&directory, 99)) - ms(percentile(&local, 99)),
    );
}

/// `runs` password steps of `name` with `password`, each after its own
/// identify, each answered `status`; how long each took.
async fn timed(
    address: SocketAddr,
    runs: usize,
    name: &str,
    password: &str,
    status: u16,
) -> Vec<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap();
        let identified = browser
            .post(format!("http://{address}/api/v1/login/identify"))
            .json(&serde_json::json!({ "username": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(identified.status(), 200);
        let started = Instant::now();
        let answered = browser
            .post(format!("http://{address}/api/v1/login/password"))
            .json(&serde_json::json!({ "password": password }))
            .send()
            .await
            .unwrap();
        times.push(started.elapsed());
        assert_eq!(answered.status(), status, "{name}");
    }
    times
}

fn row(what: &str, times: &[Duration]) {
    println!(
        "| {what} | {:.1} ms | {:.1} ms |",
        ms(percentile(times, 50)),
        ms(percentile(times, 99))
    );
}

fn percentile(times: &[Duration], p: usize) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

async fn serve(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(listener::serve(listener, state, std::future::pending()));
    address
}
