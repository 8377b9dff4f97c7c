//! Identify, password, one-time password, session, logout.

use aanmelden_api::{ErrorCode, SessionInfo, Step, StepResponse};
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, code, error_code, json};

const USER: &str = "testgebruiker@missingpiece.nl";

async fn identify_answers_alike_for_known_and_unknown_users(app: TestApp) {
    app.add_user(USER).await;

    let known = app.browser.identify(USER).await;
    let unknown = app.new_browser().identify("niemand@missingpiece.nl").await;

    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(known.status(), unknown.status());
    assert!(known.headers().contains_key("set-cookie"));
    assert!(unknown.headers().contains_key("set-cookie"));
    let known = known.bytes().await.unwrap();
    assert_eq!(known, unknown.bytes().await.unwrap());
    let step: StepResponse = serde_json::from_slice(&known).unwrap();
    assert_eq!(step.next, Step::Password);
}

async fn wrong_password_and_unknown_user_are_invalid_credentials(app: TestApp) {
    app.add_user(USER).await;

    app.browser.identify(USER).await;
    let wrong = app.browser.password("wrong password", None).await;
    let stranger = app.new_browser();
    stranger.identify("niemand@missingpiece.nl").await;
    let unknown = stranger.password(PASSWORD, None).await;

    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status(), unknown.status());
    let wrong = wrong.bytes().await.unwrap();
    assert_eq!(wrong, unknown.bytes().await.unwrap());
    let body: aanmelden_api::ErrorBody = serde_json::from_slice(&wrong).unwrap();
    assert_eq!(body.error.code, ErrorCode::InvalidCredentials);
}

async fn user_name_is_trimmed_and_case_insensitive(app: TestApp) {
    app.add_user(USER).await;

    let step = app
        .browser
        .sign_in_password("  TestGebruiker@MissingPiece.NL ", PASSWORD)
        .await;

    assert_eq!(step, Step::RegisterDevice);
}

async fn password_with_code_signs_in_and_logout_ends_the_session(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let browser = app.new_browser();

    let response = browser
        .sign_in_with_code(USER, &code(&secret, app.now()))
        .await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json::<StepResponse>(response).await.next, Step::Done);
    let session: SessionInfo = json(browser.get("/session").await).await;
    assert_eq!(session.username, USER);
    assert_eq!(session.step, Step::Done);

    assert_eq!(
        browser.post("/logout", &()).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        error_code(browser.get("/session").await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::SessionExpired
    );
    let rows = app.state.store.audit_log(100).await.unwrap();
    assert!(
        rows.iter()
            .any(|r| r.event == "login_ok" && r.username == USER)
    );
    assert!(rows.iter().any(|r| r.event == "logout"));
}

async fn password_then_code_on_its_own_step_signs_in(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let browser = app.new_browser();

    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);
    let session: SessionInfo = json(browser.get("/session").await).await;
    assert_eq!(session.step, Step::Push);
    let response = browser
        .post(
            "/login/otp",
            &serde_json::json!({ "code": code(&secret, app.now()) }),
        )
        .await;

    assert_eq!(json::<StepResponse>(response).await.next, Step::Done);
}

async fn code_typed_by_a_user_without_device_is_ignored(app: TestApp) {
    app.add_user(USER).await;

    let response = app.browser.sign_in_with_code(USER, "123456").await;

    assert_eq!(
        json::<StepResponse>(response).await.next,
        Step::RegisterDevice
    );
}

async fn wrong_code_is_invalid_otp(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let right = code(&secret, app.now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };

    let response = app.new_browser().sign_in_with_code(USER, wrong).await;

    assert_eq!(
        error_code(response, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp
    );
}

async fn a_code_is_never_accepted_twice(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let now_code = code(&secret, app.now());
    let first = app.new_browser().sign_in_with_code(USER, &now_code).await;
    assert_eq!(first.status(), StatusCode::OK);

    let replay = app.new_browser().sign_in_with_code(USER, &now_code).await;
    // The step before the one used is inside the window but not later.
    let earlier = app
        .new_browser()
        .sign_in_with_code(USER, &code(&secret, app.now() - 30))
        .await;

    assert_eq!(
        error_code(replay, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp
    );
    assert_eq!(
        error_code(earlier, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp
    );
}

async fn a_code_two_steps_old_is_refused_and_one_step_old_passes(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(120);

    let stale = app
        .new_browser()
        .sign_in_with_code(USER, &code(&secret, app.now() - 60))
        .await;
    let late = app
        .new_browser()
        .sign_in_with_code(USER, &code(&secret, app.now() - 30))
        .await;

    assert_eq!(
        error_code(stale, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp
    );
    assert_eq!(late.status(), StatusCode::OK);
}

async fn of_two_racing_requests_with_one_code_exactly_one_wins(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    app.clock.advance(30);
    let (a, b) = (app.new_browser(), app.new_browser());
    assert_eq!(a.sign_in_password(USER, PASSWORD).await, Step::Push);
    assert_eq!(b.sign_in_password(USER, PASSWORD).await, Step::Push);
    let body = serde_json::json!({ "code": code(&secret, app.now()) });

    let (first, second) = tokio::join!(a.post("/login/otp", &body), b.post("/login/otp", &body));

    let mut statuses = [first.status().as_u16(), second.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401]);
}

/// Two requests stepping up one session at once: one gets the new id, the
/// other finds the old one gone, and only one new session exists.
async fn a_session_steps_up_once_when_two_requests_race(app: TestApp) {
    use aanmelden_server::domain::sign_in::{Level, Session};

    app.add_user(USER).await;
    let user_id = app.state.store.find_user(USER).await.unwrap().unwrap().id;
    let session = |id_hash: &str, level| Session {
        id_hash: id_hash.to_owned(),
        username: USER.to_owned(),
        user_id: Some(user_id),
        level,
        created_at: app.now(),
        last_seen_at: app.now(),
        display_name: None,
        email: None,
        groups: Vec::new(),
        second_factor_at: None,
        kiosk: false,
    };
    let store = &app.state.store;
    store
        .insert_session(&session("old", Level::SecondFactor))
        .await
        .unwrap();

    let (first, second) = (
        session("first", Level::Done),
        session("second", Level::Done),
    );
    let (first, second) = tokio::join!(
        store.replace_session("old", &first),
        store.replace_session("old", &second),
    );

    assert_eq!(
        [first.unwrap(), second.unwrap()]
            .iter()
            .filter(|&&won| won)
            .count(),
        1
    );
    assert!(store.find_session("old").await.unwrap().is_none());
    let found = [
        store.find_session("first").await.unwrap(),
        store.find_session("second").await.unwrap(),
    ];
    let stepped: Vec<_> = found.iter().flatten().collect();
    assert_eq!(stepped.len(), 1);
    assert_eq!(stepped[0].level, Level::Done);
    assert_eq!(stepped[0].user_id, Some(user_id));
}

async fn every_step_up_gets_a_new_session_id(app: TestApp) {
    app.add_user(USER).await;
    let identified = app.browser.identify(USER).await;
    let first_cookie = identified.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let stepped = app.browser.password(PASSWORD, None).await;
    let second_cookie = stepped.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert_ne!(first_cookie, second_cookie);
    assert!(first_cookie.contains("HttpOnly") && first_cookie.contains("SameSite=Lax"));

    // The cookie given at identify carries only that step (it lives in the
    // cookie, not the database): it never reaches what the new id reached.
    let old_value = first_cookie.split(';').next().unwrap().to_owned();
    let response = reqwest::Client::new()
        .get(app.browser.url("/api/v1/session"))
        .header("cookie", old_value)
        .send()
        .await
        .unwrap();
    assert_eq!(json::<SessionInfo>(response).await.step, Step::Password);
    let now = json::<SessionInfo>(app.browser.get("/session").await).await;
    assert_eq!(now.step, Step::RegisterDevice);

    // The id of a stored session no longer works once it is stepped up.
    let stored_cookie = second_cookie.split(';').next().unwrap().to_owned();
    let enrolment = app.browser.add_device("iPhone").await;
    let activated = app
        .browser
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            &serde_json::json!({ "code": code(&enrolment.secret, app.now()) }),
        )
        .await;
    assert_eq!(activated.status(), StatusCode::OK);
    let response = reqwest::Client::new()
        .get(app.browser.url("/api/v1/session"))
        .header("cookie", stored_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_code(response, StatusCode::UNAUTHORIZED).await,
        ErrorCode::SessionExpired
    );
}

async fn idle_sessions_expire(app: TestApp) {
    app.add_user(USER).await;
    app.browser.sign_in_password(USER, PASSWORD).await;
    assert_eq!(app.browser.get("/session").await.status(), StatusCode::OK);

    app.clock
        .advance(app.state.config.session_idle_timeout_s + 1);

    assert_eq!(
        error_code(app.browser.get("/session").await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::SessionExpired
    );
}

/// A session's use is written once a minute at most: a use within the
/// minute does not move the idle time-out, one after it does.
async fn a_sessions_use_is_written_once_a_minute(app: TestApp) {
    let idle = app.state.config.session_idle_timeout_s;
    app.add_user(USER).await;
    let ok = |response: reqwest::Response| response.status() == StatusCode::OK;

    // Used 30 s in: not written, so the session ends `idle` after its start.
    app.browser.sign_in_password(USER, PASSWORD).await;
    app.clock.advance(30);
    assert!(ok(app.browser.get("/session").await));
    app.clock.advance(idle - 30);
    assert!(!ok(app.browser.get("/session").await));

    // Used 61 s in: written, so it lives on `idle` after that use.
    let browser = app.new_browser();
    browser.sign_in_password(USER, PASSWORD).await;
    app.clock.advance(61);
    assert!(ok(browser.get("/session").await));
    app.clock.advance(idle - 30);
    assert!(ok(browser.get("/session").await));
}

async fn steps_cannot_be_skipped(app: TestApp) {
    app.add_user(USER).await;

    let no_session = app.browser.password(PASSWORD, None).await;
    app.browser.identify(USER).await;
    let otp_before_password = app
        .browser
        .post("/login/otp", &serde_json::json!({ "code": "123456" }))
        .await;
    let devices_before_password = app.browser.get("/devices").await;

    assert_eq!(
        error_code(no_session, StatusCode::UNAUTHORIZED).await,
        ErrorCode::SessionExpired
    );
    assert_eq!(
        error_code(otp_before_password, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(devices_before_password, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
}

async fn a_password_session_of_a_device_holder_cannot_manage_devices(app: TestApp) {
    app.user_with_device(USER).await;
    let browser = app.new_browser();
    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);

    let list = browser.get("/devices").await;
    let add = browser
        .post("/devices", &serde_json::json!({ "name": "Pixel" }))
        .await;

    assert_eq!(
        error_code(list, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        error_code(add, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
}

async fn look_alike_spellings_of_a_name_are_one_account(app: TestApp) {
    app.add_user(USER).await;

    let step = app
        .browser
        .sign_in_password("ＴＥＳＴＧＥＢＲＵＩＫＥＲ@missingpiece.nl", PASSWORD)
        .await;

    assert_eq!(step, Step::RegisterDevice);
}

async fn invisible_characters_in_a_name_are_refused(app: TestApp) {
    for name in [
        "testgebruiker\u{200B}@missingpiece.nl",
        "\u{202E}testgebruiker@missingpiece.nl",
        "test\u{0007}gebruiker@missingpiece.nl",
    ] {
        let response = app.browser.identify(name).await;
        assert_eq!(
            error_code(response, StatusCode::BAD_REQUEST).await,
            ErrorCode::Validation,
            "{name:?}"
        );
    }
}

async fn a_password_typed_as_the_user_name_is_never_logged(app: TestApp) {
    let typed = "Zomer2026!geheim";
    for _ in 0..app.state.config.lockout_threshold {
        let browser = app.new_browser();
        browser.identify(typed).await;
        browser.password("anything", None).await;
    }

    let log = app.state.store.audit_log(100).await.unwrap();
    assert!(log.iter().any(|e| e.event == "locked"), "{log:?}");
    assert!(
        log.iter().all(|e| !e.username.contains("Zomer")
            && !e.detail.contains("Zomer")
            && !e.username.contains("zomer")
            && !e.detail.contains("zomer")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .all(|e| e.username.starts_with(aanmelden_server::NOT_A_USER_NAME)),
        "{log:?}"
    );
}

/// Many passwords look like an e-mail address; only a user's name is
/// written down, anything else as a tag that tells one name from another.
async fn a_password_that_looks_like_an_address_is_never_logged(app: TestApp) {
    app.add_user(USER).await;
    let typed = "Zomer2026@Geheim.nl";
    for name in [typed, typed, "niemand@missingpiece.nl", USER] {
        let browser = app.new_browser();
        browser.identify(name).await;
        browser.password("anything", None).await;
    }

    let log = app.state.store.audit_log(100).await.unwrap();
    let failed: Vec<&str> = log
        .iter()
        .rev()
        .filter(|e| e.event == "login_failed")
        .map(|e| e.username.as_str())
        .collect();
    assert_eq!(failed.len(), 4, "{log:?}");
    for entry in &log {
        for text in ["zomer", "geheim", "niemand"] {
            assert!(!entry.username.to_lowercase().contains(text), "{entry:?}");
            assert!(!entry.detail.to_lowercase().contains(text), "{entry:?}");
        }
    }
    assert!(failed[0].starts_with(aanmelden_server::NOT_A_USER_NAME));
    assert_eq!(failed[0], failed[1], "one name, one tag");
    assert!(failed[2].starts_with(aanmelden_server::NOT_A_USER_NAME));
    assert_ne!(failed[0], failed[2], "another name, another tag");
    assert_eq!(failed[3], USER);
}

crate::on_both_backends!(
    look_alike_spellings_of_a_name_are_one_account,
    invisible_characters_in_a_name_are_refused,
    a_password_typed_as_the_user_name_is_never_logged,
    a_password_that_looks_like_an_address_is_never_logged,
    identify_answers_alike_for_known_and_unknown_users,
    wrong_password_and_unknown_user_are_invalid_credentials,
    user_name_is_trimmed_and_case_insensitive,
    password_with_code_signs_in_and_logout_ends_the_session,
    password_then_code_on_its_own_step_signs_in,
    code_typed_by_a_user_without_device_is_ignored,
    wrong_code_is_invalid_otp,
    a_code_is_never_accepted_twice,
    a_code_two_steps_old_is_refused_and_one_step_old_passes,
    of_two_racing_requests_with_one_code_exactly_one_wins,
    every_step_up_gets_a_new_session_id,
    a_session_steps_up_once_when_two_requests_race,
    idle_sessions_expire,
    a_sessions_use_is_written_once_a_minute,
    steps_cannot_be_skipped,
    a_password_session_of_a_device_holder_cannot_manage_devices,
);
