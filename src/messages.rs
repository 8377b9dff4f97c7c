//! What a failed request says to the user, in their language. The server's
//! own text is never shown.

use crate::api::Failure;
use crate::i18n::{Key, Lang, error_text};

/// The message for `failure` in `lang`.
pub fn failure_text(failure: &Failure, lang: Lang) -> String {
    match failure {
        Failure::Api {
            code,
            retry_after_s,
            field,
        } => error_text(*code, field.as_deref(), *retry_after_s, lang),
        Failure::Unreachable => Key::ErrorUnavailable.text(lang).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aanmelden_api::ErrorCode;

    #[test]
    fn the_contract_error_keeps_its_field_and_time() {
        let locked = Failure::Api {
            code: ErrorCode::Locked,
            retry_after_s: Some(61),
            field: None,
        };
        assert!(failure_text(&locked, Lang::Nl).contains("over 2 minuten"));
    }

    #[test]
    fn unreachable_keeps_the_input() {
        assert!(failure_text(&Failure::Unreachable, Lang::Nl).contains("niet bereikbaar"));
    }
}
