//! `cargo xtask bench devices-step`: what a new user sees between
//! "Verzenden" and a devices screen to use, on a thin client's line (1.6
//! Mbit/s, 150 ms) with the CPU slowed four times, in headless Chromium:
//! with the app (the devices page shows at once as the server's page, and
//! the build with the devices screens takes it over) and without
//! WebAssembly (the server's pages alone). Median of 5 first registrations
//! each, the browser's cache emptied before each.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/browser/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{BrowserTest, Kind};

const RUNS: usize = 5;
const PASSWORD: &str = "correct horse battery";

/// Where the page is: `[devices screen shown, by the app]`.
const WHERE: &str = "const select = document.getElementById('device-select'); \
     const app = document.querySelector('#app:not([hidden])'); \
     return [!!select && select.offsetParent !== null, !!app && !document.getElementById('plain')];";

#[tokio::main]
async fn main() {
    println!(
        "from \"Verzenden\" to the devices screen, 1.6 Mbit/s and 150 ms, CPU 4x slower, median of {RUNS}:"
    );
    for (kind, name) in [
        (Kind::Chromium, "with the app"),
        (Kind::ChromiumJitless, "without WebAssembly"),
    ] {
        let test = BrowserTest::start_in(kind, |_| {}).await;
        let mut usable = Vec::new();
        let mut app = Vec::new();
        for run in 0..RUNS {
            let user = format!("nieuw{run}@missingpiece.nl");
            test.add_user(&user, PASSWORD).await;
            test.client.delete_all_cookies().await.unwrap();
            test.cdp("Network.enable", &json!({})).await;
            test.cdp("Network.clearBrowserCache", &json!({})).await;
            test.cdp(
                "Network.emulateNetworkConditions",
                &json!({ "offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
            )
            .await;
            test.open("/").await;
            test.type_into("#username", &user).await;
            test.click("#identify-submit").await;
            test.wait_for("#password").await;
            test.type_into("#password", PASSWORD).await;
            test.cdp("Emulation.setCPUThrottlingRate", &json!({ "rate": 4 }))
                .await;
            test.cdp(
                "Network.emulateNetworkConditions",
                &json!({ "offline": false, "latency": 150, "downloadThroughput": 200_000, "uploadThroughput": 200_000 }),
            )
            .await;
            let submit = test.wait_for("#password-submit").await;
            let started = Instant::now();
            submit.click().await.unwrap();
            let (mut shown, mut taken_over) = (None, None);
            let deadline = started + Duration::from_mins(1);
            while taken_over.is_none() && (shown.is_none() || kind.runs_app()) {
                assert!(Instant::now() < deadline, "no devices screen");
                // Between two pages the script may find no document.
                if let Ok(Value::Array(state)) = test.client.execute(WHERE, vec![]).await {
                    let elapsed = started.elapsed().as_secs_f64() * 1000.0;
                    if state[0] == json!(true) && shown.is_none() {
                        shown = Some(elapsed);
                    }
                    if state[1] == json!(true) && state[0] == json!(true) {
                        taken_over = Some(elapsed);
                    }
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            test.cdp("Emulation.setCPUThrottlingRate", &json!({ "rate": 1 }))
                .await;
            usable.push(shown.expect("shown"));
            if let Some(at) = taken_over {
                app.push(at);
            }
        }
        let median = |times: &mut Vec<f64>| {
            times.sort_by(f64::total_cmp);
            times.get(times.len() / 2).copied()
        };
        let usable = median(&mut usable).unwrap_or_default();
        match median(&mut app) {
            Some(app) => println!(
                "  {name:>20}: devices screen usable after {usable:>5.0} ms (the server's), the app's after {app:>5.0} ms"
            ),
            None => println!("  {name:>20}: devices screen usable after {usable:>5.0} ms"),
        }
    }
}
