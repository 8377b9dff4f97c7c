//! Sessions follow the account: a removed device, a disabled user or a new
//! password ends the user's other sessions; a registration session loses its
//! rights once the account has a device; a pending enrolment is its
//! session's alone.

use std::io::Write;
use std::process::{Command, Stdio};

use aanmelden_api::{DeviceList, ErrorCode, SessionInfo, Step};
use aanmelden_server::cli::{AdminCommand, UserCommand, admin};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Browser, PASSWORD, TestApp, code, error_code, json as body};

const USER: &str = "testgebruiker@missingpiece.nl";

/// A second browser of the user's, signed in with a code.
async fn another_signed_in_browser(app: &TestApp, secret: &str) -> Browser {
    app.clock.advance(30);
    let browser = app.new_browser();
    let response = browser
        .sign_in_with_code(USER, &code(secret, app.now()))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    browser
}

async fn is_signed_in(browser: &Browser) -> bool {
    let response = browser.get("/session").await;
    response.status() == StatusCode::OK && body::<SessionInfo>(response).await.step == Step::Done
}

async fn the_first_code_signs_the_registration_session_in(app: TestApp) {
    app.user_with_device(USER).await;

    assert!(is_signed_in(&app.browser).await);
}

async fn removing_a_device_ends_the_other_sessions(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let elsewhere = another_signed_in_browser(&app, &secret).await;
    let listed: DeviceList = body(app.browser.get("/devices").await).await;

    let removed = app
        .browser
        .delete(&format!("/devices/{}", listed.devices[0].id))
        .await;

    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    assert!(!is_signed_in(&elsewhere).await);
    assert!(
        is_signed_in(&app.browser).await,
        "the session that removed it goes on"
    );
}

async fn disabling_a_user_ends_their_sessions_and_sign_ins(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let elsewhere = another_signed_in_browser(&app, &secret).await;

    admin(
        &app.state,
        AdminCommand::User(UserCommand::Disable { name: USER.into() }),
    )
    .await
    .unwrap();

    assert!(!is_signed_in(&app.browser).await);
    assert!(!is_signed_in(&elsewhere).await);
    let browser = app.new_browser();
    browser.identify(USER).await;
    assert_eq!(
        error_code(
            browser.password(PASSWORD, None).await,
            StatusCode::UNAUTHORIZED
        )
        .await,
        ErrorCode::InvalidCredentials
    );
    admin(
        &app.state,
        AdminCommand::User(UserCommand::Enable { name: USER.into() }),
    )
    .await
    .unwrap();
    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);
}

async fn a_new_password_ends_the_sessions(app: TestApp) {
    let secret = app.user_with_device(USER).await;
    let elsewhere = another_signed_in_browser(&app, &secret).await;
    let config = &app.state.config;

    // `aanmelden user passwd`, the binary, on the same database.
    let mut passwd = Command::new(env!("CARGO_BIN_EXE_aanmelden"))
        .args(["user", "passwd", USER])
        .env("AANMELDEN_DATABASE_URL", config.database_url())
        .env("AANMELDEN_DATA_DIR", &config.data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    passwd
        .stdin
        .take()
        .unwrap()
        .write_all(b"een nieuw wachtwoord\n")
        .unwrap();
    let output = passwd.wait_with_output().unwrap();
    assert!(output.status.success(), "{output:?}");

    assert!(String::from_utf8_lossy(&output.stdout).contains("2 session(s) ended"));
    assert!(!is_signed_in(&app.browser).await);
    assert!(!is_signed_in(&elsewhere).await);
}

async fn a_registration_session_loses_its_rights_once_a_device_is_active(app: TestApp) {
    app.add_user(USER).await;
    let other_tab = app.new_browser();
    assert_eq!(
        other_tab.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );

    app.register_first_device(USER).await;

    assert_eq!(
        error_code(other_tab.get("/devices").await, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
}

async fn a_pending_enrolment_is_shown_only_to_its_session(app: TestApp) {
    app.add_user(USER).await;
    let other_tab = app.new_browser();
    other_tab.sign_in_password(USER, PASSWORD).await;
    assert_eq!(
        app.browser.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
    let enrolment = app.browser.add_device("iPhone").await;

    let seen: DeviceList = body(other_tab.get("/devices").await).await;
    let activate = other_tab
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            &json!({ "code": code(&enrolment.secret, app.now()) }),
        )
        .await;

    assert!(seen.pending.is_none(), "another session sees no secret");
    assert_eq!(
        error_code(activate, StatusCode::NOT_FOUND).await,
        ErrorCode::NotFound
    );
    let own: DeviceList = body(app.browser.get("/devices").await).await;
    assert_eq!(own.pending, Some(enrolment));
}

crate::on_both_backends!(
    the_first_code_signs_the_registration_session_in,
    removing_a_device_ends_the_other_sessions,
    disabling_a_user_ends_their_sessions_and_sign_ins,
    a_new_password_ends_the_sessions,
    a_registration_session_loses_its_rights_once_a_device_is_active,
    a_pending_enrolment_is_shown_only_to_its_session,
);
