//! The helpdesk pass (`aanmelden user pass`): with the password it lets a
//! user register a device without a working second factor, and nothing
//! more; short-lived, single-use unless issued for more, one per user,
//! revocable, audited with who issued it. And `first_device = "pass"`: a
//! first device then needs one too.

use aanmelden_api::{Adding, ErrorCode, Step, StepResponse};
use aanmelden_server::config::{Config, FirstDevice};
use aanmelden_server::flow::pass::MAX_PASS_HOURS;
use aanmelden_server::store::User;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Row;

use crate::helpers::{Browser, PASSWORD, TestApp, code, error_code, json};
use crate::plain::Plain;
use crate::recovery::{devices, register_first_device, session_step};

const USER: &str = "testgebruiker@missingpiece.nl";
const OFFICE: &str = "198.51.100.7";
const KIOSK: &str = "198.51.100.80";
const HELPDESK: &str = "helpdesk.jansen";

fn configure(config: &mut Config) {
    config.trusted_proxies = "127.0.0.1".parse().unwrap();
}

async fn user(app: &TestApp) -> User {
    app.state.store.find_user(USER).await.unwrap().unwrap()
}

/// A pass for USER, as the command line issues it.
async fn issue(app: &TestApp, hours: u32, once: bool) -> String {
    let issued = app
        .state
        .issue_pass(&user(app).await, HELPDESK, hours, once)
        .await
        .expect("issue a pass");
    issued.code.expose().to_owned()
}

/// USER with the device "iPhone" (its secret), registered at the office.
async fn user_with_phone(app: &TestApp) -> String {
    let browser = app.browser_at(OFFICE);
    register_first_device(app, &browser, USER).await.secret
}

/// A browser without script at the kiosk that gave USER's password: the
/// page it shows.
async fn plain_after_password(app: &TestApp) -> (Plain, String) {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", KIOSK.parse().unwrap());
    let browser = Plain::with_headers(app, headers).await;
    browser
        .submit_to("/flow/identify", &[("username", USER)])
        .await;
    let (_, page) = browser
        .submit_to("/flow/password", &[("password", PASSWORD), ("otp", "")])
        .await;
    (browser, page)
}

/// Whether USER has a pending enrolment.
async fn enrolling(app: &TestApp) -> bool {
    let user = user(app).await;
    app.state
        .store
        .pending_device(user.id)
        .await
        .unwrap()
        .is_some()
}

/// A browser at the kiosk that gave USER's password, at `expected`.
async fn after_password(app: &TestApp, expected: Step) -> Browser {
    let browser = app.browser_at(KIOSK);
    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, expected);
    browser
}

async fn use_pass(browser: &Browser, typed: &str) -> reqwest::Response {
    browser.post("/login/pass", &json!({ "code": typed })).await
}

async fn assert_pass_taken(browser: &Browser, typed: &str) {
    let response = use_pass(browser, typed).await;
    assert_eq!(response.status(), StatusCode::OK, "{typed}");
    assert_eq!(
        json::<StepResponse>(response).await.next,
        Step::RegisterDevice
    );
}

async fn assert_pass_refused(browser: &Browser, typed: &str, why: &str) {
    assert_eq!(
        error_code(use_pass(browser, typed).await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidPass,
        "{why}"
    );
}

/// "+ Apparaat toevoegen" → `name` → "Gereed" with its first code: the
/// device's secret, the browser then signed in.
async fn register(app: &TestApp, browser: &Browser, name: &str) -> String {
    let enrolment = browser.add_device(name).await;
    let response = browser
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            &json!({ "code": code(&enrolment.secret, app.now()) }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(session_step(browser).await, Step::Done);
    enrolment.secret
}

/// The audit rows of `event` about USER.
async fn audited(app: &TestApp, event: &str) -> Vec<aanmelden_server::store::AuditEntry> {
    app.state
        .store
        .audit_log(500)
        .await
        .unwrap()
        .into_iter()
        .filter(|entry| entry.event == event && entry.username == USER)
        .collect()
}

async fn a_pass_registers_a_new_phone_and_nothing_more(app: TestApp) {
    let old = user_with_phone(&app).await;
    let pass = issue(&app, 8, true).await;
    let browser = after_password(&app, Step::Push).await;

    assert_pass_taken(&browser, &pass.to_uppercase()).await;

    // Nothing but registering a device: no removing the old phone, no
    // signed-in session for the applications, no new recovery codes.
    let list = devices(&browser).await;
    assert!(list.with_pass && list.adding == Adding::Open, "{list:?}");
    let old_id = list.devices[0].id;
    assert_eq!(
        error_code(
            browser.delete(&format!("/devices/{old_id}")).await,
            StatusCode::FORBIDDEN
        )
        .await,
        ErrorCode::Forbidden
    );
    assert_eq!(
        browser
            .verify_for(Some("https://mail.example.nl/"), false)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let renew = browser
        .post("/recovery-codes", &json!({ "code": code(&old, app.now()) }))
        .await;
    assert_eq!(
        error_code(renew, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );

    // The new phone, with its first code, signs the session in.
    let new = register(&app, &browser, "Nieuwe telefoon").await;
    // Signed in with the new phone, but the pass is no recent proof: a
    // further device needs a code first.
    assert_eq!(devices(&browser).await.adding, Adding::ConfirmRequired);
    let names: Vec<String> = devices(&browser)
        .await
        .devices
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["iPhone", "Nieuwe telefoon"]);
    app.clock.advance(30);
    let later = app.browser_at(KIOSK);
    let signed_in = later.sign_in_with_code(USER, &code(&new, app.now())).await;
    assert_eq!(signed_in.status(), StatusCode::OK);

    let issued = audited(&app, "pass_issued").await;
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].detail, format!("by {HELPDESK}, 8 h, once"));
    let used = audited(&app, "pass_used").await;
    assert_eq!(used.len(), 1);
    assert_eq!(used[0].detail, format!("issued by {HELPDESK}"));
    assert_eq!(used[0].client, KIOSK);
    assert!(
        audited(&app, "device_added")
            .await
            .iter()
            .any(|e| e.detail == "Nieuwe telefoon" && e.client == KIOSK)
    );
}

async fn a_single_use_pass_works_once(app: TestApp) {
    user_with_phone(&app).await;
    let pass = issue(&app, 8, true).await;
    assert_pass_taken(&after_password(&app, Step::Push).await, &pass).await;
    assert_pass_refused(&after_password(&app, Step::Push).await, &pass, "used").await;
}

/// Two sessions send one single-use pass at once: one gets it.
async fn a_single_use_pass_raced_by_two_sessions_is_taken_once(app: TestApp) {
    const ROUNDS: usize = 3;
    user_with_phone(&app).await;
    for round in 0..ROUNDS {
        let pass = issue(&app, 8, true).await;
        let a = app.browser_at(&format!("203.0.113.{}", 2 * round + 1));
        let b = app.browser_at(&format!("203.0.113.{}", 2 * round + 2));
        assert_eq!(a.sign_in_password(USER, PASSWORD).await, Step::Push);
        assert_eq!(b.sign_in_password(USER, PASSWORD).await, Step::Push);
        let (ra, rb) = tokio::join!(
            tokio::spawn({
                let (a, pass) = (a.clone(), pass.clone());
                async move { use_pass(&a, &pass).await.status() }
            }),
            tokio::spawn({
                let (b, pass) = (b.clone(), pass.clone());
                async move { use_pass(&b, &pass).await.status() }
            }),
        );
        let statuses = [ra.unwrap(), rb.unwrap()];
        assert!(
            statuses.contains(&StatusCode::OK) && statuses.contains(&StatusCode::UNAUTHORIZED),
            "round {round}: {statuses:?}"
        );
    }
}

async fn a_pass_expires_and_a_reusable_one_works_until_then(app: TestApp) {
    user_with_phone(&app).await;
    let pass = issue(&app, 2, false).await;
    assert_pass_taken(&after_password(&app, Step::Push).await, &pass).await;
    app.clock.advance(2 * 3600 - 10);
    assert_pass_taken(&after_password(&app, Step::Push).await, &pass).await;
    app.clock.advance(10);
    assert_pass_refused(&after_password(&app, Step::Push).await, &pass, "expired").await;

    let once = issue(&app, 1, true).await;
    app.clock.advance(3600);
    assert_pass_refused(&after_password(&app, Step::Push).await, &once, "expired").await;

    let too_long = app
        .state
        .issue_pass(&user(&app).await, HELPDESK, MAX_PASS_HOURS + 1, true)
        .await;
    assert!(too_long.is_err(), "at most 30 days");
}

async fn one_pass_per_user_and_a_revoked_one_is_void(app: TestApp) {
    user_with_phone(&app).await;
    let first = issue(&app, 8, true).await;
    let second = issue(&app, 8, true).await;
    assert_ne!(first, second);
    assert_pass_refused(&after_password(&app, Step::Push).await, &first, "replaced").await;

    let revoked = app
        .state
        .revoke_pass(&user(&app).await, "helpdesk.de.vries")
        .await
        .unwrap();
    assert!(revoked);
    assert_pass_refused(&after_password(&app, Step::Push).await, &second, "revoked").await;
    let entries = audited(&app, "pass_revoked").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].detail, "by helpdesk.de.vries");

    // Another user's pass is not USER's.
    let other = "ander@missingpiece.nl";
    app.add_user(other).await;
    let theirs = app.state.store.find_user(other).await.unwrap().unwrap();
    let pass = app
        .state
        .issue_pass(&theirs, HELPDESK, 8, true)
        .await
        .unwrap();
    assert_pass_refused(
        &after_password(&app, Step::Push).await,
        pass.code.expose(),
        "another user's",
    )
    .await;
}

async fn wrong_passes_lock_as_wrong_one_time_passwords(app: TestApp) {
    let secret = user_with_phone(&app).await;
    let pass = issue(&app, 8, true).await;
    let browser = after_password(&app, Step::Push).await;
    let threshold = app.state.config.lockout_threshold;
    assert_pass_refused(&browser, "not-a-pass", "malformed").await;
    for _ in 1..threshold {
        assert_pass_refused(&browser, "0000-0000-0000", "wrong").await;
    }
    assert_eq!(
        error_code(
            use_pass(&browser, &pass).await,
            StatusCode::TOO_MANY_REQUESTS
        )
        .await,
        ErrorCode::Locked
    );
    app.clock.advance(30);
    let otp = browser
        .post("/login/otp", &json!({ "code": code(&secret, app.now()) }))
        .await;
    assert_eq!(
        error_code(otp, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::Locked,
        "one lock for both"
    );
}

async fn the_database_keeps_no_pass(app: TestApp) {
    user_with_phone(&app).await;
    let pass = issue(&app, 8, true).await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.state.config.database_url())
        .await
        .unwrap();
    let rows = sqlx::query("SELECT code_hash, issued_by FROM helpdesk_passes")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(rows.len(), 1);
    let hash: String = rows[0].try_get("code_hash").unwrap();
    let issuer: String = rows[0].try_get("issued_by").unwrap();
    assert_eq!(issuer, HELPDESK);
    let bare = pass.replace('-', "");
    for form in [&pass, &bare, &pass.to_uppercase(), &bare.to_uppercase()] {
        assert!(!hash.contains(form.as_str()), "{hash}");
    }
    for entry in app.state.store.audit_log(500).await.unwrap() {
        assert!(!entry.detail.contains(&bare) && !entry.detail.contains(&pass));
    }
}

/// The default, `first_device = "password"`: the password alone registers
/// a first device, as the manual's flow.
async fn a_first_device_needs_only_the_password_by_default(app: TestApp) {
    assert_eq!(app.state.config.first_device, FirstDevice::Password);
    app.add_user(USER).await;
    let browser = after_password(&app, Step::RegisterDevice).await;
    let list = devices(&browser).await;
    assert!(list.adding == Adding::Open && !list.with_pass);
    register(&app, &browser, "iPhone").await;
}

/// A pass at the plain pages: "Geen herstelcode? Gebruik een helpdeskpas"
/// under the recovery code, then the devices page with the form to add one.
async fn a_pass_works_without_script(app: TestApp) {
    user_with_phone(&app).await;
    let pass = issue(&app, 8, true).await;
    let (browser, _) = plain_after_password(&app).await;
    let (_, page) = browser.get("/herstelcode").await;
    assert!(page.contains("action=\"/flow/pass\""), "{page}");

    let (to, wrong) = browser
        .submit_to("/flow/pass", &[("code", "0000-0000-0000")])
        .await;
    assert_eq!(to, "/herstelcode");
    assert!(
        wrong.contains("id=\"pass-details\" class=\"step pass\" open"),
        "{wrong}"
    );
    assert!(
        wrong.contains("Onjuiste of verlopen helpdeskpas."),
        "{wrong}"
    );

    let (to, devices) = browser.submit_to("/flow/pass", &[("code", &pass)]).await;
    assert_eq!(to, "/apparaten");
    assert!(devices.contains("id=\"device-name\""), "{devices}");
    assert!(!devices.contains("id=\"remove-device\""), "{devices}");
}

crate::on_both_backends!(
    configured_by configure;
    a_pass_registers_a_new_phone_and_nothing_more,
    a_single_use_pass_works_once,
    a_single_use_pass_raced_by_two_sessions_is_taken_once,
    a_pass_expires_and_a_reusable_one_works_until_then,
    one_pass_per_user_and_a_revoked_one_is_void,
    wrong_passes_lock_as_wrong_one_time_passwords,
    the_database_keeps_no_pass,
    a_first_device_needs_only_the_password_by_default,
    a_pass_works_without_script,
);

/// `first_device = "pass"`: a user without a device needs a pass too.
mod first_device_pass {
    use super::*;

    fn configure(config: &mut Config) {
        super::configure(config);
        config.first_device = FirstDevice::Pass;
    }

    async fn a_first_device_is_refused_without_a_pass(app: TestApp) {
        app.add_user(USER).await;
        let browser = after_password(&app, Step::RegisterDevice).await;
        let list = devices(&browser).await;
        assert_eq!(list.adding, Adding::PassRequired);
        assert!(list.devices.is_empty(), "{list:?}");

        // Straight at the JSON API, too.
        let refused = browser.post("/devices", &json!({ "name": "iPhone" })).await;
        assert_eq!(
            error_code(refused, StatusCode::FORBIDDEN).await,
            ErrorCode::PassRequired
        );
        assert!(!enrolling(&app).await);

        let pass = issue(&app, 8, true).await;
        assert_pass_taken(&browser, &pass).await;
        let list = devices(&browser).await;
        assert!(list.adding == Adding::Open && list.with_pass, "{list:?}");
        register(&app, &browser, "iPhone").await;
    }

    async fn the_plain_devices_page_asks_for_a_pass(app: TestApp) {
        app.add_user(USER).await;
        let (browser, page) = plain_after_password(&app).await;
        assert!(page.contains("id=\"pass-required\""), "{page}");
        assert!(!page.contains("id=\"device-name\""), "{page}");

        let (_, refused) = browser
            .submit_to("/flow/devices", &[("name", "iPhone")])
            .await;
        assert!(refused.contains("id=\"pass-required\""), "{refused}");
        assert!(!enrolling(&app).await);

        let pass = issue(&app, 8, true).await;
        let (_, page) = browser.submit_to("/flow/pass", &[("code", &pass)]).await;
        assert!(page.contains("id=\"device-name\""), "{page}");
        assert!(!page.contains("id=\"pass-required\""), "{page}");
    }

    crate::on_both_backends!(
        configured_by configure;
        a_first_device_is_refused_without_a_pass,
        the_plain_devices_page_asks_for_a_pass,
    );
}
