//! "Je bent afgemeld." with a way to sign in again.

use leptos::html::Button;
use leptos::prelude::*;

use crate::contexts::session_context::{Screen, use_session};
use crate::dom::focus_on_mount;
use crate::i18n::Key;

/// The page after "Afmelden".
#[component]
pub fn LoggedOffPage() -> impl IntoView {
    let session = use_session();
    let button = NodeRef::<Button>::new();
    focus_on_mount(button);
    let again = move |_| {
        // A kiosk is shared: the next person starts with an empty field.
        session.username.set(String::new());
        session.step.set(None);
        session.go(Screen::Identify);
    };
    view! {
        <section class="step logged-off">
            <p id="logged-off-message" class="success" role="status">
                {session.t(Key::LoggedOffMessage)}
            </p>
            <button type="button" class="primary" id="sign-in-again" node_ref=button on:click=again>
                {session.t(Key::SignInAgain)}
            </button>
        </section>
    }
}
