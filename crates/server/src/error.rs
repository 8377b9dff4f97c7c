//! The errors a request can end in, each becoming the one JSON envelope of
//! the contract with its stable code.

use aanmelden_api::{ErrorBody, ErrorCode, ErrorDetail};
use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::domain::passwords::PasswordError;
use crate::store::{AddDeviceError, StoreError};

/// Every way an API request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: wrong user name or password (also for an unknown user).
    #[error("incorrect user name or password")]
    InvalidCredentials,
    /// 401: wrong, expired or already used one-time password.
    #[error("incorrect one-time password")]
    InvalidOtp,
    /// 401: wrong or already used recovery code.
    #[error("incorrect recovery code")]
    InvalidRecoveryCode,
    /// 401: wrong, expired or already used helpdesk pass.
    #[error("incorrect helpdesk pass")]
    InvalidPass,
    /// 403: a first device needs a helpdesk pass.
    #[error("a first device needs a helpdesk pass")]
    PassRequired,
    /// 403: adding a device needs a recent second factor.
    #[error("confirm with a code from the app first")]
    ConfirmRequired,
    /// 429: too many failed passwords or codes for this account or address.
    #[error("too many failed attempts; try again later")]
    Locked { retry_after_s: u64 },
    /// 401: the sign-in was denied in the app, or a wrong number typed there.
    #[error("sign-in denied")]
    PushDenied,
    /// 401: the push challenge expired, or a newer one replaced it.
    #[error("sign-in not confirmed in time")]
    PushExpired,
    /// 409: the user has the maximum number of devices.
    #[error("device limit reached")]
    DeviceLimit,
    /// 409: the user has a device of this name.
    #[error("a device with this name exists")]
    NameTaken,
    /// 404: no such resource, or not the caller's.
    #[error("not found")]
    NotFound,
    /// 401: no session, or it timed out.
    #[error("no valid session; start again")]
    SessionExpired,
    /// 403: the session has not reached the step this needs, or the request
    /// came from another site.
    #[error("not allowed at this step")]
    Forbidden,
    /// 400: malformed request or a field that breaks a rule.
    #[error("{message}")]
    Validation {
        field: Option<&'static str>,
        message: String,
    },
    /// 413: the body is over the limit.
    #[error("request body too large")]
    TooLarge,
    /// 429: too many requests of this kind at once, from this client or
    /// for this account; try again after `retry_after_s`.
    #[error("too many requests; try again shortly")]
    RateLimited { retry_after_s: u64 },
    /// 503: the server is at a bound it keeps (the password-hash queue,
    /// open push waits); try again after `retry_after_s`.
    #[error("busy; try again shortly")]
    Busy { retry_after_s: u64 },
    /// 403: the directory refuses the account as it is (its password must
    /// be changed, has expired; it is locked, disabled or expired).
    #[error("the directory refuses the account: {0:?}")]
    AccountRefused(crate::directory::AccountState),
    /// 503: the database or the company directory cannot be reached.
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// 500: anything unexpected; logged, and the body says nothing more.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 400 for `field` with an English `message`.
    pub fn validation(field: &'static str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: Some(field),
            message: message.into(),
        }
    }

    pub(crate) fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials),
            Self::InvalidOtp => (StatusCode::UNAUTHORIZED, ErrorCode::InvalidOtp),
            Self::InvalidRecoveryCode => (StatusCode::UNAUTHORIZED, ErrorCode::InvalidRecoveryCode),
            Self::InvalidPass => (StatusCode::UNAUTHORIZED, ErrorCode::InvalidPass),
            Self::PassRequired => (StatusCode::FORBIDDEN, ErrorCode::PassRequired),
            Self::ConfirmRequired => (StatusCode::FORBIDDEN, ErrorCode::ConfirmRequired),
            Self::Locked { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::Locked),
            Self::PushDenied => (StatusCode::UNAUTHORIZED, ErrorCode::PushDenied),
            Self::PushExpired => (StatusCode::UNAUTHORIZED, ErrorCode::PushExpired),
            Self::DeviceLimit => (StatusCode::CONFLICT, ErrorCode::DeviceLimit),
            Self::NameTaken => (StatusCode::CONFLICT, ErrorCode::NameTaken),
            Self::NotFound => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            Self::SessionExpired => (StatusCode::UNAUTHORIZED, ErrorCode::SessionExpired),
            Self::Forbidden => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            Self::Validation { .. } => (StatusCode::BAD_REQUEST, ErrorCode::Validation),
            Self::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::Validation),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            Self::Busy { .. } | Self::Unavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable)
            }
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal),
            Self::AccountRefused(state) => (StatusCode::FORBIDDEN, state.code()),
        }
    }
}

impl ApiError {
    /// The contract's code of this error, the field it names and the
    /// seconds after which to try again, where it has them.
    pub fn parts(&self) -> (ErrorCode, Option<String>, Option<u64>) {
        let field = match self {
            Self::Validation { field, .. } => field.map(str::to_owned),
            _ => None,
        };
        let retry_after_s = match self {
            Self::Locked { retry_after_s }
            | Self::RateLimited { retry_after_s }
            | Self::Busy { retry_after_s } => Some(*retry_after_s),
            _ => None,
        };
        (self.status_and_code().1, field, retry_after_s)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        match &self {
            Self::Internal(e) => tracing::error!(error = ?e, "request failed"),
            Self::Unavailable(e) => tracing::warn!(error = %e, "a backend is unavailable"),
            _ => {}
        }
        let (_, field, retry_after_s) = self.parts();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
                retry_after_s,
                field,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(seconds) = retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Sqlx(
                e @ (sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed),
            ) => Self::Unavailable(e.into()),
            other => Self::Internal(other.into()),
        }
    }
}

impl From<PasswordError> for ApiError {
    fn from(error: PasswordError) -> Self {
        match error {
            PasswordError::Busy => Self::Busy { retry_after_s: 1 },
            other => Self::Internal(other.into()),
        }
    }
}

impl From<AddDeviceError> for ApiError {
    fn from(error: AddDeviceError) -> Self {
        match error {
            AddDeviceError::NameTaken => Self::NameTaken,
            AddDeviceError::Limit => Self::DeviceLimit,
            AddDeviceError::Store(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    async fn envelope(error: ApiError) -> (StatusCode, ErrorBody) {
        let response = error.into_response();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn each_error_maps_to_its_status_and_code() {
        let cases = [
            (
                ApiError::InvalidCredentials,
                401,
                ErrorCode::InvalidCredentials,
            ),
            (ApiError::InvalidOtp, 401, ErrorCode::InvalidOtp),
            (
                ApiError::InvalidRecoveryCode,
                401,
                ErrorCode::InvalidRecoveryCode,
            ),
            (ApiError::InvalidPass, 401, ErrorCode::InvalidPass),
            (ApiError::PassRequired, 403, ErrorCode::PassRequired),
            (ApiError::ConfirmRequired, 403, ErrorCode::ConfirmRequired),
            (
                ApiError::Locked { retry_after_s: 60 },
                429,
                ErrorCode::Locked,
            ),
            (ApiError::PushDenied, 401, ErrorCode::PushDenied),
            (ApiError::PushExpired, 401, ErrorCode::PushExpired),
            (ApiError::DeviceLimit, 409, ErrorCode::DeviceLimit),
            (ApiError::NameTaken, 409, ErrorCode::NameTaken),
            (ApiError::NotFound, 404, ErrorCode::NotFound),
            (ApiError::SessionExpired, 401, ErrorCode::SessionExpired),
            (ApiError::Forbidden, 403, ErrorCode::Forbidden),
            (
                ApiError::validation("name", "too long"),
                400,
                ErrorCode::Validation,
            ),
            (ApiError::TooLarge, 413, ErrorCode::Validation),
            (
                ApiError::RateLimited { retry_after_s: 1 },
                429,
                ErrorCode::RateLimited,
            ),
            (
                ApiError::Busy { retry_after_s: 1 },
                503,
                ErrorCode::Unavailable,
            ),
            (
                ApiError::Unavailable(anyhow::anyhow!("down")),
                503,
                ErrorCode::Unavailable,
            ),
            (
                ApiError::Internal(anyhow::anyhow!("boom")),
                500,
                ErrorCode::Internal,
            ),
        ];
        for (error, status, code) in cases {
            let (got_status, body) = envelope(error).await;
            assert_eq!(got_status.as_u16(), status);
            assert_eq!(body.error.code, code);
        }
    }

    #[tokio::test]
    async fn internal_errors_say_nothing_more() {
        let (_, body) = envelope(ApiError::Internal(anyhow::anyhow!("password=hunter2"))).await;
        assert_eq!(body.error.message, "internal error");
    }

    #[tokio::test]
    async fn locked_says_when_to_retry() {
        let response = ApiError::Locked { retry_after_s: 60 }.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "60");
        let (_, body) = envelope(ApiError::Locked { retry_after_s: 60 }).await;
        assert_eq!(body.error.retry_after_s, Some(60));
    }

    #[tokio::test]
    async fn bounds_say_when_to_retry() {
        for error in [
            ApiError::RateLimited { retry_after_s: 2 },
            ApiError::Busy { retry_after_s: 2 },
        ] {
            let response = error.into_response();
            assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        }
    }

    #[tokio::test]
    async fn validation_names_the_field() {
        let (_, body) = envelope(ApiError::validation("name", "empty")).await;
        assert_eq!(body.error.field.as_deref(), Some("name"));
    }
}
