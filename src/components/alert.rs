//! The error of the current step, announced to screen readers.

use leptos::prelude::*;

use crate::api::Failure;
use crate::contexts::session_context::use_session;
use crate::dom::focus_on_mount;
use crate::messages::failure_text;

/// Shows `error` in the user's language while there is one, and moves the
/// focus to it; the fields it is about point to it (`aria-describedby`).
#[component]
pub fn Alert(
    /// The failure to explain, if any.
    error: RwSignal<Option<Failure>>,
) -> impl IntoView {
    let session = use_session();
    view! {
        <Show when=move || error.with(Option::is_some)>
            <AlertText error=error lang=session.lang />
        </Show>
    }
}

/// The message itself, focused as it appears.
#[component]
fn AlertText(
    /// The failure to explain.
    error: RwSignal<Option<Failure>>,
    /// The language to explain it in.
    lang: RwSignal<crate::i18n::Lang>,
) -> impl IntoView {
    let node = NodeRef::<leptos::html::P>::new();
    focus_on_mount(node);
    view! {
            <p id="error" class="error" role="alert" tabindex="-1" node_ref=node>
                {move || error.with(|e| e.as_ref().map(|e| failure_text(e, lang.get())))}
            </p>
    }
}

/// `aria-invalid` and `aria-describedby` of a field while `error` is set.
pub fn invalid_while(
    error: RwSignal<Option<Failure>>,
) -> (
    impl Fn() -> Option<&'static str> + Copy,
    impl Fn() -> Option<&'static str> + Copy,
) {
    let failed = move || error.with(Option::is_some);
    (
        move || failed().then_some("true"),
        move || failed().then_some("error"),
    )
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
