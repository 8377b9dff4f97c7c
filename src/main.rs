//! The aanmelden portal in the browser: the "Meld u aan" flow, step by step
//! as the server decides, in Dutch or English.

// Leptos components take their props by value.
#![allow(clippy::needless_pass_by_value)]

mod api;
mod devices_step;
mod dom;
mod messages;
mod takeover;

mod components {
    pub mod action;
    pub mod alert;
    pub mod code_input;
    pub mod language_toggle;
    pub mod lost_phone;
    pub mod submit_button;
    pub mod user_menu;
}

mod contexts {
    pub mod session_context;
}

mod pages {
    #[cfg(feature = "devices")]
    pub mod devices;
    #[cfg(feature = "devices")]
    pub mod enrol;
    pub mod identify;
    pub mod logged_off;
    pub mod no_access;
    pub mod otp;
    pub mod password;
    pub mod push;
    #[cfg(feature = "devices")]
    pub mod recovery;
    #[cfg(feature = "devices")]
    pub mod recovery_codes;
    pub mod signed_in;
}

use aanmelden_api::{ReturnTo, Step};
use aanmelden_i18n as i18n;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::Failure;
use crate::components::language_toggle::{LanguageToggle, initial_language};
use crate::components::user_menu::UserMenu;
use crate::contexts::session_context::{Screen, provide_session};
use crate::i18n::Key;
use crate::pages::identify::IdentifyPage;
use crate::pages::logged_off::LoggedOffPage;
use crate::pages::no_access::NoAccessPage;
use crate::pages::otp::OtpPage;
use crate::pages::password::PasswordPage;
use crate::pages::push::PushPage;
use crate::pages::signed_in::SignedInPage;
use crate::takeover::Typed;

/// The portal: a top bar (organisation, language, user menu) and the
/// current step.
#[component]
fn App() -> impl IntoView {
    let session = provide_session(initial_language());
    let ready = move || session.screen.get() != Screen::Loading && !session.preparing.get();
    // The server's page stays, and takes what is typed, until the app's
    // first screen is ready; what was typed is read at that moment.
    let taken_over = StoredValue::new(false);
    Effect::new(move |_| {
        if ready() && !taken_over.get_value() {
            taken_over.set_value(true);
            Typed::read().hand_over();
        }
    });

    Effect::new(move |_| {
        let lang = session.lang.get();
        let document = document();
        if let Some(html) = document.document_element() {
            let _ = html.set_attribute("lang", lang.code());
        }
        document.set_title(Key::PageTitle.text(lang));
    });

    // Signed in, and an application sent the browser here: back to it.
    Effect::new(move |_| {
        if session.step.get() == Some(Step::Done) {
            spawn_local(async {
                if let Ok(ReturnTo { url: Some(url) }) = api::take_return().await {
                    let _ = window().location().assign(&url);
                }
            });
        }
    });

    // Colours come from the server's branding; set through the CSS object
    // model, which the Content-Security-Policy allows (style attributes it
    // would not).
    Effect::new(move |_| {
        let colour = session
            .branding
            .with(|b| b.as_ref().and_then(|b| b.primary_colour.clone()));
        if let (Some(colour), Some(html)) = (colour, document().document_element())
            && let Ok(html) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(html)
        {
            let _ = html.style().set_property("--brand", &colour);
        }
    });

    // A kiosk's script (the server adds it to the page) keeps the shorter
    // idle time of the signed-in page.
    Effect::new(move |_| {
        let done = session.step.get() == Some(Step::Done);
        if let Some(html) = document().document_element() {
            let _ = html.toggle_attribute_with_force("data-signed-in", done);
        }
    });

    // Two requests side by side: the screen waits only for the session.
    spawn_local(async move {
        if let Ok(branding) = api::branding().await {
            session.branding.set(Some(branding));
        }
    });
    spawn_local(async move {
        match api::session().await {
            Ok(info) => {
                session.username.set(info.username);
                if info.step == Step::Done {
                    session.applications.set(Some(info.applications));
                }
                if info.step == Step::Done
                    && on_path(Screen::Devices)
                    && devices_step::IN_THIS_BUILD
                {
                    session.step.set(Some(Step::Done));
                    session.go(Screen::Devices);
                } else if info.step == Step::Push
                    && on_path(Screen::Recovery)
                    && devices_step::IN_THIS_BUILD
                {
                    session.step.set(Some(Step::Push));
                    session.go(Screen::Recovery);
                } else if info.step == Step::Done && on_path(Screen::NoAccess) {
                    session.step.set(Some(Step::Done));
                    session.go(Screen::NoAccess);
                } else {
                    session.advance(info.step);
                }
            }
            Err(Failure::Unreachable) => session.restart(Key::ErrorUnavailable),
            Err(Failure::Api { .. }) if on_path(Screen::LoggedOff) => session.go(Screen::LoggedOff),
            Err(Failure::Api { .. }) => session.go(Screen::Identify),
        }
    });

    let organisation = move || session.organisation();
    let logo = move || {
        session
            .branding
            .with(|b| b.as_ref().and_then(|b| b.logo_url.clone()))
    };

    // Hidden until its first screen is ready: until then the server's plain
    // page shows (and works).
    view! {
        <div id="app" hidden=move || !ready()>
        <header class="topbar">
            <div class="brand">
                {move || logo().map(|src| view! { <img class="logo" src=src alt="" /> })}
                <span class="organisation">{organisation}</span>
            </div>
            <div class="tools">
                <LanguageToggle />
                <Show when=move || session.screen.get().is_signed_in()>
                    <UserMenu />
                </Show>
            </div>
        </header>
        <main class="panel">
            {move || match session.screen.get() {
                Screen::Loading => {
                    view! { <p class="loading"><span class="spinner"></span></p> }.into_any()
                }
                Screen::Devices => devices_step::screen(),
                Screen::Recovery => devices_step::recovery_screen(),
                Screen::Identify => view! { <IdentifyPage /> }.into_any(),
                Screen::Password => view! { <PasswordPage /> }.into_any(),
                Screen::Push => view! { <PushPage /> }.into_any(),
                Screen::Otp => view! { <OtpPage /> }.into_any(),
                Screen::SignedIn => view! { <SignedInPage /> }.into_any(),
                Screen::LoggedOff => view! { <LoggedOffPage /> }.into_any(),
                Screen::NoAccess => view! { <NoAccessPage /> }.into_any(),
            }}
        </main>
        </div>
    }
}

/// Whether the address bar shows `screen`'s own path.
fn on_path(screen: Screen) -> bool {
    window().location().pathname().ok().as_deref() == Some(screen.path())
}

fn main() {
    leptos::mount::mount_to_body(App);
}
