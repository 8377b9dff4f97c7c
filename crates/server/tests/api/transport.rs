//! Behind https (`public_url`), the session cookie and every other cookie
//! the portal sets are `Secure` with the `__Host-` prefix, and browsers are
//! told to use https only.

use aanmelden_server::config::{Application, Config};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::helpers::TestApp;

fn configure(config: &mut Config) {
    config.public_url = Some("https://aanmelden.example.nl".to_owned());
    config.applications = vec![Application {
        name: "Webmail".to_owned(),
        url: "https://mail.example.nl/".to_owned(),
        groups: Vec::new(),
    }];
}

/// A browser that sends exactly the cookies a test gives it (the test
/// client speaks http, so a cookie jar would keep `Secure` cookies back).
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The `Set-Cookie` of `response` for the cookie named `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {:?}", response.headers()))
}

/// The value of a `Set-Cookie` line.
fn value_of(set_cookie: &str) -> &str {
    let pair = set_cookie.split(';').next().unwrap();
    pair.split_once('=').unwrap().1
}

async fn page_with_cookies(app: &TestApp, path: &str, cookies: &str) -> (StatusCode, String) {
    let response = bare_client()
        .get(app.browser.url(path))
        .header("cookie", cookies)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn the_plain_pages_cookies_are_secure_with_the_host_prefix(app: TestApp) {
    let client = bare_client();

    let lang = client
        .get(app.browser.url("/?lang=en"))
        .send()
        .await
        .unwrap();
    let flash = client
        .post(app.browser.url("/flow/identify"))
        .form(&[("username", "jan\u{200B}@x.nl")])
        .send()
        .await
        .unwrap();
    let rd = client
        .get(
            app.browser
                .url("/?rd=https%3A%2F%2Fmail.example.nl%2Finbox"),
        )
        .send()
        .await
        .unwrap();

    for cookie in [
        set_cookie(&lang, "__Host-aanmelden_lang"),
        set_cookie(&flash, "__Host-aanmelden_flash"),
        set_cookie(&rd, "__Host-aanmelden_return"),
        set_cookie(&rd, "__Host-aanmelden_form"),
    ] {
        assert!(cookie.contains("; Secure"), "{cookie}");
        assert!(
            cookie.contains("; Path=/") && !cookie.contains("Domain"),
            "{cookie}"
        );
    }
}

async fn a_message_for_the_next_page_is_shown_only_as_the_server_signed_it(app: TestApp) {
    let flash = bare_client()
        .post(app.browser.url("/flow/identify"))
        .form(&[("username", "jan\u{200B}@x.nl")])
        .send()
        .await
        .unwrap();
    let signed = value_of(&set_cookie(&flash, "__Host-aanmelden_flash")).to_owned();
    let made_up = URL_SAFE_NO_PAD
        .encode(r#"{"code":"locked","retry_after_s":999,"typed":"Bel 0900-1234 voor hulp"}"#);
    let (message, signature) = signed.split_once('.').unwrap();
    let spliced = format!("{made_up}.{signature}");
    let retyped = format!("{message}.{}", "0".repeat(signature.len()));

    let (status, shown) =
        page_with_cookies(&app, "/", &format!("__Host-aanmelden_flash={signed}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(shown.contains("id=\"error\""), "{shown}");
    assert!(shown.contains("value=\"jan\u{200B}@x.nl\""), "{shown}");

    for forged in [made_up.clone(), spliced, retyped] {
        for name in ["__Host-aanmelden_flash", "aanmelden_flash"] {
            let (status, page) = page_with_cookies(&app, "/", &format!("{name}={forged}")).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!page.contains("id=\"error\""), "{name}={forged}: {page}");
            assert!(!page.contains("0900-1234"), "{name}={forged}");
        }
    }
    // The message's own cookie under the name anyone can set is not read
    // either.
    let (_, page) = page_with_cookies(&app, "/", &format!("aanmelden_flash={signed}")).await;
    assert!(!page.contains("id=\"error\""));
}

async fn the_language_is_read_from_the_prefixed_cookie_then_the_apps(app: TestApp) {
    // The app writes `aanmelden_lang` from script.
    let (_, apps) = page_with_cookies(&app, "/", "aanmelden_lang=nl").await;
    let (_, both) =
        page_with_cookies(&app, "/", "aanmelden_lang=nl; __Host-aanmelden_lang=en").await;
    let (_, prefixed) = page_with_cookies(&app, "/", "__Host-aanmelden_lang=nl").await;

    assert!(apps.contains("<html lang=\"nl\""));
    assert!(both.contains("<html lang=\"en\""));
    assert!(prefixed.contains("<html lang=\"nl\""));
}

async fn a_reset_chooses_dutch_and_forgets_the_apps_choice_too(app: TestApp) {
    let response = bare_client()
        .get(app.browser.url("/opnieuw"))
        .header("cookie", "aanmelden_lang=en")
        .send()
        .await
        .unwrap();

    let ours = set_cookie(&response, "__Host-aanmelden_lang");
    assert!(ours.starts_with("__Host-aanmelden_lang=nl;") && ours.contains("; Secure"));
    let apps = set_cookie(&response, "aanmelden_lang");
    assert!(apps.contains("Max-Age=0"), "{apps}");
}

async fn oversize_cookies_are_ignored(app: TestApp) {
    let long = "A".repeat(6000);
    let cookies = format!(
        "__Host-aanmelden_lang=nl{long}; __Host-aanmelden_flash={long}.{long}; \
         __Host-aanmelden_return={long}; aanmelden_lang=nl{long}"
    );

    let (status, page) = page_with_cookies(&app, "/", &cookies).await;

    assert_eq!(status, StatusCode::OK);
    // The browser's language, as without the cookies.
    assert!(page.contains("<html lang=\"en\""));
    assert!(!page.contains("id=\"error\""));

    let long_rd = format!("https://mail.example.nl/{}", "a".repeat(5000));
    let response = bare_client()
        .get(app.browser.url("/"))
        .query(&[("rd", &long_rd)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    for cookie in response.headers().get_all("set-cookie") {
        assert!(cookie.len() < 4096, "{cookie:?}");
    }
}

async fn the_cookie_is_secure_with_the_host_prefix(app: TestApp) {
    let response = app.browser.identify("a@b.nl").await;

    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-aanmelden_session="), "{cookie}");
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(
        cookie.contains("; Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
}

async fn every_answer_carries_hsts(app: TestApp) {
    let page = reqwest::get(app.browser.url("/")).await.unwrap();
    let api = app.browser.get("/branding").await;

    for response in [page, api] {
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000"
        );
    }
}

crate::on_both_backends!(
    configured_by configure;
    the_cookie_is_secure_with_the_host_prefix,
    every_answer_carries_hsts,
    the_plain_pages_cookies_are_secure_with_the_host_prefix,
    a_message_for_the_next_page_is_shown_only_as_the_server_signed_it,
    the_language_is_read_from_the_prefixed_cookie_then_the_apps,
    a_reset_chooses_dutch_and_forgets_the_apps_choice_too,
    oversize_cookies_are_ignored,
);
