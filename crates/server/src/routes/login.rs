//! The sign-in steps: identify, password, one-time password; the session;
//! logging off.

use aanmelden_api::{
    CodeRequest, IdentifyRequest, PasswordRequest, SessionInfo, Step, StepResponse,
};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::extract::{
    AppJson, ClientAddr, CurrentSession, clear_session_cookie, session_token, set_session_cookie,
};
use crate::AppState;
use crate::domain::secrets::SecretString;
use crate::domain::sign_in::{AfterPassword, Level, Session, SessionToken, after_password};
use crate::domain::{normalise_username, username_is_valid};
use crate::error::ApiError;
use crate::store::DeviceRow;

/// `POST /login/identify`: the same answer for every user name, known or not.
pub async fn identify(
    State(app): State<AppState>,
    headers: HeaderMap,
    AppJson(request): AppJson<IdentifyRequest>,
) -> Result<Response, ApiError> {
    let username = normalise_username(&request.username);
    if username.is_empty() {
        return Err(ApiError::validation("username", "enter a user name"));
    }
    if !username_is_valid(&username) {
        return Err(ApiError::validation(
            "username",
            "a user name cannot contain invisible or control characters",
        ));
    }
    if let Some(old) = session_token(&headers, &app.config) {
        app.store.delete_session(&old.hash()).await?;
    }
    // Kept in the cookie until the password is right: no row for anyone
    // who only types a name.
    let token = SessionToken::identified(&app.cipher, &username, app.clock.now());
    Ok(next_step(&app, &token, Step::Password))
}

/// `POST /login/password`: check the password (and a code typed with it).
pub async fn password(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppJson(request): AppJson<PasswordRequest>,
) -> Result<Response, ApiError> {
    if session.level != Level::Identified {
        return Err(ApiError::Forbidden);
    }
    let attempt = app.begin_attempt(&session.username, &client).await?;
    // A disabled user is checked like an unknown one.
    let user = app
        .store
        .find_user(&session.username)
        .await?
        .filter(|user| !user.disabled);
    let password = SecretString::new(request.password);
    let verified = app
        .passwords
        .verify(user.as_ref().map(|u| u.password_hash.as_str()), &password)
        .await;
    let right = match verified {
        Ok(right) => right,
        Err(busy) => {
            app.attempt_withdrawn(attempt).await?;
            return Err(busy.into());
        }
    };
    let Some(user) = user.filter(|_| right) else {
        app.audit(&session.username, "login_failed", "password", &client)
            .await?;
        app.attempt_failed(attempt).await?;
        return Err(ApiError::InvalidCredentials);
    };
    app.attempt_succeeded(attempt).await?;
    let devices = app.store.active_devices(user.id).await?;
    let code = request.otp.filter(|code| !code.trim().is_empty());
    match after_password(!devices.is_empty(), code.is_some()) {
        AfterPassword::RegisterDevice => {
            app.audit(&user.username, "password_ok", "register_device", &client)
                .await?;
            step_up(&app, &session, user.id, Level::RegisterDevice).await
        }
        AfterPassword::AskSecondFactor => {
            app.audit(&user.username, "password_ok", "second_factor", &client)
                .await?;
            step_up(&app, &session, user.id, Level::SecondFactor).await
        }
        AfterPassword::CheckCode => {
            let code = code.unwrap_or_default();
            sign_in_with_code(&app, &session, user.id, &devices, &code, &client).await
        }
    }
}

/// `POST /login/otp`: the second factor, after a right password.
pub async fn otp(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    CurrentSession(session): CurrentSession,
    AppJson(request): AppJson<CodeRequest>,
) -> Result<Response, ApiError> {
    let (Level::SecondFactor, Some(user_id)) = (session.level, session.user_id) else {
        return Err(ApiError::Forbidden);
    };
    let devices = app.store.active_devices(user_id).await?;
    sign_in_with_code(&app, &session, user_id, &devices, &request.code, &client).await
}

/// `GET /session`: who is signed in, and how far.
pub async fn session(CurrentSession(session): CurrentSession) -> Json<SessionInfo> {
    Json(SessionInfo {
        username: session.username,
        step: session.level.step(),
    })
}

/// `POST /logout`: the session ends on the server; always succeeds.
pub async fn logout(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = session_token(&headers, &app.config) {
        let hash = token.hash();
        if let Some(session) = app.store.find_session(&hash).await? {
            app.store.delete_session(&hash).await?;
            app.audit(&session.username, "logout", "", &client).await?;
        }
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, clear_session_cookie(&app.config))],
    )
        .into_response())
}

async fn sign_in_with_code(
    app: &AppState,
    session: &Session,
    user_id: i64,
    devices: &[DeviceRow],
    code: &str,
    client: &str,
) -> Result<Response, ApiError> {
    let attempt = app.begin_attempt(&session.username, client).await?;
    if let Some(device) = app.accept_code(devices, code).await? {
        app.attempt_succeeded(attempt).await?;
        app.audit(
            &session.username,
            "login_ok",
            &format!("otp:{}", device.name),
            client,
        )
        .await?;
        app.signed_in_from(&session.username, client).await?;
        step_up(app, session, user_id, Level::Done).await
    } else {
        app.audit(&session.username, "login_failed", "otp", client)
            .await?;
        app.attempt_failed(attempt).await?;
        Err(ApiError::InvalidOtp)
    }
}

/// Move the session to `level` under a new id, and answer with the step.
pub(super) async fn step_up(
    app: &AppState,
    session: &Session,
    user_id: i64,
    level: Level,
) -> Result<Response, ApiError> {
    let token = renew_session(app, session, user_id, level).await?;
    Ok(next_step(app, &token, level.step()))
}

/// Move the session to `level` under a new id (the old one stops working).
pub(super) async fn renew_session(
    app: &AppState,
    session: &Session,
    user_id: i64,
    level: Level,
) -> Result<SessionToken, ApiError> {
    let token = SessionToken::generate();
    let stepped = Session {
        id_hash: token.hash(),
        username: session.username.clone(),
        user_id: Some(user_id),
        level,
        created_at: session.created_at,
        last_seen_at: app.clock.now(),
    };
    if session.level == Level::Identified {
        app.store.insert_session(&stepped).await?;
    } else if !app
        .store
        .replace_session(&session.id_hash, &stepped)
        .await?
    {
        return Err(ApiError::SessionExpired);
    }
    Ok(token)
}

fn next_step(app: &AppState, token: &SessionToken, next: Step) -> Response {
    (
        [(header::SET_COOKIE, set_session_cookie(token, &app.config))],
        Json(StepResponse { next }),
    )
        .into_response()
}
