//! "Meld je je aan?": one waiting sign-in (whose account, which browser on
//! which system, from which address, when: words from fixed lists and the
//! portal's own values, never text from the request), the number the
//! browser shows, and "Goedkeuren" or "Dit was ik niet", signed.

use aanmelden_api::{ChallengeAnswer, ErrorCode, PendingChallenge};
use aanmelden_i18n::{Key, Lang};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Device, Failure, Signer};
use crate::store;
use crate::{BackToAccounts, notify, use_phone};

/// Where the answer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Asking,
    Sending,
    /// Answered, with what to say.
    Done(Key),
}

/// The time of day of `unix_seconds`, as the phone writes it in `lang`.
fn time_of_day(unix_seconds: i64, lang: Lang) -> String {
    // Milliseconds of any time the portal sends fit a double exactly.
    #[allow(clippy::cast_precision_loss)]
    let date = js_sys::Date::new(&((unix_seconds * 1000) as f64).into());
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    date.to_locale_time_string_with_options(lang.code(), &options)
        .into()
}

/// What to say after `answer` was sent and the portal said `result`.
fn outcome(answer: ChallengeAnswer, result: Result<(), Failure>) -> Key {
    match (answer, result) {
        (ChallengeAnswer::Approve { .. }, Ok(())) => Key::PhoneApproved,
        (_, Ok(())) => Key::PhoneDenied,
        (_, Err(Failure::Api(ErrorCode::PushDenied))) => Key::PhoneWrongNumber,
        (_, Err(Failure::Api(ErrorCode::PushExpired | ErrorCode::NotFound))) => Key::PhoneExpired,
        (_, Err(Failure::Api(ErrorCode::InvalidCredentials))) => Key::PhoneRemoved,
        (_, Err(_)) => Key::PhoneUnreachable,
    }
}

/// Send `answer` to sign-in `id` for the account numbered `account`; what
/// to say then.
async fn send_answer(account: u32, id: &str, answer: ChallengeAnswer) -> Key {
    let accounts = store::accounts().await.unwrap_or_default();
    let device = accounts.iter().find(|a| a.id == account).and_then(|a| {
        Some(Device {
            id: a.details.device_id?,
            signer: Signer::Key(a.signing.as_ref()?),
        })
    });
    let Some(device) = device else {
        return Key::PhoneRemoved;
    };
    let said = outcome(answer, api::answer(device, id, answer).await);
    notify::clear().await;
    said
}

/// The answer screen for `challenge`, answered by the account numbered
/// `account`.
#[component]
pub fn AnswerPage(
    /// The waiting sign-in.
    challenge: PendingChallenge,
    /// The account (its number in the app's storage) whose device answers.
    account: u32,
) -> impl IntoView {
    let phone = use_phone();
    let phase = RwSignal::new(Phase::Asking);
    let problem = RwSignal::new(None::<Key>);
    let number = RwSignal::new(String::new());
    let id = StoredValue::new(challenge.id.clone());

    let send = move |answer: ChallengeAnswer| {
        if phase.get_untracked() != Phase::Asking {
            return;
        }
        phase.set(Phase::Sending);
        spawn_local(async move {
            let key = send_answer(account, &id.get_value(), answer).await;
            if key == Key::PhoneUnreachable {
                problem.try_set(Some(key));
                phase.try_set(Phase::Asking);
            } else {
                phase.try_set(Phase::Done(key));
            }
        });
    };

    let approve = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let typed = number.get_untracked();
        match typed.trim().parse::<u8>() {
            Ok(n) if (10..=99).contains(&n) => {
                problem.set(None);
                send(ChallengeAnswer::Approve { number: n });
            }
            _ => problem.set(Some(Key::PhoneNumberInvalid)),
        }
    };

    let lang = phone.lang;
    let details = view! { <RequestDetails challenge /> };

    let asking = move || {
        view! {
            <form on:submit=approve novalidate>
                <label for="number">{phone.t(Key::PhoneNumberLabel)}</label>
                <input
                    id="number"
                    name="number"
                    class="number"
                    inputmode="numeric"
                    pattern="[0-9]*"
                    maxlength="2"
                    autocomplete="off"
                    aria-invalid=move || problem.get().is_some().to_string()
                    aria-describedby="problem"
                    prop:value=move || number.get()
                    on:input=move |ev| number.set(event_target_value(&ev))
                />
                <p id="problem" class="alert" role="alert">
                    {move || problem.get().map(|key| key.text(lang.get()))}
                </p>
                <div class="actions">
                    <button
                        type="submit"
                        id="approve"
                        class="primary"
                        aria-busy=move || (phase.get() == Phase::Sending).to_string()
                    >
                        {move || {
                            if phase.get() == Phase::Sending {
                                Key::PhoneAnswering.text(lang.get())
                            } else {
                                Key::PhoneApprove.text(lang.get())
                            }
                        }}
                    </button>
                    <button
                        type="button"
                        id="not-me"
                        class="danger"
                        on:click=move |_| send(ChallengeAnswer::NotMe)
                    >
                        {phone.t(Key::PhoneNotMe)}
                    </button>
                </div>
            </form>
        }
    };

    let done = Memo::new(move |_| match phase.get() {
        Phase::Done(key) => Some(key),
        Phase::Asking | Phase::Sending => None,
    });
    view! {
        <section>
            <h2>{phone.t(Key::PhoneRequestTitle)}</h2>
            {details}
            {move || match done.get() {
                None => asking().into_any(),
                Some(key) => view! { <Answered key /> }.into_any(),
            }}
        </section>
    }
}

/// Who signs in, with which browser on which system, from where, when.
#[component]
fn RequestDetails(
    /// The waiting sign-in.
    challenge: PendingChallenge,
) -> impl IntoView {
    let phone = use_phone();
    let lang = phone.lang;
    let unknown = move || Key::PhoneUnknown.text(lang.get());
    let browser = challenge.browser;
    let os = challenge.os;
    let created_at = challenge.created_at;
    view! {
        <dl class="request-details">
            <dt>{phone.t(Key::PhoneRequestAccount)}</dt>
            <dd>{challenge.username}</dd>
            <dt>{phone.t(Key::PhoneRequestBrowser)}</dt>
            <dd>
                {move || browser.map_or_else(unknown, |b| b.name())} " · "
                {move || os.map_or_else(unknown, |o| o.name())}
            </dd>
            <dt>{phone.t(Key::PhoneRequestAddress)}</dt>
            <dd>{challenge.client}</dd>
            <dt>{phone.t(Key::PhoneRequestTime)}</dt>
            <dd>{move || time_of_day(created_at, lang.get())}</dd>
        </dl>
    }
}

/// What became of the answer, and the way back to the accounts.
#[component]
fn Answered(
    /// What to say.
    key: Key,
) -> impl IntoView {
    let phone = use_phone();
    view! {
        <p
            id="answered"
            role="status"
            class=if key == Key::PhoneApproved { "ok" } else { "alert" }
        >
            {phone.t(key)}
        </p>
        <BackToAccounts />
    }
}
