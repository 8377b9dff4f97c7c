//! "Mijn geregistreerde apparaten": enrolment, limits, names, test, remove.

use aanmelden_api::{
    Adding, Device, DeviceList, Enrolment, ErrorBody, ErrorCode, Step, TestResult,
};
use aanmelden_server::store::AddDeviceError;
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Browser, PASSWORD, TestApp, code, error_code, json as body};

const USER: &str = "testgebruiker@missingpiece.nl";

/// A browser fully signed in as `USER`, who has the device "iPhone".
async fn signed_in(app: &TestApp) -> (Browser, String) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let browser = app.new_browser();
    let response = browser
        .sign_in_with_code(USER, &code(&secret, app.now()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    (browser, secret)
}

async fn activate(browser: &Browser, enrolment: &Enrolment, code: &str) -> reqwest::Response {
    browser
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            &json!({ "code": code }),
        )
        .await
}

async fn first_registration_end_to_end(app: TestApp) {
    app.add_user(USER).await;
    assert_eq!(
        app.browser.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
    let empty: DeviceList = body(app.browser.get("/devices").await).await;
    assert!(empty.devices.is_empty() && empty.pending.is_none());
    assert_eq!(empty.limit, 4);

    let response = app
        .browser
        .post("/devices", &json!({ "name": "iPhone" }))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let enrolment: Enrolment = body(response).await;
    let again = app.browser.add_device("iPhone").await;
    let listed: DeviceList = body(app.browser.get("/devices").await).await;

    assert_eq!(again.secret, enrolment.secret);
    assert_eq!(again.device_id, enrolment.device_id);
    assert_eq!(listed.pending.as_ref(), Some(&enrolment));
    assert!(listed.devices.is_empty());
    assert!(
        enrolment
            .otpauth_uri
            .starts_with("otpauth://totp/Missing%20Piece:testgebruiker%40missingpiece.nl?"),
        "{}",
        enrolment.otpauth_uri
    );
    assert!(
        enrolment
            .otpauth_uri
            .contains(&format!("secret={}", enrolment.secret))
    );

    let response = activate(
        &app.browser,
        &enrolment,
        &code(&enrolment.secret, app.now()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let device: Device = body(response).await;
    assert_eq!(device.name, "iPhone");
    let listed: DeviceList = body(app.browser.get("/devices").await).await;
    assert_eq!(listed.devices, vec![device]);
    assert!(listed.pending.is_none());
    let audit = app.state.store.audit_log(50).await.unwrap();
    assert!(
        audit.iter().any(|e| e.event == "login_ok"
            && e.detail == "first_code:iPhone"
            && e.client == "127.0.0.1"),
        "the first code signs in, and says so: {audit:?}"
    );
}

async fn activation_needs_the_right_first_code(app: TestApp) {
    app.add_user(USER).await;
    app.browser.sign_in_password(USER, PASSWORD).await;
    let enrolment = app.browser.add_device("iPhone").await;
    let right = code(&enrolment.secret, app.now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };

    let missing = app
        .browser
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            &json!({}),
        )
        .await;
    let wrong = activate(&app.browser, &enrolment, wrong).await;

    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        body::<ErrorBody>(missing).await.error.field.as_deref(),
        Some("code")
    );
    assert_eq!(
        error_code(wrong, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp
    );
    let listed: DeviceList = body(app.browser.get("/devices").await).await;
    assert!(listed.devices.is_empty());
    assert!(listed.pending.is_some());
}

async fn the_activation_code_cannot_sign_in_afterwards(app: TestApp) {
    app.add_user(USER).await;
    app.browser.sign_in_password(USER, PASSWORD).await;
    let enrolment = app.browser.add_device("iPhone").await;
    let first = code(&enrolment.secret, app.now());
    assert_eq!(
        activate(&app.browser, &enrolment, &first).await.status(),
        StatusCode::OK
    );

    let replay = app.new_browser().sign_in_with_code(USER, &first).await;

    assert_eq!(
        error_code(replay, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp
    );
}

async fn another_name_replaces_the_pending_enrolment(app: TestApp) {
    app.add_user(USER).await;
    app.browser.sign_in_password(USER, PASSWORD).await;
    let iphone = app.browser.add_device("iPhone").await;

    let pixel = app.browser.add_device("Pixel").await;

    assert_ne!(pixel.secret, iphone.secret);
    let listed: DeviceList = body(app.browser.get("/devices").await).await;
    assert_eq!(listed.pending.map(|p| p.name), Some("Pixel".to_owned()));
}

async fn a_second_device_needs_the_second_factor(app: TestApp) {
    app.add_user(USER).await;
    let other_tab = app.new_browser();
    assert_eq!(
        other_tab.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
    let secret = app.register_first_device(USER).await;

    // Another registration session (password only) may not add a device now.
    let refused = other_tab
        .post("/devices", &json!({ "name": "Pixel" }))
        .await;
    assert_eq!(
        error_code(refused, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );

    app.clock.advance(30);
    let browser = app.new_browser();
    let response = browser
        .sign_in_with_code(USER, &code(&secret, app.now()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let added = browser.post("/devices", &json!({ "name": "Pixel" })).await;
    assert_eq!(added.status(), StatusCode::CREATED);
}

async fn the_fifth_device_is_refused(app: TestApp) {
    let (browser, _) = signed_in(&app).await;
    for name in ["Pixel", "iPad", "Werktelefoon"] {
        let enrolment = browser.add_device(name).await;
        let response = activate(&browser, &enrolment, &code(&enrolment.secret, app.now())).await;
        assert_eq!(response.status(), StatusCode::OK, "{name}");
    }
    let listed: DeviceList = body(browser.get("/devices").await).await;
    assert_eq!(listed.devices.len(), 4);

    let fifth = browser.post("/devices", &json!({ "name": "Vijfde" })).await;

    assert_eq!(
        error_code(fifth, StatusCode::CONFLICT).await,
        ErrorCode::DeviceLimit
    );
}

async fn bad_and_taken_names_are_refused(app: TestApp) {
    let (browser, _) = signed_in(&app).await;

    let empty = browser.post("/devices", &json!({ "name": "  " })).await;
    let long = browser
        .post("/devices", &json!({ "name": "a".repeat(33) }))
        .await;
    let taken = browser.post("/devices", &json!({ "name": "IPHONE" })).await;
    let longest = browser
        .post("/devices", &json!({ "name": "a".repeat(32) }))
        .await;

    for response in [empty, long] {
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let error = body::<ErrorBody>(response).await.error;
        assert_eq!(error.code, ErrorCode::Validation);
        assert_eq!(error.field.as_deref(), Some("name"));
    }
    assert_eq!(
        error_code(taken, StatusCode::CONFLICT).await,
        ErrorCode::NameTaken
    );
    assert_eq!(longest.status(), StatusCode::CREATED);
}

async fn testing_a_device_tells_right_from_wrong(app: TestApp) {
    let (browser, secret) = signed_in(&app).await;
    let listed: DeviceList = body(browser.get("/devices").await).await;
    let id = listed.devices[0].id;
    app.clock.advance(30);
    let right = code(&secret, app.now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let path = format!("/devices/{id}/test");

    let ok: TestResult = body(browser.post(&path, &json!({ "code": right })).await).await;
    let bad: TestResult = body(browser.post(&path, &json!({ "code": wrong })).await).await;
    let replayed: TestResult = body(browser.post(&path, &json!({ "code": right })).await).await;

    assert!(ok.valid);
    assert!(!bad.valid);
    assert!(!replayed.valid);
}

async fn removing_a_device(app: TestApp) {
    let (browser, _) = signed_in(&app).await;
    let listed: DeviceList = body(browser.get("/devices").await).await;
    let id = listed.devices[0].id;

    let removed = browser.delete(&format!("/devices/{id}")).await;
    let again = browser.delete(&format!("/devices/{id}")).await;

    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        error_code(again, StatusCode::NOT_FOUND).await,
        ErrorCode::NotFound
    );
    let listed: DeviceList = body(browser.get("/devices").await).await;
    assert!(listed.devices.is_empty());
}

async fn registration_session_may_cancel_but_not_remove(app: TestApp) {
    app.add_user(USER).await;
    let other_tab = app.new_browser();
    other_tab.sign_in_password(USER, PASSWORD).await;
    app.register_first_device(USER).await;
    let listed: DeviceList = body(app.browser.get("/devices").await).await;
    let id = listed.devices[0].id;

    let refused = other_tab.delete(&format!("/devices/{id}")).await;

    assert_eq!(
        error_code(refused, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );

    let other = "nieuw@missingpiece.nl";
    app.add_user(other).await;
    let browser = app.new_browser();
    browser.sign_in_password(other, PASSWORD).await;
    let pending = browser.add_device("iPhone").await;
    let cancelled = browser
        .delete(&format!("/devices/{}", pending.device_id))
        .await;
    assert_eq!(cancelled.status(), StatusCode::NO_CONTENT);
    let listed: DeviceList = body(browser.get("/devices").await).await;
    assert!(listed.pending.is_none());
}

async fn another_users_device_is_not_found(app: TestApp) {
    let (_, _) = signed_in(&app).await;
    let owner = app.state.store.find_user(USER).await.unwrap().unwrap();
    let theirs = app.state.store.active_devices(owner.id).await.unwrap()[0].id;
    let other = "ander@missingpiece.nl";
    app.add_user(other).await;
    let browser = app.new_browser();
    browser.sign_in_password(other, PASSWORD).await;

    let test = browser
        .post(
            &format!("/devices/{theirs}/test"),
            &json!({ "code": "123456" }),
        )
        .await;
    let remove = browser.delete(&format!("/devices/{theirs}")).await;

    assert_eq!(
        error_code(test, StatusCode::NOT_FOUND).await,
        ErrorCode::NotFound
    );
    assert_eq!(
        error_code(remove, StatusCode::NOT_FOUND).await,
        ErrorCode::NotFound
    );
}

async fn secrets_are_encrypted_at_rest(app: TestApp) {
    app.add_user(USER).await;
    app.browser.sign_in_password(USER, PASSWORD).await;
    let enrolment = app.browser.add_device("iPhone").await;

    let user = app.state.store.find_user(USER).await.unwrap().unwrap();
    let row = app
        .state
        .store
        .pending_device(user.id)
        .await
        .unwrap()
        .unwrap();
    let plain = totp_rs::Secret::Encoded(enrolment.secret.clone())
        .to_bytes()
        .unwrap();

    assert!(
        !row.secret
            .windows(plain.len())
            .any(|w| w == plain.as_slice())
    );
    assert!(!String::from_utf8_lossy(&row.secret).contains(&enrolment.secret));
}

/// Many enrolments started at once, on several instances: no more than
/// the limit ever exist.
async fn parallel_enrolments_never_pass_the_device_limit(app: TestApp) {
    const PARALLEL: usize = 60;
    let limit = app.state.config.max_devices;
    app.add_user(USER).await;
    let user = app.state.store.find_user(USER).await.unwrap().unwrap();
    let stores = app.more_stores(3).await;
    let now = app.now();

    let adds = (0..PARALLEL).map(|n| {
        let store = stores[n % stores.len()].clone();
        async move {
            store
                .insert_pending_device(
                    user.id,
                    &format!("Phone {n}"),
                    &format!("phone {n}"),
                    "session",
                    now,
                    limit,
                    |_| vec![1; 16],
                )
                .await
        }
    });
    let results = futures_util::future::join_all(adds).await;

    let mut added = 0;
    for result in results {
        match result {
            Ok(_) => added += 1,
            Err(AddDeviceError::Limit) => {}
            Err(other) => panic!("{other}"),
        }
    }
    let held = app.state.store.count_devices().await.unwrap();
    assert_eq!(held, i64::from(limit), "devices held");
    assert_eq!(added, limit, "enrolments started");
}

/// A six-digit code other than `right`.
fn other_than(right: &str) -> &'static str {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
}

async fn adding_a_device_later_needs_a_fresh_second_factor(app: TestApp) {
    let (browser, secret) = signed_in(&app).await;
    let fresh = app.state.config.fresh_second_factor_s;
    assert_eq!(fresh, 300);
    let list: DeviceList = body(browser.get("/devices").await).await;
    assert_eq!(list.adding, Adding::Open);

    // Past the few minutes: no new device until a code from the app.
    app.clock.advance(fresh + 1);
    let list: DeviceList = body(browser.get("/devices").await).await;
    assert_eq!(list.adding, Adding::ConfirmRequired);
    let refused = browser.post("/devices", &json!({ "name": "iPad" })).await;
    assert_eq!(
        error_code(refused, StatusCode::FORBIDDEN).await,
        ErrorCode::ConfirmRequired
    );
    let user = app.state.store.find_user(USER).await.unwrap().unwrap();
    assert!(
        app.state
            .store
            .pending_device(user.id)
            .await
            .unwrap()
            .is_none()
    );

    let right = code(&secret, app.now());
    let wrong = browser
        .post("/login/confirm", &json!({ "code": other_than(&right) }))
        .await;
    assert_eq!(
        error_code(wrong, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp
    );
    let confirmed = browser
        .post("/login/confirm", &json!({ "code": right }))
        .await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    let list: DeviceList = body(browser.get("/devices").await).await;
    assert_eq!(list.adding, Adding::Open);
    browser.add_device("iPad").await;

    let audit = app.state.store.audit_log(100).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.event == "second_factor_confirmed" && e.detail == "iPhone"),
        "{audit:?}"
    );
    assert!(
        audit.iter().any(|e| e.event == "confirm_failed"),
        "{audit:?}"
    );
}

async fn only_a_signed_in_session_confirms(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let browser = app.new_browser();
    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);
    let refused = browser
        .post(
            "/login/confirm",
            &json!({ "code": code(&secret, app.now()) }),
        )
        .await;
    assert_eq!(
        error_code(refused, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
}

async fn the_devices_tell_when_they_were_added_and_last_used(app: TestApp) {
    let added = app.now();
    let (browser, _) = signed_in(&app).await;
    let list: DeviceList = body(browser.get("/devices").await).await;
    let iphone = &list.devices[0];
    assert_eq!(iphone.activated_at, added);
    assert_eq!(iphone.last_used_at, Some(added + 30), "the code at sign-in");
}

async fn the_plain_page_asks_for_a_code_before_a_later_device(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let browser = crate::plain::Plain::with_headers(&app, reqwest::header::HeaderMap::new()).await;
    browser
        .submit_to("/flow/identify", &[("username", USER)])
        .await;
    browser
        .submit_to(
            "/flow/password",
            &[("password", PASSWORD), ("otp", &code(&secret, app.now()))],
        )
        .await;
    let (_, fresh) = browser.get("/apparaten").await;
    assert!(fresh.contains("id=\"device-name\""), "{fresh}");
    assert!(fresh.contains("id=\"device-times\""), "{fresh}");

    app.clock
        .advance(app.state.config.fresh_second_factor_s + 30);
    let (_, stale) = browser.get("/apparaten").await;
    assert!(stale.contains("id=\"confirm-required\""), "{stale}");
    assert!(!stale.contains("id=\"device-name\""), "{stale}");
    let right = code(&secret, app.now());
    let (_, wrong) = browser
        .submit_to("/flow/devices/confirm", &[("code", other_than(&right))])
        .await;
    assert!(wrong.contains("id=\"confirm-code\""), "{wrong}");
    assert!(wrong.contains("aria-invalid=\"true\""), "{wrong}");
    let (to, confirmed) = browser
        .submit_to("/flow/devices/confirm", &[("code", &right)])
        .await;
    assert_eq!(to, "/apparaten");
    assert!(confirmed.contains("id=\"device-name\""), "{confirmed}");
    assert!(
        confirmed.contains("<details class=\"add-device\" open"),
        "{confirmed}"
    );
}

crate::on_both_backends!(
    adding_a_device_later_needs_a_fresh_second_factor,
    the_plain_page_asks_for_a_code_before_a_later_device,
    only_a_signed_in_session_confirms,
    the_devices_tell_when_they_were_added_and_last_used,
    parallel_enrolments_never_pass_the_device_limit,
    first_registration_end_to_end,
    activation_needs_the_right_first_code,
    the_activation_code_cannot_sign_in_afterwards,
    another_name_replaces_the_pending_enrolment,
    a_second_device_needs_the_second_factor,
    the_fifth_device_is_refused,
    bad_and_taken_names_are_refused,
    testing_a_device_tells_right_from_wrong,
    removing_a_device,
    registration_session_may_cancel_but_not_remove,
    another_users_device_is_not_found,
    secrets_are_encrypted_at_rest,
);
