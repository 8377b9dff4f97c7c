//! The only place that talks to the portal: signed requests, one function
//! per endpoint of the phone's part of the contract. Every request is
//! signed (`aanmelden_api::signed`): with the device's own key, or, once,
//! while it gives that key, with the secret of the QR code.

use aanmelden_api::{
    API_PREFIX, ChallengeAnswer, DeviceKey, ErrorBody, ErrorCode, PendingChallenge, WebPushKey,
    WebPushSubscription, signed,
};
use gloo_net::http::{Request, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use web_sys::CryptoKey;

use crate::crypto;

/// Why a request did not give its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The portal answered with an error of the contract.
    Api(ErrorCode),
    /// No answer, or a 5xx, or signing failed: try again later.
    Unreachable,
}

impl From<crypto::CryptoFailed> for Failure {
    fn from(_: crypto::CryptoFailed) -> Self {
        Self::Unreachable
    }
}

/// What signs a request.
#[derive(Clone, Copy)]
pub enum Signer<'a> {
    /// The push key derived from the TOTP secret (HMAC-SHA-256), while the
    /// device enrolls.
    Secret(&'a CryptoKey),
    /// The device's own ECDSA key.
    Key(&'a CryptoKey),
}

/// A device at the portal, and what signs for it.
#[derive(Clone, Copy)]
pub struct Device<'a> {
    pub id: i64,
    pub signer: Signer<'a>,
}

/// Seconds since the Unix epoch, by the phone's clock.
pub fn now() -> i64 {
    // Whole seconds fit an i64 for as long as anyone will care.
    #[allow(clippy::cast_possible_truncation)]
    let seconds = (js_sys::Date::now() / 1000.0) as i64;
    seconds
}

fn to_json(value: &impl Serialize) -> Result<String, Failure> {
    let value = serde_wasm_bindgen::to_value(value).map_err(|_| Failure::Unreachable)?;
    Ok(js_sys::JSON::stringify(&value)
        .map_err(|_| Failure::Unreachable)?
        .into())
}

async fn parse<T: DeserializeOwned>(response: &Response) -> Result<T, Failure> {
    let text = response.text().await.map_err(|_| Failure::Unreachable)?;
    let value = js_sys::JSON::parse(&text).map_err(|_| Failure::Unreachable)?;
    serde_wasm_bindgen::from_value(value).map_err(|_| Failure::Unreachable)
}

async fn send(
    device: Device<'_>,
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<Response, Failure> {
    let path = format!("{API_PREFIX}{path}");
    let timestamp = now();
    let nonce = crypto::hex(&crypto::random(16)?);
    let body_bytes = body.as_deref().unwrap_or_default().as_bytes();
    let message = signed::message(method, &path, timestamp, &nonce, body_bytes);
    let signature = match device.signer {
        Signer::Secret(key) => crypto::hmac(key, &message).await?,
        Signer::Key(key) => crypto::sign(key, &message).await?,
    };
    let builder = match method {
        "GET" => Request::get(&path),
        "PUT" => Request::put(&path),
        "DELETE" => Request::delete(&path),
        _ => Request::post(&path),
    }
    .header(signed::DEVICE, &device.id.to_string())
    .header(signed::TIMESTAMP, &timestamp.to_string())
    .header(signed::NONCE, &nonce)
    .header(signed::SIGNATURE, &crypto::hex(&signature));
    let sent = match body {
        Some(body) => {
            builder
                .header("content-type", "application/json")
                .body(body)
                .map_err(|_| Failure::Unreachable)?
                .send()
                .await
        }
        None => builder.send().await,
    };
    let response = sent.map_err(|_| Failure::Unreachable)?;
    if response.ok() {
        return Ok(response);
    }
    if response.status() >= 500 {
        return Err(Failure::Unreachable);
    }
    match parse::<ErrorBody>(&response).await {
        Ok(body) => Err(Failure::Api(body.error.code)),
        Err(_) => Err(Failure::Unreachable),
    }
}

/// `PUT /authenticator/key`: the device's own public key, signed with the
/// secret while the device enrolls.
pub async fn give_key(device: Device<'_>, public_key: &[u8]) -> Result<(), Failure> {
    let body = to_json(&DeviceKey {
        public_key: crypto::base64url(public_key),
    })?;
    send(device, "PUT", "/authenticator/key", Some(body)).await?;
    Ok(())
}

/// `GET /authenticator/challenges`: the sign-ins waiting for this device's
/// user.
pub async fn pending(device: Device<'_>) -> Result<Vec<PendingChallenge>, Failure> {
    let response = send(device, "GET", "/authenticator/challenges", None).await?;
    parse(&response).await
}

/// `POST /authenticator/challenges/{id}`: approve with the number, or deny.
pub async fn answer(device: Device<'_>, id: &str, answer: ChallengeAnswer) -> Result<(), Failure> {
    let body = to_json(&answer)?;
    send(
        device,
        "POST",
        &format!("/authenticator/challenges/{id}"),
        Some(body),
    )
    .await?;
    Ok(())
}

/// `GET /authenticator/push-key`: the portal's public key for Web Push
/// (not signed: the key is public).
pub async fn push_key() -> Result<WebPushKey, Failure> {
    let response = Request::get(&format!("{API_PREFIX}/authenticator/push-key"))
        .send()
        .await
        .map_err(|_| Failure::Unreachable)?;
    if !response.ok() {
        return Err(Failure::Unreachable);
    }
    parse(&response).await
}

/// `PUT /authenticator/subscription`: wake this device's phone here.
pub async fn subscribe(
    device: Device<'_>,
    subscription: &WebPushSubscription,
) -> Result<(), Failure> {
    let body = to_json(subscription)?;
    send(device, "PUT", "/authenticator/subscription", Some(body)).await?;
    Ok(())
}
