//! "Open de app op je telefoon en bevestig de aanmelding.": the number to
//! type in the app, a countdown, and what follows when no answer comes or
//! the app denies. The link to type the code by hand stays on the screen.

use std::time::Duration;

use aanmelden_api::{ErrorCode, PushStatus, Step};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api;
use crate::components::action::Action;
use crate::components::alert::Alert;
use crate::components::lost_phone::LostPhoneLink;
use crate::contexts::session_context::{Screen, Session, use_session};
use crate::i18n::Key;

/// Where the confirmation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Starting,
    Waiting,
    TimedOut,
    Denied,
}

/// The push screen.
#[component]
pub fn PushPage() -> impl IntoView {
    let session = use_session();
    let phase = RwSignal::new(Phase::Starting);
    let number = RwSignal::new(None::<u8>);
    let seconds_left = RwSignal::new(0_u64);
    let action = Action::new();
    // Each challenge has its own wait; a newer one ("Opnieuw versturen")
    // or leaving the screen ends the older wait.
    let current = StoredValue::new(String::new());

    let start = move |resume: bool| {
        action.run(
            api::start_push(resume),
            move |challenge| {
                current.set_value(challenge.id.clone());
                number.set(Some(challenge.number));
                seconds_left.set(challenge.expires_in_s);
                phase.set(Phase::Waiting);
                spawn_local(wait_for_answer(session, challenge.id, current, phase));
            },
            |_| {},
        );
    };
    start(true);

    if let Ok(ticker) = set_interval_with_handle(
        move || {
            if phase.try_get_untracked() == Some(Phase::Waiting) {
                let left = seconds_left.get_untracked().saturating_sub(1);
                seconds_left.set(left);
                if left == 0 {
                    phase.set(Phase::TimedOut);
                }
            }
        },
        Duration::from_secs(1),
    ) {
        on_cleanup(move || ticker.clear());
    }
    on_cleanup(move || current.set_value(String::new()));

    let manual = move |ev: leptos::ev::MouseEvent| {
        ev.prevent_default();
        current.set_value(String::new());
        session.go(Screen::Otp);
    };

    view! {
        <section class="step push" aria-live="polite">
            <h1>{session.t(Key::PushHeading)}</h1>
            <p>{session.t(Key::PushInstruction)}</p>
            <Show when=move || phase.get() == Phase::Waiting>
                <p class="push-hint">{session.t(Key::PushNumberHint)}</p>
                <p id="push-number" class="push-number">
                    {move || number.get().map(|n| n.to_string())}
                </p>
                <p id="push-countdown" class="hint" aria-live="off">
                    {move || {
                        Key::PushSecondsLeft
                            .fill(session.lang.get(), "seconds", &seconds_left.get().to_string())
                    }}
                </p>
            </Show>
            <Show when=move || matches!(phase.get(), Phase::TimedOut | Phase::Denied)>
                <p id="push-outcome" class="error" role="alert">
                    {move || {
                        let key = if phase.get() == Phase::Denied {
                            Key::PushDenied
                        } else {
                            Key::PushTimeout
                        };
                        key.text(session.lang.get())
                    }}
                </p>
                <button
                    type="button"
                    class="primary"
                    id="push-resend"
                    disabled=move || action.busy.get()
                    aria-busy=move || action.busy.get().to_string()
                    on:click=move |_| start(false)
                >
                    {session.t(Key::Resend)}
                </button>
            </Show>
            <Show when=move || phase.get() == Phase::Starting>
                <p class="loading">
                    <span class="spinner"></span>
                </p>
            </Show>
            <Alert error=action.error />
            <a href="#" id="show-otp" class="link" on:click=manual>
                {session.t(Key::ShowOtp)}
            </a>
            <LostPhoneLink />
        </section>
    }
}

/// Ask the server for the answer until there is one, for as long as `id`
/// is the challenge the screen shows.
async fn wait_for_answer(
    session: Session,
    id: String,
    current: StoredValue<String>,
    phase: RwSignal<Phase>,
) {
    let still_current = || current.try_get_value().as_deref() == Some(id.as_str());
    while still_current() {
        let answer = api::wait_push(&id).await;
        if !still_current() {
            return;
        }
        match answer {
            Ok(outcome) if outcome.status == PushStatus::Approved => {
                session.advance(Step::Done);
                return;
            }
            Ok(_) => {}
            Err(failure) if failure.is_session_lost() => {
                session.restart(Key::ErrorSessionExpired);
                return;
            }
            Err(failure) => {
                let denied = failure.code() == Some(ErrorCode::PushDenied);
                phase.set(if denied {
                    Phase::Denied
                } else {
                    Phase::TimedOut
                });
                return;
            }
        }
    }
}
