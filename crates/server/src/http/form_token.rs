//! The plain forms' token: a form post is taken only with the token of a
//! page the portal showed this browser.
//!
//! Browsers say where a request comes from (`Sec-Fetch-Site`, `Origin`:
//! see [`super::is_cross_site`]), but the old ones of kiosks and thin
//! clients say neither. Another site can make such a browser post a form,
//! yet never read the portal's pages or cookies. So each browser gets a
//! random form key in a cookie, and each form carries a token made from
//! that key with a key of the server's own (double submit, signed). The
//! cookie is forgotten when a session ends, so the next sign-in has a key
//! of its own.
//!
//! Pages are compressed, so a page carries its token masked with random
//! bytes of its own (as BREACH is answered): no two pages carry the same
//! bytes for it, and a page that text from elsewhere ends up in tells
//! nothing of it by its size.

use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;
use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use super::cookie;
use crate::config::Config;
use crate::domain::secrets::{Cipher, FORM_TOKEN_LEN};

/// The name of the forms' hidden field.
pub const FIELD: &str = "form_token";

/// The cookie with the browser's form key.
const COOKIE: &str = "aanmelden_form";

/// A form key's random bytes.
const KEY_LEN: usize = 16;

/// The length of a key in its cookie: base64 of [`KEY_LEN`] bytes.
const KEY_TEXT_LEN: usize = (KEY_LEN * 4).div_ceil(3);

/// A browser's form key: the one its cookie has, or a new one to give it.
pub struct BrowserKey {
    value: String,
    is_new: bool,
}

impl BrowserKey {
    /// The key of the browser that sent `headers`; a new one where it has
    /// none (or one the server did not make the way it makes them).
    pub fn of(headers: &HeaderMap, config: &Config) -> Self {
        if let Some(value) = cookie(headers, &config.cookie_name(COOKIE)).filter(|v| is_key(v)) {
            return Self {
                value: value.to_owned(),
                is_new: false,
            };
        }
        let mut bytes = [0; KEY_LEN];
        OsRng.fill_bytes(&mut bytes);
        Self {
            value: URL_SAFE_NO_PAD.encode(bytes),
            is_new: true,
        }
    }

    /// `Set-Cookie` for a new key; none for the one the browser has. For
    /// the browser's session only, never to script; `Lax`, so that a page
    /// reached by a link from another site keeps the key its other pages
    /// were made with.
    pub fn cookie(&self, config: &Config) -> Option<HeaderValue> {
        self.is_new.then(|| header(config, &self.value, ""))
    }

    /// The token for a page's forms, masked afresh: random bytes, then the
    /// token XOR those bytes, in base64.
    pub fn masked_token(&self, cipher: &Cipher) -> String {
        let token = cipher.form_token(self.value.as_bytes());
        let mut masked = [0; 2 * FORM_TOKEN_LEN];
        let (mask, hidden) = masked.split_at_mut(FORM_TOKEN_LEN);
        OsRng.fill_bytes(mask);
        for ((hidden, mask), token) in hidden.iter_mut().zip(mask.iter()).zip(token) {
            *hidden = mask ^ token;
        }
        URL_SAFE_NO_PAD.encode(masked)
    }
}

/// Whether `field`, a form's masked token, was made for the form key of
/// the browser that sent `headers`.
pub fn is_valid(headers: &HeaderMap, config: &Config, cipher: &Cipher, field: &str) -> bool {
    let Some(key) = cookie(headers, &config.cookie_name(COOKIE)).filter(|value| is_key(value))
    else {
        return false;
    };
    let Ok(masked) = URL_SAFE_NO_PAD.decode(field) else {
        return false;
    };
    if masked.len() != 2 * FORM_TOKEN_LEN {
        return false;
    }
    let (mask, hidden) = masked.split_at(FORM_TOKEN_LEN);
    let sent: Vec<u8> = mask.iter().zip(hidden).map(|(m, h)| m ^ h).collect();
    cipher
        .form_token(key.as_bytes())
        .as_slice()
        .ct_eq(&sent)
        .into()
}

/// `Set-Cookie` that forgets the browser's form key (its session ended):
/// the next page gives it a new one.
pub fn forget(config: &Config) -> HeaderValue {
    header(config, "", "; Max-Age=0")
}

fn is_key(value: &str) -> bool {
    value.len() == KEY_TEXT_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn header(config: &Config, value: &str, extra: &str) -> HeaderValue {
    let text = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax{extra}{}",
        config.cookie_name(COOKIE),
        config.secure_attribute()
    );
    // Base64 of URL-safe characters: always a valid header.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::secrets::SecretString;
    use axum::http::header;

    fn cipher() -> Cipher {
        Cipher::from_base64(&SecretString::new(BASE64_KEY.to_owned())).unwrap()
    }

    const BASE64_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    /// Request headers with the cookie that `key` sets.
    fn sent_back(key: &BrowserKey, config: &Config) -> HeaderMap {
        let set = key.cookie(config).unwrap();
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(&pair).unwrap());
        headers
    }

    #[test]
    fn a_page_token_is_valid_for_its_browser_only() {
        let config = Config::default();
        let cipher = cipher();
        let mine = BrowserKey::of(&HeaderMap::new(), &config);
        let theirs = BrowserKey::of(&HeaderMap::new(), &config);
        let my_headers = sent_back(&mine, &config);

        assert!(is_valid(
            &my_headers,
            &config,
            &cipher,
            &mine.masked_token(&cipher)
        ));
        assert!(!is_valid(
            &my_headers,
            &config,
            &cipher,
            &theirs.masked_token(&cipher)
        ));
        assert!(!is_valid(
            &HeaderMap::new(),
            &config,
            &cipher,
            &mine.masked_token(&cipher)
        ));
        assert!(!is_valid(&my_headers, &config, &cipher, ""));
        assert!(!is_valid(&my_headers, &config, &cipher, "AAAA"));
    }

    #[test]
    fn each_page_masks_the_token_anew() {
        let config = Config::default();
        let cipher = cipher();
        let key = BrowserKey::of(&HeaderMap::new(), &config);
        let headers = sent_back(&key, &config);

        let first = key.masked_token(&cipher);
        let second = key.masked_token(&cipher);

        assert_ne!(first, second);
        assert_eq!(first.len(), second.len());
        assert!(is_valid(&headers, &config, &cipher, &first));
        assert!(is_valid(&headers, &config, &cipher, &second));
    }

    #[test]
    fn a_key_the_browser_has_is_kept_and_a_made_up_one_replaced() {
        let config = Config::default();
        let key = BrowserKey::of(&HeaderMap::new(), &config);
        let headers = sent_back(&key, &config);

        let again = BrowserKey::of(&headers, &config);
        assert!(again.cookie(&config).is_none());
        assert_eq!(again.value, key.value);

        let mut made_up = HeaderMap::new();
        made_up.insert(
            header::COOKIE,
            HeaderValue::from_static("aanmelden_form=known"),
        );
        assert!(BrowserKey::of(&made_up, &config).cookie(&config).is_some());
    }

    #[test]
    fn the_key_text_is_as_long_as_base64_of_its_bytes() {
        assert_eq!(KEY_TEXT_LEN, URL_SAFE_NO_PAD.encode([0; KEY_LEN]).len());
    }
}
