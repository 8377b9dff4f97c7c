//! Time-based one-time passwords (RFC 6238): SHA1, 6 digits, 30-second steps,
//! the defaults every authenticator app reads. A code is accepted for the
//! current step and one step either side; which step it matched is returned,
//! so the caller can refuse any step not later than the last one accepted.

use subtle::ConstantTimeEq;
use totp_rs::{Algorithm, TOTP};

use super::secrets::SecretBytes;

/// Seconds per step.
pub const STEP_SECONDS: i64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Bytes of a new secret (160 bits, as RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;
/// Steps accepted either side of the current one (clock drift, typing time).
pub const SKEW_STEPS: i64 = 1;

/// The step a moment falls in.
pub fn step_at(now: i64) -> i64 {
    now.div_euclid(STEP_SECONDS)
}

/// The code for `step`.
pub fn code_at_step(secret: &SecretBytes, step: i64) -> String {
    let time = u64::try_from(step.max(0) * STEP_SECONDS).unwrap_or(0);
    totp(secret).generate(time)
}

/// The step within `now ± SKEW_STEPS` whose code is `code`, the latest if
/// more than one matches. Spaces in `code` are ignored.
pub fn matching_step(secret: &SecretBytes, code: &str, now: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    (current - SKEW_STEPS..=current + SKEW_STEPS)
        .rev()
        .find(|&step| {
            code_at_step(secret, step)
                .as_bytes()
                .ct_eq(code.as_bytes())
                .into()
        })
}

/// The `otpauth://totp/…` URI for an authenticator app.
pub fn otpauth_uri(secret: &SecretBytes, issuer: &str, account: &str) -> String {
    let mut totp = totp(secret);
    totp.issuer = Some(issuer.to_owned());
    account.clone_into(&mut totp.account_name);
    totp.get_url()
}

pub use aanmelden_api::otpauth::{DEVICE_PARAMETER, SERVER_PARAMETER};

/// `text` with everything but unreserved URI characters percent-encoded.
pub fn percent_encode(text: &str) -> String {
    use std::fmt::Write;
    text.bytes().fold(String::new(), |mut out, byte| {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
        out
    })
}

/// The secret as base32 without padding, as apps expect it typed in.
pub fn base32(secret: &SecretBytes) -> String {
    totp_rs::Secret::Raw(secret.expose().to_vec())
        .to_encoded()
        .to_string()
        .trim_end_matches('=')
        .to_owned()
}

fn totp(secret: &SecretBytes) -> TOTP {
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        0,
        u64::try_from(STEP_SECONDS).unwrap_or(30),
        secret.expose().to_vec(),
        None,
        String::new(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SHA1 seed of RFC 6238 appendix B.
    fn rfc_secret() -> SecretBytes {
        SecretBytes::new(b"12345678901234567890".to_vec())
    }

    #[test]
    fn rfc6238_test_vectors() {
        // Appendix B, SHA1, last six of the eight digits.
        let vectors = [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ];
        for (time, code) in vectors {
            assert_eq!(code_at_step(&rfc_secret(), step_at(time)), code, "T={time}");
        }
    }

    #[test]
    fn accepts_one_step_either_side_and_no_further() {
        let s = rfc_secret();
        let now = 1_111_111_111;
        let step = step_at(now);
        for offset in -1..=1 {
            let code = code_at_step(&s, step + offset);
            assert_eq!(matching_step(&s, &code, now), Some(step + offset));
        }
        for offset in [-3, -2, 2, 3] {
            let code = code_at_step(&s, step + offset);
            assert_eq!(matching_step(&s, &code, now), None, "offset {offset}");
        }
    }

    #[test]
    fn spaces_are_ignored_and_malformed_codes_refused() {
        let s = rfc_secret();
        assert_eq!(
            matching_step(&s, "050 471", 1_111_111_111),
            Some(step_at(1_111_111_111))
        );
        for bad in ["", "05047", "0504711", "05047a", "٠٥٠٤٧١"] {
            assert_eq!(matching_step(&s, bad, 1_111_111_111), None, "{bad}");
        }
    }

    #[test]
    fn uri_names_issuer_account_and_secret() {
        let uri = otpauth_uri(&rfc_secret(), "Missing Piece", "a@b.nl");
        assert!(
            uri.starts_with("otpauth://totp/Missing%20Piece:a%40b.nl?"),
            "{uri}"
        );
        assert!(
            uri.contains(&format!("secret={}", base32(&rfc_secret()))),
            "{uri}"
        );
        assert!(uri.contains("issuer=Missing%20Piece"), "{uri}");
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(
            percent_encode("https://a.nl:8443/x y"),
            "https%3A%2F%2Fa.nl%3A8443%2Fx%20y"
        );
    }

    #[test]
    fn an_uri_with_the_push_parameters_still_reads_as_a_plain_totp_token() {
        let uri = format!(
            "{}&{DEVICE_PARAMETER}=7&{SERVER_PARAMETER}={}",
            otpauth_uri(&rfc_secret(), "Missing Piece", "a@b.nl"),
            percent_encode("http://127.0.0.1:8080")
        );
        let token = TOTP::from_url(&uri).unwrap();
        assert_eq!(token.secret, rfc_secret().expose());
        assert_eq!(token.generate(59), "287082");
        assert_eq!(token.account_name, "a@b.nl");
    }

    #[test]
    fn base32_has_no_padding() {
        assert_eq!(base32(&rfc_secret()), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }
}
