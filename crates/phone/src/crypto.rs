//! The browser's own cryptography (WebCrypto): every key the app makes or
//! imports is not extractable, so no script, not even the app's own, can
//! read it back; the browser keeps it and uses it.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, CryptoKeyPair, SubtleCrypto};

/// Why WebCrypto did not do it (a browser without it, or refusing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CryptoFailed;

impl From<JsValue> for CryptoFailed {
    fn from(_: JsValue) -> Self {
        Self
    }
}

fn subtle() -> Result<SubtleCrypto, CryptoFailed> {
    let window = web_sys::window().ok_or(CryptoFailed)?;
    Ok(window.crypto()?.subtle())
}

/// An algorithm description: `{name, …}`.
fn algorithm(name: &str, more: &[(&str, &JsValue)]) -> Result<Object, CryptoFailed> {
    let object = Object::new();
    Reflect::set(&object, &"name".into(), &name.into())?;
    for (key, value) in more {
        Reflect::set(&object, &(*key).into(), value)?;
    }
    Ok(object)
}

fn usages(list: &[&str]) -> JsValue {
    list.iter()
        .map(|usage| JsValue::from_str(usage))
        .collect::<Array>()
        .into()
}

async fn bytes_of(promise: js_sys::Promise) -> Result<Vec<u8>, CryptoFailed> {
    let buffer = JsFuture::from(promise).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// `count` random bytes from the browser.
pub fn random(count: usize) -> Result<Vec<u8>, CryptoFailed> {
    let mut bytes = vec![0u8; count];
    web_sys::window()
        .ok_or(CryptoFailed)?
        .crypto()?
        .get_random_values_with_u8_array(&mut bytes)?;
    Ok(bytes)
}

/// An HMAC key (`hash`: `SHA-1` for codes, `SHA-256` for signatures) from
/// raw bytes, for signing only.
pub async fn hmac_key(raw: &[u8], hash: &str) -> Result<CryptoKey, CryptoFailed> {
    let algorithm = algorithm("HMAC", &[("hash", &hash.into())])?;
    let raw = Uint8Array::from(raw);
    let key = JsFuture::from(subtle()?.import_key_with_object(
        "raw",
        &raw,
        &algorithm,
        false,
        &usages(&["sign"]),
    )?)
    .await?;
    Ok(key.unchecked_into())
}

/// HMAC of `data` under `key`.
pub async fn hmac(key: &CryptoKey, data: &[u8]) -> Result<Vec<u8>, CryptoFailed> {
    let algorithm = algorithm("HMAC", &[])?;
    bytes_of(subtle()?.sign_with_object_and_u8_array(&algorithm, key, data)?).await
}

/// A new ECDSA P-256 key pair: the private half for signing, never to be
/// read, and the public half as WebCrypto exports it (`raw`, 65 bytes).
pub async fn new_signing_key() -> Result<(CryptoKey, Vec<u8>), CryptoFailed> {
    let algorithm = algorithm("ECDSA", &[("namedCurve", &"P-256".into())])?;
    let pair: CryptoKeyPair = JsFuture::from(subtle()?.generate_key_with_object(
        &algorithm,
        false,
        &usages(&["sign", "verify"]),
    )?)
    .await?
    .unchecked_into();
    let public = bytes_of(subtle()?.export_key("raw", &pair.get_public_key())?).await?;
    Ok((pair.get_private_key(), public))
}

/// The ECDSA P-256 / SHA-256 signature of `data` (`r || s`, 64 bytes).
pub async fn sign(key: &CryptoKey, data: &[u8]) -> Result<Vec<u8>, CryptoFailed> {
    let algorithm = algorithm("ECDSA", &[("hash", &"SHA-256".into())])?;
    bytes_of(subtle()?.sign_with_object_and_u8_array(&algorithm, key, data)?).await
}

/// A new AES-GCM key that seals what the app keeps.
pub async fn new_sealing_key() -> Result<CryptoKey, CryptoFailed> {
    let algorithm = algorithm("AES-GCM", &[("length", &256.into())])?;
    let key = JsFuture::from(subtle()?.generate_key_with_object(
        &algorithm,
        false,
        &usages(&["encrypt", "decrypt"]),
    )?)
    .await?;
    Ok(key.unchecked_into())
}

/// `plain` sealed under `key`: a random 12-byte nonce, then the ciphertext.
pub async fn seal(key: &CryptoKey, plain: &[u8]) -> Result<Vec<u8>, CryptoFailed> {
    let nonce = random(12)?;
    let algorithm = algorithm("AES-GCM", &[("iv", &Uint8Array::from(&nonce[..]).into())])?;
    let sealed =
        bytes_of(subtle()?.encrypt_with_object_and_u8_array(&algorithm, key, plain)?).await?;
    Ok([nonce, sealed].concat())
}

/// What [`seal`] sealed under `key`.
pub async fn open(key: &CryptoKey, sealed: &[u8]) -> Result<Vec<u8>, CryptoFailed> {
    let (nonce, ciphertext) = sealed.split_at_checked(12).ok_or(CryptoFailed)?;
    let algorithm = algorithm("AES-GCM", &[("iv", &Uint8Array::from(nonce).into())])?;
    bytes_of(subtle()?.decrypt_with_object_and_u8_array(&algorithm, key, ciphertext)?).await
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Base64url without padding (RFC 4648 §5), as the portal reads keys.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64url_as_rfc_4648_without_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        assert_eq!(hex(&[0, 15, 255]), "000fff");
    }
}
