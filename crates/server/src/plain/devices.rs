//! "Mijn geregistreerde apparaten": the devices, "+ Apparaat toevoegen"
//! (a disclosure with the name and "OK"), "Testen" and "Verwijderen" (with
//! a confirmation page), as plain forms.

use aanmelden_api::DeviceList;
use aanmelden_i18n::Key;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;

use super::{
    DEVICES_PATH, FORMS, Flash, FormSession, Frame, Notice, PageQuery, back_to, error, stepped_to,
};
use crate::AppState;
use crate::domain::sign_in::{Level, Session};
use crate::error::ApiError;
use crate::http::ClientAddr;

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
            @if let Some(Notice::DeviceAdded(name)) = flash.and_then(|f| f.notice.as_ref()) {
                p id="device-added" class="success" role="status" {
                    (Key::DeviceAdded.fill(frame.lang, "device", name))
                }
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
    // A password alone registers one first device; more needs the second factor.
    let may_add = !at_limit && (first || session.level == Level::Done);
    let failed = flash.and_then(|f| f.error_text(frame.lang));
    let name_failed = flash.is_some_and(|f| {
        f.is_about("name")
            || f.code().is_some_and(|c| {
                matches!(
                    c,
                    aanmelden_api::ErrorCode::NameTaken | aanmelden_api::ErrorCode::DeviceLimit
                )
            })
    });
    let typed = flash.map_or("", |f| f.typed.as_str());
    let tested = flash.and_then(|f| match f.notice {
        Some(Notice::TestOk) => Some((true, Key::TestOk)),
        Some(Notice::TestWrong) => Some((false, Key::TestWrong)),
        _ => None,
    });
    let limit = list.limit.to_string();
    html! {
        @if first {
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
        @if may_add {
            details class="add-device" open[first || name_failed] {
                summary id="add-device" class="secondary" { (frame.t(Key::AddDevice)) }
                form class="add-device" method="post" action={ (FORMS) "/devices" } novalidate {
                    (frame.form_token())
                    label for="device-name" { (frame.t(Key::DeviceNameLabel)) }
                    input id="device-name" name="name" type="text" maxlength="32"
                        placeholder=(frame.t(Key::DeviceNamePlaceholder)) value=(typed)
                        aria-invalid=[name_failed.then_some("true")]
                        aria-describedby=[name_failed.then_some("error")];
                    (error(if name_failed { failed.as_deref() } else { None }))
                    button type="submit" class="primary" id="device-name-ok" { (frame.t(Key::Ok)) }
                }
            }
        }
        @if !name_failed {
            (error(failed.as_deref()))
        }
        p class="limit" {
            @if at_limit {
                (Key::DeviceLimitReached.fill(frame.lang, "limit", &limit))
            } @else {
                (Key::DeviceLimitInfo.fill(frame.lang, "limit", &limit))
            }
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
    Form(form): Form<ActivateForm>,
) -> Response {
    match app
        .activate_device(&session, &client, id, Some(&form.code))
        .await
    {
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
