//! "Meld u aan": the password, and the one-time password for those who
//! type it by hand. The link to it is there for everybody: showing it only
//! to users with a device would tell strangers who has one.

use aanmelden_api::ErrorCode;
use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Failure};
use crate::components::alert::Alert;
use crate::components::submit_button::SubmitButton;
use crate::contexts::session_context::{Screen, use_session};
use crate::dom::{focus_on_mount, only_digits};
use crate::i18n::Key;

/// The password screen.
#[component]
pub fn PasswordPage() -> impl IntoView {
    let session = use_session();
    let password = RwSignal::new(String::new());
    let otp = RwSignal::new(String::new());
    let otp_shown = RwSignal::new(false);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<Failure>);
    let input = NodeRef::<Input>::new();
    let otp_input = NodeRef::<Input>::new();
    focus_on_mount(input);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let code = Some(otp.get_untracked()).filter(|c| otp_shown.get_untracked() && !c.is_empty());
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match api::password(password.get_untracked(), code).await {
                Ok(step) => session.advance(step.next),
                Err(failure) if failure.is_session_lost() => {
                    session.restart(Key::ErrorSessionExpired);
                }
                Err(failure) => {
                    if failure.code() == Some(ErrorCode::InvalidCredentials) {
                        password.set(String::new());
                    }
                    if failure.code() == Some(ErrorCode::InvalidOtp) {
                        otp.set(String::new());
                    }
                    error.set(Some(failure));
                }
            }
            busy.set(false);
        });
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
                <input
                    id="otp"
                    name="otp"
                    type="text"
                    inputmode="numeric"
                    autocomplete="one-time-code"
                    maxlength="6"
                    pattern="[0-9]*"
                    node_ref=otp_input
                    prop:value=move || otp.get()
                    on:input=move |ev| otp.set(only_digits(&event_target_value(&ev)))
                />
            </Show>
            <Alert error=error />
            <SubmitButton id="password-submit" label=Key::Submit busy=busy />
        </form>
    }
}
