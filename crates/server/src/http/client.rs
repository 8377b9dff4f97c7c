//! The client's address, as both faces and the audit log know it.

use std::convert::Infallible;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::HeaderValue;
use axum::http::request::Parts;

use crate::AppState;
use crate::config::ForwardingHeader;
use crate::domain::network::{UNKNOWN_CLIENT, client_address, forwarded_for, x_forwarded_for};

/// The client's address: the socket peer, or, when the peer is a trusted
/// proxy, the right-most untrusted hop of the forwarding header the
/// configuration names; [`UNKNOWN_CLIENT`] when that header names none.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Infallible> {
        let Some(peer) = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())
        else {
            return Ok(Self(UNKNOWN_CLIENT.to_owned()));
        };
        let values = parts
            .headers
            .get_all(app.config.client_address_header.name())
            .iter()
            .map(HeaderValue::as_bytes);
        let hops: Vec<&[u8]> = match app.config.client_address_header {
            ForwardingHeader::XForwardedFor => values.flat_map(x_forwarded_for).collect(),
            ForwardingHeader::Forwarded => values.flat_map(forwarded_for).collect(),
        };
        let client = client_address(peer, &hops, &app.config.trusted_proxies);
        Ok(Self(client.map_or_else(
            || UNKNOWN_CLIENT.to_owned(),
            |address| address.to_string(),
        )))
    }
}
