//! "Je bent nu succesvol ingelogd op de {organisatie} omgeving.": the
//! applications, and the workspace client for the visitor's system.

use aanmelden_api::platform::Os;
use aanmelden_i18n::Key;
use axum::http::header;
use maud::{Markup, html};

use super::{DEVICES_PATH, Frame};
use crate::domain::sign_in::Session;

/// The signed-in page, with the applications `session`'s user may open.
pub fn page(frame: &Frame<'_>, session: &Session) -> Markup {
    let branding = frame.app.config.branding();
    let applications = frame.app.config.applications_for(&session.groups);
    let user_agent = frame
        .headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let os = Os::detect(user_agent, 0);
    let download = os.and_then(|os| os.download(&branding.client_downloads).map(|url| (os, url)));
    let others: Vec<(Os, &str)> = Os::ALL
        .into_iter()
        .filter(|other| Some(*other) != os)
        .filter_map(|other| {
            other
                .download(&branding.client_downloads)
                .map(|url| (other, url))
        })
        .collect();
    html! {
        section class="step signed-in" {
            p id="signed-in-message" class="success" role="status" {
                (Key::SignedInMessage.fill(frame.lang, "organisation", &branding.organisation))
            }
            @if !applications.is_empty() {
                h2 { (frame.t(Key::ApplicationsHeading)) }
                ul id="applications" class="applications" {
                    @for application in &applications {
                        li { a href=(application.url) { (application.name) } }
                    }
                }
            }
            @if download.is_some() || !others.is_empty() {
                div class="client-hint" {
                    p { (frame.t(Key::ClientHint)) }
                    @if let Some((os, url)) = download {
                        a id="client-download" class="button primary" href=(url) {
                            (Key::ClientDownload.fill(frame.lang, "os", os.name()))
                        }
                    }
                    @if !others.is_empty() {
                        p class="other-downloads" {
                            (frame.t(Key::ClientOther)) " "
                            @for (other, url) in &others {
                                a href=(url) { (other.name()) } " "
                            }
                        }
                    }
                }
            }
            a class="button secondary" id="to-devices" href=(DEVICES_PATH) { (frame.t(Key::MyDevices)) }
        }
    }
}
