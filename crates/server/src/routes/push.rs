//! The browser's side of push: start a challenge after a right password,
//! and wait for the answer given in the app.

use std::time::Duration;

use aanmelden_api::{PushChallenge, PushOutcome, PushStatus, Step};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::extract::{AppPath, ClientAddr, CurrentSession};
use super::login::step_up;
use crate::AppState;
use crate::domain::push::{Challenge, Status, new_id, new_number};
use crate::domain::sign_in::Level;
use crate::error::ApiError;
use crate::store::ChallengeLimits;
use crate::waits::Refused;

/// How often a waiting browser looks in the database, for answers given
/// through another server instance (answers given here wake it at once).
const LOOK_AGAIN: Duration = Duration::from_millis(250);

/// `POST /login/push`: a new challenge for this session; an earlier one
/// that is still open is voided ("Opnieuw versturen").
pub async fn start(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    headers: HeaderMap,
) -> Result<Json<PushChallenge>, ApiError> {
    let (Level::SecondFactor, Some(user_id)) = (session.level, session.user_id) else {
        return Err(ApiError::Forbidden);
    };
    app.refuse_if_locked(&session.username, &client).await?;
    if app.store.active_devices(user_id).await?.is_empty() {
        return Err(ApiError::Forbidden);
    }
    let now = app.clock.now();
    app.store.void_challenges(&session.id_hash, now).await?;
    let challenge = Challenge {
        id: new_id(),
        user_id,
        username: session.username.clone(),
        session_hash: session.id_hash.clone(),
        number: new_number(),
        client: client.clone(),
        browser: browser_of(&headers),
        created_at: now,
        expires_at: now + app.config.push_timeout_s,
        status: Status::Pending,
    };
    let limits = ChallengeLimits {
        open: app.config.push_max_open,
        recent: app.config.push_max_per_window,
        since: now - app.config.lockout_window_s,
    };
    if !app.store.insert_challenge(&challenge, limits).await? {
        return Err(ApiError::RateLimited {
            retry_after_s: u64::try_from(app.config.push_timeout_s).unwrap_or(30),
        });
    }
    app.audit(&session.username, "push_created", "", &client)
        .await?;
    Ok(Json(PushChallenge {
        id: challenge.id,
        number: challenge.number,
        expires_in_s: u64::try_from(app.config.push_timeout_s).unwrap_or(0),
    }))
}

/// `GET /login/push/{id}`: the answer, as soon as there is one; `pending`
/// after a while without one, and the browser asks again.
pub async fn wait(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppPath(id): AppPath<String>,
) -> Result<Response, ApiError> {
    let _wait = app
        .push_waits
        .enter(
            &session.id_hash,
            app.config.push_max_waits,
            app.config.push_max_waits_per_session,
        )
        .map_err(|refused| match refused {
            Refused::Full => ApiError::Busy { retry_after_s: 1 },
            Refused::Session => ApiError::RateLimited { retry_after_s: 1 },
        })?;
    let mut answers = app.push_answers.subscribe();
    let hold = tokio::time::Instant::now() + Duration::from_secs(app.config.push_wait_s);
    loop {
        let challenge = app
            .store
            .find_challenge(&id)
            .await?
            .filter(|c| c.session_hash == session.id_hash)
            .ok_or(ApiError::NotFound)?;
        let now = app.clock.now();
        match challenge.status_at(now) {
            Status::Approved => {
                let user_id = session.user_id.ok_or(ApiError::Forbidden)?;
                app.signed_in_from(&session.username, &client).await?;
                let stepped = step_up(&app, &session, user_id, Level::Done).await?;
                return Ok(with_outcome(stepped));
            }
            Status::Denied => return Err(ApiError::PushDenied),
            Status::Voided => return Err(ApiError::PushExpired),
            Status::Expired => {
                if app.store.expire_challenge(&id, now).await? {
                    app.audit(&session.username, "push_expired", "", &client)
                        .await?;
                }
                return Err(ApiError::PushExpired);
            }
            Status::Pending if tokio::time::Instant::now() >= hold => {
                return Ok(Json(PushOutcome {
                    status: PushStatus::Pending,
                    next: None,
                })
                .into_response());
            }
            Status::Pending => {
                let _ = tokio::time::timeout(LOOK_AGAIN, answers.recv()).await;
            }
        }
    }
}

/// Longest browser description kept.
const MAX_BROWSER_CHARS: usize = 200;

/// The browser as it describes itself, for the authenticator to show.
fn browser_of(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_BROWSER_CHARS)
        .collect()
}

/// The step-up response (new session cookie) with an `approved` body.
fn with_outcome(stepped: Response) -> Response {
    let (parts, _) = stepped.into_parts();
    let body = Json(PushOutcome {
        status: PushStatus::Approved,
        next: Some(Step::Done),
    });
    (parts, body).into_response()
}
