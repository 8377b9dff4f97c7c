//! `cargo xtask bench push`: how long after the authenticator's approval
//! returns the browser shows the signed-in page. Median and p99 over 50
//! sign-ins, on the built portal and the real server in headless Chromium.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/browser/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "../tests/browser/pages.rs"]
#[allow(dead_code)]
mod pages;

use std::time::{SystemTime, UNIX_EPOCH};

use aanmelden_api::ChallengeAnswer;
use aanmelden_authenticator::client::Client;
use aanmelden_authenticator::token::Token;

use crate::helpers::BrowserTest;
use crate::pages::{Identify, Password, Push, SignedIn};

const RUNS: usize = 50;
const USER: &str = "bench@missingpiece.nl";
const PASSWORD: &str = "correct horse battery";

/// Records when the signed-in message enters the page, in ms since the epoch.
const WATCH_SIGNED_IN: &str = "window.__signedInAt = null; \
     new MutationObserver((_, observer) => { \
       if (document.getElementById('signed-in-message')) { \
         window.__signedInAt = performance.timeOrigin + performance.now(); \
         observer.disconnect(); \
       } \
     }).observe(document.body, { childList: true, subtree: true });";

#[tokio::main]
async fn main() {
    // One account signs in RUNS times: above the per-account push limit.
    let test = BrowserTest::start_with(|config| {
        config.push_max_per_window = 100;
    })
    .await;
    test.add_user(USER, PASSWORD).await;
    let secret = test.registered_device(USER).await;
    let user = test.state.store.find_user(USER).await.unwrap().unwrap();
    let device = test.state.store.active_devices(user.id).await.unwrap()[0].id;
    let token = Token::from_uri(&format!(
        "otpauth://totp/Bench:{USER}?secret={secret}&issuer=Bench&aanmelden_device={device}&aanmelden_server={}",
        test.base
    ))
    .unwrap();

    let mut latencies = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        test.client.delete_all_cookies().await.unwrap();
        test.open("/").await;
        Identify::shown(&test).await.identify(USER).await;
        Password::shown(&test).await.submit(PASSWORD).await;
        let number = Push::shown(&test).await.number().await;
        test.execute(WATCH_SIGNED_IN).await;

        let token = token.clone();
        let approved_at = tokio::task::spawn_blocking(move || {
            let client = Client::new(&token).unwrap();
            #[allow(clippy::cast_possible_truncation)]
            let now = (epoch_ms() / 1000.0) as i64;
            let id = client.pending(now).unwrap()[0].id.clone();
            client
                .answer(&id, ChallengeAnswer::Approve { number }, now)
                .unwrap();
            epoch_ms()
        })
        .await
        .unwrap();

        SignedIn::shown(&test).await;
        let shown_at = test
            .execute("return window.__signedInAt")
            .await
            .as_f64()
            .expect("the signed-in page was seen");
        latencies.push(shown_at - approved_at);
    }

    latencies.sort_by(f64::total_cmp);
    let median = latencies[RUNS / 2];
    let p99 = latencies[(RUNS * 99).div_ceil(100) - 1];
    println!(
        "push approval -> signed-in page, {RUNS} runs: median {median:.1} ms, p99 {p99:.1} ms, min {:.1} ms, max {:.1} ms",
        latencies[0],
        latencies[RUNS - 1]
    );
}

/// Milliseconds since the epoch, as the browser's clock counts them.
#[allow(clippy::disallowed_methods)]
fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}
