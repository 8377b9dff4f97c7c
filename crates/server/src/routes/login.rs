//! The sign-in steps: identify, password, one-time password; the session;
//! logging off.

use aanmelden_api::{
    CodeRequest, IdentifyRequest, PasswordRequest, ReturnTo, SessionInfo, StepResponse,
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::{AppJson, CurrentSession};
use crate::AppState;
use crate::domain::secrets::SecretString;
use crate::domain::sign_in::Level;
use crate::error::ApiError;
use crate::flow::Stepped;
use crate::http::return_cookie;
use crate::http::{
    ClientAddr, clear_session_cookie, form_token, session_token, set_session_cookie,
};

/// `POST /login/identify`: the same answer for every user name, known or not.
pub async fn identify(
    State(app): State<AppState>,
    headers: HeaderMap,
    AppJson(request): AppJson<IdentifyRequest>,
) -> Result<Response, ApiError> {
    let old = session_token(&headers, &app.config);
    let stepped = app.identify(old.as_ref(), &request.username).await?;
    Ok(next_step(&app, &stepped))
}

/// `POST /login/password`: check the password (and a code typed with it).
pub async fn password(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppJson(request): AppJson<PasswordRequest>,
) -> Result<Response, ApiError> {
    let password = SecretString::new(request.password);
    let stepped = app
        .check_password(&session, &client, &password, request.otp.as_deref())
        .await?;
    Ok(next_step(&app, &stepped))
}

/// `POST /login/otp`: the second factor, after a right password.
pub async fn otp(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppJson(request): AppJson<CodeRequest>,
) -> Result<Response, ApiError> {
    let stepped = app.check_code(&session, &client, &request.code).await?;
    Ok(next_step(&app, &stepped))
}

/// `POST /login/recovery`: a recovery code instead of the second factor;
/// the session is then signed in, to register the new phone.
pub async fn recovery(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppJson(request): AppJson<CodeRequest>,
) -> Result<Response, ApiError> {
    let stepped = app
        .sign_in_with_recovery_code(&session, &client, &request.code)
        .await?;
    Ok(next_step(&app, &stepped))
}

/// `POST /login/pass`: a helpdesk pass, after a right password; the
/// session may then register a device, and nothing more.
pub async fn pass(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppJson(request): AppJson<CodeRequest>,
) -> Result<Response, ApiError> {
    let stepped = app
        .sign_in_with_pass(&session, &client, &request.code)
        .await?;
    Ok(next_step(&app, &stepped))
}

/// `POST /login/confirm`: a code from the app again, before adding a
/// device to an account signed in a while ago.
pub async fn confirm(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppJson(request): AppJson<CodeRequest>,
) -> Result<Response, ApiError> {
    let stepped = app
        .confirm_second_factor(&session, &client, &request.code)
        .await?;
    Ok(next_step(&app, &stepped))
}

/// `GET /session`: who is signed in, and how far; once signed in, the
/// applications the user may open.
pub async fn session(
    State(app): State<AppState>,
    CurrentSession(session): CurrentSession,
) -> Json<SessionInfo> {
    let applications = if session.level == Level::Done {
        app.config.applications_for(&session.groups)
    } else {
        Vec::new()
    };
    Json(SessionInfo {
        username: session.username,
        step: session.level.step(),
        applications,
    })
}

/// `POST /return`: the address an application asked to return to, for a
/// session that passed both factors; it is given once.
pub async fn take_return(
    State(app): State<AppState>,
    CurrentSession(session): CurrentSession,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if session.level != Level::Done {
        return Err(ApiError::Forbidden);
    }
    let url = return_cookie::kept(&headers, &app.config);
    Ok((
        [(header::SET_COOKIE, return_cookie::forget(&app.config))],
        Json(ReturnTo { url }),
    )
        .into_response())
}

/// `POST /logout`: the session ends on the server; always succeeds.
pub async fn logout(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    app.log_off(session_token(&headers, &app.config).as_ref(), &client)
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let set = response.headers_mut();
    set.append(header::SET_COOKIE, clear_session_cookie(&app.config));
    // The plain pages of the next sign-in get a form key of their own.
    set.append(header::SET_COOKIE, form_token::forget(&app.config));
    Ok(response)
}

/// The new session cookie and the step it leads to.
pub(super) fn next_step(app: &AppState, stepped: &Stepped) -> Response {
    (
        [(
            header::SET_COOKIE,
            set_session_cookie(&stepped.token, &app.config),
        )],
        Json(StepResponse {
            next: stepped.level.step(),
        }),
    )
        .into_response()
}
