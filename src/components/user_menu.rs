//! The user menu top right on every signed-in screen: the user name, and
//! under it "Mijn geregistreerde apparaten" and "Afmelden".

use leptos::prelude::*;

use crate::contexts::session_context::{Screen, use_session};
use crate::devices_step;
use crate::i18n::Key;

/// The user menu.
#[component]
pub fn UserMenu() -> impl IntoView {
    let session = use_session();
    let open = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let log_off = move |_| {
        open.set(false);
        session.log_off(busy, Screen::LoggedOff);
    };
    view! {
        <div class="user-menu">
            <button
                type="button"
                id="user-menu"
                aria-haspopup="true"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {move || session.username.get()}
                <span aria-hidden="true">" ▾"</span>
            </button>
            <Show when=move || open.get()>
                <ul class="menu" role="menu">
                    <Show when=move || session.screen.get() == Screen::SignedIn>
                        <li role="none">
                            <a
                                role="menuitem"
                                id="menu-devices"
                                href=Screen::Devices.path()
                                on:click=move |ev| {
                                    open.set(false);
                                    devices_step::follow_link(&ev, session);
                                }
                            >
                                {session.t(Key::MyDevices)}
                            </a>
                        </li>
                    </Show>
                    <li role="none">
                        <button
                            type="button"
                            role="menuitem"
                            id="logout"
                            disabled=move || busy.get()
                            aria-busy=move || busy.get().to_string()
                            on:click=log_off
                        >
                            {session.t(Key::LogOff)}
                        </button>
                    </li>
                </ul>
            </Show>
        </div>
    }
}
