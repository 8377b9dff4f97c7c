//! A field for a six-digit code from the authenticator app.

use leptos::html::Input;
use leptos::prelude::*;

use crate::api::Failure;
use crate::dom::only_digits;

/// Digits only, at most six, with the numeric keyboard on phones and the
/// browser's one-time-code autofill.
#[component]
pub fn CodeInput(
    /// Element id (and name), for its label.
    id: &'static str,
    /// The code as typed.
    value: RwSignal<String>,
    /// To focus the field from outside.
    #[prop(optional)]
    node_ref: NodeRef<Input>,
    /// The step's error, which this field points to while there is one.
    #[prop(optional)]
    error: Option<RwSignal<Option<Failure>>>,
) -> impl IntoView {
    let failed = move || error.is_some_and(|e| e.with(Option::is_some));
    view! {
        <input
            id=id
            aria-invalid=move || failed().then_some("true")
            aria-describedby=move || failed().then_some("error")
            name=id
            type="text"
            inputmode="numeric"
            autocomplete="one-time-code"
            maxlength="6"
            pattern="[0-9]*"
            node_ref=node_ref
            prop:value=move || value.get()
            on:input=move |ev| value.set(only_digits(&event_target_value(&ev)))
        />
    }
}
