//! The built portal in headless Chromium, served by the real server: what a
//! user sees and does, checked through the page.
//!
//! Needs `cargo xtask build` first (the portal in dist/) and Chromium with
//! chromedriver (`cargo xtask setup` installs both).

// A failed step of a test is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flows;
mod harness;
mod helpers;
mod pages;
mod smoke;
