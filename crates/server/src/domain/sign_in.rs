//! The sign-in state machine. A session moves identify → password → either
//! registering a first device or the second factor → done; the server, not
//! the browser, decides each step, and each step up gets a new session id.

use std::fmt;

use aanmelden_api::Step;
use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use super::secrets::{Cipher, bound_to};

/// How far a session has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// A user name was given (known or not: nobody can tell).
    Identified,
    /// The password was right and the user has no device: good only for
    /// registering a first one.
    RegisterDevice,
    /// The password and a helpdesk pass were right: good only for
    /// registering a device, whether the user has others or not.
    Pass,
    /// The password was right; the second factor is still to come.
    SecondFactor,
    /// Signed in.
    Done,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Identified => "identified",
            Self::RegisterDevice => "register_device",
            Self::Pass => "pass",
            Self::SecondFactor => "second_factor",
            Self::Done => "done",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Identified,
            Self::RegisterDevice,
            Self::Pass,
            Self::SecondFactor,
            Self::Done,
        ]
        .into_iter()
        .find(|level| level.as_str() == text)
    }

    /// The screen a session at this level shows.
    pub fn step(self) -> Step {
        match self {
            Self::Identified => Step::Password,
            Self::RegisterDevice | Self::Pass => Step::RegisterDevice,
            Self::SecondFactor => Step::Push,
            Self::Done => Step::Done,
        }
    }
}

/// What a right password leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterPassword {
    /// No device yet: register one.
    RegisterDevice,
    /// A device exists and a code was typed: check it.
    CheckCode,
    /// A device exists and no code was typed: ask for one.
    AskSecondFactor,
}

/// The step after a right password. A code typed by a user without a device
/// is ignored: the user goes on to register one.
pub fn after_password(has_device: bool, code_typed: bool) -> AfterPassword {
    match (has_device, code_typed) {
        (false, _) => AfterPassword::RegisterDevice,
        (true, true) => AfterPassword::CheckCode,
        (true, false) => AfterPassword::AskSecondFactor,
    }
}

/// A session as stored: only the hash of its id is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    pub username: String,
    pub user_id: Option<i64>,
    pub level: Level,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The user's full name, where one is set (read with the session, for
    /// the applications behind the gate).
    pub display_name: Option<String>,
    /// The user's e-mail address, where the directory has one.
    pub email: Option<String>,
    /// The user's directory groups, as the directory last gave them.
    pub groups: Vec<String>,
    /// When the session last showed a second factor (a code, a push, the
    /// first code of a new device, a recovery code): adding a device needs
    /// a recent one.
    pub second_factor_at: Option<i64>,
    /// Started or stepped up at a kiosk: held to the kiosk's lifetimes
    /// (see [`crate::config::Config::session_limits`]).
    pub kiosk: bool,
}

/// A session's last use is written at most this often, not on every
/// request: the idle time-out may then end a session up to this much early.
pub const LAST_SEEN_EVERY_S: i64 = 60;

impl Session {
    /// Whether its last use, at `now`, is worth writing down: a minute or
    /// more after the one written; for a kiosk session, whose idle time
    /// can be shorter than that minute, every second.
    pub fn needs_last_seen(&self, now: i64) -> bool {
        let every = if self.kiosk { 1 } else { LAST_SEEN_EVERY_S };
        now - self.last_seen_at >= every
    }

    /// Whether the session is over: unused for `idle` seconds, or older than
    /// `absolute` seconds.
    pub fn is_expired(&self, now: i64, idle: i64, absolute: i64) -> bool {
        now - self.last_seen_at >= idle || now - self.created_at >= absolute
    }
}

/// A session id as the cookie carries it: 256 random bits. Prints redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn from_cookie(value: &str) -> Self {
        Self(value.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps, so a copy of it does not hand out sessions.
    pub fn hash(&self) -> String {
        let digest = Sha256::digest(self.0.as_bytes());
        digest.iter().fold(String::with_capacity(64), |mut s, b| {
            use fmt::Write;
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

/// What a cookie of a session that has only identified itself starts
/// with: such a session lives in its cookie, sealed, not in the database,
/// so anonymous requests cannot fill a table.
const IDENTIFIED_PREFIX: &str = "i1.";

impl SessionToken {
    /// A token that carries an identified session: the user name and when
    /// it started, sealed with the server's key for cookies.
    pub fn identified(cipher: &Cipher, username: &str, now: i64) -> Self {
        let mut plain = now.to_be_bytes().to_vec();
        plain.extend_from_slice(username.as_bytes());
        let sealed = cipher.seal_cookie(bound_to::IDENTIFIED, &plain);
        Self(format!(
            "{IDENTIFIED_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(sealed)
        ))
    }

    /// The user name and start of an identified session this token
    /// carries; `None` for a database session's token, or one that was
    /// tampered with.
    pub fn open_identified(&self, cipher: &Cipher) -> Option<(String, i64)> {
        let sealed = URL_SAFE_NO_PAD
            .decode(self.0.strip_prefix(IDENTIFIED_PREFIX)?)
            .ok()?;
        let plain = cipher.open_cookie(bound_to::IDENTIFIED, &sealed).ok()?;
        let (time, name) = plain.expose().split_at_checked(8)?;
        let started = i64::from_be_bytes(time.try_into().ok()?);
        Some((String::from_utf8(name.to_vec()).ok()?, started))
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(created_at: i64, last_seen_at: i64) -> Session {
        Session {
            id_hash: String::new(),
            username: "a@b.nl".into(),
            user_id: Some(1),
            level: Level::Done,
            created_at,
            last_seen_at,
            display_name: None,
            email: None,
            groups: Vec::new(),
            second_factor_at: None,
            kiosk: false,
        }
    }

    #[test]
    fn password_leads_to_registration_without_a_device_even_with_a_code() {
        assert_eq!(after_password(false, false), AfterPassword::RegisterDevice);
        assert_eq!(after_password(false, true), AfterPassword::RegisterDevice);
    }

    #[test]
    fn password_leads_to_the_second_factor_with_a_device() {
        assert_eq!(after_password(true, true), AfterPassword::CheckCode);
        assert_eq!(after_password(true, false), AfterPassword::AskSecondFactor);
    }

    #[test]
    fn levels_round_trip_and_map_to_steps() {
        for level in [
            Level::Identified,
            Level::RegisterDevice,
            Level::Pass,
            Level::SecondFactor,
            Level::Done,
        ] {
            assert_eq!(Level::parse(level.as_str()), Some(level));
        }
        assert_eq!(Level::parse("admin"), None);
        assert_eq!(Level::Identified.step(), Step::Password);
        assert_eq!(Level::SecondFactor.step(), Step::Push);
        assert_eq!(Level::Pass.step(), Step::RegisterDevice);
    }

    #[test]
    fn sessions_expire_when_idle_or_old() {
        let s = session(1000, 1500);
        assert!(!s.is_expired(1599, 100, 1000));
        assert!(s.is_expired(1600, 100, 1000));
        let s = session(1000, 1990);
        assert!(s.is_expired(2000, 100, 1000));
    }

    #[test]
    fn a_kiosk_sessions_every_use_is_written_down() {
        let desk = session(1000, 1000);
        assert!(!desk.needs_last_seen(1059));
        assert!(desk.needs_last_seen(1060));
        let kiosk = Session {
            second_factor_at: None,
            kiosk: true,
            ..desk
        };
        assert!(!kiosk.needs_last_seen(1000));
        assert!(kiosk.needs_last_seen(1001));
    }

    #[test]
    fn identified_sessions_travel_sealed_in_their_cookie() {
        use base64::engine::general_purpose::STANDARD;
        let key = super::super::secrets::SecretString::new(STANDARD.encode([3u8; 32]));
        let cipher = Cipher::from_base64(&key).unwrap();
        let token = SessionToken::identified(&cipher, "a@b.nl", 1234);

        assert!(!token.expose().contains("a@b.nl"));
        assert_eq!(
            token.open_identified(&cipher),
            Some(("a@b.nl".to_owned(), 1234))
        );
        let mut forged = token.expose().to_owned();
        forged.pop();
        forged.push(if token.expose().ends_with('A') {
            'B'
        } else {
            'A'
        });
        assert_eq!(
            SessionToken::from_cookie(&forged).open_identified(&cipher),
            None
        );
        assert_eq!(SessionToken::generate().open_identified(&cipher), None);
    }

    /// The master key seals device secrets only: a cookie is sealed with a
    /// key of its own, so what the master key seals never opens as one,
    /// and the master key opens no cookie.
    #[test]
    fn identified_cookies_are_not_sealed_with_the_master_key() {
        use base64::engine::general_purpose::STANDARD;
        let key = super::super::secrets::SecretString::new(STANDARD.encode([3u8; 32]));
        let cipher = Cipher::from_base64(&key).unwrap();
        let mut plain = 1234i64.to_be_bytes().to_vec();
        plain.extend_from_slice(b"a@b.nl");
        let by_master = cipher.seal(bound_to::IDENTIFIED, &plain);
        let old_way = SessionToken(format!(
            "{IDENTIFIED_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(by_master)
        ));

        assert_eq!(old_way.open_identified(&cipher), None);
        let token = SessionToken::identified(&cipher, "a@b.nl", 1234);
        let sealed = URL_SAFE_NO_PAD
            .decode(token.expose().strip_prefix(IDENTIFIED_PREFIX).unwrap())
            .unwrap();
        assert!(cipher.open(bound_to::IDENTIFIED, &sealed).is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = SessionToken::generate();
        let b = SessionToken::generate();
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 43);
        assert_eq!(a.hash().len(), 64);
        assert_ne!(a.hash(), a.expose());
        assert_eq!(format!("{a:?}"), "SessionToken(..)");
    }
}
