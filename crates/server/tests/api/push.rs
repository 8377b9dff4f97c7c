//! Push confirmation with number matching: the browser starts a challenge
//! and waits; the authenticator, signing with its device's secret, lists
//! and answers it.

use aanmelden_api::{
    ErrorCode, PendingChallenge, PushChallenge, PushOutcome, PushStatus, SessionInfo, Step, signed,
};
use aanmelden_server::config::Config;
use aanmelden_server::domain::push::{BrowserKind, Challenge, Status, new_id, push_key, sign};
use aanmelden_server::domain::secrets::SecretBytes;
use aanmelden_server::store::ChallengeLimits;
use reqwest::StatusCode;
use serde_json::json;

use aanmelden_api::platform::{BrowserFamily, Os};

use crate::helpers::{Browser, PASSWORD, TestApp, error_code, json};

const USER: &str = "testgebruiker@missingpiece.nl";
const OTHER: &str = "ander@missingpiece.nl";

/// A short hold, so a wait without an answer comes back quickly.
fn configure(config: &mut Config) {
    config.push_wait_s = 1;
    // Room for the parallel-guess test's many open challenges.
    config.push_max_open = 20;
    config.push_max_per_window = 20;
}

/// The phone: signs its requests with the device's secret.
pub struct Authenticator {
    base: String,
    device_id: i64,
    key: SecretBytes,
    client: reqwest::Client,
    nonces: std::cell::Cell<u32>,
}

impl Authenticator {
    pub async fn of(app: &TestApp, username: &str, secret: &str) -> Self {
        let user = app.state.store.find_user(username).await.unwrap().unwrap();
        let device = &app.state.store.active_devices(user.id).await.unwrap()[0];
        let bytes = totp_rs::Secret::Encoded(secret.to_owned())
            .to_bytes()
            .unwrap();
        Self {
            base: app.browser.url(""),
            device_id: device.id,
            key: push_key(&SecretBytes::new(bytes)),
            client: reqwest::Client::new(),
            nonces: std::cell::Cell::new(0),
        }
    }

    fn signed(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
        timestamp: i64,
        nonce: &str,
    ) -> reqwest::RequestBuilder {
        let message = signed::message(method.as_str(), path, timestamp, nonce, &body);
        self.client
            .request(method, format!("{}{path}", self.base))
            .header(signed::DEVICE, self.device_id.to_string())
            .header(signed::TIMESTAMP, timestamp.to_string())
            .header(signed::NONCE, nonce)
            .header(signed::SIGNATURE, sign(&self.key, &message))
            .body(body)
    }

    fn nonce(&self) -> String {
        self.nonces.set(self.nonces.get() + 1);
        format!("nonce-{}", self.nonces.get())
    }

    async fn pending(&self, app: &TestApp) -> reqwest::Response {
        self.signed(
            reqwest::Method::GET,
            "/api/v1/authenticator/challenges",
            Vec::new(),
            app.now(),
            &self.nonce(),
        )
        .send()
        .await
        .unwrap()
    }

    pub async fn answer(
        &self,
        app: &TestApp,
        id: &str,
        answer: serde_json::Value,
    ) -> reqwest::Response {
        self.signed(
            reqwest::Method::POST,
            &format!("/api/v1/authenticator/challenges/{id}"),
            serde_json::to_vec(&answer).unwrap(),
            app.now(),
            &self.nonce(),
        )
        .send()
        .await
        .unwrap()
    }
}

/// USER with a device, and a browser at the second factor with a challenge.
async fn challenged(app: &TestApp) -> (Browser, Authenticator, PushChallenge) {
    let secret = app.user_with_device(USER).await;
    let phone = Authenticator::of(app, USER, &secret).await;
    let browser = app.new_browser();
    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);
    let challenge = start(&browser).await;
    (browser, phone, challenge)
}

async fn start(browser: &Browser) -> PushChallenge {
    let response = browser.post("/login/push", &()).await;
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

async fn wait(browser: &Browser, id: &str) -> reqwest::Response {
    browser.get(&format!("/login/push/{id}")).await
}

fn wrong(number: u8) -> u8 {
    if number == 99 { 10 } else { number + 1 }
}

/// The app taking over a page that showed the number goes on with the same
/// challenge (`?resume=1`); "Opnieuw versturen" sends a new one, and the old
/// one ends.
async fn an_open_challenge_is_resumed_and_a_resend_replaces_it(app: TestApp) {
    let (browser, _phone, challenge) = challenged(&app).await;
    app.clock.advance(10);

    let resumed: PushChallenge = json(browser.post("/login/push?resume=1", &()).await).await;

    assert_eq!(resumed.id, challenge.id);
    assert_eq!(resumed.number, challenge.number);
    assert_eq!(resumed.expires_in_s, 20, "the time it has left");
    let resent = start(&browser).await;
    assert_ne!(resent.id, challenge.id);
    assert_eq!(resent.expires_in_s, 30);
    assert_eq!(
        error_code(
            wait(&browser, &challenge.id).await,
            StatusCode::UNAUTHORIZED
        )
        .await,
        ErrorCode::PushExpired,
        "the resent one ended the first"
    );
    app.clock.advance(31);
    let after_expiry: PushChallenge = json(browser.post("/login/push?resume=1", &()).await).await;
    assert_ne!(after_expiry.id, resent.id, "an expired one is not resumed");
    let created = app
        .state
        .store
        .audit_log(50)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.event == "push_created")
        .count();
    assert_eq!(created, 3);
}

async fn approving_with_the_right_number_signs_in(app: TestApp) {
    let (browser, phone, challenge) = challenged(&app).await;
    assert!((10..=99).contains(&challenge.number));
    assert_eq!(challenge.expires_in_s, 30);

    let listed = phone.pending(&app).await;
    assert_eq!(listed.status(), StatusCode::OK);
    let raw: serde_json::Value = listed.json().await.unwrap();
    assert!(
        raw[0].get("number").is_none(),
        "the number is the browser's"
    );
    let pending: Vec<PendingChallenge> = serde_json::from_value(raw).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, challenge.id);
    assert_eq!(pending[0].username, USER);
    assert_eq!(pending[0].client, "127.0.0.1");
    assert_eq!(
        (pending[0].browser, pending[0].os),
        (Some(BrowserFamily::Firefox), Some(Os::Linux)),
        "the browser is shown too"
    );

    let approved = phone
        .answer(
            &app,
            &challenge.id,
            json!({ "answer": "approve", "number": challenge.number }),
        )
        .await;
    assert_eq!(approved.status(), StatusCode::NO_CONTENT);

    let outcome: PushOutcome = json(wait(&browser, &challenge.id).await).await;
    assert_eq!(outcome.status, PushStatus::Approved);
    assert_eq!(outcome.next, Some(Step::Done));
    let session: SessionInfo = json(browser.get("/session").await).await;
    assert_eq!(session.step, Step::Done);
    let audit = app.state.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|e| e.event == "push_created"));
    assert!(audit.iter().any(|e| e.event == "push_approved"));
    assert!(
        audit
            .iter()
            .any(|e| e.event == "login_ok" && e.detail == "push" && e.client == "127.0.0.1"),
        "the sign-in itself, with the browser's address: {audit:?}"
    );
}

async fn a_waiting_browser_learns_the_answer_while_it_waits(app: TestApp) {
    let (browser, phone, challenge) = challenged(&app).await;
    let number = challenge.number;
    let id = challenge.id.clone();

    let (outcome, approved) = tokio::join!(wait(&browser, &challenge.id), async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        phone
            .answer(&app, &id, json!({ "answer": "approve", "number": number }))
            .await
    });

    assert_eq!(approved.status(), StatusCode::NO_CONTENT);
    let outcome: PushOutcome = json(outcome).await;
    assert_eq!(outcome.status, PushStatus::Approved);
}

async fn without_an_answer_the_wait_says_pending(app: TestApp) {
    let (browser, _, challenge) = challenged(&app).await;

    let outcome: PushOutcome = json(wait(&browser, &challenge.id).await).await;

    assert_eq!(outcome.status, PushStatus::Pending);
    assert_eq!(outcome.next, None);
}

async fn a_wrong_number_denies_and_counts_as_a_failure(app: TestApp) {
    let (browser, phone, challenge) = challenged(&app).await;

    let answered = phone
        .answer(
            &app,
            &challenge.id,
            json!({ "answer": "approve", "number": wrong(challenge.number) }),
        )
        .await;

    assert_eq!(
        error_code(answered, StatusCode::UNAUTHORIZED).await,
        ErrorCode::PushDenied
    );
    assert_eq!(
        error_code(
            wait(&browser, &challenge.id).await,
            StatusCode::UNAUTHORIZED
        )
        .await,
        ErrorCode::PushDenied
    );
    // Four more wrong numbers make five failures: the account locks.
    for _ in 0..4 {
        let next = start(&browser).await;
        phone
            .answer(
                &app,
                &next.id,
                json!({ "answer": "approve", "number": wrong(next.number) }),
            )
            .await;
    }
    let locked = browser.post("/login/push", &()).await;
    assert_eq!(
        error_code(locked, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::Locked
    );
}

async fn denying_in_the_app_denies_the_sign_in(app: TestApp) {
    let (browser, phone, challenge) = challenged(&app).await;

    let denied = phone
        .answer(&app, &challenge.id, json!({ "answer": "deny" }))
        .await;

    assert_eq!(denied.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        error_code(
            wait(&browser, &challenge.id).await,
            StatusCode::UNAUTHORIZED
        )
        .await,
        ErrorCode::PushDenied
    );
    let session: SessionInfo = json(browser.get("/session").await).await;
    assert_eq!(session.step, Step::Push);
}

async fn an_unanswered_challenge_expires(app: TestApp) {
    let (browser, phone, challenge) = challenged(&app).await;

    app.clock.advance(30);

    assert_eq!(
        error_code(
            wait(&browser, &challenge.id).await,
            StatusCode::UNAUTHORIZED
        )
        .await,
        ErrorCode::PushExpired
    );
    let late = phone
        .answer(
            &app,
            &challenge.id,
            json!({ "answer": "approve", "number": challenge.number }),
        )
        .await;
    assert_eq!(
        error_code(late, StatusCode::UNAUTHORIZED).await,
        ErrorCode::PushExpired
    );
    assert!(
        phone
            .pending(&app)
            .await
            .json::<Vec<PendingChallenge>>()
            .await
            .unwrap()
            .is_empty()
    );
    let audit = app.state.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|e| e.event == "push_expired"));
}

async fn a_challenge_is_answered_once(app: TestApp) {
    let (_, phone, challenge) = challenged(&app).await;
    let approve = json!({ "answer": "approve", "number": challenge.number });

    let first = phone.answer(&app, &challenge.id, approve.clone()).await;
    let second = phone.answer(&app, &challenge.id, approve).await;
    let deny_after = phone
        .answer(&app, &challenge.id, json!({ "answer": "deny" }))
        .await;

    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        error_code(second, StatusCode::UNAUTHORIZED).await,
        ErrorCode::PushExpired
    );
    assert_eq!(
        error_code(deny_after, StatusCode::UNAUTHORIZED).await,
        ErrorCode::PushExpired
    );
}

async fn resending_voids_the_earlier_challenge(app: TestApp) {
    let (browser, phone, first) = challenged(&app).await;

    let second = start(&browser).await;
    let old = phone
        .answer(
            &app,
            &first.id,
            json!({ "answer": "approve", "number": first.number }),
        )
        .await;

    assert_ne!(first.id, second.id);
    assert_eq!(
        error_code(old, StatusCode::UNAUTHORIZED).await,
        ErrorCode::PushExpired
    );
    assert_eq!(
        error_code(wait(&browser, &first.id).await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::PushExpired
    );
    let pending: Vec<PendingChallenge> = phone.pending(&app).await.json().await.unwrap();
    assert_eq!(
        pending.iter().map(|p| p.id.clone()).collect::<Vec<_>>(),
        [second.id]
    );
}

async fn replayed_stale_or_forged_requests_are_refused(app: TestApp) {
    let (_, phone, challenge) = challenged(&app).await;
    let path = "/api/v1/authenticator/challenges";
    let now = app.now();

    let first = phone
        .signed(reqwest::Method::GET, path, Vec::new(), now, "once")
        .send()
        .await
        .unwrap();
    let replay = phone
        .signed(reqwest::Method::GET, path, Vec::new(), now, "once")
        .send()
        .await
        .unwrap();
    let stale = phone
        .signed(reqwest::Method::GET, path, Vec::new(), now - 61, "stale")
        .send()
        .await
        .unwrap();
    let future = phone
        .signed(reqwest::Method::GET, path, Vec::new(), now + 61, "future")
        .send()
        .await
        .unwrap();
    let forged = reqwest::Client::new()
        .post(format!("{}{path}/{}", phone.base, challenge.id))
        .header(signed::DEVICE, phone.device_id.to_string())
        .header(signed::TIMESTAMP, now.to_string())
        .header(signed::NONCE, "forged")
        .header(signed::SIGNATURE, "00".repeat(32))
        .json(&json!({ "answer": "approve", "number": challenge.number }))
        .send()
        .await
        .unwrap();
    let unsigned = reqwest::get(format!("{}{path}", phone.base)).await.unwrap();

    assert_eq!(first.status(), StatusCode::OK);
    for refused in [replay, stale, future, forged, unsigned] {
        assert_eq!(
            error_code(refused, StatusCode::UNAUTHORIZED).await,
            ErrorCode::InvalidCredentials
        );
    }
}

async fn extreme_times_are_refused_not_a_crash(app: TestApp) {
    let (_, phone, challenge) = challenged(&app).await;
    let path = "/api/v1/authenticator/challenges";

    for (n, timestamp) in [i64::MIN, i64::MIN + 1, i64::MAX].into_iter().enumerate() {
        let listed = phone
            .signed(
                reqwest::Method::GET,
                path,
                Vec::new(),
                timestamp,
                &format!("list-{n}"),
            )
            .send()
            .await
            .unwrap();
        let answered = phone
            .signed(
                reqwest::Method::POST,
                &format!("{path}/{}", challenge.id),
                serde_json::to_vec(&json!({ "answer": "deny" })).unwrap(),
                timestamp,
                &format!("answer-{n}"),
            )
            .send()
            .await
            .unwrap();

        for refused in [listed, answered] {
            assert_eq!(
                error_code(refused, StatusCode::UNAUTHORIZED).await,
                ErrorCode::InvalidCredentials,
                "{timestamp}"
            );
        }
    }
}

/// Many challenges sent at once, on several instances: no more than the
/// limits allow are ever open, or sent within the window.
async fn parallel_challenges_never_pass_the_limits(app: TestApp) {
    const PARALLEL: usize = 60;
    app.add_user(USER).await;
    let user = app.state.store.find_user(USER).await.unwrap().unwrap();
    let stores = app.more_stores(3).await;
    let now = app.now();
    let challenge = |n: usize| Challenge {
        id: new_id(),
        user_id: user.id,
        username: USER.to_owned(),
        session_hash: format!("session {n}"),
        number: 42,
        client: "127.0.0.1".to_owned(),
        browser: BrowserKind::default(),
        created_at: now,
        expires_at: now + 30,
        status: Status::Pending,
    };

    for (limits, most) in [
        (
            ChallengeLimits {
                open: 3,
                recent: 100,
                since: now - 300,
            },
            3,
        ),
        (
            ChallengeLimits {
                open: 100,
                recent: 5,
                since: now - 300,
            },
            5,
        ),
    ] {
        app.state.store.forget_challenges(now + 100).await.unwrap();
        let sends = (0..PARALLEL).map(|n| {
            let store = stores[n % stores.len()].clone();
            let challenge = challenge(n);
            async move { store.insert_challenge(&challenge, limits).await.unwrap() }
        });
        let sent = futures_util::future::join_all(sends)
            .await
            .into_iter()
            .filter(|&sent| sent)
            .count();

        let open = app
            .state
            .store
            .pending_challenges(user.id, now)
            .await
            .unwrap()
            .len();
        assert_eq!(open, most, "{limits:?}");
        assert_eq!(sent, most, "{limits:?}");
    }
}

async fn another_users_device_cannot_answer(app: TestApp) {
    let (_, _, challenge) = challenged(&app).await;
    let other_secret = {
        let other = app.new_browser();
        app.add_user(OTHER).await;
        assert_eq!(
            other.sign_in_password(OTHER, PASSWORD).await,
            Step::RegisterDevice
        );
        let enrolment = other.add_device("Pixel").await;
        let code = crate::helpers::code(&enrolment.secret, app.now());
        let activated = other
            .post(
                &format!("/devices/{}/activate", enrolment.device_id),
                &json!({ "code": code }),
            )
            .await;
        assert_eq!(activated.status(), StatusCode::OK);
        enrolment.secret
    };
    let other_phone = Authenticator::of(&app, OTHER, &other_secret).await;

    let answered = other_phone
        .answer(
            &app,
            &challenge.id,
            json!({ "answer": "approve", "number": challenge.number }),
        )
        .await;
    let listed: Vec<PendingChallenge> = other_phone.pending(&app).await.json().await.unwrap();

    assert_eq!(
        error_code(answered, StatusCode::NOT_FOUND).await,
        ErrorCode::NotFound
    );
    assert!(listed.is_empty());
}

async fn push_needs_a_password_and_a_device(app: TestApp) {
    app.add_user(USER).await;
    let browser = app.new_browser();
    browser.identify(USER).await;

    let before_password = browser.post("/login/push", &()).await;
    browser.password(PASSWORD, None).await;
    let without_device = browser.post("/login/push", &()).await;

    assert_eq!(
        error_code(before_password, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(without_device, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
}

async fn the_qr_code_names_this_server_and_the_device(app: TestApp) {
    app.add_user(USER).await;
    app.browser.sign_in_password(USER, PASSWORD).await;

    let enrolment = app.browser.add_device("iPhone").await;

    assert!(
        enrolment.otpauth_uri.ends_with(&format!(
            "&aanmelden_device={}&aanmelden_server=http%3A%2F%2F127.0.0.1%3A8080",
            enrolment.device_id
        )),
        "{}",
        enrolment.otpauth_uri
    );
    let token = totp_rs::TOTP::from_url(&enrolment.otpauth_uri).unwrap();
    assert_eq!(token.get_secret_base32(), enrolment.secret);
}

/// A `User-Agent` is the browser's own text: whoever signs in can make it
/// tell the user what to type.
async fn the_authenticator_is_told_the_browser_in_fixed_words_only(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let phone = Authenticator::of(&app, USER, &secret).await;
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .user_agent("typ 42 Mozilla/5.0 (Windows NT 10.0; typ 42) Firefox/142.0 typ 42")
        .build()
        .unwrap();
    let api = |path: &str| app.browser.url(&format!("/api/v1{path}"));
    for (path, body) in [
        ("/login/identify", json!({ "username": USER })),
        ("/login/password", json!({ "password": PASSWORD })),
        ("/login/push", json!(null)),
    ] {
        let response = browser.post(api(path)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }

    let mut listed: Vec<serde_json::Value> = phone.pending(&app).await.json().await.unwrap();

    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["browser"], "firefox");
    assert_eq!(listed[0]["os"], "windows");
    listed[0]["id"].take();
    let told = serde_json::to_string(&listed).unwrap();
    assert!(!told.contains("typ") && !told.contains("42"), "{told}");
}

/// Wrong passwords for USER from the challenged browser's address, until
/// the account is locked there.
async fn lock_the_account_here(app: &TestApp) {
    for _ in 0..app.state.config.lockout_threshold {
        let guesser = app.new_browser();
        guesser.identify(USER).await;
        guesser.password("wrong password", None).await;
    }
    let refused = app.new_browser();
    refused.identify(USER).await;
    assert_eq!(
        error_code(
            refused.password(PASSWORD, None).await,
            StatusCode::TOO_MANY_REQUESTS
        )
        .await,
        ErrorCode::Locked
    );
}

/// The phone answers `answer` while the account is locked at the browser's
/// address: the answer is taken, the waiting browser learns `told`, and
/// the audit log has `event`.
async fn answered_while_locked(app: &TestApp, answer: &str, told: ErrorCode, event: &str) {
    let (browser, phone, challenge) = challenged(app).await;
    lock_the_account_here(app).await;

    let answered = phone
        .answer(app, &challenge.id, json!({ "answer": answer }))
        .await;

    assert_eq!(answered.status(), StatusCode::NO_CONTENT, "{answer}");
    assert_eq!(
        error_code(
            wait(&browser, &challenge.id).await,
            StatusCode::UNAUTHORIZED
        )
        .await,
        told,
        "{answer}: the waiting browser learns it"
    );
    let audit = app.state.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|e| e.event == event), "{audit:?}");
}

async fn a_denial_is_recorded_while_the_account_is_locked(app: TestApp) {
    answered_while_locked(&app, "deny", ErrorCode::PushDenied, "push_denied").await;
}

/// The session that asked is ended.
async fn this_was_not_me_is_recorded_while_the_account_is_locked(app: TestApp) {
    answered_while_locked(&app, "not_me", ErrorCode::SessionExpired, "push_not_me").await;
}

async fn this_was_not_me_is_recorded_and_locks_the_account_there(app: TestApp) {
    let (browser, phone, challenge) = challenged(&app).await;

    let reported = phone
        .answer(&app, &challenge.id, json!({ "answer": "not_me" }))
        .await;

    assert_eq!(reported.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        error_code(
            wait(&browser, &challenge.id).await,
            StatusCode::UNAUTHORIZED
        )
        .await,
        ErrorCode::SessionExpired,
        "the session that asked is ended"
    );
    let audit = app.state.store.audit_log(50).await.unwrap();
    assert!(audit.iter().any(|e| e.event == "push_not_me"));
    assert!(audit.iter().any(|e| e.event == "locked"));
    let again = app.new_browser();
    again.identify(USER).await;
    assert_eq!(
        error_code(
            again.password(PASSWORD, None).await,
            StatusCode::TOO_MANY_REQUESTS
        )
        .await,
        ErrorCode::Locked,
        "whoever has the password cannot try again from there"
    );
}

async fn denials_count_as_failures(app: TestApp) {
    let (browser, phone, mut challenge) = challenged(&app).await;
    for _ in 0..app.state.config.lockout_threshold {
        let denied = phone
            .answer(&app, &challenge.id, json!({ "answer": "deny" }))
            .await;
        assert_eq!(denied.status(), StatusCode::NO_CONTENT);
        let resent = browser.post("/login/push", &()).await;
        if resent.status() != StatusCode::OK {
            assert_eq!(
                error_code(resent, StatusCode::TOO_MANY_REQUESTS).await,
                ErrorCode::Locked
            );
            return;
        }
        challenge = json(resent).await;
    }
    panic!("five denials did not lock the account");
}

async fn parallel_wrong_numbers_get_no_more_than_the_threshold_verified(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let phone = Authenticator::of(&app, USER, &secret).await;
    let mut challenges = Vec::new();
    for _ in 0..12 {
        let browser = app.new_browser();
        assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);
        challenges.push(start(&browser).await);
    }

    let answers = futures_util::future::join_all(challenges.iter().map(|c| {
        phone.answer(
            &app,
            &c.id,
            json!({ "answer": "approve", "number": wrong(c.number) }),
        )
    }))
    .await;

    let mut verified = 0;
    for answer in answers {
        let status = answer.status();
        let code = json::<aanmelden_api::ErrorBody>(answer).await.error.code;
        match code {
            ErrorCode::PushDenied => verified += 1,
            ErrorCode::Locked | ErrorCode::RateLimited => {
                assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
            }
            other => panic!("{other:?}"),
        }
    }
    eprintln!("12 parallel wrong numbers: {verified} verified");
    assert!(verified <= usize::try_from(app.state.config.lockout_threshold).unwrap());
}

crate::on_both_backends!(
    configured_by configure;
    parallel_wrong_numbers_get_no_more_than_the_threshold_verified,
    the_authenticator_is_told_the_browser_in_fixed_words_only,
    a_denial_is_recorded_while_the_account_is_locked,
    this_was_not_me_is_recorded_while_the_account_is_locked,
    this_was_not_me_is_recorded_and_locks_the_account_there,
    denials_count_as_failures,
    approving_with_the_right_number_signs_in,
    an_open_challenge_is_resumed_and_a_resend_replaces_it,
    a_waiting_browser_learns_the_answer_while_it_waits,
    without_an_answer_the_wait_says_pending,
    a_wrong_number_denies_and_counts_as_a_failure,
    denying_in_the_app_denies_the_sign_in,
    an_unanswered_challenge_expires,
    a_challenge_is_answered_once,
    resending_voids_the_earlier_challenge,
    replayed_stale_or_forged_requests_are_refused,
    extreme_times_are_refused_not_a_crash,
    parallel_challenges_never_pass_the_limits,
    another_users_device_cannot_answer,
    push_needs_a_password_and_a_device,
    the_qr_code_names_this_server_and_the_device,
);
