//! What every screen shares: which screen shows, who is signing in, the
//! language, the branding, and a notice carried from one screen to the next.

use aanmelden_api::{Application, Branding, Step};
use leptos::prelude::*;

use crate::devices_step;
use crate::i18n::{Key, Lang};

/// The screens of the flow. The server decides the step; the URL does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Asking the server where this browser stands.
    Loading,
    Identify,
    Password,
    /// Confirm in the app: the number to type there, and a countdown.
    Push,
    /// The one-time password typed by hand.
    Otp,
    /// "Mijn geregistreerde apparaten" and the QR screen of a pending
    /// enrolment, from the build that carries them (`devices_step`).
    Devices,
    /// "Telefoon kwijt?": a recovery code instead of the second factor,
    /// from the same build (the new phone is registered next).
    Recovery,
    SignedIn,
    LoggedOff,
    /// Signed in, but the application the gate was asked about is open to
    /// groups the user is not in.
    NoAccess,
}

impl Screen {
    /// The screen for a step the server answered.
    pub fn of_step(step: Step) -> Self {
        match step {
            Step::Password => Self::Password,
            Step::RegisterDevice => Self::Devices,
            Step::Push => Self::Push,
            Step::Done => Self::SignedIn,
        }
    }

    /// The path the address bar shows, so a reload comes back to it.
    pub fn path(self) -> &'static str {
        match self {
            Self::Devices => "/apparaten",
            Self::Recovery => "/herstelcode",
            Self::LoggedOff => "/afgemeld",
            Self::NoAccess => "/geen-toegang",
            _ => "/",
        }
    }

    /// Whether the screen is in the build with the devices screens only.
    pub fn needs_devices_build(self) -> bool {
        matches!(self, Self::Devices | Self::Recovery)
    }

    /// Whether the user menu ("Afmelden") belongs on this screen.
    pub fn is_signed_in(self) -> bool {
        matches!(self, Self::Devices | Self::SignedIn | Self::NoAccess)
    }
}

/// The shared state, cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct Session {
    pub screen: RwSignal<Screen>,
    /// The user name as typed (trimmed); kept when going back.
    pub username: RwSignal<String>,
    /// How far the server says this session has come.
    pub step: RwSignal<Option<Step>>,
    pub lang: RwSignal<Lang>,
    pub branding: RwSignal<Option<Branding>>,
    /// The applications the signed-in user may open, once the server has
    /// said (`None` until then, and again after "Afmelden").
    pub applications: RwSignal<Option<Vec<Application>>>,
    /// A message for the next screen, e.g. that the session expired.
    pub notice: RwSignal<Option<Key>>,
    /// The screen is still fetching what it shows: until it has, the
    /// server's page it takes over stays.
    pub preparing: RwSignal<bool>,
    /// The browser is on its way to the page of the devices step (the
    /// build that carries it): the screen stays as it was, its buttons busy.
    pub leaving: RwSignal<bool>,
}

impl Session {
    /// Show `screen`, with its path in the address bar. Where this build
    /// has no devices screens, the browser goes to their page instead, and
    /// the current screen stays until that page shows.
    pub fn go(self, screen: Screen) {
        if screen.needs_devices_build() && !devices_step::IN_THIS_BUILD {
            self.leaving.set(true);
            let _ = window().location().assign(screen.path());
            return;
        }
        self.preparing.set(screen == Screen::Devices);
        if let Ok(history) = window().history() {
            let current = window().location().pathname().unwrap_or_default();
            if current != screen.path() {
                let _ = history.replace_state_with_url(
                    &wasm_bindgen::JsValue::NULL,
                    "",
                    Some(screen.path()),
                );
            }
        }
        self.screen.set(screen);
    }

    /// The server answered `step`: show its screen.
    pub fn advance(self, step: Step) {
        if step != Step::Done {
            self.applications.set(None);
        }
        self.step.set(Some(step));
        self.go(Screen::of_step(step));
    }

    /// The server no longer knows this session: back to the start, saying why.
    pub fn restart(self, why: Key) {
        self.step.set(None);
        self.applications.set(None);
        self.notice.set(Some(why));
        self.go(Screen::Identify);
    }

    /// End the session on the server, then show `then`. Never fails: if the
    /// server cannot be reached, the session ends there by its time-out.
    pub fn log_off(self, busy: RwSignal<bool>, then: Screen) {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let _ = crate::api::logout().await;
            busy.set(false);
            self.step.set(None);
            self.applications.set(None);
            self.go(then);
        });
    }

    /// The text of `key` in the current language, reactively.
    pub fn t(self, key: Key) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
        move || key.text(self.lang.get())
    }

    /// The organisation's name, once the branding is loaded.
    pub fn organisation(self) -> String {
        self.branding
            .with(|b| b.as_ref().map(|b| b.organisation.clone()))
            .unwrap_or_default()
    }
}

/// Make the shared state available to every component below.
pub fn provide_session(lang: Lang) -> Session {
    let session = Session {
        screen: RwSignal::new(Screen::Loading),
        username: RwSignal::new(String::new()),
        step: RwSignal::new(None),
        lang: RwSignal::new(lang),
        branding: RwSignal::new(None),
        applications: RwSignal::new(None),
        notice: RwSignal::new(None),
        preparing: RwSignal::new(false),
        leaving: RwSignal::new(false),
    };
    provide_context(session);
    session
}

/// The shared state provided by [`provide_session`].
pub fn use_session() -> Session {
    expect_context::<Session>()
}
