//! "Meldingen aanzetten" under the accounts: where notifications stand,
//! and the button that asks for them. Only accounts of the portal (with a
//! key of their own) are woken; the button tells the portal for each.

use aanmelden_i18n::Key;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{Device, Signer};
use crate::notify::{self, Standing};
use crate::store::Account;
use crate::use_phone;

/// Where notifications stand, and the button to turn them on.
#[component]
pub fn Notifications(
    /// The accounts; those of the portal are woken.
    list: Vec<Account>,
) -> impl IntoView {
    let phone = use_phone();
    let standing = RwSignal::new(None::<Standing>);
    let busy = RwSignal::new(false);
    let problem = RwSignal::new(None::<Key>);
    let list = StoredValue::new_local(list);
    spawn_local(async move {
        let now = notify::standing().await;
        standing.try_set(Some(now));
        // On: the portal is told again, in case it has forgotten.
        if now == Standing::On {
            for account in list.get_value() {
                if let (Some(id), Some(key)) = (account.details.device_id, &account.signing) {
                    notify::share_with(Device {
                        id,
                        signer: Signer::Key(key),
                    })
                    .await;
                }
            }
        }
    });

    let turn_on = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        problem.set(None);
        let accounts = list.get_value();
        spawn_local(async move {
            let devices: Vec<Device<'_>> = accounts
                .iter()
                .filter_map(|account| {
                    Some(Device {
                        id: account.details.device_id?,
                        signer: Signer::Key(account.signing.as_ref()?),
                    })
                })
                .collect();
            match notify::turn_on(&devices).await {
                Ok(now) => {
                    standing.try_set(Some(now));
                }
                Err(key) => {
                    problem.try_set(Some(key));
                }
            }
            busy.try_set(false);
        });
    };

    let shown = move || {
        match standing.get()? {
        Standing::On => Some(
            view! { <p id="notify-on" class="hint" role="status">{phone.t(Key::PhoneNotifyOn)}</p> }
                .into_any(),
        ),
        Standing::Refused => {
            Some(view! { <p class="hint">{phone.t(Key::PhoneNotifyRefused)}</p> }.into_any())
        }
        Standing::Unavailable => {
            Some(view! { <p class="hint">{phone.t(Key::PhoneNotifyUnavailable)}</p> }.into_any())
        }
        Standing::Off => Some(
            view! {
                <p class="hint">{phone.t(Key::PhoneNotifyWhy)}</p>
                <button
                    type="button"
                    id="notify"
                    aria-busy=move || busy.get().to_string()
                    on:click=turn_on
                >
                    {move || {
                        if busy.get() {
                            Key::PhoneNotifyBusy.text(phone.lang.get())
                        } else {
                            Key::PhoneNotify.text(phone.lang.get())
                        }
                    }}
                </button>
                <p class="alert" role="alert">
                    {move || problem.get().map(|key| key.text(phone.lang.get()))}
                </p>
            }
            .into_any(),
        ),
    }
    };
    view! { <section class="notifications">{shown}</section> }
}
