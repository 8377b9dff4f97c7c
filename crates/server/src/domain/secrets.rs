//! Types that hold secrets without printing them, and the AES-256-GCM cipher
//! that keeps TOTP secrets encrypted at rest.

use std::fmt;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use aes_gcm::aead::rand_core::RngCore;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Deserialize;

/// Text that must never reach a log: prints as `Secret(..)`.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct SecretString(String);

impl SecretString {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Bytes that must never reach a log: prints as `Secret(..)`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub fn new(value: Vec<u8>) -> Self {
        Self(value)
    }

    /// `len` random bytes from the operating system.
    pub fn random(len: usize) -> Self {
        let mut bytes = vec![0; len];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Why a key could not be had or a secret could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the encryption key must be 32 bytes in base64")]
    BadKey,
    #[error("cannot use key file {path}: {source}")]
    KeyFile {
        path: String,
        source: std::io::Error,
    },
    #[error("a stored secret does not decrypt with this key")]
    Decrypt,
    #[error(
        "the key file {path} is missing, but the database holds secrets sealed with a key: \
         restore the file (or set encryption_key); a new key would lock every device out"
    )]
    KeyMissing { path: String },
}

/// Name of the generated key file in the data folder.
pub const KEY_FILE: &str = "secret.key";

const NONCE_LEN: usize = 12;

/// What a sealed value is bound to (AES-GCM associated data): a value sealed
/// for one purpose, user or device does not open for another.
pub mod bound_to {
    /// A device's TOTP secret: its user and its own id, so a secret copied
    /// to another row does not open.
    pub fn device(user_id: i64, device_id: i64) -> Vec<u8> {
        let mut aad = b"device v2 ".to_vec();
        aad.extend_from_slice(&user_id.to_be_bytes());
        aad.extend_from_slice(&device_id.to_be_bytes());
        aad
    }

    /// A device secret sealed before device ids were bound in (upgraded at start).
    pub fn device_v1(user_id: i64) -> Vec<u8> {
        user_id.to_be_bytes().to_vec()
    }

    /// The portal's private key for Web Push (VAPID).
    pub const WEB_PUSH_KEY: &[u8] = b"web push key v1";

    /// The value the database keeps to tell whether the key is the right one.
    pub const KEY_CHECK: &[u8] = b"key check v1";

    /// The user name of a session that has only identified itself, kept in
    /// its cookie rather than in the database.
    pub const IDENTIFIED: &[u8] = b"identified v1";
}

/// What the key for [`Cipher::tag`] is derived for.
const TAG_KEY_PURPOSE: &[u8] = b"aanmelden tag v1";

/// What the key for [`Cipher::seal_cookie`] is derived for (HKDF info).
const COOKIE_KEY_PURPOSE: &[u8] = b"aanmelden cookie seal v1";

/// What the key for [`Cipher::sign_flash`] is derived for (HKDF info).
const FLASH_KEY_PURPOSE: &[u8] = b"aanmelden flash mac v1";

/// What the key for [`Cipher::form_token`] is derived for (HKDF info).
const FORM_KEY_PURPOSE: &[u8] = b"aanmelden form token v1";

/// What the key of recovery codes' hashes is derived for.
const RECOVERY_KEY_PURPOSE: &[u8] = b"aanmelden recovery code v1";

/// The length of a [`Cipher::form_token`]: 128 bits.
pub const FORM_TOKEN_LEN: usize = 16;

/// Encrypts and decrypts with AES-256-GCM, every value bound to what it is
/// for (see [`bound_to`]): device secrets under the configured key, what
/// travels in cookies under a key derived from it (see
/// [`Cipher::seal_cookie`]); tags typed text with another derived key
/// (see [`Cipher::tag`]), signs the plain pages' messages with a third
/// (see [`Cipher::sign_flash`]) and makes their forms' tokens with a
/// fourth (see [`Cipher::form_token`]); hashes recovery codes with a fifth
/// (see [`Cipher::recovery_hash`]).
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
    cookie_aead: Aes256Gcm,
    tag_key: SecretBytes,
    flash_key: SecretBytes,
    form_key: SecretBytes,
    recovery_key: SecretBytes,
}

/// A 32-byte key for `purpose`, derived from `master` with HKDF-SHA-256:
/// one key per use, none of which tells anything of the master key or of
/// the others.
fn derive_key(master: &[u8], purpose: &[u8]) -> SecretBytes {
    let mut key = vec![0; 32];
    // 32 bytes is far below HKDF-SHA-256's limit of 8160.
    let _ = hkdf::Hkdf::<sha2::Sha256>::new(None, master).expand(purpose, &mut key);
    SecretBytes::new(key)
}

impl fmt::Debug for Cipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cipher(..)")
    }
}

impl Cipher {
    /// A cipher for a 32-byte key given in base64.
    pub fn from_base64(key: &SecretString) -> Result<Self, SecretError> {
        let bytes = BASE64
            .decode(key.expose().trim())
            .map_err(|_| SecretError::BadKey)?;
        if bytes.len() != 32 {
            return Err(SecretError::BadKey);
        }
        let cookie_key = derive_key(&bytes, COOKIE_KEY_PURPOSE);
        let flash_key = derive_key(&bytes, FLASH_KEY_PURPOSE);
        let form_key = derive_key(&bytes, FORM_KEY_PURPOSE);
        let recovery_key = derive_key(&bytes, RECOVERY_KEY_PURPOSE);
        Ok(Self {
            flash_key,
            form_key,
            recovery_key,
            aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes)),
            cookie_aead: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(cookie_key.expose())),
            tag_key: SecretBytes::new(
                super::push::sign(&SecretBytes::new(bytes), TAG_KEY_PURPOSE).into_bytes(),
            ),
        })
    }

    /// A stand-in for typed text where only equality matters, such as a
    /// user name inside a failure counter's key: the same text always gets
    /// the same tag, and without the key the tag tells nothing of the text
    /// (which may be a password typed into the wrong field). HMAC-SHA-256,
    /// 128 bits in hex.
    pub fn tag(&self, text: &str) -> String {
        let mut tag = super::push::sign(&self.tag_key, text.as_bytes());
        tag.truncate(32);
        tag
    }

    /// The configured key, or the one in `data_dir`. When there is none
    /// yet and `may_generate` (nothing sealed under another key exists), one
    /// is generated there (mode 0600, the folder 0700) and the log says so.
    pub fn load_or_generate(
        configured: Option<&SecretString>,
        data_dir: &Path,
        may_generate: bool,
    ) -> Result<Self, SecretError> {
        if let Some(key) = configured {
            return Self::from_base64(key);
        }
        let path = data_dir.join(KEY_FILE);
        let key_file_error = |source| SecretError::KeyFile {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_base64(&SecretString::new(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !may_generate => {
                Err(SecretError::KeyMissing {
                    path: path.display().to_string(),
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                create_private_dir(data_dir).map_err(key_file_error)?;
                let key = BASE64.encode(SecretBytes::random(32).expose());
                let mut file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .map_err(key_file_error)?;
                file.write_all(key.as_bytes()).map_err(key_file_error)?;
                tracing::warn!(
                    path = %path.display(),
                    "generated a new encryption key for the TOTP secrets; back this file up, without it no device works"
                );
                Self::from_base64(&SecretString::new(key))
            }
            Err(e) => Err(key_file_error(e)),
        }
    }

    /// `nonce || ciphertext` of `secret`, bound to `aad`, under the
    /// configured key: for what the database keeps.
    pub fn seal(&self, aad: &[u8], secret: &[u8]) -> Vec<u8> {
        seal_with(&self.aead, aad, secret)
    }

    /// The secret sealed by [`Cipher::seal`] with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<SecretBytes, SecretError> {
        open_with(&self.aead, aad, sealed)
    }

    /// As [`Cipher::seal`], under the key derived for cookies: what
    /// browsers carry about is never sealed with the key of the device
    /// secrets, so every cookie handed out is no sample under that key.
    pub fn seal_cookie(&self, aad: &[u8], value: &[u8]) -> Vec<u8> {
        seal_with(&self.cookie_aead, aad, value)
    }

    /// The value sealed by [`Cipher::seal_cookie`] with the same `aad`.
    pub fn open_cookie(&self, aad: &[u8], sealed: &[u8]) -> Result<SecretBytes, SecretError> {
        open_with(&self.cookie_aead, aad, sealed)
    }

    /// The HMAC-SHA-256 (hex) of a message for the next plain page: the
    /// page shows only what the server itself said, never a code or text a
    /// cookie from elsewhere made up.
    pub fn sign_flash(&self, message: &[u8]) -> String {
        super::push::sign(&self.flash_key, message)
    }

    /// Whether `signature` is [`Cipher::sign_flash`] of `message`,
    /// compared in constant time.
    pub fn verify_flash(&self, message: &[u8], signature: &str) -> bool {
        super::push::verify(&self.flash_key, message, signature)
    }

    /// The token of the plain forms for a browser's form key (its cookie,
    /// see `http::form_token`): HMAC-SHA-256 of the key, its first 128
    /// bits. Only the server can make it, and it tells nothing of the key.
    pub fn form_token(&self, browser_key: &[u8]) -> [u8; FORM_TOKEN_LEN] {
        let mac = super::push::mac(self.form_key.expose(), browser_key);
        let mut token = [0; FORM_TOKEN_LEN];
        token.copy_from_slice(&mac[..FORM_TOKEN_LEN]);
        token
    }
}

impl Cipher {
    /// What the database keeps of user `user_id`'s recovery code `code`
    /// (normalised): HMAC-SHA-256 (hex) under a key that is not in the
    /// database, so that a copy of it gives no code away, not even to a
    /// search through every code (50 bits each).
    pub fn recovery_hash(&self, user_id: i64, code: &str) -> String {
        let mut message = user_id.to_be_bytes().to_vec();
        message.extend_from_slice(code.as_bytes());
        super::push::sign(&self.recovery_key, &message)
    }
}

fn seal_with(cipher: &Aes256Gcm, aad: &[u8], secret: &[u8]) -> Vec<u8> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let sealed = cipher
        .encrypt(&nonce, Payload { msg: secret, aad })
        // Encryption fails only for messages of gigabytes.
        .unwrap_or_default();
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    out
}

fn open_with(cipher: &Aes256Gcm, aad: &[u8], sealed: &[u8]) -> Result<SecretBytes, SecretError> {
    if sealed.len() <= NONCE_LEN {
        return Err(SecretError::Decrypt);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map(SecretBytes::new)
        .map_err(|_| SecretError::Decrypt)
}

/// A folder only its owner can enter (the data folder: key and database).
pub fn create_private_dir(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn cipher() -> Cipher {
        Cipher::from_base64(&SecretString::new(BASE64.encode([7u8; 32]))).unwrap()
    }

    #[test]
    fn a_tag_is_the_same_for_the_same_text_and_key_and_shows_nothing_of_it() {
        let other = Cipher::from_base64(&SecretString::new(BASE64.encode([8u8; 32]))).unwrap();
        let tag = cipher().tag("Geheim-wachtwoord-1");
        assert_eq!(tag, cipher().tag("Geheim-wachtwoord-1"));
        assert_eq!(tag.len(), 32);
        assert!(tag.bytes().all(|b| b.is_ascii_hexdigit()), "{tag}");
        assert_ne!(tag, cipher().tag("Geheim-wachtwoord-2"));
        assert_ne!(tag, other.tag("Geheim-wachtwoord-1"), "another key");
    }

    #[test]
    fn seal_then_open_gives_the_secret_back() {
        let secret = SecretBytes::random(20);
        let sealed = cipher().seal(&bound_to::device(1, 7), secret.expose());
        assert!(!sealed.windows(20).any(|w| w == secret.expose()));
        assert_eq!(
            cipher().open(&bound_to::device(1, 7), &sealed).unwrap(),
            secret
        );
    }

    #[test]
    fn another_user_device_purpose_or_key_cannot_open() {
        let sealed = cipher().seal(&bound_to::device(1, 7), SecretBytes::random(20).expose());
        assert!(cipher().open(&bound_to::device(2, 7), &sealed).is_err());
        assert!(cipher().open(&bound_to::device(1, 8), &sealed).is_err());
        assert!(cipher().open(bound_to::IDENTIFIED, &sealed).is_err());
        let other = Cipher::from_base64(&SecretString::new(BASE64.encode([8u8; 32]))).unwrap();
        assert!(other.open(&bound_to::device(1, 7), &sealed).is_err());
        assert!(
            cipher()
                .open(&bound_to::device(1, 7), &sealed[..5])
                .is_err()
        );
    }

    #[test]
    fn the_cookie_key_is_derived_and_is_not_the_master_key() {
        let master = [7u8; 32];
        let cookie_key = derive_key(&master, COOKIE_KEY_PURPOSE);
        assert_eq!(cookie_key.expose().len(), 32);
        assert_ne!(cookie_key.expose(), master);
        assert_eq!(cookie_key, derive_key(&master, COOKIE_KEY_PURPOSE));
        assert_ne!(cookie_key, derive_key(&master, TAG_KEY_PURPOSE));
        assert_ne!(cookie_key, derive_key(&[8u8; 32], COOKIE_KEY_PURPOSE));
    }

    #[test]
    fn cookies_and_device_secrets_are_sealed_under_different_keys() {
        let by_master = cipher().seal(bound_to::IDENTIFIED, b"a@b.nl");
        assert!(
            cipher()
                .open_cookie(bound_to::IDENTIFIED, &by_master)
                .is_err()
        );
        let cookie = cipher().seal_cookie(bound_to::IDENTIFIED, b"a@b.nl");
        assert!(cipher().open(bound_to::IDENTIFIED, &cookie).is_err());
        assert_eq!(
            cipher()
                .open_cookie(bound_to::IDENTIFIED, &cookie)
                .unwrap()
                .expose(),
            b"a@b.nl"
        );
    }

    #[test]
    fn a_flash_signature_holds_for_its_message_and_key_only() {
        let signature = cipher().sign_flash(b"message");
        assert!(cipher().verify_flash(b"message", &signature));
        assert!(!cipher().verify_flash(b"messagf", &signature));
        let other = Cipher::from_base64(&SecretString::new(BASE64.encode([8u8; 32]))).unwrap();
        assert!(!other.verify_flash(b"message", &signature));
        assert_ne!(signature, cipher().tag("message"));
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(Cipher::from_base64(&SecretString::new(BASE64.encode([1u8; 16]))).is_err());
        assert!(Cipher::from_base64(&SecretString::new("not base64!".into())).is_err());
    }

    #[test]
    fn generated_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let first = Cipher::load_or_generate(None, &data, true).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data.join(KEY_FILE)), 0o600);
        assert_eq!(mode(&data), 0o700);
        let sealed = first.seal(bound_to::KEY_CHECK, b"abc");
        let second = Cipher::load_or_generate(None, &data, false).unwrap();
        assert_eq!(
            second.open(bound_to::KEY_CHECK, &sealed).unwrap().expose(),
            b"abc"
        );
    }

    #[test]
    fn a_missing_key_is_not_replaced_when_secrets_exist() {
        let dir = tempfile::tempdir().unwrap();
        let error = Cipher::load_or_generate(None, dir.path(), false).unwrap_err();
        assert!(matches!(error, SecretError::KeyMissing { .. }));
        assert!(error.to_string().contains("restore"));
        assert!(!dir.path().join(KEY_FILE).exists());
    }

    #[test]
    fn secrets_print_redacted() {
        assert_eq!(
            format!("{:?}", SecretString::new("pw".into())),
            "Secret(..)"
        );
        assert_eq!(format!("{:?}", SecretBytes::new(vec![1])), "Secret(..)");
    }
}
