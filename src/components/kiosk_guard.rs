//! Kiosk mode, on a shared terminal: after a while without input a warning
//! with a countdown and "Ik ben er nog"; without an answer everything
//! starts over: the session ends on the server, nothing typed is kept, and
//! the first screen returns in Dutch.

use std::time::Duration;

use aanmelden_api::Step;
use leptos::html::Button;
use leptos::prelude::*;

use crate::components::language_toggle::remember_language;
use crate::contexts::session_context::use_session;
use crate::i18n::{Key, Lang};

/// Watches for input while the server says this browser is a kiosk.
#[component]
pub fn KioskGuard() -> impl IntoView {
    let session = use_session();
    let kiosk = move || session.branding.with(|b| b.as_ref().and_then(|b| b.kiosk));
    // Whole seconds since the last key, touch, click or typing.
    let idle = RwSignal::new(0_u32);
    // Whether there is anything to clear: input since the page loaded, or
    // a session. An untouched first screen is left alone.
    let touched = RwSignal::new(false);
    for event in ["keydown", "pointerdown", "input"] {
        // For as long as the app runs: the handles are never dropped.
        std::mem::forget(window_event_listener_untyped(event, move |_| {
            idle.set(0);
            touched.set(true);
        }));
    }
    set_interval(
        move || {
            let something_to_clear =
                touched.get_untracked() || session.step.get_untracked().is_some();
            if kiosk().is_some() && something_to_clear {
                idle.update(|s| *s += 1);
            }
        },
        Duration::from_secs(1),
    );
    // Seconds left to answer, once the warning shows.
    let left = Memo::new(move |_| {
        let kiosk = kiosk()?;
        let limit = if session.step.get() == Some(Step::Done) {
            kiosk.signed_in_idle_s
        } else {
            kiosk.idle_s
        };
        let idle = idle.get();
        (idle >= limit).then(|| (limit + kiosk.warning_s).saturating_sub(idle))
    });
    Effect::new(move |_| {
        if left.get() == Some(0) {
            start_over();
        }
    });
    let button = NodeRef::<Button>::new();
    Effect::new(move |_| {
        if let Some(button) = button.get() {
            let _ = button.focus();
        }
    });

    view! {
        <Show when=move || left.get().is_some_and(|s| s > 0)>
            <div
                class="kiosk-warning"
                id="kiosk-warning"
                role="alertdialog"
                aria-modal="true"
                aria-labelledby="kiosk-warning-heading"
                aria-describedby="kiosk-warning-text"
            >
                <h2 id="kiosk-warning-heading">{session.t(Key::KioskWarningHeading)}</h2>
                <p id="kiosk-warning-text">
                    {move || {
                        let seconds = left.get().unwrap_or(0).to_string();
                        Key::KioskWarning.fill(session.lang.get(), "seconds", &seconds)
                    }}
                </p>
                <button
                    type="button"
                    class="primary"
                    id="kiosk-still-here"
                    node_ref=button
                    on:click=move |_| idle.set(0)
                >
                    {session.t(Key::KioskStillHere)}
                </button>
            </div>
        </Show>
    }
}

/// End the session on the server, forget the language, and load the first
/// screen afresh, so nothing of this user stays in the page.
fn start_over() {
    leptos::task::spawn_local(async {
        let _ = crate::api::logout().await;
        remember_language(Lang::Nl);
        let _ = window().location().replace("/");
    });
}
