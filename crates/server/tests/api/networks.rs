//! IPv6 clients are also counted per /56 and per /48, so moving from /64
//! to /64 gains an attacker nothing; failures on names that are not users
//! have one budget for everyone.

use aanmelden_api::{ErrorBody, ErrorCode};
use aanmelden_server::config::Config;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, error_code, json};

/// Requests from 127.0.0.1 are from a trusted proxy, so each test browser
/// can stand at an address of its own.
fn configure(config: &mut Config) {
    config.trusted_proxies = "127.0.0.1".parse().unwrap();
    config.lockout_network_56_threshold = 4;
    config.lockout_network_48_threshold = 6;
    config.unknown_name_budget = 5;
    config.unknown_name_window_s = 600;
}

const USER: &str = "testgebruiker@missingpiece.nl";

/// A wrong password for `user` from `client`: the error code it gets.
async fn wrong_password(app: &TestApp, user: &str, client: &str) -> ErrorCode {
    let browser = app.browser_at(client);
    browser.identify(user).await;
    let response = browser.password("wrong password", None).await;
    json::<ErrorBody>(response).await.error.code
}

async fn failures_over_many_64s_of_one_48_lock_the_48(app: TestApp) {
    app.add_user(USER).await;
    // Each in a /56 of its own, so only the /48 counts them all.
    for n in 1..=6 {
        let client = format!("2001:db8:1:{n:x}00::1");
        assert_eq!(
            wrong_password(&app, USER, &client).await,
            ErrorCode::InvalidCredentials,
            "{client}"
        );
    }

    let fresh = app.browser_at("2001:db8:1:ff00::1");
    fresh.identify(USER).await;
    let locked = fresh.password(PASSWORD, None).await;
    assert_eq!(
        error_code(locked, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::Locked
    );

    // Another /48 is not held to it.
    assert_eq!(
        wrong_password(&app, USER, "2001:db8:2::1").await,
        ErrorCode::InvalidCredentials
    );
}

async fn failures_over_many_64s_of_one_56_lock_the_56(app: TestApp) {
    app.add_user(USER).await;
    for n in 1..=4 {
        let client = format!("2001:db8:1:10{n:x}::1");
        assert_eq!(
            wrong_password(&app, USER, &client).await,
            ErrorCode::InvalidCredentials,
            "{client}"
        );
    }

    assert_eq!(
        wrong_password(&app, USER, "2001:db8:1:1ff::1").await,
        ErrorCode::Locked
    );
    assert_eq!(
        wrong_password(&app, USER, "2001:db8:1:200::1").await,
        ErrorCode::InvalidCredentials,
        "another /56 of the same /48, below its threshold"
    );
}

async fn failures_on_names_that_are_not_users_have_one_budget(app: TestApp) {
    app.add_user(USER).await;
    // A user's failure takes nothing of the budget.
    assert_eq!(
        wrong_password(&app, USER, "192.0.2.50").await,
        ErrorCode::InvalidCredentials
    );
    for n in 1..=5 {
        assert_eq!(
            wrong_password(&app, &format!("niemand{n}@x.nl"), &format!("192.0.2.{n}")).await,
            ErrorCode::InvalidCredentials
        );
    }

    let browser = app.browser_at("198.51.100.7");
    browser.identify("niemand6@x.nl").await;
    let refused = browser.password("wrong password", None).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    assert_eq!(
        json::<ErrorBody>(refused).await.error.code,
        ErrorCode::RateLimited
    );
    assert_eq!(
        wrong_password(&app, USER, "198.51.100.8").await,
        ErrorCode::RateLimited,
        "a user's name from a new place gets the same answer"
    );

    app.clock.advance(600);
    assert_eq!(
        wrong_password(&app, "niemand7@x.nl", "198.51.100.9").await,
        ErrorCode::InvalidCredentials
    );
}

crate::on_both_backends!(
    configured_by configure;
    failures_over_many_64s_of_one_48_lock_the_48,
    failures_over_many_64s_of_one_56_lock_the_56,
    failures_on_names_that_are_not_users_have_one_budget,
);
