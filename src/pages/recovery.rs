//! "Telefoon kwijt? Gebruik een herstelcode": a recovery code instead of
//! the second factor; signed in, the user registers the new phone next.
//! Under it, a helpdesk pass, which lets the user register a device.

use aanmelden_api::{ErrorCode, Step};
use leptos::ev::SubmitEvent;
use leptos::html::Input;
use leptos::prelude::*;

use crate::api;
use crate::components::action::Action;
use crate::components::alert::Alert;
use crate::components::submit_button::SubmitButton;
use crate::contexts::session_context::{Screen, use_session};
use crate::dom::focus_on_mount;
use crate::i18n::Key;

/// The recovery code screen.
#[component]
pub fn RecoveryPage() -> impl IntoView {
    let session = use_session();
    let code = RwSignal::new(String::new());
    let action = Action::new();
    let input = NodeRef::<Input>::new();
    focus_on_mount(input);
    let failed = move || action.error.with(Option::is_some);
    // The pass's form below has a failure of its own: one at a time shows.
    let pass = Action::new();

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        pass.error.set(None);
        action.run(
            api::devices::recovery(code.get_untracked()),
            move |_| {
                session.notice.set(Some(Key::Recovered));
                session.step.set(Some(Step::Done));
                session.go(Screen::Devices);
            },
            move |failure| {
                if failure.code() == Some(ErrorCode::InvalidRecoveryCode) {
                    code.set(String::new());
                }
            },
        );
    };

    view! {
        <form class="step" on:submit=submit novalidate>
            <h1>{session.t(Key::RecoveryHeading)}</h1>
            <p>{session.t(Key::RecoveryIntro)}</p>
            <label for="recovery-code">{session.t(Key::RecoveryLabel)}</label>
            <input
                id="recovery-code"
                name="code"
                type="text"
                maxlength="24"
                autocomplete="off"
                autocapitalize="none"
                spellcheck="false"
                node_ref=input
                aria-invalid=move || failed().then_some("true")
                aria-describedby=move || failed().then_some("error")
                prop:value=move || code.get()
                on:input=move |ev| code.set(event_target_value(&ev))
            />
            <Alert error=action.error />
            <SubmitButton id="recovery-submit" label=Key::Submit busy=action.busy />
        </form>
        <details id="pass-details" class="step pass">
            <summary id="use-pass">{session.t(Key::PassLink)}</summary>
            <PassForm
                action=pass
                beside=action
                on_done=Callback::new(move |()| session.go(Screen::Devices))
            />
        </details>
    }
}

/// "Helpdeskpas": the pass the helpdesk gave; the session may then
/// register a device.
#[component]
pub fn PassForm(
    /// Called once the pass was taken.
    on_done: Callback<()>,
    /// Its request, where the screen keeps it.
    #[prop(optional)]
    action: Option<Action>,
    /// Another form's request on the same screen, whose failure goes when
    /// this one is sent (one error shows at a time).
    #[prop(optional)]
    beside: Option<Action>,
) -> impl IntoView {
    let session = use_session();
    let code = RwSignal::new(String::new());
    let action = action.unwrap_or_else(Action::new);
    let failed = move || action.error.with(Option::is_some);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if let Some(beside) = beside {
            beside.error.set(None);
        }
        action.run(
            api::devices::pass(code.get_untracked()),
            move |_| {
                session.step.set(Some(Step::RegisterDevice));
                on_done.run(());
            },
            move |failure| {
                if failure.code() == Some(ErrorCode::InvalidPass) {
                    code.set(String::new());
                }
            },
        );
    };

    view! {
        <form class="step" on:submit=submit novalidate>
            <p>{session.t(Key::PassHint)}</p>
            <label for="pass">{session.t(Key::PassLabel)}</label>
            <input
                id="pass"
                name="code"
                type="text"
                maxlength="24"
                autocomplete="off"
                autocapitalize="none"
                spellcheck="false"
                aria-invalid=move || failed().then_some("true")
                aria-describedby=move || failed().then_some("error")
                prop:value=move || code.get()
                on:input=move |ev| code.set(event_target_value(&ev))
            />
            <Alert error=action.error />
            <SubmitButton id="pass-submit" label=Key::Submit busy=action.busy />
        </form>
    }
}
