//! "Meld u aan": the password, and the one-time password for those who
//! type it by hand. The link to it is there for everybody: showing it only
//! to users with a device would tell strangers who has one.

use aanmelden_api::ErrorCode;
use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use crate::api;
use crate::components::action::Action;
use crate::components::alert::{Alert, invalid_while};
use crate::components::code_input::CodeInput;
use crate::components::submit_button::SubmitButton;
use crate::contexts::session_context::{Screen, use_session};
use crate::dom::focus_on_mount;
use crate::i18n::Key;

/// The password screen.
#[component]
pub fn PasswordPage() -> impl IntoView {
    let session = use_session();
    let password = RwSignal::new(String::new());
    let otp = RwSignal::new(String::new());
    // Open when a code was typed into the server's page before the app came.
    let otp_shown = RwSignal::new(crate::takeover::Typed::holds("otp"));
    let action = Action::new();
    let input = NodeRef::<Input>::new();
    let otp_input = NodeRef::<Input>::new();
    focus_on_mount(input);
    let (invalid, described) = invalid_while(action.error);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let code = Some(otp.get_untracked()).filter(|c| otp_shown.get_untracked() && !c.is_empty());
        action.run(
            api::password(password.get_untracked(), code),
            move |step| session.advance(step.next),
            move |failure| match failure.code() {
                Some(ErrorCode::InvalidCredentials) => password.set(String::new()),
                Some(ErrorCode::InvalidOtp) => otp.set(String::new()),
                _ => {}
            },
        );
    };

    let reveal_otp = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        otp_shown.set(true);
        request_animation_frame(move || {
            if let Some(input) = otp_input.get() {
                let _ = input.focus();
            }
        });
    };

    view! {
        <form class="step" on:submit=submit novalidate>
            <h1>{session.t(Key::PleaseLogOn)}</h1>
            <p class="label">{session.t(Key::UsernameLabel)}</p>
            <p class="readonly-field">
                <span id="username-shown">{move || session.username.get()}</span>
                <button
                    type="button"
                    class="link"
                    id="change-user"
                    on:click=move |_| session.go(Screen::Identify)
                >
                    {session.t(Key::ChangeUser)}
                </button>
            </p>
            <input type="hidden" name="username" autocomplete="username" prop:value=move || session.username.get() />
            <label for="password">{session.t(Key::PasswordLabel)}</label>
            <input
                id="password"
                name="password"
                type="password"
                autocomplete="current-password"
                node_ref=input
                aria-invalid=invalid
                aria-describedby=described
                prop:value=move || password.get()
                on:input=move |ev| password.set(event_target_value(&ev))
            />
            <Show
                when=move || otp_shown.get()
                fallback=move || {
                    view! {
                        <a href="#" id="show-otp" class="link" on:click=reveal_otp>
                            {session.t(Key::ShowOtp)}
                        </a>
                    }
                }
            >
                <label for="otp">{session.t(Key::OtpLabel)}</label>
                <CodeInput id="otp" value=otp node_ref=otp_input error=action.error />
            </Show>
            <Alert error=action.error />
            <SubmitButton id="password-submit" label=Key::Submit busy=action.busy />
        </form>
    }
}
