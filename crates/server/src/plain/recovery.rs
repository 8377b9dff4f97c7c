//! "Telefoon kwijt? Gebruik een herstelcode": the recovery code instead of
//! the second factor, or a helpdesk pass to register a new device; and the
//! page that shows a new set of codes, once.

use aanmelden_api::{ErrorCode, RecoveryCodes};
use aanmelden_i18n::Key;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    DEVICES_PATH, FORMS, Flash, FormSession, Frame, Notice, RECOVERY_CODES_SCRIPT, RECOVERY_PATH,
    Uncompressed, back_to, error, stepped_to, stepped_with,
};
use crate::AppState;
use crate::domain::sign_in::Level;
use crate::http::ClientAddr;
use crate::http::form_token::BrowserKey;

/// The recovery code step, and under it the helpdesk pass.
pub fn page(frame: &Frame<'_>, flash: Option<&Flash>) -> Markup {
    let pass_failed = flash.is_some_and(|f| f.code() == Some(ErrorCode::InvalidPass));
    let failed = flash
        .filter(|_| !pass_failed)
        .and_then(|f| f.error_text(frame.lang));
    html! {
        (recovery_form(frame, failed.as_deref()))
        details id="pass-details" class="step pass" open[pass_failed] {
            summary id="use-pass" { (frame.t(Key::PassLink)) }
            (pass_form(frame, flash.filter(|_| pass_failed)))
        }
    }
}

/// "Helpdeskpas": the pass the helpdesk gave, to register a device.
pub fn pass_form(frame: &Frame<'_>, flash: Option<&Flash>) -> Markup {
    let failed = flash.and_then(|f| f.error_text(frame.lang));
    html! {
        form class="step" method="post" action={ (FORMS) "/pass" } novalidate {
            (frame.form_token())
            p { (frame.t(Key::PassHint)) }
            label for="pass" { (frame.t(Key::PassLabel)) }
            input id="pass" name="code" type="text" maxlength="24" autocomplete="off"
                autocapitalize="none" spellcheck="false"
                aria-invalid=[failed.is_some().then_some("true")]
                aria-describedby=[failed.is_some().then_some("error")];
            (error(failed.as_deref()))
            button type="submit" class="primary" id="pass-submit" { (frame.t(Key::Submit)) }
        }
    }
}

fn recovery_form(frame: &Frame<'_>, failed: Option<&str>) -> Markup {
    html! {
        form class="step" method="post" action={ (FORMS) "/recovery" } novalidate {
            (frame.form_token())
            h1 { (frame.t(Key::RecoveryHeading)) }
            p { (frame.t(Key::RecoveryIntro)) }
            label for="recovery-code" { (frame.t(Key::RecoveryLabel)) }
            input id="recovery-code" name="code" type="text" maxlength="24" autocomplete="off"
                autocapitalize="none" spellcheck="false" autofocus[failed.is_none()]
                aria-invalid=[failed.is_some().then_some("true")]
                aria-describedby=[failed.is_some().then_some("error")];
            (error(failed))
            button type="submit" class="primary" id="recovery-submit" { (frame.t(Key::Submit)) }
        }
    }
}

/// The link to this step, under the second factor's screens.
pub fn link(frame: &Frame<'_>) -> Markup {
    html! {
        p { a id="lost-phone" class="link" href=(RECOVERY_PATH) { (frame.t(Key::LostPhone)) } }
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /flow/recovery`: signed in, on to register the new phone.
pub async fn submit(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    Form(form): Form<CodeForm>,
) -> Response {
    match app
        .sign_in_with_recovery_code(&session, &client, &form.code)
        .await
    {
        Ok(stepped) => stepped_with(&app, &stepped, DEVICES_PATH, Notice::Recovered),
        Err(failure) => back_to(&app, RECOVERY_PATH, &Flash::error(&failure, "")),
    }
}

/// `POST /flow/pass`: a helpdesk pass; on to register a device.
pub async fn pass(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    Form(form): Form<CodeForm>,
) -> Response {
    match app.sign_in_with_pass(&session, &client, &form.code).await {
        Ok(stepped) => stepped_to(&app, &stepped, DEVICES_PATH),
        Err(failure) => {
            let page = if session.level == Level::SecondFactor {
                RECOVERY_PATH
            } else {
                DEVICES_PATH
            };
            back_to(&app, page, &Flash::error(&failure, ""))
        }
    }
}

/// `POST /flow/recovery-codes`: "Nieuwe herstelcodes maken", with a code
/// from the app; the new set shows at once.
pub async fn renew(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Response {
    match app
        .renew_recovery_codes(&session, &client, &form.code)
        .await
    {
        Ok(codes) => codes_page(&app, &headers, &client, &session.username, &codes, None),
        Err(failure) => back_to(&app, DEVICES_PATH, &Flash::error(&failure, "")),
    }
}

/// A new set of codes, as the answer to the form that made it: the one
/// time they are shown (the server keeps only their hashes). Not a page of
/// the app, whose screen would take its place; sent uncompressed, as the
/// QR page, and kept by no cache. `added`: the device whose registration
/// made them.
pub fn codes_page(
    app: &AppState,
    headers: &HeaderMap,
    client: &str,
    username: &str,
    codes: &RecoveryCodes,
    added: Option<&str>,
) -> Response {
    let form_key = BrowserKey::of(headers, &app.config);
    let mut frame = Frame::new(app, headers, DEVICES_PATH, client, &form_key);
    frame.signed_in = true;
    frame.done = true;
    frame.has_session = true;
    username.clone_into(&mut frame.username);
    let screen = codes_screen(&frame, codes, added);
    let mut response = frame.document(&screen, "").into_response();
    response.extensions_mut().insert(Uncompressed);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(cookie) = form_key.cookie(&app.config) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

fn codes_screen(frame: &Frame<'_>, codes: &RecoveryCodes, added: Option<&str>) -> Markup {
    html! {
        section class="step recovery-codes" {
            h1 { (frame.t(Key::DevicesHeading)) }
            @if let Some(name) = added {
                p id="device-added" class="success" role="status" {
                    (Key::DeviceAdded.fill(frame.lang, "device", name))
                }
            }
            h2 { (frame.t(Key::RecoveryCodesHeading)) }
            p { (frame.t(Key::RecoveryCodesIntro)) }
            ol id="recovery-codes" class="codes" {
                @for code in &codes.codes {
                    li { code { (code) } }
                }
            }
            div class="actions no-print" {
                button type="button" class="secondary" id="copy-codes" hidden
                    data-copied=(frame.t(Key::Copied)) { (frame.t(Key::Copy)) }
                button type="button" class="secondary" id="print-codes" hidden { (frame.t(Key::Print)) }
            }
            form class="no-print" method="get" action=(DEVICES_PATH) {
                div class="check" {
                    input type="checkbox" id="codes-saved" required;
                    label for="codes-saved" { (frame.t(Key::CodesSaved)) }
                }
                button type="submit" class="primary" id="codes-continue" { (frame.t(Key::Continue)) }
            }
            script src=(RECOVERY_CODES_SCRIPT) defer {}
        }
    }
}
