//! The portal's phone app (`/telefoon/`): the codes of the accounts it
//! holds, offline, and the sign-ins waiting for an answer, answered with
//! the number the browser shows and signed with a key that never leaves
//! the phone.

// Leptos components take their props by value.
#![allow(clippy::needless_pass_by_value)]

mod api;
mod camera;
mod crypto;
mod notify;
mod otpauth;
mod store;

mod pages {
    pub mod accounts;
    pub mod add;
    pub mod answer;
    pub mod notifications;
    pub mod scanner;
}

use aanmelden_api::PendingChallenge;
use aanmelden_i18n::{Key, Lang};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::pages::accounts::AccountsPage;
use crate::pages::add::AddPage;
use crate::pages::answer::AnswerPage;

/// The cookie of the chosen language, shared with the portal's pages.
const LANG_COOKIE: &str = "aanmelden_lang";

/// Which screen shows.
#[derive(Clone, PartialEq)]
pub enum Screen {
    Accounts,
    Add,
    /// A waiting sign-in, and the account (by its number) that answers.
    Answer(PendingChallenge, u32),
}

/// What every screen may use: the language and the way to another screen.
#[derive(Clone, Copy)]
pub struct Phone {
    pub lang: RwSignal<Lang>,
    pub screen: RwSignal<Screen>,
    /// The sign-in a notification opened the app for (`?challenge=`),
    /// until its answer screen shows.
    pub opened_for: StoredValue<Option<String>>,
}

impl Phone {
    /// The text of `key` in the current language.
    pub fn t(self, key: Key) -> impl Fn() -> &'static str + Copy {
        move || key.text(self.lang.get())
    }
}

/// The app's context.
pub fn use_phone() -> Phone {
    expect_context::<Phone>()
}

/// The value of `name` in the page's query.
fn query_value(name: &str) -> Option<String> {
    let query = window().location().search().unwrap_or_default();
    query
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix(name)?.strip_prefix('='))
        .map(|value| {
            js_sys::decode_uri_component(value).map_or_else(|_| value.to_owned(), String::from)
        })
}

/// The language: `?lang=` (the English address sends `en`), the portal's
/// cookie, then the phone's own preference.
fn initial_language() -> Lang {
    let window = window();
    let from_query = query_value("lang").as_deref().and_then(Lang::from_code);
    let from_cookie = window
        .document()
        .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        .and_then(|d| d.cookie().ok())
        .and_then(|cookies| {
            cookies.split(';').find_map(|pair| {
                let (name, value) = pair.trim().split_once('=')?;
                name.trim_start_matches("__Host-")
                    .eq(LANG_COOKIE)
                    .then(|| Lang::from_code(value))
                    .flatten()
            })
        });
    from_query.or(from_cookie).unwrap_or_else(|| {
        let languages: Vec<String> = window
            .navigator()
            .languages()
            .iter()
            .filter_map(|l| l.as_string())
            .collect();
        Lang::preferred(languages.iter().map(String::as_str))
    })
}

/// "Terug": to the accounts.
#[component]
pub fn BackToAccounts() -> impl IntoView {
    let phone = use_phone();
    view! {
        <button
            type="button"
            id="back"
            class="primary"
            on:click=move |_| phone.screen.set(Screen::Accounts)
        >
            {phone.t(Key::PhoneBack)}
        </button>
    }
}

/// NL | EN.
#[component]
fn LanguageToggle() -> impl IntoView {
    let phone = use_phone();
    let button = move |lang: Lang, label: &'static str| {
        view! {
            <button
                type="button"
                lang=lang.code()
                aria-pressed=move || (phone.lang.get() == lang).to_string()
                on:click=move |_| phone.lang.set(lang)
            >
                {label}
            </button>
        }
    };
    view! {
        <nav class="language" aria-label=move || Key::Language.text(phone.lang.get())>
            {button(Lang::Nl, "NL")}
            <span aria-hidden="true">"|"</span>
            {button(Lang::En, "EN")}
        </nav>
    }
}

/// The app: a bar with its name and the language, and the current screen.
#[component]
fn App() -> impl IntoView {
    let phone = Phone {
        lang: RwSignal::new(initial_language()),
        screen: RwSignal::new(Screen::Accounts),
        opened_for: StoredValue::new(query_value("challenge")),
    };
    provide_context(phone);
    Effect::new(move |_| {
        let lang = phone.lang.get();
        let document = document();
        if let Some(html) = document.document_element() {
            let _ = html.set_attribute("lang", lang.code());
        }
        document.set_title(Key::PhoneAppName.text(lang));
        keep_for_offline(lang);
    });
    view! {
        <header class="bar">
            <h1>{phone.t(Key::PhoneAppName)}</h1>
            <LanguageToggle />
        </header>
        <main>
            {move || match phone.screen.get() {
                Screen::Accounts => view! { <AccountsPage /> }.into_any(),
                Screen::Add => view! { <AddPage /> }.into_any(),
                Screen::Answer(challenge, account) => {
                    view! { <AnswerPage challenge account /> }.into_any()
                }
            }}
        </main>
    }
}

/// The service worker of the app's folder, which keeps the app for use
/// offline and shows notifications in `lang`. Where the browser has none
/// (or refuses it), the app works online as it is.
fn keep_for_offline(lang: Lang) {
    let _ = window()
        .navigator()
        .service_worker()
        .register(&notify::worker_address(lang));
}

fn main() {
    leptos::mount::mount_to_body(App);
}
