//! "Mijn geregistreerde apparaten": list, enrol ("+ Apparaat toevoegen" →
//! "OK" → QR → "Gereed"), test, remove.

use aanmelden_api::{
    ActivateRequest, AddDeviceRequest, CodeRequest, Device, DeviceList, Enrolment, TestResult,
};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::{AppJson, AppPath, ClientAddr, CurrentSession, set_session_cookie};
use super::login::renew_session;
use crate::AppState;
use crate::domain::devices::{DeviceName, MAX_NAME_CHARS, NameError};
use crate::domain::secrets::{SecretBytes, bound_to};
use crate::domain::sign_in::{Level, Session};
use crate::domain::totp;
use crate::error::ApiError;
use crate::store::DeviceRow;

/// `GET /devices`: active devices and the pending enrolment.
pub async fn list(
    State(app): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<DeviceList>, ApiError> {
    let user_id = device_owner(&app, &session).await?;
    let devices = app
        .store
        .active_devices(user_id)
        .await?
        .into_iter()
        .map(to_device)
        .collect();
    // A pending enrolment's secret is shown only to the session that started it.
    let pending = match app.store.pending_device(user_id).await? {
        Some(row) if is_own(&row, &session) => Some(enrolment(&app, &session, &row)?),
        _ => None,
    };
    Ok(Json(DeviceList {
        devices,
        pending,
        limit: app.config.max_devices,
        first_code_required: app.config.require_first_code,
    }))
}

/// `POST /devices`: start enrolling a device. Asking again for the same name
/// returns the same secret; another name replaces the pending enrolment.
pub async fn add(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppJson(request): AppJson<AddDeviceRequest>,
) -> Result<Response, ApiError> {
    let user_id = device_owner(&app, &session).await?;
    let name = DeviceName::parse(&request.name).map_err(name_error)?;
    if let Some(pending) = app.store.pending_device(user_id).await? {
        if is_own(&pending, &session) && pending.name.to_lowercase() == name.key() {
            return Ok(Json(enrolment(&app, &session, &pending)?).into_response());
        }
        app.store.delete_device(user_id, pending.id).await?;
    }
    let secret = SecretBytes::random(totp::SECRET_BYTES);
    let id = app
        .store
        .insert_pending_device(
            user_id,
            name.as_str(),
            &name.key(),
            &session.id_hash,
            app.clock.now(),
            app.config.max_devices,
            |id| {
                app.cipher
                    .seal(&bound_to::device(user_id, id), secret.expose())
            },
        )
        .await?;
    app.audit(
        &session.username,
        "device_enrolment_started",
        name.as_str(),
        &client,
    )
    .await?;
    let created = enrolment_of(&app, &session, id, name.as_str(), &secret);
    Ok((StatusCode::CREATED, Json(created)).into_response())
}

/// `POST /devices/{id}/activate` ("Gereed"): the pending device becomes
/// active, after its first code when that is required.
pub async fn activate(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppPath(id): AppPath<i64>,
    AppJson(request): AppJson<ActivateRequest>,
) -> Result<Response, ApiError> {
    let user_id = device_owner(&app, &session).await?;
    let row = app
        .store
        .device(user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.activated_at.is_some() {
        return Err(ApiError::validation(
            "device",
            "the device is already active",
        ));
    }
    if !is_own(&row, &session) {
        return Err(ApiError::NotFound);
    }
    let code = request.code.filter(|code| !code.trim().is_empty());
    let step = match code {
        Some(code) => {
            let secret = app.open_secret(&row)?;
            let step = totp::matching_step(&secret, &code, app.clock.now());
            if step.is_none() {
                app.audit(
                    &session.username,
                    "device_activation_failed",
                    &row.name,
                    &client,
                )
                .await?;
                return Err(ApiError::InvalidOtp);
            }
            step
        }
        None if app.config.require_first_code => {
            return Err(ApiError::validation(
                "code",
                "enter the first code from the app",
            ));
        }
        None => None,
    };
    let now = app.clock.now();
    if !app.store.activate_device(row.id, step, now).await? {
        return Err(ApiError::InvalidOtp);
    }
    app.audit(&session.username, "device_added", &row.name, &client)
        .await?;
    let device = Json(Device {
        id: row.id,
        name: row.name,
        activated_at: now,
    });
    if session.level != Level::RegisterDevice {
        return Ok(device.into_response());
    }
    // The registration session is spent. With the first code from the new
    // device it has shown both factors; without, it goes on to confirm one.
    let level = if step.is_some() {
        app.signed_in_from(&session.username, &client).await?;
        Level::Done
    } else {
        Level::SecondFactor
    };
    let token = renew_session(&app, &session, user_id, level).await?;
    Ok((
        [(header::SET_COOKIE, set_session_cookie(&token, &app.config))],
        device,
    )
        .into_response())
}

/// `POST /devices/{id}/test` ("Testen"): whether a code from the app is
/// right for this device. A right code is used up, as at sign-in.
pub async fn test(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppPath(id): AppPath<i64>,
    AppJson(request): AppJson<CodeRequest>,
) -> Result<Json<TestResult>, ApiError> {
    let user_id = device_owner(&app, &session).await?;
    let row = app
        .store
        .device(user_id, id)
        .await?
        .filter(|row| row.activated_at.is_some())
        .ok_or(ApiError::NotFound)?;
    let attempt = app.begin_attempt(&session.username, &client).await?;
    let valid = app
        .accept_code(std::slice::from_ref(&row), &request.code)
        .await?
        .is_some();
    let event = if valid {
        "device_test_ok"
    } else {
        "device_test_failed"
    };
    app.audit(&session.username, event, &row.name, &client)
        .await?;
    // Testing must not become a way around the sign-in's lock.
    if valid {
        app.attempt_succeeded(attempt).await?;
    } else {
        app.attempt_failed(attempt).await?;
    }
    Ok(Json(TestResult { valid }))
}

/// `DELETE /devices/{id}` ("Verwijderen", or "Annuleren" for a pending one).
/// Removing an active device needs a fully signed-in session.
pub async fn remove(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppPath(id): AppPath<i64>,
) -> Result<StatusCode, ApiError> {
    let user_id = device_owner(&app, &session).await?;
    let row = app
        .store
        .device(user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.activated_at.is_some() && session.level != Level::Done {
        return Err(ApiError::Forbidden);
    }
    if row.activated_at.is_none() && !is_own(&row, &session) {
        return Err(ApiError::NotFound);
    }
    if !app.store.delete_device(user_id, row.id).await? {
        return Err(ApiError::NotFound);
    }
    if row.activated_at.is_some() {
        // Whoever signed in elsewhere with that device is signed out.
        app.store
            .delete_user_sessions(user_id, Some(&session.id_hash))
            .await?;
    }
    let event = if row.activated_at.is_some() {
        "device_removed"
    } else {
        "device_enrolment_cancelled"
    };
    app.audit(&session.username, event, &row.name, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user whose devices this session may manage.
/// A password alone registers the first device only: a registration
/// session loses its rights once the account has an active device.
async fn device_owner(app: &AppState, session: &Session) -> Result<i64, ApiError> {
    match (session.level, session.user_id) {
        (Level::Done, Some(id)) => Ok(id),
        (Level::RegisterDevice, Some(id)) if app.store.active_devices(id).await?.is_empty() => {
            Ok(id)
        }
        _ => Err(ApiError::Forbidden),
    }
}

/// Whether `row` is a pending enrolment this session started.
fn is_own(row: &DeviceRow, session: &Session) -> bool {
    row.session_hash.as_deref() == Some(session.id_hash.as_str())
}

fn to_device(row: DeviceRow) -> Device {
    Device {
        id: row.id,
        name: row.name,
        activated_at: row.activated_at.unwrap_or(row.created_at),
    }
}

fn enrolment(app: &AppState, session: &Session, row: &DeviceRow) -> Result<Enrolment, ApiError> {
    let secret = app.open_secret(row)?;
    Ok(enrolment_of(app, session, row.id, &row.name, &secret))
}

/// What the QR screen shows. The otpauth URI also names this server and
/// the device, for the aanmelden authenticator to answer push challenges;
/// other authenticator apps ignore parameters they do not know.
fn enrolment_of(
    app: &AppState,
    session: &Session,
    device_id: i64,
    name: &str,
    secret: &SecretBytes,
) -> Enrolment {
    let uri = totp::otpauth_uri(secret, &app.config.organisation, &session.username);
    Enrolment {
        device_id,
        name: name.to_owned(),
        otpauth_uri: format!(
            "{uri}&{}={device_id}&{}={}",
            totp::DEVICE_PARAMETER,
            totp::SERVER_PARAMETER,
            totp::percent_encode(&app.config.public_url())
        ),
        secret: totp::base32(secret),
    }
}

fn name_error(error: NameError) -> ApiError {
    let message = match error {
        NameError::Empty => "enter a name for the device".to_owned(),
        NameError::TooLong => format!("a device name has at most {MAX_NAME_CHARS} characters"),
        NameError::ControlCharacter => "a device name cannot contain control characters".to_owned(),
    };
    ApiError::validation("name", message)
}
