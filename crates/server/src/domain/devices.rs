//! Rules for device names.

/// Longest device name, in characters.
pub const MAX_NAME_CHARS: usize = 32;

/// Why a device name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameError {
    Empty,
    TooLong,
    ControlCharacter,
}

/// A device name that follows the rules: trimmed, 1 to 32 characters, no
/// control characters. Uniqueness is the database's to settle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceName(String);

impl DeviceName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let name = raw.trim();
        if name.is_empty() {
            Err(NameError::Empty)
        } else if name.chars().count() > MAX_NAME_CHARS {
            Err(NameError::TooLong)
        } else if name.chars().any(char::is_control) {
            Err(NameError::ControlCharacter)
        } else {
            Ok(Self(name.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The form compared for uniqueness: "iPhone" and "iphone" are one name.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_one_to_32_characters_pass_trimmed() {
        assert_eq!(DeviceName::parse(" iPhone ").unwrap().as_str(), "iPhone");
        assert!(DeviceName::parse("x").is_ok());
        assert!(DeviceName::parse(&"é".repeat(32)).is_ok());
    }

    #[test]
    fn empty_long_and_control_names_fail() {
        assert_eq!(DeviceName::parse("   "), Err(NameError::Empty));
        assert_eq!(DeviceName::parse(&"a".repeat(33)), Err(NameError::TooLong));
        assert_eq!(
            DeviceName::parse("a\u{7}b"),
            Err(NameError::ControlCharacter)
        );
    }

    #[test]
    fn key_ignores_case() {
        assert_eq!(
            DeviceName::parse("iPhone").unwrap().key(),
            DeviceName::parse("IPHONE").unwrap().key()
        );
    }
}
