//! "Je hebt geen toegang tot deze applicatie.": where the gate sends a
//! signed-in user that an application is not open to (its groups).

use aanmelden_api::display::application_host;
use leptos::html::A;
use leptos::prelude::*;

use crate::contexts::session_context::{Screen, use_session};
use crate::dom::focus_on_mount;
use crate::i18n::Key;

/// The no-access page, with the host of the application (`?app=`).
#[component]
pub fn NoAccessPage() -> impl IntoView {
    let session = use_session();
    let link = NodeRef::<A>::new();
    focus_on_mount(link);
    let host = asked_for().and_then(|app| application_host(&app).map(str::to_owned));
    let to_applications = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        session.go(Screen::SignedIn);
    };
    view! {
        <section class="step no-access">
            <p id="no-access-message" class="error" role="alert">
                {session.t(Key::NoAccessMessage)}
            </p>
            {host.map(|host| view! { <p id="no-access-application" class="application-host">{host}</p> })}
            <p class="hint">{session.t(Key::NoAccessHint)}</p>
            <a class="button primary" id="to-applications" href="/" node_ref=link on:click=to_applications>
                {session.t(Key::ToApplications)}
            </a>
        </section>
    }
}

/// The application's address in the page's `?app=`.
fn asked_for() -> Option<String> {
    let search = window().location().search().ok()?;
    let value = search
        .trim_start_matches('?')
        .split('&')
        .find_map(|pair| pair.strip_prefix("app="))?;
    js_sys::decode_uri_component(&value.replace('+', " "))
        .ok()
        .map(String::from)
}
