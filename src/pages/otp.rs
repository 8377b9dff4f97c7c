//! The one-time password of a user with a device who did not type it on
//! the password screen.

use aanmelden_api::ErrorCode;
use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Failure};
use crate::components::alert::Alert;
use crate::components::submit_button::SubmitButton;
use crate::contexts::session_context::use_session;
use crate::dom::{focus_on_mount, only_digits};
use crate::i18n::Key;

/// The code screen.
#[component]
pub fn OtpPage() -> impl IntoView {
    let session = use_session();
    let code = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let input = NodeRef::<Input>::new();
    focus_on_mount(input);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::otp(code.get_untracked()).await {
                Ok(step) => session.advance(step.next),
                Err(failure) if failure.is_session_lost() => {
                    session.restart(Key::ErrorSessionExpired);
                }
                Err(failure) => {
                    if failure.code() == Some(ErrorCode::InvalidOtp) {
                        code.set(String::new());
                    }
                    error.set(Some(failure));
                }
            }
            busy.set(false);
        });
    };

    view! {
        <form class="step" on:submit=submit novalidate>
            <h1>{session.t(Key::OtpHeading)}</h1>
            <p>{session.t(Key::OtpIntro)}</p>
            <label for="otp">{session.t(Key::OtpLabel)}</label>
            <input
                id="otp"
                name="otp"
                type="text"
                inputmode="numeric"
                autocomplete="one-time-code"
                maxlength="6"
                pattern="[0-9]*"
                node_ref=input
                prop:value=move || code.get()
                on:input=move |ev| code.set(only_digits(&event_target_value(&ev)))
            />
            <Alert error=error />
            <SubmitButton id="otp-submit" label=Key::Submit busy=busy />
        </form>
    }
}
