//! "Mijn geregistreerde apparaten": the dropdown of devices, "+ Apparaat
//! toevoegen", and "Testen" / "Verwijderen" for the selected one; once
//! signed in, "Naar de startpagina". A pending enrolment shows its QR
//! screen instead.

use aanmelden_api::{
    ActivatedDevice, Adding, Device, DeviceList, FEW_RECOVERY_CODES, RecoveryCodes, Step,
};
use leptos::ev::SubmitEvent;
use leptos::html::{Input, Select};
use leptos::prelude::*;

use crate::api;
use crate::components::action::Action;
use crate::components::alert::Alert;
use crate::components::code_input::CodeInput;
use crate::components::submit_button::SubmitButton;
use crate::contexts::session_context::{Screen, Session, use_session};
use crate::dom::focus_on_mount;
use crate::i18n::Key;
use crate::i18n::dates::device_time;
use crate::pages::enrol::EnrolPanel;
use crate::pages::recovery::PassForm;
use crate::pages::recovery_codes::RecoveryCodesPanel;
use crate::takeover::Typed;

/// The devices page. Until its list has come, the server's page it takes
/// over stays (`Session::preparing`).
#[component]
pub fn DevicesPage() -> impl IntoView {
    let session = use_session();
    let list = RwSignal::new(None::<DeviceList>);
    let added = RwSignal::new(None::<String>);
    // A new set of recovery codes, shown until "Doorgaan".
    let codes = RwSignal::new(None::<RecoveryCodes>);
    // Signed in with a recovery code: register the new phone.
    let recovered = session.notice.get_untracked() == Some(Key::Recovered);
    if recovered {
        session.notice.set(None);
    }
    let loading = Action::new();
    let reload = move || {
        loading.run(
            api::devices::list(),
            move |devices| {
                list.set(Some(devices));
                session.preparing.set(false);
            },
            move |_| session.preparing.set(false),
        );
    };
    reload();
    let finished = Callback::new(move |activated: Option<ActivatedDevice>| {
        let (name, first_codes) = activated
            .map(|a| (Some(a.device.name), a.recovery_codes))
            .unwrap_or_default();
        added.set(name);
        codes.set(first_codes);
        reload();
        // The first device's code may have signed the session in.
        leptos::task::spawn_local(async move {
            if let Ok(info) = api::session().await {
                session.step.set(Some(info.step));
            }
        });
    });
    let changed = Callback::new(move |()| {
        added.set(None);
        reload();
    });
    let renewed = Callback::new(move |new: RecoveryCodes| {
        added.set(None);
        codes.set(Some(new));
    });
    let saved = Callback::new(move |()| {
        codes.set(None);
        reload();
    });

    view! {
        <section class="step devices">
            <h1>{session.t(Key::DevicesHeading)}</h1>
            <Show when=move || added.with(Option::is_some)>
                <p id="device-added" class="success" role="status">
                    {move || {
                        added
                            .get()
                            .map(|name| Key::DeviceAdded.fill(session.lang.get(), "device", &name))
                    }}
                </p>
            </Show>
            <Show when=move || recovered>
                <p id="recovered" class="notice" role="status">{session.t(Key::Recovered)}</p>
            </Show>
            <Alert error=loading.error />
            {move || match (codes.get(), list.get()) {
                (Some(codes), _) => {
                    view! { <RecoveryCodesPanel codes=codes on_saved=saved /> }.into_any()
                }
                (None, None) => view! { <p class="loading"><span class="spinner"></span></p> }.into_any(),
                (None, Some(DeviceList { pending: Some(enrolment), first_code_required, .. })) => {
                    view! {
                        <EnrolPanel
                            enrolment=enrolment
                            first_code_required=first_code_required
                            on_finished=finished
                        />
                    }
                        .into_any()
                }
                (None, Some(devices)) => {
                    view! { <DeviceManager devices=devices on_change=changed on_codes=renewed /> }
                        .into_any()
                }
            }}
        </section>
    }
}

/// The dropdown and what can be done with the devices.
#[component]
fn DeviceManager(
    /// The user's devices (no pending enrolment).
    devices: DeviceList,
    /// Called after a device was added or removed, to load the list again.
    on_change: Callback<()>,
    /// Called with a new set of recovery codes.
    on_codes: Callback<RecoveryCodes>,
) -> impl IntoView {
    let session = use_session();
    let codes_left = devices.recovery_codes_left;
    let selected = RwSignal::new(devices.devices.first().map(|d| d.id));
    let limit = devices.limit;
    let at_limit = devices.devices.len() >= usize::try_from(limit).unwrap_or(usize::MAX);
    let first_registration = devices.devices.is_empty();
    let pass_required = devices.adding == Adding::PassRequired;
    let confirm_required = devices.adding == Adding::ConfirmRequired;
    let timed = devices.devices.clone();
    let with_pass = devices.with_pass;
    // A password alone registers one first device (where no helpdesk pass
    // is required for it); more needs the second factor or a pass.
    let registration_only = move || session.step.get() == Some(Step::RegisterDevice) && !with_pass;
    let signed_in = move || session.step.get() == Some(Step::Done);
    let can_add = !at_limit;
    let select = NodeRef::<Select>::new();
    focus_on_mount(select);
    let list = devices.devices.clone();
    let selected_name = Signal::derive(move || {
        let id = selected.get();
        list.iter()
            .find(|d| Some(d.id) == id)
            .map(|d| d.name.clone())
            .unwrap_or_default()
    });

    view! {
        <Show when=move || first_registration && !pass_required>
            <p class="hint">{session.t(Key::FirstDeviceHint)}</p>
        </Show>
        <div class="device-row">
            <select
                id="device-select"
                aria-label=session.t(Key::DevicesHeading)
                // Nothing to choose yet, as on the server's page.
                disabled=first_registration
                node_ref=select
                on:change=move |ev| selected.set(event_target_value(&ev).parse().ok())
            >
                {if devices.devices.is_empty() {
                    view! {
                        <option value="" disabled=true selected=true>
                            {session.t(Key::NoDevices)}
                        </option>
                    }
                        .into_any()
                } else {
                    devices
                        .devices
                        .iter()
                        .map(|device| device_option(device, selected))
                        .collect_view()
                        .into_any()
                }}
            </select>
            <Show when=move || !pass_required && (first_registration || !registration_only())>
                <AddDevice
                    can_add=can_add
                    first_registration=first_registration
                    confirm_required=confirm_required
                    on_change=on_change
                />
            </Show>
        </div>
        <Show when=move || pass_required>
            <p id="pass-required" class="notice">{session.t(Key::PassRequired)}</p>
            <PassForm on_done=on_change />
        </Show>
        <p class="limit">
            {move || {
                let key = if at_limit { Key::DeviceLimitReached } else { Key::DeviceLimitInfo };
                key.fill(session.lang.get(), "limit", &limit.to_string())
            }}
        </p>
        {(!first_registration)
            .then(|| {
                view! {
                    <ul id="device-times" class="device-times">
                        {move || {
                            let lang = session.lang.get();
                            timed
                                .iter()
                                .map(|device| view! { <li>{device_time(device, lang)}</li> })
                                .collect_view()
                        }}
                    </ul>
                }
            })}
        <Show when=move || registration_only() && !first_registration>
            <SignInNow />
        </Show>
        <Show when=move || selected.with(Option::is_some)>
            <TestDevice selected=selected />
            <Show when=signed_in>
                <RemoveDevice selected=selected name=selected_name on_change=on_change />
            </Show>
        </Show>
        <Show when=move || signed_in() && !first_registration>
            <RecoverySection left=codes_left on_codes=on_codes />
        </Show>
        // Signed in (also by the first device's code): on to the
        // applications and the client download.
        <Show when=signed_in>
            <p class="to-start">
                <a
                    class="button primary"
                    id="to-start"
                    href=Screen::SignedIn.path()
                    on:click=move |ev| {
                        ev.prevent_default();
                        session.go(Screen::SignedIn);
                    }
                >
                    {session.t(Key::ToStartPage)}
                </a>
            </p>
        </Show>
    }
}

fn device_option(device: &Device, selected: RwSignal<Option<i64>>) -> impl IntoView {
    let id = device.id;
    view! {
        <option value=id.to_string() selected=move || selected.get() == Some(id)>
            {device.name.clone()}
        </option>
    }
}

/// "+ Apparaat toevoegen" → a name → "OK".
#[component]
fn AddDevice(
    /// Whether another device may be added now.
    can_add: bool,
    /// Whether this is the user's first device.
    first_registration: bool,
    /// Whether a code from the app must confirm it is the user first.
    confirm_required: bool,
    /// Called once the enrolment has started.
    on_change: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let confirmed = RwSignal::new(!confirm_required);
    // Open for the first device, as on the server's page, or when a name
    // was typed there before the app came.
    let open = RwSignal::new(first_registration || Typed::holds("device-name"));
    let name = RwSignal::new(String::new());
    let action = Action::new();
    let input = NodeRef::<Input>::new();
    focus_on_mount(input);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        action.run(
            api::devices::add(name.get_untracked().trim().to_owned()),
            move |_| on_change.run(()),
            |_| {},
        );
    };

    view! {
        <button
            type="button"
            class="secondary"
            id="add-device"
            disabled=!can_add
            aria-expanded=move || open.get().to_string()
            on:click=move |_| open.set(true)
        >
            {session.t(Key::AddDevice)}
        </button>
        <Show when=move || open.get() && !confirmed.get()>
            <ConfirmFirst on_done=Callback::new(move |()| confirmed.set(true)) />
        </Show>
        <Show when=move || open.get() && confirmed.get()>
            <form class="add-device" on:submit=submit novalidate>
                <label for="device-name">{session.t(Key::DeviceNameLabel)}</label>
                <input
                    id="device-name"
                    name="device-name"
                    type="text"
                    maxlength="32"
                    autocomplete="off"
                    placeholder=session.t(Key::DeviceNamePlaceholder)
                    node_ref=input
                    aria-invalid=move || action.error.with(Option::is_some).then_some("true")
                    aria-describedby=move || action.error.with(Option::is_some).then_some("error")
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <Alert error=action.error />
                <SubmitButton id="device-name-ok" label=Key::Ok busy=action.busy />
            </form>
        </Show>
    }
}

/// "Bevestigen": a code from the app before a device is added to an
/// account signed in a while ago.
#[component]
fn ConfirmFirst(
    /// Called once the code was right.
    on_done: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let code = RwSignal::new(String::new());
    let action = Action::new();
    let input = NodeRef::<Input>::new();
    focus_on_mount(input);

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        action.run(
            api::devices::confirm(code.get_untracked()),
            move |_| on_done.run(()),
            move |_| code.set(String::new()),
        );
    };

    view! {
        <form class="add-device" on:submit=submit novalidate>
            <p id="confirm-required" class="hint">{session.t(Key::ConfirmRequired)}</p>
            <label for="confirm-code">{session.t(Key::ConfirmLabel)}</label>
            <input
                id="confirm-code"
                name="code"
                type="text"
                maxlength="24"
                autocomplete="one-time-code"
                autocapitalize="none"
                spellcheck="false"
                node_ref=input
                aria-invalid=move || action.error.with(Option::is_some).then_some("true")
                aria-describedby=move || action.error.with(Option::is_some).then_some("error")
                prop:value=move || code.get()
                on:input=move |ev| code.set(event_target_value(&ev))
            />
            <Alert error=action.error />
            <SubmitButton id="confirm-submit" label=Key::Confirm busy=action.busy />
        </form>
    }
}

/// "Testen": is a code from the app right for the selected device?
#[component]
fn TestDevice(
    /// The selected device.
    selected: RwSignal<Option<i64>>,
) -> impl IntoView {
    let session = use_session();
    let code = RwSignal::new(String::new());
    let action = Action::new();
    let result = RwSignal::new(None::<bool>);
    Effect::new(move |_| {
        selected.track();
        result.set(None);
    });

    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        let Some(id) = selected.get_untracked() else {
            return;
        };
        result.set(None);
        action.run(
            api::devices::test(id, code.get_untracked()),
            move |answer| {
                result.set(Some(answer.valid));
                code.set(String::new());
            },
            |_| {},
        );
    };

    view! {
        <form class="test-device" on:submit=submit novalidate>
            <label for="test-code">{session.t(Key::TestCodeLabel)}</label>
            <div class="inline">
                <CodeInput id="test-code" value=code error=action.error />
                <SubmitButton id="test-device" label=Key::Test busy=action.busy />
            </div>
            <Show when=move || result.with(Option::is_some)>
                <p
                    id="test-result"
                    role="status"
                    class=move || if result.get() == Some(true) { "success" } else { "error" }
                >
                    {move || {
                        let key = if result.get() == Some(true) { Key::TestOk } else { Key::TestWrong };
                        key.text(session.lang.get())
                    }}
                </p>
            </Show>
            <Alert error=action.error />
        </form>
    }
}

/// "Verwijderen", after a confirmation.
#[component]
fn RemoveDevice(
    /// The selected device.
    selected: RwSignal<Option<i64>>,
    /// Its name, for the confirmation.
    name: Signal<String>,
    /// Called once it is removed.
    on_change: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let confirming = RwSignal::new(false);
    let action = Action::new();
    let remove = move |_| {
        let Some(id) = selected.get_untracked() else {
            return;
        };
        action.run(
            api::devices::remove(id),
            move |()| on_change.run(()),
            |_| {},
        );
    };

    view! {
        <div class="remove-device">
            <Show
                when=move || confirming.get()
                fallback=move || {
                    view! {
                        <button
                            type="button"
                            class="danger"
                            id="remove-device"
                            on:click=move |_| confirming.set(true)
                        >
                            {session.t(Key::Remove)}
                        </button>
                    }
                }
            >
                <p role="alert">
                    {move || Key::ConfirmRemove.fill(session.lang.get(), "device", &name.get())}
                </p>
                <button
                    type="button"
                    class="danger"
                    id="confirm-remove"
                    disabled=move || action.busy.get()
                    aria-busy=move || action.busy.get().to_string()
                    on:click=remove
                >
                    {session.t(Key::ConfirmRemoveYes)}
                </button>
                <button
                    type="button"
                    class="secondary"
                    id="cancel-remove"
                    on:click=move |_| confirming.set(false)
                >
                    {session.t(Key::Cancel)}
                </button>
            </Show>
            <Alert error=action.error />
        </div>
    }
}

/// How many recovery codes are left (a warning when few are), and
/// "Nieuwe herstelcodes maken" with a code from the app.
#[component]
fn RecoverySection(
    /// Codes left; `None` when the user was never given a set.
    left: Option<u32>,
    /// Called with the new set.
    on_codes: Callback<RecoveryCodes>,
) -> impl IntoView {
    let session = use_session();
    // As on the server's page: open when a code was typed there.
    let open = RwSignal::new(Typed::holds("renew-code"));
    let code = RwSignal::new(String::new());
    let action = Action::new();
    let few = left.is_none_or(|left| left <= FEW_RECOVERY_CODES);
    let submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        action.run(
            api::devices::renew_recovery_codes(code.get_untracked()),
            move |codes| on_codes.run(codes),
            move |_| code.set(String::new()),
        );
    };
    view! {
        <section class="recovery" aria-labelledby="recovery-heading">
            <h2 id="recovery-heading">{session.t(Key::RecoveryCodesHeading)}</h2>
            <p id="recovery-left">
                {move || match left {
                    Some(left) => Key::RecoveryCodesLeft.fill(session.lang.get(), "left", &left.to_string()),
                    None => Key::RecoveryCodesNone.text(session.lang.get()).to_owned(),
                }}
            </p>
            <Show when=move || few>
                <p id="recovery-few" class="warning">{session.t(Key::RecoveryCodesFew)}</p>
            </Show>
            <button
                type="button"
                class="secondary"
                id="renew-codes"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                {session.t(Key::RenewCodes)}
            </button>
            <Show when=move || open.get()>
                <form class="renew-codes" on:submit=submit novalidate>
                    <p class="hint">{session.t(Key::RenewCodesHint)}</p>
                    <label for="renew-code">{session.t(Key::OtpLabel)}</label>
                    <CodeInput id="renew-code" value=code error=action.error />
                    <Alert error=action.error />
                    <SubmitButton id="renew-submit" label=Key::RenewCodes busy=action.busy />
                </form>
            </Show>
        </section>
    }
}

/// After the first registration: sign in with the new device.
#[component]
fn SignInNow() -> impl IntoView {
    let session: Session = use_session();
    let busy = RwSignal::new(false);
    let again = move |_| session.log_off(busy, Screen::Identify);
    view! {
        <button
            type="button"
            class="primary"
            id="sign-in-now"
            disabled=move || busy.get()
            aria-busy=move || busy.get().to_string()
            on:click=again
        >
            {session.t(Key::SignInNow)}
        </button>
    }
}
