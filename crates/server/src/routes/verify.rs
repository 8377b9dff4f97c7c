//! `GET /auth/verify`: a reverse proxy in front of an application asks,
//! for every request, whether the browser has signed in. Yes: 200 with who
//! it is, in headers the proxy passes on (`Remote-User`; `Remote-Email`
//! where the user name is an e-mail address; `Remote-Name` where a full
//! name is set; `Remote-Groups`, the directory groups). No: 401 (nginx
//! `auth_request` then sends the browser to the portal itself), or, when
//! the proxy asks for it with `?redirect=1` and says which address was
//! asked for (Caddy `forward_auth`, Traefik `ForwardAuth`), a redirect to
//! the portal with that address in `rd`. Signed in, but the application
//! is open to groups the user is not in: 403, or with `?redirect=1` a
//! redirect to the portal's "no access" page. No password hash, one
//! indexed read (the session, joined with its user for the full name and
//! the groups).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::AppState;
use crate::domain::sign_in::{Level, Session};
use crate::domain::totp::percent_encode;
use crate::http::gate_session;
use crate::metrics::VerifyResult;
use crate::plain;

/// Who signed in, for the application.
pub const REMOTE_USER: HeaderName = HeaderName::from_static("remote-user");
/// The user's e-mail address, where the user name is one.
pub const REMOTE_EMAIL: HeaderName = HeaderName::from_static("remote-email");
/// The user's full name, where the administrator set one.
pub const REMOTE_NAME: HeaderName = HeaderName::from_static("remote-name");
/// The user's directory groups, comma-separated.
pub const REMOTE_GROUPS: HeaderName = HeaderName::from_static("remote-groups");

/// Whether the log has said that a request came without its address.
static UNADDRESSED_TOLD: AtomicBool = AtomicBool::new(false);

#[derive(Debug, Default, Deserialize)]
pub struct VerifyQuery {
    /// Answer "not signed in" with a redirect to the portal, not 401.
    #[serde(default)]
    redirect: Option<String>,
}

pub async fn verify(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(query): Query<VerifyQuery>,
    headers: HeaderMap,
) -> Response {
    let session = gate_session(&app, &headers)
        .await
        .ok()
        .filter(|session| session.level == Level::Done);
    // Only a trusted proxy's word on the address asked for counts.
    let asked_for = app
        .config
        .trusted_proxies
        .contains(peer.ip())
        .then(|| original_url(&headers))
        .flatten();
    if let Some(session) = session {
        if !app.config.may_open(asked_for.as_deref(), &session.groups) {
            app.metrics.verified(VerifyResult::Forbidden);
            // Once: the gate is asked about every request.
            if asked_for.is_none() && !UNADDRESSED_TOLD.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "the gate was asked about an application without its address: applications \
                     have groups, so the address must come from a trusted proxy (said once)"
                );
            }
            return match asked_for.filter(|_| query.redirect.is_some()) {
                Some(url) => {
                    let page = format!(
                        "{}{}?app={}",
                        app.config.public_url(),
                        plain::NO_ACCESS_PATH,
                        percent_encode(&url)
                    );
                    (StatusCode::FOUND, [(header::LOCATION, page)]).into_response()
                }
                None => StatusCode::FORBIDDEN.into_response(),
            };
        }
        app.metrics.verified(VerifyResult::Allowed);
        return signed_in(&session);
    }
    if let Some(url) = asked_for.filter(|_| query.redirect.is_some()) {
        app.metrics.verified(VerifyResult::Redirected);
        let portal = format!("{}/?rd={}", app.config.public_url(), percent_encode(&url));
        return (StatusCode::FOUND, [(header::LOCATION, portal)]).into_response();
    }
    app.metrics.verified(VerifyResult::Denied);
    StatusCode::UNAUTHORIZED.into_response()
}

/// 200, with who signed in in the headers the application reads.
fn signed_in(session: &Session) -> Response {
    let mut response = StatusCode::OK.into_response();
    // Each of them, empty where unknown: a proxy that copies them onto the
    // application's request then replaces what the browser sent under
    // these names (Caddy 2.6 would otherwise leave a placeholder's text
    // there). As bytes: a name may hold letters beyond ASCII.
    let empty = HeaderValue::from_static("");
    let user = HeaderValue::from_bytes(session.username.as_bytes()).unwrap_or(empty.clone());
    let email = match &session.email {
        Some(email) => HeaderValue::from_bytes(email.as_bytes()).unwrap_or(empty.clone()),
        None if session.username.contains('@') => user.clone(),
        None => empty.clone(),
    };
    let name = session
        .display_name
        .as_deref()
        .and_then(|name| HeaderValue::from_bytes(name.as_bytes()).ok())
        .unwrap_or(empty.clone());
    // A group name with a comma in it would read as two: left out.
    let groups: Vec<&str> = session
        .groups
        .iter()
        .map(String::as_str)
        .filter(|group| !group.contains(','))
        .collect();
    let groups = HeaderValue::from_bytes(groups.join(",").as_bytes()).unwrap_or(empty);
    let headers = response.headers_mut();
    headers.insert(REMOTE_USER, user);
    headers.insert(REMOTE_EMAIL, email);
    headers.insert(REMOTE_NAME, name);
    headers.insert(REMOTE_GROUPS, groups);
    response
}

/// The address the browser asked the proxy for: `X-Original-URL`, or put
/// together from `X-Forwarded-Proto`, `-Host` and `-Uri`.
fn original_url(headers: &HeaderMap) -> Option<String> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
    };
    if let Some(url) = text("x-original-url") {
        return Some(url.to_owned());
    }
    let proto = text("x-forwarded-proto")?;
    let host = text("x-forwarded-host")?;
    let uri = text("x-forwarded-uri").unwrap_or("/");
    Some(format!("{proto}://{host}{uri}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routes::tests::headers;

    #[test]
    fn the_original_address_comes_from_the_proxys_headers() {
        assert_eq!(original_url(&headers(&[])), None);
        assert_eq!(
            original_url(&headers(&[
                ("x-forwarded-proto", "https"),
                ("x-forwarded-host", "mail.example.nl"),
                ("x-forwarded-uri", "/inbox?id=3"),
            ])),
            Some("https://mail.example.nl/inbox?id=3".to_owned())
        );
        assert_eq!(
            original_url(&headers(&[
                ("x-original-url", "https://wiki.example.nl/"),
                ("x-forwarded-proto", "http"),
            ])),
            Some("https://wiki.example.nl/".to_owned())
        );
        assert_eq!(
            original_url(&headers(&[("x-forwarded-host", "mail.example.nl")])),
            None
        );
    }
}
