//! Which address a request comes from, when reverse proxies stand between
//! the client and the server: the trusted proxies, and the right-most
//! untrusted hop of a forwarding chain.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// A network: an address and a prefix length (`10.0.0.0/8`, `::1/128`); a
/// bare address is a network of one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `address` lies in this network. IPv4 addresses written as
    /// IPv6 (`::ffff:a.b.c.d`) count as IPv4.
    pub fn contains(&self, address: IpAddr) -> bool {
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(addr)) => {
                prefix_matches(&net.octets(), &addr.octets(), self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(addr)) => {
                prefix_matches(&net.octets(), &addr.octets(), self.prefix)
            }
            _ => false,
        }
    }
}

fn prefix_matches(network: &[u8], address: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if network[..full] != address[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    network[full] & mask == address[full] & mask
}

/// Why a network could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an address or network such as 10.0.0.0/8 or 2001:db8::/32")]
pub struct CidrError(String);

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, CidrError> {
        let error = || CidrError(text.to_owned());
        let (address, prefix) = match text.trim().split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text.trim(), None),
        };
        let network: IpAddr = address.parse().map_err(|_| error())?;
        let network = network.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|&p| p <= max)
                .ok_or_else(error)?,
            None => max,
        };
        Ok(Self { network, prefix })
    }
}

impl fmt::Debug for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// A list of networks from configuration: a TOML array of strings, or one
/// string of comma-separated networks (as an environment variable gives it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Networks(pub Vec<Cidr>);

impl Networks {
    /// `127.0.0.0/8` and `::1`: this machine.
    pub fn loopback() -> Self {
        Self(vec![
            Cidr {
                network: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                prefix: 8,
            },
            Cidr {
                network: IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
                prefix: 128,
            },
        ])
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        self.0.iter().any(|network| network.contains(address))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromStr for Networks {
    type Err = CidrError;

    /// Comma-separated networks.
    fn from_str(text: &str) -> Result<Self, CidrError> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl<'de> Deserialize<'de> for Networks {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(String),
            Many(Vec<String>),
        }
        match Raw::deserialize(deserializer)? {
            Raw::One(text) => text.parse(),
            Raw::Many(items) => items
                .iter()
                .map(|item| item.parse())
                .collect::<Result<_, _>>()
                .map(Self),
        }
        .map_err(serde::de::Error::custom)
    }
}

/// What stands for the client where no address is known: a trusted proxy
/// forwarded nothing readable for it. Never an address, so such a client
/// is never a monitoring host, a kiosk or a familiar origin.
pub const UNKNOWN_CLIENT: &str = "unknown";

/// The client of a request that reached us from `peer`, with `forwarded`
/// the hops a forwarding header lists, the client first and the last proxy
/// last: walking from the peer leftwards, the first hop that is not a
/// trusted proxy. A header from an untrusted peer is never read. `None`
/// when the peer is trusted but its header names no untrusted hop (none at
/// all, only trusted ones, or one that does not parse before it): the
/// proxy forwarded no client, and the proxy itself is none.
pub fn client_address(peer: IpAddr, forwarded: &[&[u8]], trusted: &Networks) -> Option<IpAddr> {
    if !trusted.contains(peer) {
        return Some(peer.to_canonical());
    }
    for hop in forwarded.iter().rev() {
        let address = parse_hop(hop)?;
        if !trusted.contains(address) {
            return Some(address.to_canonical());
        }
    }
    None
}

/// An address as forwarding headers write it: `192.0.2.1`, `192.0.2.1:80`,
/// `2001:db8::1`, `[2001:db8::1]:80`, possibly quoted. Bytes, since a hop
/// a client made up may hold anything.
fn parse_hop(hop: &[u8]) -> Option<IpAddr> {
    let hop = std::str::from_utf8(hop).ok()?.trim().trim_matches('"');
    if let Ok(address) = hop.parse() {
        return Some(address);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    let (address, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    address.parse().ok()
}

/// The hops of an `X-Forwarded-For` header, in order.
pub fn x_forwarded_for(header: &[u8]) -> impl Iterator<Item = &[u8]> {
    header.split(|&b| b == b',')
}

/// The `for=` addresses of a `Forwarded` header (RFC 7239), in order. An
/// element without one is a hop that names no address.
pub fn forwarded_for(header: &[u8]) -> impl Iterator<Item = &[u8]> {
    header.split(|&b| b == b',').map(|element| {
        element
            .split(|&b| b == b';')
            .find_map(|pair| {
                let at = pair.iter().position(|&b| b == b'=')?;
                let (name, value) = (&pair[..at], &pair[at + 1..]);
                name.trim_ascii()
                    .eq_ignore_ascii_case(b"for")
                    .then(|| value.trim_ascii())
            })
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn networks(list: &[&str]) -> Networks {
        Networks(list.iter().map(|n| n.parse().unwrap()).collect())
    }

    #[test]
    fn networks_contain_their_addresses() {
        let n: Cidr = "10.1.0.0/16".parse().unwrap();
        assert!(n.contains(ip("10.1.200.3")));
        assert!(!n.contains(ip("10.2.0.1")));
        assert!(n.contains(ip("::ffff:10.1.0.9")));
        let one: Cidr = "127.0.0.1".parse().unwrap();
        assert!(one.contains(ip("127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));
        let odd: Cidr = "192.168.0.0/23".parse().unwrap();
        assert!(odd.contains(ip("192.168.1.255")));
        assert!(!odd.contains(ip("192.168.2.0")));
        let v6: Cidr = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains(ip("2001:db8:ffff::1")));
        assert!(!v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(ip("203.0.113.9")));
    }

    #[test]
    fn bad_networks_are_refused() {
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0/8",
            "proxy",
            "::1/129",
            "10.0.0.0/x",
        ] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad:?}");
        }
    }

    /// The client behind `peer` for an `X-Forwarded-For` header `header`.
    fn client(peer: &str, header: &[u8], trusted: &Networks) -> Option<IpAddr> {
        let hops: Vec<&[u8]> = x_forwarded_for(header).collect();
        client_address(ip(peer), &hops, trusted)
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_hop() {
        let trusted = networks(&["127.0.0.1", "10.0.0.0/8"]);
        let found = |header: &[u8]| client("127.0.0.1", header, &trusted);
        // Through two trusted proxies: the hop before them.
        assert_eq!(found(b"198.51.100.7, 10.0.0.5"), Some(ip("198.51.100.7")));
        // A value the client made up stands left of the real one: ignored,
        // whatever bytes it holds.
        assert_eq!(found(b"1.2.3.4, 198.51.100.7"), Some(ip("198.51.100.7")));
        assert_eq!(
            found(b"caf\xc3\xa9 \xff, 198.51.100.7"),
            Some(ip("198.51.100.7"))
        );
        // An untrusted peer's header is not read at all.
        assert_eq!(
            client("198.51.100.7", b"1.2.3.4", &trusted),
            Some(ip("198.51.100.7"))
        );
        // Nothing trusted: the peer.
        assert_eq!(
            client("127.0.0.1", b"1.2.3.4", &Networks::default()),
            Some(ip("127.0.0.1"))
        );
    }

    #[test]
    fn a_trusted_proxy_that_forwards_no_client_leaves_it_unknown() {
        let trusted = networks(&["127.0.0.1", "10.0.0.0/8"]);
        let found = |header: &[u8]| client("127.0.0.1", header, &trusted);
        // A hop that does not parse, before any untrusted one.
        assert_eq!(found(b"unknown"), None);
        assert_eq!(found(b"198.51.100.7, \xff"), None);
        // No header, or only proxies in it: never a proxy's own address.
        assert_eq!(found(b""), None);
        assert_eq!(client_address(ip("127.0.0.1"), &[], &trusted), None);
        assert_eq!(found(b"10.0.0.2, 10.0.0.3"), None);
    }

    #[test]
    fn hops_with_ports_brackets_and_quotes_parse() {
        assert_eq!(parse_hop(b" 192.0.2.1 "), Some(ip("192.0.2.1")));
        assert_eq!(parse_hop(b"192.0.2.1:8080"), Some(ip("192.0.2.1")));
        assert_eq!(
            parse_hop(b"\"[2001:db8::1]:4711\""),
            Some(ip("2001:db8::1"))
        );
        assert_eq!(parse_hop(b"2001:db8::1"), Some(ip("2001:db8::1")));
        assert_eq!(parse_hop(b"_hidden"), None);
        assert_eq!(parse_hop(b"192.0.2.1\xff"), None);
    }

    #[test]
    fn forwarded_header_gives_its_for_values() {
        let header = b"for=192.0.2.60;proto=http;by=203.0.113.43, proto=https, For=\"[2001:db8:cafe::17]:4711\"";
        assert_eq!(
            forwarded_for(header).collect::<Vec<_>>(),
            [&b"192.0.2.60"[..], b"", b"\"[2001:db8:cafe::17]:4711\""]
        );
    }

    #[test]
    fn networks_read_from_a_list_or_a_comma_separated_string() {
        #[derive(Deserialize)]
        struct T {
            n: Networks,
        }
        let list: T = toml::from_str("n = [\"127.0.0.1\", \"10.0.0.0/8\"]").unwrap();
        let text: T = toml::from_str("n = \"127.0.0.1, 10.0.0.0/8\"").unwrap();
        assert_eq!(list.n, text.n);
        assert_eq!(list.n.0.len(), 2);
        assert!(toml::from_str::<T>("n = \"nonsense\"").is_err());
    }
}
