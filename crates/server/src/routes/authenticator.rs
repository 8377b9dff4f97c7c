//! The authenticator's side of push: list the challenges waiting for the
//! device's user, and answer one. Every request is signed with a key
//! derived from the device's secret (see `aanmelden_api::signed`), within a
//! minute of the server's clock and with a nonce never used before.

use aanmelden_api::{ChallengeAnswer, Device, PendingChallenge, signed};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};

use super::extract::AppPath;
use crate::AppState;
use crate::domain::push::{Status, push_key, verify};
use crate::error::ApiError;
use crate::flow::devices::to_device;
use crate::http::ClientAddr;
use crate::metrics::SignInResult;
use crate::store::DeviceRow;

/// Longest nonce accepted.
const MAX_NONCE_CHARS: usize = 64;

/// `GET /authenticator/challenges`: what waits for an answer, without the
/// number, which the user must read in the browser.
pub async fn list(
    State(app): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Json<Vec<PendingChallenge>>, ApiError> {
    let device = signed_device(&app, &method, uri.path(), &headers, &[]).await?;
    let pending = app
        .store
        .pending_challenges(device.user_id, app.clock.now())
        .await?
        .into_iter()
        .map(|c| PendingChallenge {
            id: c.id,
            username: c.username,
            client: c.client,
            browser: c.browser.family,
            os: c.browser.os,
            created_at: c.created_at,
            expires_at: c.expires_at,
        })
        .collect();
    Ok(Json(pending))
}

/// `GET /authenticator/devices`: the user's devices, so that each phone
/// sees every device added to its account (and when it was last used).
pub async fn devices(
    State(app): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Json<Vec<Device>>, ApiError> {
    let device = signed_device(&app, &method, uri.path(), &headers, &[]).await?;
    let devices = app
        .store
        .active_devices(device.user_id)
        .await?
        .into_iter()
        .map(to_device)
        .collect();
    Ok(Json(devices))
}

/// `POST /authenticator/challenges/{id}`: approve with the number the
/// browser shows, or deny. A wrong number denies the sign-in and counts as
/// a failed second factor.
pub async fn answer(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    method: Method,
    OriginalUri(uri): OriginalUri,
    AppPath(id): AppPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let device = signed_device(&app, &method, uri.path(), &headers, &body).await?;
    let answer: ChallengeAnswer =
        serde_json::from_slice(&body).map_err(|e| ApiError::validation("answer", e.to_string()))?;
    let challenge = app
        .store
        .find_challenge(&id)
        .await?
        .filter(|c| c.user_id == device.user_id)
        .ok_or(ApiError::NotFound)?;
    // A number is a guess, counted against the browser's origin, where the
    // sign-in comes from; a denial guesses nothing, and is taken while the
    // counters are locked too.
    let attempt = match answer {
        ChallengeAnswer::Approve { .. } => Some(
            app.begin_attempt(&challenge.username, &challenge.client)
                .await?,
        ),
        ChallengeAnswer::Deny | ChallengeAnswer::NotMe => None,
    };
    let (status, event) = match answer {
        ChallengeAnswer::Approve { number } if number == challenge.number => {
            (Status::Approved, "push_approved")
        }
        ChallengeAnswer::Approve { .. } => (Status::Denied, "push_wrong_number"),
        ChallengeAnswer::Deny => (Status::Denied, "push_denied"),
        ChallengeAnswer::NotMe => (Status::Denied, "push_not_me"),
    };
    let now = app.clock.now();
    if !app
        .store
        .answer_challenge(&challenge.id, status, Some(device.id), now)
        .await?
    {
        if let Some(attempt) = attempt {
            app.attempt_withdrawn(attempt).await?;
        }
        return Err(ApiError::PushExpired);
    }
    if status == Status::Approved {
        app.store.device_used(device.id, now).await?;
    }
    let _ = app.push_answers.send(challenge.id.clone());
    app.store.announce_answer(&challenge.id).await?;
    app.audit(&challenge.username, event, &device.name, &client)
        .await?;
    if let Some(attempt) = attempt {
        if status == Status::Approved {
            app.attempt_succeeded(attempt).await?;
            return Ok(StatusCode::NO_CONTENT);
        }
        app.attempt_failed(attempt).await?;
    } else {
        // A denied sign-in counts as a failure, like a wrong password.
        app.sign_in_denied(
            &challenge.username,
            &challenge.client,
            answer == ChallengeAnswer::NotMe,
        )
        .await?;
    }
    app.metrics.sign_in(SignInResult::PushDenied);
    if answer == ChallengeAnswer::NotMe {
        // Whoever is waiting there has the password but is not the user.
        app.store.delete_session(&challenge.session_hash).await?;
    }
    if event == "push_wrong_number" {
        return Err(ApiError::PushDenied);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The device that signed this request. Anything off (a header missing, an
/// unknown device, a stale time, a bad signature, a nonce seen before) is
/// `invalid_credentials`, without saying which.
async fn signed_device(
    app: &AppState,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<DeviceRow, ApiError> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(ApiError::InvalidCredentials)
    };
    let device_id: i64 = header(signed::DEVICE)?
        .parse()
        .map_err(|_| ApiError::InvalidCredentials)?;
    let timestamp: i64 = header(signed::TIMESTAMP)?
        .parse()
        .map_err(|_| ApiError::InvalidCredentials)?;
    let nonce = header(signed::NONCE)?;
    let signature = header(signed::SIGNATURE)?;
    let now = app.clock.now();
    // The difference of any two times, never an overflow.
    if now.abs_diff(timestamp) > signed::WINDOW_S.unsigned_abs()
        || nonce.is_empty()
        || nonce.len() > MAX_NONCE_CHARS
    {
        return Err(ApiError::InvalidCredentials);
    }
    let device = app
        .store
        .active_device(device_id)
        .await?
        .ok_or(ApiError::InvalidCredentials)?;
    let key = push_key(&app.open_secret(&device)?);
    let message = signed::message(method.as_str(), path, timestamp, nonce, body);
    if !verify(&key, &message, signature) {
        return Err(ApiError::InvalidCredentials);
    }
    if !app.store.use_nonce(device.id, nonce, now).await? {
        return Err(ApiError::InvalidCredentials);
    }
    Ok(device)
}
