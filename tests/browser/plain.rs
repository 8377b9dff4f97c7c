//! Without the app: the plain pages alone, in browsers without JavaScript
//! (Chromium and Firefox) and without WebAssembly (Chromium without its
//! JIT): the first registration by QR code, a sign-in with the code typed
//! by hand, one confirmed in the authenticator, and "Afmelden". And where
//! the app runs: every screen is first the server's form, which the app
//! takes over keeping what was typed up to that moment.

use serde_json::json;

use crate::flows::{PASSWORD, USER, authenticator, configure, device_id};
use crate::helpers::{BrowserTest, HeldBack, Kind, next_totp_code, totp_code};
use crate::pages::Devices;

async fn identify(test: &BrowserTest) {
    test.type_into("#username", USER).await;
    test.click("#identify-submit").await;
    test.wait_for_text("#username-shown", USER).await;
}

async fn log_off(test: &BrowserTest, message: &str) {
    test.click("#user-menu").await;
    test.click("#logout").await;
    test.wait_for_text("#logged-off-message", message).await;
}

async fn the_seed_walkthrough_without_the_app(kind: Kind) {
    let test = BrowserTest::start_in(kind, configure).await;
    test.add_user(USER, PASSWORD).await;
    test.open("/").await;

    // Identify, password, and the first device by its QR code.
    test.wait_for_text("label[for=username]", "Gebruikersnaam:")
        .await;
    identify(&test).await;
    test.wait_for_text("h1", "Meld u aan").await;
    test.type_into("#password", PASSWORD).await;
    test.click("#password-submit").await;
    test.wait_for_text("h1", "Mijn geregistreerde apparaten")
        .await;
    test.wait_for_text("#device-select", "Geen geregistreerde apparaten")
        .await;
    test.type_into("#device-name", "iPhone").await;
    test.click("#device-name-ok").await;
    test.wait_for("#qr svg").await;
    let secret = test.text("#secret").await;
    assert!(secret.split(' ').all(|group| group.len() <= 4), "{secret}");
    test.click("#toggle-uri").await;
    test.wait_for_text(
        "#otpauth-uri",
        &format!("secret={}", secret.replace(' ', "")),
    )
    .await;
    test.type_into("#first-code", &totp_code(&secret)).await;
    test.click("#enrol-done").await;
    test.wait_for_text("#device-added", "iPhone is geregistreerd")
        .await;
    // The recovery codes, this once, and on to the devices.
    test.wait_for("#recovery-codes").await;
    test.click("#codes-saved").await;
    test.click("#codes-continue").await;
    test.wait_for_text("#device-select", "iPhone").await;
    log_off(&test, "Je bent afgemeld.").await;

    // The code typed by hand, behind "Klik om eenmalig wachtwoord ...".
    test.click("#sign-in-again").await;
    identify(&test).await;
    test.type_into("#password", PASSWORD).await;
    test.click("#show-otp").await;
    test.type_into("#otp", &next_totp_code(&secret)).await;
    test.click("#password-submit").await;
    test.wait_for_text(
        "#signed-in-message",
        "Je bent nu succesvol ingelogd op de Missing Piece omgeving.",
    )
    .await;
    test.wait_for_text("#client-download", "Linux").await;
    log_off(&test, "Je bent afgemeld.").await;

    // Confirmed in the authenticator, then "Verder" (the page does not
    // reload itself).
    let base32 = secret.replace(' ', "");
    let phone = authenticator(&test, &base32, device_id(&test).await);
    test.open("/").await;
    identify(&test).await;
    test.type_into("#password", PASSWORD).await;
    test.click("#password-submit").await;
    let number = test.text("#push-number").await;
    test.wait_for_text("#push-countdown", "seconden").await;
    let approved = phone(&["approve", "--number", &number]);
    assert!(approved.status.success(), "{approved:?}");
    test.click("#push-continue").await;
    test.wait_for("#signed-in-message").await;

    // English, from the toggle, on the signed-in page too.
    test.click("#lang-en").await;
    test.wait_for_text("#signed-in-message", "You are now signed in")
        .await;
    log_off(&test, "You have been logged off.").await;
    assert_eq!(test.attribute("html", "lang").await.as_deref(), Some("en"));

    assert!(
        !test.is_present("#app").await,
        "the app never ran: {kind:?} has no script or no WebAssembly"
    );
    if kind == Kind::ChromiumJitless {
        let wasm = test.execute("return typeof WebAssembly").await;
        assert_eq!(wasm, "undefined", "without a JIT there is no WebAssembly");
    }
}

/// The first screen comes from the server; where the app runs it takes the
/// screen over, keeping what was typed and the focus.
async fn the_app_takes_over_the_first_screen_keeping_what_was_typed(kind: Kind) {
    let test = BrowserTest::start_in(kind, configure).await;
    // A slow line: the app arrives seconds after the form.
    test.cdp("Network.enable", &json!({})).await;
    test.cdp(
        "Network.emulateNetworkConditions",
        &json!({
            "offline": false,
            "latency": 150,
            "downloadThroughput": 100_000,
            "uploadThroughput": 100_000,
        }),
    )
    .await;
    test.client.goto(&test.url("/")).await.expect("navigate");

    let field = test.wait_for("#plain #username").await;
    field.send_keys("jan@missingpiece").await.expect("type");
    assert!(
        test.is_present("#plain").await,
        "the app arrived before the test could type"
    );
    test.wait_until_gone("#plain").await;
    test.wait_for("#app:not([hidden]) #username").await;

    let value = test
        .execute("return document.getElementById('username').value")
        .await;
    let focused = test.execute("return document.activeElement.id").await;
    assert_eq!(value, "jan@missingpiece");
    assert_eq!(focused, "username");
    assert!(test.csp_violations().await.is_empty());
}

/// The password page, reloaded on a slow line: the password and a code
/// typed into the server's page (its code field opened) reach the app's
/// fields, the code field shown.
async fn the_app_takes_over_the_password_page_keeping_a_typed_code(kind: Kind) {
    let test = BrowserTest::start_in(kind, configure).await;
    test.add_user(USER, PASSWORD).await;
    test.open("/").await;
    identify(&test).await;
    test.cdp("Network.enable", &json!({})).await;
    test.cdp(
        "Network.setCacheDisabled",
        &json!({ "cacheDisabled": true }),
    )
    .await;
    test.cdp(
        "Network.emulateNetworkConditions",
        &json!({
            "offline": false,
            "latency": 150,
            "downloadThroughput": 50_000,
            "uploadThroughput": 50_000,
        }),
    )
    .await;
    test.client.refresh().await.expect("reload");

    let password = test.wait_for("#plain #password").await;
    password.send_keys(PASSWORD).await.expect("type");
    test.wait_for("#plain #show-otp")
        .await
        .click()
        .await
        .expect("open");
    let code = test.wait_for("#plain #otp").await;
    code.send_keys("123456").await.expect("type");
    assert!(
        test.is_present("#plain").await,
        "the app arrived before the test could type"
    );
    test.wait_until_gone("#plain").await;
    test.wait_for("#app:not([hidden]) #otp").await;

    let values = test
        .execute("return [document.getElementById('password').value, document.getElementById('otp').value, document.activeElement.id]")
        .await;
    assert_eq!(values, json!([PASSWORD, "123456", "otp"]));
}

crate::in_browsers!(
    [ChromiumNoScript, FirefoxNoScript, ChromiumJitless];
    the_seed_walkthrough_without_the_app,
);

/// Type `text` into the server's field `id` while the app's first request
/// is held back, then let it through: the app's field of that id holds
/// the text once the app has taken the page over, and has the focus.
async fn typed_while_the_app_starts_is_kept(test: &BrowserTest, path: &str, id: &str, typed: &str) {
    let held = HeldBack::start(test, "/api/v1/session").await;
    test.client
        .goto(&format!("{}{path}", held.base))
        .await
        .expect("navigate");
    held.arrived().await;
    let field = test.wait_for(&format!("#plain #{id}")).await;
    field.send_keys(typed).await.expect("type");
    assert!(
        test.is_present("#plain").await,
        "the app took the page over before its request was let through"
    );
    held.release();
    test.wait_until_gone("#plain").await;
    test.wait_for(&format!("#app:not([hidden]) #{id}")).await;
    let values = test
        .execute(&format!(
            "return [document.getElementById('{id}').value, document.activeElement.id]"
        ))
        .await;
    assert_eq!(
        values,
        json!([typed, id]),
        "{path}: what was typed, and the focus"
    );
}

/// The first screen and the devices page: a user name, and a device's
/// name, typed in the moment between the app's start and its takeover.
async fn what_is_typed_until_the_takeover_is_kept(kind: Kind) {
    let test = BrowserTest::start_in(kind, configure).await;
    test.add_user(USER, PASSWORD).await;
    typed_while_the_app_starts_is_kept(&test, "/", "username", "jan@missingpiece").await;

    identify(&test).await;
    test.type_into("#password", PASSWORD).await;
    test.click("#password-submit").await;
    Devices::shown(&test).await;
    typed_while_the_app_starts_is_kept(&test, "/apparaten", "device-name", "Werktelefoon").await;
    test.assert_the_devices_build_shows().await;
}

crate::in_browsers!(
    [Chromium];
    the_app_takes_over_the_first_screen_keeping_what_was_typed,
    the_app_takes_over_the_password_page_keeping_a_typed_code,
);

mod takeover {
    use super::what_is_typed_until_the_takeover_is_kept;

    crate::in_browsers!(
        [Chromium, Firefox];
        what_is_typed_until_the_takeover_is_kept,
    );
}
