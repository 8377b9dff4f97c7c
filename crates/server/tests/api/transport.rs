//! Behind https (`public_url`), the session cookie is `Secure` with the
//! `__Host-` prefix and browsers are told to use https only.

use aanmelden_server::config::Config;
use reqwest::StatusCode;

use crate::helpers::TestApp;

fn configure(config: &mut Config) {
    config.public_url = Some("https://aanmelden.example.nl".to_owned());
}

async fn the_cookie_is_secure_with_the_host_prefix(app: TestApp) {
    let response = app.browser.identify("a@b.nl").await;

    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-aanmelden_session="), "{cookie}");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(
        cookie.contains("; Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
}

async fn every_answer_carries_hsts(app: TestApp) {
    let page = reqwest::get(app.browser.url("/")).await.unwrap();
    let api = app.browser.get("/branding").await;

    for response in [page, api] {
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000"
        );
    }
}

crate::on_both_backends!(
    configured_by configure;
    the_cookie_is_secure_with_the_host_prefix,
    every_answer_carries_hsts,
);
