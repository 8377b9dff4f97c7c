//! A lost phone is not a dead end: the recovery codes shown once at the
//! first registration sign in instead of the phone, the new phone is
//! registered, the lost one removed, and the new one signs in.

use crate::flows::{PASSWORD, USER, configure};
use crate::helpers::{BrowserTest, Kind, next_totp_code, totp_code};
use crate::pages::{Devices, Identify, Language, Password, Push, Recovery, SignedIn, UserMenu};

async fn a_lost_phone_is_replaced_with_a_recovery_code(kind: Kind) {
    let test = BrowserTest::start_in(kind, configure).await;
    test.add_user(USER, PASSWORD).await;
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;
    Password::shown(&test).await.submit(PASSWORD).await;
    let qr = Devices::shown(&test).await.add_device("iPhone").await;
    let lost = qr.secret().await;
    let codes = qr.done_first(&totp_code(&lost)).await;
    assert_eq!(codes.len(), 10, "{codes:?}");
    test.wait_for_text("#recovery-left", "Je hebt nog 10 van de 10 herstelcodes.")
        .await;
    UserMenu::shown(&test).await.log_off().await;

    // The phone is gone: the password, then the link under the push.
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;
    Password::shown(&test).await.submit(PASSWORD).await;
    Push::shown(&test).await;
    test.wait_for_text("#lost-phone", "Telefoon kwijt? Gebruik een herstelcode")
        .await;
    test.click("#lost-phone").await;
    let recovery = Recovery::shown(&test).await;
    test.wait_for_text("h1", "Herstelcode").await;
    recovery.submit("zzzzz-zzzzz").await;
    test.wait_for_text("#error", "Onjuiste herstelcode.").await;
    // Typed as people type what they read: capitals, no dash.
    recovery
        .submit(&codes[3].replace('-', "").to_uppercase())
        .await;

    let devices = Devices::shown(&test).await;
    test.wait_for_text("#recovered", "Registreer nu je nieuwe telefoon")
        .await;
    test.wait_for_text("#recovery-left", "Je hebt nog 9 van de 10 herstelcodes.")
        .await;
    let qr = devices.add_device("Nieuwe telefoon").await;
    let new = qr.secret().await;
    qr.done(&totp_code(&new)).await;
    test.wait_for_text("#device-added", "Nieuwe telefoon").await;
    let devices = Devices::shown(&test).await;
    devices.select("iPhone").await;
    devices.remove(true).await;
    test.wait_for_text("#device-select", "Nieuwe telefoon")
        .await;
    assert_eq!(
        Devices::shown(&test).await.options().await,
        ["Nieuwe telefoon"]
    );
    UserMenu::shown(&test).await.log_off().await;

    // The used code is spent; the new phone signs in.
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;
    Password::shown(&test).await.submit(PASSWORD).await;
    Push::shown(&test).await;
    test.click("#lost-phone").await;
    Recovery::shown(&test).await.submit(&codes[3]).await;
    test.wait_for_text("#error", "Onjuiste herstelcode.").await;
    test.open("/").await;
    Push::shown(&test)
        .await
        .manually()
        .await
        .submit(&next_totp_code(&new))
        .await;
    SignedIn::shown(&test).await;
    let events: Vec<String> = test
        .state
        .store
        .audit_log(100)
        .await
        .expect("audit log")
        .into_iter()
        .map(|entry| format!("{} {}", entry.event, entry.detail))
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e.starts_with("login_ok recovery_code")),
        "{events:?}"
    );
}

/// In English, with a new set made on the devices screen: the old codes
/// stop working.
async fn a_new_set_of_codes_replaces_the_old_one_in_english(kind: Kind) {
    let test = BrowserTest::start_in(kind, configure).await;
    test.add_user(USER, PASSWORD).await;
    test.open("/").await;
    Language(&test).english().await;
    Identify::shown(&test).await.identify(USER).await;
    Password::shown(&test).await.submit(PASSWORD).await;
    let qr = Devices::shown(&test).await.add_device("iPhone").await;
    let secret = qr.secret().await;
    let old = qr.done_first(&totp_code(&secret)).await;
    test.wait_for_text("#recovery-left", "You have 10 of 10 recovery codes left.")
        .await;

    test.click("#renew-codes").await;
    test.type_into("#renew-code", &next_totp_code(&secret))
        .await;
    test.click("#renew-submit").await;
    let shown = crate::pages::RecoveryCodes::shown(&test).await;
    test.wait_for_text("h2", "Recovery codes").await;
    let new = shown.codes().await;
    assert_eq!(new.len(), 10);
    assert!(
        new.iter().all(|code| !old.contains(code)),
        "{old:?} {new:?}"
    );
    shown.keep().await;
    UserMenu::shown(&test).await.log_off().await;

    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;
    Password::shown(&test).await.submit(PASSWORD).await;
    Push::shown(&test).await;
    test.wait_for_text("#lost-phone", "Lost your phone? Use a recovery code")
        .await;
    test.click("#lost-phone").await;
    let recovery = Recovery::shown(&test).await;
    recovery.submit(&old[0]).await;
    test.wait_for_text("#error", "Incorrect recovery code.")
        .await;
    recovery.submit(&new[0]).await;
    Devices::shown(&test).await;
    test.wait_for_text("#recovered", "You signed in with a recovery code.")
        .await;
    test.wait_for_text("#recovery-left", "You have 9 of 10 recovery codes left.")
        .await;
}

crate::in_browsers!(
    [Chromium, ChromiumNoScript, ChromiumJitless, Firefox, FirefoxNoScript, FirefoxNoWasm];
    a_lost_phone_is_replaced_with_a_recovery_code,
);

mod english {
    use super::a_new_set_of_codes_replaces_the_old_one_in_english;

    crate::in_browsers!(
        [Chromium, FirefoxNoScript];
        a_new_set_of_codes_replaces_the_old_one_in_english,
    );
}
