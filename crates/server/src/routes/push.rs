//! The browser's side of push: start a challenge after a right password,
//! and wait for the answer given in the app.

use std::time::Duration;

use aanmelden_api::{PushChallenge, PushOutcome, PushStatus, Step};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

use super::extract::{AppPath, CurrentSession};
use super::login::next_step;
use crate::AppState;
use crate::error::ApiError;
use crate::flow::push::PushState;
use crate::http::ClientAddr;

#[derive(Debug, Default, serde::Deserialize)]
pub struct StartQuery {
    /// Go on with the session's open challenge, if it has one, instead of
    /// sending a new one: the app taking over a page that showed its number.
    #[serde(default)]
    resume: Option<String>,
}

/// `POST /login/push`: a new challenge for this session; an earlier one
/// that is still open is voided ("Opnieuw versturen"). With `?resume=1`
/// the open one, when there is one, with its number and the time it has
/// left.
pub async fn start(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    Query(query): Query<StartQuery>,
    headers: HeaderMap,
) -> Result<Json<PushChallenge>, ApiError> {
    let open = match query.resume {
        Some(_) => app.open_push(&session).await?,
        None => None,
    };
    let challenge = if let Some(challenge) = open {
        challenge
    } else {
        let browser = headers
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        app.send_push(&session, &client, browser).await?
    };
    Ok(Json(PushChallenge {
        id: challenge.id,
        number: challenge.number,
        expires_in_s: u64::try_from(challenge.expires_at - app.clock.now()).unwrap_or(0),
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
    let hold = Duration::from_secs(app.config.push_wait_s);
    Ok(
        match app.wait_for_push(&session, &client, &id, hold).await? {
            PushState::Approved(stepped) => {
                let (parts, _) = next_step(&app, &stepped).into_parts();
                let body = Json(PushOutcome {
                    status: PushStatus::Approved,
                    next: Some(Step::Done),
                });
                (parts, body).into_response()
            }
            PushState::Pending(_) => Json(PushOutcome {
                status: PushStatus::Pending,
                next: None,
            })
            .into_response(),
        },
    )
}
