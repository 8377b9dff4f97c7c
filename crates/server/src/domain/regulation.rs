//! Brute-force regulation. Every password, code or push number that is
//! checked first reserves a place in the counters it falls under, in the
//! database, before it is verified: parallel guesses queue on the same rows,
//! so no more than a counter's threshold are ever verified at once. A
//! failure keeps its place (and locks the counter when it is full); a
//! success gives it back.
//!
//! The counters, after the "familiar and unfamiliar locations" of large
//! identity providers:
//! - an account from one origin (address, IPv6 by /64): an attacker
//!   hammering an account locks only their own origin out of it;
//! - an account over all its unfamiliar origins, with a higher threshold:
//!   a distributed attack is still stopped, but origins the user has signed
//!   in from before are not locked out by it;
//! - an origin over all accounts it is unfamiliar for: a noisy address
//!   throttles only itself, and not the colleagues behind the same office
//!   address who signed in from there before;
//! - for IPv6, the /56 and the /48 around the origin's /64, likewise, with
//!   higher thresholds: a client given a /48 has 65,536 /64s to move
//!   between, and gains nothing by it;
//! - failures on names that are not users, from everywhere together, in a
//!   fixed window: a budget, past which passwords from unfamiliar origins
//!   wait for the window's end.
//!
//! The counts live in the database, so locks hold across instances and
//! restarts.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use super::network::UNKNOWN_CLIENT;

/// Where a request comes from, as regulation counts it: the IPv4 address,
/// or the /64 network of an IPv6 address (one customer's usual share); or
/// the one origin of all clients whose address is not known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin(String);

impl Origin {
    /// All clients whose address is not known count as one origin, which
    /// is never familiar: a proxy forwarding nothing readable must not let
    /// anyone past the counters of unfamiliar origins.
    fn unknown() -> Self {
        Self(UNKNOWN_CLIENT.to_owned())
    }

    /// Whether this origin is an address (or network), not the unknown one.
    pub fn is_known(&self) -> bool {
        self.0 != UNKNOWN_CLIENT
    }

    /// The origin of a client at `address`.
    pub fn of(address: IpAddr) -> Self {
        match address.to_canonical() {
            IpAddr::V4(v4) => Self(v4.to_string()),
            IpAddr::V6(v6) => {
                let segments = v6.segments();
                let network = Ipv6Addr::new(
                    segments[0],
                    segments[1],
                    segments[2],
                    segments[3],
                    0,
                    0,
                    0,
                    0,
                );
                Self(format!("{network}/64"))
            }
        }
    }

    /// The wider networks a client at `client` is counted in too: for an
    /// IPv6 address its /56 and its /48, with their prefix lengths; none
    /// for IPv4 or an unknown client.
    pub fn networks(client: &str) -> Vec<(Self, u8)> {
        let Ok(address) = client.parse::<IpAddr>() else {
            return Vec::new();
        };
        let IpAddr::V6(v6) = address.to_canonical() else {
            return Vec::new();
        };
        [56u8, 48]
            .into_iter()
            .map(|prefix| {
                let mask = u128::MAX << (128 - u32::from(prefix));
                let network = Ipv6Addr::from(u128::from(v6) & mask);
                (Self(format!("{network}/{prefix}")), prefix)
            })
            .collect()
    }

    /// The origin of a client address as text; anything that is not an
    /// address is the unknown origin.
    pub fn parse(client: &str) -> Self {
        client
            .parse::<IpAddr>()
            .map_or_else(|_| Self::unknown(), Self::of)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One counter of failures. An account is named by its tag
/// ([`crate::domain::secrets::Cipher::tag`]), not by what was typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject<'a> {
    /// An account (known or not, so locks tell nothing about who exists)
    /// from one origin.
    AccountFrom(&'a str, &'a Origin),
    /// An account over all origins unfamiliar to it.
    Account(&'a str),
    /// An origin over all accounts it is unfamiliar to.
    Origin(&'a Origin),
    /// An IPv6 network wider than an origin (see [`Origin::networks`])
    /// over all accounts its origins are unfamiliar to.
    Network(&'a Origin, u8),
    /// Failures on names that are not users, from everywhere.
    UnknownNames,
}

impl Subject<'_> {
    /// The key under which the database counts this subject.
    pub fn key(&self) -> String {
        match self {
            Self::AccountFrom(name, origin) => format!("from:{origin} user:{name}"),
            Self::Account(name) => format!("user:{name}"),
            Self::Origin(origin) => format!("addr:{origin}"),
            Self::Network(network, _) => format!("net:{network}"),
            Self::UnknownNames => "unknown-names".to_owned(),
        }
    }

    /// What kind of counter this is, for the audit log (which never shows
    /// the typed user name inside a key).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AccountFrom(..) => "account_from_origin",
            Self::Account(_) => "account",
            Self::Origin(_) => "origin",
            Self::Network(_, 56) => "network_56",
            Self::Network(..) => "network_48",
            Self::UnknownNames => "unknown_names",
        }
    }

    /// The account this counter belongs to, so unlocking an account lifts
    /// all of its counters.
    pub fn account(&self) -> Option<&str> {
        match self {
            Self::AccountFrom(name, _) | Self::Account(name) => Some(name),
            Self::Origin(_) | Self::Network(..) | Self::UnknownNames => None,
        }
    }
}

/// How many failures within how long lead to how long a lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures within `window_s` that lock.
    pub threshold: i64,
    /// Seconds over which failures are counted.
    pub window_s: i64,
    /// Seconds a lock lasts.
    pub lock_s: i64,
}

/// A counter with the policy it is held to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    pub key: String,
    /// [`Subject::kind`].
    pub kind: &'static str,
    pub account: Option<String>,
    pub policy: Policy,
}

/// Seconds until `locked_until`, if that is still ahead of `now`.
pub fn retry_after(locked_until: i64, now: i64) -> Option<u64> {
    u64::try_from(locked_until - now).ok().filter(|&s| s > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_accounts_and_origins_apart() {
        let origin = Origin::parse("127.0.0.1");
        assert_eq!(Subject::Account("a@b.nl").key(), "user:a@b.nl");
        assert_eq!(Subject::Origin(&origin).key(), "addr:127.0.0.1");
        assert_eq!(
            Subject::AccountFrom("a@b.nl", &origin).key(),
            "from:127.0.0.1 user:a@b.nl"
        );
        assert_eq!(
            Subject::AccountFrom("a@b.nl", &origin).account(),
            Some("a@b.nl")
        );
        assert_eq!(Subject::Origin(&origin).account(), None);
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
        assert_eq!(
            Origin::parse("2001:db8:1:2:aaaa:bbbb:cccc:dddd").as_str(),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            Origin::parse("2001:db8:1:2::1"),
            Origin::parse("2001:db8:1:2:ffff::9")
        );
        assert_ne!(
            Origin::parse("2001:db8:1:2::1"),
            Origin::parse("2001:db8:1:3::1")
        );
        assert_eq!(Origin::parse("::ffff:192.0.2.7").as_str(), "192.0.2.7");
    }

    #[test]
    fn ipv6_is_also_counted_by_56_and_48() {
        let networks = Origin::networks("2001:db8:1:2345:aaaa:bbbb:cccc:dddd");
        let keys: Vec<String> = networks
            .iter()
            .map(|(network, prefix)| Subject::Network(network, *prefix).key())
            .collect();
        assert_eq!(keys, ["net:2001:db8:1:2300::/56", "net:2001:db8:1::/48"]);
        assert_eq!(
            Origin::networks("2001:db8:1:23ff::1"),
            Origin::networks("2001:db8:1:2300::9")
        );
        assert_ne!(
            Origin::networks("2001:db8:1:2300::1")[0],
            Origin::networks("2001:db8:1:2400::1")[0]
        );
        assert!(Origin::networks("192.0.2.7").is_empty());
        assert!(Origin::networks("::ffff:192.0.2.7").is_empty());
        assert!(Origin::networks(UNKNOWN_CLIENT).is_empty());
    }

    #[test]
    fn clients_without_an_address_are_one_unknown_origin() {
        assert_eq!(Origin::parse(""), Origin::parse(UNKNOWN_CLIENT));
        assert_eq!(Origin::parse("").as_str(), UNKNOWN_CLIENT);
        assert!(!Origin::parse(UNKNOWN_CLIENT).is_known());
        assert!(Origin::parse("192.0.2.7").is_known());
        assert!(Origin::parse("2001:db8::1").is_known());
    }

    #[test]
    fn retry_after_counts_down_to_nothing() {
        assert_eq!(retry_after(1_000, 100), Some(900));
        assert_eq!(retry_after(1_000, 999), Some(1));
        assert_eq!(retry_after(1_000, 1_000), None);
        assert_eq!(retry_after(0, 1_000), None);
    }
}
