//! The rules of signing in, with no HTTP and no SQL: the state machine, TOTP,
//! password hashing, device names, and the handling of secrets.

pub mod devices;
pub mod network;
pub mod passwords;
pub mod push;
pub mod regulation;
pub mod secrets;
pub mod sign_in;
pub mod totp;

/// A user name as stored and compared: trimmed and lower-cased.
pub fn normalise_username(raw: &str) -> String {
    raw.trim().to_lowercase()
}

/// Longest user name accepted (the longest e-mail address).
pub const MAX_USERNAME_CHARS: usize = 254;

/// Whether a normalised user name can be stored.
pub fn username_is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_USERNAME_CHARS
        && !name.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_are_trimmed_and_case_insensitive() {
        assert_eq!(
            normalise_username("  TestGebruiker@MissingPiece.nl "),
            "testgebruiker@missingpiece.nl"
        );
    }

    #[test]
    fn user_name_rules() {
        assert!(username_is_valid("a@b.nl"));
        assert!(!username_is_valid(""));
        assert!(!username_is_valid("a\nb"));
        assert!(!username_is_valid(&"a".repeat(255)));
    }
}
