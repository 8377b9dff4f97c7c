//! The authenticator's side of push: list the challenges waiting for the
//! device's user, and answer one; for the phone app also its own key and
//! where its phone is woken. Every request is signed (see
//! `aanmelden_api::signed`), by the device's own key where it gave one,
//! else with a key derived from the device's secret; within a minute of the
//! server's clock, with a nonce never used before, and not before a request
//! of the device already accepted.

use aanmelden_api::{
    ChallengeAnswer, Device, DeviceKey, PendingChallenge, WebPushKey, WebPushSubscription, signed,
};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};

use super::extract::AppPath;
use crate::AppState;
use crate::domain::push::{Status, push_key, verify};
use crate::domain::web_push;
use crate::error::ApiError;
use crate::flow::devices::to_device;
use crate::http::ClientAddr;
use crate::metrics::SignInResult;
use crate::store::{DeviceRow, Subscription};

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
    let device = signed_device(&app, Which::Active, &method, uri.path(), &headers, &[]).await?;
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
    let device = signed_device(&app, Which::Active, &method, uri.path(), &headers, &[]).await?;
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
    let device = signed_device(&app, Which::Active, &method, uri.path(), &headers, &body).await?;
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

/// `PUT /authenticator/key`: the phone app's own key, while the device
/// enrolls, signed with the secret of the QR code. From then on the
/// device's requests are signed with that key only.
pub async fn set_key(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let device =
        signed_device(&app, Which::Enrolling, &method, uri.path(), &headers, &body).await?;
    let request: DeviceKey = serde_json::from_slice(&body)
        .map_err(|e| ApiError::validation("public_key", e.to_string()))?;
    let key = web_push::device_key(&request.public_key).ok_or_else(|| {
        ApiError::validation("public_key", "not an uncompressed P-256 point, base64url")
    })?;
    // Signed with the secret, so it had no key: a second request racing
    // this one finds it has one now.
    if !app.store.set_device_key(device.id, &key).await? {
        return Err(ApiError::InvalidCredentials);
    }
    let username = app
        .store
        .username_of(device.user_id)
        .await?
        .unwrap_or_default();
    app.audit(&username, "device_key_added", &device.name, &client)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /authenticator/push-key`: the portal's public key for Web Push, to
/// subscribe with. Public, as the key is.
pub async fn push_key_of_portal(State(app): State<AppState>) -> Result<Json<WebPushKey>, ApiError> {
    Ok(Json(WebPushKey {
        public_key: app.web_push().await?.public_key(),
    }))
}

/// `PUT /authenticator/subscription`: where the device's phone is woken
/// from now on. Only a device with a key of its own: a phone app.
pub async fn subscribe(
    State(app): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<StatusCode, ApiError> {
    let device = signed_device(&app, Which::Any, &method, uri.path(), &headers, &body).await?;
    if device.public_key.is_none() {
        return Err(ApiError::Forbidden);
    }
    let request: WebPushSubscription = serde_json::from_slice(&body)
        .map_err(|e| ApiError::validation("endpoint", e.to_string()))?;
    let endpoint = web_push::endpoint(
        &request.endpoint,
        app.config.web_push_test_origin.as_deref(),
    )
    .map_err(|e| ApiError::validation("endpoint", e.to_string()))?;
    let (p256dh, auth) = web_push::subscription_keys(&request.keys.p256dh, &request.keys.auth)
        .map_err(|e| ApiError::validation("keys", e.to_string()))?;
    let subscription = Subscription {
        device_id: device.id,
        endpoint: endpoint.into(),
        p256dh,
        auth,
    };
    app.store
        .set_subscription(&subscription, app.clock.now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /authenticator/subscription`: wake this phone no more.
pub async fn unsubscribe(
    State(app): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<StatusCode, ApiError> {
    let device = signed_device(&app, Which::Any, &method, uri.path(), &headers, &[]).await?;
    app.store.delete_subscription(device.id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Which devices may sign a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    /// Activated ("Gereed"): all that answers sign-ins.
    Active,
    /// Still enrolling: giving its key.
    Enrolling,
    /// Either: where it is woken, which it may give before "Gereed".
    Any,
}

/// The device that signed this request. Anything off (a header missing, an
/// unknown device, a stale time, a bad signature, a nonce seen before, a
/// request signed before one already accepted) is `invalid_credentials`,
/// without saying which.
async fn signed_device(
    app: &AppState,
    which: Which,
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
    let device = match which {
        Which::Active => app.store.active_device(device_id).await?,
        Which::Enrolling => app.store.enrolling_device(device_id).await?,
        Which::Any => match app.store.active_device(device_id).await? {
            Some(device) => Some(device),
            None => app.store.enrolling_device(device_id).await?,
        },
    }
    .ok_or(ApiError::InvalidCredentials)?;
    let message = signed::message(method.as_str(), path, timestamp, nonce, body);
    let signed = match &device.public_key {
        Some(public_key) => web_push::verify_by_key(public_key, &message, signature),
        None => verify(&push_key(&app.open_secret(&device)?), &message, signature),
    };
    if !signed {
        return Err(ApiError::InvalidCredentials);
    }
    if !app
        .store
        .use_nonce(device.id, nonce, timestamp, now)
        .await?
    {
        return Err(ApiError::InvalidCredentials);
    }
    Ok(device)
}
