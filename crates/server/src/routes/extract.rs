//! The JSON face's extractors: every malformed request becomes the
//! contract's error envelope, and a request without a live session
//! `session_expired`.

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;

use crate::AppState;
use crate::domain::sign_in::Session;
use crate::error::ApiError;
use crate::http::current_session;

/// `axum::Json`, but a bad body (syntax, types, size, content type) becomes
/// the error envelope instead of axum's plain text.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::TooLarge
        } else {
            Self::Validation {
                field: None,
                message: rejection.body_text(),
            }
        }
    }
}

/// `axum::extract::Path` with the error envelope.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct AppPath<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::Validation {
            field: None,
            message: rejection.body_text(),
        }
    }
}

/// The caller's live session; a missing, unknown or timed-out one is
/// `session_expired`. Each use counts as activity for the idle time-out.
pub struct CurrentSession(pub Session);

impl FromRequestParts<AppState> for CurrentSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        current_session(app, &parts.headers).await.map(Self)
    }
}
