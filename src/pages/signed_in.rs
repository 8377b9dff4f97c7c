//! "Je bent nu succesvol ingelogd op de {organisatie} omgeving.", the
//! applications the user may open, and the download of the workspace client app
//! for the visitor's operating system.

use leptos::prelude::*;

use crate::contexts::session_context::{Screen, use_session};
use crate::devices_step;
use crate::i18n::Key;
use aanmelden_api::platform::Os;

/// The landing page after signing in.
#[component]
pub fn SignedInPage() -> impl IntoView {
    let session = use_session();
    let navigator = window().navigator();
    let os = Os::detect(
        &navigator.user_agent().unwrap_or_default(),
        navigator.max_touch_points(),
    );
    // The applications this user may open: known from the start when the
    // page was loaded signed in, else asked for now.
    if session.applications.get_untracked().is_none() {
        leptos::task::spawn_local(async move {
            if let Ok(info) = crate::api::session().await {
                session.applications.set(Some(info.applications));
            }
        });
    }
    let applications = move || session.applications.get().unwrap_or_default();
    let downloads = move || {
        session
            .branding
            .with(|b| b.as_ref().map(|b| b.client_downloads.clone()))
            .unwrap_or_default()
    };
    let download = move || {
        let downloads = downloads();
        os.and_then(|os| os.download(&downloads).map(|url| (os, url.to_owned())))
    };
    let others = move || {
        let downloads = downloads();
        Os::ALL
            .into_iter()
            .filter(|other| Some(*other) != os)
            .filter_map(|other| {
                other
                    .download(&downloads)
                    .map(|url| (other, url.to_owned()))
            })
            .collect::<Vec<_>>()
    };

    view! {
        <section class="step signed-in">
            <p id="signed-in-message" class="success" role="status">
                {move || Key::SignedInMessage.fill(session.lang.get(), "organisation", &session.organisation())}
            </p>
            <Show when=move || !applications().is_empty()>
                <h2>{session.t(Key::ApplicationsHeading)}</h2>
                <ul id="applications" class="applications">
                    {move || {
                        applications()
                            .into_iter()
                            .map(|app| view! { <li><a href=app.url>{app.name}</a></li> })
                            .collect_view()
                    }}
                </ul>
            </Show>
            <Show when=move || download().is_some() || !others().is_empty()>
                <div class="client-hint">
                    <p>{session.t(Key::ClientHint)}</p>
                    {move || {
                        download()
                            .map(|(os, url)| {
                                view! {
                                    <a id="client-download" class="button primary" href=url>
                                        {move || Key::ClientDownload.fill(session.lang.get(), "os", os.name())}
                                    </a>
                                }
                            })
                    }}
                    <Show when=move || !others().is_empty()>
                        <p class="other-downloads">
                            {session.t(Key::ClientOther)} " "
                            {move || {
                                others()
                                    .into_iter()
                                    .map(|(os, url)| view! { <a href=url>{os.name()}</a> " " })
                                    .collect_view()
                            }}
                        </p>
                    </Show>
                </div>
            </Show>
            <a
                class="button secondary"
                id="to-devices"
                href=Screen::Devices.path()
                on:click=move |ev| devices_step::follow_link(&ev, session)
            >
                {session.t(Key::MyDevices)}
            </a>
        </section>
    }
}
