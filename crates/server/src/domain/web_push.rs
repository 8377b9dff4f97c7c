//! The phone app's rules, with no HTTP and no SQL: which device keys and
//! push endpoints are accepted, and how a signature by a device key is
//! checked.

use std::net::IpAddr;
use std::sync::LazyLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint;

use super::network::Cidr;

/// Longest push endpoint accepted (the services' own are far shorter).
pub const MAX_ENDPOINT_CHARS: usize = 1024;

/// A device key as the phone app sends it, checked to be a point of P-256
/// and written anew in the one form kept: uncompressed SEC1, base64url.
pub fn device_key(text: &str) -> Option<String> {
    let bytes = BASE64URL.decode(text.trim_end_matches('=')).ok()?;
    let key = VerifyingKey::from_sec1_bytes(&bytes).ok()?;
    Some(BASE64URL.encode(key.to_encoded_point(false).as_bytes()))
}

/// Whether `signature` (hex `r || s`) is the ECDSA P-256 / SHA-256
/// signature of `message` by the device key `public_key` (as
/// [`device_key`] gives it).
pub fn verify_by_key(public_key: &str, message: &[u8], signature: &str) -> bool {
    let Some(key) = BASE64URL
        .decode(public_key)
        .ok()
        .and_then(|bytes| VerifyingKey::from_sec1_bytes(&bytes).ok())
    else {
        return false;
    };
    let Some(signature) = from_hex(signature).and_then(|b| Signature::from_slice(&b).ok()) else {
        return false;
    };
    key.verify(message, &signature).is_ok()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Why a push endpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("not a URL")]
    NotAUrl,
    #[error("only https endpoints are accepted")]
    NotHttps,
    #[error("the endpoint names a private, loopback or reserved address")]
    NotPublic,
    #[error("longer than {MAX_ENDPOINT_CHARS} characters")]
    TooLong,
    #[error("the keys are not a P-256 point and a 16-byte secret")]
    BadKeys,
}

/// A push endpoint the phone supplied, if the portal may send to it: https,
/// without a user name or password in it, not at an address of the
/// portal's own network (a phone cannot make the portal knock on inside
/// doors). `test_origin` (a setting for tests) is let through as it is.
pub fn endpoint(text: &str, test_origin: Option<&str>) -> Result<url::Url, EndpointError> {
    if text.len() > MAX_ENDPOINT_CHARS {
        return Err(EndpointError::TooLong);
    }
    let url = url::Url::parse(text).map_err(|_| EndpointError::NotAUrl)?;
    let is_test_origin = test_origin
        .and_then(|origin| url::Url::parse(origin).ok())
        .is_some_and(|origin| origin.origin() == url.origin());
    if is_test_origin {
        return Ok(url);
    }
    if url.scheme() != "https" {
        return Err(EndpointError::NotHttps);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(EndpointError::NotAUrl);
    }
    match url.host() {
        Some(url::Host::Domain(name)) if !is_local_name(name) => Ok(url),
        Some(url::Host::Ipv4(address)) if is_public(address.into()) => Ok(url),
        Some(url::Host::Ipv6(address)) if is_public(address.into()) => Ok(url),
        _ => Err(EndpointError::NotPublic),
    }
}

/// The phone's keys of a subscription, checked: a P-256 point and a
/// 16-byte secret, base64url.
pub fn subscription_keys(p256dh: &str, auth: &str) -> Result<(String, String), EndpointError> {
    let key = BASE64URL
        .decode(p256dh.trim_end_matches('='))
        .ok()
        .and_then(|bytes| p256::PublicKey::from_sec1_bytes(&bytes).ok())
        .ok_or(EndpointError::BadKeys)?;
    let secret = BASE64URL
        .decode(auth.trim_end_matches('='))
        .ok()
        .filter(|bytes| bytes.len() == 16)
        .ok_or(EndpointError::BadKeys)?;
    Ok((
        BASE64URL.encode(key.to_encoded_point(false).as_bytes()),
        BASE64URL.encode(secret),
    ))
}

/// Names that never lead out of the machine or the site's own network.
fn is_local_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let last_label = name.rsplit('.').next().unwrap_or_default();
    name == "localhost"
        || ["localhost", "local", "internal"].contains(&last_label)
        || !name.contains('.')
}

/// Networks a push service is never in: this machine, private and
/// carrier-grade NAT networks, link-local, multicast, documentation,
/// benchmarking and reserved ranges, and IPv6's unique-local and NAT64.
static NOT_PUBLIC: LazyLock<Vec<Cidr>> = LazyLock::new(|| {
    [
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/3",
        "::/127",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "100::/64",
        "2001:db8::/32",
        "fc00::/7",
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    ]
    .iter()
    .filter_map(|text| text.parse().ok())
    .collect()
});

/// Whether `address` may be a push service's (IPv4 written as IPv6 is
/// taken as IPv4).
pub fn is_public(address: IpAddr) -> bool {
    !NOT_PUBLIC.iter().any(|network| network.contains(address))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::SigningKey;
    use p256::ecdsa::signature::Signer;

    fn hex(bytes: &[u8]) -> String {
        use std::fmt::Write;
        bytes.iter().fold(String::new(), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
    }

    #[test]
    fn a_device_key_signs_and_nothing_else_verifies() {
        let signing = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let public = BASE64URL.encode(signing.verifying_key().to_encoded_point(false).as_bytes());
        assert_eq!(device_key(&public).as_deref(), Some(public.as_str()));
        let signature: Signature = signing.sign(b"POST\n/x\n1\nn\n{}");
        let signature = hex(&signature.to_bytes());
        assert!(verify_by_key(&public, b"POST\n/x\n1\nn\n{}", &signature));
        assert!(verify_by_key(
            &public,
            b"POST\n/x\n1\nn\n{}",
            &signature.to_uppercase()
        ));
        assert!(!verify_by_key(&public, b"POST\n/x\n2\nn\n{}", &signature));
        assert!(!verify_by_key(
            &public,
            b"POST\n/x\n1\nn\n{}",
            &signature[2..]
        ));
        let other = SigningKey::from_slice(&[8u8; 32]).unwrap();
        let other = BASE64URL.encode(other.verifying_key().to_encoded_point(false).as_bytes());
        assert!(!verify_by_key(&other, b"POST\n/x\n1\nn\n{}", &signature));
    }

    #[test]
    fn only_points_of_the_curve_are_device_keys() {
        assert_eq!(device_key("AAAA"), None);
        assert_eq!(device_key(&BASE64URL.encode([4u8; 65])), None);
        assert_eq!(device_key("not base64 at all!"), None);
        let signing = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let compressed = signing.verifying_key().to_encoded_point(true);
        let full = signing.verifying_key().to_encoded_point(false);
        assert_eq!(
            device_key(&BASE64URL.encode(compressed.as_bytes())),
            Some(BASE64URL.encode(full.as_bytes()))
        );
    }

    #[test]
    fn push_endpoints_are_public_https_urls() {
        for good in [
            "https://fcm.googleapis.com/fcm/send/abc:def",
            "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
            "https://web.push.apple.com/QGx",
            "https://93.184.216.34/push",
            "https://[2606:4700::1111]/push",
        ] {
            assert!(endpoint(good, None).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("http://fcm.googleapis.com/x", EndpointError::NotHttps),
            ("ftp://example.com/x", EndpointError::NotHttps),
            ("https://127.0.0.1/x", EndpointError::NotPublic),
            ("https://10.1.2.3/x", EndpointError::NotPublic),
            ("https://192.168.1.1/x", EndpointError::NotPublic),
            ("https://169.254.169.254/latest", EndpointError::NotPublic),
            ("https://[::1]/x", EndpointError::NotPublic),
            ("https://[::ffff:10.0.0.1]/x", EndpointError::NotPublic),
            ("https://[fd00::1]/x", EndpointError::NotPublic),
            ("https://localhost/x", EndpointError::NotPublic),
            ("https://push.localhost/x", EndpointError::NotPublic),
            ("https://intranet/x", EndpointError::NotPublic),
            ("https://user:pw@example.com/x", EndpointError::NotAUrl),
            ("not a url", EndpointError::NotAUrl),
        ] {
            assert_eq!(endpoint(bad, None), Err(why), "{bad}");
        }
        let long = format!("https://example.com/{}", "a".repeat(MAX_ENDPOINT_CHARS));
        assert_eq!(endpoint(&long, None), Err(EndpointError::TooLong));
    }

    #[test]
    fn the_test_origin_is_let_through_and_nothing_beside_it() {
        let origin = Some("http://127.0.0.1:4567");
        assert!(endpoint("http://127.0.0.1:4567/push/1", origin).is_ok());
        assert!(endpoint("http://127.0.0.1:4568/push/1", origin).is_err());
        assert!(endpoint("http://127.0.0.2:4567/push/1", origin).is_err());
    }

    #[test]
    fn subscription_keys_are_a_point_and_sixteen_bytes() {
        let signing = SigningKey::from_slice(&[7u8; 32]).unwrap();
        let point = BASE64URL.encode(signing.verifying_key().to_encoded_point(false).as_bytes());
        let auth = BASE64URL.encode([1u8; 16]);
        assert_eq!(
            subscription_keys(&point, &auth),
            Ok((point.clone(), auth.clone()))
        );
        assert!(subscription_keys(&point, &BASE64URL.encode([1u8; 15])).is_err());
        assert!(subscription_keys("AAAA", &auth).is_err());
    }
}
