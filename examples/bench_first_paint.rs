//! `cargo xtask bench first-paint`: how long until a user can type their
//! user name, in headless Chromium with its CPU slowed four times, on a
//! local line and on a thin client's (1.6 Mbit/s, 150 ms): the portal
//! beside a plain sign-in form in one HTML file of the same look (its
//! style inline, nothing else). Median of 10 first visits (no cache) each,
//! of two moments: the first contentful paint, and when the user-name
//! field is shown (the first animation frame that finds it laid out).
//!
//! With `-- URL` it measures the portal at URL instead of the built one on
//! a server of its own (to compare with another version).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/browser/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::time::{Duration, Instant};

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

/// The first contentful paint and the field, once both are known.
const MOMENTS: &str = "const paint = performance.getEntriesByName('first-contentful-paint')[0]; \
     return (paint && window.__fieldAt !== null) ? [paint.startTime, window.__fieldAt] : null;";

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

    println!(
        "first contentful paint / user-name field shown, CPU 4x slower, median of {RUNS} first visits:"
    );
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
        let (portal_paint, portal_field) = median(&test, &portal).await;
        let (form_paint, form_field) = median(&test, &form).await;
        println!(
            "  {line:>20}: portal {portal_paint:>5.0} / {portal_field:>5.0} ms, \
             one-file form {form_paint:>5.0} / {form_field:>5.0} ms, ratio {:.2} / {:.2}",
            portal_paint / form_paint,
            portal_field / form_field
        );
    }
    println!("  portal: {portal}");
}

/// The median times to the first contentful paint and to the field at `url`.
async fn median(test: &BrowserTest, url: &str) -> (f64, f64) {
    let mut paints = Vec::with_capacity(RUNS);
    let mut fields = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        test.client.delete_all_cookies().await.unwrap();
        test.client.goto(url).await.expect("navigate");
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            let moments = test.execute(MOMENTS).await;
            if let (Some(paint), Some(field)) = (moments[0].as_f64(), moments[1].as_f64()) {
                paints.push(paint);
                fields.push(field);
                break;
            }
            assert!(Instant::now() < deadline, "no user-name field at {url}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    paints.sort_by(f64::total_cmp);
    fields.sort_by(f64::total_cmp);
    (paints[RUNS / 2], fields[RUNS / 2])
}

/// A sign-in form in one HTML file, its style inline (the portal's
/// stylesheet), nothing else, served compressed as the portal's pages are,
/// by a server of its own: the reference a portal's first screen is
/// compared with.
async fn serve_form_page() -> String {
    let dist = helpers::workspace_root().join("dist");
    let index = std::fs::read_to_string(dist.join("index.html"))
        .expect("dist/index.html: run `cargo xtask build` first");
    let href = index
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the stylesheet link");
    let css =
        std::fs::read_to_string(dist.join(href.trim_start_matches('/'))).expect("the stylesheet");
    let page = format!(
        "<!doctype html><html lang=\"nl\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Aanmelden</title><style>{css}</style></head><body>\
         <header class=\"topbar\"><div class=\"brand\"><span class=\"organisation\">Missing Piece</span></div></header>\
         <main class=\"panel\"><form class=\"step\" method=\"post\" action=\"/flow/identify\">\
         <label for=\"username\">Gebruikersnaam:</label>\
         <input id=\"username\" name=\"username\" type=\"text\" autocomplete=\"username\">\
         <button class=\"primary\" type=\"submit\">Aanmelden</button></form></main></body></html>"
    );
    let app = axum::Router::new()
        .route("/form.html", get(move || async move { Html(page) }))
        .layer(tower_http::compression::CompressionLayer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{address}/form.html")
}
