//! Kiosk mode on a shared terminal, with short times: the warning, "Ik ben
//! er nog", and without an answer a fresh start (nothing typed kept, the
//! session ended on the server, no storage, Dutch again), in the app and on
//! the plain pages; a browser at another address is left alone.

use std::time::{Duration, Instant};

use aanmelden_server::config::Config;

use crate::accessibility::violations;
use crate::flows::{PASSWORD, USER};
use crate::helpers::{BrowserTest, Kind};
use crate::keyboard::press;
use fantoccini::key::Key;

const IDLE_S: u32 = 2;
const WARNING_S: u32 = 3;

/// The test browsers connect from 127.0.0.1: a terminal, here.
fn terminal(config: &mut Config) {
    config.kiosk_addresses = "127.0.0.1".parse().unwrap();
    config.kiosk_idle_s = IDLE_S;
    config.kiosk_warning_s = WARNING_S;
    config.kiosk_signed_in_idle_s = IDLE_S;
}

/// Wait, bounded, until `css` matches, the times of kiosk mode included.
async fn wait_long_for(test: &BrowserTest, css: &str) {
    let deadline = Instant::now() + Duration::from_secs(u64::from(IDLE_S + WARNING_S) + 15);
    while !test.is_present(css).await {
        assert!(Instant::now() < deadline, "{css:?} never appeared");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The session cookie the browser holds now.
async fn session_cookie(test: &BrowserTest) -> String {
    let cookie = test
        .client
        .get_named_cookie("aanmelden_session")
        .await
        .expect("a session cookie");
    format!("aanmelden_session={}", cookie.value())
}

/// Whether the server still knows the session of `cookie`.
async fn still_works(test: &BrowserTest, cookie: &str) -> bool {
    reqwest::Client::new()
        .get(test.url("/api/v1/session"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .status()
        .is_success()
}

/// Up to the devices page (a stored session) in English.
async fn to_registration(test: &BrowserTest) {
    test.add_user(USER, PASSWORD).await;
    test.open("/").await;
    test.click("#lang-en").await;
    test.wait_for_text("#identify-submit", "Log on").await;
    test.type_into("#username", USER).await;
    test.click("#identify-submit").await;
    test.type_into("#password", PASSWORD).await;
    test.click("#password-submit").await;
    test.wait_for("#device-select").await;
}

/// After a fresh start: the first screen, empty, in Dutch, and the old
/// session gone on the server.
async fn started_over(test: &BrowserTest, old_cookie: &str) {
    test.wait_for_text("#identify-submit", "Aanmelden").await;
    assert_eq!(
        test.attribute("#username", "value")
            .await
            .unwrap_or_default(),
        ""
    );
    assert_eq!(test.attribute("html", "lang").await.as_deref(), Some("nl"));
    assert!(
        !still_works(test, old_cookie).await,
        "the session ended on the server"
    );
}

async fn the_app_warns_keeps_who_answers_and_starts_over_without_an_answer(kind: Kind) {
    let test = BrowserTest::start_in(kind, terminal).await;
    test.open("/").await;
    test.type_into("#username", "jan@missingpiece.nl").await;

    wait_long_for(&test, "#kiosk-warning").await;
    test.wait_for_text("#kiosk-warning", "Ik ben er nog").await;
    assert_eq!(violations(&test, &[]).await, Vec::<String>::new());
    assert_eq!(
        test.attribute("#username", "autocomplete").await.as_deref(),
        Some("off")
    );
    test.click("#kiosk-still-here").await;
    assert!(!test.is_present("#kiosk-warning").await);
    assert_eq!(
        test.execute("return document.getElementById('username').value")
            .await,
        "jan@missingpiece.nl",
        "the user who answered keeps what they typed"
    );
    // Someone who keeps typing is never started over, also not once the
    // plain page's own reset time (idle plus warning) has passed.
    let typing_until = Instant::now() + Duration::from_secs(u64::from(IDLE_S + WARNING_S) + 2);
    let mut typed = "jan@missingpiece.nl".to_owned();
    while Instant::now() < typing_until {
        let field = test.wait_for("#username").await;
        field.send_keys("x").await.expect("type");
        typed.push('x');
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert_eq!(
        test.execute("return document.getElementById('username').value")
            .await,
        typed,
        "nothing was reset while the user typed"
    );
    test.type_into("#username", "jan@missingpiece.nl").await;

    to_registration(&test).await;
    let cookie = session_cookie(&test).await;
    assert!(still_works(&test, &cookie).await);
    wait_long_for(&test, "#kiosk-warning").await;
    wait_long_for(
        &test,
        "#plain #identify-submit, #app:not([hidden]) #identify-submit",
    )
    .await;
    test.wait_until_gone("#plain").await;
    started_over(&test, &cookie).await;
    let stored = test
        .execute("return localStorage.length + sessionStorage.length")
        .await;
    assert_eq!(stored, 0, "nothing kept in the browser");
}

async fn the_plain_pages_start_over_by_themselves(kind: Kind) {
    let test = BrowserTest::start_in(kind, terminal).await;
    to_registration(&test).await;
    test.wait_for_text("#kiosk-notice", "shared terminal").await;
    if kind.runs_script() {
        // Where script runs the reset is a timer, not the timed refresh of
        // the <noscript> (which axe's meta-refresh rule would flag).
        assert_eq!(violations(&test, &[]).await, Vec::<String>::new());
    }
    let cookie = session_cookie(&test).await;

    wait_long_for(&test, "#identify-submit").await;

    started_over(&test, &cookie).await;
}

async fn a_browser_elsewhere_is_left_alone(kind: Kind) {
    let test = BrowserTest::start_in(kind, |config| {
        terminal(config);
        config.kiosk_addresses = "10.0.0.0/8".parse().unwrap();
    })
    .await;
    test.open("/").await;
    test.type_into("#username", "jan@missingpiece.nl").await;

    tokio::time::sleep(Duration::from_secs(u64::from(IDLE_S + WARNING_S) + 2)).await;

    assert!(!test.is_present("#kiosk-warning").await);
    assert!(!test.is_present("#kiosk-notice").await);
    assert_eq!(
        test.execute("return document.getElementById('username').value")
            .await,
        "jan@missingpiece.nl"
    );
}

/// Each way of answering the warning (Enter and Space on the focused "Ik
/// ben er nog", a click) only keeps the page: the half-typed user name
/// behind it is not sent on, and stays as it was.
async fn answering_the_warning_keeps_the_page_as_it_was(kind: Kind) {
    let test = BrowserTest::start_in(kind, terminal).await;
    test.open("/").await;
    test.type_into("#username", "jan@missing").await;
    let address = test.client.current_url().await.unwrap();
    for answer in ["Enter", "Space", "click"] {
        wait_long_for(&test, "#kiosk-warning").await;
        test.wait_for_text("#kiosk-warning", "Ik ben er nog").await;
        assert_eq!(
            test.execute("return document.activeElement.id").await,
            "kiosk-still-here"
        );
        match answer {
            "Enter" => press(&test, &Key::Enter.to_string()).await,
            "Space" => press(&test, " ").await,
            _ => test.click("#kiosk-still-here").await,
        }
        test.wait_until_gone("#kiosk-warning").await;
        // Time for a submission to have happened, had one been made.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(
            test.client.current_url().await.unwrap(),
            address,
            "{answer}"
        );
        assert!(!test.is_present("#password").await, "{answer}: sent on");
        assert_eq!(
            test.execute(
                "return [document.getElementById('username').value, document.activeElement.id]"
            )
            .await,
            serde_json::json!(["jan@missing", "username"]),
            "{answer}: what was typed, and the focus back in its field"
        );
    }
}

crate::in_browsers!(
    [Chromium, Firefox];
    the_app_warns_keeps_who_answers_and_starts_over_without_an_answer,
);

mod answering {
    use super::answering_the_warning_keeps_the_page_as_it_was;

    crate::in_browsers!(
        [Chromium, ChromiumJitless, Firefox];
        answering_the_warning_keeps_the_page_as_it_was,
    );
}

mod elsewhere {
    use super::a_browser_elsewhere_is_left_alone;

    crate::in_browsers!([Chromium]; a_browser_elsewhere_is_left_alone);
}

mod plain {
    use super::the_plain_pages_start_over_by_themselves;

    crate::in_browsers!(
        [ChromiumNoScript, ChromiumJitless];
        the_plain_pages_start_over_by_themselves,
    );
}
