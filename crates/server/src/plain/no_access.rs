//! "Je hebt geen toegang tot deze applicatie.": where the gate sends a
//! signed-in user that an application is not open to (its groups).

use aanmelden_api::display::application_host;
use aanmelden_i18n::Key;
use maud::{Markup, html};

use super::Frame;

/// The no-access page; `app` is the address that was asked for, of which
/// the host is shown.
pub fn page(frame: &Frame<'_>, app: Option<&str>) -> Markup {
    let host = app.and_then(application_host);
    html! {
        section class="step no-access" {
            p id="no-access-message" class="error" role="alert" { (frame.t(Key::NoAccessMessage)) }
            @if let Some(host) = host {
                p id="no-access-application" class="application-host" { (host) }
            }
            p class="hint" { (frame.t(Key::NoAccessHint)) }
            a class="button primary" id="to-applications" href="/" { (frame.t(Key::ToApplications)) }
        }
    }
}
