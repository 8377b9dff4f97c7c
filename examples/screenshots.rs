//! `cargo xtask screenshots`: every screen of the portal, in Dutch and in
//! English, rendered by headless Chromium from the built portal on the real
//! server, into the folder given as the first argument (docs/screenshots);
//! and the plain pages, as a browser without JavaScript shows them
//! (`plain-*.png`).

// A failed step is a failed run.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/browser/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "../tests/browser/pages.rs"]
#[allow(dead_code)]
mod pages;

use std::path::{Path, PathBuf};

use aanmelden_server::config::{Application, Config};

use crate::helpers::{BrowserTest, Kind, totp_code};
use crate::pages::{Devices, Identify, Language, Password, Push, SignedIn, UserMenu};

const NEWCOMER: &str = "nieuw@missingpiece.nl";
const RETURNING: &str = "testgebruiker@missingpiece.nl";
const PASSWORD: &str = "correct horse battery";

#[tokio::main]
async fn main() {
    let folder = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: screenshots <folder>"),
    );
    std::fs::create_dir_all(&folder).expect("create the folder");
    for lang in ["nl", "en"] {
        shoot_language(&folder, lang).await;
        shoot_plain(&folder, lang).await;
        shoot_kiosk(&folder, lang).await;
        shoot_phone_app(&folder, lang).await;
    }
    println!("screenshots written to {}", folder.display());
}

async fn shoot_language(folder: &Path, lang: &str) {
    let test = BrowserTest::start_with(configure).await;
    test.add_user(NEWCOMER, PASSWORD).await;
    test.add_user(RETURNING, PASSWORD).await;
    let secret = test.registered_device(RETURNING).await;
    let shot = |name: &'static str| {
        let test = &test;
        async move {
            test.execute("window.scrollTo(0, 0)").await;
            let png = test.client.screenshot().await.expect("screenshot");
            let path = folder.join(format!("{lang}-{name}.png"));
            std::fs::write(&path, png).expect("write the screenshot");
        }
    };

    test.client
        .set_window_size(1280, 1000)
        .await
        .expect("resize");
    test.open("/").await;
    if lang == "en" {
        Language(&test).english().await;
        test.wait_for_text("#identify-submit", "Log on").await;
    }
    let identify = Identify::shown(&test).await;
    shot("1-identify").await;

    identify.identify(NEWCOMER).await;
    let password = Password::shown(&test).await;
    test.type_into("#password", "wrong password").await;
    test.click("#password-submit").await;
    test.wait_for("#error").await;
    shot("2-password-error").await;
    password.reveal_otp().await;
    shot("2-password-otp").await;
    test.type_into("#otp", "").await;
    password.submit(PASSWORD).await;

    let devices = Devices::shown(&test).await;
    shot("3-devices-empty").await;
    let qr = devices.add_device("iPhone").await;
    shot("4-qr").await;
    qr.done(&totp_code(&qr.secret().await)).await;
    test.wait_for("#recovery-codes code").await;
    shot("4-recovery-codes").await;
    test.click("#codes-saved").await;
    test.click("#codes-continue").await;
    test.wait_for_text("#device-select", "iPhone").await;
    shot("5-devices").await;
    test.click("#user-menu").await;
    test.wait_for("#logout").await;
    shot("6-user-menu").await;
    test.click("#logout").await;
    test.wait_for("#logged-off-message").await;
    shot("7-logged-off").await;

    test.click("#sign-in-again").await;
    Identify::shown(&test).await.identify(RETURNING).await;
    Password::shown(&test).await.submit(PASSWORD).await;
    Push::shown(&test).await;
    shot("8-push").await;
    test.click("#lost-phone").await;
    test.wait_for("#recovery-code").await;
    test.click("#use-pass").await;
    test.wait_for("#pass").await;
    shot("8-recovery").await;
    test.open("/").await;
    let otp = Push::shown(&test).await.manually().await;
    shot("8-otp").await;
    otp.submit(&totp_code(&secret)).await;
    SignedIn::shown(&test).await;
    UserMenu::shown(&test).await;
    shot("9-signed-in").await;

    // Where the gate sends a user an application is not open to.
    test.open("/geen-toegang?app=https%3A%2F%2Fsalaris.missingpiece.nl%2F")
        .await;
    test.wait_for("#no-access-message").await;
    shot("13-no-access").await;
    test.click("#to-applications").await;
    SignedIn::shown(&test).await;

    // The narrowest phone the portal is made for.
    test.client.set_window_size(320, 640).await.expect("resize");
    test.click("#to-devices").await;
    let devices = Devices::shown(&test).await;
    shot("10-phone-devices").await;
    let qr = devices.add_device("Werktelefoon").await;
    shot("10-phone-qr").await;
    qr.cancel().await;
    Devices::shown(&test).await;
}

/// The phone app at 390 pixels, beside the computer's browser: adding the
/// account from the QR code's link, its codes, and a sign-in to answer.
async fn shoot_phone_app(folder: &Path, lang: &str) {
    let computer = BrowserTest::start_with(configure).await;
    computer.add_user(NEWCOMER, PASSWORD).await;
    computer.open("/").await;
    Identify::shown(&computer).await.identify(NEWCOMER).await;
    Password::shown(&computer).await.submit(PASSWORD).await;
    let qr = Devices::shown(&computer).await.add_device("Telefoon").await;
    let uri = qr.otpauth_uri().await;

    let phone = computer.beside(Kind::Chromium).await;
    phone.as_phone().await;
    let shot = |name: &'static str| {
        let phone = &phone;
        async move {
            let png = phone.client.screenshot().await.expect("screenshot");
            let path = folder.join(format!("{lang}-14-phone-{name}.png"));
            std::fs::write(&path, png).expect("write the screenshot");
        }
    };
    phone
        .open(if lang == "en" { "/phone" } else { "/telefoon/" })
        .await;
    phone.wait_for("#add-account").await;
    shot("1-empty").await;
    phone.click("#add-account").await;
    phone.type_into("#typed", &uri).await;
    shot("2-add").await;
    phone.click("#add").await;
    let first = phone.wait_for(".first-code").await.text().await.unwrap();
    shot("3-added").await;
    qr.done_first(&first.split_whitespace().collect::<String>())
        .await;
    Devices::shown(&computer).await;
    phone.click("#back").await;
    phone.wait_for(".account .code").await;
    phone.wait_for_text(".account .left", " s").await;
    shot("4-codes").await;

    UserMenu::shown(&computer).await.log_off().await;
    computer.open("/").await;
    Identify::shown(&computer).await.identify(NEWCOMER).await;
    Password::shown(&computer).await.submit(PASSWORD).await;
    Push::shown(&computer).await;
    phone.wait_for(".request").await;
    shot("5-waiting").await;
    phone.click(".request").await;
    phone.wait_for("#number").await;
    shot("6-request").await;
}

/// A kiosk's warning before everything starts over, and the first screen
/// at 320 pixels, with the app and without script.
async fn shoot_kiosk(folder: &Path, lang: &str) {
    let terminal = |config: &mut Config| {
        configure(config);
        config.kiosk = true;
        config.kiosk_idle_s = 1;
        config.kiosk_warning_s = 60;
    };
    let test = BrowserTest::start_in(Kind::Chromium, terminal).await;
    test.client
        .set_window_size(1280, 800)
        .await
        .expect("resize");
    test.open("/").await;
    if lang == "en" {
        Language(&test).english().await;
        test.wait_for_text("#identify-submit", "Log on").await;
    }
    test.type_into("#username", RETURNING).await;
    test.wait_for("#kiosk-warning").await;
    let png = test.client.screenshot().await.expect("screenshot");
    std::fs::write(folder.join(format!("{lang}-11-kiosk-warning.png")), png).expect("write");

    for (kind, name) in [
        (Kind::Chromium, "12-phone-identify"),
        (Kind::ChromiumNoScript, "plain-12-phone-identify"),
    ] {
        let test = BrowserTest::start_in(kind, configure).await;
        test.client.set_window_size(320, 640).await.expect("resize");
        test.open("/").await;
        if lang == "en" {
            test.click("#lang-en").await;
            test.wait_for_text("#identify-submit", "Log on").await;
        }
        test.wait_for("#username").await;
        let png = test.client.screenshot().await.expect("screenshot");
        let file = match name.strip_prefix("plain-") {
            Some(rest) => format!("plain-{lang}-{rest}.png"),
            None => format!("{lang}-{name}.png"),
        };
        std::fs::write(folder.join(file), png).expect("write");
    }
}

/// The plain pages, in Chromium with JavaScript off.
async fn shoot_plain(folder: &Path, lang: &str) {
    let test = BrowserTest::start_in(Kind::ChromiumNoScript, configure).await;
    test.add_user(NEWCOMER, PASSWORD).await;
    test.add_user(RETURNING, PASSWORD).await;
    test.registered_device(RETURNING).await;
    let shot = |name: &'static str| {
        let test = &test;
        async move {
            let png = test.client.screenshot().await.expect("screenshot");
            let path = folder.join(format!("plain-{lang}-{name}.png"));
            std::fs::write(&path, png).expect("write the screenshot");
        }
    };
    test.client
        .set_window_size(1280, 1000)
        .await
        .expect("resize");
    test.open("/").await;
    if lang == "en" {
        test.click("#lang-en").await;
        test.wait_for_text("#identify-submit", "Log on").await;
    }
    shot("1-identify").await;
    test.type_into("#username", NEWCOMER).await;
    test.click("#identify-submit").await;
    test.type_into("#password", "wrong password").await;
    test.click("#password-submit").await;
    test.wait_for("#error").await;
    test.click("#show-otp").await;
    shot("2-password-error-otp").await;
    test.type_into("#password", PASSWORD).await;
    test.click("#password-submit").await;
    test.wait_for("#device-name").await;
    shot("3-devices-empty").await;
    test.type_into("#device-name", "iPhone").await;
    test.click("#device-name-ok").await;
    test.wait_for("#qr svg").await;
    shot("4-qr").await;
    let secret = test.text("#secret").await;
    test.type_into("#first-code", &totp_code(&secret)).await;
    test.click("#enrol-done").await;
    test.wait_for("#recovery-codes code").await;
    shot("4-recovery-codes").await;
    test.click("#codes-saved").await;
    test.click("#codes-continue").await;
    test.wait_for("#device-times").await;
    shot("5-devices").await;
    test.click("#user-menu").await;
    test.click("#logout").await;
    test.wait_for("#logged-off-message").await;
    shot("7-logged-off").await;

    test.click("#sign-in-again").await;
    test.type_into("#username", RETURNING).await;
    test.click("#identify-submit").await;
    test.type_into("#password", PASSWORD).await;
    test.click("#password-submit").await;
    test.wait_for("#push-number").await;
    shot("8-push").await;
    test.open("/?stap=code").await;
    test.wait_for("#otp").await;
    shot("8-otp").await;
}

fn configure(config: &mut Config) {
    config.applications = vec![
        Application {
            name: "Webmail".to_owned(),
            url: "https://mail.missingpiece.nl/".to_owned(),
            groups: Vec::new(),
        },
        Application {
            name: "Intranet".to_owned(),
            url: "https://intranet.missingpiece.nl/".to_owned(),
            groups: Vec::new(),
        },
    ];
    config.client_downloads.linux = Some("https://downloads.missingpiece.nl/workspace.deb".into());
    config.client_downloads.windows =
        Some("https://downloads.missingpiece.nl/workspace.exe".into());
    config.client_downloads.macos = Some("https://downloads.missingpiece.nl/workspace.pkg".into());
}
