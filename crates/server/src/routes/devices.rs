//! "Mijn geregistreerde apparaten": list, enrol ("+ Apparaat toevoegen" →
//! "OK" → QR → "Gereed"), test, remove.

use aanmelden_api::{
    ActivateRequest, ActivatedDevice, AddDeviceRequest, CodeRequest, DeviceList, Enrolment,
    RecoveryCodes, TestResult,
};
use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::{AppJson, AppPath, CurrentSession};
use crate::AppState;
use crate::error::ApiError;
use crate::http::{ClientAddr, set_session_cookie};

/// `GET /devices`: active devices and the pending enrolment.
pub async fn list(
    State(app): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Result<Json<DeviceList>, ApiError> {
    Ok(Json(app.list_devices(&session).await?))
}

/// `POST /devices`: start enrolling a device. Asking again for the same name
/// returns the same secret; another name replaces the pending enrolment.
pub async fn add(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppJson(request): AppJson<AddDeviceRequest>,
) -> Result<(StatusCode, Json<Enrolment>), ApiError> {
    let started = app
        .start_enrolment(&session, &client, &request.name)
        .await?;
    let status = if started.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(started.enrolment)))
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
    let activated = app
        .activate_device(&session, &client, id, request.code.as_deref())
        .await?;
    let device = Json(ActivatedDevice {
        device: activated.device,
        recovery_codes: activated.recovery_codes,
    });
    Ok(match activated.stepped {
        Some(stepped) => (
            [(
                header::SET_COOKIE,
                set_session_cookie(&stepped.token, &app.config),
            )],
            device,
        )
            .into_response(),
        None => device.into_response(),
    })
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
    let valid = app
        .test_device(&session, &client, id, &request.code)
        .await?;
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
    app.remove_device(&session, &client, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /recovery-codes` ("Nieuwe herstelcodes maken"): a new set, which
/// voids the old one, after a code from one of the user's devices.
pub async fn renew_recovery_codes(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppJson(request): AppJson<CodeRequest>,
) -> Result<(StatusCode, Json<RecoveryCodes>), ApiError> {
    let codes = app
        .renew_recovery_codes(&session, &client, &request.code)
        .await?;
    Ok((StatusCode::CREATED, Json(codes)))
}
