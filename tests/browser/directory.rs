//! Employees from the company directory (a real slapd with a password
//! policy), in the browsers: the first registration of a phone with the
//! directory's password and a later sign-in with the code, under the name
//! the directory gives (the mail, where the uid was typed); and a password
//! the directory says must be changed, told in Dutch and in English.

use aanmelden_server::config::{AccountSource, Config};
use aanmelden_server::domain::secrets::SecretString;

use crate::flows::PASSWORD;
use crate::helpers::{BrowserTest, Kind, totp_code};
use crate::pages::{Devices, Identify, Language, Password, SignedIn, UserMenu, error};
use crate::slapd::{PEOPLE, SERVICE_DN, SERVICE_PASSWORD, Slapd};

/// The mail the portal knows jan by.
const JAN: &str = "jan@example.test";

/// A portal whose accounts come from `slapd`.
async fn portal(kind: Kind, slapd: &Slapd) -> BrowserTest {
    let url = slapd.url.clone();
    BrowserTest::start_in(kind, |config: &mut Config| {
        config.accounts = AccountSource::Directory;
        config.directory_url = Some(url);
        config.directory_base_dn = Some(PEOPLE.to_owned());
        config.directory_bind_dn = Some(SERVICE_DN.to_owned());
        config.directory_bind_password = Some(SecretString::new(SERVICE_PASSWORD.to_owned()));
    })
    .await
}

fn directory() -> Option<Slapd> {
    Slapd::with_password_policy(
        &[
            ("jan", JAN, "Jan Jansen", PASSWORD),
            ("piet", "piet@example.test", "Piet Pieters", PASSWORD),
        ],
        &[],
    )
}

async fn a_directory_user_registers_a_phone_and_signs_in_again(kind: Kind) {
    let Some(slapd) = directory() else { return };
    let test = portal(kind, &slapd).await;
    test.open("/").await;
    Identify::shown(&test).await.identify("jan").await;
    Password::shown(&test).await.submit(PASSWORD).await;

    let devices = Devices::shown(&test).await;
    let qr = devices.add_device("iPhone").await;
    let secret = qr.secret().await;
    qr.done_first(&totp_code(&secret)).await;
    test.wait_for_text("#device-select", "iPhone").await;
    let menu = UserMenu::shown(&test).await;
    assert_eq!(
        menu.username().await.trim_end_matches('▾').trim(),
        JAN,
        "the name the directory gives"
    );
    menu.log_off().await;

    test.open("/").await;
    Identify::shown(&test).await.identify(JAN).await;
    // The code of the next period: the first one was used at "Gereed".
    Password::shown(&test)
        .await
        .submit_with_otp(PASSWORD, &crate::helpers::next_totp_code(&secret))
        .await;
    SignedIn::shown(&test).await;
}

async fn a_password_to_be_changed_is_told_in_both_languages(kind: Kind) {
    let Some(slapd) = directory() else { return };
    slapd
        .replace(&format!("uid=piet,{PEOPLE}"), "pwdReset", "TRUE")
        .await;
    let test = portal(kind, &slapd).await;
    test.open("/").await;
    Identify::shown(&test).await.identify("piet").await;
    let password = Password::shown(&test).await;
    password.submit(PASSWORD).await;
    test.wait_for_text("#error", "Je moet eerst een nieuw wachtwoord instellen.")
        .await;
    assert!(error(&test).await.contains("servicedesk"));

    Language(&test).english().await;
    test.wait_for_text("#password-submit", "Submit").await;
    Password::shown(&test).await.submit(PASSWORD).await;
    test.wait_for_text("#error", "You must set a new password first.")
        .await;
    assert!(error(&test).await.contains("service desk"));
}

crate::in_browsers!(
    [Chromium, ChromiumNoScript, Firefox, FirefoxNoScript];
    a_directory_user_registers_a_phone_and_signs_in_again,
    a_password_to_be_changed_is_told_in_both_languages,
);
