//! Keyboard only: the first registration and a sign-in with the code typed
//! by hand, using nothing but Tab, Enter and typing, in the app and on the
//! plain pages.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;

use crate::flows::{PASSWORD, USER, configure};
use crate::helpers::{BrowserTest, Kind, next_totp_code, totp_code};

/// Most Tab presses it may take to reach any control of a screen.
const MOST_TABS: usize = 25;

/// Type `keys` where the focus is, as a keyboard does: each key down and up
/// (`WebDriver` actions, not sent to an element).
pub async fn press(test: &BrowserTest, keys: &str) {
    let mut actions = KeyActions::new("keyboard".to_owned());
    for key in keys.chars() {
        actions = actions
            .then(KeyAction::Down { value: key })
            .then(KeyAction::Up { value: key });
    }
    test.client.perform_actions(actions).await.expect("keys");
}

/// The id of the focused element.
async fn focused(test: &BrowserTest) -> String {
    match test.client.active_element().await {
        Ok(element) => element.attr("id").await.ok().flatten().unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Press Tab until the element `id` has the focus.
async fn tab_to(test: &BrowserTest, id: &str) {
    for _ in 0..MOST_TABS {
        if focused(test).await == id {
            return;
        }
        press(test, &Key::Tab.to_string()).await;
    }
    panic!(
        "Tab never reached #{id} (the focus is on #{})",
        focused(test).await
    );
}

/// Wait until `id` has the focus by itself: each new step moves the focus
/// to its first field.
async fn focus_moves_to(test: &BrowserTest, id: &str) {
    test.wait_for(&format!("#{id}")).await;
    for _ in 0..100 {
        if focused(test).await == id {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the focus did not move to #{id} (it is on #{})",
        focused(test).await
    );
}

async fn first_registration_and_a_code_sign_in_by_keyboard(kind: Kind) {
    let test = BrowserTest::start_in(kind, configure).await;
    test.add_user(USER, PASSWORD).await;
    test.open("/").await;
    let enter = Key::Enter.to_string();

    focus_moves_to(&test, "username").await;
    press(&test, &format!("{USER}{enter}")).await;
    focus_moves_to(&test, "password").await;
    press(&test, &format!("{PASSWORD}{enter}")).await;
    test.wait_for("#device-select").await;
    if !test.is_present("#device-name").await {
        tab_to(&test, "add-device").await;
        press(&test, &enter).await;
    }
    tab_to(&test, "device-name").await;
    press(&test, &format!("iPhone{enter}")).await;
    test.wait_for("#qr svg").await;
    let secret = test.text("#secret").await;
    tab_to(&test, "first-code").await;
    press(&test, &format!("{}{enter}", totp_code(&secret))).await;
    // The recovery codes, this once: say they are saved, then on.
    test.wait_for("#recovery-codes").await;
    tab_to(&test, "codes-saved").await;
    press(&test, " ").await;
    tab_to(&test, "codes-continue").await;
    press(&test, &enter).await;
    test.wait_for_text("#device-select", "iPhone").await;
    tab_to(&test, "user-menu").await;
    press(&test, &enter).await;
    tab_to(&test, "logout").await;
    press(&test, &enter).await;
    test.wait_for("#logged-off-message").await;

    tab_to(&test, "sign-in-again").await;
    press(&test, &enter).await;
    focus_moves_to(&test, "username").await;
    press(&test, &format!("{USER}{enter}")).await;
    focus_moves_to(&test, "password").await;
    press(&test, PASSWORD).await;
    tab_to(&test, "show-otp").await;
    press(&test, &enter).await;
    tab_to(&test, "otp").await;
    press(&test, &format!("{}{enter}", next_totp_code(&secret))).await;
    test.wait_for_text("#signed-in-message", "succesvol ingelogd")
        .await;
}

// Not in Firefox with the app: geckodriver's synthesized Enter and Space
// reach a <button> as key events but without its click (checked: keydown,
// keypress, keyup, no click), so no button-only control can be pressed.
// The plain pages' controls are links, summaries and form submissions,
// which it does press.
crate::in_browsers!(
    [Chromium, ChromiumNoScript, FirefoxNoScript];
    first_registration_and_a_code_sign_in_by_keyboard,
);
