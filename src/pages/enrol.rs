//! The QR screen: scan with the authenticator app, or type the key; then
//! the first code and "Gereed". Until then the enrolment is pending, and a
//! reload shows the same QR code.

use aanmelden_api::display::group_secret;
use aanmelden_api::{ActivatedDevice, Enrolment, ErrorCode, PHONE_APP_FOLDER};
use leptos::ev::SubmitEvent;
use leptos::html::H2;
use leptos::prelude::*;

use crate::api::{self, Failure};
use crate::components::action::Action;
use crate::components::alert::Alert;
use crate::components::code_input::CodeInput;
use crate::components::submit_button::SubmitButton;
use crate::contexts::session_context::use_session;
use crate::dom::focus_on_mount;
use crate::i18n::Key;

/// The QR code and its fallbacks for a pending enrolment.
#[component]
pub fn EnrolPanel(
    /// The pending enrolment, as the server returns it.
    enrolment: Enrolment,
    /// Whether "Gereed" needs the first code.
    first_code_required: bool,
    /// Called with the device once it is active (and the first recovery
    /// codes, when this made them), or `None` when the enrolment was
    /// cancelled.
    on_finished: Callback<Option<ActivatedDevice>>,
) -> impl IntoView {
    let session = use_session();
    let code = RwSignal::new(String::new());
    let action = Action::new();
    let cancelling = action.beside();
    // The heading, not the code field: focusing the field would scroll the
    // QR code out of sight on a small screen.
    let heading = NodeRef::<H2>::new();
    focus_on_mount(heading);

    let id = enrolment.device_id;
    let secret = enrolment.secret.clone();
    let qr = enrolment.qr_svg.clone();

    let done = move |ev: SubmitEvent| {
        ev.prevent_default();
        let typed = Some(code.get_untracked()).filter(|c| !c.is_empty());
        if typed.is_none() && first_code_required {
            action.fail(Failure::Api {
                code: ErrorCode::Validation,
                retry_after_s: None,
                field: Some("code".into()),
            });
            return;
        }
        action.run(
            api::devices::activate(id, typed),
            move |activated| on_finished.run(Some(activated)),
            move |_| code.set(String::new()),
        );
    };

    let cancel = move |_| {
        cancelling.run(
            api::devices::remove(id),
            move |()| on_finished.run(None),
            |_| {},
        );
    };

    view! {
        <form class="enrol" on:submit=done novalidate>
            <h2 tabindex="-1" node_ref=heading>{session.t(Key::ScanHeading)} " — " {enrolment.name.clone()}</h2>
            <ol class="instructions">
                <li>{session.t(Key::ScanSteps1)}</li>
                <li>{session.t(Key::ScanSteps2)}</li>
                <li>{session.t(Key::ScanSteps3)}</li>
                <li>{session.t(Key::ScanSteps4)}</li>
            </ol>
            <div id="qr" class="qr" role="img" aria-label=session.t(Key::QrLabel) inner_html=qr></div>
            <KeyFallback secret=secret uri=enrolment.otpauth_uri.clone() />
            <PhoneAppOffer />
            <label for="first-code">{session.t(Key::FirstCodeLabel)}</label>
            <CodeInput id="first-code" value=code error=action.error />
            <Alert error=action.error />
            <div class="actions">
                <SubmitButton id="enrol-done" label=Key::Done busy=action.busy />
                <button
                    type="button"
                    class="secondary"
                    id="enrol-cancel"
                    disabled=move || cancelling.busy.get()
                    aria-busy=move || cancelling.busy.get().to_string()
                    on:click=cancel
                >
                    {session.t(Key::Cancel)}
                </button>
            </div>
        </form>
    }
}

/// "Gebruik de telefoon-app van de portal": where it is (on this portal's
/// address, as the browser reached it), and that it scans this QR code.
#[component]
fn PhoneAppOffer() -> impl IntoView {
    let session = use_session();
    let origin = window().location().origin().unwrap_or_default();
    let address = format!("{origin}/{PHONE_APP_FOLDER}/");
    view! {
        <p id="phone-app" class="phone-app">
            <strong>{session.t(Key::UsePhoneApp)}</strong>
            " "
            {move || Key::UsePhoneAppHow.fill(session.lang.get(), "address", &address)}
        </p>
    }
}

/// For people who cannot scan: the key to type, with a copy button, and
/// the otpauth URI behind a "toon" toggle.
#[component]
fn KeyFallback(
    /// The base32 secret.
    secret: String,
    /// The otpauth URI of the QR code.
    uri: String,
) -> impl IntoView {
    let session = use_session();
    let uri_shown = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let grouped = group_secret(&secret);
    let copy = move |_| {
        let _ = window().navigator().clipboard().write_text(&secret);
        copied.set(true);
    };
    view! {
            <p>{session.t(Key::CannotScan)}</p>
            <p class="secret-row">
                <code id="secret" class="secret">{grouped}</code>
                <button type="button" class="secondary" id="copy-secret" on:click=copy>
                    {move || {
                        if copied.get() { Key::Copied } else { Key::Copy }.text(session.lang.get())
                    }}
                </button>
            </p>
            <p>
                {session.t(Key::UriLabel)} " "
                <button
                    type="button"
                    class="link"
                    id="toggle-uri"
                    aria-expanded=move || uri_shown.get().to_string()
                    on:click=move |_| uri_shown.update(|s| *s = !*s)
                >
                    {move || {
                        if uri_shown.get() { Key::HideUri } else { Key::ShowUri }
                            .text(session.lang.get())
                    }}
                </button>
            </p>
            <Show when=move || uri_shown.get()>
                <code id="otpauth-uri" class="uri">{uri.clone()}</code>
            </Show>
    }
}
