//! What a failure says to the user, in their language: the same words in
//! the single page app and on the plain pages. The server's own (English,
//! technical) text is never shown.

use aanmelden_api::ErrorCode;

use crate::{Key, Lang};

/// The message for an error `code` of the contract (with the `field` it
/// names and the `retry_after_s` it gives) in `lang`.
pub fn error_text(
    code: ErrorCode,
    field: Option<&str>,
    retry_after_s: Option<u64>,
    lang: Lang,
) -> String {
    let key = match code {
        ErrorCode::InvalidCredentials => Key::ErrorInvalidCredentials,
        ErrorCode::InvalidOtp => Key::ErrorInvalidOtp,
        ErrorCode::InvalidRecoveryCode => Key::ErrorInvalidRecoveryCode,
        ErrorCode::InvalidPass => Key::ErrorInvalidPass,
        ErrorCode::PassRequired => Key::PassRequired,
        ErrorCode::ConfirmRequired => Key::ConfirmRequired,
        ErrorCode::Locked => {
            let minutes = retry_after_s.unwrap_or(60).div_ceil(60).max(1);
            return Key::ErrorLocked.fill(lang, "minutes", &minutes.to_string());
        }
        ErrorCode::DeviceLimit => Key::ErrorDeviceLimit,
        ErrorCode::NameTaken => Key::ErrorNameTaken,
        ErrorCode::NotFound => Key::ErrorNotFound,
        ErrorCode::SessionExpired => Key::ErrorSessionExpired,
        ErrorCode::Forbidden => Key::ErrorForbidden,
        ErrorCode::Validation => match field {
            Some("username") => Key::ErrorUsername,
            Some("name") => Key::ErrorDeviceName,
            Some("code") => Key::ErrorCodeRequired,
            _ => Key::ErrorValidation,
        },
        ErrorCode::RateLimited => Key::ErrorRateLimited,
        ErrorCode::PushDenied => Key::ErrorPushDenied,
        ErrorCode::PushExpired => Key::ErrorPushExpired,
        ErrorCode::Unavailable | ErrorCode::Internal => Key::ErrorUnavailable,
        ErrorCode::PasswordChangeRequired => Key::ErrorPasswordChangeRequired,
        ErrorCode::PasswordExpired => Key::ErrorPasswordExpired,
        ErrorCode::AccountLocked => Key::ErrorAccountLocked,
        ErrorCode::AccountDisabled => Key::ErrorAccountDisabled,
        ErrorCode::AccountExpired => Key::ErrorAccountExpired,
    };
    key.text(lang).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_message_in_both_languages() {
        let codes = [
            ErrorCode::InvalidCredentials,
            ErrorCode::InvalidOtp,
            ErrorCode::InvalidRecoveryCode,
            ErrorCode::InvalidPass,
            ErrorCode::PassRequired,
            ErrorCode::ConfirmRequired,
            ErrorCode::Locked,
            ErrorCode::DeviceLimit,
            ErrorCode::NameTaken,
            ErrorCode::NotFound,
            ErrorCode::SessionExpired,
            ErrorCode::Forbidden,
            ErrorCode::Validation,
            ErrorCode::RateLimited,
            ErrorCode::Unavailable,
            ErrorCode::Internal,
            ErrorCode::PushDenied,
            ErrorCode::PushExpired,
            ErrorCode::PasswordChangeRequired,
            ErrorCode::PasswordExpired,
            ErrorCode::AccountLocked,
            ErrorCode::AccountDisabled,
            ErrorCode::AccountExpired,
        ];
        for code in codes {
            let nl = error_text(code, None, None, Lang::Nl);
            let en = error_text(code, None, None, Lang::En);
            assert!(!nl.is_empty() && !en.is_empty());
            assert_ne!(nl, en, "{code:?}");
        }
    }

    #[test]
    fn the_manual_texts_for_wrong_credentials_and_codes() {
        assert_eq!(
            error_text(ErrorCode::InvalidCredentials, None, None, Lang::Nl),
            "Onjuiste gebruikersnaam of wachtwoord."
        );
        assert_eq!(
            error_text(ErrorCode::InvalidOtp, None, None, Lang::Nl),
            "Onjuist eenmalig wachtwoord."
        );
        assert_eq!(
            error_text(ErrorCode::InvalidCredentials, None, None, Lang::En),
            "Incorrect user name or password."
        );
    }

    #[test]
    fn locked_says_how_many_minutes_rounded_up() {
        assert_eq!(
            error_text(ErrorCode::Locked, None, Some(61), Lang::Nl),
            "Te veel mislukte pogingen. Probeer het over 2 minuten opnieuw."
        );
    }

    #[test]
    fn validation_names_the_field_in_words() {
        assert_eq!(
            error_text(ErrorCode::Validation, Some("name"), None, Lang::En),
            "Give the device a name of 1 to 32 characters."
        );
    }
}
