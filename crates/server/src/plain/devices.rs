//! "Mijn geregistreerde apparaten": the devices, "+ Apparaat toevoegen"
//! (a disclosure with the name and "OK"), "Testen" and "Verwijderen" (with
//! a confirmation page), as plain forms.

use aanmelden_api::{Adding, Device, DeviceList, ErrorCode, FEW_RECOVERY_CODES};
use aanmelden_i18n::Key;
use aanmelden_i18n::dates::device_time;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    DEVICES_PATH, FORMS, Flash, FormSession, Frame, Notice, PageQuery, back_to, error, stepped_to,
    stepped_with,
};
use crate::AppState;
use crate::domain::sign_in::{Level, Session};
use crate::error::ApiError;
use crate::flow::devices::Activated;
use crate::http::{ClientAddr, set_session_cookie};

/// A devices screen, and whether it shows a device's secret.
pub struct Screen {
    pub markup: Markup,
    pub shows_secret: bool,
}

/// The devices page, or the QR page of this session's pending enrolment.
pub async fn page(
    frame: &Frame<'_>,
    session: &Session,
    query: &PageQuery,
    flash: Option<&Flash>,
) -> Result<Screen, ApiError> {
    let list = frame.app.list_devices(session).await?;
    if let Some(enrolment) = &list.pending {
        return Ok(Screen {
            markup: super::enrol::page(frame, enrolment, list.first_code_required, flash),
            shows_secret: true,
        });
    }
    let removing = query
        .verwijderen
        .and_then(|id| list.devices.iter().find(|d| d.id == id));
    let markup = html! {
        section class="step devices" {
            h1 { (frame.t(Key::DevicesHeading)) }
            @match flash.and_then(|f| f.notice.as_ref()) {
                Some(Notice::DeviceAdded(name)) => {
                    p id="device-added" class="success" role="status" {
                        (Key::DeviceAdded.fill(frame.lang, "device", name))
                    }
                }
                Some(Notice::Recovered) => {
                    p id="recovered" class="notice" role="status" { (frame.t(Key::Recovered)) }
                }
                _ => {}
            }
            @if let Some(device) = removing {
                (confirm_remove(frame, device.id, &device.name))
            } @else {
                (overview(frame, session, &list, flash))
            }
        }
    };
    Ok(Screen {
        markup,
        shows_secret: false,
    })
}

fn overview(
    frame: &Frame<'_>,
    session: &Session,
    list: &DeviceList,
    flash: Option<&Flash>,
) -> Markup {
    let at_limit = list.devices.len() >= usize::try_from(list.limit).unwrap_or(usize::MAX);
    let first = list.devices.is_empty();
    // A password alone registers one first device (where no helpdesk pass
    // is required for it); more needs the second factor or a pass.
    let may_add = !at_limit
        && list.adding != Adding::PassRequired
        && (first || matches!(session.level, Level::Done | Level::Pass));
    let pass_failed = flash.is_some_and(|f| f.code() == Some(ErrorCode::InvalidPass));
    let failed = flash.and_then(|f| f.error_text(frame.lang));
    let confirm_failed = flash.is_some_and(|f| f.is_about("confirm"));
    let confirmed = flash.is_some_and(|f| f.notice == Some(Notice::Confirmed));
    let name_failed = flash.is_some_and(|f| {
        f.is_about("name")
            || f.code()
                .is_some_and(|c| matches!(c, ErrorCode::NameTaken | ErrorCode::DeviceLimit))
    });
    let typed = flash.map_or("", |f| f.typed.as_str());
    // Only the form for new recovery codes takes a code that can be wrong
    // (a wrong test code is a notice).
    let renew_failed =
        flash.is_some_and(|f| f.code() == Some(ErrorCode::InvalidOtp) && !confirm_failed);
    let tested = flash.and_then(|f| match f.notice {
        Some(Notice::TestOk) => Some((true, Key::TestOk)),
        Some(Notice::TestWrong) => Some((false, Key::TestWrong)),
        _ => None,
    });
    let limit = list.limit.to_string();
    html! {
        @if first && list.adding != Adding::PassRequired {
            p class="hint" { (frame.t(Key::FirstDeviceHint)) }
        }
        @if !first {
            form class="test-device" method="post" action={ (FORMS) "/devices/test" } novalidate {
                (frame.form_token())
                div class="device-row" {
                    select id="device-select" name="device" aria-label=(frame.t(Key::DevicesHeading)) {
                        @for device in &list.devices {
                            option value=(device.id) { (device.name) }
                        }
                    }
                }
                label for="test-code" { (frame.t(Key::TestCodeLabel)) }
                div class="inline" {
                    input id="test-code" name="code" type="text" inputmode="numeric" pattern="[0-9]*"
                        maxlength="6" autocomplete="one-time-code";
                    button type="submit" class="primary" id="test-device" { (frame.t(Key::Test)) }
                }
                @if let Some((right, key)) = tested {
                    p id="test-result" class=(if right { "success" } else { "error" }) role="status" { (frame.t(key)) }
                }
                @if session.level == Level::Done {
                    div class="remove-device" {
                        button type="submit" class="danger" id="remove-device"
                            formaction={ (FORMS) "/devices/remove" } { (frame.t(Key::Remove)) }
                    }
                }
            }
        } @else {
            div class="device-row" {
                select id="device-select" aria-label=(frame.t(Key::DevicesHeading)) disabled {
                    option { (frame.t(Key::NoDevices)) }
                }
            }
        }
        @if list.adding == Adding::PassRequired {
            p id="pass-required" class="notice" { (frame.t(Key::PassRequired)) }
            (super::recovery::pass_form(frame, flash.filter(|_| pass_failed)))
        }
        @if may_add {
            details class="add-device" open[first || name_failed || confirm_failed || confirmed] {
                summary id="add-device" class="secondary" { (frame.t(Key::AddDevice)) }
                @if list.adding == Adding::ConfirmRequired {
                    (confirm_form(frame, confirm_failed.then_some(()).and(failed.as_deref())))
                } @else {
                    (name_form(frame, typed, name_failed.then_some(()).and(failed.as_deref())))
                }
            }
        }
        @if !name_failed && !renew_failed && !pass_failed && !confirm_failed {
            (error(failed.as_deref()))
        }
        p class="limit" {
            @if at_limit {
                (Key::DeviceLimitReached.fill(frame.lang, "limit", &limit))
            } @else {
                (Key::DeviceLimitInfo.fill(frame.lang, "limit", &limit))
            }
        }
        @if !first {
            (device_times(frame, &list.devices))
        }
        @if session.level == Level::Done && !first {
            (recovery_codes(frame, list.recovery_codes_left, renew_failed.then_some(()).and(failed.as_deref())))
        }
        // Signed in (also by the first device's code): on to the
        // applications and the client download.
        @if session.level == Level::Done {
            p class="to-start" {
                a class="button primary" id="to-start" href="/" { (frame.t(Key::ToStartPage)) }
            }
        }
    }
}

/// The new device's name, and "OK".
fn name_form(frame: &Frame<'_>, typed: &str, failed: Option<&str>) -> Markup {
    html! {
        form class="add-device" method="post" action={ (FORMS) "/devices" } novalidate {
            (frame.form_token())
            label for="device-name" { (frame.t(Key::DeviceNameLabel)) }
            input id="device-name" name="name" type="text" maxlength="32"
                placeholder=(frame.t(Key::DeviceNamePlaceholder)) value=(typed)
                aria-invalid=[failed.is_some().then_some("true")]
                aria-describedby=[failed.is_some().then_some("error")];
            (error(failed))
            button type="submit" class="primary" id="device-name-ok" { (frame.t(Key::Ok)) }
        }
    }
}

/// When each device was added and last used.
fn device_times(frame: &Frame<'_>, devices: &[Device]) -> Markup {
    html! {
        ul id="device-times" class="device-times" {
            @for device in devices {
                li { (device_time(device, frame.lang)) }
            }
        }
    }
}

/// "Bevestigen": a code from the app before a device is added to an
/// account signed in a while ago.
fn confirm_form(frame: &Frame<'_>, failed: Option<&str>) -> Markup {
    html! {
        form class="add-device" method="post" action={ (FORMS) "/devices/confirm" } novalidate {
            (frame.form_token())
            p id="confirm-required" class="hint" { (frame.t(Key::ConfirmRequired)) }
            label for="confirm-code" { (frame.t(Key::ConfirmLabel)) }
            input id="confirm-code" name="code" type="text" maxlength="24" autocomplete="one-time-code"
                autocapitalize="none" spellcheck="false"
                aria-invalid=[failed.is_some().then_some("true")]
                aria-describedby=[failed.is_some().then_some("error")];
            (error(failed))
            button type="submit" class="primary" id="confirm-submit" { (frame.t(Key::Confirm)) }
        }
    }
}

/// How many recovery codes are left (a warning when few are), and
/// "Nieuwe herstelcodes maken" with a code from the app.
fn recovery_codes(frame: &Frame<'_>, left: Option<u32>, failed: Option<&str>) -> Markup {
    let few = left.is_none_or(|left| left <= FEW_RECOVERY_CODES);
    html! {
        section class="recovery" aria-labelledby="recovery-heading" {
            h2 id="recovery-heading" { (frame.t(Key::RecoveryCodesHeading)) }
            p id="recovery-left" {
                @match left {
                    Some(left) => (Key::RecoveryCodesLeft.fill(frame.lang, "left", &left.to_string())),
                    None => (frame.t(Key::RecoveryCodesNone)),
                }
            }
            @if few {
                p id="recovery-few" class="warning" { (frame.t(Key::RecoveryCodesFew)) }
            }
            details class="renew-codes" open[failed.is_some()] {
                summary id="renew-codes" class="secondary" { (frame.t(Key::RenewCodes)) }
                form method="post" action={ (FORMS) "/recovery-codes" } novalidate {
                    (frame.form_token())
                    p class="hint" { (frame.t(Key::RenewCodesHint)) }
                    label for="renew-code" { (frame.t(Key::OtpLabel)) }
                    input id="renew-code" name="code" type="text" inputmode="numeric" pattern="[0-9]*"
                        maxlength="6" autocomplete="one-time-code"
                        aria-invalid=[failed.is_some().then_some("true")]
                        aria-describedby=[failed.is_some().then_some("error")];
                    (error(failed))
                    button type="submit" class="primary" id="renew-submit" { (frame.t(Key::RenewCodes)) }
                }
            }
        }
    }
}

fn confirm_remove(frame: &Frame<'_>, id: i64, name: &str) -> Markup {
    html! {
        form class="remove-device" method="post" action={ (FORMS) "/devices/" (id) "/remove" } {
            (frame.form_token())
            p role="alert" { (Key::ConfirmRemove.fill(frame.lang, "device", name)) }
            div class="actions" {
                button type="submit" class="danger" id="confirm-remove" { (frame.t(Key::ConfirmRemoveYes)) }
                a class="button secondary" id="cancel-remove" href=(DEVICES_PATH) { (frame.t(Key::Cancel)) }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    name: String,
}

/// `POST /flow/devices`: "OK" after the name.
pub async fn add(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    Form(form): Form<NameForm>,
) -> Response {
    match app.start_enrolment(&session, &client, &form.name).await {
        Ok(_) => Redirect::to(DEVICES_PATH).into_response(),
        Err(failure) => back_to(
            &app,
            DEVICES_PATH,
            &Flash::error(&failure, form.name.trim()),
        ),
    }
}

#[derive(Deserialize)]
pub struct TestForm {
    device: i64,
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /flow/devices/confirm`: "Bevestigen", then the name of the device.
pub async fn confirm(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    Form(form): Form<CodeForm>,
) -> Response {
    match app
        .confirm_second_factor(&session, &client, &form.code)
        .await
    {
        Ok(stepped) => stepped_with(&app, &stepped, DEVICES_PATH, Notice::Confirmed),
        Err(failure) => back_to(
            &app,
            DEVICES_PATH,
            &Flash::error(&failure, "").about("confirm"),
        ),
    }
}

/// `POST /flow/devices/test`: "Testen".
pub async fn test(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    Form(form): Form<TestForm>,
) -> Response {
    match app
        .test_device(&session, &client, form.device, &form.code)
        .await
    {
        Ok(true) => back_to(&app, DEVICES_PATH, &Flash::notice(Notice::TestOk)),
        Ok(false) => back_to(&app, DEVICES_PATH, &Flash::notice(Notice::TestWrong)),
        Err(failure) => back_to(&app, DEVICES_PATH, &Flash::error(&failure, "")),
    }
}

#[derive(Deserialize)]
pub struct DeviceForm {
    device: i64,
}

/// `POST /flow/devices/remove`: "Verwijderen" asks first.
pub async fn ask_remove(FormSession(_): FormSession, Form(form): Form<DeviceForm>) -> Redirect {
    Redirect::to(&format!("{DEVICES_PATH}?verwijderen={}", form.device))
}

/// `POST /flow/devices/{id}/remove`: "Ja, verwijderen", or "Annuleren" of
/// a pending enrolment.
pub async fn remove(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    Path(id): Path<i64>,
) -> Response {
    match app.remove_device(&session, &client, id).await {
        Ok(()) => Redirect::to(DEVICES_PATH).into_response(),
        Err(failure) => back_to(&app, DEVICES_PATH, &Flash::error(&failure, "")),
    }
}

#[derive(Deserialize)]
pub struct ActivateForm {
    #[serde(default)]
    code: String,
}

/// `POST /flow/devices/{id}/activate`: "Gereed".
pub async fn activate(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    Path(id): Path<i64>,
    headers: HeaderMap,
    Form(form): Form<ActivateForm>,
) -> Response {
    match app
        .activate_device(&session, &client, id, Some(&form.code))
        .await
    {
        // The first recovery codes show at once, this once.
        Ok(Activated {
            recovery_codes: Some(codes),
            stepped,
            device,
        }) => {
            let mut response = super::recovery::codes_page(
                &app,
                &headers,
                &client,
                &session.username,
                &codes,
                Some(&device.name),
            );
            if let Some(stepped) = stepped {
                response.headers_mut().append(
                    header::SET_COOKIE,
                    set_session_cookie(&stepped.token, &app.config),
                );
            }
            response
        }
        Ok(activated) => {
            let added = back_to(
                &app,
                DEVICES_PATH,
                &Flash::notice(Notice::DeviceAdded(activated.device.name)),
            );
            match activated.stepped {
                Some(stepped) => {
                    let mut response = stepped_to(&app, &stepped, DEVICES_PATH);
                    if let Some(flash) = added.headers().get(axum::http::header::SET_COOKIE) {
                        response
                            .headers_mut()
                            .append(axum::http::header::SET_COOKIE, flash.clone());
                    }
                    response
                }
                None => added,
            }
        }
        Err(failure) => back_to(&app, DEVICES_PATH, &Flash::error(&failure, "")),
    }
}
