//! Extractors that turn every malformed request into the contract's error
//! envelope, and the session cookie.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::AppState;
use crate::config::{Config, ForwardingHeader};
use crate::domain::network::{UNKNOWN_CLIENT, client_address, forwarded_for, x_forwarded_for};
use crate::domain::sign_in::{Level, Session, SessionToken};
use crate::error::ApiError;

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

/// The client's address: the socket peer, or, when the peer is a trusted
/// proxy, the right-most untrusted hop of the forwarding header the
/// configuration names; [`UNKNOWN_CLIENT`] when that header names none.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Infallible> {
        let Some(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
        else {
            return Ok(Self(UNKNOWN_CLIENT.to_owned()));
        };
        let values = parts
            .headers
            .get_all(app.config.client_address_header.name())
            .iter()
            .map(HeaderValue::as_bytes);
        let hops: Vec<&[u8]> = match app.config.client_address_header {
            ForwardingHeader::XForwardedFor => values.flat_map(x_forwarded_for).collect(),
            ForwardingHeader::Forwarded => values.flat_map(forwarded_for).collect(),
        };
        let client = client_address(peer, &hops, &app.config.trusted_proxies);
        Ok(Self(client.map_or_else(
            || UNKNOWN_CLIENT.to_owned(),
            |address| address.to_string(),
        )))
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

/// The live session of a request with `headers`; a missing, unknown or
/// timed-out one is `session_expired`. A use counts as activity for the
/// idle time-out; it is written down once a minute at most.
pub async fn current_session(app: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    let token = session_token(headers, &app.config).ok_or(ApiError::SessionExpired)?;
    let hash = token.hash();
    let now = app.clock.now();
    let (idle, absolute) = (
        app.config.session_idle_timeout_s,
        app.config.session_absolute_timeout_s,
    );
    if let Some((username, started)) = token.open_identified(&app.cipher) {
        let session = Session {
            id_hash: hash,
            username,
            user_id: None,
            level: Level::Identified,
            created_at: started,
            last_seen_at: started,
            display_name: None,
        };
        if session.is_expired(now, idle, absolute) {
            return Err(ApiError::SessionExpired);
        }
        return Ok(session);
    }
    let session = app
        .store
        .find_session(&hash)
        .await?
        .ok_or(ApiError::SessionExpired)?;
    if session.is_expired(now, idle, absolute) {
        app.store.delete_session(&hash).await?;
        return Err(ApiError::SessionExpired);
    }
    if session.needs_last_seen(now) {
        app.store.touch_session(&hash, now).await?;
    }
    Ok(session)
}

/// The session token in the request's cookies, if any.
pub fn session_token(headers: &HeaderMap, config: &Config) -> Option<SessionToken> {
    cookie(headers, config.session_cookie_name()).map(SessionToken::from_cookie)
}

/// The value of the request's cookie `name`, if it has one.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value)
}

/// `Set-Cookie` for `token`: only over HTTP(S), never to script. `Lax`: a
/// link from another site (mail, chat) arrives signed in, while another
/// site's requests that change state carry no session (and are refused by
/// the cross-site check besides).
pub fn set_session_cookie(token: &SessionToken, config: &Config) -> HeaderValue {
    session_cookie(token.expose(), "", config)
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(config: &Config) -> HeaderValue {
    session_cookie("", "; Max-Age=0", config)
}

fn session_cookie(value: &str, extra: &str, config: &Config) -> HeaderValue {
    let name = config.session_cookie_name();
    let secure = if config.cookie_secure() {
        "; Secure"
    } else {
        ""
    };
    let domain = config
        .cookie_domain
        .as_deref()
        .map(|domain| format!("; Domain={domain}"))
        .unwrap_or_default();
    let text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{domain}{extra}{secure}");
    // Tokens are URL-safe base64, so the value is always a valid header.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_session_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; aanmelden_session=tok; b=2"),
        );
        let config = Config::default();
        assert_eq!(session_token(&headers, &config).unwrap().expose(), "tok");
        assert!(session_token(&HeaderMap::new(), &config).is_none());
    }

    #[test]
    fn a_secure_cookie_is_only_read_under_its_prefixed_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("aanmelden_session=planted; __Host-aanmelden_session=tok"),
        );
        let config = Config {
            secure_cookie: Some(true),
            ..Config::default()
        };
        assert_eq!(session_token(&headers, &config).unwrap().expose(), "tok");
    }

    #[test]
    fn cookies_are_http_only_and_lax() {
        let secure = Config {
            secure_cookie: Some(true),
            ..Config::default()
        };
        let value = set_session_cookie(&SessionToken::from_cookie("abc"), &secure);
        assert_eq!(
            value.to_str().unwrap(),
            "__Host-aanmelden_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        let cleared = clear_session_cookie(&Config::default());
        assert_eq!(
            cleared.to_str().unwrap(),
            "aanmelden_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
    }
}
