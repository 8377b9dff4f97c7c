//! The plain pages over HTTP: every step as a form, Post/Redirect/Get,
//! errors in the user's language with what was typed kept, the language
//! toggle, the lockout, and a sign-in that moves between the app's JSON API
//! and the plain pages.

use std::sync::{Arc, Mutex};

use aanmelden_api::{SessionInfo, Step};
use aanmelden_server::config::{Application, Config};
use aanmelden_server::domain::push::Status;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::helpers::{PASSWORD, TestApp, code, json};

const USER: &str = "testgebruiker@missingpiece.nl";

fn configure(config: &mut Config) {
    config.applications = vec![Application {
        name: "Webmail".to_owned(),
        url: "https://mail.missingpiece.nl/".to_owned(),
        groups: Vec::new(),
    }];
    config.client_downloads.windows = Some("https://downloads.missingpiece.nl/ws.msi".into());
    config.client_downloads.linux = Some("https://downloads.missingpiece.nl/ws.deb".into());
}

/// A browser without script: it follows no redirect by itself, so each
/// answer can be looked at. Its forms carry the token of the last page it
/// was shown, as a browser's forms carry their page's.
#[derive(Clone)]
pub struct Plain {
    client: reqwest::Client,
    base: String,
    form_token: Arc<Mutex<Option<String>>>,
}

impl Plain {
    /// A browser that has opened the portal's first page.
    async fn new(app: &TestApp, language: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, language.parse().unwrap());
        Self::with_headers(app, headers).await
    }

    /// Likewise, sending `headers` with every request.
    pub async fn with_headers(app: &TestApp, headers: reqwest::header::HeaderMap) -> Self {
        let browser = Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .default_headers(headers)
                .user_agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/140.0")
                .build()
                .unwrap(),
            base: app.browser.url(""),
            form_token: Arc::default(),
        };
        let (status, _) = browser.get("/").await;
        assert_eq!(status, StatusCode::OK);
        browser
    }

    /// The page at `path`: status and HTML.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let html = response.text().await.unwrap();
        if let Some(token) = form_token(&html) {
            *self.form_token.lock().unwrap() = Some(token);
        }
        (status, html)
    }

    /// Post a form; it must answer with a redirect (Post/Redirect/Get),
    /// which is followed to the page it names.
    async fn submit(&self, action: &str, fields: &[(&str, &str)]) -> String {
        self.submit_to(action, fields).await.1
    }

    /// Likewise: where the redirect went, and that page.
    pub async fn submit_to(&self, action: &str, fields: &[(&str, &str)]) -> (String, String) {
        let response = self.post_with_token(action, fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{action}");
        let to = response.headers()["location"].to_str().unwrap().to_owned();
        let (status, html) = self.get(&to).await;
        assert_eq!(status, StatusCode::OK, "{to}");
        (to, html)
    }

    /// Post a form that is answered with a page of its own (the recovery
    /// codes, shown once): that page.
    async fn submit_for_page(&self, action: &str, fields: &[(&str, &str)]) -> String {
        let response = self.post_with_token(action, fields).await;
        assert_eq!(response.status(), StatusCode::OK, "{action}");
        let html = response.text().await.unwrap();
        if let Some(token) = form_token(&html) {
            *self.form_token.lock().unwrap() = Some(token);
        }
        html
    }

    async fn post_with_token(&self, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.form_token.lock().unwrap().clone();
        let token = token.expect("a page with a form was shown before a form is sent");
        let mut fields = fields.to_vec();
        fields.push(("form_token", &token));
        self.client
            .post(format!("{}{action}", self.base))
            .form(&fields)
            .send()
            .await
            .unwrap()
    }
}

impl Plain {
    /// Post a form with the fields as given, the token among them or not,
    /// as a page of another site can make an old browser post one: with
    /// this browser's cookies, and saying nothing of where it comes from.
    async fn post_as_given(&self, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{action}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// "Aanmelden" as `user`: the password page.
    async fn identify(&self, user: &str) -> String {
        self.submit("/flow/identify", &[("username", user)]).await
    }
}

/// The token in a page's forms, if it has a form.
fn form_token(html: &str) -> Option<String> {
    let at = html.find("name=\"form_token\" value=\"")? + "name=\"form_token\" value=\"".len();
    Some(html[at..].split('"').next()?.to_owned())
}

/// The text of the element with `id` (up to its first tag inside).
fn text_of(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let after = &html[start..];
    let content = &after[after.find('>').unwrap() + 1..];
    content[..content.find('<').unwrap()].trim().to_owned()
}

/// The number in a form action such as `/flow/devices/7/activate`.
fn device_in(html: &str) -> String {
    let at = html.find("/flow/devices/").unwrap() + "/flow/devices/".len();
    html[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect()
}

/// What the plain pages take from the built app's page (the test's own).
const APP_LOADER: &str = "<script type=\"module\">init()</script>";
const STYLESHEET: &str = "<link rel=\"stylesheet\" href=\"/main-0123456789abcdef.css\"/>";

async fn the_first_registration_and_logging_off_without_script(app: TestApp) {
    app.add_user(USER).await;
    let browser = Plain::new(&app, "nl-NL,nl;q=0.9").await;

    let (status, first) = browser.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(first.contains("<html lang=\"nl\">"), "{first}");
    assert_eq!(first.matches("<main").count(), 1);
    assert!(first.contains("action=\"/flow/identify\""));
    assert!(first.contains("Voer een gebruikersnaam in..."));
    assert!(first.contains(APP_LOADER) && first.contains(STYLESHEET));

    let password = browser.identify(USER).await;
    assert_eq!(text_of(&password, "username-shown"), USER);
    assert!(password.contains("Klik om eenmalig wachtwoord handmatig in te voeren"));

    let devices = browser
        .submit("/flow/password", &[("password", PASSWORD), ("otp", "")])
        .await;
    assert!(
        devices.contains("Mijn geregistreerde apparaten"),
        "{devices}"
    );
    assert!(devices.contains("Geen geregistreerde apparaten"));
    assert!(
        !devices.contains(APP_LOADER) && devices.contains(STYLESHEET),
        "the devices screens are the server's alone: {devices}"
    );

    let qr = browser.submit("/flow/devices", &[("name", "iPhone")]).await;
    assert!(
        qr.contains("<svg") && qr.contains("Scan de QR-code"),
        "{qr}"
    );
    assert!(!qr.contains(APP_LOADER) && qr.contains("src=\"/copy-secret.js\""));
    let secret: String = text_of(&qr, "secret").split_whitespace().collect();
    assert!(text_of(&qr, "otpauth-uri").contains(&format!("secret={secret}")));
    assert!(qr.contains("Gebruik de telefoon-app van de portal"), "{qr}");
    assert!(
        qr.contains("/telefoon/ op je telefoon"),
        "the phone app's address: {qr}"
    );
    let device = device_in(&qr);
    let (_, reloaded) = browser.get("/").await;
    assert_eq!(
        text_of(&reloaded, "secret").replace(' ', ""),
        secret,
        "a reload shows the same key"
    );

    // The first device's code signs in, and the recovery codes show,
    // once, as the form's answer.
    let codes = browser
        .submit_for_page(
            &format!("/flow/devices/{device}/activate"),
            &[("code", &code(&secret, app.now()))],
        )
        .await;
    assert_eq!(
        text_of(&codes, "device-added"),
        "iPhone is geregistreerd. Meld je voortaan aan met een code uit de app."
    );
    assert_eq!(codes.matches("<li><code>").count(), 10, "{codes}");
    assert!(codes.contains("src=\"/recovery-codes.js\"") && !codes.contains(APP_LOADER));
    let (_, added) = browser.get("/apparaten").await;
    assert!(
        added.contains("Je hebt nog 10 van de 10 herstelcodes."),
        "{added}"
    );
    assert!(added.contains("<option value=\"") && added.contains(">iPhone</option>"));
    assert!(
        added.contains("id=\"to-start\" href=\"/\">Naar de startpagina</a>"),
        "signed in by the first code: on to the start page"
    );
    assert!(!devices.contains("id=\"to-start\""), "not before");

    let (_, signed_in) = browser.get("/").await;
    assert_eq!(
        text_of(&signed_in, "signed-in-message"),
        "Je bent nu succesvol ingelogd op de Missing Piece omgeving."
    );
    assert!(signed_in.contains("href=\"https://mail.missingpiece.nl/\""));
    // A kiosk's script gives this page the shorter idle time.
    assert!(signed_in.contains("<html lang=\"nl\" data-signed-in>"));
    assert!(!devices.contains("data-signed-in"));
    assert!(
        signed_in.contains("Download de Workspace-app voor Windows")
            || !signed_in.contains("client-download")
    );

    let off = browser.submit("/flow/logout", &[]).await;
    assert_eq!(text_of(&off, "logged-off-message"), "Je bent afgemeld.");
    assert_eq!(app.state.store.count_sessions().await.unwrap(), 0);
    let (_, again) = browser.get("/").await;
    assert!(again.contains("action=\"/flow/identify\""));
}

async fn testing_and_removing_a_device_without_script(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let browser = Plain::new(&app, "nl").await;
    browser.identify(USER).await;
    browser
        .submit(
            "/flow/password",
            &[("password", PASSWORD), ("otp", &code(&secret, app.now()))],
        )
        .await;
    let (_, devices) = browser.get("/apparaten").await;
    let device = devices
        .split("<option value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();

    let wrong = browser
        .submit(
            "/flow/devices/test",
            &[("device", &device), ("code", "000000")],
        )
        .await;
    assert_eq!(text_of(&wrong, "test-result"), "De code is onjuist.");
    app.clock.advance(30);
    let right = browser
        .submit(
            "/flow/devices/test",
            &[("device", &device), ("code", &code(&secret, app.now()))],
        )
        .await;
    assert_eq!(
        text_of(&right, "test-result"),
        "De code is juist: dit apparaat werkt."
    );

    let confirm = browser
        .submit("/flow/devices/remove", &[("device", &device)])
        .await;
    assert!(
        confirm.contains("Weet je zeker dat je iPhone wilt verwijderen?"),
        "{confirm}"
    );
    let removed = browser
        .submit(&format!("/flow/devices/{device}/remove"), &[])
        .await;
    assert!(
        removed.contains("Geen geregistreerde apparaten"),
        "{removed}"
    );
}

async fn a_returning_user_signs_in_with_the_code_typed_by_hand(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let browser = Plain::new(&app, "en").await;
    browser.identify(USER).await;

    let signed_in = browser
        .submit(
            "/flow/password",
            &[("password", PASSWORD), ("otp", &code(&secret, app.now()))],
        )
        .await;

    assert_eq!(
        text_of(&signed_in, "signed-in-message"),
        "You are now signed in to the Missing Piece environment."
    );
    assert!(signed_in.contains("id=\"logout\""));
}

async fn the_push_page_waits_for_the_answer_when_asked_without_reloading(app: TestApp) {
    app.user_with_device(USER).await;
    let browser = Plain::new(&app, "nl").await;
    browser.identify(USER).await;

    let push = browser
        .submit("/flow/password", &[("password", PASSWORD)])
        .await;

    // No page that reloads itself (WCAG 2.2.1): "Verder" waits instead.
    assert!(!push.contains("http-equiv=\"refresh\""), "{push}");
    assert!(push.contains("action=\"/flow/push/wait\""), "{push}");
    assert_eq!(push.matches("<html").count(), 1, "one document: {push}");
    assert_eq!(
        text_of(&push, "push-countdown"),
        "Deze aanvraag is 30 seconden geldig."
    );
    let number: u8 = text_of(&push, "push-number").parse().unwrap();
    let user = app.state.store.find_user(USER).await.unwrap().unwrap();
    let challenge = app
        .state
        .store
        .pending_challenges(user.id, app.now())
        .await
        .unwrap()
        .remove(0);
    assert_eq!(challenge.number, number);

    // "Verder" before the phone has answered: the request waits.
    let waiting = tokio::spawn({
        let browser = browser.clone();
        async move { browser.submit("/flow/push/wait", &[]).await }
    });
    let mut looks = 0;
    while app.state.push_waits.count() == 0 {
        looks += 1;
        assert!(looks < 200, "the request never waited");
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(!waiting.is_finished());
    // What the authenticator's approval does.
    assert!(
        app.state
            .store
            .answer_challenge(&challenge.id, Status::Approved, None, app.now())
            .await
            .unwrap()
    );

    let signed_in = waiting.await.unwrap();
    assert!(
        signed_in.contains("id=\"signed-in-message\""),
        "{signed_in}"
    );
}

async fn a_wait_for_an_expired_request_returns_at_once(app: TestApp) {
    app.user_with_device(USER).await;
    let browser = Plain::new(&app, "en").await;
    browser.identify(USER).await;
    browser
        .submit("/flow/password", &[("password", PASSWORD)])
        .await;
    app.clock.advance(31);

    let expired = browser.submit("/flow/push/wait", &[]).await;

    assert_eq!(text_of(&expired, "push-outcome"), "No approval received");
    assert!(expired.contains("id=\"push-resend\""));
    assert!(!expired.contains("id=\"push-continue\""));
}

async fn a_denied_push_says_so_and_offers_to_resend(app: TestApp) {
    app.user_with_device(USER).await;
    let browser = Plain::new(&app, "nl").await;
    browser.identify(USER).await;
    browser
        .submit("/flow/password", &[("password", PASSWORD)])
        .await;
    let user = app.state.store.find_user(USER).await.unwrap().unwrap();
    let challenge = &app
        .state
        .store
        .pending_challenges(user.id, app.now())
        .await
        .unwrap()[0];
    app.state
        .store
        .answer_challenge(&challenge.id, Status::Denied, None, app.now())
        .await
        .unwrap();

    let (_, denied) = browser.get("/").await;
    assert_eq!(text_of(&denied, "push-outcome"), "Aanmelding geweigerd");
    assert!(!denied.contains("id=\"push-continue\""));

    let resent = browser.submit("/flow/push", &[]).await;
    assert!(resent.contains("id=\"push-number\""));
    let code_step = browser.get("/?stap=code").await.1;
    assert!(code_step.contains("action=\"/flow/otp\""));
}

async fn a_wrong_password_says_so_in_the_users_language_and_keeps_the_name(app: TestApp) {
    app.add_user(USER).await;
    let browser = Plain::new(&app, "en-GB,en;q=0.8").await;
    browser.identify(USER).await;

    let again = browser
        .submit("/flow/password", &[("password", "wrong password")])
        .await;

    assert_eq!(text_of(&again, "error"), "Incorrect user name or password.");
    assert_eq!(text_of(&again, "username-shown"), USER);
    assert!(
        !again.contains("wrong password"),
        "the password is never sent back"
    );
    assert!(again.contains("aria-describedby=\"error\""));
    let (_, reloaded) = browser.get("/").await;
    assert!(
        !reloaded.contains("id=\"error\""),
        "the message is shown once"
    );
}

/// The password page shows USER; meanwhile another tab of the same browser
/// changed the session's name to OTHER. The password typed for USER must
/// not be tried on OTHER's account.
async fn a_password_for_the_name_shown_never_goes_to_another(app: TestApp) {
    const OTHER: &str = "ander@missingpiece.nl";
    app.add_user(USER).await;
    app.add_user(OTHER).await;
    for (language, message) in [
        (
            "nl",
            "De gebruikersnaam is in een ander venster gewijzigd. Controleer de naam en voer het wachtwoord opnieuw in.",
        ),
        (
            "en",
            "The user name was changed in another window. Check the name and enter the password again.",
        ),
    ] {
        let browser = Plain::new(&app, language).await;
        let shown = browser.identify(USER).await;
        assert_eq!(text_of(&shown, "username-shown"), USER);
        browser.identify(OTHER).await;
        let tried_on_other = || async {
            let log = app.state.store.audit_log(100).await.unwrap();
            log.iter().filter(|e| e.username == OTHER).count()
        };
        let before = tried_on_other().await;

        let again = browser
            .submit(
                "/flow/password",
                &[("username", USER), ("password", PASSWORD), ("otp", "")],
            )
            .await;

        assert_eq!(text_of(&again, "error"), message, "{again}");
        assert_eq!(text_of(&again, "username-shown"), OTHER);
        assert!(again.contains("id=\"password\""), "still the password step");
        assert_eq!(
            tried_on_other().await,
            before,
            "nothing was tried on {OTHER}"
        );
        // Once the name shown is the session's, the password is taken.
        let devices = browser
            .submit(
                "/flow/password",
                &[("username", OTHER), ("password", PASSWORD), ("otp", "")],
            )
            .await;
        assert!(devices.contains("id=\"add-device\""), "{devices}");
    }
}

async fn a_bad_user_name_keeps_what_was_typed(app: TestApp) {
    let browser = Plain::new(&app, "nl").await;

    let again = browser
        .submit(
            "/flow/identify",
            &[("username", "jan\u{200B}@missingpiece.nl")],
        )
        .await;

    assert_eq!(
        text_of(&again, "error"),
        "Voer een geldige gebruikersnaam in, zoals je e-mailadres."
    );
    assert!(again.contains("value=\"jan\u{200B}@missingpiece.nl\""));
}

async fn the_language_follows_the_toggle_then_the_browser(app: TestApp) {
    let browser = Plain::new(&app, "en-US").await;
    let (_, english) = browser.get("/").await;
    assert!(english.contains("<html lang=\"en\">") && english.contains("Log on"));

    let response = browser
        .client
        .get(format!("{}/?lang=nl", browser.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("aanmelden_lang=nl")
    );
    let (_, dutch) = browser.get("/").await;
    assert!(dutch.contains("<html lang=\"nl\">") && dutch.contains("Aanmelden"));
    assert!(dutch.contains("href=\"/?lang=en\""));

    // The toggle goes back to the portal's own pages only.
    for (asked, back) in [
        ("/apparaten", "/apparaten"),
        ("//evil.example", "/"),
        ("/x", "/"),
    ] {
        let response = browser
            .client
            .get(format!("{}{asked}?lang=en", browser.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["location"], back, "{asked}");
    }
}

/// The language links of the page served at `path`.
async fn language_links(browser: &Plain, path: &str) -> Vec<String> {
    let (status, html) = browser.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}");
    ["lang-nl", "lang-en"]
        .iter()
        .map(|id| {
            let at = html.find(&format!("id=\"{id}\"")).unwrap();
            let after = &html[at..];
            let href = &after[after.find("href=\"").unwrap() + 6..];
            href[..href.find('"').unwrap()].to_owned()
        })
        .collect()
}

async fn the_language_links_lead_to_the_portals_own_pages_only(app: TestApp) {
    let browser = Plain::new(&app, "nl").await;

    for (asked, page) in [
        ("//evil.example/", "/"),
        ("//evil.example/apparaten", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("/x/y", "/"),
        ("/", "/"),
        ("/afgemeld", "/afgemeld"),
        ("/apparaten", "/apparaten"),
    ] {
        let links = language_links(&browser, asked).await;

        assert_eq!(
            links,
            [format!("{page}?lang=nl"), format!("{page}?lang=en")],
            "{asked}"
        );
    }
}

async fn five_wrong_passwords_lock_here_too(app: TestApp) {
    app.add_user(USER).await;
    let browser = Plain::new(&app, "nl").await;
    for _ in 0..app.state.config.lockout_threshold {
        browser.identify(USER).await;
        browser
            .submit("/flow/password", &[("password", "wrong")])
            .await;
    }

    browser.identify(USER).await;
    let locked = browser
        .submit("/flow/password", &[("password", PASSWORD)])
        .await;

    assert_eq!(
        text_of(&locked, "error"),
        "Te veel mislukte pogingen. Probeer het over 15 minuten opnieuw."
    );
    let audit = app.state.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|e| e.event == "locked"));
}

async fn a_sign_in_moves_between_the_app_and_the_plain_pages(app: TestApp) {
    app.add_user(USER).await;
    // Started in the app (JSON), finished on the plain pages, same cookie.
    assert_eq!(
        app.browser.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
    let (_, page) = app_page(&app, "/").await;
    assert!(page.contains("Mijn geregistreerde apparaten"), "{page}");

    // Started on the plain pages, the app knows where it stands.
    let other = "ander@missingpiece.nl";
    app.add_user(other).await;
    let browser = Plain::new(&app, "nl").await;
    browser.identify(other).await;
    let session: SessionInfo = json(
        browser
            .client
            .get(format!("{}/api/v1/session", browser.base))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(session.step, Step::Password);
    assert_eq!(session.username, other);
}

/// A page as the app's browser (with its cookies) gets it.
async fn app_page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.browser.get_page(path).await;
    (response.status(), response.text().await.unwrap())
}

async fn an_expired_session_says_so_once(app: TestApp) {
    app.add_user(USER).await;
    let browser = Plain::new(&app, "nl").await;
    browser.identify(USER).await;
    app.clock
        .advance(app.state.config.session_idle_timeout_s + 1);

    let again = browser
        .submit("/flow/password", &[("password", PASSWORD)])
        .await;

    assert!(again.contains("action=\"/flow/identify\""), "{again}");
    assert_eq!(again.matches("Je sessie is verlopen").count(), 1, "{again}");
}

async fn forms_from_another_site_are_refused(app: TestApp) {
    let response = reqwest::Client::new()
        .post(app.browser.url("/flow/identify"))
        .header("origin", "https://evil.example")
        .form(&[("username", USER)])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

async fn forms_without_their_pages_token_change_nothing(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let browser = Plain::new(&app, "nl").await;
    let other = Plain::new(&app, "nl").await;
    let (_, others_page) = other.get("/").await;
    let others_token = form_token(&others_page).unwrap();

    let refused = browser
        .post_as_given("/flow/identify", &[("username", USER)])
        .await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert_eq!(refused.headers()["location"], "/");
    let (_, shown) = browser.get("/").await;
    assert!(
        shown.contains("action=\"/flow/identify\""),
        "no sign-in began: {shown}"
    );
    assert_eq!(
        text_of(&shown, "error"),
        "Deze pagina was verouderd en is opnieuw geladen. Probeer het nog een keer."
    );
    assert!(
        shown.contains(&format!("value=\"{USER}\"")),
        "the name is kept: {shown}"
    );
    let with_anothers = browser
        .post_as_given(
            "/flow/identify",
            &[("username", USER), ("form_token", &others_token)],
        )
        .await;
    assert_eq!(with_anothers.headers()["location"], "/");
    assert!(
        browser
            .get("/")
            .await
            .1
            .contains("action=\"/flow/identify\"")
    );

    browser.identify(USER).await;
    app.clock.advance(30);
    browser
        .submit(
            "/flow/password",
            &[("password", PASSWORD), ("otp", &code(&secret, app.now()))],
        )
        .await;
    let (_, devices) = browser.get("/apparaten").await;
    let device = devices
        .split("<option value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let page_token = form_token(&devices).unwrap();
    let made_up = URL_SAFE_NO_PAD.encode([7u8; 32]);
    for token in [None, Some(others_token.as_str()), Some(made_up.as_str())] {
        let fields: Vec<(&str, &str)> = token.map(|t| ("form_token", t)).into_iter().collect();
        let remove = browser
            .post_as_given(&format!("/flow/devices/{device}/remove"), &fields)
            .await;
        assert_eq!(remove.headers()["location"], "/apparaten", "{token:?}");
        let logout = browser.post_as_given("/flow/logout", &fields).await;
        assert_eq!(logout.headers()["location"], "/", "{token:?}");
    }

    let (_, still) = browser.get("/apparaten").await;
    assert!(
        still.contains(&format!("<option value=\"{device}\"")),
        "{still}"
    );
    assert!(still.contains("id=\"logout\""), "still signed in: {still}");
    assert_ne!(
        form_token(&still).unwrap(),
        page_token,
        "masked anew on each page"
    );
    let removed = browser
        .submit(&format!("/flow/devices/{device}/remove"), &[])
        .await;
    assert!(
        removed.contains("Geen geregistreerde apparaten"),
        "{removed}"
    );
}

async fn what_users_type_is_escaped(app: TestApp) {
    let browser = Plain::new(&app, "nl").await;

    let page = browser
        .submit("/flow/identify", &[("username", "<b>jan</b>@x.nl")])
        .await;

    assert!(page.contains("&lt;b&gt;jan&lt;/b&gt;@x.nl"), "{page}");
    assert!(!page.contains("<b>jan"));
}

async fn a_made_up_message_is_not_shown(app: TestApp) {
    let made_up = URL_SAFE_NO_PAD.encode(
        r#"{"code":"locked","retry_after_s":999,"notice":null,"typed":"Bel 0900-1234 voor hulp"}"#,
    );

    let response = reqwest::Client::new()
        .get(app.browser.url("/"))
        .header("cookie", format!("aanmelden_flash={made_up}"))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(!page.contains("id=\"error\""), "{page}");
    assert!(!page.contains("0900-1234"), "{page}");
}

crate::on_both_backends!(
    configured_by configure;
    the_first_registration_and_logging_off_without_script,
    testing_and_removing_a_device_without_script,
    a_returning_user_signs_in_with_the_code_typed_by_hand,
    the_push_page_waits_for_the_answer_when_asked_without_reloading,
    a_wait_for_an_expired_request_returns_at_once,
    a_denied_push_says_so_and_offers_to_resend,
    a_wrong_password_says_so_in_the_users_language_and_keeps_the_name,
    a_password_for_the_name_shown_never_goes_to_another,
    a_bad_user_name_keeps_what_was_typed,
    the_language_follows_the_toggle_then_the_browser,
    the_language_links_lead_to_the_portals_own_pages_only,
    five_wrong_passwords_lock_here_too,
    a_sign_in_moves_between_the_app_and_the_plain_pages,
    an_expired_session_says_so_once,
    forms_from_another_site_are_refused,
    forms_without_their_pages_token_change_nothing,
    what_users_type_is_escaped,
    a_made_up_message_is_not_shown,
);
