//! "Mijn geregistreerde apparaten": the dropdown of devices, "+ Apparaat
//! toevoegen", and "Testen" / "Verwijderen" for the selected one; once
//! signed in, "Naar de startpagina". A pending enrolment shows its QR
//! screen instead.

use aanmelden_api::{Device, DeviceList, Step};
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
use crate::pages::enrol::EnrolPanel;
use crate::takeover::Typed;

/// The devices page. Until its list has come, the server's page it takes
/// over stays (`Session::preparing`).
#[component]
pub fn DevicesPage() -> impl IntoView {
    let session = use_session();
    let list = RwSignal::new(None::<DeviceList>);
    let added = RwSignal::new(None::<String>);
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
    let finished = Callback::new(move |name: Option<String>| {
        added.set(name);
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
            <Alert error=loading.error />
            {move || match list.get() {
                None => view! { <p class="loading"><span class="spinner"></span></p> }.into_any(),
                Some(DeviceList { pending: Some(enrolment), first_code_required, .. }) => {
                    view! {
                        <EnrolPanel
                            enrolment=enrolment
                            first_code_required=first_code_required
                            on_finished=finished
                        />
                    }
                        .into_any()
                }
                Some(devices) => {
                    view! { <DeviceManager devices=devices on_change=changed /> }.into_any()
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
) -> impl IntoView {
    let session = use_session();
    let selected = RwSignal::new(devices.devices.first().map(|d| d.id));
    let limit = devices.limit;
    let at_limit = devices.devices.len() >= usize::try_from(limit).unwrap_or(usize::MAX);
    let first_registration = devices.devices.is_empty();
    // A password alone registers one first device; more needs the second factor.
    let registration_only = move || session.step.get() == Some(Step::RegisterDevice);
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
        <Show when=move || first_registration>
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
            <Show when=move || first_registration || !registration_only()>
                <AddDevice can_add=can_add first_registration=first_registration on_change=on_change />
            </Show>
        </div>
        <p class="limit">
            {move || {
                let key = if at_limit { Key::DeviceLimitReached } else { Key::DeviceLimitInfo };
                key.fill(session.lang.get(), "limit", &limit.to_string())
            }}
        </p>
        <Show when=move || registration_only() && !first_registration>
            <SignInNow />
        </Show>
        <Show when=move || selected.with(Option::is_some)>
            <TestDevice selected=selected />
            <Show when=move || !registration_only()>
                <RemoveDevice selected=selected name=selected_name on_change=on_change />
            </Show>
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
    /// Called once the enrolment has started.
    on_change: Callback<()>,
) -> impl IntoView {
    let session = use_session();
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
        <Show when=move || open.get()>
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
