//! `cargo xtask bench first-paint`: how long until a user can type their
//! user name, in headless Chromium with its CPU slowed four times, on a
//! local line and on a thin client's (1.6 Mbit/s, 150 ms): the portal
//! beside a plain HTML form page of the same look (the stylesheet and the
//! form, nothing else). Median of 10 first visits (no cache) each.
//!
//! With `-- URL` it measures the portal at URL instead of the built one on
//! a server of its own (to compare with another version).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/browser/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::time::{Duration, Instant};

use axum::http::header;
use axum::response::Html;
use axum::routing::get;
use serde_json::json;

use crate::helpers::BrowserTest;

const RUNS: usize = 10;

/// Records when a visible user-name field first shows, in ms since the
/// navigation started.
const WATCH_FIELD: &str = "window.__fieldAt = null; \
     (function look() { \
       const field = document.getElementById('username'); \
       if (field && field.offsetParent !== null) { window.__fieldAt = performance.now(); } \
       else { requestAnimationFrame(look); } \
     })();";

#[tokio::main]
async fn main() {
    let test = BrowserTest::start().await;
    let portal = std::env::args().nth(1).unwrap_or_else(|| test.url("/"));
    let form = serve_form_page().await;
    test.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        &json!({ "source": WATCH_FIELD }),
    )
    .await;
    test.cdp("Network.enable", &json!({})).await;
    test.cdp(
        "Network.setCacheDisabled",
        &json!({ "cacheDisabled": true }),
    )
    .await;
    test.cdp("Emulation.setCPUThrottlingRate", &json!({ "rate": 4 }))
        .await;

    println!("time to the user-name field, CPU 4x slower, median of {RUNS} first visits:");
    for (line, conditions) in [
        (
            "local line",
            json!({ "offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
        ),
        (
            "1.6 Mbit/s, 150 ms",
            json!({ "offline": false, "latency": 150, "downloadThroughput": 200_000, "uploadThroughput": 200_000 }),
        ),
    ] {
        test.cdp("Network.emulateNetworkConditions", &conditions)
            .await;
        let portal_ms = median(&test, &portal).await;
        let form_ms = median(&test, &form).await;
        println!(
            "  {line:>20}: portal {portal_ms:>6.0} ms, plain form page {form_ms:>6.0} ms, ratio {:.2}",
            portal_ms / form_ms
        );
    }
    println!("  portal: {portal}");
}

/// The median time to the field at `url`.
async fn median(test: &BrowserTest, url: &str) -> f64 {
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        test.client.delete_all_cookies().await.unwrap();
        test.client.goto(url).await.expect("navigate");
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            if let Some(at) = test.execute("return window.__fieldAt").await.as_f64() {
                times.push(at);
                break;
            }
            assert!(Instant::now() < deadline, "no user-name field at {url}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

/// A page with the portal's look and the first form, nothing else, served
/// with the portal's stylesheet by a server of its own: the reference a
/// portal's first screen is compared with.
async fn serve_form_page() -> String {
    let dist = helpers::workspace_root().join("dist");
    let index = std::fs::read_to_string(dist.join("index.html"))
        .expect("dist/index.html: run `cargo xtask build` first");
    let href = index
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the stylesheet link")
        .to_owned();
    let css = std::fs::read(dist.join(href.trim_start_matches('/'))).expect("the stylesheet");
    let page = format!(
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Aanmelden</title><link rel=\"stylesheet\" href=\"{href}\"></head><body>\
         <header class=\"topbar\"><div class=\"brand\"><span class=\"organisation\">Missing Piece</span></div></header>\
         <main class=\"panel\"><form class=\"step\" method=\"post\" action=\"/flow/identify\">\
         <label for=\"username\">Gebruikersnaam:</label>\
         <input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\">\
         <button class=\"primary\" type=\"submit\">Aanmelden</button></form></main></body></html>"
    );
    let app = axum::Router::new()
        .route("/form.html", get(move || async move { Html(page) }))
        .route(
            &href,
            get(move || async move { ([(header::CONTENT_TYPE, "text/css")], css) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/form.html")
}
