//! The one-time password typed by hand, on its own step.

use aanmelden_i18n::Key;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::{FORMS, Flash, FormSession, Frame, back_to, error, stepped_to};
use crate::AppState;
use crate::http::ClientAddr;

/// Where this page is.
pub const PATH: &str = "/?stap=code";

/// The code step.
pub fn page(frame: &Frame<'_>, flash: Option<&Flash>) -> Markup {
    let failed = flash.and_then(|f| f.error_text(frame.lang));
    html! {
        form class="step" method="post" action={ (FORMS) "/otp" } novalidate {
            (frame.form_token())
            h1 { (frame.t(Key::OtpHeading)) }
            p { (frame.t(Key::OtpIntro)) }
            label for="otp" { (frame.t(Key::OtpLabel)) }
            input id="otp" name="code" type="text" inputmode="numeric" pattern="[0-9]*"
                maxlength="6" autocomplete="one-time-code" autofocus[failed.is_none()]
                aria-invalid=[failed.is_some().then_some("true")]
                aria-describedby=[failed.is_some().then_some("error")];
            (error(failed.as_deref()))
            button type="submit" class="primary" id="otp-submit" { (frame.t(Key::Submit)) }
        }
        (super::recovery::link(frame))
    }
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /flow/otp`.
pub async fn submit(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    Form(form): Form<CodeForm>,
) -> Response {
    match app.check_code(&session, &client, &form.code).await {
        Ok(stepped) => stepped_to(&app, &stepped, "/"),
        Err(failure) => back_to(&app, PATH, &Flash::error(&failure, "")),
    }
}
