//! The phone app at /telefoon/, in a phone-sized Chromium beside the
//! computer's browser: it takes the portal's QR link, gives the portal its
//! own key, shows the codes the portal accepts, and answers the push with
//! the number the computer shows.

use std::time::Instant;

use serde_json::{Value, json};

use aanmelden_server::clock::{Clock, SystemClock};
use aanmelden_server::config::Config;
use aanmelden_server::domain::secrets::SecretBytes;
use aanmelden_server::domain::totp;

use crate::accessibility::violations;
use crate::flows::{PASSWORD, USER};
use crate::helpers::{BrowserTest, Kind, Launch, next_totp_code, totp_code};
use crate::pages::{Devices, Identify, Password, Push, SignedIn, UserMenu};
use crate::push_service::PushService;

/// The phone app, in a browser of its own.
struct PhoneApp(BrowserTest);

impl PhoneApp {
    /// Chromium as a phone, with the app open.
    async fn open(computer: &BrowserTest) -> Self {
        Self::shown(computer.beside(Kind::Chromium).await).await
    }

    /// Chromium as a phone whose camera films `text` as a QR code, with
    /// the app open.
    async fn open_filming(computer: &BrowserTest, text: &str) -> Self {
        let phone = computer.beside_with_camera(&qr_video(text)).await;
        phone
            .cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                &json!({ "source": RECORD_STREAMS }),
            )
            .await;
        Self::shown(phone).await
    }

    async fn shown(phone: BrowserTest) -> Self {
        phone.as_phone().await;
        phone.open("/telefoon/").await;
        phone.wait_for("#add-account").await;
        Self(phone)
    }

    /// "+ Account toevoegen", "QR-code scannen": the camera reads the code
    /// and the app adds it; the first code it shows, without its space.
    async fn scan(&self) -> String {
        self.0.click("#add-account").await;
        assert!(!self.loaded_the_decoder().await, "not before scanning");
        self.0.click("#scan").await;
        self.0.wait_for("#stop-scan").await;
        self.passes_axe("scanning").await;
        let code = self.0.wait_for(".first-code").await.text().await.unwrap();
        assert!(self.loaded_the_decoder().await, "loaded to scan");
        let camera = self
            .0
            .execute(
                "return window.__streams.map(s => s.getTracks().map(t => t.readyState).join())",
            )
            .await;
        assert_eq!(
            camera,
            json!(["ended"]),
            "one camera, off once the code is read"
        );
        self.0.click("#back").await;
        code.split_whitespace().collect()
    }

    /// Whether the page fetched the QR decoder.
    async fn loaded_the_decoder(&self) -> bool {
        self.0
            .execute(
                "return performance.getEntriesByType('resource')\
                 .some(r => r.name.endsWith('/telefoon/qr.wasm'))",
            )
            .await
            .as_bool()
            .unwrap()
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

/// Runs before the app: every camera stream the page opens is kept in
/// `window.__streams`, for the test to see that it ends.
const RECORD_STREAMS: &str = "window.__streams = []; \
     const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices); \
     navigator.mediaDevices.getUserMedia = (wanted) => \
     open(wanted).then((stream) => { window.__streams.push(stream); return stream; });";

/// How the phone app takes the portal's QR code.
#[derive(Debug)]
enum Taken {
    /// Its link, pasted.
    Pasted,
    /// Through the camera.
    Filmed,
    /// Its link, pasted, in Firefox launched with these preferences.
    PastedInFirefox(Launch),
}

/// `text` as a QR code on a screen, filmed: a Y4M video (4:2:0) of two
/// 640 × 480 frames, dark modules on a light screen with a quiet zone.
fn qr_video(text: &str) -> Vec<u8> {
    const WIDTH: usize = 640;
    const HEIGHT: usize = 480;
    let code = qrcode::QrCode::new(text).expect("a QR code");
    let modules = code.width();
    let colors = code.to_colors();
    let scale = HEIGHT / (modules + 8);
    let (left, top) = (
        (WIDTH - modules * scale) / 2,
        (HEIGHT - modules * scale) / 2,
    );
    let mut luma = vec![230u8; WIDTH * HEIGHT];
    for y in 0..modules * scale {
        for x in 0..modules * scale {
            if colors[(y / scale) * modules + x / scale] == qrcode::Color::Dark {
                luma[(top + y) * WIDTH + left + x] = 20;
            }
        }
    }
    let chroma = vec![128u8; (WIDTH / 2) * (HEIGHT / 2)];
    let mut video = format!("YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n").into_bytes();
    for _ in 0..2 {
        video.extend_from_slice(b"FRAME\n");
        video.extend_from_slice(&luma);
        video.extend_from_slice(&chroma);
        video.extend_from_slice(&chroma);
    }
    video
}

/// The computer's browser signs in for the first time and adds "Telefoon"
/// with the phone app; the phone app and the browser it stands beside.
async fn registered(kind: Kind) -> (BrowserTest, PhoneApp, String) {
    registered_by(kind, Taken::Pasted, |_| {}).await
}

async fn registered_by(
    kind: Kind,
    taken: Taken,
    adjust: impl FnOnce(&mut Config),
) -> (BrowserTest, PhoneApp, String) {
    let computer = BrowserTest::start_in(kind, adjust).await;
    computer.add_user(USER, PASSWORD).await;
    computer.open("/").await;
    Identify::shown(&computer).await.identify(USER).await;
    Password::shown(&computer).await.submit(PASSWORD).await;
    let qr = Devices::shown(&computer).await.add_device("Telefoon").await;
    computer
        .wait_for_text(
            "#phone-app",
            &format!("Open {} op je", computer.url("/telefoon/")),
        )
        .await;
    let uri = qr.otpauth_uri().await;
    let secret = qr.secret().await;

    let (phone, first) = match taken {
        Taken::Pasted => {
            let phone = PhoneApp::open(&computer).await;
            let first = phone.add(&uri).await;
            (phone, first)
        }
        Taken::Filmed => {
            let phone = PhoneApp::open_filming(&computer, &uri).await;
            let first = phone.scan().await;
            (phone, first)
        }
        Taken::PastedInFirefox(launch) => {
            let phone = PhoneApp::shown(computer.beside_with(Kind::Firefox, launch).await).await;
            let first = phone.add(&uri).await;
            (phone, first)
        }
    };
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

/// Runs before the app in every page: where the address says `?at=<ms>`,
/// the phone's clock stands still at that time.
const CLOCK_AT: &str = "const at = new URLSearchParams(location.search).get('at'); \
     if (at !== null) { const ms = Number(at); Date.now = () => ms; }";

/// The app's codes, computed on the phone with WebCrypto, are those the
/// portal accepts at the same time: at many times, across years and on
/// both sides of each step's edge.
async fn the_phone_app_codes_are_the_portals_at_any_time(kind: Kind) {
    let (_computer, phone, secret) = registered(kind).await;
    phone
        .0
        .cdp(
            "Page.addScriptToEvaluateOnNewDocument",
            &json!({ "source": CLOCK_AT }),
        )
        .await;
    let bytes = totp_rs::Secret::Encoded(secret.split_whitespace().collect())
        .to_bytes()
        .unwrap();
    let secret = SecretBytes::new(bytes);
    let now = SystemClock.now();
    let times = [
        0,
        29,
        30,
        59,
        1_111_111_109,
        1_234_567_890,
        2_000_000_000,
        now - 31,
        now - 1,
        now - now.rem_euclid(30),
        now + 29 - now.rem_euclid(30),
        4_102_444_800,
    ];
    for time in times {
        phone
            .0
            .open(&format!("/telefoon/?at={}", time * 1000))
            .await;
        let code = phone.code().await;
        assert_eq!(
            totp::matching_step(&secret, &code, time),
            Some(totp::step_at(time)),
            "at {time} the app shows {code}, not the portal's {}",
            totp::code_at_step(&secret, totp::step_at(time))
        );
    }
}

async fn the_phone_app_scans_the_qr_code_with_the_camera(kind: Kind) {
    let (computer, phone, _) = registered_by(kind, Taken::Filmed, |_| {}).await;
    let number = to_push(&computer).await;
    phone.open_request().await;
    phone.approve(number).await;
    SignedIn::shown(&computer).await;
}

/// A push into the app's service worker, as the push service delivers it:
/// the notification it shows, and the app it opens on that sign-in.
async fn a_push_shows_a_notification_that_opens_the_sign_in(kind: Kind) {
    let (computer, phone, _) = registered(kind).await;
    phone
        .0
        .cdp(
            "Browser.grantPermissions",
            &json!({ "origin": computer.base, "permissions": ["notifications"] }),
        )
        .await;
    let number = to_push(&computer).await;
    let id = waiting_sign_in(&computer).await;

    deliver_push(&phone.0, &json!({ "challenge": id }).to_string()).await;
    assert_eq!(notifications(&phone.0).await, notification_of(&id));
    opens_and_approves(&computer, &phone, &id, number).await;
}

/// Firefox as the phone (beside a computer of `kind`), with a push service
/// of its own on loopback: "Meldingen aanzetten" subscribes, the portal's
/// push for a sign-in goes through that service, Firefox decrypts it and
/// hands it to the app's worker; the app then answers that sign-in.
async fn notifications_reach_the_app_through_a_push_service(kind: Kind) {
    let push = PushService::start().await;
    let origin = push.origin.clone();
    let (computer, phone, _) = registered_by(
        kind,
        Taken::PastedInFirefox(push.firefox()),
        move |config| config.web_push_test_origin = Some(origin),
    )
    .await;
    phone.0.click("#notify").await;
    phone.0.wait_for("#notify-on").await;
    phone.passes_axe("notifications on").await;
    let user = computer.state.store.find_user(USER).await.unwrap().unwrap();
    let subscriptions = computer.state.store.subscriptions(user.id).await.unwrap();
    assert_eq!(
        subscriptions.len(),
        1,
        "the portal keeps where to wake the phone"
    );
    assert!(subscriptions[0].endpoint.starts_with(&push.origin));

    let number = to_push(&computer).await;
    let id = waiting_sign_in(&computer).await;
    // Firefox takes the message, decrypts it with its keys and hands it to
    // the app's service worker (code 100). Headless, Firefox has no way to
    // show a notification (`showNotification` fails there): Chromium's test
    // above checks the one the worker shows.
    for _ in 0..100 {
        if push.acknowledged().contains(&100) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        push.acknowledged(),
        [100],
        "decrypted and handed to the app"
    );
    let posted = push.posted();
    assert_eq!(posted.len(), 1, "{posted:?}");
    assert!(subscriptions[0].endpoint.ends_with(&posted[0].channel));
    let key = computer.state.web_push().await.unwrap().public_key();
    assert!(
        posted[0].authorization.starts_with("vapid t=")
            && posted[0].authorization.ends_with(&format!("k={key}")),
        "{posted:?}"
    );
    assert_eq!(posted[0].content_encoding, "aes128gcm");
    opens_and_approves(&computer, &phone, &id, number).await;
}

/// The id of the sign-in that waits for the user.
async fn waiting_sign_in(computer: &BrowserTest) -> String {
    let user = computer.state.store.find_user(USER).await.unwrap().unwrap();
    let pending = computer
        .state
        .store
        .pending_challenges(user.id, SystemClock.now())
        .await
        .unwrap();
    pending[0].id.clone()
}

/// The notification for sign-in `id`, as the service worker shows it.
fn notification_of(id: &str) -> Value {
    json!([{ "title": "Aanmeldverzoek", "body": "Tik om te zien wie zich aanmeldt.",
             "tag": "sign-in", "challenge": id }])
}

/// What the notification opens: the app, on that sign-in's answer; the
/// right number signs the computer in.
async fn opens_and_approves(computer: &BrowserTest, phone: &PhoneApp, id: &str, number: u8) {
    phone.0.open(&format!("/telefoon/?challenge={id}")).await;
    phone.0.wait_for("#number").await;
    phone.approve(number).await;
    SignedIn::shown(computer).await;
}

/// `data` into the service worker of the page's app, as a push message.
async fn deliver_push(browser: &BrowserTest, data: &str) {
    browser
        .execute_async("navigator.serviceWorker.ready.then(() => done(true))")
        .await;
    browser.cdp("ServiceWorker.enable", &json!({})).await;
    // A fresh profile numbers its first registration 0.
    browser
        .cdp(
            "ServiceWorker.deliverPushMessage",
            &json!({ "origin": browser.base, "registrationId": "0", "data": data }),
        )
        .await;
}

/// The notifications the app's service worker shows, once there is one.
async fn notifications(browser: &BrowserTest) -> Value {
    for _ in 0..100 {
        let shown = browser
            .execute_async(
                "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(ns => \
                 done(ns.map(n => ({ title: n.title, body: n.body, tag: n.tag, \
                 challenge: n.data && n.data.challenge }))))",
            )
            .await;
        if shown.as_array().is_some_and(|list| !list.is_empty()) {
            return shown;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no notification shown");
}

crate::in_browsers!(
    [Chromium];
    the_phone_app_registers_shows_codes_and_approves,
    a_wrong_number_or_not_me_refuses,
    the_phone_app_codes_are_the_portals_at_any_time,
    the_phone_app_scans_the_qr_code_with_the_camera,
    a_push_shows_a_notification_that_opens_the_sign_in,
    notifications_reach_the_app_through_a_push_service,
);
