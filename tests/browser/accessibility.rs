//! Accessibility of every screen, in Dutch and English, in the app and on
//! the plain pages: axe-core finds no violation of WCAG 2.0 A and AA, 2.1 AA
//! or 2.2 AA (Chromium and Firefox), and nothing scrolls sideways at 320 px
//! or at 200 % zoom (Chromium).

use serde_json::Value;

use crate::flows::{PASSWORD, USER, configure};
use crate::helpers::{BrowserTest, Kind, next_totp_code, totp_code};

/// The version the `cargo xtask setup` installs under target/tools.
const AXE: &str = "target/tools/node_modules/axe-core/axe.min.js";

/// Runs axe-core with the rules of these tags; the first argument lists
/// rules left out. Answers the violations, and how many rules passed.
const RUN_AXE: &str = "const done = arguments[arguments.length - 1]; \
     const rules = Object.fromEntries(arguments[0].map(id => [id, { enabled: false }])); \
     axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] }, rules }) \
       .then(r => done({ violations: r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', ')), passed: r.passes.length })) \
       .catch(e => done({ violations: ['axe failed: ' + e], passed: 0 }));";

/// What axe-core found on a page.
#[derive(serde::Deserialize)]
pub struct Audit {
    pub violations: Vec<String>,
    /// The rules that applied and passed.
    pub passed: usize,
}

/// Runs axe-core on the page as it is now, with the rules `left_out` not run.
pub async fn audit(test: &BrowserTest, left_out: &[&str]) -> Audit {
    let source = std::fs::read_to_string(crate::helpers::workspace_root().join(AXE))
        .expect("axe-core: run `cargo xtask setup`");
    test.client
        .execute(&source, vec![])
        .await
        .expect("load axe-core");
    let found: Value = test
        .client
        .execute_async(RUN_AXE, vec![serde_json::json!(left_out)])
        .await
        .expect("run axe-core");
    serde_json::from_value(found).expect("violations and passes")
}

/// The violations axe-core finds on the page as it is now, with the rules
/// `left_out` not run.
pub async fn violations(test: &BrowserTest, left_out: &[&str]) -> Vec<String> {
    audit(test, left_out).await.violations
}

/// Walk through every screen in `lang` as `user` (who has no device yet),
/// calling `check` with each screen's name once it shows.
async fn walk(test: &BrowserTest, lang: &str, user: &str, mut check: impl AsyncFnMut(&str)) {
    test.open("/").await;
    if lang == "en" {
        test.click("#lang-en").await;
        test.wait_for_text("#identify-submit", "Log on").await;
    }
    test.wait_for("#username").await;
    check("identify").await;
    test.click("#identify-submit").await;
    test.wait_for("#error").await;
    check("identify, empty").await;

    test.type_into("#username", user).await;
    test.click("#identify-submit").await;
    test.wait_for("#password").await;
    check("password").await;
    test.type_into("#password", "wrong password").await;
    test.click("#password-submit").await;
    test.wait_for("#error").await;
    test.click("#show-otp").await;
    test.wait_for("#otp").await;
    check("password, error and code").await;

    test.type_into("#password", PASSWORD).await;
    test.type_into("#otp", "").await;
    test.click("#password-submit").await;
    test.wait_for("#device-select").await;
    test.assert_the_devices_build_shows().await;
    check("devices, none").await;
    if !test.is_present("#device-name").await {
        test.click("#add-device").await;
    }
    test.type_into("#device-name", "iPhone").await;
    test.click("#device-name-ok").await;
    test.wait_for("#qr svg").await;
    check("QR code").await;
    let secret = test.text("#secret").await;
    test.type_into("#first-code", &totp_code(&secret)).await;
    test.click("#enrol-done").await;
    test.wait_for("#recovery-codes code").await;
    check("recovery codes").await;
    test.click("#codes-saved").await;
    test.click("#codes-continue").await;
    test.wait_for_text("#device-select", "iPhone").await;
    test.assert_the_devices_build_shows().await;
    check("devices").await;
    test.type_into("#test-code", "000000").await;
    test.click("#test-device").await;
    test.wait_for("#test-result").await;
    check("devices, tested").await;
    test.click("#remove-device").await;
    test.wait_for("#confirm-remove").await;
    check("devices, removing").await;
    test.click("#cancel-remove").await;
    test.click("#add-device").await;
    test.wait_for("#device-name").await;
    check("devices, adding").await;
    test.click("#user-menu").await;
    test.wait_for("#logout").await;
    check("user menu").await;
    test.click("#logout").await;
    test.wait_for("#logged-off-message").await;
    check("logged off").await;

    test.open("/").await;
    test.type_into("#username", user).await;
    test.click("#identify-submit").await;
    test.type_into("#password", PASSWORD).await;
    test.click("#password-submit").await;
    test.wait_for("#push-number").await;
    check("push").await;
    test.click("#lost-phone").await;
    test.wait_for("#recovery-code").await;
    check("recovery code").await;
    test.type_into("#recovery-code", "aaaaa-bbbbb").await;
    test.click("#recovery-submit").await;
    test.wait_for("#error").await;
    check("recovery code, wrong").await;
    test.open("/herstelcode").await;
    test.wait_for("#recovery-code").await;
    test.click("#use-pass").await;
    test.type_into("#pass", "aaaa-bbbb-cccc").await;
    test.click("#pass-submit").await;
    test.wait_for("#error").await;
    check("helpdesk pass, wrong").await;
    test.open("/").await;
    test.wait_for("#push-number").await;
    test.click("#show-otp").await;
    test.wait_for("#otp-submit").await;
    check("code").await;
    // The code of the next period: this period's was used at "Gereed".
    test.type_into("#otp", &next_totp_code(&secret)).await;
    test.click("#otp-submit").await;
    test.wait_for("#signed-in-message").await;
    check("signed in").await;
    test.open("/apparaten").await;
    test.wait_for("#recovery-left").await;
    test.click("#renew-codes").await;
    test.type_into("#renew-code", "000000").await;
    test.click("#renew-submit").await;
    test.wait_for("#error").await;
    check("devices, new recovery codes refused").await;
}

/// Where a first device needs a helpdesk pass, and adding a device needs
/// a second factor of the last second: the screens that ask for them.
fn passes_and_fresh_factors(config: &mut aanmelden_server::config::Config) {
    configure(config);
    config.first_device = aanmelden_server::config::FirstDevice::Pass;
    config.fresh_second_factor_s = 1;
}

async fn the_pass_and_confirm_screens_pass_axe(kind: Kind) {
    let test = BrowserTest::start_in(kind, passes_and_fresh_factors).await;
    let mut found = Vec::new();
    for (lang, user) in [("nl", USER), ("en", "tweede@missingpiece.nl")] {
        test.add_user(user, PASSWORD).await;
        test.client.delete_all_cookies().await.expect("no cookies");
        let mut check = async |name: &str| {
            for violation in violations(&test, &[]).await {
                found.push(format!("{lang} {name}: {violation}"));
            }
        };
        test.open("/").await;
        if lang == "en" {
            test.click("#lang-en").await;
            test.wait_for_text("#identify-submit", "Log on").await;
        }
        test.type_into("#username", user).await;
        test.click("#identify-submit").await;
        test.type_into("#password", PASSWORD).await;
        test.click("#password-submit").await;
        test.wait_for("#pass-required").await;
        check("devices, a pass required").await;
        test.type_into("#pass", "aaaa-bbbb-cccc").await;
        test.click("#pass-submit").await;
        test.wait_for("#error").await;
        check("devices, a wrong pass").await;
        let account = test.state.store.find_user(user).await.unwrap().unwrap();
        let pass = test
            .state
            .issue_pass(&account, "helpdesk", 1, true)
            .await
            .expect("a pass");
        test.type_into("#pass", pass.code.expose()).await;
        test.click("#pass-submit").await;
        test.wait_for("#device-name").await;
        check("devices, with a pass").await;
        test.type_into("#device-name", "iPhone").await;
        test.click("#device-name-ok").await;
        test.wait_for("#qr svg").await;
        let secret = test.text("#secret").await;
        test.type_into("#first-code", &totp_code(&secret)).await;
        test.click("#enrol-done").await;
        test.wait_for("#recovery-codes code").await;
        test.click("#codes-saved").await;
        test.click("#codes-continue").await;
        test.wait_for("#device-times").await;
        // Past the second the factor counts as fresh.
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        test.open("/apparaten").await;
        test.click("#add-device").await;
        test.wait_for("#confirm-code").await;
        check("devices, confirm first").await;
        test.type_into("#confirm-code", "000000").await;
        test.click("#confirm-submit").await;
        test.wait_for("#error").await;
        check("devices, confirm refused").await;
        test.type_into("#confirm-code", &next_totp_code(&secret))
            .await;
        test.click("#confirm-submit").await;
        test.wait_for("#device-name").await;
    }
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
}

async fn every_screen_passes_axe(kind: Kind) {
    let test = BrowserTest::start_in(kind, configure).await;
    let mut found = Vec::new();
    for (lang, user) in [("nl", USER), ("en", "tweede@missingpiece.nl")] {
        test.add_user(user, PASSWORD).await;
        test.client.delete_all_cookies().await.expect("no cookies");
        walk(&test, lang, user, async |name: &str| {
            let audit = audit(&test, &[]).await;
            // The per-screen report (`--nocapture` shows it).
            println!(
                "axe {kind:?}, {lang}, {name}: {} violations, {} rules passed",
                audit.violations.len(),
                audit.passed
            );
            for violation in audit.violations {
                found.push(format!("{lang} {name}: {violation}"));
            }
        })
        .await;
    }
    assert!(found.is_empty(), "axe-core found:\n{}", found.join("\n"));
    assert_eq!(
        test.is_present("#app").await,
        kind.runs_app(),
        "the screens checked are the app's where it runs, else the plain pages"
    );
}

/// At 320 CSS pixels wide (a phone, or a 1280-pixel screen at 400 %) and
/// 640 (1280 pixels at 200 %): no screen is wider than the window.
async fn nothing_scrolls_sideways_at_320_px_or_200_percent(kind: Kind) {
    let test = BrowserTest::start_in(kind, configure).await;
    let mut found = Vec::new();
    for (width, user) in [(320, USER), (640, "tweede@missingpiece.nl")] {
        test.add_user(user, PASSWORD).await;
        test.client.delete_all_cookies().await.expect("no cookies");
        test.client
            .set_window_size(width, 900)
            .await
            .expect("resize");
        walk(&test, "nl", user, async |name: &str| {
            let sizes = test
                .execute("return [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
                .await;
            let (scroll, client) = (sizes[0].as_i64(), sizes[1].as_i64());
            if scroll > client {
                let wide = test
                    .execute("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth).map(e => e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)")
                    .await;
                found.push(format!("{width} px, {name}: {scroll:?} wide in {client:?}: {wide}"));
            }
        })
        .await;
    }
    assert!(found.is_empty(), "scrolls sideways:\n{}", found.join("\n"));
}

crate::in_browsers!(
    [Chromium, ChromiumJitless, Firefox, FirefoxNoWasm];
    every_screen_passes_axe,
);

mod passes {
    use super::the_pass_and_confirm_screens_pass_axe;

    crate::in_browsers!(
        [Chromium, ChromiumJitless, Firefox, FirefoxNoWasm];
        the_pass_and_confirm_screens_pass_axe,
    );
}

mod narrow {
    use super::nothing_scrolls_sideways_at_320_px_or_200_percent;

    crate::in_browsers!(
        [Chromium, ChromiumJitless];
        nothing_scrolls_sideways_at_320_px_or_200_percent,
    );
}
