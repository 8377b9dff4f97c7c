//! Dutch and English texts, one source for the single page app and the
//! server's plain pages. The keys and both tables are generated from
//! locales/*.json at build time (see build.rs), so a key missing in one
//! language fails the build and an unknown key does not compile.

pub mod dates;
mod errors;

pub use errors::error_text;

include!(concat!(env!("OUT_DIR"), "/i18n_keys.rs"));

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    /// The BCP 47 code, as `<html lang>` and the language cookie carry it.
    pub fn code(self) -> &'static str {
        match self {
            Self::Nl => "nl",
            Self::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "nl" => Some(Self::Nl),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The first of the browser's preferred languages that the portal
    /// speaks; Dutch when it speaks none of them.
    pub fn preferred<'a>(languages: impl IntoIterator<Item = &'a str>) -> Self {
        languages
            .into_iter()
            .find_map(|tag| {
                let primary = tag.split(['-', '_']).next().unwrap_or_default();
                Self::from_code(&primary.to_ascii_lowercase())
            })
            .unwrap_or(Self::Nl)
    }
}

impl Key {
    /// The text in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        let table = match lang {
            Lang::Nl => &NL,
            Lang::En => &EN,
        };
        table[self as usize]
    }

    /// The text in `lang` with `{name}` replaced by `value`.
    pub fn fill(self, lang: Lang, name: &str, value: &str) -> String {
        self.text(lang).replace(&format!("{{{name}}}"), value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manual_strings_are_exact() {
        assert_eq!(Key::UsernameLabel.text(Lang::Nl), "Gebruikersnaam:");
        assert_eq!(
            Key::UsernamePlaceholder.text(Lang::Nl),
            "Voer een gebruikersnaam in..."
        );
        assert_eq!(Key::PleaseLogOn.text(Lang::Nl), "Meld u aan");
        assert_eq!(
            Key::ShowOtp.text(Lang::Nl),
            "Klik om eenmalig wachtwoord handmatig in te voeren"
        );
        assert_eq!(
            Key::ShowOtp.text(Lang::En),
            "Click to enter one-time password manually"
        );
        assert_eq!(Key::AddDevice.text(Lang::Nl), "+ Apparaat toevoegen");
        assert_eq!(Key::LoggedOffMessage.text(Lang::Nl), "Je bent afgemeld.");
    }

    #[test]
    fn placeholders_are_filled() {
        assert_eq!(
            Key::SignedInMessage.fill(Lang::Nl, "organisation", "Missing Piece"),
            "Je bent nu succesvol ingelogd op de Missing Piece omgeving."
        );
        assert_eq!(
            Key::SignedInMessage.fill(Lang::En, "organisation", "Missing Piece"),
            "You are now signed in to the Missing Piece environment."
        );
    }

    #[test]
    fn preferred_language_follows_the_browser_with_dutch_as_fallback() {
        assert_eq!(Lang::preferred(["en-GB", "nl"]), Lang::En);
        assert_eq!(Lang::preferred(["de-DE", "nl-BE", "en"]), Lang::Nl);
        assert_eq!(Lang::preferred(["fr", "EN-us"]), Lang::En);
        assert_eq!(Lang::preferred(["fr", "de"]), Lang::Nl);
        assert_eq!(Lang::preferred([]), Lang::Nl);
    }
}
