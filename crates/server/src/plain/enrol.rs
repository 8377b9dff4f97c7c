//! "Scan de QR-code": the QR code drawn by the server, the key in groups of
//! four and the link behind "toon" for people who cannot scan, the
//! portal's phone app, the first code and "Gereed", or "Annuleren".

use aanmelden_api::Enrolment;
use aanmelden_api::display::group_secret;
use aanmelden_i18n::Key;
use maud::{Markup, PreEscaped, html};

use super::{COPY_SECRET_SCRIPT, FORMS, Flash, Frame, error};

/// The QR page of a pending enrolment.
pub fn page(
    frame: &Frame<'_>,
    enrolment: &Enrolment,
    first_code_required: bool,
    flash: Option<&Flash>,
) -> Markup {
    let failed = flash.and_then(|f| f.error_text(frame.lang));
    let id = enrolment.device_id;
    html! {
        section class="step devices" {
            h1 { (frame.t(Key::DevicesHeading)) }
            form class="enrol" method="post" action={ (FORMS) "/devices/" (id) "/activate" } novalidate {
                (frame.form_token())
                h2 { (frame.t(Key::ScanHeading)) " — " (enrolment.name) }
                ol class="instructions" {
                    li { (frame.t(Key::ScanSteps1)) }
                    li { (frame.t(Key::ScanSteps2)) }
                    li { (frame.t(Key::ScanSteps3)) }
                    li { (frame.t(Key::ScanSteps4)) }
                }
                div id="qr" class="qr" role="img" aria-label=(frame.t(Key::QrLabel)) {
                    (PreEscaped(&enrolment.qr_svg))
                }
                p { (frame.t(Key::CannotScan)) }
                p class="secret-row" {
                    code id="secret" class="secret" { (group_secret(&enrolment.secret)) }
                    button type="button" class="secondary" id="copy-secret" hidden
                        data-copied=(frame.t(Key::Copied)) { (frame.t(Key::Copy)) }
                }
                details class="uri" {
                    summary id="toggle-uri" class="link" { (frame.t(Key::UriLabel)) " " (frame.t(Key::ShowUri)) }
                    code id="otpauth-uri" class="uri" { (enrolment.otpauth_uri) }
                }
                (phone_app_offer(frame))
                label for="first-code" { (frame.t(Key::FirstCodeLabel)) }
                input id="first-code" name="code" type="text" inputmode="numeric" pattern="[0-9]*"
                    maxlength="6" autocomplete="one-time-code" required[first_code_required]
                    aria-invalid=[failed.is_some().then_some("true")]
                    aria-describedby=[failed.is_some().then_some("error")];
                (error(failed.as_deref()))
                div class="actions" {
                    button type="submit" class="primary" id="enrol-done" { (frame.t(Key::Done)) }
                    button type="submit" class="secondary" id="enrol-cancel"
                        formaction={ (FORMS) "/devices/" (id) "/remove" } formnovalidate { (frame.t(Key::Cancel)) }
                }
            }
            script src=(COPY_SECRET_SCRIPT) defer {}
        }
    }
}

/// "Gebruik de telefoon-app van de portal": where it is, and that it scans
/// this QR code.
fn phone_app_offer(frame: &Frame<'_>) -> Markup {
    let address = format!(
        "{}/{}/",
        frame.app.config.public_url(),
        crate::routes::phone::PHONE_BUILD
    );
    html! {
        p id="phone-app" class="phone-app" {
            strong { (frame.t(Key::UsePhoneApp)) } " "
            (Key::UsePhoneAppHow.fill(frame.lang, "address", &address))
        }
    }
}
