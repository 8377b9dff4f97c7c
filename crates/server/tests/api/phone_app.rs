//! The phone app's side of the API: it gives its own key while its device
//! enrolls, signs everything with that key from then on, and is woken by
//! Web Push. The push service is a real HTTP server on loopback that checks
//! the portal's VAPID signature and decrypts the message as a phone would.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aanmelden_api::{
    ErrorCode, PendingChallenge, PushChallenge, PushOutcome, PushStatus, Step, WakeUp, WebPushKey,
    signed,
};
use aanmelden_server::config::Config;
use aanmelden_server::domain::push::{push_key, sign};
use aanmelden_server::domain::secrets::SecretBytes;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use reqwest::{Method, StatusCode};
use serde_json::json;
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256PublicKey};
use web_push_native::jwt_simple::claims::NoCustomClaims;
use web_push_native::jwt_simple::common::VerificationOptions;

use crate::helpers::{Browser, PASSWORD, TestApp, code, error_code, json, spawn_app_with};

const USER: &str = "testgebruiker@missingpiece.nl";

/// How a phone signs: with the TOTP secret (any authenticator, and the
/// phone app while it gives its key), or with its own key.
enum Signing {
    Secret(SecretBytes),
    Key(SigningKey),
}

/// A phone with the app: one device, a key pair of its own.
struct Phone {
    base: String,
    device_id: i64,
    secret: String,
    key: SigningKey,
    signer: Signing,
    nonces: std::cell::Cell<u32>,
    client: reqwest::Client,
}

impl Phone {
    fn new(app: &TestApp, device_id: i64, secret: &str) -> Self {
        let bytes = totp_rs::Secret::Encoded(secret.to_owned())
            .to_bytes()
            .unwrap();
        let mut scalar = [0u8; 32];
        getrandom(&mut scalar);
        Self {
            base: app.browser.url(""),
            device_id,
            secret: secret.to_owned(),
            key: SigningKey::from_slice(&scalar).unwrap(),
            signer: Signing::Secret(push_key(&SecretBytes::new(bytes))),
            nonces: std::cell::Cell::new(0),
            client: reqwest::Client::new(),
        }
    }

    fn public_key(&self) -> String {
        BASE64URL.encode(self.key.verifying_key().to_encoded_point(false).as_bytes())
    }

    fn sign_with_key(&mut self) {
        self.signer = Signing::Key(self.key.clone());
    }

    fn sign_with_secret(&mut self) {
        let bytes = totp_rs::Secret::Encoded(self.secret.clone())
            .to_bytes()
            .unwrap();
        self.signer = Signing::Secret(push_key(&SecretBytes::new(bytes)));
    }

    fn nonce(&self) -> String {
        self.nonces.set(self.nonces.get() + 1);
        format!("phone-{}", self.nonces.get())
    }

    async fn send_at(
        &self,
        method: Method,
        path: &str,
        body: Vec<u8>,
        timestamp: i64,
        nonce: &str,
    ) -> reqwest::Response {
        let path = format!("/api/v1{path}");
        let message = signed::message(method.as_str(), &path, timestamp, nonce, &body);
        let signature = match &self.signer {
            Signing::Secret(key) => sign(key, &message),
            Signing::Key(key) => {
                let signature: Signature = key.sign(&message);
                hex(&signature.to_bytes())
            }
        };
        self.client
            .request(method, format!("{}{path}", self.base))
            .header(signed::DEVICE, self.device_id.to_string())
            .header(signed::TIMESTAMP, timestamp.to_string())
            .header(signed::NONCE, nonce)
            .header(signed::SIGNATURE, signature)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn send(
        &self,
        app: &TestApp,
        method: Method,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        let body = if body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(body).unwrap()
        };
        self.send_at(method, path, body, app.now(), &self.nonce())
            .await
    }

    async fn give_key(&self, app: &TestApp) -> reqwest::Response {
        self.send(
            app,
            Method::PUT,
            "/authenticator/key",
            &json!({ "public_key": self.public_key() }),
        )
        .await
    }

    async fn pending(&self, app: &TestApp) -> reqwest::Response {
        self.send(
            app,
            Method::GET,
            "/authenticator/challenges",
            &serde_json::Value::Null,
        )
        .await
    }

    async fn answer(&self, app: &TestApp, id: &str, answer: serde_json::Value) -> StatusCode {
        self.send(
            app,
            Method::POST,
            &format!("/authenticator/challenges/{id}"),
            &answer,
        )
        .await
        .status()
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

fn getrandom(bytes: &mut [u8]) {
    use aes_gcm::aead::OsRng;
    use aes_gcm::aead::rand_core::RngCore;
    OsRng.fill_bytes(bytes);
}

/// USER signs in for the first time and starts adding "Telefoon"; the
/// phone app scans the QR code and gives its key; "Gereed" with the code
/// the app shows. The browser is left signed in.
async fn enrolled_phone(app: &TestApp) -> Phone {
    app.add_user(USER).await;
    assert_eq!(
        app.browser.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
    let enrolment = app.browser.add_device("Telefoon").await;
    let mut phone = Phone::new(app, enrolment.device_id, &enrolment.secret);
    assert_eq!(phone.give_key(app).await.status(), StatusCode::NO_CONTENT);
    let activated = app
        .browser
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            &json!({ "code": code(&enrolment.secret, app.now()) }),
        )
        .await;
    assert_eq!(activated.status(), StatusCode::OK);
    phone.sign_with_key();
    phone
}

/// A new browser at the push step, with a challenge.
async fn waiting_browser(app: &TestApp) -> (Browser, PushChallenge) {
    let browser = app.new_browser();
    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);
    let response = browser.post("/login/push", &()).await;
    assert_eq!(response.status(), StatusCode::OK);
    (browser, json(response).await)
}

fn configure(_: &mut Config) {}

async fn the_app_answers_with_its_own_key_and_the_secret_alone_no_longer_can(app: TestApp) {
    let mut phone = enrolled_phone(&app).await;
    let (browser, challenge) = waiting_browser(&app).await;

    // Whoever holds only the TOTP secret (another app, a backup of one)
    // can make codes, but answers no sign-in.
    phone.sign_with_secret();
    assert_eq!(
        error_code(phone.pending(&app).await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidCredentials
    );
    let by_secret = phone
        .answer(
            &app,
            &challenge.id,
            json!({ "answer": "approve", "number": challenge.number }),
        )
        .await;
    assert_eq!(by_secret, StatusCode::UNAUTHORIZED);

    phone.sign_with_key();
    let pending: Vec<PendingChallenge> = json(phone.pending(&app).await).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].id, challenge.id);
    assert_eq!(
        phone
            .answer(
                &app,
                &challenge.id,
                json!({ "answer": "approve", "number": challenge.number }),
            )
            .await,
        StatusCode::NO_CONTENT
    );
    let outcome: PushOutcome =
        json(browser.get(&format!("/login/push/{}", challenge.id)).await).await;
    assert_eq!(outcome.status, PushStatus::Approved);
}

async fn a_key_is_given_once_and_only_while_enrolling(app: TestApp) {
    let phone = enrolled_phone(&app).await;
    // Active now: neither the secret nor the key gives another key.
    let mut again = Phone::new(&app, phone.device_id, &phone.secret);
    assert_eq!(
        error_code(again.give_key(&app).await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidCredentials
    );
    again.sign_with_key();
    assert_eq!(
        error_code(again.give_key(&app).await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidCredentials
    );

    // While enrolling, a second key does not replace the first, and what is
    // not a point of the curve is no key.
    let enrolment = app.browser.add_device("Tablet").await;
    let first = Phone::new(&app, enrolment.device_id, &enrolment.secret);
    let not_a_key = first
        .send(
            &app,
            Method::PUT,
            "/authenticator/key",
            &json!({ "public_key": BASE64URL.encode([4u8; 65]) }),
        )
        .await;
    assert_eq!(
        error_code(not_a_key, StatusCode::BAD_REQUEST).await,
        ErrorCode::Validation
    );
    assert_eq!(first.give_key(&app).await.status(), StatusCode::NO_CONTENT);
    let second = Phone::new(&app, enrolment.device_id, &enrolment.secret);
    assert_eq!(
        error_code(second.give_key(&app).await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidCredentials
    );
}

async fn replayed_and_reordered_requests_are_refused(app: TestApp) {
    let phone = enrolled_phone(&app).await;
    let now = app.now();
    let at = |timestamp: i64, nonce: &'static str| {
        phone.send_at(
            Method::GET,
            "/authenticator/challenges",
            Vec::new(),
            timestamp,
            nonce,
        )
    };
    // Signed at now - 5 but held back: the one signed later went first.
    assert_eq!(at(now, "b").await.status(), StatusCode::OK);
    assert_eq!(
        error_code(at(now, "b").await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidCredentials
    );
    assert_eq!(
        error_code(at(now - 5, "a").await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidCredentials
    );
    assert_eq!(at(now, "c").await.status(), StatusCode::OK);
}

async fn a_removed_device_answers_no_more(app: TestApp) {
    let phone = enrolled_phone(&app).await;
    assert_eq!(phone.pending(&app).await.status(), StatusCode::OK);
    let removed = app
        .browser
        .delete(&format!("/devices/{}", phone.device_id))
        .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        error_code(phone.pending(&app).await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidCredentials
    );
}

crate::on_both_backends!(
    configured_by configure;
    the_app_answers_with_its_own_key_and_the_secret_alone_no_longer_can,
    a_key_is_given_once_and_only_while_enrolling,
    replayed_and_reordered_requests_are_refused,
    a_removed_device_answers_no_more,
);

/// What the test push service was sent.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    /// The message, decrypted with the phone's keys.
    message: Result<WakeUp, String>,
    ttl: Option<u64>,
    urgency: Option<String>,
}

/// A push service on loopback, as a phone's would be: checks the VAPID
/// signature against the portal's key, decrypts with the phone's keys, and
/// answers with the status its path names (`/push/201/…`, `/push/410/…`,
/// `/push/503-twice/…`).
struct PushService {
    origin: String,
    received: Arc<Mutex<Vec<Received>>>,
    /// The phone's subscription keys.
    phone_secret: p256::SecretKey,
    auth: [u8; 16],
    /// The portal's key, once known.
    portal_key: Arc<Mutex<Option<String>>>,
}

impl PushService {
    async fn start() -> Self {
        let mut auth = [0u8; 16];
        getrandom(&mut auth);
        let mut scalar = [0u8; 32];
        getrandom(&mut scalar);
        let phone_secret = p256::SecretKey::from_slice(&scalar).unwrap();
        let received: Arc<Mutex<Vec<Received>>> = Arc::default();
        let portal_key: Arc<Mutex<Option<String>>> = Arc::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let handler = {
            let received = Arc::clone(&received);
            let portal_key = Arc::clone(&portal_key);
            let phone_secret = phone_secret.clone();
            move |uri: axum::http::Uri, headers: HeaderMap, body: axum::body::Bytes| {
                let received = Arc::clone(&received);
                let portal_key = portal_key.lock().unwrap().clone();
                let phone_secret = phone_secret.clone();
                async move {
                    let path = uri.path().to_owned();
                    let message =
                        check(&headers, &body, portal_key.as_deref(), &phone_secret, &auth);
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned)
                    };
                    let mut all = received.lock().unwrap();
                    all.push(Received {
                        path: path.clone(),
                        message,
                        ttl: header("ttl").and_then(|ttl| ttl.parse().ok()),
                        urgency: header("urgency"),
                    });
                    let tries = all.iter().filter(|r| r.path == path).count();
                    match path.split('/').nth(2) {
                        Some("410") => AxumStatus::GONE,
                        Some("404") => AxumStatus::NOT_FOUND,
                        Some("503-twice") if tries <= 2 => AxumStatus::SERVICE_UNAVAILABLE,
                        Some("503") => AxumStatus::SERVICE_UNAVAILABLE,
                        _ => AxumStatus::CREATED,
                    }
                }
            }
        };
        let router = axum::Router::new().route("/push/{*rest}", axum::routing::post(handler));
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            origin,
            received,
            phone_secret,
            auth,
            portal_key,
        }
    }

    fn subscription(&self, path: &str) -> serde_json::Value {
        json!({
            "endpoint": format!("{}/push/{path}", self.origin),
            "keys": {
                "p256dh": BASE64URL.encode(self.phone_secret.public_key().to_encoded_point(false).as_bytes()),
                "auth": BASE64URL.encode(self.auth),
            }
        })
    }

    fn received(&self, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == format!("/push/{path}"))
            .cloned()
            .collect()
    }

    /// What came for `path`, once `count` came or after 10 seconds.
    async fn wait_for(&self, path: &str, count: usize) -> Vec<Received> {
        for _ in 0..200 {
            if self.received(path).len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.received(path)
    }
}

/// The VAPID header checked against the portal's key (RFC 8292: `vapid
/// t=<JWT>, k=<key>`, ES256, audience the push service's origin, expiring
/// within a day) and the body decrypted (RFC 8291, aes128gcm).
fn check(
    headers: &HeaderMap,
    body: &[u8],
    portal_key: Option<&str>,
    phone_secret: &p256::SecretKey,
    auth: &[u8; 16],
) -> Result<WakeUp, String> {
    let authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("no Authorization")?;
    let rest = authorization
        .strip_prefix("vapid ")
        .ok_or("not a vapid Authorization")?;
    let mut token = None;
    let mut key = None;
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => token = Some(value.to_owned()),
            Some(("k", value)) => key = Some(value.to_owned()),
            _ => {}
        }
    }
    let (token, key) = (token.ok_or("no t=")?, key.ok_or("no k=")?);
    if Some(key.as_str()) != portal_key {
        return Err(format!("k= is not the portal's key: {key}"));
    }
    let public = ES256PublicKey::from_bytes(&BASE64URL.decode(&key).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    // The crate names the push service's origin without its port; the
    // services phones use listen on 443, where the two agree.
    let options = VerificationOptions {
        allowed_audiences: Some(["http://127.0.0.1".to_owned()].into()),
        ..VerificationOptions::default()
    };
    let claims = public
        .verify_token::<NoCustomClaims>(&token, Some(options))
        .map_err(|e| format!("the VAPID signature does not verify: {e}"))?;
    let expires = claims.expires_at.ok_or("no exp")?.as_secs();
    // The push service's own clock, as a real one has: not the portal's.
    #[allow(clippy::disallowed_methods)]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if expires > now + 24 * 60 * 60 {
        return Err("exp more than a day ahead".into());
    }
    if claims.subject.as_deref().is_none_or(str::is_empty) {
        return Err("no sub".into());
    }
    if headers
        .get("content-encoding")
        .and_then(|v| v.to_str().ok())
        != Some("aes128gcm")
    {
        return Err("not aes128gcm".into());
    }
    let plain = web_push_native::decrypt(
        body.to_vec(),
        phone_secret,
        &web_push_native::Auth::clone_from_slice(auth),
    )
    .map_err(|e| format!("does not decrypt: {e}"))?;
    serde_json::from_slice(&plain).map_err(|e| format!("not the wake-up message: {e}"))
}

/// USER's phone app, subscribed at the push service's `path`.
async fn subscribed(app: &TestApp, service: &PushService, path: &str) -> Phone {
    let phone = enrolled_phone(app).await;
    let key: WebPushKey = json(app.browser.get("/authenticator/push-key").await).await;
    *service.portal_key.lock().unwrap() = Some(key.public_key);
    subscribe_at(app, &phone, service, path).await;
    phone
}

async fn with_push_service(
    backend: aanmelden_server::store::Backend,
) -> Option<(TestApp, PushService)> {
    let service = PushService::start().await;
    let origin = service.origin.clone();
    let app = spawn_app_with(backend, move |config| {
        config.web_push_test_origin = Some(origin);
    })
    .await?;
    Some((app, service))
}

async fn a_waiting_sign_in_wakes_the_phone_with_its_id_only(
    (app, service): (TestApp, PushService),
) {
    let phone = subscribed(&app, &service, "201/a").await;
    let (browser, challenge) = waiting_browser(&app).await;

    let received = service.wait_for("201/a", 1).await;
    assert_eq!(received.len(), 1, "{received:?}");
    let woken = received[0].message.clone().unwrap();
    assert_eq!(
        woken,
        WakeUp {
            challenge: challenge.id.clone()
        }
    );
    assert_eq!(received[0].ttl, Some(30));
    assert_eq!(received[0].urgency.as_deref(), Some("high"));

    // The app fetches the rest over its signed channel, and answers.
    let pending: Vec<PendingChallenge> = json(phone.pending(&app).await).await;
    assert_eq!(pending[0].id, woken.challenge);
    assert_eq!(
        phone
            .answer(
                &app,
                &woken.challenge,
                json!({ "answer": "approve", "number": challenge.number }),
            )
            .await,
        StatusCode::NO_CONTENT
    );
    let outcome: PushOutcome =
        json(browser.get(&format!("/login/push/{}", challenge.id)).await).await;
    assert_eq!(outcome.status, PushStatus::Approved);
}

async fn subscribe_at(app: &TestApp, phone: &Phone, service: &PushService, path: &str) {
    let subscribed = phone
        .send(
            app,
            Method::PUT,
            "/authenticator/subscription",
            &service.subscription(path),
        )
        .await;
    assert_eq!(subscribed.status(), StatusCode::NO_CONTENT);
}

async fn subscriptions_left(app: &TestApp) -> usize {
    let user = app.state.store.find_user(USER).await.unwrap().unwrap();
    app.state.store.subscriptions(user.id).await.unwrap().len()
}

async fn gone_subscriptions_are_dropped((app, service): (TestApp, PushService)) {
    let phone = subscribed(&app, &service, "201/first").await;
    for status in ["410", "404"] {
        let path = format!("{status}/phone");
        subscribe_at(&app, &phone, &service, &path).await;
        assert_eq!(subscriptions_left(&app).await, 1);
        waiting_browser(&app).await;
        let received = service.wait_for(&path, 1).await;
        assert!(received[0].message.is_ok(), "{received:?}");
        let mut left = 1;
        for _ in 0..100 {
            left = subscriptions_left(&app).await;
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(left, 0, "a subscription answered {status} is dropped");
    }
}

async fn a_busy_push_service_is_tried_three_times_at_most((app, service): (TestApp, PushService)) {
    let phone = subscribed(&app, &service, "503-twice/x").await;
    waiting_browser(&app).await;
    let received = service.wait_for("503-twice/x", 3).await;
    assert_eq!(received.len(), 3, "two refusals, then taken");
    assert!(received.iter().all(|r| r.message.is_ok()));

    subscribe_at(&app, &phone, &service, "503/y").await;
    waiting_browser(&app).await;
    assert_eq!(service.wait_for("503/y", 3).await.len(), 3);
    // The tries are 1 and 2 seconds apart: a fourth would come by now.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(service.received("503/y").len(), 3, "three tries, no more");
    assert_eq!(subscriptions_left(&app).await, 1, "busy is not gone");
}

async fn endpoints_must_be_public_https((app, service): (TestApp, PushService)) {
    let phone = subscribed(&app, &service, "201/ok").await;
    for endpoint in [
        "http://push.example.com/x",
        "https://127.0.0.1/x",
        "https://10.0.0.8/x",
        "https://[::1]/x",
        "https://localhost/x",
        "http://127.0.0.1:1/x",
    ] {
        let refused = phone
            .send(
                &app,
                Method::PUT,
                "/authenticator/subscription",
                &json!({ "endpoint": endpoint, "keys": service.subscription("x")["keys"] }),
            )
            .await;
        assert_eq!(
            error_code(refused, StatusCode::BAD_REQUEST).await,
            ErrorCode::Validation,
            "{endpoint}"
        );
    }
    let bad_keys = phone
        .send(
            &app,
            Method::PUT,
            "/authenticator/subscription",
            &json!({ "endpoint": "https://push.example.com/x", "keys": { "p256dh": "AAAA", "auth": "AAAA" } }),
        )
        .await;
    assert_eq!(
        error_code(bad_keys, StatusCode::BAD_REQUEST).await,
        ErrorCode::Validation
    );

    // A device without a key of its own (any other authenticator) is woken
    // by nothing: it has no push service.
    let enrolment = app.browser.add_device("Tablet").await;
    let other = Phone::new(&app, enrolment.device_id, &enrolment.secret);
    let refused = other
        .send(
            &app,
            Method::PUT,
            "/authenticator/subscription",
            &service.subscription("201/other"),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(subscriptions_left(&app).await, 1);

    // Unsubscribing stops the waking.
    let gone = phone
        .send(
            &app,
            Method::DELETE,
            "/authenticator/subscription",
            &serde_json::Value::Null,
        )
        .await;
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    assert_eq!(subscriptions_left(&app).await, 0);
}

/// The tests with a push service beside the portal.
mod woken {
    use super::{
        a_busy_push_service_is_tried_three_times_at_most,
        a_waiting_sign_in_wakes_the_phone_with_its_id_only, endpoints_must_be_public_https,
        gone_subscriptions_are_dropped, with_push_service,
    };

    crate::on_both_backends!(
        @tests super::with_push_service;
        a_waiting_sign_in_wakes_the_phone_with_its_id_only,
        gone_subscriptions_are_dropped,
        a_busy_push_service_is_tried_three_times_at_most,
        endpoints_must_be_public_https
    );
}
