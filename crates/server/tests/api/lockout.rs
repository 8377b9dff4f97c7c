//! Failed passwords and codes lock the account for the origin they come
//! from, the account for unfamiliar origins, and a noisy origin; parallel
//! guesses never get more verified than a threshold allows.

use aanmelden_api::{ErrorBody, ErrorCode, Step, StepResponse};
use aanmelden_server::config::Config;
use reqwest::StatusCode;

use crate::helpers::{Browser, PASSWORD, TestApp, code, error_code, json};

/// Requests from 127.0.0.1 are from a trusted proxy, so each test browser
/// can stand at an address of its own.
fn configure(config: &mut Config) {
    config.trusted_proxies = "127.0.0.1".parse().unwrap();
    config.password_concurrency = 2;
}

const USER: &str = "testgebruiker@missingpiece.nl";

async fn fail_passwords(app: &TestApp, user: &str, times: usize) {
    for _ in 0..times {
        let browser = app.new_browser();
        browser.identify(user).await;
        let response = browser.password("wrong password", None).await;
        assert_eq!(
            error_code(response, StatusCode::UNAUTHORIZED).await,
            ErrorCode::InvalidCredentials
        );
    }
}

/// A password typed into the user-name field is counted like any name,
/// but the database holds only its tag.
async fn the_counters_keep_no_typed_name(app: TestApp) {
    const TYPED: &str = "Mijn-Geheime-Wachtwoord-42";
    app.add_user(USER).await;
    fail_passwords(&app, TYPED, 5).await;
    fail_passwords(&app, USER, 2).await;

    let stored = app.state.store.counter_keys().await.unwrap();

    assert!(stored.len() >= 4, "counted: {stored:?}");
    for (key, account) in &stored {
        for text in [TYPED, USER, "missingpiece"] {
            assert!(!key.contains(text), "{key}");
            assert!(
                !account.as_deref().unwrap_or("").contains(text),
                "{account:?}"
            );
        }
    }
    app.browser.identify(TYPED).await;
    let locked = app.browser.password("anything", None).await;
    assert_eq!(
        locked.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "still counted"
    );
}

async fn five_wrong_passwords_lock_the_account_for_a_while(app: TestApp) {
    app.add_user(USER).await;
    fail_passwords(&app, USER, 5).await;

    app.browser.identify(USER).await;
    let locked = app.browser.password(PASSWORD, None).await;

    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.headers()["retry-after"], "900");
    let error = json::<ErrorBody>(locked).await.error;
    assert_eq!(error.code, ErrorCode::Locked);
    assert_eq!(error.retry_after_s, Some(900));
    assert!(
        app.state
            .store
            .audit_log(50)
            .await
            .unwrap()
            .iter()
            .any(|e| e.event == "locked")
    );

    app.clock.advance(901);
    assert_eq!(
        app.browser.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
}

async fn unknown_users_lock_alike(app: TestApp) {
    let stranger = "niemand@missingpiece.nl";
    fail_passwords(&app, stranger, 5).await;

    app.browser.identify(stranger).await;
    let locked = app.browser.password(PASSWORD, None).await;

    assert_eq!(
        error_code(locked, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::Locked
    );
}

async fn wrong_codes_lock_the_account(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let right = code(&secret, app.now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let browser = app.new_browser();
    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);
    for _ in 0..5 {
        let response = browser
            .post("/login/otp", &serde_json::json!({ "code": wrong }))
            .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    let locked = browser
        .post("/login/otp", &serde_json::json!({ "code": right }))
        .await;

    assert_eq!(
        error_code(locked, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::Locked
    );
}

async fn many_failures_from_one_address_lock_the_address(app: TestApp) {
    let threshold = app.state.config.lockout_address_threshold;
    for i in 0..threshold {
        fail_passwords(&app, &format!("gebruiker{i}@missingpiece.nl"), 1).await;
    }
    app.add_user(USER).await;

    app.browser.identify(USER).await;
    let locked = app.browser.password(PASSWORD, None).await;

    assert_eq!(
        error_code(locked, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::Locked
    );
}

async fn unlocking_lifts_the_lock(app: TestApp) {
    app.add_user(USER).await;
    fail_passwords(&app, USER, 5).await;

    // What `aanmelden user unlock` does.
    assert!(app.state.unlock_account(USER).await.unwrap());

    assert_eq!(
        app.browser.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
}

/// The right password from `browser` is refused: the account is locked there.
async fn assert_locked_out(browser: &Browser, user: &str, why: &str) {
    browser.identify(user).await;
    let response = browser.password(PASSWORD, None).await;
    assert_eq!(
        error_code(response, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::Locked,
        "{why}"
    );
}

/// USER signs in from `client` with password and code; the step reached.
async fn sign_in_from(app: &TestApp, client: &str, secret: &str) -> Step {
    app.clock.advance(30);
    let browser = app.browser_at(client);
    browser.identify(USER).await;
    let response = browser
        .password(PASSWORD, Some(&code(secret, app.now())))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    json::<StepResponse>(response).await.next
}

/// A code other than the right one now.
fn wrong_code(secret: &str, now: i64) -> &'static str {
    if code(secret, now) == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// What the server answered to each of `responses`, as (verified and
/// wrong, refused without a check).
async fn tally(responses: Vec<reqwest::Response>, wrong: ErrorCode) -> (usize, usize) {
    let mut verified = 0;
    let mut refused = 0;
    for response in responses {
        let status = response.status();
        let code = json::<ErrorBody>(response).await.error.code;
        if code == wrong {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            verified += 1;
        } else {
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{code:?}");
            assert!(
                matches!(code, ErrorCode::Locked | ErrorCode::RateLimited),
                "{code:?}"
            );
            refused += 1;
        }
    }
    (verified, refused)
}

/// `n` browsers at `client`, each identified as `user`.
async fn identified(app: &TestApp, user: &str, client: &str, n: usize) -> Vec<Browser> {
    let browsers: Vec<Browser> = (0..n).map(|_| app.browser_at(client)).collect();
    for browser in &browsers {
        assert_eq!(browser.identify(user).await.status(), StatusCode::OK);
    }
    browsers
}

const PARALLEL: usize = 40;

async fn parallel_wrong_passwords_get_no_more_than_the_threshold_verified(app: TestApp) {
    app.add_user(USER).await;
    let browsers = identified(&app, USER, "198.51.100.7", PARALLEL).await;

    let responses = futures_all(browsers.iter().map(|b| b.password("wrong password", None))).await;

    let (verified, refused) = tally(responses, ErrorCode::InvalidCredentials).await;
    eprintln!("{PARALLEL} parallel wrong passwords: {verified} verified, {refused} refused");
    let threshold = usize::try_from(app.state.config.lockout_threshold).unwrap();
    assert!(verified <= threshold, "{verified} verified");
    assert_eq!(verified + refused, PARALLEL);
    let failures = app
        .state
        .store
        .audit_log(500)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event == "login_failed")
        .count();
    assert_eq!(failures, verified);
    assert_locked_out(
        &app.browser_at("198.51.100.7"),
        USER,
        "the account is locked from there now, right password or not",
    )
    .await;
}

async fn parallel_wrong_passwords_on_two_instances_get_no_more_verified(app: TestApp) {
    app.add_user(USER).await;
    let second = app.second_instance().await;
    let browsers = identified(&app, USER, "198.51.100.7", PARALLEL).await;
    // Half of them go through the other instance.
    let browsers: Vec<Browser> = browsers
        .into_iter()
        .enumerate()
        .map(|(i, b)| if i % 2 == 0 { b } else { b.at_instance(second) })
        .collect();

    let responses = futures_all(browsers.iter().map(|b| b.password("wrong password", None))).await;

    let (verified, _) = tally(responses, ErrorCode::InvalidCredentials).await;
    eprintln!("{PARALLEL} parallel wrong passwords on two instances: {verified} verified");
    assert!(verified <= usize::try_from(app.state.config.lockout_threshold).unwrap());
}

async fn parallel_wrong_codes_get_no_more_than_the_threshold_verified(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let wrong = wrong_code(&secret, app.now());
    let browsers = identified(&app, USER, "198.51.100.7", PARALLEL).await;
    for browser in &browsers {
        let response = browser.password(PASSWORD, None).await;
        assert_eq!(json::<StepResponse>(response).await.next, Step::Push);
    }

    let body = serde_json::json!({ "code": wrong });
    let responses = futures_all(browsers.iter().map(|b| b.post("/login/otp", &body))).await;

    let (verified, refused) = tally(responses, ErrorCode::InvalidOtp).await;
    eprintln!("{PARALLEL} parallel wrong codes: {verified} verified, {refused} refused");
    assert!(verified <= usize::try_from(app.state.config.lockout_threshold).unwrap());
}

async fn an_attacker_elsewhere_does_not_lock_the_user_out(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let attacker = "203.0.113.66";
    let office = "198.51.100.7";
    for _ in 0..10 {
        let browser = app.browser_at(attacker);
        browser.identify(USER).await;
        browser.password("guess", None).await;
    }
    assert_locked_out(
        &app.browser_at(attacker),
        USER,
        "the attacker's origin is locked out of the account",
    )
    .await;

    assert_eq!(sign_in_from(&app, office, &secret).await, Step::Done);
}

async fn a_distributed_attack_locks_the_account_for_unfamiliar_origins(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    // The user signs in from the office once: a familiar origin from now on.
    let office = "198.51.100.7";
    assert_eq!(sign_in_from(&app, office, &secret).await, Step::Done);

    let threshold = app.state.config.lockout_account_threshold;
    for i in 0..threshold {
        let browser = app.browser_at(&format!("203.0.113.{}", i + 1));
        browser.identify(USER).await;
        let response = browser.password("guess", None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    assert_locked_out(
        &app.browser_at("192.0.2.200"),
        USER,
        "a new origin is refused while the distributed attack goes on",
    )
    .await;
    assert_eq!(
        sign_in_from(&app, office, &secret).await,
        Step::Done,
        "the familiar office still signs in"
    );
}

async fn a_noisy_address_throttles_only_itself(app: TestApp) {
    app.add_user(USER).await;
    let noisy = "203.0.113.66";
    for i in 0..app.state.config.lockout_address_threshold {
        let browser = app.browser_at(noisy);
        browser
            .identify(&format!("gebruiker{i}@missingpiece.nl"))
            .await;
        browser.password("guess", None).await;
    }

    assert_locked_out(
        &app.browser_at(noisy),
        USER,
        "the noisy origin is locked for accounts it is unfamiliar to",
    )
    .await;
    let elsewhere = app.browser_at("198.51.100.7");
    assert_eq!(
        elsewhere.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
}

/// Send every request at once and collect the answers in order.
async fn futures_all<F: std::future::Future<Output = reqwest::Response>>(
    requests: impl Iterator<Item = F>,
) -> Vec<reqwest::Response> {
    futures_util::future::join_all(requests).await
}

crate::on_both_backends!(
    configured_by configure;
    the_counters_keep_no_typed_name,
    five_wrong_passwords_lock_the_account_for_a_while,
    unknown_users_lock_alike,
    wrong_codes_lock_the_account,
    many_failures_from_one_address_lock_the_address,
    unlocking_lifts_the_lock,
    parallel_wrong_passwords_get_no_more_than_the_threshold_verified,
    parallel_wrong_passwords_on_two_instances_get_no_more_verified,
    parallel_wrong_codes_get_no_more_than_the_threshold_verified,
    an_attacker_elsewhere_does_not_lock_the_user_out,
    a_distributed_attack_locks_the_account_for_unfamiliar_origins,
    a_noisy_address_throttles_only_itself,
);
