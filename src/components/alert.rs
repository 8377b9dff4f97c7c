//! The error of the current step, announced to screen readers.

use leptos::prelude::*;

use crate::api::Failure;
use crate::contexts::session_context::use_session;
use crate::messages::failure_text;

/// Shows `error` in the user's language while there is one.
#[component]
pub fn Alert(
    /// The failure to explain, if any.
    error: RwSignal<Option<Failure>>,
) -> impl IntoView {
    let session = use_session();
    view! {
        <Show when=move || error.with(Option::is_some)>
            <p id="error" class="error" role="alert">
                {move || {
                    error.with(|e| e.as_ref().map(|e| failure_text(e, session.lang.get())))
                }}
            </p>
        </Show>
    }
}

/// A notice carried from the previous screen (e.g. "session expired").
#[component]
pub fn Notice() -> impl IntoView {
    let session = use_session();
    view! {
        <Show when=move || session.notice.with(Option::is_some)>
            <p id="notice" class="notice" role="status">
                {move || session.notice.get().map(|key| key.text(session.lang.get()))}
            </p>
        </Show>
    }
}
