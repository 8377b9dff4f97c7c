//! "Je bent afgemeld.", after "Afmelden" in the user menu.

use aanmelden_i18n::Key;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::{Frame, LOGGED_OFF_PATH};
use crate::AppState;
use crate::routes::extract::{ClientAddr, clear_session_cookie, session_token};

/// The logged-off page.
pub fn page(frame: &Frame<'_>) -> Markup {
    html! {
        section class="step logged-off" {
            p id="logged-off-message" class="success" role="status" { (frame.t(Key::LoggedOffMessage)) }
            a class="button primary" id="sign-in-again" href="/" { (frame.t(Key::SignInAgain)) }
        }
    }
}

/// `POST /flow/logout`: the session ends on the server; always succeeds.
pub async fn submit(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
) -> Response {
    let token = session_token(&headers, &app.config);
    if let Err(error) = app.log_off(token.as_ref(), &client).await {
        // The session still ends by its time-out; the user is told they are off.
        tracing::warn!(%error, "could not end a session on logging off");
    }
    (
        [(header::SET_COOKIE, clear_session_cookie(&app.config))],
        Redirect::to(LOGGED_OFF_PATH),
    )
        .into_response()
}
