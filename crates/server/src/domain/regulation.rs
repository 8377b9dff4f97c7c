//! Brute-force regulation: failed passwords and codes are counted per account
//! and per client address; past a threshold within a window, that account or
//! address is locked for a while. The counts live in the database, so a lock
//! holds across instances and restarts.

/// What is counted: an account (known or not, so locks tell nothing about
/// who exists) or a client address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject<'a> {
    Account(&'a str),
    Address(&'a str),
}

impl Subject<'_> {
    /// The key under which the database counts this subject.
    pub fn key(&self) -> String {
        match self {
            Self::Account(name) => format!("user:{name}"),
            Self::Address(address) => format!("addr:{address}"),
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

/// Seconds until `locked_until`, if that is still ahead of `now`.
pub fn retry_after(locked_until: i64, now: i64) -> Option<u64> {
    u64::try_from(locked_until - now).ok().filter(|&s| s > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_accounts_and_addresses_apart() {
        assert_eq!(Subject::Account("a@b.nl").key(), "user:a@b.nl");
        assert_eq!(Subject::Address("127.0.0.1").key(), "addr:127.0.0.1");
    }

    #[test]
    fn retry_after_counts_down_to_nothing() {
        assert_eq!(retry_after(1_000, 100), Some(900));
        assert_eq!(retry_after(1_000, 999), Some(1));
        assert_eq!(retry_after(1_000, 1_000), None);
        assert_eq!(retry_after(0, 1_000), None);
    }
}
