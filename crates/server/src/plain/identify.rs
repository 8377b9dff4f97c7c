//! "Gebruikersnaam:" → "Aanmelden", as a plain form.

use aanmelden_i18n::Key;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::{FORMS, Flash, Frame, back_to, error, notice, stepped_to};
use crate::AppState;
use crate::http::session_token;

/// The first screen, with `typed` in the field.
pub fn page(frame: &Frame<'_>, typed: &str, failed: Option<&str>, note: Option<&str>) -> Markup {
    html! {
        form class="step" method="post" action={ (FORMS) "/identify" } novalidate {
            (frame.form_token())
            (notice(note))
            label for="username" { (frame.t(Key::UsernameLabel)) }
            input id="username" name="username" type="text" inputmode="email"
                // A shared terminal keeps no list of the names typed on it.
                autocomplete=(if frame.kiosk.is_some() { "off" } else { "username" })
                autocapitalize="none" spellcheck="false"
                placeholder=(frame.t(Key::UsernamePlaceholder)) value=(typed) autofocus[failed.is_none()]
                aria-invalid=[failed.is_some().then_some("true")]
                aria-describedby=[failed.is_some().then_some("error")];
            (error(failed))
            button type="submit" class="primary" id="identify-submit" { (frame.t(Key::LogOn)) }
        }
    }
}

#[derive(Deserialize)]
pub struct IdentifyForm {
    #[serde(default)]
    username: String,
}

/// `POST /flow/identify`.
pub async fn submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<IdentifyForm>,
) -> Response {
    let old = session_token(&headers, &app.config);
    match app.identify(old.as_ref(), &form.username).await {
        Ok(stepped) => stepped_to(&app, &stepped, "/"),
        Err(failure) => back_to(&app, "/", &Flash::error(&failure, form.username.trim())),
    }
}
