//! "Account toevoegen": the link behind the portal's QR code (or a key
//! typed by hand) becomes an account. For the portal's own QR code the app
//! makes its key pair and gives the public half to the portal while the
//! device enrolls, signed with the QR code's secret; from then on only
//! that key answers sign-ins for it.

use aanmelden_api::ErrorCode;
use aanmelden_i18n::{Key, Lang};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::{self, Device, Failure, Signer};
use crate::otpauth::{self, NotAnAccount, Scanned};
use crate::pages::scanner::Scanner;
use crate::store::{self, Details};
use crate::{BackToAccounts, Screen, crypto, notify, use_phone};

/// What the push key is derived for (as the portal derives it).
const PUSH_KEY_PURPOSE: &[u8] = b"aanmelden push v1";

/// Where adding stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Phase {
    Typing,
    Adding,
    /// Added: the code to type at "Gereed", or none for a typed key.
    Added(Option<String>),
}

/// Why an account was not added.
fn refusal(key: Key) -> Result<Option<String>, Key> {
    Err(key)
}

/// Add what `text` holds; the first code when it is the portal's. A typed
/// key's account is named in `lang`.
async fn add(text: &str, lang: Lang) -> Result<Option<String>, Key> {
    let scanned = if text.trim_start().starts_with("otpauth:") {
        otpauth::parse(text).map_err(|e| match e {
            NotAnAccount::Unsupported => Key::PhoneUnsupported,
            NotAnAccount::NotTotp | NotAnAccount::NoSecret => Key::PhoneNotAnAccount,
        })?
    } else {
        let Some(secret) = otpauth::typed_secret(text) else {
            return refusal(Key::PhoneNotAnAccount);
        };
        Scanned {
            issuer: String::new(),
            account: String::new(),
            secret,
            device_id: None,
            server: None,
        }
    };
    let origin = window().location().origin().unwrap_or_default();
    if scanned
        .server
        .as_deref()
        .is_some_and(|server| server != origin)
    {
        return refusal(Key::PhoneOtherPortal);
    }
    let totp = crypto::hmac_key(&scanned.secret, "SHA-1")
        .await
        .map_err(|_| Key::PhoneStorageFailed)?;
    let signing = match scanned.device_id {
        Some(device_id) => Some(give_key(&scanned.secret, device_id).await?),
        None => None,
    };
    let account = if scanned.account.is_empty() {
        Key::PhoneRequestAccount.text(lang).to_owned()
    } else {
        scanned.account.clone()
    };
    let details = Details {
        issuer: scanned.issuer.clone(),
        account,
        device_id: scanned.device_id,
    };
    store::add(&details, &totp, signing.as_ref())
        .await
        .map_err(|_| Key::PhoneStorageFailed)?;
    let (Some(device_id), Some(signing)) = (scanned.device_id, signing) else {
        return Ok(None);
    };
    notify::share_with(Device {
        id: device_id,
        signer: Signer::Key(&signing),
    })
    .await;
    let now = u64::try_from(api::now()).unwrap_or_default();
    let mac = crypto::hmac(&totp, &otpauth::step_counter(now))
        .await
        .map_err(|_| Key::PhoneStorageFailed)?;
    Ok(otpauth::code_from_hmac(&mac))
}

/// A new key pair for the device; its public half given to the portal,
/// signed with the push key derived from the secret.
async fn give_key(secret: &[u8], device_id: i64) -> Result<web_sys::CryptoKey, Key> {
    let failed = |_| Key::PhoneStorageFailed;
    let secret_key = crypto::hmac_key(secret, "SHA-256").await.map_err(failed)?;
    let push_key = crypto::hmac(&secret_key, PUSH_KEY_PURPOSE)
        .await
        .map_err(failed)?;
    let push_key = crypto::hmac_key(&push_key, "SHA-256")
        .await
        .map_err(failed)?;
    let (signing, public) = crypto::new_signing_key().await.map_err(failed)?;
    let device = Device {
        id: device_id,
        signer: Signer::Secret(&push_key),
    };
    match api::give_key(device, &public).await {
        Ok(()) => Ok(signing),
        Err(Failure::Api(ErrorCode::InvalidCredentials)) => Err(Key::PhoneEnrolmentGone),
        Err(_) => Err(Key::PhoneUnreachable),
    }
}

/// The add screen.
#[component]
pub fn AddPage() -> impl IntoView {
    let phone = use_phone();
    let phase = RwSignal::new(Phase::Typing);
    let problem = RwSignal::new(None::<Key>);
    let typed = RwSignal::new(String::new());

    let start_adding = move || {
        if phase.get_untracked() == Phase::Adding {
            return;
        }
        problem.set(None);
        phase.set(Phase::Adding);
        let text = typed.get_untracked();
        let lang = phone.lang.get_untracked();
        spawn_local(async move {
            match add(&text, lang).await {
                Ok(code) => {
                    phase.try_set(Phase::Added(code));
                }
                Err(key) => {
                    problem.try_set(Some(key));
                    phase.try_set(Phase::Typing);
                }
            }
        });
    };
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        start_adding();
    };
    let scanned = move |text: String| {
        typed.set(text);
        start_adding();
    };

    let form = move || {
        view! {
            <Scanner on_found=scanned />
            <form on:submit=submit novalidate>
                <label for="typed">{phone.t(Key::PhoneTypedLabel)}</label>
                <textarea
                    id="typed"
                    name="typed"
                    rows="3"
                    autocomplete="off"
                    autocapitalize="none"
                    spellcheck="false"
                    aria-invalid=move || problem.get().is_some().to_string()
                    aria-describedby="problem"
                    prop:value=move || typed.get()
                    on:input=move |ev| typed.set(event_target_value(&ev))
                ></textarea>
                <p id="problem" class="alert" role="alert">
                    {move || problem.get().map(|key| key.text(phone.lang.get()))}
                </p>
                <div class="actions">
                    <button
                        type="submit"
                        id="add"
                        class="primary"
                        aria-busy=move || (phase.get() == Phase::Adding).to_string()
                    >
                        {move || {
                            if phase.get() == Phase::Adding {
                                Key::PhoneAdding.text(phone.lang.get())
                            } else {
                                Key::PhoneAddButton.text(phone.lang.get())
                            }
                        }}
                    </button>
                    <button
                        type="button"
                        id="cancel"
                        on:click=move |_| phone.screen.set(Screen::Accounts)
                    >
                        {phone.t(Key::PhoneCancel)}
                    </button>
                </div>
            </form>
        }
    };

    // Only the step to "added" changes the screen: typing and adding share
    // the form, which keeps its focus.
    let added = Memo::new(move |_| match phase.get() {
        Phase::Added(code) => Some(code),
        Phase::Typing | Phase::Adding => None,
    });
    view! {
        <section>
            <h2>{phone.t(Key::PhoneAddTitle)}</h2>
            {move || match added.get() {
                Some(code) => view! { <Added code /> }.into_any(),
                None => form().into_any(),
            }}
        </section>
    }
}

/// Added: the first code to type at "Gereed" (none for a typed key), and
/// the way back.
#[component]
fn Added(code: Option<String>) -> impl IntoView {
    let phone = use_phone();
    let message = if code.is_some() {
        Key::PhoneAdded
    } else {
        Key::PhoneAddedCodesOnly
    };
    view! {
        <p role="status">{phone.t(message)}</p>
        {code.map(|code| view! { <p class="code first-code">{code}</p> })}
        <BackToAccounts />
    }
}
