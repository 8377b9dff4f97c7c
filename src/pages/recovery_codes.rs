//! A new set of recovery codes, shown this once: "Kopiëren", "Afdrukken"
//! (the print stylesheet leaves only the codes), and "Doorgaan" once the
//! user says they saved them.

use aanmelden_api::RecoveryCodes;
use leptos::html::H2;
use leptos::prelude::*;

use crate::contexts::session_context::use_session;
use crate::dom::focus_on_mount;
use crate::i18n::Key;

/// The codes, until "Doorgaan".
#[component]
pub fn RecoveryCodesPanel(
    /// The new set.
    codes: RecoveryCodes,
    /// Called at "Doorgaan".
    on_saved: Callback<()>,
) -> impl IntoView {
    let session = use_session();
    let saved = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let heading = NodeRef::<H2>::new();
    focus_on_mount(heading);
    let text = codes.codes.join("\n");
    let copy = move |_| {
        let _ = window().navigator().clipboard().write_text(&text);
        copied.set(true);
    };
    let print = move |_| {
        let _ = window().print();
    };

    view! {
        <div class="recovery-codes">
            <h2 tabindex="-1" node_ref=heading>{session.t(Key::RecoveryCodesHeading)}</h2>
            <p>{session.t(Key::RecoveryCodesIntro)}</p>
            <ol id="recovery-codes" class="codes">
                {codes
                    .codes
                    .into_iter()
                    .map(|code| view! { <li><code>{code}</code></li> })
                    .collect_view()}
            </ol>
            <div class="actions no-print">
                <button type="button" class="secondary" id="copy-codes" on:click=copy>
                    {move || if copied.get() { Key::Copied } else { Key::Copy }.text(session.lang.get())}
                </button>
                <button type="button" class="secondary" id="print-codes" on:click=print>
                    {session.t(Key::Print)}
                </button>
            </div>
            <form
                class="no-print"
                on:submit=move |ev| {
                    ev.prevent_default();
                    if saved.get_untracked() {
                        on_saved.run(());
                    }
                }
            >
                <div class="check">
                    <input
                        type="checkbox"
                        id="codes-saved"
                        required=true
                        prop:checked=move || saved.get()
                        on:change=move |ev| saved.set(event_target_checked(&ev))
                    />
                    <label for="codes-saved">{session.t(Key::CodesSaved)}</label>
                </div>
                <button type="submit" class="primary" id="codes-continue">
                    {session.t(Key::Continue)}
                </button>
            </form>
        </div>
    }
}
