//! Behind a real nginx: the client address is the one nginx forwards, and
//! only a trusted proxy is believed.

use std::net::IpAddr;

use aanmelden_api::{ErrorCode, Step};
use aanmelden_server::config::Config;
use reqwest::StatusCode;

use crate::helpers::{Browser, PASSWORD, TestApp, error_code};
use crate::nginx::Nginx;

const USER: &str = "testgebruiker@missingpiece.nl";

/// nginx connects from 127.0.0.1; the browsers from 127.0.0.2 and .3.
fn configure(config: &mut Config) {
    config.trusted_proxies = "127.0.0.1".parse().unwrap();
}

fn local(address: &str) -> Option<IpAddr> {
    address.parse().ok()
}

async fn clients(app: &TestApp) -> Vec<String> {
    let log = app.state.store.audit_log(200).await.unwrap();
    log.into_iter().map(|entry| entry.client).collect()
}

async fn clients_behind_nginx_are_counted_apart(app: TestApp) {
    let Some(nginx) = Nginx::proxying_to(app.address) else {
        return;
    };
    app.add_user(USER).await;
    let attacker = Browser::connecting_from(nginx.address, local("127.0.0.2"));
    let colleague = Browser::connecting_from(nginx.address, local("127.0.0.3"));

    for _ in 0..app.state.config.lockout_threshold {
        attacker.identify(USER).await;
        let response = attacker.password("guess", None).await;
        assert_eq!(
            error_code(response, StatusCode::UNAUTHORIZED).await,
            ErrorCode::InvalidCredentials
        );
    }
    attacker.identify(USER).await;
    let refused = attacker.password(PASSWORD, None).await;

    assert_eq!(
        error_code(refused, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::Locked
    );
    assert_eq!(
        colleague.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice,
        "the colleague behind the same proxy is not locked out"
    );
    let clients = clients(&app).await;
    assert!(clients.iter().any(|c| c == "127.0.0.2"), "{clients:?}");
    assert!(clients.iter().any(|c| c == "127.0.0.3"), "{clients:?}");
    assert!(!clients.iter().any(|c| c == "127.0.0.1"), "{clients:?}");
}

async fn a_forged_header_through_nginx_changes_nothing(app: TestApp) {
    let Some(nginx) = Nginx::proxying_to(app.address) else {
        return;
    };
    app.add_user(USER).await;
    let attacker = Browser::connecting_from(nginx.address, local("127.0.0.2"));
    for _ in 0..app.state.config.lockout_threshold {
        attacker.identify(USER).await;
        attacker.password("guess", None).await;
    }

    // Pretending to be the colleague: nginx appends the real address.
    let forging = attacker.claiming("127.0.0.3");
    forging.identify(USER).await;
    let refused = forging.password(PASSWORD, None).await;

    assert_eq!(
        error_code(refused, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::Locked
    );
    assert!(!clients(&app).await.iter().any(|c| c == "127.0.0.3"));
}

async fn a_forged_header_from_an_untrusted_peer_is_ignored(app: TestApp) {
    app.add_user(USER).await;
    // Straight to the server from 127.0.0.2, which is no trusted proxy.
    let direct = Browser::connecting_from(app.address, local("127.0.0.2")).claiming("192.0.2.55");

    direct.identify(USER).await;
    direct.password("guess", None).await;

    let clients = clients(&app).await;
    assert_eq!(clients.first().map(String::as_str), Some("127.0.0.2"));
    assert!(!clients.iter().any(|c| c == "192.0.2.55"));
}

/// What a proxy such as nginx sends: the header as the client sent it
/// (anything), then the client's real address.
async fn made_up_bytes_left_of_the_client_do_not_hide_it(app: TestApp) {
    app.add_user(USER).await;
    let browser = app
        .new_browser()
        .claiming_bytes(b"caf\xc3\xa9 \xff, 198.51.100.23");

    browser.identify(USER).await;
    browser.password("guess", None).await;

    let clients = clients(&app).await;
    assert_eq!(
        clients.first().map(String::as_str),
        Some("198.51.100.23"),
        "{clients:?}"
    );
}

async fn a_proxy_that_forwards_no_client_leaves_it_unknown(app: TestApp) {
    app.add_user(USER).await;
    for header in [
        &b"\xff"[..],
        b"unknown",
        b"198.51.100.23, \xc3\xa9",
        b"127.0.0.1",
    ] {
        let browser = app.new_browser().claiming_bytes(header);
        browser.identify(USER).await;
        browser.password("guess", None).await;
    }
    // Through the proxy with no header at all.
    app.browser.identify(USER).await;
    app.browser.password("guess", None).await;

    let log = app.state.store.audit_log(50).await.unwrap();
    let failures = log.iter().filter(|e| e.event == "login_failed").count();
    assert_eq!(failures, 5, "{log:?}");
    assert!(log.iter().all(|e| e.client == "unknown"), "{log:?}");
}

async fn an_unknown_client_never_becomes_a_familiar_origin(app: TestApp) {
    // Signed in fully (password and first code) through the proxy, which
    // forwarded no client.
    app.user_with_device(USER).await;

    let log = app.state.store.audit_log(50).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.event == "login_ok" && e.client == "unknown"),
        "{log:?}"
    );
    assert!(
        !app.state
            .store
            .is_familiar(USER, "unknown", 0)
            .await
            .unwrap()
    );
}

crate::on_both_backends!(
    configured_by configure;
    made_up_bytes_left_of_the_client_do_not_hide_it,
    a_proxy_that_forwards_no_client_leaves_it_unknown,
    an_unknown_client_never_becomes_a_familiar_origin,
    clients_behind_nginx_are_counted_apart,
    a_forged_header_through_nginx_changes_nothing,
    a_forged_header_from_an_untrusted_peer_is_ignored,
);
