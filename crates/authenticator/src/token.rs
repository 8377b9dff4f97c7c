//! A token read from an otpauth URI: the TOTP secret, and where present the
//! aanmelden server and device that push challenges come from.

use std::fmt;

use aanmelden_api::otpauth::{self, DEVICE_PARAMETER, SERVER_PARAMETER};
use serde::{Deserialize, Serialize};
use totp_rs::{Algorithm, Secret, TOTP};

/// One registered device, as this authenticator holds it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Who issued it (the organisation).
    pub issuer: String,
    /// The account, the user name.
    pub account: String,
    /// The TOTP secret, base32.
    secret: String,
    /// The device id at the aanmelden server, for push.
    pub device_id: Option<i64>,
    /// The aanmelden server, for push.
    pub server: Option<String>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field("secret", &"..")
            .field("device_id", &self.device_id)
            .field("server", &self.server)
            .finish()
    }
}

/// Why an otpauth URI was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UriError(pub String);

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UriError {}

impl Token {
    /// Read `otpauth://totp/Issuer:account?secret=…&issuer=…[&aanmelden_device=…&aanmelden_server=…]`.
    pub fn from_uri(uri: &str) -> Result<Self, UriError> {
        let totp = TOTP::from_url(uri).map_err(|e| UriError(format!("not a TOTP URI: {e}")))?;
        if totp.algorithm != Algorithm::SHA1 || totp.digits != 6 || totp.step != 30 {
            return Err(UriError(
                "only SHA1, 6 digits, 30 seconds is supported".into(),
            ));
        }
        let parameter = |name: &str| otpauth::parameter(uri, name);
        let device_id = match parameter(DEVICE_PARAMETER) {
            Some(id) => Some(
                id.parse()
                    .map_err(|_| UriError(format!("{DEVICE_PARAMETER} is not a number: {id}")))?,
            ),
            None => None,
        };
        Ok(Self {
            issuer: totp.issuer.clone().unwrap_or_default(),
            account: totp.account_name.clone(),
            secret: totp.get_secret_base32(),
            device_id,
            server: parameter(SERVER_PARAMETER).map(|s| s.trim_end_matches('/').to_owned()),
        })
    }

    /// The six-digit code at `time` (seconds since the epoch).
    pub fn code_at(&self, time: u64) -> String {
        TOTP::new_unchecked(
            Algorithm::SHA1,
            6,
            0,
            30,
            self.secret_bytes(),
            None,
            String::new(),
        )
        .generate(time)
    }

    /// The raw secret.
    pub fn secret_bytes(&self) -> Vec<u8> {
        Secret::Encoded(self.secret.clone())
            .to_bytes()
            .unwrap_or_default()
    }

    /// "Issuer: account", as `list` shows it and `code NAME` matches it.
    pub fn label(&self) -> String {
        if self.issuer.is_empty() {
            self.account.clone()
        } else {
            format!("{}: {}", self.issuer, self.account)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &str = "otpauth://totp/Missing%20Piece:jan%40missingpiece.nl?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Missing%20Piece";

    #[test]
    fn reads_a_plain_uri() {
        let token = Token::from_uri(PLAIN).unwrap();
        assert_eq!(token.issuer, "Missing Piece");
        assert_eq!(token.account, "jan@missingpiece.nl");
        assert_eq!(token.device_id, None);
        assert_eq!(token.server, None);
        assert_eq!(token.label(), "Missing Piece: jan@missingpiece.nl");
        // RFC 6238 appendix B: the secret "12345678901234567890" at T=59.
        assert_eq!(token.code_at(59), "287082");
        assert_eq!(token.code_at(1_111_111_109), "081804");
    }

    #[test]
    fn reads_the_push_parameters() {
        let uri = format!(
            "{PLAIN}&aanmelden_device=7&aanmelden_server=https%3A%2F%2Faanmelden.example.nl%2F"
        );
        let token = Token::from_uri(&uri).unwrap();
        assert_eq!(token.device_id, Some(7));
        assert_eq!(
            token.server.as_deref(),
            Some("https://aanmelden.example.nl")
        );
    }

    #[test]
    fn refuses_what_is_not_a_usable_totp_uri() {
        assert!(Token::from_uri("https://example.nl").is_err());
        assert!(Token::from_uri("otpauth://totp/x?secret=GEZDGNBV").is_err());
        assert!(Token::from_uri(&format!("{PLAIN}&digits=8")).is_err());
        assert!(Token::from_uri(&format!("{PLAIN}&aanmelden_device=seven")).is_err());
    }

    #[test]
    fn the_secret_does_not_print() {
        let token = Token::from_uri(PLAIN).unwrap();
        assert!(!format!("{token:?}").contains("GEZDGNBV"));
    }
}
