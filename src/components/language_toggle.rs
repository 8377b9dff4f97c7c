//! NL | EN, on every screen. Switching changes every text at once, keeps
//! what was typed, and is remembered in a cookie that the server's plain
//! pages read too.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::contexts::session_context::use_session;
use crate::i18n::{Key, Lang};

/// The cookie of the chosen language (the server reads it too).
const LANG_COOKIE: &str = "aanmelden_lang";

/// The language toggle.
#[component]
pub fn LanguageToggle() -> impl IntoView {
    let session = use_session();
    let choose = move |lang: Lang| {
        session.lang.set(lang);
        remember_language(lang);
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

/// Keep `lang` in the cookie the server reads too: under https with the
/// `__Host-` prefix and `Secure`, as the server sets it (it reads that one
/// first), and the plain one of an earlier choice cleared.
fn remember_language(lang: Lang) {
    let Ok(document) = document().dyn_into::<web_sys::HtmlDocument>() else {
        return;
    };
    let code = lang.code();
    if window().location().protocol().as_deref() == Ok("https:") {
        let _ = document.set_cookie(&format!(
            "__Host-{LANG_COOKIE}={code}; Path=/; Max-Age=31536000; SameSite=Strict; Secure"
        ));
        let _ = document.set_cookie(&format!(
            "{LANG_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict"
        ));
    } else {
        let _ = document.set_cookie(&format!(
            "{LANG_COOKIE}={code}; Path=/; Max-Age=31536000; SameSite=Strict"
        ));
    }
}

/// The language to start in: the one the server chose for the page (the
/// chosen one, else the browser's), in `<html lang>`.
pub fn initial_language() -> Lang {
    document()
        .document_element()
        .and_then(|html| html.get_attribute("lang"))
        .and_then(|code| Lang::from_code(&code))
        .unwrap_or(Lang::Nl)
}
