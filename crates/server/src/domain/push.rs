//! Push confirmation with number matching: a challenge the browser shows as
//! a two-digit number and the authenticator answers with that number, and
//! the signatures by which an authenticator proves it holds a device's
//! secret.

use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use aanmelden_api::platform::{BrowserFamily, Os};
use serde::{Deserialize, Serialize};

use super::secrets::SecretBytes;

type HmacSha256 = Hmac<Sha256>;

/// Where a challenge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved,
    Denied,
    Expired,
    /// Replaced by a newer challenge ("Opnieuw versturen").
    Voided,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
            Self::Expired => "expired",
            Self::Voided => "voided",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Approved,
            Self::Denied,
            Self::Expired,
            Self::Voided,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// A push challenge as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub id: String,
    pub user_id: i64,
    pub username: String,
    /// The session (hash) that waits for it.
    pub session_hash: String,
    pub number: u8,
    pub client: String,
    /// Which browser, in words from a fixed list.
    pub browser: BrowserKind,
    pub created_at: i64,
    pub expires_at: i64,
    pub status: Status,
}

/// What the authenticator is told of the browser that signs in: its family
/// and operating system, from fixed lists. The browser's own description of
/// itself is never kept: anyone can write there what the user should do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserKind {
    pub family: Option<BrowserFamily>,
    pub os: Option<Os>,
}

impl BrowserKind {
    /// What a `User-Agent` header names, as far as the lists go.
    pub fn of(user_agent: &str) -> Self {
        Self {
            family: BrowserFamily::detect(user_agent),
            os: Os::detect(user_agent, 0),
        }
    }

    /// As the database keeps it.
    pub fn to_column(self) -> String {
        serde_json::to_string(&self).unwrap_or_default()
    }

    /// From the database; anything else (such as a browser's own text,
    /// kept before) names nothing.
    pub fn from_column(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }
}

impl Challenge {
    /// The status at `now`: a pending challenge past its time is expired.
    pub fn status_at(&self, now: i64) -> Status {
        if self.status == Status::Pending && now >= self.expires_at {
            Status::Expired
        } else {
            self.status
        }
    }
}

/// A random challenge id: 128 bits, hex.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// A random number from 10 to 99, for the browser to show.
pub fn new_number() -> u8 {
    // 90 values; the bias of 2^32 mod 90 is far below anything guessable.
    let value = 10 + OsRng.next_u32() % 90;
    u8::try_from(value).unwrap_or(10)
}

/// The key an authenticator signs with: derived from the device's TOTP
/// secret, so the secret itself is used for one purpose only.
pub fn push_key(totp_secret: &SecretBytes) -> SecretBytes {
    SecretBytes::new(mac(totp_secret.expose(), b"aanmelden push v1"))
}

/// The hex signature of `message` under `key`.
pub fn sign(key: &SecretBytes, message: &[u8]) -> String {
    hex(&mac(key.expose(), message))
}

/// Whether `signature` (hex) is the signature of `message` under `key`,
/// compared in constant time.
pub fn verify(key: &SecretBytes, message: &[u8], signature: &str) -> bool {
    sign(key, message)
        .as_bytes()
        .ct_eq(signature.to_ascii_lowercase().as_bytes())
        .into()
}

/// HMAC-SHA-256 of `message` under `key`.
pub(super) fn mac(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length.
    let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge(status: Status) -> Challenge {
        Challenge {
            id: new_id(),
            user_id: 1,
            username: "a@b.nl".into(),
            session_hash: String::new(),
            number: 42,
            client: "127.0.0.1".into(),
            browser: BrowserKind::default(),
            created_at: 1000,
            expires_at: 1030,
            status,
        }
    }

    #[test]
    fn a_browser_is_kept_as_its_family_and_system_only() {
        let kind = BrowserKind::of("typ 42 Mozilla/5.0 (Windows NT 10.0; typ 42) Firefox/142.0");
        assert_eq!(kind.family, Some(BrowserFamily::Firefox));
        assert_eq!(kind.os, Some(Os::Windows));
        let column = kind.to_column();
        assert!(
            !column.contains("typ") && !column.contains("42"),
            "{column}"
        );
        assert_eq!(BrowserKind::from_column(&column), kind);
        assert_eq!(
            BrowserKind::from_column("typ 42 Mozilla/5.0"),
            BrowserKind::default()
        );
    }

    #[test]
    fn pending_challenges_expire_at_their_time() {
        assert_eq!(challenge(Status::Pending).status_at(1029), Status::Pending);
        assert_eq!(challenge(Status::Pending).status_at(1030), Status::Expired);
        assert_eq!(
            challenge(Status::Approved).status_at(5000),
            Status::Approved
        );
    }

    #[test]
    fn numbers_have_two_digits_and_ids_differ() {
        for _ in 0..1000 {
            assert!((10..=99).contains(&new_number()));
        }
        assert_ne!(new_id(), new_id());
        assert_eq!(new_id().len(), 32);
    }

    #[test]
    fn statuses_round_trip() {
        for status in [
            Status::Pending,
            Status::Approved,
            Status::Denied,
            Status::Expired,
            Status::Voided,
        ] {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
    }

    #[test]
    fn signatures_verify_only_with_the_same_key_and_message() {
        let key = push_key(&SecretBytes::new(b"12345678901234567890".to_vec()));
        let signature = sign(&key, b"POST\n/x\n1\nn\n{}");
        assert!(verify(&key, b"POST\n/x\n1\nn\n{}", &signature));
        assert!(verify(
            &key,
            b"POST\n/x\n1\nn\n{}",
            &signature.to_uppercase()
        ));
        assert!(!verify(&key, b"POST\n/x\n2\nn\n{}", &signature));
        let other = push_key(&SecretBytes::new(b"00000000000000000000".to_vec()));
        assert!(!verify(&other, b"POST\n/x\n1\nn\n{}", &signature));
    }

    #[test]
    fn the_push_key_is_not_the_totp_secret() {
        let secret = SecretBytes::new(b"12345678901234567890".to_vec());
        assert_ne!(push_key(&secret).expose(), secret.expose());
        assert_eq!(push_key(&secret).expose().len(), 32);
    }
}
