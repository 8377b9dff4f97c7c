//! Malformed requests, cross-site requests, headers and the single page app.

use aanmelden_api::{ErrorBody, ErrorCode};
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, error_code, json};

async fn malformed_json_is_a_400_envelope(app: TestApp) {
    let response = app
        .browser
        .post_raw(
            "/login/identify",
            "application/json",
            b"{\"username\": ".to_vec(),
        )
        .await;

    assert_eq!(
        error_code(response, StatusCode::BAD_REQUEST).await,
        ErrorCode::Validation
    );
}

async fn a_wrong_type_is_a_400_envelope(app: TestApp) {
    let response = app
        .browser
        .post("/login/identify", &serde_json::json!({ "username": 42 }))
        .await;
    let missing = app
        .browser
        .post("/login/identify", &serde_json::json!({}))
        .await;

    assert_eq!(
        error_code(response, StatusCode::BAD_REQUEST).await,
        ErrorCode::Validation
    );
    assert_eq!(
        error_code(missing, StatusCode::BAD_REQUEST).await,
        ErrorCode::Validation
    );
}

async fn a_two_megabyte_body_is_a_413_envelope(app: TestApp) {
    let mut body = b"{\"username\": \"".to_vec();
    body.extend(std::iter::repeat_n(b'a', 2 * 1024 * 1024));
    body.extend(b"\"}");

    let response = app
        .browser
        .post_raw("/login/identify", "application/json", body)
        .await;

    assert_eq!(
        error_code(response, StatusCode::PAYLOAD_TOO_LARGE).await,
        ErrorCode::Validation
    );
}

async fn a_body_that_is_not_json_is_a_4xx_envelope(app: TestApp) {
    let response = app
        .browser
        .post_raw("/login/identify", "text/plain", b"username=a".to_vec())
        .await;

    assert!(response.status().is_client_error(), "{}", response.status());
    let body: ErrorBody = json(response).await;
    assert_eq!(body.error.code, ErrorCode::Validation);
}

async fn unknown_api_paths_and_methods_are_envelopes(app: TestApp) {
    app.add_user("a@b.nl").await;
    app.browser.sign_in_password("a@b.nl", PASSWORD).await;
    let unknown = app.browser.get("/nope").await;
    let outside_version = reqwest::get(app.browser.url("/api/v2/session"))
        .await
        .unwrap();
    let wrong_method = app.browser.delete("/session").await;
    let bad_id = app.browser.delete("/devices/abc").await;

    assert_eq!(
        error_code(unknown, StatusCode::NOT_FOUND).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        error_code(outside_version, StatusCode::NOT_FOUND).await,
        ErrorCode::NotFound
    );
    assert!(wrong_method.status().is_client_error());
    assert_eq!(
        json::<ErrorBody>(wrong_method).await.error.code,
        ErrorCode::Validation
    );
    assert!(bad_id.status().is_client_error());
    assert_eq!(
        json::<ErrorBody>(bad_id).await.error.code,
        ErrorCode::Validation
    );
}

async fn cross_site_requests_that_change_state_are_refused(app: TestApp) {
    let client = reqwest::Client::new();
    let url = app.browser.url("/api/v1/login/identify");
    let body = serde_json::json!({ "username": "a@b.nl" });

    let cross = client
        .post(&url)
        .header("sec-fetch-site", "cross-site")
        .json(&body)
        .send()
        .await
        .unwrap();
    let foreign_origin = client
        .post(&url)
        .header("origin", "https://evil.example")
        .json(&body)
        .send()
        .await
        .unwrap();
    let same = client
        .post(&url)
        .header("sec-fetch-site", "same-origin")
        .json(&body)
        .send()
        .await
        .unwrap();

    assert_eq!(
        error_code(cross, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(foreign_origin, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
    assert_eq!(same.status(), StatusCode::OK);
}

/// An old browser says nothing of where a request comes from: a form of
/// another site can make it post, with the portal's cookie, but never as
/// JSON.
async fn posts_that_do_not_say_json_change_nothing(app: TestApp) {
    let secret = app.user_with_device("jan@x.nl").await;
    app.clock.advance(30);
    let response = app
        .browser
        .sign_in_with_code("jan@x.nl", &crate::helpers::code(&secret, app.now()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    for content_type in ["application/x-www-form-urlencoded", "text/plain", ""] {
        for path in ["/logout", "/return", "/login/push"] {
            let response = app
                .browser
                .post_raw(path, content_type, b"a=b".to_vec())
                .await;
            assert_eq!(
                error_code(response, StatusCode::BAD_REQUEST).await,
                ErrorCode::Validation,
                "{path} as {content_type:?}"
            );
        }
    }
    assert_eq!(app.browser.get("/session").await.status(), StatusCode::OK);

    let logged_off = app
        .browser
        .post_raw("/logout", "application/json; charset=utf-8", Vec::new())
        .await;
    assert_eq!(logged_off.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.browser.get("/session").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn serves_the_app_with_fallback_and_security_headers(app: TestApp) {
    let root = reqwest::get(app.browser.url("/")).await.unwrap();
    let deep = reqwest::get(app.browser.url("/apparaten")).await.unwrap();

    assert_eq!(root.status(), StatusCode::OK);
    let headers = root.headers().clone();
    assert!(
        root.text()
            .await
            .unwrap()
            .contains("<title>Aanmelden</title>")
    );
    assert_eq!(deep.status(), StatusCode::OK);
    assert!(
        deep.text()
            .await
            .unwrap()
            .contains("<title>Aanmelden</title>")
    );
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("'sha256-") && csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "no HSTS over plain http"
    );
    let api = app.browser.get("/session").await;
    assert_eq!(api.headers()["cache-control"], "no-store");
}

crate::on_both_backends!(
    malformed_json_is_a_400_envelope,
    a_wrong_type_is_a_400_envelope,
    a_two_megabyte_body_is_a_413_envelope,
    a_body_that_is_not_json_is_a_4xx_envelope,
    unknown_api_paths_and_methods_are_envelopes,
    cross_site_requests_that_change_state_are_refused,
    posts_that_do_not_say_json_change_nothing,
    serves_the_app_with_fallback_and_security_headers,
);
