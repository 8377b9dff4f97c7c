//! Bounded resources: anonymous requests write no rows, the password-hash
//! queue, push challenges and waits have limits answered quickly with
//! `rate_limited` or `unavailable`, slow clients are cut off, and expired
//! rows are cleaned up.

use std::io::{Read, Write};
use std::time::Duration;

use aanmelden_api::{ErrorBody, ErrorCode, Step};
use aanmelden_server::config::Config;
use reqwest::StatusCode;

use crate::helpers::{Browser, PASSWORD, TestApp, code, error_code, json};

const USER: &str = "testgebruiker@missingpiece.nl";

fn configure(config: &mut Config) {
    config.password_concurrency = 1;
    config.password_queue = 2;
    config.push_max_open = 2;
    config.push_max_per_window = 4;
    config.push_max_waits_per_session = 1;
    config.push_wait_s = 2;
    config.header_read_timeout_s = 1;
    config.body_read_timeout_s = 1;
}

async fn a_flood_of_identify_requests_writes_no_session_rows(app: TestApp) {
    app.add_user(USER).await;
    let flood = app.new_browser();
    for i in 0..300 {
        let response = flood
            .identify(&format!("gebruiker{i}@missingpiece.nl"))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    assert_eq!(app.state.store.count_sessions().await.unwrap(), 0);
    assert_eq!(
        app.browser.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice,
        "the identified session in the cookie still leads on"
    );
    assert_eq!(app.state.store.count_sessions().await.unwrap(), 1);
}

async fn a_full_password_queue_answers_unavailable_at_once(app: TestApp) {
    let mut browsers = Vec::new();
    for i in 0..12 {
        let browser = app.new_browser();
        browser
            .identify(&format!("gebruiker{i}@missingpiece.nl"))
            .await;
        browsers.push(browser);
    }

    let responses =
        futures_util::future::join_all(browsers.iter().map(|b| b.password("wrong password", None)))
            .await;

    let mut busy = 0;
    for response in responses {
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(response.headers()["retry-after"], "1");
            let error = json::<ErrorBody>(response).await.error;
            assert_eq!(error.code, ErrorCode::Unavailable);
            busy += 1;
        } else {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
    }
    assert!(busy > 0, "12 hashes at once against a queue of 2");
    // A refusal for load is no failed attempt: nothing was guessed.
    let failures = app.state.store.audit_log(100).await.unwrap();
    let failures = failures
        .iter()
        .filter(|e| e.event == "login_failed")
        .count();
    assert_eq!(failures, 12 - busy);
}

/// A browser of USER's at the second factor.
async fn at_second_factor(app: &TestApp) -> Browser {
    let browser = app.new_browser();
    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);
    browser
}

async fn an_account_has_a_few_open_challenges_and_a_few_per_window(app: TestApp) {
    app.user_with_device(USER).await;
    let first = at_second_factor(&app).await;
    let second = at_second_factor(&app).await;
    let third = at_second_factor(&app).await;

    assert_eq!(
        first.post("/login/push", &()).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        second.post("/login/push", &()).await.status(),
        StatusCode::OK
    );
    let refused = third.post("/login/push", &()).await;
    assert_eq!(refused.headers()["retry-after"], "30");
    assert_eq!(
        error_code(refused, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::RateLimited
    );

    // Resending voids the session's own challenge: no more open, but
    // more sent within the window, and that has a limit too.
    assert_eq!(
        first.post("/login/push", &()).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        first.post("/login/push", &()).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        error_code(
            first.post("/login/push", &()).await,
            StatusCode::TOO_MANY_REQUESTS
        )
        .await,
        ErrorCode::RateLimited
    );
}

async fn a_session_holds_one_wait_for_a_push_answer(app: TestApp) {
    app.user_with_device(USER).await;
    let browser = at_second_factor(&app).await;
    let challenge: aanmelden_api::PushChallenge =
        json(browser.post("/login/push", &()).await).await;
    let path = format!("/login/push/{}", challenge.id);

    let (held, refused) = tokio::join!(browser.get(&path), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        browser.get(&path).await
    });

    assert_eq!(
        held.status(),
        StatusCode::OK,
        "the first wait runs its course"
    );
    assert_eq!(
        error_code(refused, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::RateLimited
    );
    assert_eq!(app.state.push_waits.count(), 0, "both places given back");
}

/// What the server does with a connection that sends `request` and then
/// nothing: the bytes it answers before it closes.
fn stalled_connection(app: &TestApp, request: &[u8]) -> Vec<u8> {
    let mut stream = std::net::TcpStream::connect(app.address).unwrap();
    // A bound for the test, far above the configured one second.
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .expect("the server closes the connection");
    answer
}

async fn slow_headers_and_bodies_are_cut_off(app: TestApp) {
    let headers = tokio::task::block_in_place(|| {
        stalled_connection(&app, b"GET /api/v1/branding HTTP/1.1\r\nHost: x\r\n")
    });
    assert!(headers.is_empty() || String::from_utf8_lossy(&headers).starts_with("HTTP/1.1 408"));

    let body = tokio::task::block_in_place(|| {
        stalled_connection(
            &app,
            b"POST /api/v1/login/identify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"user",
        )
    });
    let body = String::from_utf8_lossy(&body);
    assert!(body.starts_with("HTTP/1.1 4"), "{body}");
}

async fn a_slow_form_body_is_cut_off(app: TestApp) {
    let body = tokio::task::block_in_place(|| {
        stalled_connection(
            &app,
            b"POST /flow/identify HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=j",
        )
    });

    let body = String::from_utf8_lossy(&body);
    assert!(body.starts_with("HTTP/1.1 4"), "{body}");
}

async fn expired_rows_are_cleaned_up(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let browser = at_second_factor(&app).await;
    assert_eq!(
        browser.post("/login/push", &()).await.status(),
        StatusCode::OK
    );
    let failed = app.new_browser();
    failed.identify(USER).await;
    failed.password("wrong password", None).await;
    app.clock.advance(30);
    let signed_in = app.new_browser();
    let response = signed_in
        .sign_in_with_code(USER, &code(&secret, app.now()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let nothing_yet = app.state.clean_up().await.unwrap();
    assert_eq!(
        nothing_yet.sessions + nothing_yet.counters + nothing_yet.challenges,
        0
    );

    app.clock.advance(400 * 24 * 60 * 60);
    let dropped = app.state.clean_up().await.unwrap();

    assert!(dropped.sessions >= 2, "{dropped:?}");
    assert!(dropped.counters >= 1, "{dropped:?}");
    assert!(dropped.challenges >= 1, "{dropped:?}");
    assert!(dropped.origins >= 1, "{dropped:?}");
    assert!(dropped.audit >= 1, "{dropped:?}");
    assert_eq!(app.state.store.count_sessions().await.unwrap(), 0);
    assert!(app.state.store.audit_log(10).await.unwrap().is_empty());
}

crate::on_both_backends!(
    configured_by configure;
    a_flood_of_identify_requests_writes_no_session_rows,
    a_full_password_queue_answers_unavailable_at_once,
    an_account_has_a_few_open_challenges_and_a_few_per_window,
    a_session_holds_one_wait_for_a_push_answer,
    slow_headers_and_bodies_are_cut_off,
    a_slow_form_body_is_cut_off,
    expired_rows_are_cleaned_up,
);
