//! The session cookie: reading it, setting and clearing it, and the live
//! session it names.

use axum::http::{HeaderMap, HeaderValue, header};

use crate::AppState;
use crate::config::Config;
use crate::domain::sign_in::{Level, Session, SessionToken};
use crate::error::ApiError;

/// The live session of a request with `headers`; a missing, unknown or
/// timed-out one is `session_expired`. A use counts as activity for the
/// idle time-out; it is written down once a minute at most (a kiosk
/// session's at every use).
pub async fn current_session(app: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    live_session(app, headers, true).await
}

/// The live session of a request with `headers` that a reverse proxy
/// passes on to ask whether an application may be used. For a kiosk
/// session that is no activity: an application keeps asking while nobody
/// is at the terminal. Other sessions count it as [`current_session`] does.
pub async fn gate_session(app: &AppState, headers: &HeaderMap) -> Result<Session, ApiError> {
    live_session(app, headers, false).await
}

async fn live_session(
    app: &AppState,
    headers: &HeaderMap,
    in_use: bool,
) -> Result<Session, ApiError> {
    let token = session_token(headers, &app.config).ok_or(ApiError::SessionExpired)?;
    let hash = token.hash();
    let now = app.clock.now();
    if let Some((username, started)) = token.open_identified(&app.cipher) {
        let session = Session {
            id_hash: hash,
            username,
            user_id: None,
            level: Level::Identified,
            created_at: started,
            last_seen_at: started,
            display_name: None,
            email: None,
            groups: Vec::new(),
            second_factor_at: None,
            kiosk: false,
        };
        let (idle, absolute) = app.config.session_limits(session.kiosk, session.level);
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
    let (idle, absolute) = app.config.session_limits(session.kiosk, session.level);
    if session.is_expired(now, idle, absolute) {
        app.store.delete_session(&hash).await?;
        return Err(ApiError::SessionExpired);
    }
    if (in_use || !session.kiosk) && session.needs_last_seen(now) {
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
