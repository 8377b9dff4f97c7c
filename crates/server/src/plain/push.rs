//! "Bevestig op je telefoon": the number to type in the app and how long
//! the request is valid, in text. Without script the page cannot learn the
//! answer by itself, and a page that reloads itself every few seconds makes
//! a screen reader start over each time (WCAG 2.2.1, failure F41). So the
//! user chooses "Verder": that request waits for the phone's answer and
//! then shows where the sign-in stands, whether it was chosen before or
//! after approving.

use std::time::Duration;

use aanmelden_i18n::Key;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::{FORMS, Flash, FormSession, Frame, back_to, error, stepped_to};
use crate::AppState;
use crate::domain::sign_in::Session;
use crate::error::ApiError;
use crate::flow::Stepped;
use crate::flow::push::PushState;
use crate::http::ClientAddr;

/// What the screen shows.
pub enum Screen {
    /// Approved in the app: on to the signed-in page.
    Approved(Stepped),
    Show(View),
}

/// The push screen's state.
pub struct View {
    /// The number, while it waits.
    number: Option<u8>,
    seconds_left: i64,
    /// "Aanmelding geweigerd" or "Geen bevestiging ontvangen".
    outcome: Option<Key>,
    /// A challenge could not be sent (e.g. too many).
    failed: Option<ApiError>,
}

/// Where the session's challenge stands; a session that has none yet is
/// sent one (right after the password, or when it comes from the app).
pub async fn state(
    app: &AppState,
    session: &Session,
    client: &str,
    headers: &HeaderMap,
) -> Result<Screen, ApiError> {
    let challenge = match app.store.latest_challenge(&session.id_hash).await? {
        Some(challenge) => challenge,
        None => match app.send_push(session, client, &browser_of(headers)).await {
            Ok(challenge) => challenge,
            Err(failed @ (ApiError::RateLimited { .. } | ApiError::Locked { .. })) => {
                return Ok(Screen::Show(View {
                    number: None,
                    seconds_left: 0,
                    outcome: None,
                    failed: Some(failed),
                }));
            }
            Err(other) => return Err(other),
        },
    };
    let view = |outcome| View {
        number: None,
        seconds_left: 0,
        outcome: Some(outcome),
        failed: None,
    };
    Ok(match app.push_state(session, client, &challenge.id).await {
        Ok(PushState::Approved(stepped)) => Screen::Approved(stepped),
        Ok(PushState::Pending(challenge)) => Screen::Show(View {
            number: Some(challenge.number),
            seconds_left: (challenge.expires_at - app.clock.now()).max(0),
            outcome: None,
            failed: None,
        }),
        Err(ApiError::PushDenied) => Screen::Show(view(Key::PushDenied)),
        Err(ApiError::PushExpired) => Screen::Show(view(Key::PushTimeout)),
        Err(other) => return Err(other),
    })
}

/// The push screen.
pub fn page(frame: &Frame<'_>, view: &View, flash: Option<&Flash>) -> Markup {
    let failed = view
        .failed
        .as_ref()
        .map(|e| e.message(frame.lang))
        .or_else(|| flash.and_then(|f| f.error_text(frame.lang)));
    html! {
        section class="step push" {
            h1 { (frame.t(Key::PushHeading)) }
            p { (frame.t(Key::PushInstruction)) }
            @if let Some(number) = view.number {
                p class="push-hint" { (frame.t(Key::PushNumberHint)) }
                p id="push-number" class="push-number" { (number) }
                p id="push-countdown" class="hint" {
                    (Key::PushValidFor.fill(frame.lang, "seconds", &view.seconds_left.to_string()))
                }
                p id="push-continue-hint" { (frame.t(Key::PushContinueHint)) }
                form method="post" action={ (FORMS) "/push/wait" } {
                    (frame.form_token())
                    button type="submit" class="primary" id="push-continue" { (frame.t(Key::PushContinue)) }
                }
            }
            @if let Some(outcome) = view.outcome {
                p id="push-outcome" class="error" role="alert" { (frame.t(outcome)) }
            }
            (error(failed.as_deref()))
            @if view.number.is_none() {
                form method="post" action={ (FORMS) "/push" } {
                    (frame.form_token())
                    button type="submit" class="primary" id="push-resend" { (frame.t(Key::Resend)) }
                }
            }
            a id="show-otp" class="link" href=(super::otp::PATH) { (frame.t(Key::ShowOtp)) }
            (super::recovery::link(frame))
        }
    }
}

/// `POST /flow/push`: "Opnieuw versturen".
pub async fn resend(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    headers: HeaderMap,
) -> Response {
    match app
        .send_push(&session, &client, &browser_of(&headers))
        .await
    {
        Ok(_) => Redirect::to("/").into_response(),
        Err(failure) => back_to(&app, "/", &Flash::error(&failure, "")),
    }
}

/// `POST /flow/push/wait`: "Verder". Waits for the phone's answer, at
/// most until the request expires, then goes on: signed in, or back to the
/// push page, which shows an answer that came (denied, expired) or the
/// request still waiting.
pub async fn wait(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
) -> Response {
    match wait_for_answer(&app, &session, &client).await {
        Ok(Some(stepped)) => stepped_to(&app, &stepped, "/"),
        Ok(None) | Err(ApiError::PushDenied | ApiError::PushExpired) => {
            Redirect::to("/").into_response()
        }
        Err(failure) => back_to(&app, "/", &Flash::error(&failure, "")),
    }
}

/// The step an approval gave, or `None` for no answer (or no challenge).
async fn wait_for_answer(
    app: &AppState,
    session: &Session,
    client: &str,
) -> Result<Option<Stepped>, ApiError> {
    let Some(challenge) = app.store.latest_challenge(&session.id_hash).await? else {
        return Ok(None);
    };
    let left = u64::try_from(challenge.expires_at - app.clock.now()).unwrap_or(0);
    let hold = Duration::from_secs(left);
    Ok(
        match app
            .wait_for_push(session, client, &challenge.id, hold)
            .await?
        {
            PushState::Approved(stepped) => Some(stepped),
            PushState::Pending(_) => None,
        },
    )
}

fn browser_of(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
