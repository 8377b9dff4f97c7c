//! Kiosk mode by address: the branding tells a terminal its times, the
//! plain pages reset themselves, and the reset ends the session.

use aanmelden_api::{Branding, Step};
use aanmelden_server::config::Config;
use reqwest::StatusCode;

use crate::helpers::{Browser, PASSWORD, TestApp, code, error_code, json};

const USER: &str = "testgebruiker@missingpiece.nl";
const VERIFY: &str = "/auth/verify";
/// A signed-in kiosk session's idle lifetime by default: the signed-in
/// page's idle time and the warning's time to answer.
const KIOSK_IDLE_S: i64 = 30 + 20;
/// A kiosk session's absolute lifetime by default.
const KIOSK_MAX_S: i64 = 15 * 60;

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

/// A browser at `client` signed in with both factors as `USER`, who has
/// a device (registered from elsewhere).
async fn signed_in_at(app: &TestApp, client: &str) -> Browser {
    let secret = app.user_with_device(USER).await;
    // The next time step: the registration used the current one's code.
    app.clock.advance(30);
    let browser = app.browser_at(client);
    let response = browser
        .sign_in_with_code(USER, &code(&secret, app.now()))
        .await;
    assert_eq!(
        json::<aanmelden_api::StepResponse>(response).await.next,
        Step::Done
    );
    browser
}

/// An application a kiosk went to asks verify on every request, where no
/// reset script runs: that is no sign that someone is still there.
async fn verify_calls_do_not_keep_a_kiosk_session_alive(app: TestApp) {
    let terminal = signed_in_at(&app, "198.51.100.20").await;

    for _ in 0..(KIOSK_IDLE_S / 5 - 1) {
        app.clock.advance(5);
        assert_eq!(terminal.get(VERIFY).await.status(), StatusCode::OK);
    }
    app.clock.advance(5);
    assert_eq!(app.state.store.count_sessions().await.unwrap(), 2);
    app.state.clean_up().await.unwrap();

    assert_eq!(
        app.state.store.count_sessions().await.unwrap(),
        1,
        "the clean-up drops the terminal's session, not the one elsewhere"
    );
    assert_eq!(
        terminal.get(VERIFY).await.status(),
        StatusCode::UNAUTHORIZED,
        "the next person at the terminal gets no session"
    );
    assert_eq!(
        error_code(terminal.get("/session").await, StatusCode::UNAUTHORIZED).await,
        aanmelden_api::ErrorCode::SessionExpired
    );
}

async fn a_kiosk_session_in_use_ends_at_the_kiosk_absolute_lifetime(app: TestApp) {
    let terminal = signed_in_at(&app, "198.51.100.20").await;
    let started = app.now();

    while app.now() + 40 < started + KIOSK_MAX_S {
        app.clock.advance(40);
        assert_eq!(
            terminal.get("/session").await.status(),
            StatusCode::OK,
            "in use {} s after sign-in",
            app.now() - started
        );
    }
    app.clock.set(started + KIOSK_MAX_S);

    assert_eq!(
        error_code(terminal.get("/session").await, StatusCode::UNAUTHORIZED).await,
        aanmelden_api::ErrorCode::SessionExpired
    );
    assert_eq!(
        terminal.get(VERIFY).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Away from the terminals nothing changes: an application's verify
/// calls keep a session alive past every kiosk lifetime.
async fn verify_calls_keep_a_desk_session_alive(app: TestApp) {
    let desk = signed_in_at(&app, "203.0.113.9").await;
    let idle = app.state.config.session_idle_timeout_s;
    let started = app.now();

    while app.now() < started + KIOSK_MAX_S + idle {
        app.clock.advance(idle / 3);
        assert_eq!(
            desk.get(VERIFY).await.status(),
            StatusCode::OK,
            "{} s after sign-in",
            app.now() - started
        );
    }
}

crate::on_both_backends!(
    configured_by configure;
    terminals_are_told_their_times_and_others_nothing,
    a_terminals_plain_page_resets_itself_and_the_reset_ends_the_session,
    a_link_from_another_site_to_the_reset_ends_no_session,
    verify_calls_do_not_keep_a_kiosk_session_alive,
    a_kiosk_session_in_use_ends_at_the_kiosk_absolute_lifetime,
    verify_calls_keep_a_desk_session_alive,
);
