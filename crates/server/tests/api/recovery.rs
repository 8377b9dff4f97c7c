//! Recovery codes ("Telefoon kwijt? Gebruik een herstelcode"): ten codes
//! shown once when the first device is active, each signing in once
//! instead of the second factor, kept only as keyed hashes; a new set
//! (after a code from the app) voids the old one; wrong codes lock as
//! wrong one-time passwords do.

use aanmelden_api::{
    ActivatedDevice, DeviceList, ErrorBody, ErrorCode, RecoveryCodes, SessionInfo, Step,
    StepResponse,
};
use aanmelden_server::config::Config;
use aanmelden_server::store::{AuditEntry, Backend};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::{Column, Row};

use crate::helpers::{Browser, PASSWORD, TestApp, code, error_code, json, spawn_app_with};
use crate::plain::Plain;

const USER: &str = "testgebruiker@missingpiece.nl";

/// Where USER signs in from (as the trusted proxy says): familiar to the
/// account once the first device is registered from there.
const OFFICE: &str = "198.51.100.7";

/// The characters of a code (Crockford's base 32, lower case).
const ALPHABET: &str = "0123456789abcdefghjkmnpqrstvwxyz";

/// Requests from 127.0.0.1 are from a trusted proxy, so a test browser
/// can stand at an address of its own (and racing sessions need not share
/// one origin's few places in the failure counter).
fn configure(config: &mut Config) {
    config.trusted_proxies = "127.0.0.1".parse().unwrap();
}

/// What the first device's activation answered, as JSON.
pub struct FirstDevice {
    pub secret: String,
    body: serde_json::Value,
}

impl FirstDevice {
    /// The codes it showed; there must be some.
    fn codes(&self) -> Vec<String> {
        let activated: ActivatedDevice = serde_json::from_value(self.body.clone()).unwrap();
        activated
            .recovery_codes
            .expect("the first device's activation shows the codes")
            .codes
    }
}

/// `name` is added and, in `browser`, signs in with the password and
/// registers "iPhone" with its first code: the browser is then signed in.
pub async fn register_first_device(app: &TestApp, browser: &Browser, name: &str) -> FirstDevice {
    app.add_user(name).await;
    assert_eq!(
        browser.sign_in_password(name, PASSWORD).await,
        Step::RegisterDevice
    );
    let enrolment = browser.add_device("iPhone").await;
    let response = browser
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            &json!({ "code": code(&enrolment.secret, app.now()) }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    FirstDevice {
        secret: enrolment.secret,
        body: json(response).await,
    }
}

/// The test's first browser, at the office.
fn office(app: &TestApp) -> Browser {
    app.browser.claiming(OFFICE)
}

/// USER with the device "iPhone" and the codes it showed; the first
/// browser ([`office`]) is signed in.
async fn user_with_codes(app: &TestApp) -> (String, Vec<String>) {
    let first = register_first_device(app, &office(app), USER).await;
    let codes = first.codes();
    (first.secret, codes)
}

/// A new browser (at `client`, else at the office) that gave USER's
/// right password and is asked for the second factor.
async fn at_second_factor(app: &TestApp, client: Option<&str>) -> Browser {
    let browser = app.browser_at(client.unwrap_or(OFFICE));
    assert_eq!(browser.sign_in_password(USER, PASSWORD).await, Step::Push);
    browser
}

async fn recover(browser: &Browser, typed: &str) -> reqwest::Response {
    browser
        .post("/login/recovery", &json!({ "code": typed }))
        .await
}

/// A recovery code that signs in: `next: done`.
async fn assert_recovers(browser: &Browser, typed: &str) {
    let response = recover(browser, typed).await;
    assert_eq!(response.status(), StatusCode::OK, "{typed}");
    assert_eq!(json::<StepResponse>(response).await.next, Step::Done);
}

/// A recovery code that is refused as wrong or used.
async fn assert_refused(browser: &Browser, typed: &str, why: &str) {
    assert_eq!(
        error_code(recover(browser, typed).await, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidRecoveryCode,
        "{why}"
    );
}

pub async fn session_step(browser: &Browser) -> Step {
    let response = browser.get("/session").await;
    assert_eq!(response.status(), StatusCode::OK);
    json::<SessionInfo>(response).await.step
}

pub async fn devices(browser: &Browser) -> DeviceList {
    let response = browser.get("/devices").await;
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

/// USER's unused codes, as the store counts them.
async fn left(app: &TestApp) -> u32 {
    let user = app.state.store.find_user(USER).await.unwrap().unwrap();
    let count = app.state.store.recovery_codes_left(user.id).await.unwrap();
    assert!(count.made);
    count.left
}

/// A well-formed code that is none of `codes`.
fn not_one_of(codes: &[String]) -> String {
    let normalised: Vec<String> = codes.iter().map(|c| c.replace('-', "")).collect();
    (0..ALPHABET.len())
        .map(|i| {
            let c = &ALPHABET[i..=i];
            format!("{}-{}", c.repeat(5), c.repeat(5))
        })
        .find(|code| !normalised.contains(&code.replace('-', "")))
        .unwrap()
}

/// A six-digit code other than the right one now.
fn wrong_otp(secret: &str, now: i64) -> &'static str {
    if code(secret, now) == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// Every form `code` may be found in: as shown, without the dash, in
/// upper case.
fn forms_of(code: &str) -> [String; 4] {
    let bare = code.replace('-', "");
    [
        code.to_owned(),
        code.to_uppercase(),
        bare.to_uppercase(),
        bare,
    ]
}

/// Every row of the table `recovery_codes`, every column as text, read
/// past the server with a connection of the test's own.
async fn stored_recovery_rows(app: &TestApp) -> Vec<Vec<(String, String)>> {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&app.state.config.database_url())
        .await
        .unwrap();
    let rows = sqlx::query("SELECT * FROM recovery_codes ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    let mut table = Vec::new();
    for row in rows {
        let mut columns = Vec::new();
        for (i, column) in row.columns().iter().enumerate() {
            let text = if let Ok(text) = row.try_get::<Option<String>, _>(i) {
                text.unwrap_or_default()
            } else if let Ok(number) = row.try_get::<Option<i64>, _>(i) {
                number.map(|n| n.to_string()).unwrap_or_default()
            } else {
                let bytes = row.try_get::<Option<Vec<u8>>, _>(i).unwrap();
                String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned()
            };
            columns.push((column.name().to_owned(), text));
        }
        table.push(columns);
    }
    pool.close().await;
    table
}

fn column<'r>(row: &'r [(String, String)], name: &str) -> &'r str {
    &row.iter().find(|(n, _)| n == name).unwrap().1
}

fn assert_well_formed(codes: &[String]) {
    assert_eq!(codes.len(), 10, "{codes:?}");
    for code in codes {
        let (a, b) = code
            .split_once('-')
            .unwrap_or_else(|| panic!("two groups: {code}"));
        assert_eq!((a.len(), b.len()), (5, 5), "{code}");
        assert!(
            a.chars().chain(b.chars()).all(|c| ALPHABET.contains(c)),
            "{code}"
        );
    }
    let mut distinct = codes.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 10, "all different: {codes:?}");
}

async fn the_first_device_shows_ten_codes_once_and_the_database_keeps_none(app: TestApp) {
    let browser = office(&app);
    app.add_user(USER).await;
    assert_eq!(
        browser.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
    assert_eq!(
        devices(&browser).await.recovery_codes_left,
        None,
        "never made yet"
    );
    let enrolment = browser.add_device("iPhone").await;
    let response = browser
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            &json!({ "code": code(&enrolment.secret, app.now()) }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let activated: ActivatedDevice = json(response).await;

    assert_eq!(activated.device.name, "iPhone");
    assert_eq!(activated.device.id, enrolment.device_id);
    let codes = activated.recovery_codes.unwrap().codes;
    assert_well_formed(&codes);
    assert_eq!(session_step(&browser).await, Step::Done);
    assert_eq!(devices(&browser).await.recovery_codes_left, Some(10));

    let user = app.state.store.find_user(USER).await.unwrap().unwrap();
    let stored = stored_recovery_rows(&app).await;
    assert_eq!(stored.len(), 10);
    let mut hashes: Vec<&str> = stored.iter().map(|r| column(r, "code_hash")).collect();
    hashes.sort_unstable();
    hashes.dedup();
    assert_eq!(hashes.len(), 10, "a hash of each code");
    for row in &stored {
        assert_eq!(column(row, "user_id"), user.id.to_string());
        assert_eq!(column(row, "used_at"), "", "unused");
        for code in &codes {
            for form in forms_of(code) {
                for (name, value) in row {
                    assert!(
                        !value.to_lowercase().contains(&form.to_lowercase()),
                        "{name} holds the code {form}: {value}"
                    );
                }
            }
        }
    }

    // A second device: no new set, and the first one stays.
    let pixel = browser.add_device("Pixel").await;
    let response = browser
        .post(
            &format!("/devices/{}/activate", pixel.device_id),
            &json!({ "code": code(&pixel.secret, app.now()) }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = json(response).await;
    assert_eq!(body["name"], "Pixel");
    assert!(
        body.get("recovery_codes").is_none(),
        "codes are made once: {body}"
    );
    assert_eq!(devices(&browser).await.recovery_codes_left, Some(10));
    assert_eq!(
        stored_recovery_rows(&app).await,
        stored,
        "the set is the same"
    );
}

async fn a_code_signs_in_once_typed_in_any_case_with_or_without_the_dash(app: TestApp) {
    let (_, codes) = user_with_codes(&app).await;

    let browser = at_second_factor(&app, None).await;
    assert_eq!(session_step(&browser).await, Step::Push);
    assert_recovers(&browser, &codes[0]).await;

    assert_eq!(session_step(&browser).await, Step::Done);
    assert_eq!(
        devices(&browser).await.recovery_codes_left,
        Some(9),
        "signed in, on the devices screen"
    );
    let again = at_second_factor(&app, None).await;
    assert_refused(&again, &codes[0], "used").await;
    assert_eq!(session_step(&again).await, Step::Push, "still asked");
    assert_refused(&again, &codes[0].to_uppercase(), "used, in upper case").await;

    assert_recovers(&again, &codes[1].to_uppercase()).await;
    let browser = at_second_factor(&app, None).await;
    assert_recovers(&browser, &codes[2].replace('-', "")).await;
    let browser = at_second_factor(&app, None).await;
    assert_recovers(&browser, &format!(" {} ", codes[3].replace('-', " "))).await;
    assert_eq!(session_step(&browser).await, Step::Done);
    assert_eq!(devices(&browser).await.recovery_codes_left, Some(6));
    let browser = at_second_factor(&app, None).await;
    assert_refused(&browser, &codes[2], "used without the dash").await;
    assert_eq!(left(&app).await, 6);
}

/// Sessions at the second factor, each at an origin of its own, sending
/// one code at once, `ROUNDS` times: each time one of them signs in.
async fn one_code_raced_by_many_sessions_signs_in_once(app: TestApp) {
    const SESSIONS: usize = 8;
    const ROUNDS: usize = 3;
    let (_, codes) = user_with_codes(&app).await;

    for (round, typed) in codes.iter().take(ROUNDS).enumerate() {
        let mut browsers = Vec::new();
        for i in 0..SESSIONS {
            let client = format!("203.0.113.{}", round * SESSIONS + i + 1);
            browsers.push(at_second_factor(&app, Some(&client)).await);
        }

        let responses = futures_util::future::join_all(
            browsers
                .iter()
                .map(|b| tokio::spawn(recover_owned(b.clone(), typed.clone()))),
        )
        .await;

        let mut won = Vec::new();
        for (i, response) in responses.into_iter().enumerate() {
            let response = response.unwrap();
            if response.status() == StatusCode::OK {
                assert_eq!(json::<StepResponse>(response).await.next, Step::Done);
                won.push(i);
            } else {
                assert_eq!(
                    error_code(response, StatusCode::UNAUTHORIZED).await,
                    ErrorCode::InvalidRecoveryCode,
                    "round {round}, session {i}"
                );
            }
        }
        assert_eq!(won.len(), 1, "round {round}: signed in {won:?}");
        for (i, browser) in browsers.iter().enumerate() {
            let expected = if won.contains(&i) {
                Step::Done
            } else {
                Step::Push
            };
            assert_eq!(session_step(browser).await, expected, "session {i}");
        }
    }
    assert_eq!(left(&app).await, u32::try_from(10 - ROUNDS).unwrap());
    let used = stored_recovery_rows(&app)
        .await
        .iter()
        .filter(|row| !column(row, "used_at").is_empty())
        .count();
    assert_eq!(used, ROUNDS);
}

async fn recover_owned(browser: Browser, typed: String) -> reqwest::Response {
    recover(&browser, &typed).await
}

/// Two instances on one PostgreSQL: two sessions, one on each, send one
/// code at once; one signs in. A few rounds, to give a race its chances.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_code_raced_on_two_instances_signs_in_once() {
    const ROUNDS: usize = 4;
    let Some(app) = spawn_app_with(Backend::Postgres, configure).await else {
        return;
    };
    let (_, codes) = user_with_codes(&app).await;
    let second = app.second_instance().await;

    for (round, typed) in codes.iter().take(ROUNDS).enumerate() {
        let on_first = at_second_factor(&app, Some(&format!("203.0.113.{}", 2 * round + 1))).await;
        let on_second = at_second_factor(&app, Some(&format!("203.0.113.{}", 2 * round + 2)))
            .await
            .at_instance(second);
        assert_eq!(session_step(&on_second).await, Step::Push);

        let (a, b) = tokio::join!(
            tokio::spawn(recover_owned(on_first.clone(), typed.clone())),
            tokio::spawn(recover_owned(on_second.clone(), typed.clone())),
        );

        let mut won = 0;
        for response in [a.unwrap(), b.unwrap()] {
            if response.status() == StatusCode::OK {
                won += 1;
            } else {
                assert_eq!(
                    error_code(response, StatusCode::UNAUTHORIZED).await,
                    ErrorCode::InvalidRecoveryCode,
                    "round {round}"
                );
            }
        }
        assert_eq!(won, 1, "round {round}");
        let steps = [
            session_step(&on_first).await,
            session_step(&on_second).await,
        ];
        assert!(
            steps.contains(&Step::Done) && steps.contains(&Step::Push),
            "round {round}: {steps:?}"
        );
    }
    assert_eq!(left(&app).await, u32::try_from(10 - ROUNDS).unwrap());
}

async fn a_new_set_voids_the_old_one(app: TestApp) {
    let (secret, old) = user_with_codes(&app).await;

    // A wrong code from the app makes nothing.
    let browser = office(&app);
    app.clock.advance(30);
    let refused = browser
        .post(
            "/recovery-codes",
            &json!({ "code": wrong_otp(&secret, app.now()) }),
        )
        .await;
    assert_eq!(
        error_code(refused, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp
    );
    assert_eq!(devices(&browser).await.recovery_codes_left, Some(10));
    let signed_in = at_second_factor(&app, None).await;
    assert_recovers(&signed_in, &old[0]).await;

    let made = signed_in
        .post(
            "/recovery-codes",
            &json!({ "code": code(&secret, app.now()) }),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let new = json::<RecoveryCodes>(made).await.codes;

    assert_well_formed(&new);
    assert!(new.iter().all(|code| !old.contains(code)), "{new:?}");
    assert_eq!(devices(&signed_in).await.recovery_codes_left, Some(10));
    let browser = at_second_factor(&app, None).await;
    assert_refused(&browser, &old[1], "an unused code of the old set").await;
    assert_recovers(&browser, &new[0]).await;
    assert_eq!(devices(&browser).await.recovery_codes_left, Some(9));

    // The code from the app is used up: not twice.
    let replayed = browser
        .post(
            "/recovery-codes",
            &json!({ "code": code(&secret, app.now()) }),
        )
        .await;
    assert_eq!(
        error_code(replayed, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp
    );
    assert_eq!(left(&app).await, 9);
}

/// Only a signed-in session makes a set.
async fn a_new_set_needs_a_signed_in_session(app: TestApp) {
    let (secret, _) = user_with_codes(&app).await;
    app.clock.advance(30);
    let browser = at_second_factor(&app, None).await;

    let refused = browser
        .post(
            "/recovery-codes",
            &json!({ "code": code(&secret, app.now()) }),
        )
        .await;

    assert_eq!(
        error_code(refused, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden
    );
    assert_eq!(left(&app).await, 10);
}

async fn wrong_recovery_codes_lock_as_wrong_one_time_passwords(app: TestApp) {
    let (secret, codes) = user_with_codes(&app).await;
    let wrong = not_one_of(&codes);
    let browser = at_second_factor(&app, None).await;
    let threshold = app.state.config.lockout_threshold;
    assert_eq!(threshold, 5);
    assert_refused(&browser, "not-a-code", "malformed: counted too").await;
    for _ in 1..threshold {
        assert_refused(&browser, &wrong, "wrong").await;
    }

    let locked = recover(&browser, &codes[0]).await;

    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(locked.headers()["retry-after"], "900");
    let error = json::<ErrorBody>(locked).await.error;
    assert_eq!(error.code, ErrorCode::Locked);
    assert_eq!(error.retry_after_s, Some(900));
    app.clock.advance(30);
    let otp = browser
        .post("/login/otp", &json!({ "code": code(&secret, app.now()) }))
        .await;
    assert_eq!(
        error_code(otp, StatusCode::TOO_MANY_REQUESTS).await,
        ErrorCode::Locked,
        "one lock for both"
    );
    assert_eq!(session_step(&browser).await, Step::Push);
    assert_eq!(left(&app).await, 10, "the refused code is not spent");

    app.clock.advance(901);
    let later = at_second_factor(&app, None).await;
    assert_recovers(&later, &codes[0]).await;
}

async fn wrong_codes_of_both_kinds_count_toward_one_lock(app: TestApp) {
    let (secret, codes) = user_with_codes(&app).await;
    let wrong = not_one_of(&codes);
    app.clock.advance(30);
    let browser = at_second_factor(&app, None).await;
    let otp = |code: String| {
        let browser = browser.clone();
        async move { browser.post("/login/otp", &json!({ "code": code })).await }
    };

    for i in 0..app.state.config.lockout_threshold {
        if i % 2 == 0 {
            assert_refused(&browser, &wrong, "wrong").await;
        } else {
            let refused = otp(wrong_otp(&secret, app.now()).to_owned()).await;
            assert_eq!(
                error_code(refused, StatusCode::UNAUTHORIZED).await,
                ErrorCode::InvalidOtp
            );
        }
    }

    assert_eq!(
        error_code(
            recover(&browser, &codes[0]).await,
            StatusCode::TOO_MANY_REQUESTS
        )
        .await,
        ErrorCode::Locked
    );
    assert_eq!(
        error_code(
            otp(code(&secret, app.now())).await,
            StatusCode::TOO_MANY_REQUESTS
        )
        .await,
        ErrorCode::Locked
    );
    assert_eq!(left(&app).await, 10);
}

async fn only_the_second_factor_step_takes_a_recovery_code(app: TestApp) {
    let (_, codes) = user_with_codes(&app).await;

    let identified = app.browser_at(OFFICE);
    assert_eq!(identified.identify(USER).await.status(), StatusCode::OK);
    let refused = recover(&identified, &codes[0]).await;
    assert_eq!(
        error_code(refused, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden,
        "only identified"
    );

    let signed_in = office(&app);
    let refused = recover(&signed_in, &codes[0]).await;
    assert_eq!(
        error_code(refused, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden,
        "signed in already"
    );

    // With the device removed, the password leads to registering one:
    // the codes are still there, but that step takes none.
    let id = devices(&signed_in).await.devices[0].id;
    assert_eq!(
        signed_in.delete(&format!("/devices/{id}")).await.status(),
        StatusCode::NO_CONTENT
    );
    let registering = app.browser_at(OFFICE);
    assert_eq!(
        registering.sign_in_password(USER, PASSWORD).await,
        Step::RegisterDevice
    );
    let refused = recover(&registering, &codes[0]).await;
    assert_eq!(
        error_code(refused, StatusCode::FORBIDDEN).await,
        ErrorCode::Forbidden,
        "at register_device"
    );
    assert_eq!(session_step(&registering).await, Step::RegisterDevice);

    // Another user's session at the second factor cannot use USER's code.
    let other = "ander@missingpiece.nl";
    register_first_device(&app, &app.browser_at(OFFICE), other).await;
    let theirs = app.browser_at(OFFICE);
    assert_eq!(theirs.sign_in_password(other, PASSWORD).await, Step::Push);
    assert_refused(&theirs, &codes[0], "another user's code").await;

    assert_eq!(left(&app).await, 10, "none was spent");
}

async fn the_audit_log_tells_of_codes_but_shows_none(app: TestApp) {
    let (secret, first) = user_with_codes(&app).await;
    let wrong = not_one_of(&first);
    let browser = at_second_factor(&app, None).await;
    assert_refused(&browser, &wrong, "wrong").await;
    assert_recovers(&browser, &first[0]).await;
    app.clock.advance(30);
    let made = browser
        .post(
            "/recovery-codes",
            &json!({ "code": code(&secret, app.now()) }),
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let second = json::<RecoveryCodes>(made).await.codes;

    let audit: Vec<AuditEntry> = app.state.store.audit_log(500).await.unwrap();
    let ours = |event: &str| {
        audit
            .iter()
            .filter(|e| e.event == event && e.username == USER)
            .collect::<Vec<_>>()
    };
    assert!(
        ours("login_failed")
            .iter()
            .any(|e| e.detail == "recovery_code" && e.client == OFFICE),
        "{audit:?}"
    );
    let recovered: Vec<_> = ours("login_ok")
        .into_iter()
        .filter(|e| e.detail.starts_with("recovery_code"))
        .collect();
    assert_eq!(recovered.len(), 1, "{audit:?}");
    assert_eq!(recovered[0].client, OFFICE);
    assert_eq!(
        ours("recovery_codes_made").len(),
        2,
        "the first set and the new one: {audit:?}"
    );
    for entry in &audit {
        // Neither a code nor what was typed instead.
        for code in first.iter().chain(&second).chain([&wrong]) {
            for form in forms_of(code) {
                for field in [&entry.username, &entry.event, &entry.detail, &entry.client] {
                    assert!(
                        !field.to_lowercase().contains(&form.to_lowercase()),
                        "{entry:?} shows {form}"
                    );
                }
            }
        }
    }
}

async fn a_recovery_code_signs_in_without_script(app: TestApp) {
    let (_, codes) = user_with_codes(&app).await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", OFFICE.parse().unwrap());
    let browser = Plain::with_headers(&app, headers).await;
    browser
        .submit_to("/flow/identify", &[("username", USER)])
        .await;
    browser
        .submit_to("/flow/password", &[("password", PASSWORD), ("otp", "")])
        .await;
    let (status, page) = browser.get("/herstelcode").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("action=\"/flow/recovery\""), "{page}");

    let (to, wrong) = browser
        .submit_to("/flow/recovery", &[("code", &not_one_of(&codes))])
        .await;
    assert_eq!(to, "/herstelcode");
    assert!(wrong.contains("aria-invalid=\"true\""), "{wrong}");

    let (to, signed_in) = browser
        .submit_to("/flow/recovery", &[("code", &codes[0])])
        .await;

    assert_eq!(to, "/apparaten");
    assert!(signed_in.contains("id=\"recovered\""), "{signed_in}");
    let (_, session) = browser.get("/api/v1/session").await;
    let session: SessionInfo = serde_json::from_str(&session).unwrap();
    assert_eq!(session.step, Step::Done);
    assert_eq!(left(&app).await, 9);
}

/// Signed in with a recovery code, the user takes longer than the few
/// minutes to install an app on the new phone: another code confirms it is
/// them, since the only phone with codes is the lost one.
async fn a_recovery_code_confirms_a_late_new_phone(app: TestApp) {
    let (_, codes) = user_with_codes(&app).await;
    let browser = at_second_factor(&app, None).await;
    assert_recovers(&browser, &codes[0]).await;
    app.clock
        .advance(app.state.config.fresh_second_factor_s + 60);
    let refused = browser.post("/devices", &json!({ "name": "Nieuw" })).await;
    assert_eq!(
        error_code(refused, StatusCode::FORBIDDEN).await,
        ErrorCode::ConfirmRequired
    );
    let used = browser
        .post("/login/confirm", &json!({ "code": codes[0] }))
        .await;
    assert_eq!(
        error_code(used, StatusCode::UNAUTHORIZED).await,
        ErrorCode::InvalidOtp,
        "a spent code confirms nothing"
    );

    let confirmed = browser
        .post("/login/confirm", &json!({ "code": codes[1] }))
        .await;

    assert_eq!(confirmed.status(), StatusCode::OK);
    assert_eq!(
        browser
            .post("/devices", &json!({ "name": "Nieuw" }))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(left(&app).await, 8);
}

crate::on_both_backends!(
    configured_by configure;
    a_recovery_code_confirms_a_late_new_phone,
    the_first_device_shows_ten_codes_once_and_the_database_keeps_none,
    a_code_signs_in_once_typed_in_any_case_with_or_without_the_dash,
    one_code_raced_by_many_sessions_signs_in_once,
    a_new_set_voids_the_old_one,
    a_new_set_needs_a_signed_in_session,
    wrong_recovery_codes_lock_as_wrong_one_time_passwords,
    wrong_codes_of_both_kinds_count_toward_one_lock,
    only_the_second_factor_step_takes_a_recovery_code,
    the_audit_log_tells_of_codes_but_shows_none,
    a_recovery_code_signs_in_without_script,
);
