//! Kiosk mode by address: the branding tells a terminal its times, the
//! plain pages reset themselves, and the reset ends the session.

use aanmelden_api::{Branding, Step};
use aanmelden_server::config::Config;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, json};

const USER: &str = "testgebruiker@missingpiece.nl";

fn configure(config: &mut Config) {
    config.trusted_proxies = "127.0.0.1".parse().unwrap();
    config.kiosk_addresses = "198.51.100.0/24".parse().unwrap();
}

async fn terminals_are_told_their_times_and_others_nothing(app: TestApp) {
    let terminal: Branding = json(app.browser_at("198.51.100.20").get("/branding").await).await;
    let desk: Branding = json(app.browser_at("203.0.113.9").get("/branding").await).await;

    let kiosk = terminal.kiosk.expect("a terminal is a kiosk");
    assert_eq!(
        (kiosk.idle_s, kiosk.warning_s, kiosk.signed_in_idle_s),
        (60, 20, 30)
    );
    assert_eq!(desk.kiosk, None);
}

async fn a_terminals_plain_page_resets_itself_and_the_reset_ends_the_session(app: TestApp) {
    app.add_user(USER).await;
    let terminal = app.browser_at("198.51.100.20");
    assert_eq!(
        terminal.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );

    let page = terminal.get_page("/").await.text().await.unwrap();
    assert!(
        page.contains("<html lang=\"nl\" class=\"kiosk\">"),
        "{page}"
    );
    assert!(page.contains("content=\"80;url=/opnieuw\""), "{page}");
    assert!(page.contains("id=\"kiosk-notice\""));
    // Where script runs: the warning's script, with both idle times, for
    // a page with a session, and the warning in both languages.
    assert!(
        page.contains(
            "src=\"/kiosk-reset.js\" defer data-idle=\"60\" data-signed-in-idle=\"30\" \
             data-warning=\"20\" data-url=\"/opnieuw\" data-session"
        ),
        "{page}"
    );
    assert!(page.contains("id=\"kiosk-warning-nl\"") && page.contains("id=\"kiosk-warning-en\""));

    let reset = terminal.get_page("/opnieuw").await;
    assert_eq!(
        reset.status(),
        StatusCode::OK,
        "followed to the first screen"
    );
    let first = reset.text().await.unwrap();
    assert!(first.contains("action=\"/flow/identify\""));
    assert!(
        first.contains("data-url=\"/opnieuw\">") && !first.contains("data-session"),
        "nothing to clear on an untouched first screen: {first}"
    );
    assert!(
        first.contains("autocomplete=\"off\""),
        "no names remembered"
    );
    assert_eq!(app.state.store.count_sessions().await.unwrap(), 0);

    let desk = app
        .browser_at("203.0.113.9")
        .get_page("/")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !desk.contains("refresh") && !desk.contains("kiosk"),
        "{desk}"
    );
}

/// The session cookie goes along with a link from another site (so that
/// such a link reaches an application signed in): a link to the reset
/// address ends no session.
async fn a_link_from_another_site_to_the_reset_ends_no_session(app: TestApp) {
    app.add_user(USER).await;
    let terminal = app.browser_at("198.51.100.20");
    terminal.sign_in_password(USER, PASSWORD).await;
    assert_eq!(app.state.store.count_sessions().await.unwrap(), 1);

    let page = terminal.get_page_from_another_site("/opnieuw").await;

    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(app.state.store.count_sessions().await.unwrap(), 1);
    let text = terminal.get_page("/").await.text().await.unwrap();
    assert!(
        text.contains("id=\"device-select\""),
        "still signed in: {text}"
    );
}

crate::on_both_backends!(
    configured_by configure;
    terminals_are_told_their_times_and_others_nothing,
    a_terminals_plain_page_resets_itself_and_the_reset_ends_the_session,
    a_link_from_another_site_to_the_reset_ends_no_session,
);
