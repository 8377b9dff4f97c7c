//! `/metrics`: sign-ins by result, the second factor by method, request
//! durations per route and the gauges, in the `OpenMetrics` text format, for
//! the configured addresses only (the client's, behind a trusted proxy).

use aanmelden_server::config::Config;
use reqwest::StatusCode;

use crate::helpers::{Browser, PASSWORD, TestApp, code};

const USER: &str = "testgebruiker@missingpiece.nl";

fn configure(config: &mut Config) {
    config.trusted_proxies = "127.0.0.1".parse().unwrap();
}

/// `/metrics` as the monitoring host reads it: straight from 127.0.0.2 on
/// this machine, not through the proxy.
async fn metrics(app: &TestApp) -> String {
    let monitoring = Browser::connecting_from(app.address, "127.0.0.2".parse().ok());
    let response = monitoring.get_page("/metrics").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text"),
        "{response:?}"
    );
    response.text().await.unwrap()
}

/// The value of the sample `name` (with its labels), if it is there.
fn sample(text: &str, name: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .map(|value| value.parse().unwrap())
}

async fn sign_ins_are_counted_by_result_and_method(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let before = metrics(&app).await;
    assert_eq!(sample(&before, "aanmelden_password_queue"), Some(0));
    assert_eq!(sample(&before, "aanmelden_push_waits"), Some(0));
    // Registering the device was a full sign-in with its first code.
    assert_eq!(
        sample(&before, "aanmelden_sign_ins_total{result=\"signed_in\"}"),
        Some(1)
    );
    assert_eq!(
        sample(
            &before,
            "aanmelden_second_factors_total{method=\"first_code\"}"
        ),
        Some(1)
    );

    app.browser.identify(USER).await;
    let refused = app.browser.password("wrong password", None).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let wrong = app.new_browser();
    wrong.sign_in_password(USER, PASSWORD).await;
    wrong
        .post("/login/otp", &serde_json::json!({ "code": "000000" }))
        .await;
    app.clock.advance(30);
    let response = app
        .new_browser()
        .sign_in_with_code(USER, &code(&secret, app.now()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    let after = metrics(&app).await;
    for (name, value) in [
        ("aanmelden_sign_ins_total{result=\"signed_in\"}", 2),
        ("aanmelden_sign_ins_total{result=\"wrong_password\"}", 1),
        ("aanmelden_sign_ins_total{result=\"wrong_code\"}", 1),
        ("aanmelden_second_factors_total{method=\"code\"}", 1),
    ] {
        assert_eq!(sample(&after, name), Some(value), "{name} in\n{after}");
    }
    let password_steps = |text: &str| {
        sample(
            text,
            "aanmelden_request_duration_seconds_count{method=\"POST\",route=\"/api/v1/login/password\"}",
        )
        .unwrap_or(0)
    };
    assert_eq!(
        password_steps(&after) - password_steps(&before),
        3,
        "{after}"
    );
    assert!(after.contains("aanmelden_request_duration_seconds_bucket{le=\"0.00025\""));
    assert!(after.ends_with("# EOF\n"));
}

async fn only_the_configured_addresses_may_read_them(app: TestApp) {
    // The test connects from 127.0.0.1, which is a trusted proxy here: the
    // address it forwards for counts.
    let outside = app.browser_at("203.0.113.9");
    assert_eq!(
        outside.get_page("/metrics").await.status(),
        StatusCode::NOT_FOUND
    );
    let inside = Browser::connecting_from(app.address, "127.0.0.2".parse().ok());
    assert_eq!(inside.get_page("/metrics").await.status(), StatusCode::OK);
}

/// Whoever reaches the server through the proxy is not the proxy: neither
/// with no header, one that names no client, nor one naming the proxy.
async fn not_through_a_trusted_proxy_as_the_proxy(app: TestApp) {
    for through_the_proxy in [
        app.new_browser(),
        app.browser_at("127.0.0.1"),
        app.new_browser().claiming_bytes(b"\xff"),
        app.browser_at("unknown"),
    ] {
        assert_eq!(
            through_the_proxy.get_page("/metrics").await.status(),
            StatusCode::NOT_FOUND
        );
    }
}

async fn elsewhere_when_configured_so(app: TestApp) {
    assert_eq!(
        app.browser.get_page("/metrics").await.status(),
        StatusCode::NOT_FOUND
    );
    let monitoring = app.browser_at("10.1.2.3");
    assert_eq!(
        monitoring.get_page("/metrics").await.status(),
        StatusCode::OK
    );
}

/// Requests with methods made up by the client, `count` of them from `first`.
async fn invent_methods(app: &TestApp, first: usize, count: usize) {
    let client = reqwest::Client::new();
    for n in first..first + count {
        let method = reqwest::Method::from_bytes(format!("INVENTED{n}").as_bytes()).unwrap();
        for path in ["/", "/api/v1/session", "/login/password"] {
            client
                .request(method.clone(), app.browser.url(path))
                .send()
                .await
                .unwrap();
        }
    }
}

async fn made_up_methods_add_no_series(app: TestApp) {
    invent_methods(&app, 0, 5).await;
    let before = metrics(&app).await;

    invent_methods(&app, 5, 50).await;

    let after = metrics(&app).await;
    assert!(!after.contains("INVENTED"), "{after}");
    assert_eq!(
        after.lines().count(),
        before.lines().count(),
        "no new series:\n{after}"
    );
}

crate::on_both_backends!(
    configured_by configure;
    sign_ins_are_counted_by_result_and_method,
    only_the_configured_addresses_may_read_them,
    not_through_a_trusted_proxy_as_the_proxy,
    made_up_methods_add_no_series,
);

mod monitoring_network {
    use super::*;

    fn configure(config: &mut Config) {
        config.trusted_proxies = "127.0.0.1".parse().unwrap();
        config.metrics_addresses = "10.0.0.0/8".parse().unwrap();
    }

    crate::on_both_backends!(
        configured_by configure;
        elsewhere_when_configured_so,
    );
}
