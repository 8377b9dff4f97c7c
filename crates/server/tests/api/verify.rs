//! `GET /auth/verify`, as a reverse proxy asks it for every request to an
//! application: 200 with `Remote-User` for a session that passed both
//! factors; 401 for every other (none, half, expired, logged off); with
//! `?redirect=1` and the original address from a trusted proxy, a redirect
//! to the portal with that address in `rd`.

use aanmelden_api::Step;
use aanmelden_server::config::Config;
use reqwest::StatusCode;

use crate::helpers::{Browser, PASSWORD, TestApp, code};

const USER: &str = "testgebruiker@missingpiece.nl";
const VERIFY: &str = "/auth/verify";

/// The test's requests come from 127.0.0.1, a trusted proxy here.
fn configure(config: &mut Config) {
    config.trusted_proxies = "127.0.0.1".parse().unwrap();
    config.public_url = Some("https://aanmelden.example.nl".to_owned());
    config.secure_cookie = Some(false);
}

const ASKED_FOR: [(&str, &str); 3] = [
    ("x-forwarded-proto", "https"),
    ("x-forwarded-host", "mail.example.nl"),
    ("x-forwarded-uri", "/inbox?map=werk&id=3"),
];

async fn only_a_session_past_both_factors_is_let_through(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let browser = app.new_browser();
    assert_eq!(
        browser.get(VERIFY).await.status(),
        StatusCode::UNAUTHORIZED,
        "no session"
    );
    browser.identify(USER).await;
    assert_eq!(
        browser.get(VERIFY).await.status(),
        StatusCode::UNAUTHORIZED,
        "identified"
    );
    let wrong = app.new_browser();
    wrong.identify(USER).await;
    wrong.password("wrong password", None).await;
    assert_eq!(wrong.get(VERIFY).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);
    assert_eq!(
        browser.get(VERIFY).await.status(),
        StatusCode::UNAUTHORIZED,
        "password only"
    );

    app.clock.advance(30);
    let response = browser
        .post(
            "/login/otp",
            &serde_json::json!({ "code": code(&secret, app.now()) }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let allowed = browser.get(VERIFY).await;

    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.headers()["remote-user"], USER);
    assert_eq!(allowed.headers()["remote-email"], USER);
    assert_eq!(
        allowed.headers()["remote-name"],
        "",
        "no name set: empty, so that a proxy copying it drops what the browser sent"
    );
    assert!(allowed.headers().get("set-cookie").is_none());

    browser.post("/logout", &()).await;
    assert_eq!(
        browser.get(VERIFY).await.status(),
        StatusCode::UNAUTHORIZED,
        "logged off"
    );
}

async fn the_full_name_goes_along_where_one_is_set(app: TestApp) {
    const NAME: &str = "Jan de Vries-Ünal";
    let secret = app.user_with_device(USER).await;
    assert!(
        app.state
            .store
            .set_display_name(USER, Some(NAME))
            .await
            .unwrap()
    );
    let browser = app.new_browser();
    app.clock.advance(30);
    let response = browser
        .sign_in_with_code(USER, &code(&secret, app.now()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let allowed = browser.get(VERIFY).await;

    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.headers()["remote-name"].as_bytes(), NAME.as_bytes());
    assert_eq!(allowed.headers()["remote-user"], USER);
}

async fn a_registration_session_and_an_expired_one_are_not(app: TestApp) {
    app.add_user(USER).await;
    let registering = app.new_browser();
    assert_eq!(
        registering.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
    assert_eq!(
        registering.get(VERIFY).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let secret = app.register_first_device(USER).await;
    let signed_in = app.new_browser();
    app.clock.advance(30);
    let response = signed_in
        .sign_in_with_code(USER, &code(&secret, app.now()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(signed_in.get(VERIFY).await.status(), StatusCode::OK);
    app.clock
        .advance(app.state.config.session_idle_timeout_s + 1);
    assert_eq!(
        signed_in.get(VERIFY).await.status(),
        StatusCode::UNAUTHORIZED,
        "expired"
    );
}

/// What the proxy gets, not following a redirect.
async fn ask(app: &TestApp, query: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let proxy = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    headers
        .iter()
        .fold(
            proxy.get(app.browser.url(&format!("/api/v1{VERIFY}{query}"))),
            |request, (name, value)| request.header(*name, *value),
        )
        .send()
        .await
        .unwrap()
}

async fn a_proxy_that_asks_gets_a_redirect_to_the_portal(app: TestApp) {
    let sent = ask(&app, "?redirect=1", &ASKED_FOR).await;

    assert_eq!(sent.status(), StatusCode::FOUND);
    assert_eq!(
        sent.headers()["location"],
        "https://aanmelden.example.nl/?rd=https%3A%2F%2Fmail.example.nl%2Finbox%3Fmap%3Dwerk%26id%3D3"
    );
    // Without `redirect`, or without the address, it is 401.
    assert_eq!(
        ask(&app, "", &ASKED_FOR).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        ask(&app, "?redirect=1", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Read straight, not through the proxy (127.0.0.1).
    let monitoring = Browser::connecting_from(app.address, "127.0.0.2".parse().ok());
    let metrics = monitoring.get_page("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("aanmelden_verifications_total{result=\"redirected\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("aanmelden_verifications_total{result=\"denied\"} 2"));
}

async fn an_untrusted_peers_address_is_not_believed(app: TestApp) {
    let sent = ask(&app, "?redirect=1", &ASKED_FOR).await;

    assert_eq!(sent.status(), StatusCode::UNAUTHORIZED);
}

crate::on_both_backends!(
    configured_by configure;
    the_full_name_goes_along_where_one_is_set,
    only_a_session_past_both_factors_is_let_through,
    a_registration_session_and_an_expired_one_are_not,
    a_proxy_that_asks_gets_a_redirect_to_the_portal,
);

mod untrusted {
    use super::*;

    fn configure(config: &mut Config) {
        config.public_url = Some("https://aanmelden.example.nl".to_owned());
        config.secure_cookie = Some(false);
    }

    crate::on_both_backends!(
        configured_by configure;
        an_untrusted_peers_address_is_not_believed,
    );
}
