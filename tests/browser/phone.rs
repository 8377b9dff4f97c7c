//! The phone app at /telefoon/, in a phone-sized Chromium beside the
//! computer's browser: it takes the portal's QR link, gives the portal its
//! own key, shows the codes the portal accepts, and answers the push with
//! the number the computer shows.

use std::time::Instant;

use crate::accessibility::violations;
use crate::flows::{PASSWORD, USER};
use crate::helpers::{BrowserTest, Kind, next_totp_code, totp_code};
use crate::pages::{Devices, Identify, Password, Push, SignedIn, UserMenu};

/// The phone app, in a browser of its own.
struct PhoneApp(BrowserTest);

impl PhoneApp {
    /// Chromium as a phone, with the app open.
    async fn open(computer: &BrowserTest) -> Self {
        let phone = computer.beside(Kind::Chromium).await;
        phone.as_phone().await;
        phone.open("/telefoon/").await;
        phone.wait_for("#add-account").await;
        Self(phone)
    }

    /// "+ Account toevoegen" with the QR code's link; the first code it
    /// shows, without its space.
    async fn add(&self, uri: &str) -> String {
        self.0.click("#add-account").await;
        self.0.wait_for("#typed").await;
        self.passes_axe("add").await;
        self.0.type_into("#typed", uri).await;
        self.0.click("#add").await;
        let code = self.0.wait_for(".first-code").await.text().await.unwrap();
        self.passes_axe("added").await;
        self.0.click("#back").await;
        code.split_whitespace().collect()
    }

    /// axe-core finds nothing on the screen as it is now.
    async fn passes_axe(&self, screen: &str) {
        let found = violations(&self.0, &[]).await;
        assert!(
            found.is_empty(),
            "axe, phone app, {screen}:\n{}",
            found.join("\n")
        );
        assert!(
            self.0.csp_violations().await.is_empty(),
            "the phone app's policy refused something on {screen}"
        );
    }

    /// The code the accounts screen shows, without its space.
    async fn code(&self) -> String {
        let shown = self.0.wait_for(".account .code").await;
        let mut text = String::new();
        for _ in 0..50 {
            text = shown.text().await.unwrap();
            if !text.trim().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        text.split_whitespace().collect()
    }

    /// Open the waiting sign-in (the app looks every few seconds).
    async fn open_request(&self) -> String {
        let request = self.0.wait_for(".request").await;
        let label = request.text().await.unwrap();
        request.click().await.unwrap();
        self.0.wait_for("#number").await;
        self.passes_axe("request").await;
        label
    }

    /// Type `number` and "Goedkeuren".
    async fn approve(&self, number: u8) {
        self.0.type_into("#number", &number.to_string()).await;
        self.0.click("#approve").await;
    }

    /// What the app says once the answer is sent.
    async fn answered(&self) -> String {
        self.0.wait_for("#answered").await.text().await.unwrap()
    }
}

/// The computer's browser signs in for the first time and adds "Telefoon"
/// with the phone app; the phone app and the browser it stands beside.
async fn registered(kind: Kind) -> (BrowserTest, PhoneApp, String) {
    let computer = BrowserTest::start_in(kind, |_| {}).await;
    computer.add_user(USER, PASSWORD).await;
    computer.open("/").await;
    Identify::shown(&computer).await.identify(USER).await;
    Password::shown(&computer).await.submit(PASSWORD).await;
    let qr = Devices::shown(&computer).await.add_device("Telefoon").await;
    let uri = qr.otpauth_uri().await;
    let secret = qr.secret().await;

    let phone = PhoneApp::open(&computer).await;
    let first = phone.add(&uri).await;
    // Read after the app's: at a step boundary, the app's is the one before.
    let expected = [totp_code(&secret), next_totp_code(&secret)];
    assert!(
        expected.contains(&first) || first == previous_code(&secret),
        "{first}"
    );
    qr.done_first(&first).await;
    Devices::shown(&computer).await;

    let user = computer.state.store.find_user(USER).await.unwrap().unwrap();
    let devices = computer.state.store.active_devices(user.id).await.unwrap();
    assert!(
        devices[0].public_key.is_some(),
        "the app gave the portal its own key"
    );
    (computer, phone, secret)
}

fn previous_code(secret: &str) -> String {
    use aanmelden_server::clock::{Clock, SystemClock};
    crate::helpers::totp_code_at(secret, SystemClock.now() - 30)
}

/// Log off, and sign in again up to the push: the number shown.
async fn to_push(computer: &BrowserTest) -> u8 {
    UserMenu::shown(computer).await.log_off().await;
    computer.open("/").await;
    Identify::shown(computer).await.identify(USER).await;
    Password::shown(computer).await.submit(PASSWORD).await;
    Push::shown(computer).await.number().await
}

async fn the_phone_app_registers_shows_codes_and_approves(kind: Kind) {
    let (computer, phone, secret) = registered(kind).await;

    // The accounts screen: the code the portal accepts, offline-computed.
    let code = phone.code().await;
    phone.passes_axe("codes").await;
    let expected = [
        previous_code(&secret),
        totp_code(&secret),
        next_totp_code(&secret),
    ];
    assert!(expected.contains(&code), "{code} not in {expected:?}");

    let number = to_push(&computer).await;
    let label = phone.open_request().await;
    assert!(label.contains(USER), "{label}");
    phone.0.wait_for_text(".request-details", "Adres").await;
    let details = phone.0.text(".request-details").await;
    assert!(details.contains("127.0.0.1"), "{details}");

    let approved = Instant::now();
    phone.approve(number).await;
    SignedIn::shown(&computer).await;
    eprintln!(
        "phone app: from \"Goedkeuren\" to the signed-in page: {} ms",
        approved.elapsed().as_millis()
    );
    assert!(phone.answered().await.starts_with("Goedgekeurd"));
}

async fn a_wrong_number_or_not_me_refuses(kind: Kind) {
    let (computer, phone, _) = registered(kind).await;

    let number = to_push(&computer).await;
    phone.open_request().await;
    phone
        .approve(if number == 99 { 10 } else { number + 1 })
        .await;
    assert!(
        phone.answered().await.starts_with("Dat was niet het getal"),
        "a wrong number refuses"
    );
    computer
        .wait_for_text("#push-outcome", "Aanmelding geweigerd")
        .await;

    // A new push, refused with "Dit was ik niet".
    phone.0.click("#back").await;
    computer.click("#push-resend").await;
    computer.wait_for("#push-countdown").await;
    phone.open_request().await;
    phone.0.click("#not-me").await;
    assert!(phone.answered().await.starts_with("Geweigerd en gemeld"));
    let events: Vec<String> = computer
        .state
        .store
        .audit_log(20)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.event)
        .collect();
    assert!(
        events.iter().any(|e| e == "push_wrong_number"),
        "{events:?}"
    );
    assert!(events.iter().any(|e| e == "push_not_me"), "{events:?}");
}

crate::in_browsers!(
    [Chromium];
    the_phone_app_registers_shows_codes_and_approves,
    a_wrong_number_or_not_me_refuses,
);
