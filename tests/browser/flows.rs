//! The sign-in flow as a user walks it, in Dutch and in English: the first
//! registration of a phone, a returning user with a code typed by hand,
//! mistakes, a reload, and testing and removing a device.

use aanmelden_server::clock::{Clock, SystemClock};
use aanmelden_server::config::{Application, Config};

use std::path::Path;
use std::process::{Command, Output};

use crate::helpers::{BrowserTest, Kind, next_totp_code, totp_code};
use crate::pages::{Devices, Identify, Language, Password, Push, Qr, SignedIn, UserMenu, error};

pub const USER: &str = "testgebruiker@missingpiece.nl";
pub const PASSWORD: &str = "correct horse battery";

/// A server with applications and a Linux client download (Chromium here
/// runs on Linux), and a user without a device.
async fn portal(kind: Kind) -> BrowserTest {
    let test = BrowserTest::start_in(kind, configure).await;
    test.add_user(USER, PASSWORD).await;
    test
}

pub fn configure(config: &mut Config) {
    config.applications = vec![Application {
        name: "Webmail".to_owned(),
        url: "https://mail.missingpiece.nl/".to_owned(),
        groups: Vec::new(),
    }];
    config.client_downloads.linux = Some("https://downloads.missingpiece.nl/workspace.deb".into());
    config.client_downloads.windows =
        Some("https://downloads.missingpiece.nl/workspace.exe".into());
}

/// User name, then password and the code typed by hand in one go.
async fn sign_in_with_code(test: &BrowserTest, secret: &str) {
    Identify::shown(test).await.identify(USER).await;
    Password::shown(test)
        .await
        .submit_with_otp(PASSWORD, &totp_code(secret))
        .await;
}

/// User name and password, up to the devices page of a first registration.
async fn to_first_registration(test: &BrowserTest) -> Devices<'_> {
    test.open("/").await;
    Identify::shown(test).await.identify(USER).await;
    let password = Password::shown(test).await;
    password.submit(PASSWORD).await;
    Devices::shown(test).await
}

async fn first_time_walkthrough_in_dutch(kind: Kind) {
    let test = portal(kind).await;
    test.open("/").await;

    let identify = Identify::shown(&test).await;
    test.wait_for_text("label[for=username]", "Gebruikersnaam:")
        .await;
    assert_eq!(
        test.attribute("#username", "placeholder").await.as_deref(),
        Some("Voer een gebruikersnaam in...")
    );
    test.wait_for_text("#identify-submit", "Aanmelden").await;
    identify.identify(USER).await;

    let password = Password::shown(&test).await;
    test.wait_for_text("h1", "Meld u aan").await;
    assert_eq!(password.username().await, USER);
    test.wait_for_text(
        "#show-otp",
        "Klik om eenmalig wachtwoord handmatig in te voeren",
    )
    .await;
    test.wait_for_text("#password-submit", "Verzenden").await;
    password.submit(PASSWORD).await;

    let devices = Devices::shown(&test).await;
    assert_eq!(devices.heading().await, "Mijn geregistreerde apparaten");
    assert_eq!(devices.options().await, ["Geen geregistreerde apparaten"]);
    test.wait_for_text("#add-device", "+ Apparaat toevoegen")
        .await;
    let qr = devices.add_device("iPhone").await;
    assert!(qr.svg().await.contains("<path"), "a drawn QR code");
    let shown = qr.secret_shown().await;
    assert!(
        shown.split(' ').all(|group| group.len() <= 4),
        "groups of four: {shown}"
    );
    let uri = qr.otpauth_uri().await;
    assert!(uri.starts_with("otpauth://totp/Missing%20Piece:"), "{uri}");
    assert!(uri.contains(&format!("secret={}", qr.secret().await)));
    test.wait_for_text("#enrol-done", "Gereed").await;
    let codes = qr.done_first(&totp_code(&qr.secret().await)).await;
    assert_eq!(codes.len(), 10, "the first recovery codes");

    test.wait_for_text("#device-select", "iPhone").await;
    assert_eq!(Devices::shown(&test).await.options().await, ["iPhone"]);
    let menu = UserMenu::shown(&test).await;
    assert_eq!(menu.username().await.trim_end_matches('▾').trim(), USER);
    let logged_off = menu.log_off().await;
    assert_eq!(logged_off.message().await, "Je bent afgemeld.");
    assert_eq!(test.html_lang().await, "nl");
    assert!(test.csp_violations().await.is_empty());
}

async fn returning_user_signs_in_with_a_code_typed_by_hand(kind: Kind) {
    let test = portal(kind).await;
    let secret = test.registered_device(USER).await;
    test.open("/").await;

    sign_in_with_code(&test, &secret).await;

    let signed_in = SignedIn::shown(&test).await;
    assert_eq!(
        signed_in.message().await,
        "Je bent nu succesvol ingelogd op de Missing Piece omgeving."
    );
    assert_eq!(
        signed_in.applications().await,
        [(
            "Webmail".to_owned(),
            "https://mail.missingpiece.nl/".to_owned()
        )]
    );
    assert_eq!(
        signed_in.client_download().await.as_deref(),
        Some("https://downloads.missingpiece.nl/workspace.deb")
    );
    test.wait_for_text("#client-download", "Linux").await;
    assert_eq!(
        UserMenu::shown(&test).await.log_off().await.message().await,
        "Je bent afgemeld."
    );
}

async fn first_time_walkthrough_in_english(kind: Kind) {
    let test = portal(kind).await;
    test.open("/").await;
    let identify = Identify::shown(&test).await;
    // Typed input survives the switch of language.
    test.type_into("#username", USER).await;

    Language(&test).english().await;

    test.wait_for_text("label[for=username]", "User name:")
        .await;
    assert_eq!(test.html_lang().await, "en");
    assert_eq!(
        test.execute("return document.getElementById('username').value")
            .await,
        USER
    );
    assert_eq!(
        test.attribute("#username", "placeholder").await.as_deref(),
        Some("Enter a user name...")
    );
    identify.identify(USER).await;
    let password = Password::shown(&test).await;
    test.wait_for_text("h1", "Please log on").await;
    test.wait_for_text("#show-otp", "Click to enter one-time password manually")
        .await;
    password.submit(PASSWORD).await;
    let devices = Devices::shown(&test).await;
    assert_eq!(devices.heading().await, "My registered devices");
    assert_eq!(devices.options().await, ["No registered devices"]);
    test.wait_for_text("#add-device", "+ Add device").await;
    let qr = devices.add_device("iPhone").await;
    test.wait_for_text("#enrol-done", "Done").await;
    let codes = qr.done_first(&totp_code(&qr.secret().await)).await;
    assert_eq!(codes.len(), 10, "the first recovery codes");
    test.wait_for_text("#device-select", "iPhone").await;
    let logged_off = UserMenu::shown(&test).await.log_off().await;
    assert_eq!(logged_off.message().await, "You have been logged off.");

    // The choice is remembered: a new visit starts in English.
    test.open("/").await;
    test.wait_for_text("#identify-submit", "Log on").await;
    assert_eq!(test.html_lang().await, "en");
    Language(&test).dutch().await;
    test.wait_for_text("#identify-submit", "Aanmelden").await;
    assert_eq!(test.html_lang().await, "nl");
}

async fn returning_user_in_english(kind: Kind) {
    let test = portal(kind).await;
    let secret = test.registered_device(USER).await;
    test.open("/").await;
    Language(&test).english().await;

    sign_in_with_code(&test, &secret).await;

    let signed_in = SignedIn::shown(&test).await;
    assert_eq!(
        signed_in.message().await,
        "You are now signed in to the Missing Piece environment."
    );
    assert_eq!(test.html_lang().await, "en");
    test.wait_for_text("#user-menu", USER).await;
}

async fn wrong_password_says_so_and_keeps_the_user_name(kind: Kind) {
    let test = portal(kind).await;
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;

    let password = Password::shown(&test).await;
    password.submit("not the password").await;

    test.wait_for_text("#error", "Onjuiste gebruikersnaam of wachtwoord.")
        .await;
    assert_eq!(error(&test).await, "Onjuiste gebruikersnaam of wachtwoord.");
    assert_eq!(password.username().await, USER);
    // The right password still works from here.
    password.submit(PASSWORD).await;
    Devices::shown(&test).await;
}

async fn going_back_keeps_the_user_name_to_correct(kind: Kind) {
    let test = portal(kind).await;
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;

    Password::shown(&test).await.change_user().await;

    Identify::shown(&test).await;
    assert_eq!(
        test.execute("return document.getElementById('username').value")
            .await,
        USER
    );
}

async fn returning_user_types_the_code_on_its_own_step(kind: Kind) {
    let test = portal(kind).await;
    let secret = test.registered_device(USER).await;
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;

    Password::shown(&test).await.submit(PASSWORD).await;
    let otp = Push::shown(&test).await.manually().await;
    otp.submit("000000").await;
    test.wait_for_text("#error", "Onjuist eenmalig wachtwoord.")
        .await;
    otp.submit(&totp_code(&secret)).await;

    SignedIn::shown(&test).await;
}

async fn a_reload_during_enrolment_shows_the_same_secret(kind: Kind) {
    let test = portal(kind).await;
    let devices = to_first_registration(&test).await;
    let qr = devices.add_device("iPhone").await;
    let secret = qr.secret().await;
    qr.copy_secret().await;
    test.wait_for_text("#copy-secret", "Gekopieerd").await;
    qr.done_without_code().await;
    test.wait_for_text("#error", "Voer de eerste code uit de app in.")
        .await;

    test.reload().await;

    let again = Qr::shown(&test).await;
    assert_eq!(again.secret().await, secret);
    // "Annuleren" drops it: the dropdown is empty again.
    again.cancel().await;
    assert_eq!(
        Devices::shown(&test).await.options().await,
        ["Geen geregistreerde apparaten"]
    );
}

/// A user with one device ("iPhone") signs in with its code and opens the
/// devices page from the start page; the device's secret.
async fn to_the_devices_page_signed_in(test: &BrowserTest) -> String {
    let secret = test.registered_device(USER).await;
    test.open("/").await;
    sign_in_with_code(test, &secret).await;
    SignedIn::shown(test).await;
    test.click("#to-devices").await;
    secret
}

async fn testing_and_removing_a_device(kind: Kind) {
    let test = portal(kind).await;
    let secret = to_the_devices_page_signed_in(&test).await;
    let devices = Devices::shown(&test).await;
    assert_eq!(devices.options().await, ["iPhone"]);
    devices.select("iPhone").await;
    devices.try_add_device("IPHONE").await;
    test.wait_for_text("#error", "Je hebt al een apparaat met deze naam.")
        .await;

    // The sign-in used the current step; the app's next code is the right one.
    let right = devices.test(&next_totp_code(&secret)).await;
    test.wait_for_text("#test-result", "De code is juist").await;
    assert!(right.contains("juist"), "{right}");
    let wrong = devices.test("000000").await;
    assert_eq!(wrong, "De code is onjuist.");
    test.wait_for_text("#test-result", "De code is onjuist.")
        .await;

    devices.remove(true).await;

    test.wait_for_text("#device-select", "Geen geregistreerde apparaten")
        .await;
    assert!(
        test.state
            .store
            .active_devices(test.state.store.find_user(USER).await.unwrap().unwrap().id)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A second, third and fourth device, each by its QR code; then the limit
/// of four: "+ Apparaat toevoegen" is off and says why. The start page and
/// back, within the app.
async fn more_devices_up_to_the_limit(kind: Kind) {
    let test = portal(kind).await;
    to_the_devices_page_signed_in(&test).await;

    let mut names = vec!["iPhone"];
    for name in ["Werktelefoon", "Tablet", "Laptop"] {
        let devices = Devices::shown(&test).await;
        assert_eq!(devices.options().await, names);
        let qr = devices.add_device(name).await;
        qr.done(&totp_code(&qr.secret().await)).await;
        test.wait_for_text("#device-added", name).await;
        names.push(name);
    }
    let devices = Devices::shown(&test).await;
    assert_eq!(devices.options().await, names);
    test.wait_for_text(".limit", "Je hebt het maximum van 4 apparaten bereikt.")
        .await;
    assert!(
        !test
            .wait_for("#add-device")
            .await
            .is_enabled()
            .await
            .unwrap(),
        "no fifth device"
    );
    assert!(!test.is_present("#device-name").await);

    test.click("#to-start").await;
    SignedIn::shown(&test).await;
    test.click("#to-devices").await;
    assert_eq!(Devices::shown(&test).await.options().await, names);
    assert!(test.csp_violations().await.is_empty());
}

async fn logging_off_from_the_signed_in_page_and_signing_in_again(kind: Kind) {
    let test = portal(kind).await;
    let secret = test.registered_device(USER).await;
    test.open("/").await;
    sign_in_with_code(&test, &secret).await;
    SignedIn::shown(&test).await;

    UserMenu::shown(&test)
        .await
        .log_off()
        .await
        .sign_in_again()
        .await;

    // The session is gone on the server: a reload does not sign back in.
    test.reload().await;
    Identify::shown(&test).await;
    assert!(!test.is_present("#user-menu").await);
    assert_eq!(
        test.execute("return document.getElementById('username').value")
            .await,
        ""
    );
}

async fn an_expired_session_sends_the_user_back_with_a_message(kind: Kind) {
    const IDLE_S: i64 = 2;
    let test = BrowserTest::start_in(kind, |config| config.session_idle_timeout_s = IDLE_S).await;
    test.add_user(USER, PASSWORD).await;
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;
    let password = Password::shown(&test).await;

    // The identified session lives in its (sealed) cookie, so only time
    // ends it: the user leaves the page alone past the idle time.
    let started = SystemClock.now();
    while SystemClock.now() - started <= IDLE_S {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    password.submit(PASSWORD).await;

    Identify::shown(&test).await;
    test.wait_for_text("#notice", "Je sessie is verlopen. Meld je opnieuw aan.")
        .await;
    assert_eq!(
        test.execute("return document.getElementById('username').value")
            .await,
        USER
    );
}

/// The command-line authenticator, holding USER's device of `test`.
pub fn authenticator(
    test: &BrowserTest,
    secret: &str,
    device_id: i64,
) -> impl Fn(&[&str]) -> Output + use<> {
    let store = tempfile::tempdir().unwrap();
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
        std::path::PathBuf::from,
    );
    let binary = target.join("debug/aanmelden-authenticator");
    assert!(
        binary.exists(),
        "build it first: cargo build -p aanmelden-authenticator"
    );
    let uri = format!(
        "otpauth://totp/Missing%20Piece:{USER}?secret={secret}&issuer=Missing%20Piece\
         &aanmelden_device={device_id}&aanmelden_server={}",
        test.base
    );
    let uri_file = store.path().join("uri.txt");
    std::fs::write(&uri_file, uri).unwrap();
    let run = move |args: &[&str]| {
        Command::new(&binary)
            .args(args)
            .env(
                "AANMELDEN_AUTHENTICATOR_STORE",
                store.path().join("tokens.json"),
            )
            .output()
            .unwrap()
    };
    let added = run(&["add", &uri_file.to_string_lossy()]);
    assert!(added.status.success(), "{added:?}");
    run
}

pub async fn device_id(test: &BrowserTest) -> i64 {
    let user = test.state.store.find_user(USER).await.unwrap().unwrap();
    test.state.store.active_devices(user.id).await.unwrap()[0].id
}

/// A portal where USER has a device, its secret, and the phone that
/// answers pushes with it.
async fn portal_with_phone(
    kind: Kind,
) -> (BrowserTest, String, impl Fn(&[&str]) -> Output + use<>) {
    let test = portal(kind).await;
    let secret = test.registered_device(USER).await;
    let phone = authenticator(&test, &secret, device_id(&test).await);
    (test, secret, phone)
}

async fn approving_the_number_in_the_authenticator_signs_in(kind: Kind) {
    let (test, _, phone) = portal_with_phone(kind).await;
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;

    Password::shown(&test).await.submit(PASSWORD).await;
    let push = Push::shown(&test).await;
    test.wait_for_text(
        ".push",
        "Open de app op je telefoon en bevestig de aanmelding.",
    )
    .await;
    let number = push.number().await;
    assert!((10..=99).contains(&number));
    test.wait_for_text("#push-countdown", "seconden").await;
    let approved = phone(&["approve", "--number", &number.to_string()]);
    assert!(approved.status.success(), "{approved:?}");

    let signed_in = SignedIn::shown(&test).await;
    assert_eq!(
        signed_in.message().await,
        "Je bent nu succesvol ingelogd op de Missing Piece omgeving."
    );
}

/// A reload on the push page (the server's page, then the app taking it
/// over) shows the same number: the request on the phone stays the one to
/// answer.
async fn a_reload_on_the_push_page_keeps_the_number(kind: Kind) {
    let (test, _, phone) = portal_with_phone(kind).await;
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;
    Password::shown(&test).await.submit(PASSWORD).await;
    let before = Push::shown(&test).await.number().await;

    test.reload().await;
    let after = Push::shown(&test).await.number().await;

    assert_eq!(after, before);
    let sent = test
        .state
        .store
        .audit_log(50)
        .await
        .expect("audit log")
        .iter()
        .filter(|entry| entry.event == "push_created")
        .count();
    assert_eq!(sent, 1, "one request sent to the phone");
    let approved = phone(&["approve", "--number", &after.to_string()]);
    assert!(approved.status.success(), "{approved:?}");
    SignedIn::shown(&test).await;
}

async fn a_denied_push_says_so_and_the_code_still_works(kind: Kind) {
    let (test, secret, phone) = portal_with_phone(kind).await;
    test.open("/").await;
    Language(&test).english().await;
    Identify::shown(&test).await.identify(USER).await;
    Password::shown(&test).await.submit(PASSWORD).await;
    let push = Push::shown(&test).await;
    test.wait_for_text(
        ".push",
        "Open the app on your phone and approve the sign-in.",
    )
    .await;

    let denied = phone(&["deny"]);
    assert!(denied.status.success(), "{denied:?}");

    test.wait_for_text("#push-outcome", "Sign-in denied").await;
    assert_eq!(push.outcome().await, "Sign-in denied");
    test.wait_for_text("#push-resend", "Resend").await;
    let otp = push.manually().await;
    otp.submit(&totp_code(&secret)).await;
    SignedIn::shown(&test).await;
}

crate::in_browsers!(
    [Chromium, Firefox];
    first_time_walkthrough_in_dutch,
    returning_user_signs_in_with_a_code_typed_by_hand,
    first_time_walkthrough_in_english,
    returning_user_in_english,
    wrong_password_says_so_and_keeps_the_user_name,
    going_back_keeps_the_user_name_to_correct,
    returning_user_types_the_code_on_its_own_step,
    a_reload_during_enrolment_shows_the_same_secret,
    a_reload_on_the_push_page_keeps_the_number,
    testing_and_removing_a_device,
    more_devices_up_to_the_limit,
    logging_off_from_the_signed_in_page_and_signing_in_again,
    an_expired_session_sends_the_user_back_with_a_message,
    approving_the_number_in_the_authenticator_signs_in,
    a_denied_push_says_so_and_the_code_still_works,
);
