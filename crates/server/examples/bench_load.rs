//! Part of `cargo xtask bench`: the server under load, argon2id alone, and
//! push answers within one instance and across two.
//!
//! `cargo build --release -p aanmelden-server && cargo run --release -p
//! aanmelden-server --example bench_load -- [CONCURRENCY] [SECONDS]`
//! (defaults 200 and 10). PostgreSQL is measured too when
//! `TEST_POSTGRES_URL` names a server where databases may be created.
//!
//! The load: CONCURRENCY browsers, each signing in again and again
//! (identify, password, code, session, log off) with a fresh account, for
//! SECONDS, against the release server running as a process of its own
//! (so that its peak memory can be read). The load generator runs on the
//! same machine and takes its share of the cores.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]
// Counts and rates turned into figures to print, not exact arithmetic.
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::cast_precision_loss
)]

#[path = "../tests/api/load_generator.rs"]
#[allow(dead_code)]
mod load_generator;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aanmelden_api::{PushChallenge, SessionInfo};
use aanmelden_server::AppState;
use aanmelden_server::clock::{Clock, SystemClock};
use aanmelden_server::config::Config;
use aanmelden_server::domain::passwords::Passwords;
use aanmelden_server::domain::secrets::SecretString;
use aanmelden_server::listener;
use sqlx::Connection;

use crate::load_generator::{Account, Report, STEPS, approve, prepare_accounts, run};

const PASSWORD: &str = "correct horse battery staple";
/// Push answers timed per setting.
const PUSH_RUNS: usize = 30;
/// Requests of the verification endpoint under way at once, and for how long.
const VERIFY_BROWSERS: usize = 50;
const VERIFY_S: u64 = 5;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let concurrency: usize = args.next().map_or(200, |a| a.parse().expect("CONCURRENCY"));
    let seconds: u64 = args.next().map_or(10, |a| a.parse().expect("SECONDS"));
    let postgres = std::env::var("TEST_POSTGRES_URL").ok();
    let cores = std::thread::available_parallelism().map_or(2, usize::from);

    println!("## argon2id alone");
    let alone = argon2_per_second(cores).await;
    println!(
        "{alone:.1} password checks/s on {cores} threads (the server's parameters and concurrency)\n"
    );

    println!("## API under load: {concurrency} browsers for {seconds} s");
    println!("backend     sign-ins/s  password step vs argon2 alone  errors  peak RSS");
    // Enough accounts that they do not run out (each signs in once).
    let accounts = (alone * seconds as f64 * 1.5) as usize + concurrency;
    let mut reports = Vec::new();
    let sqlite = under_load(Backend::Sqlite, accounts, concurrency, seconds).await;
    reports.push(("SQLite", sqlite));
    if let Some(url) = &postgres {
        let database = Database::create(url).await;
        let report = under_load(
            Backend::Postgres(database.url.clone()),
            accounts,
            concurrency,
            seconds,
        )
        .await;
        reports.push(("PostgreSQL", report));
        database.drop().await;
    } else {
        println!("PostgreSQL  SKIPPED: TEST_POSTGRES_URL is not set");
    }
    for (name, (report, rss_kb)) in &reports {
        println!(
            "{name:<11} {:>10.1}  {:>28.0} %  {:>6}  {:>5} MB",
            report.per_second(),
            100.0 * report.per_second() / alone,
            report.errors,
            rss_kb / 1024,
        );
        if !report.first_errors.is_empty() {
            println!("            first errors: {:?}", report.first_errors);
        }
    }
    println!("\nper step, p50 / p99 (ms):");
    print!("{:<11}", "backend");
    for step in STEPS {
        print!(" {step:>17}");
    }
    println!();
    for (name, (report, _)) in &reports {
        print!("{name:<11}");
        for step in 0..STEPS.len() {
            print!(
                " {:>8.2} / {:>6.2}",
                ms(report.percentile(step, 500)),
                ms(report.percentile(step, 990))
            );
        }
        println!();
    }

    println!(
        "\n## /api/v1/auth/verify: {VERIFY_BROWSERS} reverse-proxy requests at once for {VERIFY_S} s (SQLite)"
    );
    let (per_second, times) = verify_load().await;
    println!("{per_second:.0} answers/s");
    print_times("p50 / p99", &times);

    println!("\n## push: the phone's answer -> the waiting browser's answer, {PUSH_RUNS} sign-ins");
    println!("setting                             median    p99");
    let one = push_answers(None, false).await;
    print_times("SQLite, one instance", &one);
    if let Some(url) = &postgres {
        for (name, across) in [
            ("PostgreSQL, one instance", false),
            ("PostgreSQL, answered via another", true),
        ] {
            let database = Database::create(url).await;
            print_times(
                name,
                &push_answers(Some(database.url.clone()), across).await,
            );
            database.drop().await;
        }
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn print_times(name: &str, times: &[Duration]) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let at = |per_mille: usize| {
        let rank = (per_mille * sorted.len()).div_ceil(1000).max(1);
        sorted[rank.min(sorted.len()) - 1]
    };
    println!("{name:<34} {:>6.1} ms {:>6.1} ms", ms(at(500)), ms(at(990)));
}

/// Password checks per second with every core busy, as the server checks
/// them (its argon2id parameters, one check per core at a time).
async fn argon2_per_second(cores: usize) -> f64 {
    let passwords = Arc::new(Passwords::new(cores, usize::MAX / 2).unwrap());
    let password = SecretString::new(PASSWORD.to_owned());
    let hash: Arc<str> = passwords.hash(&password).await.unwrap().into();
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let until = started + Duration::from_secs(5);
    let workers: Vec<_> = (0..cores * 2)
        .map(|_| {
            let (passwords, hash, done, password) = (
                Arc::clone(&passwords),
                Arc::clone(&hash),
                Arc::clone(&done),
                password.clone(),
            );
            tokio::spawn(async move {
                while Instant::now() < until {
                    assert!(passwords.verify(Some(&hash), &password).await.unwrap());
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

enum Backend {
    Sqlite,
    Postgres(String),
}

/// The release server as a process of its own, loaded; the report and its
/// peak resident memory in kB.
async fn under_load(
    backend: Backend,
    accounts: usize,
    concurrency: usize,
    seconds: u64,
) -> (Report, u64) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        ),
        Backend::Postgres(url) => url,
    };
    let config = Config {
        data_dir: dir.path().join("data"),
        database_url: Some(url.clone()),
        demo_user: false,
        ..Config::default()
    };
    // The accounts go in first, with the key the server will find.
    let state = AppState::open(config.clone(), Arc::new(SystemClock))
        .await
        .unwrap();
    let accounts = prepare_accounts(&state, accounts, PASSWORD).await;
    state.store.close().await;
    drop(state);

    let address = free_address();
    let mut server = Command::new(server_binary())
        .arg("serve")
        .env("AANMELDEN_DATA_DIR", &config.data_dir)
        .env("AANMELDEN_DATABASE_URL", &url)
        .env("AANMELDEN_LISTEN", address.to_string())
        .env("AANMELDEN_SPA_DIR", dir.path().join("no-portal"))
        // Every browser may be at the password step at once.
        .env("AANMELDEN_PASSWORD_QUEUE", concurrency.max(64).to_string())
        // The browsers are clients of their own behind a proxy here.
        .env("AANMELDEN_TRUSTED_PROXIES", "127.0.0.1")
        .env("RUST_LOG", "error")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the release server: cargo build --release -p aanmelden-server");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(address).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let report = run(
        &format!("http://{address}"),
        accounts,
        PASSWORD,
        concurrency,
        Duration::from_secs(seconds),
        Arc::new(|| SystemClock.now()),
    )
    .await;
    let rss = peak_rss_kb(server.id());
    let _ = server.kill();
    let _ = server.wait();
    (report, rss)
}

fn server_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        PathBuf::from,
    );
    target.join("release/aanmelden")
}

fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
}

/// `VmHWM` of process `pid`: its peak resident memory.
fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The time from the phone's answer (its request returned) to the answer
/// of the browser's waiting request, over [`PUSH_RUNS`] sign-ins, with the
/// servers in this process. `across`: the browser waits on one instance and
/// the phone answers through another (same database).
async fn push_answers(postgres: Option<String>, across: bool) -> Vec<Duration> {
    let dir = tempfile::tempdir().unwrap();
    let url = postgres
        .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", dir.path().join("push.db").display()));
    let config = Config {
        data_dir: dir.path().join("data"),
        database_url: Some(url),
        demo_user: false,
        ..Config::default()
    };
    let first = AppState::open(config.clone(), Arc::new(SystemClock))
        .await
        .unwrap();
    let accounts = prepare_accounts(&first, PUSH_RUNS, PASSWORD).await;
    let browser_side = serve(first.clone()).await;
    let phone_side = if across {
        serve(AppState::open(config, Arc::new(SystemClock)).await.unwrap()).await
    } else {
        browser_side
    };
    let phone = reqwest::Client::new();
    let mut times = Vec::with_capacity(PUSH_RUNS);
    for (i, account) in accounts.iter().enumerate() {
        times.push(one_push(&first, browser_side, phone_side, &phone, account, i).await);
    }
    times
}

async fn one_push(
    state: &AppState,
    browser_side: SocketAddr,
    phone_side: SocketAddr,
    phone: &reqwest::Client,
    account: &Account,
    run: usize,
) -> Duration {
    let base = format!("http://{browser_side}/api/v1");
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let post = |path: &str, body: serde_json::Value| {
        browser.post(format!("{base}{path}")).json(&body).send()
    };
    post(
        "/login/identify",
        serde_json::json!({ "username": account.username }),
    )
    .await
    .unwrap();
    post(
        "/login/password",
        serde_json::json!({ "password": PASSWORD }),
    )
    .await
    .unwrap();
    let challenge: PushChallenge = post("/login/push", serde_json::Value::Null)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let waiting = tokio::spawn({
        let (browser, url) = (
            browser.clone(),
            format!("{base}/login/push/{}", challenge.id),
        );
        async move {
            let response = browser.get(url).send().await.unwrap();
            let answered_at = Instant::now();
            assert!(response.status().is_success(), "{response:?}");
            answered_at
        }
    });
    while state.push_waits.count() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let answered = approve(
        phone,
        &format!("http://{phone_side}"),
        account,
        &challenge.id,
        challenge.number,
        SystemClock.now(),
        &format!("bench-{run}"),
    )
    .await;
    let approved_at = Instant::now();
    assert!(answered.status().is_success(), "{answered:?}");
    let learned_at = waiting.await.unwrap();
    let session: SessionInfo = browser
        .get(format!("{base}/session"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session.username, account.username);
    learned_at.saturating_duration_since(approved_at)
}

/// A signed-in browser's cookie, asked about by `VERIFY_BROWSERS` proxy
/// requests at once for `VERIFY_S` seconds, against the server in this
/// process: answers per second, and every answer's time.
async fn verify_load() -> (f64, Vec<Duration>) {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().join("data"),
        database_url: Some(format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("verify.db").display()
        )),
        demo_user: false,
        ..Config::default()
    };
    let state = AppState::open(config, Arc::new(SystemClock)).await.unwrap();
    let account = prepare_accounts(&state, 1, PASSWORD).await.remove(0);
    let base = format!("http://{}/api/v1", serve(state).await);
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    for (path, body) in [
        (
            "/login/identify",
            serde_json::json!({ "username": account.username }),
        ),
        (
            "/login/password",
            serde_json::json!({
                "password": PASSWORD,
                "otp": aanmelden_server::domain::totp::code_at_step(
                    &account.secret,
                    aanmelden_server::domain::totp::step_at(SystemClock.now()),
                ),
            }),
        ),
    ] {
        let response = browser
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}: {response:?}");
    }
    let until = Instant::now() + Duration::from_secs(VERIFY_S);
    let started = Instant::now();
    let proxies: Vec<_> = (0..VERIFY_BROWSERS)
        .map(|_| {
            let (browser, url) = (browser.clone(), format!("{base}/auth/verify"));
            tokio::spawn(async move {
                let mut times = Vec::new();
                while Instant::now() < until {
                    let asked = Instant::now();
                    let response = browser.get(&url).send().await.unwrap();
                    assert_eq!(response.status(), reqwest::StatusCode::OK);
                    times.push(asked.elapsed());
                }
                times
            })
        })
        .collect();
    let mut times = Vec::new();
    for proxy in proxies {
        times.extend(proxy.await.unwrap());
    }
    let per_second = times.len() as f64 / started.elapsed().as_secs_f64();
    (per_second, times)
}

async fn serve(state: AppState) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(listener::serve(listener, state, std::future::pending()));
    address
}

/// A database of its own on the PostgreSQL server, dropped afterwards.
struct Database {
    admin_url: String,
    name: String,
    url: String,
}

impl Database {
    async fn create(admin_url: &str) -> Self {
        let name = format!("aanmelden_bench_{}", std::process::id());
        let mut admin = sqlx::PgConnection::connect(admin_url).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let base = admin_url
            .split('?')
            .next()
            .and_then(|url| url.rsplit_once('/'))
            .map_or(admin_url, |(base, _)| base);
        Self {
            admin_url: admin_url.to_owned(),
            url: format!("{base}/{name}"),
            name,
        }
    }

    async fn drop(self) {
        let mut admin = sqlx::PgConnection::connect(&self.admin_url).await.unwrap();
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await
        .unwrap();
    }
}
