//! NL | EN, on every screen. Switching changes every text at once, keeps
//! what was typed, and is remembered in localStorage.

use leptos::prelude::*;

use crate::contexts::session_context::use_session;
use crate::i18n::{Key, Lang};

/// The localStorage key of the chosen language.
pub const STORAGE_KEY: &str = "aanmelden.lang";

/// The language toggle.
#[component]
pub fn LanguageToggle() -> impl IntoView {
    let session = use_session();
    let choose = move |lang: Lang| {
        session.lang.set(lang);
        if let Ok(Some(storage)) = window().local_storage() {
            let _ = storage.set_item(STORAGE_KEY, lang.code());
        }
    };
    view! {
        <nav class="language" aria-label=session.t(Key::Language)>
            <button
                type="button"
                id="lang-nl"
                lang="nl"
                aria-pressed=move || (session.lang.get() == Lang::Nl).to_string()
                on:click=move |_| choose(Lang::Nl)
            >
                "NL"
            </button>
            <span aria-hidden="true">"|"</span>
            <button
                type="button"
                id="lang-en"
                lang="en"
                aria-pressed=move || (session.lang.get() == Lang::En).to_string()
                on:click=move |_| choose(Lang::En)
            >
                "EN"
            </button>
        </nav>
    }
}

/// The language to start in: the one chosen before, else the browser's.
pub fn initial_language() -> Lang {
    let stored = window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten())
        .and_then(|code| Lang::from_code(&code));
    stored.unwrap_or_else(|| {
        let languages: Vec<String> = window()
            .navigator()
            .languages()
            .iter()
            .filter_map(|value| value.as_string())
            .collect();
        Lang::preferred(languages.iter().map(String::as_str))
    })
}
