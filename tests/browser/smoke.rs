//! The built portal loads in Chromium under the server's
//! Content-Security-Policy: the wasm runs, the page is Dutch.

use std::time::Instant;

use reqwest::StatusCode;

use crate::helpers::{BrowserTest, TIMEOUT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_renders_in_dutch_under_a_strict_content_security_policy() {
    let test = BrowserTest::start().await;

    let response = test.http_get("/").await;
    test.open("/").await;

    assert_eq!(response.status(), StatusCode::OK);
    let policy = response
        .headers()
        .get("content-security-policy")
        .expect("a Content-Security-Policy")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"),
        "the inline loader must be allowed by its hash alone: {policy}"
    );
    assert!(
        !policy.contains("'unsafe-inline'") && !policy.contains("'unsafe-eval'"),
        "{policy}"
    );
    // Drawn by the wasm: the loader ran under that policy, and so did the module.
    test.wait_for_text("#identify-submit", "Aanmelden").await;
    assert_eq!(test.html_lang().await, "nl");
    assert_eq!(test.execute("return document.title").await, "Aanmelden");
    assert_eq!(test.csp_violations().await, Vec::<String>::new());
    assert!(
        !test.is_present("#error").await,
        "an error before any input"
    );
}

/// The recorder behind `csp_violations` sees what the policy blocks, so an
/// empty list above means something.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_inline_script_is_reported_as_a_violation() {
    let test = BrowserTest::start().await;
    test.open("/").await;
    test.wait_for_text("#identify-submit", "Aanmelden").await;

    test.execute(
        "const s = document.createElement('script'); \
         s.textContent = 'document.title = \"injected\"'; \
         document.head.appendChild(s)",
    )
    .await;

    let deadline = Instant::now() + TIMEOUT;
    let violations = loop {
        let violations = test.csp_violations().await;
        if !violations.is_empty() || Instant::now() > deadline {
            break violations;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        violations.iter().any(|v| v.starts_with("script-src")),
        "{violations:?}"
    );
    assert_eq!(test.execute("return document.title").await, "Aanmelden");
}
