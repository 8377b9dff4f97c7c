//! "Je bent afgemeld.", after "Afmelden" in the user menu.

use aanmelden_i18n::Key;
use axum::extract::State;
use axum::http::{HeaderMap, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::{Frame, LOGGED_OFF_PATH, return_parameter};
use crate::AppState;
use crate::http::{ClientAddr, clear_session_cookie, form_token, session_token};

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
    log_off_to(&app, &client, &headers, LOGGED_OFF_PATH).await
}

/// `GET /afmelden?rd=…`: an application's "log off" link. The session ends
/// and the browser goes back to `rd` when it is allowed (as after sign-in),
/// else to the logged-off page. The applications are on the portal's site
/// (they share its cookie); a link on another site, which the session
/// cookie goes along with (`SameSite=Lax`), ends nothing and leads to the
/// start page.
pub async fn leave(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if crate::http::is_from_another_site(&headers) {
        return Redirect::to("/").into_response();
    }
    let back = uri
        .query()
        .and_then(return_parameter)
        .and_then(|rd| app.config.allowed_return(&rd));
    log_off_to(
        &app,
        &client,
        &headers,
        back.as_deref().unwrap_or(LOGGED_OFF_PATH),
    )
    .await
}

async fn log_off_to(app: &AppState, client: &str, headers: &HeaderMap, to: &str) -> Response {
    let token = session_token(headers, &app.config);
    if let Err(error) = app.log_off(token.as_ref(), client).await {
        // The session still ends by its time-out; the user is told they are off.
        tracing::warn!(%error, "could not end a session on logging off");
    }
    let mut response = Redirect::to(to).into_response();
    let set = response.headers_mut();
    set.append(header::SET_COOKIE, clear_session_cookie(&app.config));
    // The next sign-in's pages get a form key of their own.
    set.append(header::SET_COOKIE, form_token::forget(&app.config));
    response
}
