//! Waking phones (Web Push, RFC 8030): when a sign-in waits, each of the
//! user's phone apps that subscribed gets a message from its own push
//! service, signed with the portal's key (VAPID, RFC 8292) and encrypted for
//! the phone (RFC 8291). It carries the challenge's id only; the app fetches
//! the rest over its signed requests.
//!
//! The endpoints are URLs the phones supplied: only https to public
//! addresses (checked again when the name is looked up, so a name cannot
//! turn into an inside address later), no redirects, no proxy, a time-out
//! per try, and a bounded number of tries. A subscription the push service
//! calls gone (404, 410) is dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use reqwest::StatusCode;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use web_push_native::jwt_simple::algorithms::{ECDSAP256PublicKeyLike, ES256KeyPair};
use web_push_native::{Auth, WebPushBuilder, p256};

use crate::domain::web_push::is_public;
use crate::store::Subscription;

/// How long one try may take, connecting included.
const TRY_TIMEOUT: Duration = Duration::from_secs(10);

/// Tries per message: the first, and two more after 1 and 2 seconds when
/// the push service was busy (429, 5xx) or could not be reached.
const TRIES: u32 = 3;

/// What became of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// The push service took it (201 and other 2xx).
    Taken,
    /// The subscription is gone (404, 410): drop it.
    Gone,
    /// Not delivered, for this reason (no endpoint in it).
    Failed(String),
}

/// The portal's side of Web Push: its key and an HTTP client for phones'
/// push services.
pub struct Sender {
    key: ES256KeyPair,
    contact: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for Sender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender")
            .field("contact", &self.contact)
            .finish_non_exhaustive()
    }
}

impl Sender {
    /// A sender with the key `private_key` (the P-256 scalar, 32 bytes),
    /// naming `contact` (an https URL or `mailto:`) to push services.
    /// `test_host` is the one host let through to a loopback or private
    /// address (the test push service's).
    pub fn new(
        private_key: &[u8],
        contact: String,
        test_host: Option<String>,
    ) -> anyhow::Result<Self> {
        let key = ES256KeyPair::from_bytes(private_key)
            .map_err(|e| anyhow::anyhow!("the Web Push key does not read: {e}"))?;
        let client = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TRY_TIMEOUT)
            .connect_timeout(TRY_TIMEOUT)
            .dns_resolver(Arc::new(PublicOnly { test_host }))
            .build()?;
        Ok(Self {
            key,
            contact,
            client,
        })
    }

    /// A new private key (the P-256 scalar, 32 bytes).
    pub fn generate_key() -> Vec<u8> {
        ES256KeyPair::generate().to_bytes()
    }

    /// The public key, as `applicationServerKey` (uncompressed point,
    /// base64url).
    pub fn public_key(&self) -> String {
        BASE64URL.encode(self.key.public_key().public_key().to_bytes_uncompressed())
    }

    /// Send `payload` to `subscription`, to be kept by the push service for
    /// `ttl` at most (a sign-in waits no longer).
    pub async fn send(
        &self,
        subscription: &Subscription,
        payload: &[u8],
        ttl: Duration,
    ) -> Delivery {
        let request = match self.request(subscription, payload, ttl) {
            Ok(request) => request,
            Err(reason) => return Delivery::Failed(reason),
        };
        let mut last = Delivery::Failed(String::new());
        for attempt in 0..TRIES {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(u64::from(attempt))).await;
            }
            let Some(try_request) = request.try_clone() else {
                break;
            };
            last = match self.client.execute(try_request).await {
                Ok(response) => match response.status() {
                    status if status.is_success() => return Delivery::Taken,
                    StatusCode::NOT_FOUND | StatusCode::GONE => return Delivery::Gone,
                    status
                        if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() =>
                    {
                        Delivery::Failed(format!("the push service answered {status}"))
                    }
                    status => {
                        return Delivery::Failed(format!("the push service answered {status}"));
                    }
                },
                Err(e) => Delivery::Failed(without_url(e)),
            };
        }
        last
    }

    fn request(
        &self,
        subscription: &Subscription,
        payload: &[u8],
        ttl: Duration,
    ) -> Result<reqwest::Request, String> {
        let decode = |text: &str| BASE64URL.decode(text).map_err(|e| e.to_string());
        let phone_key = p256::PublicKey::from_sec1_bytes(&decode(&subscription.p256dh)?)
            .map_err(|e| e.to_string())?;
        let auth = decode(&subscription.auth)?;
        if auth.len() != 16 {
            return Err("the subscription's secret is not 16 bytes".into());
        }
        let endpoint = subscription
            .endpoint
            .parse()
            .map_err(|_| "the endpoint is not a URL".to_owned())?;
        let built = WebPushBuilder::new(endpoint, phone_key, Auth::clone_from_slice(&auth))
            .with_valid_duration(ttl)
            .with_vapid(&self.key, &self.contact)
            .build(payload.to_vec())
            .map_err(|e| e.to_string())?;
        let (parts, body) = built.into_parts();
        let url = reqwest::Url::parse(&subscription.endpoint).map_err(|e| e.to_string())?;
        let mut request = reqwest::Request::new(reqwest::Method::POST, url);
        *request.headers_mut() = parts.headers;
        // Deliver at once, also to a phone saving its battery: someone
        // waits at a browser for it.
        request
            .headers_mut()
            .insert("urgency", reqwest::header::HeaderValue::from_static("high"));
        *request.body_mut() = Some(body.into());
        Ok(request)
    }
}

/// A transport error's text without the URL, which holds the phone's
/// capability to be pushed to.
fn without_url(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Names resolve to public addresses only; a name with none is an error.
struct PublicOnly {
    test_host: Option<String>,
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let test = self.test_host.as_deref() == Some(name.as_str());
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> = found
                .filter(|address| test || is_public(address.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(format!("{host} has no public address").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}
