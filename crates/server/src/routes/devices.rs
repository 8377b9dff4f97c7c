//! "Mijn geregistreerde apparaten": list, enrol ("+ Apparaat toevoegen" →
//! "OK" → QR → "Gereed"), test, remove.

use aanmelden_api::{
    ActivateRequest, AddDeviceRequest, CodeRequest, Device, DeviceList, Enrolment, TestResult,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::extract::{AppJson, AppPath, ClientAddr, CurrentSession};
use crate::AppState;
use crate::domain::devices::{DeviceName, MAX_NAME_CHARS, NameError};
use crate::domain::secrets::SecretBytes;
use crate::domain::sign_in::{Level, Session};
use crate::domain::totp;
use crate::error::ApiError;
use crate::store::DeviceRow;

/// `GET /devices`: active devices and the pending enrolment.
pub async fn list(
    State(app): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<DeviceList>, ApiError> {
    let user_id = device_owner(&session)?;
    let devices = app
        .store
        .active_devices(user_id)
        .await?
        .into_iter()
        .map(to_device)
        .collect();
    let pending = match app.store.pending_device(user_id).await? {
        Some(row) => Some(enrolment(&app, &session, &row)?),
        None => None,
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
    let user_id = device_owner(&session)?;
    let name = DeviceName::parse(&request.name).map_err(name_error)?;
    if session.level == Level::RegisterDevice
        && !app.store.active_devices(user_id).await?.is_empty()
    {
        // A password alone registers the first device only.
        return Err(ApiError::Forbidden);
    }
    if let Some(pending) = app.store.pending_device(user_id).await? {
        if pending.name.to_lowercase() == name.key() {
            return Ok(Json(enrolment(&app, &session, &pending)?).into_response());
        }
        app.store.delete_device(user_id, pending.id).await?;
    }
    let secret = SecretBytes::random(totp::SECRET_BYTES);
    let sealed = app.cipher.seal(user_id, &secret);
    let id = app
        .store
        .insert_pending_device(
            user_id,
            name.as_str(),
            &name.key(),
            &sealed,
            app.clock.now(),
            app.config.max_devices,
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
) -> Result<Json<Device>, ApiError> {
    let user_id = device_owner(&session)?;
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
    Ok(Json(Device {
        id: row.id,
        name: row.name,
        activated_at: now,
    }))
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
    let user_id = device_owner(&session)?;
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
    let user_id = device_owner(&session)?;
    let row = app
        .store
        .device(user_id, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if row.activated_at.is_some() && session.level != Level::Done {
        return Err(ApiError::Forbidden);
    }
    if !app.store.delete_device(user_id, row.id).await? {
        return Err(ApiError::NotFound);
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
fn device_owner(session: &Session) -> Result<i64, ApiError> {
    match session.user_id {
        Some(id) if session.level.may_manage_devices() => Ok(id),
        _ => Err(ApiError::Forbidden),
    }
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
