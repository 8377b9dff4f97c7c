//! Signed requests to the aanmelden server for one token: list the push
//! challenges waiting for its user, and answer one.

use aanmelden_api::{ChallengeAnswer, Device, ErrorBody, ErrorCode, PendingChallenge, signed};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::token::Token;

type HmacSha256 = Hmac<Sha256>;

/// Why a request did not give its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The token came from a plain authenticator URI, without a server.
    NoServer,
    /// The server could not be reached.
    Unreachable { server: String, reason: String },
    /// The server answered with an error of the contract.
    Refused(ErrorCode),
    /// The server answered something that is not the contract.
    Unexpected(String),
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoServer => f.write_str(
                "this token has no aanmelden server: add it again from the QR code of the portal",
            ),
            Self::Unreachable { server, reason } => {
                write!(f, "cannot reach the server at {server}: {reason}")
            }
            Self::Refused(code) => write!(f, "the server refused: {code:?}"),
            Self::Unexpected(what) => write!(f, "unexpected answer from the server: {what}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// A client for one token.
pub struct Client<'a> {
    token: &'a Token,
    server: &'a str,
    device_id: i64,
    agent: ureq::Agent,
}

impl<'a> Client<'a> {
    pub fn new(token: &'a Token) -> Result<Self, ClientError> {
        let (Some(server), Some(device_id)) = (token.server.as_deref(), token.device_id) else {
            return Err(ClientError::NoServer);
        };
        Ok(Self {
            token,
            server,
            device_id,
            agent: ureq::AgentBuilder::new()
                .timeout(std::time::Duration::from_secs(15))
                .build(),
        })
    }

    /// The challenges waiting for this token's user, oldest first.
    pub fn pending(&self, now: i64) -> Result<Vec<PendingChallenge>, ClientError> {
        let response = self.send("GET", "/api/v1/authenticator/challenges", &[], now)?;
        response
            .into_json()
            .map_err(|e| ClientError::Unexpected(e.to_string()))
    }

    /// The devices of this token's user, oldest first.
    pub fn devices(&self, now: i64) -> Result<Vec<Device>, ClientError> {
        let response = self.send("GET", "/api/v1/authenticator/devices", &[], now)?;
        response
            .into_json()
            .map_err(|e| ClientError::Unexpected(e.to_string()))
    }

    /// Approve with the number or deny.
    pub fn answer(&self, id: &str, answer: ChallengeAnswer, now: i64) -> Result<(), ClientError> {
        let body =
            serde_json::to_vec(&answer).map_err(|e| ClientError::Unexpected(e.to_string()))?;
        self.send(
            "POST",
            &format!("/api/v1/authenticator/challenges/{id}"),
            &body,
            now,
        )
        .map(drop)
    }

    fn send(
        &self,
        method: &str,
        path: &str,
        body: &[u8],
        now: i64,
    ) -> Result<ureq::Response, ClientError> {
        let nonce = nonce();
        let message = signed::message(method, path, now, &nonce, body);
        let request = self
            .agent
            .request(method, &format!("{}{path}", self.server))
            .set(signed::DEVICE, &self.device_id.to_string())
            .set(signed::TIMESTAMP, &now.to_string())
            .set(signed::NONCE, &nonce)
            .set(
                signed::SIGNATURE,
                &signature(&self.token.secret_bytes(), &message),
            )
            .set("content-type", "application/json");
        let result = if body.is_empty() {
            request.call()
        } else {
            request.send_bytes(body)
        };
        match result {
            Ok(response) => Ok(response),
            Err(ureq::Error::Status(_, response)) => match response.into_json::<ErrorBody>() {
                Ok(body) => Err(ClientError::Refused(body.error.code)),
                Err(e) => Err(ClientError::Unexpected(e.to_string())),
            },
            Err(ureq::Error::Transport(transport)) => Err(ClientError::Unreachable {
                server: self.server.to_owned(),
                reason: transport.to_string(),
            }),
        }
    }
}

/// The hex signature of `message` for a device with this TOTP secret: HMAC-SHA256
/// under the push key, itself HMAC-SHA256 of "aanmelden push v1" under the secret.
pub fn signature(totp_secret: &[u8], message: &[u8]) -> String {
    let key = mac(totp_secret, b"aanmelden push v1");
    hex(&mac(&key, message))
}

fn mac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let Ok(mut mac) = HmacSha256::new_from_slice(key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// 128 random bits from the operating system, hex: never the same twice.
fn nonce() -> String {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).unwrap_or_else(|e| panic!("no randomness: {e}"));
    hex(&bytes)
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

    #[test]
    fn signatures_depend_on_every_part_of_the_message() {
        let secret = b"12345678901234567890";
        let base = signed::message("POST", "/api/v1/x", 100, "n", b"{}");
        let signed_base = signature(secret, &base);
        assert_eq!(signed_base.len(), 64);
        assert_eq!(signed_base, signature(secret, &base));
        for other in [
            signed::message("GET", "/api/v1/x", 100, "n", b"{}"),
            signed::message("POST", "/api/v1/y", 100, "n", b"{}"),
            signed::message("POST", "/api/v1/x", 101, "n", b"{}"),
            signed::message("POST", "/api/v1/x", 100, "m", b"{}"),
            signed::message("POST", "/api/v1/x", 100, "n", b"{ }"),
        ] {
            assert_ne!(signature(secret, &other), signed_base);
        }
        assert_ne!(signature(b"00000000000000000000", &base), signed_base);
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(nonce(), nonce());
        assert_eq!(nonce().len(), 32);
    }

    #[test]
    fn a_token_without_server_cannot_push() {
        let token =
            Token::from_uri("otpauth://totp/x:y?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=x")
                .unwrap();
        assert!(matches!(Client::new(&token), Err(ClientError::NoServer)));
    }
}
