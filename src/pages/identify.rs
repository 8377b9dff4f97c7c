//! "Gebruikersnaam:" → "Aanmelden". The server answers the same for every
//! name, so this step never says whether a user exists.

use aanmelden_api::ErrorCode;
use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use crate::api::{self, Failure};
use crate::components::action::Action;
use crate::components::alert::{Alert, Notice, invalid_while};
use crate::components::submit_button::SubmitButton;
use crate::contexts::session_context::use_session;
use crate::dom::focus_on_mount;
use crate::i18n::Key;

/// The first screen.
#[component]
pub fn IdentifyPage() -> impl IntoView {
    let session = use_session();
    let name = RwSignal::new(session.username.get_untracked());
    let action = Action::new();
    let input = NodeRef::<Input>::new();
    focus_on_mount(input);
    let (invalid, described) = invalid_while(action.error);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = name.get_untracked().trim().to_owned();
        if typed.is_empty() {
            action.fail(Failure::Api {
                code: ErrorCode::Validation,
                retry_after_s: None,
                field: Some("username".into()),
            });
            return;
        }
        action.run(
            api::identify(typed.clone()),
            move |step| {
                session.username.set(typed);
                session.notice.set(None);
                session.advance(step.next);
            },
            |_| {},
        );
    };

    view! {
        <form class="step" on:submit=submit novalidate>
            <Notice />
            <label for="username">{session.t(Key::UsernameLabel)}</label>
            <input
                id="username"
                name="username"
                type="text"
                inputmode="email"
                // A shared terminal keeps no list of the names typed on it.
                autocomplete=move || {
                    let kiosk = session.branding.with(|b| b.as_ref().is_some_and(|b| b.kiosk.is_some()));
                    if kiosk { "off" } else { "username" }
                }
                autocapitalize="none"
                spellcheck="false"
                placeholder=session.t(Key::UsernamePlaceholder)
                node_ref=input
                aria-invalid=invalid
                aria-describedby=described
                prop:value=move || name.get()
                on:input=move |ev| name.set(event_target_value(&ev))
            />
            <Alert error=action.error />
            <SubmitButton id="identify-submit" label=Key::LogOn busy=action.busy />
        </form>
    }
}
