//! The address to return to after sign-in (`rd`), kept in a cookie from
//! the moment the browser arrives with it until it is used, so that it
//! survives every step (also a first registration and push), in the app as
//! on the plain pages.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::extract::cookie;
use crate::config::Config;

const NAME: &str = "aanmelden_return";

/// The cookie that keeps `url` (an address [`Config::allowed_return`]
/// allowed) for as long as a sign-in may stay idle.
pub fn keep(config: &Config, url: &str) -> HeaderValue {
    let value = URL_SAFE_NO_PAD.encode(url);
    header(config, &value, config.session_idle_timeout_s)
}

/// The cookie that forgets the address.
pub fn forget(config: &Config) -> HeaderValue {
    header(config, "", 0)
}

/// The address kept, if it is (still) allowed.
pub fn kept(headers: &HeaderMap, config: &Config) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cookie(headers, NAME)?).ok()?;
    config.allowed_return(&String::from_utf8(bytes).ok()?)
}

fn header(config: &Config, value: &str, max_age_s: i64) -> HeaderValue {
    let secure = if config.cookie_secure() {
        "; Secure"
    } else {
        ""
    };
    let text =
        format!("{NAME}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Lax{secure}");
    // Base64 of URL-safe characters: always a valid header.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}
