//! Page objects: one per screen of the sign-in flow, each finding its parts
//! by the ids the portal keeps stable, acting as a user would, and reading
//! back what the user sees.

use fantoccini::Locator;

use crate::helpers::BrowserTest;

/// The NL | EN toggle that every screen has.
pub struct Language<'a>(pub &'a BrowserTest);

impl Language<'_> {
    /// "NL": Dutch.
    pub async fn dutch(&self) {
        self.0.click("#lang-nl").await;
    }

    /// "EN": English.
    pub async fn english(&self) {
        self.0.click("#lang-en").await;
    }
}

/// The error shown on any screen, announced to screen readers.
pub async fn error(test: &BrowserTest) -> String {
    assert_eq!(
        test.attribute("#error", "role").await.as_deref(),
        Some("alert"),
        "errors must be announced"
    );
    test.text("#error").await
}

/// 1.1: "Gebruikersnaam:" and "Aanmelden".
pub struct Identify<'a>(&'a BrowserTest);

impl<'a> Identify<'a> {
    /// The screen, once it shows.
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("#username").await;
        Self(test)
    }

    /// Type the user name and press "Aanmelden".
    pub async fn identify(&self, username: &str) {
        self.0.type_into("#username", username).await;
        self.0.click("#identify-submit").await;
    }
}

/// 1.2: "Meld u aan", the password and, behind a link, a one-time password.
pub struct Password<'a>(&'a BrowserTest);

impl<'a> Password<'a> {
    /// The screen, once it shows.
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("#password").await;
        Self(test)
    }

    /// The user name shown, not editable.
    pub async fn username(&self) -> String {
        self.0.text("#username-shown").await
    }

    /// Back to identify, to change the user name.
    pub async fn change_user(&self) {
        self.0.click("#change-user").await;
    }

    /// "Klik om eenmalig wachtwoord handmatig in te voeren": shows the field.
    pub async fn reveal_otp(&self) {
        self.0.click("#show-otp").await;
        self.0.wait_for("#otp").await;
    }

    /// Type the password and press "Verzenden".
    pub async fn submit(&self, password: &str) {
        self.0.type_into("#password", password).await;
        self.0.click("#password-submit").await;
    }

    /// Type the password and, in the revealed field, a one-time password;
    /// then "Verzenden".
    pub async fn submit_with_otp(&self, password: &str, code: &str) {
        self.0.type_into("#password", password).await;
        self.reveal_otp().await;
        self.0.type_into("#otp", code).await;
        self.0.click("#password-submit").await;
    }
}

/// The code step: a device holder who typed no code on the password screen.
pub struct Otp<'a>(&'a BrowserTest);

impl<'a> Otp<'a> {
    /// The screen, once it shows.
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("#otp-submit").await;
        Self(test)
    }

    /// Type the code from the app and send it.
    pub async fn submit(&self, code: &str) {
        self.0.type_into("#otp", code).await;
        self.0.click("#otp-submit").await;
    }
}

/// 1.5: confirm on the phone, with the number to type there.
pub struct Push<'a>(&'a BrowserTest);

impl<'a> Push<'a> {
    /// The screen, once the number shows.
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("#push-number").await;
        Self(test)
    }

    /// The number to type in the app.
    pub async fn number(&self) -> u8 {
        let text = self.0.text("#push-number").await;
        text.trim().parse().expect("a two-digit number")
    }

    /// What the screen says once there is no more waiting.
    pub async fn outcome(&self) -> String {
        self.0.text("#push-outcome").await
    }

    /// The link to type the code by hand: the code step follows.
    pub async fn manually(&self) -> Otp<'a> {
        self.0.click("#show-otp").await;
        Otp::shown(self.0).await
    }
}

/// 1.3: "Mijn geregistreerde apparaten".
pub struct Devices<'a>(&'a BrowserTest);

impl<'a> Devices<'a> {
    /// The screen, once it shows: where the app runs, the app's.
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("select#device-select").await;
        test.assert_the_devices_build_shows().await;
        Self(test)
    }

    /// The heading.
    pub async fn heading(&self) -> String {
        self.0.text("h1").await
    }

    /// The texts of the dropdown's options, in order ("Geen geregistreerde
    /// apparaten" alone when there are none).
    pub async fn options(&self) -> Vec<String> {
        let options = self
            .0
            .execute(
                "return Array.from(document.querySelectorAll('#device-select option'), \
                 o => o.textContent.trim())",
            )
            .await;
        serde_json::from_value(options).expect("option texts")
    }

    /// "+ Apparaat toevoegen", the name, "OK": the QR code screen follows.
    pub async fn add_device(&self, name: &str) -> Qr<'a> {
        self.try_add_device(name).await;
        Qr::shown(self.0).await
    }

    /// "+ Apparaat toevoegen" and the name, "OK", where an error is expected.
    /// Before the first device the name field is open already.
    pub async fn try_add_device(&self, name: &str) {
        let open = match self.0.client.find(Locator::Css("#device-name")).await {
            Ok(field) => field.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        };
        if !open {
            self.0.click("#add-device").await;
        }
        self.0.type_into("#device-name", name).await;
        self.0.click("#device-name-ok").await;
    }

    /// Pick the device named `name` in the dropdown.
    pub async fn select(&self, name: &str) {
        self.0
            .wait_for("select#device-select")
            .await
            .select_by_label(name)
            .await
            .expect("select the device");
    }

    /// "Testen" with `code`: the answer shown.
    pub async fn test(&self, code: &str) -> String {
        self.0.type_into("#test-code", code).await;
        self.0.click("#test-device").await;
        self.0.text("#test-result").await
    }

    /// "Verwijderen", then confirm or cancel.
    pub async fn remove(&self, confirm: bool) {
        self.0.click("#remove-device").await;
        let answer = if confirm {
            "#confirm-remove"
        } else {
            "#cancel-remove"
        };
        self.0.click(answer).await;
    }
}

/// 1.4: the QR code, the secret for typing in, "Gereed" and "Annuleren".
pub struct Qr<'a>(&'a BrowserTest);

impl<'a> Qr<'a> {
    /// The screen, once the QR code is drawn: where the app runs, the app's.
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("#qr svg").await;
        test.assert_the_devices_build_shows().await;
        Self(test)
    }

    /// The secret as shown, in groups of four.
    pub async fn secret_shown(&self) -> String {
        self.0.text("#secret").await
    }

    /// The secret, without the spaces between the groups.
    pub async fn secret(&self) -> String {
        self.secret_shown().await.split_whitespace().collect()
    }

    /// Press the copy button.
    pub async fn copy_secret(&self) {
        self.0.click("#copy-secret").await;
    }

    /// Show the otpauth URI and read it.
    pub async fn otpauth_uri(&self) -> String {
        self.0.click("#toggle-uri").await;
        self.0.wait_for_text("#otpauth-uri", "otpauth://").await;
        self.0.text("#otpauth-uri").await
    }

    /// The SVG markup of the QR code.
    pub async fn svg(&self) -> String {
        self.0
            .wait_for("#qr svg")
            .await
            .html(false)
            .await
            .expect("svg markup")
    }

    /// Type the first code from the app and press "Gereed".
    pub async fn done(&self, code: &str) {
        self.0.type_into("#first-code", code).await;
        self.0.click("#enrol-done").await;
    }

    /// The first device's code and "Gereed": the recovery codes show, once;
    /// "Ik heb de codes bewaard", "Doorgaan", and the devices screen
    /// returns. The codes, as shown.
    pub async fn done_first(&self, code: &str) -> Vec<String> {
        self.done(code).await;
        let shown = RecoveryCodes::shown(self.0).await;
        let codes = shown.codes().await;
        shown.keep().await;
        codes
    }

    /// "Gereed" without a code (when the server does not ask for one).
    pub async fn done_without_code(&self) {
        self.0.click("#enrol-done").await;
    }

    /// "Annuleren": the pending enrolment is dropped.
    pub async fn cancel(&self) {
        self.0.click("#enrol-cancel").await;
    }
}

/// A new set of recovery codes, shown once.
pub struct RecoveryCodes<'a>(&'a BrowserTest);

impl<'a> RecoveryCodes<'a> {
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("#recovery-codes code").await;
        Self(test)
    }

    /// The codes, in order.
    pub async fn codes(&self) -> Vec<String> {
        let codes = self
            .0
            .execute(
                "return Array.from(document.querySelectorAll('#recovery-codes code'),                  c => c.textContent.trim())",
            )
            .await;
        serde_json::from_value(codes).expect("codes")
    }

    /// "Ik heb de codes bewaard", "Doorgaan": the devices screen returns.
    pub async fn keep(&self) {
        self.0.click("#codes-saved").await;
        self.0.click("#codes-continue").await;
        Devices::shown(self.0).await;
    }
}

/// "Telefoon kwijt? Gebruik een herstelcode".
pub struct Recovery<'a>(&'a BrowserTest);

impl<'a> Recovery<'a> {
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("#recovery-code").await;
        Self(test)
    }

    /// Type `code` and send it.
    pub async fn submit(&self, code: &str) {
        self.0.type_into("#recovery-code", code).await;
        self.0.click("#recovery-submit").await;
    }
}

/// 1.6: signed in, the applications and the client download.
pub struct SignedIn<'a>(&'a BrowserTest);

impl<'a> SignedIn<'a> {
    /// The screen, once it shows.
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("#signed-in-message").await;
        Self(test)
    }

    /// "Je bent nu succesvol ingelogd op de … omgeving."
    pub async fn message(&self) -> String {
        self.0.text("#signed-in-message").await
    }

    /// The application links: text and `href`, in order.
    pub async fn applications(&self) -> Vec<(String, String)> {
        self.0.wait_for("#applications").await;
        let links = self
            .0
            .execute(
                "return Array.from(document.querySelectorAll('#applications a'), \
                 a => [a.textContent.trim(), a.getAttribute('href')])",
            )
            .await;
        serde_json::from_value(links).expect("application links")
    }

    /// Where the workspace client download points, for this browser's
    /// operating system; `None` when no link is shown.
    pub async fn client_download(&self) -> Option<String> {
        self.0.wait_for("#client-download").await;
        let href = self
            .0
            .execute(
                "const e = document.querySelector('#client-download'); \
                 const a = e.matches('a') ? e : e.querySelector('a'); \
                 return a ? a.getAttribute('href') : null",
            )
            .await;
        serde_json::from_value(href).expect("download link")
    }
}

/// The user menu, top right once signed in.
pub struct UserMenu<'a>(&'a BrowserTest);

impl<'a> UserMenu<'a> {
    /// The menu, once it shows.
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("#user-menu").await;
        Self(test)
    }

    /// The user name it shows.
    pub async fn username(&self) -> String {
        self.0.text("#user-menu").await
    }

    /// Open the menu and press "Afmelden": the logged-off screen follows.
    pub async fn log_off(&self) -> LoggedOff<'a> {
        self.0.click("#user-menu").await;
        self.0.click("#logout").await;
        LoggedOff::shown(self.0).await
    }
}

/// 1.7: "Je bent afgemeld."
pub struct LoggedOff<'a>(&'a BrowserTest);

impl<'a> LoggedOff<'a> {
    /// The screen, once it shows.
    pub async fn shown(test: &'a BrowserTest) -> Self {
        test.wait_for("#logged-off-message").await;
        Self(test)
    }

    /// The message.
    pub async fn message(&self) -> String {
        self.0.text("#logged-off-message").await
    }

    /// Sign in again: the identify screen follows.
    pub async fn sign_in_again(&self) -> Identify<'a> {
        self.0.click("#sign-in-again").await;
        Identify::shown(self.0).await
    }
}
