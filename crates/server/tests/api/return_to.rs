//! Back to the application after sign-in: `rd` given to the portal is kept
//! through every step (password, code, push, first registration) in a cookie,
//! used once, and only when its scheme and host are allowed; anything else
//! is ignored. On the plain pages the browser is redirected; the app asks
//! `POST /return`. An application's log-off link (`/afmelden?rd=`) goes
//! back the same way.

use aanmelden_api::{PushChallenge, PushOutcome, ReturnTo, Step, StepResponse};
use aanmelden_server::config::{self, Config};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp, code};
use crate::push::Authenticator;

const USER: &str = "testgebruiker@missingpiece.nl";
const BACK: &str = "https://mail.example.nl/inbox?id=3";

fn configure(config: &mut Config) {
    config.allowed_return_domains = vec!["mail.example.nl".to_owned()];
    config.applications = vec![config::Application {
        name: "Wiki".to_owned(),
        url: "https://wiki.example.nl/".to_owned(),
        groups: Vec::new(),
    }];
}

/// A browser that follows no redirect, so each answer can be looked at.
struct Visitor {
    client: reqwest::Client,
    base: String,
}

impl Visitor {
    fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: app.browser.url(""),
        }
    }

    async fn open(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(format!("{}/api/v1{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn form(&self, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}{action}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Identify, then the password with the code: signed in.
    async fn sign_in(&self, app: &TestApp, secret: &str) {
        self.post("/login/identify", json!({ "username": USER }))
            .await;
        app.clock.advance(30);
        let signed_in = self
            .post(
                "/login/password",
                json!({ "password": PASSWORD, "otp": code(secret, app.now()) }),
            )
            .await;
        assert_eq!(signed_in.status(), StatusCode::OK);
    }

    /// Arrive with `rd`, identify and give the password alone: the step
    /// that comes next.
    async fn password_from(&self, rd: &str) -> Step {
        self.open(&format!("/?rd={}", encoded(rd))).await;
        self.post("/login/identify", json!({ "username": USER }))
            .await;
        let step: StepResponse = self
            .post("/login/password", json!({ "password": PASSWORD }))
            .await
            .json()
            .await
            .unwrap();
        step.next
    }

    async fn take_return(&self) -> Option<String> {
        let response = self.post("/return", json!(null)).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json::<ReturnTo>().await.unwrap().url
    }
}

fn location(response: &reqwest::Response) -> &str {
    response.headers()["location"].to_str().unwrap()
}

fn encoded(url: &str) -> String {
    url::form_urlencoded::byte_serialize(url.as_bytes()).collect()
}

async fn the_plain_pages_send_the_browser_back_after_the_code(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let visitor = Visitor::new(&app);
    let first = visitor.open(&format!("/?rd={}", encoded(BACK))).await;
    assert_eq!(first.status(), StatusCode::OK);
    let first = first.text().await.unwrap();
    assert!(
        first.contains("id=\"username\""),
        "the identify page, as always"
    );
    // Every page of a browser carries a token of the same form key.
    let token = first
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();

    visitor
        .form(
            "/flow/identify",
            &[("username", USER), ("form_token", token)],
        )
        .await;
    app.clock.advance(30);
    let done = visitor
        .form(
            "/flow/password",
            &[
                ("password", PASSWORD),
                ("otp", &code(&secret, app.now())),
                ("form_token", token),
            ],
        )
        .await;
    assert_eq!(location(&done), "/");
    let back = visitor.open("/").await;

    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&back), BACK);
    let after = visitor.open("/").await;
    assert_eq!(after.status(), StatusCode::OK, "used once");
}

async fn the_app_is_told_once_also_after_a_first_registration(app: TestApp) {
    app.add_user(USER).await;
    let visitor = Visitor::new(&app);
    assert_eq!(
        visitor.password_from("https://wiki.example.nl/page").await,
        Step::RegisterDevice
    );
    let enrolment: aanmelden_api::Enrolment = visitor
        .post("/devices", json!({ "name": "iPhone" }))
        .await
        .json()
        .await
        .unwrap();
    app.clock.advance(30);
    let activated = visitor
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            json!({ "code": code(&enrolment.secret, app.now()) }),
        )
        .await;
    assert_eq!(activated.status(), StatusCode::OK);

    assert_eq!(
        visitor.take_return().await.as_deref(),
        Some("https://wiki.example.nl/page")
    );
    assert_eq!(visitor.take_return().await, None, "once");
}

async fn the_app_is_told_after_a_push_too(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let phone = Authenticator::of(&app, USER, &secret).await;
    let visitor = Visitor::new(&app);
    assert_eq!(visitor.password_from(BACK).await, Step::Push);
    let challenge: PushChallenge = visitor
        .post("/login/push", json!(null))
        .await
        .json()
        .await
        .unwrap();

    let approved = phone
        .answer(
            &app,
            &challenge.id,
            json!({ "answer": "approve", "number": challenge.number }),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::NO_CONTENT);
    let outcome: PushOutcome = visitor
        .client
        .get(format!(
            "{}/api/v1/login/push/{}",
            visitor.base, challenge.id
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outcome.next, Some(Step::Done));

    assert_eq!(visitor.take_return().await.as_deref(), Some(BACK));
    assert_eq!(visitor.take_return().await, None, "once");
}

async fn an_address_not_allowed_is_ignored(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    for rd in [
        "https://evil.example/",
        "//evil.example/",
        "https://mail.example.nl@evil.example/",
        "http://mail.example.nl/",
        "https://mail.example.nl.evil.example/",
        "https://evil.example\\@mail.example.nl/",
    ] {
        let visitor = Visitor::new(&app);
        let page = visitor.open(&format!("/?rd={}", encoded(rd))).await;
        assert!(
            !page
                .headers()
                .get_all("set-cookie")
                .iter()
                .any(|cookie| cookie.to_str().unwrap().starts_with("aanmelden_return")),
            "{rd}"
        );
        visitor
            .post("/login/identify", json!({ "username": USER }))
            .await;
        app.clock.advance(30);
        let signed_in = visitor
            .post(
                "/login/password",
                json!({ "password": PASSWORD, "otp": code(&secret, app.now()) }),
            )
            .await;
        assert_eq!(signed_in.status(), StatusCode::OK, "{rd}");
        assert_eq!(visitor.take_return().await, None, "{rd}");
        assert_eq!(visitor.open("/").await.status(), StatusCode::OK, "{rd}");
    }
}

async fn a_signed_in_browser_goes_back_at_once(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let visitor = Visitor::new(&app);
    visitor.sign_in(&app, &secret).await;

    let back = visitor.open(&format!("/?rd={}", encoded(BACK))).await;

    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&back), BACK);
    let before_sign_in = Visitor::new(&app);
    before_sign_in
        .open(&format!("/?rd={}", encoded(BACK)))
        .await;
    assert_eq!(
        before_sign_in.post("/return", json!(null)).await.status(),
        StatusCode::UNAUTHORIZED,
        "not before sign-in"
    );
}

async fn an_applications_log_off_link_ends_the_session_and_goes_back(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let visitor = Visitor::new(&app);
    visitor.sign_in(&app, &secret).await;

    let left = visitor
        .open(&format!(
            "/afmelden?rd={}",
            encoded("https://mail.example.nl/")
        ))
        .await;

    assert_eq!(left.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&left), "https://mail.example.nl/");
    let verify = visitor
        .client
        .get(format!("{}/api/v1/auth/verify", visitor.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        verify.status(),
        StatusCode::UNAUTHORIZED,
        "the session ended"
    );
    let elsewhere = Visitor::new(&app)
        .open(&format!(
            "/afmelden?rd={}",
            encoded("https://evil.example/")
        ))
        .await;
    assert_eq!(
        location(&elsewhere),
        "/afgemeld",
        "not allowed: the portal's page"
    );
}

/// The session cookie goes along with a link from another site: such a
/// link to the log-off address ends nothing; an application's (same site)
/// does.
async fn a_log_off_link_on_another_site_ends_nothing(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let visitor = Visitor::new(&app);
    visitor.sign_in(&app, &secret).await;
    let verify = async || {
        visitor
            .client
            .get(format!("{}/api/v1/auth/verify", visitor.base))
            .send()
            .await
            .unwrap()
            .status()
    };
    let leave = format!(
        "{}/afmelden?rd={}",
        visitor.base,
        encoded("https://mail.example.nl/")
    );

    let from_elsewhere = visitor
        .client
        .get(&leave)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();

    assert_eq!(location(&from_elsewhere), "/");
    assert_eq!(verify().await, StatusCode::OK, "still signed in");
    let from_an_application = visitor
        .client
        .get(&leave)
        .header("sec-fetch-site", "same-site")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&from_an_application), "https://mail.example.nl/");
    assert_eq!(
        verify().await,
        StatusCode::UNAUTHORIZED,
        "the session ended"
    );
}

crate::on_both_backends!(
    configured_by configure;
    an_applications_log_off_link_ends_the_session_and_goes_back,
    a_log_off_link_on_another_site_ends_nothing,
    the_plain_pages_send_the_browser_back_after_the_code,
    the_app_is_told_once_also_after_a_first_registration,
    the_app_is_told_after_a_push_too,
    an_address_not_allowed_is_ignored,
    a_signed_in_browser_goes_back_at_once,
);
