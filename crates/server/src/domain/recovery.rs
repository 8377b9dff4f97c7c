//! Recovery codes: ten single-use codes that sign in instead of the second
//! factor when the phone is lost. Each is ten characters of Crockford's
//! base 32 (digits and letters but i, l, o and u), 50 random bits, shown
//! as two groups of five; typed in any case, with or without the dash or
//! spaces, an o read as 0 and an i or l as 1. A helpdesk pass is written
//! in the same characters: twelve, 60 bits, as three groups of four.

use std::fmt;

use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;

/// How many codes a set has.
pub const SET_SIZE: usize = 10;

/// The characters of a code: 32 of them, 5 bits each.
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Characters a code has.
const LENGTH: usize = 10;

/// Characters a helpdesk pass has.
const PASS_LENGTH: usize = 12;

/// A recovery code as shown to its user (`k7m2p-x9q4r`), or a helpdesk
/// pass (`k7m2-px9q-4r0a`). Prints redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

/// A new set of [`SET_SIZE`] codes, all different.
pub fn new_set() -> Vec<RecoveryCode> {
    let mut set: Vec<RecoveryCode> = Vec::with_capacity(SET_SIZE);
    while set.len() < SET_SIZE {
        let code = random_code(LENGTH, LENGTH / 2);
        if !set.contains(&code) {
            set.push(code);
        }
    }
    set
}

/// A new helpdesk pass.
pub fn new_pass() -> RecoveryCode {
    random_code(PASS_LENGTH, 4)
}

/// `length` random characters, a dash between each `group` of them.
fn random_code(length: usize, group: usize) -> RecoveryCode {
    let mut code = String::with_capacity(length + length / group);
    for i in 0..length {
        if i > 0 && i % group == 0 {
            code.push('-');
        }
        // 32 characters: every value of 5 bits is one, with no bias.
        let index = (OsRng.next_u32() % 32) as usize;
        code.push(char::from(ALPHABET[index]));
    }
    RecoveryCode(code)
}

/// A typed code as it is hashed: lower case, without dashes and spaces;
/// `None` when it cannot be a code (then no attempt need be spent on it,
/// but it still counts as a wrong one).
pub fn normalise(typed: &str) -> Option<String> {
    normalised(typed, LENGTH)
}

/// A typed helpdesk pass as it is hashed, like [`normalise`].
pub fn normalise_pass(typed: &str) -> Option<String> {
    normalised(typed, PASS_LENGTH)
}

fn normalised(typed: &str, length: usize) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect();
    let valid = code.len() == length && code.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_has_ten_different_codes_in_two_groups() {
        let set = new_set();
        assert_eq!(set.len(), SET_SIZE);
        for code in &set {
            let (a, b) = code.expose().split_once('-').unwrap();
            assert_eq!((a.len(), b.len()), (5, 5));
            assert!(normalise(code.expose()).is_some());
        }
        let mut distinct: Vec<_> = set.iter().map(RecoveryCode::expose).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), SET_SIZE);
        assert_ne!(new_set(), set);
    }

    #[test]
    fn codes_are_typed_in_any_case_with_or_without_the_dash() {
        assert_eq!(normalise("K7M2P-X9Q4R").as_deref(), Some("k7m2px9q4r"));
        assert_eq!(normalise(" k7m2p x9q4r ").as_deref(), Some("k7m2px9q4r"));
        assert_eq!(normalise("k7m2px9q4r").as_deref(), Some("k7m2px9q4r"));
        assert_eq!(normalise("k7m2p-x9q4"), None);
        assert_eq!(normalise("k7m2p-x9q4r1"), None);
        // Look-alikes are read as what they look like.
        assert_eq!(normalise("O7M2P-X9QIL").as_deref(), Some("07m2px9q11"));
        assert_eq!(normalise("u7m2p-x9q4r"), None);
        assert_eq!(normalise(""), None);
    }

    #[test]
    fn a_pass_is_three_groups_of_four_and_no_recovery_code() {
        let pass = new_pass();
        let groups: Vec<&str> = pass.expose().split('-').collect();
        assert_eq!(
            groups.iter().map(|g| g.len()).collect::<Vec<_>>(),
            [4, 4, 4]
        );
        assert_eq!(
            normalise_pass(&pass.expose().to_uppercase()).map(|p| p.len()),
            Some(12)
        );
        assert_eq!(normalise(pass.expose()), None);
        assert_ne!(new_pass(), pass);
    }

    #[test]
    fn codes_do_not_print() {
        let code = new_set().remove(0);
        assert_eq!(format!("{code:?}"), "RecoveryCode(..)");
    }
}
