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
}

/// Name of the generated key file in the data folder.
pub const KEY_FILE: &str = "secret.key";

const NONCE_LEN: usize = 12;

/// Encrypts and decrypts TOTP secrets. The owning user's id is bound in as
/// associated data, so a secret copied to another user's row does not open.
#[derive(Clone)]
pub struct Cipher(Aes256Gcm);

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
        Ok(Self(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&bytes))))
    }

    /// The configured key, or the one in `data_dir`, generated there (mode
    /// 0600) when there is none yet. Says in the log when it generates one.
    pub fn load_or_generate(
        configured: Option<&SecretString>,
        data_dir: &Path,
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
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(key_file_error)?;
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

    /// `nonce || ciphertext` of `secret`, bound to `user_id`.
    pub fn seal(&self, user_id: i64, secret: &SecretBytes) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = user_id.to_be_bytes();
        let sealed = self
            .0
            .encrypt(
                &nonce,
                Payload {
                    msg: secret.expose(),
                    aad: &aad,
                },
            )
            // Encryption fails only for messages of gigabytes.
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    /// The secret sealed by [`Cipher::seal`] for `user_id`.
    pub fn open(&self, user_id: i64, sealed: &[u8]) -> Result<SecretBytes, SecretError> {
        if sealed.len() <= NONCE_LEN {
            return Err(SecretError::Decrypt);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let aad = user_id.to_be_bytes();
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map(SecretBytes::new)
            .map_err(|_| SecretError::Decrypt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn cipher() -> Cipher {
        Cipher::from_base64(&SecretString::new(BASE64.encode([7u8; 32]))).unwrap()
    }

    #[test]
    fn seal_then_open_gives_the_secret_back() {
        let secret = SecretBytes::random(20);
        let sealed = cipher().seal(1, &secret);
        assert!(!sealed.windows(20).any(|w| w == secret.expose()));
        assert_eq!(cipher().open(1, &sealed).unwrap(), secret);
    }

    #[test]
    fn another_user_or_key_cannot_open() {
        let sealed = cipher().seal(1, &SecretBytes::random(20));
        assert!(cipher().open(2, &sealed).is_err());
        let other = Cipher::from_base64(&SecretString::new(BASE64.encode([8u8; 32]))).unwrap();
        assert!(other.open(1, &sealed).is_err());
        assert!(cipher().open(1, &sealed[..5]).is_err());
    }

    #[test]
    fn keys_must_be_32_bytes() {
        assert!(Cipher::from_base64(&SecretString::new(BASE64.encode([1u8; 16]))).is_err());
        assert!(Cipher::from_base64(&SecretString::new("not base64!".into())).is_err());
    }

    #[test]
    fn generated_key_file_is_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Cipher::load_or_generate(None, dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let sealed = first.seal(3, &SecretBytes::new(b"abc".to_vec()));
        let second = Cipher::load_or_generate(None, dir.path()).unwrap();
        assert_eq!(second.open(3, &sealed).unwrap().expose(), b"abc");
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
