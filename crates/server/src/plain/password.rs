//! "Meld u aan": the password, and the one-time password behind "Klik om
//! eenmalig wachtwoord handmatig in te voeren" (a disclosure that needs no
//! script).

use aanmelden_api::ErrorCode;
use aanmelden_i18n::Key;
use axum::Form;
use axum::extract::State;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::{FORMS, Flash, FormSession, Frame, Notice, back_to, error, stepped_to};
use crate::AppState;
use crate::domain::normalise_username;
use crate::domain::secrets::SecretString;
use crate::http::ClientAddr;

/// The password step for `username`.
pub fn page(frame: &Frame<'_>, username: &str, flash: Option<&Flash>) -> Markup {
    let failed = flash.and_then(|f| f.error_text(frame.lang));
    let code_failed = flash.is_some_and(|f| f.code() == Some(ErrorCode::InvalidOtp));
    html! {
        form class="step" method="post" action={ (FORMS) "/password" } novalidate {
            (frame.form_token())
            h1 { (frame.t(Key::PleaseLogOn)) }
            p class="label" { (frame.t(Key::UsernameLabel)) }
            p class="readonly-field" {
                span id="username-shown" { (username) }
                a class="link" id="change-user" href="/?stap=gebruikersnaam" { (frame.t(Key::ChangeUser)) }
            }
            input type="hidden" name="username" autocomplete="username" value=(username);
            label for="password" { (frame.t(Key::PasswordLabel)) }
            input id="password" name="password" type="password" autocomplete="current-password"
                autofocus[failed.is_none()]
                aria-invalid=[(failed.is_some() && !code_failed).then_some("true")]
                aria-describedby=[(failed.is_some() && !code_failed).then_some("error")];
            details class="otp-field" open[code_failed] {
                summary id="show-otp" class="link" { (frame.t(Key::ShowOtp)) }
                label for="otp" { (frame.t(Key::OtpLabel)) }
                input id="otp" name="otp" type="text" inputmode="numeric" pattern="[0-9]*"
                    maxlength="6" autocomplete="one-time-code"
                    aria-describedby=[code_failed.then_some("error")]
                    aria-invalid=[code_failed.then_some("true")];
            }
            (error(failed.as_deref()))
            button type="submit" class="primary" id="password-submit" { (frame.t(Key::Submit)) }
        }
    }
}

#[derive(Deserialize)]
pub struct PasswordForm {
    /// The name the page showed.
    username: Option<String>,
    #[serde(default)]
    password: String,
    #[serde(default)]
    otp: String,
}

/// `POST /flow/password`. The password is for the name the page showed: when
/// another window has identified as someone else since, it goes to nobody,
/// and the page shows the session's name with a word of why.
pub async fn submit(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    FormSession(session): FormSession,
    Form(form): Form<PasswordForm>,
) -> Response {
    if form
        .username
        .is_some_and(|shown| normalise_username(&shown) != session.username)
    {
        return back_to(&app, "/", &Flash::notice(Notice::UserChanged));
    }
    let password = SecretString::new(form.password);
    match app
        .check_password(&session, &client, &password, Some(&form.otp))
        .await
    {
        Ok(stepped) => stepped_to(&app, &stepped, "/"),
        // What was typed stays out of the message: it is a password.
        Err(failure) => back_to(&app, "/", &Flash::error(&failure, "")),
    }
}
