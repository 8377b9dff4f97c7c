//! The helpdesk pass: a new employee at a kiosk, where a first device needs
//! one, enrols their phone and signs in with it; a user whose phone is gone
//! and who has no recovery code registers a new one with a pass.

use aanmelden_server::config::{Config, FirstDevice};

use crate::flows::{PASSWORD, USER};
use crate::helpers::{BrowserTest, Kind, next_totp_code, totp_code};
use crate::pages::{Devices, Identify, Password, Push, SignedIn, UserMenu};

/// A kiosk (the test browsers connect from 127.0.0.1) where a first
/// device needs a helpdesk pass.
fn kiosk_needing_passes(config: &mut Config) {
    crate::flows::configure(config);
    config.kiosk_addresses = "127.0.0.1".parse().unwrap();
    // Its times, longer than a slow browser's steps.
    config.kiosk_idle_s = 120;
    config.kiosk_signed_in_idle_s = 120;
    config.first_device = FirstDevice::Pass;
}

/// A pass for USER, as `aanmelden user pass` issues it.
async fn issue_pass(test: &BrowserTest) -> String {
    let user = test
        .state
        .store
        .find_user(USER)
        .await
        .expect("find the user")
        .expect("the user exists");
    let issued = test
        .state
        .issue_pass(&user, "helpdesk", 8, true)
        .await
        .expect("issue a pass");
    issued.code.expose().to_owned()
}

/// Type `pass` into "Helpdeskpas:" and send it.
async fn enter_pass(test: &BrowserTest, pass: &str) {
    test.type_into("#pass", pass).await;
    test.click("#pass-submit").await;
}

/// Log off, then sign in with the code of the device whose secret is
/// `secret`, typed by hand.
async fn signs_in_again_with(test: &BrowserTest, secret: &str) {
    UserMenu::shown(test).await.log_off().await;
    test.open("/").await;
    Identify::shown(test).await.identify(USER).await;
    Password::shown(test).await.submit(PASSWORD).await;
    Push::shown(test)
        .await
        .manually()
        .await
        .submit(&next_totp_code(secret))
        .await;
    SignedIn::shown(test).await;
}

async fn a_new_employee_enrols_at_a_kiosk_with_a_pass(kind: Kind) {
    let test = BrowserTest::start_in(kind, kiosk_needing_passes).await;
    test.add_user(USER, PASSWORD).await;
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;
    Password::shown(&test).await.submit(PASSWORD).await;

    // No "+ Apparaat toevoegen" without a pass: the page says what to do.
    Devices::shown(&test).await;
    test.wait_for_text(
        "#pass-required",
        "Voor je eerste apparaat heb je een helpdeskpas nodig.",
    )
    .await;
    assert!(!test.is_present("#device-name").await);
    enter_pass(&test, "0000-0000-0000").await;
    test.wait_for_text("#error", "Onjuiste of verlopen helpdeskpas.")
        .await;
    let pass = issue_pass(&test).await;
    enter_pass(&test, &pass).await;

    let qr = Devices::shown(&test).await.add_device("iPhone").await;
    let secret = qr.secret().await;
    let codes = qr.done_first(&totp_code(&secret)).await;
    assert_eq!(codes.len(), 10);
    test.wait_for_text("#device-times", "iPhone: toegevoegd op")
        .await;
    signs_in_again_with(&test, &secret).await;
}

/// The phone is gone and so are the codes: the helpdesk's pass, under the
/// recovery code, registers the new phone, which then signs in.
async fn a_pass_replaces_a_lost_phone_without_recovery_codes(kind: Kind) {
    let test = BrowserTest::start_in(kind, crate::flows::configure).await;
    test.add_user(USER, PASSWORD).await;
    test.registered_device(USER).await;
    let pass = issue_pass(&test).await;
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;
    Password::shown(&test).await.submit(PASSWORD).await;
    Push::shown(&test).await;
    test.click("#lost-phone").await;
    test.wait_for_text("#use-pass", "Geen herstelcode? Gebruik een helpdeskpas")
        .await;
    test.click("#use-pass").await;
    enter_pass(&test, &pass).await;

    let devices = Devices::shown(&test).await;
    // A pass adds a device, and removes none.
    assert!(!test.is_present("#remove-device").await);
    let qr = devices.add_device("Nieuwe telefoon").await;
    let new = qr.secret().await;
    qr.done(&totp_code(&new)).await;
    test.wait_for_text("#device-added", "Nieuwe telefoon").await;
    signs_in_again_with(&test, &new).await;
}

crate::in_browsers!(
    [Chromium, ChromiumNoScript, ChromiumJitless, Firefox, FirefoxNoScript, FirefoxNoWasm];
    a_new_employee_enrols_at_a_kiosk_with_a_pass,
);

mod lost_phone {
    use super::a_pass_replaces_a_lost_phone_without_recovery_codes;

    crate::in_browsers!(
        [Chromium, ChromiumJitless, FirefoxNoScript];
        a_pass_replaces_a_lost_phone_without_recovery_codes,
    );
}
