//! What the portal's QR code holds: an `otpauth://totp/…` URI with the
//! TOTP secret and, for push, the portal and the device it enrolls. Pure
//! Rust, tested natively.

use aanmelden_api::otpauth::{self, DEVICE_PARAMETER, SERVER_PARAMETER, percent_decode};

/// An account read from the QR code (or typed in).
#[derive(Clone, PartialEq, Eq)]
pub struct Scanned {
    /// Who issued it (the organisation).
    pub issuer: String,
    /// The account, the user name.
    pub account: String,
    /// The TOTP secret, raw.
    pub secret: Vec<u8>,
    /// The device at the portal, when the QR code is the portal's.
    pub device_id: Option<i64>,
    /// The portal's address, when the QR code is the portal's.
    pub server: Option<String>,
}

impl std::fmt::Debug for Scanned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanned")
            .field("issuer", &self.issuer)
            .field("account", &self.account)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

/// Why a text is not an account this app can keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAnAccount {
    /// Not an `otpauth://totp/` URI.
    NotTotp,
    /// No secret, or not base32.
    NoSecret,
    /// Other digits, period or algorithm than the portal's (6, 30 s, SHA-1).
    Unsupported,
}

/// Read `otpauth://totp/Issuer:account?secret=…&issuer=…[&aanmelden_device=…&aanmelden_server=…]`.
pub fn parse(uri: &str) -> Result<Scanned, NotAnAccount> {
    let uri = uri.trim();
    let rest = uri
        .strip_prefix("otpauth://totp/")
        .ok_or(NotAnAccount::NotTotp)?;
    let label = rest.split_once('?').map_or(rest, |(label, _)| label);
    let parameter = |name: &str| otpauth::parameter(uri, name);
    if parameter("digits").is_some_and(|d| d != "6")
        || parameter("period").is_some_and(|p| p != "30")
        || parameter("algorithm").is_some_and(|a| !a.eq_ignore_ascii_case("SHA1"))
    {
        return Err(NotAnAccount::Unsupported);
    }
    let secret = parameter("secret")
        .and_then(|s| base32(&s))
        .filter(|s| s.len() >= 10)
        .ok_or(NotAnAccount::NoSecret)?;
    let label = percent_decode(label);
    let (label_issuer, account) = match label.split_once(':') {
        Some((issuer, account)) => (issuer.trim().to_owned(), account.trim().to_owned()),
        None => (String::new(), label.trim().to_owned()),
    };
    Ok(Scanned {
        issuer: parameter("issuer").unwrap_or(label_issuer),
        account,
        secret,
        device_id: parameter(DEVICE_PARAMETER).and_then(|id| id.parse().ok()),
        server: parameter(SERVER_PARAMETER).map(|s| s.trim_end_matches('/').to_owned()),
    })
}

/// A key typed by hand: base32, with spaces and dashes allowed, any case.
pub fn typed_secret(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    base32(&cleaned).filter(|s| s.len() >= 10)
}

/// RFC 4648 base32, without or with padding, any case.
fn base32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for c in text.trim_end_matches('=').chars() {
        let value = match c.to_ascii_uppercase() {
            c @ 'A'..='Z' => c as u32 - 'A' as u32,
            c @ '2'..='7' => c as u32 - '2' as u32 + 26,
            _ => return None,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buffer >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

/// The six digits of an HMAC-SHA-1 over the time step (RFC 4226's dynamic
/// truncation), as `123456`.
pub fn code_from_hmac(mac: &[u8]) -> Option<String> {
    let offset = usize::from(mac.last()? & 0x0f);
    let bytes: [u8; 4] = mac.get(offset..offset + 4)?.try_into().ok()?;
    let value = u32::from_be_bytes(bytes) & 0x7fff_ffff;
    Some(format!("{:06}", value % 1_000_000))
}

/// The time step of `unix_seconds`, as the counter HMAC signs.
pub fn step_counter(unix_seconds: u64) -> [u8; 8] {
    (unix_seconds / 30).to_be_bytes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const URI: &str = "otpauth://totp/Missing%20Piece:jan%40missingpiece.nl?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Missing%20Piece&aanmelden_device=7&aanmelden_server=https%3A%2F%2Faanmelden.example.nl%2F";

    #[test]
    fn reads_the_portals_qr_code() {
        let scanned = parse(URI).unwrap();
        assert_eq!(scanned.issuer, "Missing Piece");
        assert_eq!(scanned.account, "jan@missingpiece.nl");
        assert_eq!(scanned.secret, b"12345678901234567890");
        assert_eq!(scanned.device_id, Some(7));
        assert_eq!(
            scanned.server.as_deref(),
            Some("https://aanmelden.example.nl")
        );
        assert!(!format!("{scanned:?}").contains("1234"));
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        assert_eq!(parse("https://example.nl"), Err(NotAnAccount::NotTotp));
        assert_eq!(
            parse("otpauth://hotp/x?secret=GEZDGNBVGY3TQOJQ"),
            Err(NotAnAccount::NotTotp)
        );
        assert_eq!(
            parse("otpauth://totp/x?issuer=y"),
            Err(NotAnAccount::NoSecret)
        );
        assert_eq!(
            parse("otpauth://totp/x?secret=GEZD"),
            Err(NotAnAccount::NoSecret)
        );
        assert_eq!(
            parse("otpauth://totp/x?secret=1!"),
            Err(NotAnAccount::NoSecret)
        );
        assert_eq!(
            parse(&format!("{URI}&digits=8")),
            Err(NotAnAccount::Unsupported)
        );
        assert_eq!(
            parse(&format!("{URI}&algorithm=SHA256")),
            Err(NotAnAccount::Unsupported)
        );
    }

    #[test]
    fn typed_keys_may_have_spaces_dashes_and_lower_case() {
        assert_eq!(
            typed_secret("gezd gnbv-gy3t qojq gezd gnbv gy3t qojq").unwrap(),
            b"12345678901234567890"
        );
        assert_eq!(typed_secret("GEZD"), None);
        assert_eq!(typed_secret("not base32!"), None);
    }

    #[test]
    fn rfc_4226_truncation() {
        // RFC 4226 section 5.4's example HMAC.
        let mac = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        assert_eq!(code_from_hmac(&mac).unwrap(), "872921");
        assert_eq!(code_from_hmac(&[]), None);
        assert_eq!(step_counter(59), 1u64.to_be_bytes());
        assert_eq!(step_counter(1_111_111_109), 37_037_036u64.to_be_bytes());
    }
}
