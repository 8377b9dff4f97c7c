//! "Telefoon kwijt? Gebruik een herstelcode", under the second factor's
//! screens: to the recovery code screen, which the build with the devices
//! screens carries (the new phone is registered next).

use leptos::prelude::*;

use crate::contexts::session_context::{Screen, use_session};
use crate::devices_step;
use crate::i18n::Key;

/// The link to the recovery code screen.
#[component]
pub fn LostPhoneLink() -> impl IntoView {
    let session = use_session();
    view! {
        <p>
            <a
                id="lost-phone"
                class="link"
                href=Screen::Recovery.path()
                on:click=move |ev| devices_step::follow_link_to(&ev, session, Screen::Recovery)
            >
                {session.t(Key::LostPhone)}
            </a>
        </p>
    }
}
