//! The rules of signing in, with no HTTP and no SQL: the state machine, TOTP,
//! password hashing, device names, and the handling of secrets.

pub mod devices;
pub mod network;
pub mod passwords;
pub mod push;
pub mod recovery;
pub mod regulation;
pub mod return_to;
pub mod secrets;
pub mod sign_in;
pub mod totp;
pub mod web_push;

/// A user name as stored and compared: trimmed, Unicode-normalised (NFKC)
/// and case-folded, so that look-alike spellings (`ＪＡＮ`, `Jan`) are one name.
pub fn normalise_username(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let composed: String = raw.trim().nfkc().collect();
    caseless::default_case_fold_str(&composed).nfkc().collect()
}

/// Longest user name accepted (the longest e-mail address).
pub const MAX_USERNAME_CHARS: usize = 254;

/// Whether a normalised user name can be stored: not empty, not too long,
/// and without control, zero-width or text-direction characters, which
/// would let two names look the same.
pub fn username_is_valid(name: &str) -> bool {
    !name.is_empty()
        && name.chars().count() <= MAX_USERNAME_CHARS
        && !name
            .chars()
            .any(|c| c.is_control() || is_invisible_format(c))
}

/// Longest full name accepted.
pub const MAX_DISPLAY_NAME_CHARS: usize = 200;

/// A user's full name as applications are told it (`Remote-Name`): trimmed,
/// or `None` when it is empty, too long or holds control, zero-width or
/// text-direction characters.
pub fn valid_display_name(raw: &str) -> Option<&str> {
    let name = raw.trim();
    let valid = !name.is_empty()
        && name.chars().count() <= MAX_DISPLAY_NAME_CHARS
        && !name
            .chars()
            .any(|c| c.is_control() || is_invisible_format(c));
    valid.then_some(name)
}

/// Format characters that change how text looks or reads without being
/// seen: zero-width characters, bidirectional controls, and the like.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_name_is_trimmed_visible_text_of_limited_length() {
        assert_eq!(
            valid_display_name("  Jan de Vries-Ünal "),
            Some("Jan de Vries-Ünal")
        );
        assert_eq!(valid_display_name("   "), None);
        assert_eq!(valid_display_name("Jan\u{202E}seirV"), None);
        assert_eq!(valid_display_name("Jan\u{200B}"), None);
        assert_eq!(valid_display_name("Jan\r\nX-Evil: 1"), None);
        assert!(valid_display_name(&"a".repeat(MAX_DISPLAY_NAME_CHARS)).is_some());
        assert!(valid_display_name(&"a".repeat(MAX_DISPLAY_NAME_CHARS + 1)).is_none());
    }

    #[test]
    fn user_names_are_trimmed_and_case_insensitive() {
        assert_eq!(
            normalise_username("  TestGebruiker@MissingPiece.nl "),
            "testgebruiker@missingpiece.nl"
        );
    }

    #[test]
    fn look_alike_spellings_are_one_name() {
        assert_eq!(
            normalise_username("ＴＥＳＴgebruiker@missingpiece.nl"),
            "testgebruiker@missingpiece.nl"
        );
        assert_eq!(
            normalise_username("STRASSE@x.nl"),
            normalise_username("straße@x.nl")
        );
        assert_eq!(
            normalise_username("e\u{301}@x.nl"),
            normalise_username("\u{e9}@x.nl")
        );
    }

    #[test]
    fn user_name_rules() {
        assert!(username_is_valid("a@b.nl"));
        assert!(username_is_valid("jan"));
        assert!(!username_is_valid(""));
        assert!(!username_is_valid("a\nb"));
        assert!(!username_is_valid(&"a".repeat(255)));
        for invisible in [
            '\u{200B}', '\u{200D}', '\u{202E}', '\u{2066}', '\u{FEFF}', '\u{00AD}',
        ] {
            let name = format!("jan{invisible}@b.nl");
            assert!(!username_is_valid(&normalise_username(&name)), "{name:?}");
        }
    }
}
