//! The devices step ("Mijn geregistreerde apparaten", "+ Apparaat
//! toevoegen", the QR code and "Gereed") behind one function, so that it
//! can be split off by the compiler once Trunk and wasm-bindgen can load a
//! part of a module later (Leptos's `#[lazy]`).
//!
//! Until then it is a second build of this app, with the `devices`
//! feature, which the server's devices page loads: the first screen, which
//! every sign-in loads, stays without these screens. This build (without
//! the feature) leaves the browser to that page when the step comes; the
//! page shows the server's devices screen at once, and the build with the
//! feature takes it over as this one takes over the first screen.

use leptos::ev::MouseEvent;
use leptos::prelude::*;

use crate::contexts::session_context::{Screen, Session};

/// Whether this build shows the devices screens itself.
pub const IN_THIS_BUILD: bool = cfg!(feature = "devices");

/// The devices screens.
#[cfg(feature = "devices")]
pub fn screen() -> AnyView {
    view! { <crate::pages::devices::DevicesPage /> }.into_any()
}

/// The recovery code screen.
#[cfg(feature = "devices")]
pub fn recovery_screen() -> AnyView {
    view! { <crate::pages::recovery::RecoveryPage /> }.into_any()
}

/// The devices screens are in the other build: the browser is on its way
/// to the page that loads it.
#[cfg(not(feature = "devices"))]
pub fn screen() -> AnyView {
    view! { <p class="loading"><span class="spinner"></span></p> }.into_any()
}

/// Likewise the recovery code screen.
#[cfg(not(feature = "devices"))]
pub fn recovery_screen() -> AnyView {
    screen()
}

/// A click on a link to the devices page: where this build has the
/// screens, they show without a page load.
pub fn follow_link(ev: &MouseEvent, session: Session) {
    follow_link_to(ev, session, Screen::Devices);
}

/// A click on a link to `screen`, one of this step's: where this build
/// has it, it shows without a page load; else the link loads its page.
pub fn follow_link_to(ev: &MouseEvent, session: Session, screen: Screen) {
    if IN_THIS_BUILD {
        ev.prevent_default();
        session.go(screen);
    }
}
