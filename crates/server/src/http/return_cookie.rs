//! The address to return to after sign-in (`rd`), kept in a cookie from
//! the moment the browser arrives with it until it is used, so that it
//! survives every step (also a first registration and push), in the app as
//! on the plain pages.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::cookie;
use crate::config::Config;

const NAME: &str = "aanmelden_return";

/// The longest value kept or read: browsers drop a cookie past 4096 bytes,
/// and one this long already names an address of 1.5 KB.
const MAX_VALUE_LEN: usize = 2048;

/// The cookie that keeps `url` (an address [`Config::allowed_return`]
/// allowed) for as long as a sign-in may stay idle; for an address too long
/// to keep, the cookie that forgets any earlier one.
pub fn keep(config: &Config, url: &str) -> HeaderValue {
    let value = URL_SAFE_NO_PAD.encode(url);
    if value.len() > MAX_VALUE_LEN {
        tracing::warn!(
            length = url.len(),
            "did not keep a return address too long for a cookie"
        );
        return forget(config);
    }
    header(config, &value, config.session_idle_timeout_s)
}

/// The cookie that forgets the address.
pub fn forget(config: &Config) -> HeaderValue {
    header(config, "", 0)
}

/// The address kept, if it is (still) allowed.
pub fn kept(headers: &HeaderMap, config: &Config) -> Option<String> {
    let value = cookie(headers, &config.cookie_name(NAME))?;
    if value.len() > MAX_VALUE_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(value).ok()?;
    config.allowed_return(&String::from_utf8(bytes).ok()?)
}

fn header(config: &Config, value: &str, max_age_s: i64) -> HeaderValue {
    let name = config.cookie_name(NAME);
    let secure = config.secure_attribute();
    let text =
        format!("{name}={value}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Lax{secure}");
    // Base64 of URL-safe characters: always a valid header.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Application;
    use axum::http::header;

    fn https() -> Config {
        Config {
            public_url: Some("https://aanmelden.example.nl".to_owned()),
            applications: vec![Application {
                name: "Webmail".to_owned(),
                url: "https://mail.example.nl/".to_owned(),
                groups: Vec::new(),
            }],
            ..Config::default()
        }
    }

    fn sending(cookie: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        headers
    }

    #[test]
    fn under_https_the_address_is_kept_and_read_under_the_prefixed_name_only() {
        let config = https();
        let set = keep(&config, "https://mail.example.nl/inbox");
        let set = set.to_str().unwrap();
        assert!(set.starts_with("__Host-aanmelden_return="), "{set}");
        assert!(set.ends_with("; Secure"), "{set}");
        let value = set.split(';').next().unwrap().split_once('=').unwrap().1;

        assert_eq!(
            kept(
                &sending(&format!("__Host-aanmelden_return={value}")),
                &config
            )
            .as_deref(),
            Some("https://mail.example.nl/inbox")
        );
        assert_eq!(
            kept(&sending(&format!("aanmelden_return={value}")), &config),
            None
        );
    }

    #[test]
    fn an_address_too_long_is_neither_kept_nor_read() {
        let config = https();
        let long = format!("https://mail.example.nl/{}", "a".repeat(3000));

        let set = keep(&config, &long);

        assert!(set.to_str().unwrap().contains("Max-Age=0"));
        let value = URL_SAFE_NO_PAD.encode(&long);
        assert_eq!(
            kept(
                &sending(&format!("__Host-aanmelden_return={value}")),
                &config
            ),
            None
        );
    }
}
