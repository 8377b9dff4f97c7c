//! The one-time password of a user with a device who did not type it on
//! the password screen.

use aanmelden_api::ErrorCode;
use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use crate::api;
use crate::components::action::Action;
use crate::components::alert::Alert;
use crate::components::code_input::CodeInput;
use crate::components::lost_phone::LostPhoneLink;
use crate::components::submit_button::SubmitButton;
use crate::contexts::session_context::use_session;
use crate::dom::focus_on_mount;
use crate::i18n::Key;

/// The code screen.
#[component]
pub fn OtpPage() -> impl IntoView {
    let session = use_session();
    let code = RwSignal::new(String::new());
    let action = Action::new();
    let input = NodeRef::<Input>::new();
    focus_on_mount(input);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        action.run(
            api::otp(code.get_untracked()),
            move |step| session.advance(step.next),
            move |failure| {
                if failure.code() == Some(ErrorCode::InvalidOtp) {
                    code.set(String::new());
                }
            },
        );
    };

    view! {
        <form class="step" on:submit=submit novalidate>
            <h1>{session.t(Key::OtpHeading)}</h1>
            <p>{session.t(Key::OtpIntro)}</p>
            <label for="otp">{session.t(Key::OtpLabel)}</label>
            <CodeInput id="otp" value=code node_ref=input error=action.error />
            <Alert error=action.error />
            <SubmitButton id="otp-submit" label=Key::Submit busy=action.busy />
        </form>
        <LostPhoneLink />
    }
}
