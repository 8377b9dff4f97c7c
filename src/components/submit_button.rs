//! A submit button that shows progress and cannot be pressed twice.

use leptos::prelude::*;

use crate::contexts::session_context::use_session;
use crate::i18n::Key;

/// The primary button of a form.
#[component]
pub fn SubmitButton(
    /// Element id, for tests and labels.
    id: &'static str,
    /// The button's text.
    label: Key,
    /// True while the form's request runs: disabled, with a spinner.
    busy: RwSignal<bool>,
) -> impl IntoView {
    let session = use_session();
    let busy = move || busy.get() || session.leaving.get();
    view! {
        <button
            type="submit"
            class="primary"
            id=id
            disabled=busy
            aria-busy=move || busy().to_string()
        >
            <Show when=busy>
                <span class="spinner" aria-hidden="true"></span>
            </Show>
            {session.t(label)}
        </button>
    }
}
