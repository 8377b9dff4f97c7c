//! Two instances on one PostgreSQL behind a real nginx that hands the
//! requests out in turn: a sign-in moves between them step by step and,
//! when one stops halfway, finishes on the other; a push answered through
//! one reaches the browser waiting on the other at once (`LISTEN`/`NOTIFY`);
//! lockout counts and used codes are shared.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aanmelden_api::{ErrorCode, PushChallenge, PushOutcome, PushStatus, Step};
use aanmelden_server::config::Config;
use aanmelden_server::store::Backend;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Browser, PASSWORD, TestApp, code, error_code, json, spawn_app_with};
use crate::load_generator::{approve, prepare_accounts};
use crate::nginx::Nginx;

const USER: &str = "testgebruiker@missingpiece.nl";
const OTHER: &str = "ander@missingpiece.nl";

fn configure(config: &mut Config) {
    config.trusted_proxies = "127.0.0.1".parse().unwrap();
    config.push_wait_s = 20;
}

/// The first instance on PostgreSQL, or `None` where there is none (the
/// helper says so loudly).
async fn on_postgres() -> Option<TestApp> {
    spawn_app_with(Backend::Postgres, configure).await
}

/// How many requests for `route` the instance at `address` has answered,
/// from its own `/metrics`, read straight from 127.0.0.2: 127.0.0.1 is
/// the proxy, which `/metrics` never answers.
async fn answered(address: SocketAddr, method: &str, route: &str) -> u64 {
    let monitoring = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().ok())
        .build()
        .unwrap();
    let text = monitoring
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let name = format!(
        "aanmelden_request_duration_seconds_count{{method=\"{method}\",route=\"/api/v1{route}\"}} "
    );
    text.lines()
        .find_map(|line| line.strip_prefix(&name))
        .map_or(0, |count| count.parse().unwrap())
}

/// Which of the two instances answered `route` since `before` was taken.
async fn who_answered(
    instances: [SocketAddr; 2],
    before: [u64; 2],
    method: &str,
    route: &str,
) -> usize {
    let mut now = [0; 2];
    for (i, address) in instances.iter().enumerate() {
        now[i] = answered(*address, method, route).await;
    }
    match (now[0] - before[0], now[1] - before[1]) {
        (1, 0) => 0,
        (0, 1) => 1,
        other => panic!("{method} {route}: answered {other:?} times by the two"),
    }
}

async fn counts(instances: [SocketAddr; 2], method: &str, route: &str) -> [u64; 2] {
    [
        answered(instances[0], method, route).await,
        answered(instances[1], method, route).await,
    ]
}

/// The password step, then the code step: signed in.
async fn password_then_code(app: &TestApp, browser: &Browser, secret: &str) {
    let step = browser.password(PASSWORD, None).await;
    assert_eq!(step.status(), StatusCode::OK);
    app.clock.advance(30);
    let signed_in = browser
        .post("/login/otp", &json!({ "code": code(secret, app.now()) }))
        .await;
    assert_eq!(signed_in.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_moves_between_the_instances_and_finishes_when_one_stops() {
    let Some(app) = on_postgres().await else {
        return;
    };
    let secret = app.user_with_device(USER).await;
    let (second, stop_second) = app.stoppable_instance().await;
    let instances = [app.address, second];
    let Some(nginx) = Nginx::balancing(&instances) else {
        return;
    };
    let browser = Browser::new(nginx.address);

    let identify = counts(instances, "POST", "/login/identify").await;
    let password = counts(instances, "POST", "/login/password").await;
    let otp = counts(instances, "POST", "/login/otp").await;
    assert_eq!(browser.identify(USER).await.status(), StatusCode::OK);
    password_then_code(&app, &browser, &secret).await;

    let first = who_answered(instances, identify, "POST", "/login/identify").await;
    let then = who_answered(instances, password, "POST", "/login/password").await;
    let last = who_answered(instances, otp, "POST", "/login/otp").await;
    assert_ne!(first, then, "identify and password on different instances");
    assert_eq!(first, last, "the code on the first again");
    assert_eq!(browser.get("/session").await.status(), StatusCode::OK);
    assert_eq!(browser.get("/session").await.status(), StatusCode::OK);

    // Halfway through the next sign-in, the second instance stops.
    let browser = Browser::new(nginx.address);
    assert_eq!(browser.identify(USER).await.status(), StatusCode::OK);
    stop_second.send(()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(second).is_ok() {
        assert!(
            Instant::now() < deadline,
            "the second instance did not stop"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    password_then_code(&app, &browser, &secret).await;
    assert_eq!(browser.get("/session").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_answered_through_one_instance_reaches_the_browser_waiting_on_the_other() {
    let Some(app) = on_postgres().await else {
        return;
    };
    let account = prepare_accounts(&app.state, 1, PASSWORD).await.remove(0);
    let second = app.second_instance().await;
    let browser = app.new_browser();
    assert_eq!(
        browser.sign_in_password(&account.username, PASSWORD).await,
        Step::Push
    );
    let challenge: PushChallenge = json(browser.post("/login/push", &()).await).await;

    let waiting = tokio::spawn({
        let browser = browser.clone();
        let id = challenge.id.clone();
        async move { browser.get(&format!("/login/push/{id}")).await }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.state.push_waits.count() == 0 {
        assert!(Instant::now() < deadline, "the browser never waited");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The phone's answer goes to the other instance.
    let answered = approve(
        &reqwest::Client::new(),
        &format!("http://{second}"),
        &account,
        &challenge.id,
        challenge.number,
        app.now(),
        "nonce-1",
    )
    .await;
    assert_eq!(answered.status(), StatusCode::NO_CONTENT);
    let since_answer = Instant::now();
    let outcome: PushOutcome = json(waiting.await.unwrap()).await;
    let took = since_answer.elapsed();

    assert_eq!(outcome.status, PushStatus::Approved);
    // Without the announcement the first instance would look in the
    // database after 10 s, or answer `pending` after 20 s.
    assert!(
        took < Duration::from_secs(5),
        "learnt it {took:?} after the answer: not announced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockout_counts_and_used_codes_are_shared() {
    let Some(app) = on_postgres().await else {
        return;
    };
    app.add_user(USER).await;
    let secret = app.user_with_device(OTHER).await;
    let second = app.second_instance().await;
    let Some(nginx) = Nginx::balancing(&[app.address, second]) else {
        return;
    };

    // Five wrong passwords, handed out over both instances in turn.
    let attacker = Browser::new(nginx.address);
    for _ in 0..5 {
        attacker.identify(USER).await;
        let refused = attacker.password("wrong password", None).await;
        assert_eq!(
            error_code(refused, StatusCode::UNAUTHORIZED).await,
            ErrorCode::InvalidCredentials
        );
    }
    for address in [app.address, second] {
        let browser = Browser::new(address);
        browser.identify(USER).await;
        assert_eq!(
            error_code(
                browser.password(PASSWORD, None).await,
                StatusCode::TOO_MANY_REQUESTS
            )
            .await,
            ErrorCode::Locked,
            "locked on {address} too"
        );
    }

    // A code used on one instance is refused on the other.
    app.clock.advance(30);
    let used = code(&secret, app.now());
    let first = Browser::new(app.address)
        .sign_in_with_code(OTHER, &used)
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    let replayed = Browser::new(second).sign_in_with_code(OTHER, &used).await;
    assert_eq!(
        error_code(replayed, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp
    );
}
