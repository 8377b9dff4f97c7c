//! Dutch or English, by the locale of the terminal.

/// The language of the prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    /// Dutch when `LC_ALL`, `LC_MESSAGES` or `LANG` (the first that is set)
    /// starts with `nl`; English otherwise.
    pub fn from_env() -> Self {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
            .unwrap_or_default();
        Self::of_locale(&locale)
    }

    pub fn of_locale(locale: &str) -> Self {
        if locale.to_ascii_lowercase().starts_with("nl") {
            Self::Nl
        } else {
            Self::En
        }
    }

    /// Dutch or English.
    pub fn pick(self, nl: &'static str, en: &'static str) -> &'static str {
        match self {
            Self::Nl => nl,
            Self::En => en,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dutch_locales_get_dutch() {
        assert_eq!(Lang::of_locale("nl_NL.UTF-8"), Lang::Nl);
        assert_eq!(Lang::of_locale("nl_BE"), Lang::Nl);
        assert_eq!(Lang::of_locale("en_GB.UTF-8"), Lang::En);
        assert_eq!(Lang::of_locale("C.UTF-8"), Lang::En);
        assert_eq!(Lang::of_locale(""), Lang::En);
    }
}
