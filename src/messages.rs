//! What a failed request says to the user, in their language. The server's
//! own text is never shown.

use aanmelden_api::ErrorCode;

use crate::api::Failure;
use crate::i18n::{Key, Lang};

/// The message for `failure` in `lang`.
pub fn failure_text(failure: &Failure, lang: Lang) -> String {
    let Failure::Api {
        code,
        retry_after_s,
        field,
    } = failure
    else {
        return Key::ErrorUnavailable.text(lang).to_owned();
    };
    let key = match code {
        ErrorCode::InvalidCredentials => Key::ErrorInvalidCredentials,
        ErrorCode::InvalidOtp => Key::ErrorInvalidOtp,
        ErrorCode::Locked => {
            let minutes = retry_after_s.unwrap_or(60).div_ceil(60).max(1);
            return Key::ErrorLocked.fill(lang, "minutes", &minutes.to_string());
        }
        ErrorCode::DeviceLimit => Key::ErrorDeviceLimit,
        ErrorCode::NameTaken => Key::ErrorNameTaken,
        ErrorCode::NotFound => Key::ErrorNotFound,
        ErrorCode::SessionExpired => Key::ErrorSessionExpired,
        ErrorCode::Forbidden => Key::ErrorForbidden,
        ErrorCode::Validation => match field.as_deref() {
            Some("username") => Key::ErrorUsername,
            Some("name") => Key::ErrorDeviceName,
            Some("code") => Key::ErrorCodeRequired,
            _ => Key::ErrorValidation,
        },
        ErrorCode::RateLimited => Key::ErrorRateLimited,
        ErrorCode::PushDenied => Key::ErrorPushDenied,
        ErrorCode::PushExpired => Key::ErrorPushExpired,
        ErrorCode::Unavailable | ErrorCode::Internal => Key::ErrorUnavailable,
    };
    key.text(lang).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: ErrorCode) -> Failure {
        Failure::Api {
            code,
            retry_after_s: None,
            field: None,
        }
    }

    #[test]
    fn every_code_has_a_message_in_both_languages() {
        let codes = [
            ErrorCode::InvalidCredentials,
            ErrorCode::InvalidOtp,
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
        ];
        for code in codes {
            let nl = failure_text(&api(code), Lang::Nl);
            let en = failure_text(&api(code), Lang::En);
            assert!(!nl.is_empty() && !en.is_empty());
            assert_ne!(nl, en, "{code:?}");
        }
    }

    #[test]
    fn the_manual_texts_for_wrong_credentials_and_codes() {
        assert_eq!(
            failure_text(&api(ErrorCode::InvalidCredentials), Lang::Nl),
            "Onjuiste gebruikersnaam of wachtwoord."
        );
        assert_eq!(
            failure_text(&api(ErrorCode::InvalidOtp), Lang::Nl),
            "Onjuist eenmalig wachtwoord."
        );
        assert_eq!(
            failure_text(&api(ErrorCode::InvalidCredentials), Lang::En),
            "Incorrect user name or password."
        );
    }

    #[test]
    fn locked_says_how_many_minutes_rounded_up() {
        let locked = Failure::Api {
            code: ErrorCode::Locked,
            retry_after_s: Some(61),
            field: None,
        };
        assert_eq!(
            failure_text(&locked, Lang::Nl),
            "Te veel mislukte pogingen. Probeer het over 2 minuten opnieuw."
        );
    }

    #[test]
    fn validation_names_the_field_in_words() {
        let name = Failure::Api {
            code: ErrorCode::Validation,
            retry_after_s: None,
            field: Some("name".into()),
        };
        assert_eq!(
            failure_text(&name, Lang::En),
            "Give the device a name of 1 to 32 characters."
        );
    }

    #[test]
    fn unreachable_keeps_the_input() {
        assert!(failure_text(&Failure::Unreachable, Lang::Nl).contains("niet bereikbaar"));
    }
}
