//! The built portal in headless Chromium and Firefox ESR, served by the real
//! server: what a user sees and does, checked through the page, with the
//! app and (plain pages) without script or WebAssembly.
//!
//! Needs `cargo xtask build` first (the portal in dist/), Chromium with
//! chromedriver and Firefox ESR with geckodriver (`cargo xtask setup`
//! installs them).

// A failed step of a test is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accessibility;
mod directory;
mod flows;
mod gate;
mod harness;
mod helpers;
mod keyboard;
mod kiosk;
#[path = "../../crates/server/tests/api/nginx.rs"]
#[allow(dead_code)]
mod nginx;
mod pages;
mod pass;
mod phone;
mod plain;
mod push_service;
mod recovery;
mod serving;
#[path = "../../crates/server/tests/api/slapd.rs"]
#[allow(dead_code)]
mod slapd;
mod smoke;

/// Run each named `async fn(Kind)` as a test in each named browser kind:
/// `in_browsers!([Chromium, Firefox]; test_a, test_b)`.
#[macro_export]
macro_rules! in_browsers {
    ([$kind:ident $(, $rest:ident)* $(,)?]; $($test:ident),* $(,)?) => {
        $crate::in_browsers!(@kind $kind; $($test),*);
        $crate::in_browsers!([$($rest),*]; $($test),*);
    };
    ([]; $($test:ident),* $(,)?) => {};
    (@kind $kind:ident; $($test:ident),*) => {
        #[allow(non_snake_case)]
        mod $kind {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::helpers::Kind::$kind).await;
                }
            )*
        }
    };
}
