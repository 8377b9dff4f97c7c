//! Failed passwords and codes lock the account, and the client address.

use aanmelden_api::{ErrorBody, ErrorCode, Step};
use aanmelden_server::domain::regulation::Subject;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, code, error_code, json};

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
    assert!(
        app.state
            .store
            .clear_failures(&Subject::Account(USER).key())
            .await
            .unwrap()
    );

    assert_eq!(
        app.browser.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
}

crate::on_both_backends!(
    five_wrong_passwords_lock_the_account_for_a_while,
    unknown_users_lock_alike,
    wrong_codes_lock_the_account,
    many_failures_from_one_address_lock_the_address,
    unlocking_lifts_the_lock,
);
