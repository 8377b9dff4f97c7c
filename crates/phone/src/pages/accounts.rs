//! "Mijn accounts": each account's current code with the seconds it has
//! left, computed on the phone (offline too), and above them the sign-ins
//! that wait for an answer.

use aanmelden_api::PendingChallenge;
use aanmelden_i18n::Key;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Device, Signer};
use crate::pages::notifications::Notifications;
use crate::store::{self, Account};
use crate::{Phone, Screen, crypto, otpauth, use_phone};

/// How often the portal is asked for waiting sign-ins while the app shows.
const LOOK_EVERY_MS: u64 = 3000;

/// An account's code at `unix_seconds`.
async fn code(account: &Account, unix_seconds: u64) -> Option<String> {
    let mac = crypto::hmac(&account.totp, &otpauth::step_counter(unix_seconds))
        .await
        .ok()?;
    otpauth::code_from_hmac(&mac)
}

/// "123 456", as people read it.
fn grouped(code: &str) -> String {
    let (first, second) = code.split_at(code.len() / 2);
    format!("{first} {second}")
}

/// "Issuer: account", or the account alone.
fn name_of(account: &Account) -> String {
    if account.details.issuer.is_empty() {
        account.details.account.clone()
    } else {
        format!("{}: {}", account.details.issuer, account.details.account)
    }
}

/// The sign-ins waiting for the accounts of `accounts`, with the account
/// that answers each.
async fn waiting_for(accounts: &[Account]) -> Vec<(PendingChallenge, u32)> {
    let mut found = Vec::new();
    for account in accounts {
        let (Some(device_id), Some(key)) = (account.details.device_id, &account.signing) else {
            continue;
        };
        let device = Device {
            id: device_id,
            signer: Signer::Key(key),
        };
        if let Ok(pending) = api::pending(device).await {
            found.extend(pending.into_iter().map(|c| (c, account.id)));
        }
    }
    found
}

/// The answer screen of the sign-in a notification opened the app for,
/// once it is among those waiting, while the accounts show. (One that is
/// answered or over never is: the app stays on its list.)
fn opened_from_notification(phone: Phone, waiting: &[(PendingChallenge, u32)]) -> Option<Screen> {
    if phone.screen.try_get_untracked()? != Screen::Accounts {
        return None;
    }
    let wanted = phone.opened_for.try_get_value().flatten()?;
    let (challenge, account) = waiting.iter().find(|(c, _)| c.id == wanted)?;
    phone.opened_for.try_set_value(None);
    Some(Screen::Answer(challenge.clone(), *account))
}

/// The accounts and the waiting sign-ins.
#[component]
pub fn AccountsPage() -> impl IntoView {
    let phone = use_phone();
    let accounts = RwSignal::new(None::<Result<Vec<Account>, store::StoreFailed>>);
    let codes = RwSignal::new(Vec::<(u32, String)>::new());
    let seconds_left = RwSignal::new(30 - api::now().rem_euclid(30));
    let waiting = RwSignal::new(Vec::<(PendingChallenge, u32)>::new());
    let step_shown = StoredValue::new(None::<u64>);

    // Every second the seconds left; at each new step the codes.
    let refresh_codes = move || {
        let now = u64::try_from(api::now()).unwrap_or_default();
        seconds_left.set(30 - i64::try_from(now % 30).unwrap_or_default());
        if step_shown.get_value() == Some(now / 30) {
            return;
        }
        step_shown.set_value(Some(now / 30));
        let Some(Ok(list)) = accounts.get_untracked() else {
            return;
        };
        spawn_local(async move {
            let mut fresh = Vec::with_capacity(list.len());
            for account in &list {
                if let Some(code) = code(account, now).await {
                    fresh.push((account.id, code));
                }
            }
            codes.try_set(fresh);
        });
    };
    let look_for_sign_ins = move || {
        if let Some(Ok(list)) = accounts.get_untracked() {
            spawn_local(async move {
                let found = waiting_for(&list).await;
                if let Some(opened) = opened_from_notification(phone, &found) {
                    phone.screen.set(opened);
                    return;
                }
                waiting.try_set(found);
            });
        }
    };

    spawn_local(async move {
        accounts.try_set(Some(store::accounts().await));
        step_shown.set_value(None);
        refresh_codes();
        look_for_sign_ins();
    });
    if let Ok(ticker) = set_interval_with_handle(refresh_codes, std::time::Duration::from_secs(1)) {
        on_cleanup(move || ticker.clear());
    }
    if let Ok(looker) = set_interval_with_handle(
        move || {
            if !document().hidden() {
                look_for_sign_ins();
            }
        },
        std::time::Duration::from_millis(LOOK_EVERY_MS),
    ) {
        on_cleanup(move || looker.clear());
    }

    let list_view = move || match accounts.get() {
        None => view! { <p class="loading">{phone.t(Key::PhoneLoading)}</p> }.into_any(),
        Some(Err(_)) => view! {
            <p class="alert" role="alert">{phone.t(Key::PhoneStorageFailed)}</p>
        }
        .into_any(),
        Some(Ok(list)) if list.is_empty() => {
            view! { <p class="empty">{phone.t(Key::PhoneNoAccounts)}</p> }.into_any()
        }
        Some(Ok(list)) => view! { <AccountList list codes seconds_left /> }.into_any(),
    };

    view! {
        <WaitingList waiting />
        <section>
            <h2>{phone.t(Key::PhoneAccounts)}</h2>
            {list_view}
            <button
                type="button"
                id="add-account"
                class="primary"
                on:click=move |_| phone.screen.set(Screen::Add)
            >
                {phone.t(Key::PhoneAdd)}
            </button>
        </section>
        // Notifications wake the accounts of the portal only.
        {move || match accounts.get() {
            Some(Ok(list)) if list.iter().any(|account| account.signing.is_some()) => {
                Some(view! { <Notifications list /> })
            }
            _ => None,
        }}
    }
}

/// The sign-ins that wait: each opens its answer screen.
#[component]
fn WaitingList(
    /// The waiting sign-ins, with the account that answers each.
    waiting: RwSignal<Vec<(PendingChallenge, u32)>>,
) -> impl IntoView {
    let phone = use_phone();
    let lang = phone.lang;
    move || {
        let list = waiting.get();
        let heading = match list.len() {
            0 => return None,
            1 => Key::PhoneWaiting.text(lang.get()).to_owned(),
            n => Key::PhoneWaitingMany.fill(lang.get(), "count", &n.to_string()),
        };
        let items = list
            .into_iter()
            .map(|(challenge, account)| {
                let unknown = Key::PhoneUnknown.text(lang.get());
                let label = format!(
                    "{} · {} · {}",
                    challenge.username,
                    challenge.browser.map_or(unknown, |b| b.name()),
                    challenge.os.map_or(unknown, |o| o.name()),
                );
                view! {
                    <li>
                        <button
                            type="button"
                            class="request"
                            on:click=move |_| {
                                phone.screen.set(Screen::Answer(challenge.clone(), account));
                            }
                        >
                            {label}
                        </button>
                    </li>
                }
            })
            .collect_view();
        Some(view! {
            <section class="waiting" aria-live="polite">
                <h2>{heading}</h2>
                <ul>{items}</ul>
            </section>
        })
    }
}

/// The accounts, each with its code and the seconds it has left.
#[component]
fn AccountList(
    /// The accounts.
    list: Vec<Account>,
    /// The current code of each account, by its number.
    codes: RwSignal<Vec<(u32, String)>>,
    /// Seconds until the next code.
    seconds_left: RwSignal<i64>,
) -> impl IntoView {
    let phone = use_phone();
    let lang = phone.lang;
    let items = list
        .into_iter()
        .map(|account| {
            let id = account.id;
            let name = name_of(&account);
            let code = move || {
                codes.with(|codes| {
                    codes
                        .iter()
                        .find(|(of, _)| *of == id)
                        .map(|(_, code)| grouped(code))
                })
            };
            let label = {
                let name = name.clone();
                move || Key::PhoneCodeOf.fill(lang.get(), "account", &name)
            };
            let left = move || {
                Key::PhoneSecondsLeft.fill(lang.get(), "seconds", &seconds_left.get().to_string())
            };
            view! {
                <li class="account">
                    <span class="name">{name}</span>
                    <output class="code" aria-label=label>{code}</output>
                    <span class="left">{left}</span>
                </li>
            }
        })
        .collect_view();
    view! { <ul class="accounts">{items}</ul> }
}
