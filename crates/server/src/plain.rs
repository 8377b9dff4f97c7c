//! The plain pages: every screen of the flow as HTML forms the server
//! renders, which work without script, without WebAssembly, in any
//! browser. They use the same session cookie, flow, lockout and audit as
//! the JSON API, so a sign-in can start on one and finish on the other.
//! Every page also carries the single page app's loader: where it runs,
//! the app takes the screen over; where it cannot, the page works alone.
//! The devices screens carry the app's second build, which has them.
//!
//! One module per screen, named as in the app's `src/pages/`. Forms post
//! under [`FORMS`] and are answered with a redirect to the page to show
//! (Post/Redirect/Get); an error travels to that page in a short-lived
//! cookie with what was typed (never a password).

pub mod devices;
pub mod enrol;
pub mod identify;
pub mod logged_off;
pub mod no_access;
pub mod otp;
pub mod password;
pub mod push;
pub mod recovery;
pub mod signed_in;

use aanmelden_api::{ErrorCode, Kiosk};
use aanmelden_i18n::{Key, Lang, error_text};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Query, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::config::Config;
use crate::domain::secrets::Cipher;
use crate::domain::sign_in::{Level, Session};
use crate::error::ApiError;
use crate::flow::Stepped;
use crate::http::form_token::{self, BrowserKey};
use crate::http::return_cookie;
use crate::http::{
    ClientAddr, clear_session_cookie, cookie, current_session, session_token, set_session_cookie,
};

/// Where the plain forms post.
pub const FORMS: &str = "/flow";

/// An application's "log off" link (`?rd=` where to go afterwards).
pub const LEAVE_PATH: &str = "/afmelden";

/// The page of the devices ("Mijn geregistreerde apparaten").
pub const DEVICES_PATH: &str = "/apparaten";

/// The page after "Afmelden".
pub const LOGGED_OFF_PATH: &str = "/afgemeld";

/// The recovery code instead of the second factor ("Telefoon kwijt?").
pub const RECOVERY_PATH: &str = "/herstelcode";

/// Where the gate sends a signed-in user that an application is not open
/// to (`?app=` the address asked for).
pub const NO_ACCESS_PATH: &str = "/geen-toegang";

/// Where a kiosk's page goes when it has been left alone: the session ends,
/// and the first screen returns, in Dutch.
pub const RESET_PATH: &str = "/opnieuw";

/// The script of a kiosk's plain page where script runs: the warning with
/// "Ik ben er nog", then the reset.
pub const KIOSK_RESET_SCRIPT: &str = "/kiosk-reset.js";

/// The script of the QR page's copy button.
pub const COPY_SECRET_SCRIPT: &str = "/copy-secret.js";

/// The script of the recovery codes page's copy and print buttons.
pub const RECOVERY_CODES_SCRIPT: &str = "/recovery-codes.js";

/// `GET /kiosk-reset.js`.
pub async fn kiosk_reset_script() -> Response {
    script(include_str!("../assets/kiosk-reset.js"))
}

/// `GET /copy-secret.js`.
pub async fn copy_secret_script() -> Response {
    script(include_str!("../assets/copy-secret.js"))
}

/// `GET /recovery-codes.js`.
pub async fn recovery_codes_script() -> Response {
    script(include_str!("../assets/recovery-codes.js"))
}

fn script(source: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        source,
    )
        .into_response()
}

/// The cookie that keeps the chosen language.
pub const LANG_COOKIE: &str = "aanmelden_lang";

/// The cookie that carries a message to the next page.
const FLASH_COOKIE: &str = "aanmelden_flash";

/// The longest message cookie written or read: what was typed is kept to
/// 256 characters, which fits with room to spare; browsers drop a cookie
/// past 4096 bytes.
const MAX_FLASH_LEN: usize = 3072;

/// What the address of a page may add.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    /// `nl` or `en`: switch the language (kept in a cookie).
    lang: Option<String>,
    /// `gebruikersnaam`: back to the user name; `code`: the one-time
    /// password typed by hand instead of the push.
    stap: Option<String>,
    /// A device to confirm removing.
    verwijderen: Option<i64>,
    /// On the no-access page: the address of the application.
    app: Option<String>,
}

/// `rd` of the query: percent-encoded as a form encodes it, or, as nginx
/// can only write it (`?rd=$scheme://$http_host$request_uri`), not encoded
/// and then taken to the end, its own `?` and `&` included.
pub fn return_parameter(query: &str) -> Option<String> {
    let start = if query.starts_with("rd=") {
        0
    } else {
        query.find("&rd=")? + 1
    };
    let value = &query[start + 3..];
    if value.starts_with("http://") || value.starts_with("https://") {
        return Some(value.to_owned());
    }
    let encoded = value.split('&').next().unwrap_or_default();
    url::form_urlencoded::parse(format!("rd={encoded}").as_bytes())
        .next()
        .map(|(_, rd)| rd.into_owned())
}

/// `GET /` (and the portal's other addresses): the page of the step this
/// browser's session is at.
pub async fn show(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    Query(query): Query<PageQuery>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    // Links and redirects built from the address lead to one of the
    // portal's own pages only, never to `//elsewhere`.
    let path = own_page(uri.path());
    let kept = kept_query(path, &query);
    if let Some(lang) = query.lang.as_deref().and_then(Lang::from_code) {
        // The choice is kept, and the address loses the parameter.
        let to = kept
            .as_ref()
            .map_or_else(|| path.to_owned(), |kept| format!("{path}?{kept}"));
        return (
            [(header::SET_COOKIE, lang_cookie(&app.config, lang))],
            Redirect::to(&to),
        )
            .into_response();
    }
    let flash = Flash::read(&headers, &app);
    let had_flash = Flash::present(&headers, &app.config);
    let had_cookie = session_token(&headers, &app.config).is_some();
    let session = current_session(&app, &headers).await.ok();
    let live = session.is_some();
    let arrived_with = uri.query().and_then(return_parameter).and_then(|rd| {
        let allowed = app.config.allowed_return(&rd);
        if allowed.is_none() {
            let rd: String = rd.chars().take(200).collect();
            tracing::warn!(?rd, "ignored a return address that is not allowed");
        }
        allowed
    });
    let signed_in = session.as_ref().is_some_and(|s| s.level == Level::Done);
    if signed_in {
        // Signed in, and an application waits: back to it.
        if let Some(url) = arrived_with
            .clone()
            .or_else(|| return_cookie::kept(&headers, &app.config))
        {
            return (
                [(header::SET_COOKIE, return_cookie::forget(&app.config))],
                Redirect::to(&url),
            )
                .into_response();
        }
    }
    let form_key = BrowserKey::of(&headers, &app.config);
    let mut frame = Frame::new(&app, &headers, path, &client, &form_key);
    frame.kept_query = kept;
    let shown = page(&frame, session, &client, &query, flash, had_cookie).await;
    let mut response = match shown {
        Ok(Shown::Page(markup)) => markup.into_response(),
        Ok(Shown::Secret(markup)) => {
            let mut response = markup.into_response();
            response.extensions_mut().insert(Uncompressed);
            response
        }
        Ok(Shown::Stepped(stepped)) => return stepped_to(&app, &stepped, "/"),
        Err(failure) => {
            let (status, _) = failure.status_and_code();
            let message = failure.message(frame.lang);
            (status, frame.page(&error(Some(&message)))).into_response()
        }
    };
    let response_headers = response.headers_mut();
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if had_cookie && !live {
        // The cookie of a session that is over goes with this page.
        response_headers.append(header::SET_COOKIE, clear_session_cookie(&app.config));
    }
    if had_flash {
        response_headers.append(header::SET_COOKIE, Flash::clear(&app.config));
    }
    if let Some(url) = arrived_with {
        response_headers.append(header::SET_COOKIE, return_cookie::keep(&app.config, &url));
    }
    if let Some(cookie) = form_key.cookie(&app.config) {
        response_headers.append(header::SET_COOKIE, cookie);
    }
    response
}

/// What the page's own links keep of its address: on the no-access page
/// the application's (`app=`, encoded anew), so that switching the
/// language still shows which application it was.
fn kept_query(path: &str, query: &PageQuery) -> Option<String> {
    let app = query.app.as_deref().filter(|_| path == NO_ACCESS_PATH)?;
    let app: String = app.chars().take(1024).collect();
    Some(format!("app={}", crate::domain::totp::percent_encode(&app)))
}

/// The portal's page at `path`: one of its own fixed addresses, or the
/// start page for any other.
fn own_page(path: &str) -> &'static str {
    [DEVICES_PATH, LOGGED_OFF_PATH, NO_ACCESS_PATH, RECOVERY_PATH]
        .into_iter()
        .find(|page| path == *page)
        .unwrap_or("/")
}

/// `GET /opnieuw`: a kiosk starts over. The session ends on the server,
/// the language is Dutch again, no application waits to be returned to,
/// and the first screen returns. A GET, since a page without script can
/// only reload itself. The session cookie goes along with a link from
/// another site, and such a link only leads to the start page.
pub async fn reset(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
    headers: HeaderMap,
) -> Response {
    if crate::http::is_cross_site(&headers) {
        return Redirect::to("/").into_response();
    }
    if let Err(error) = app
        .log_off(session_token(&headers, &app.config).as_ref(), &client)
        .await
    {
        tracing::warn!(%error, "could not end a session at a kiosk's reset");
    }
    let mut response = Redirect::to("/").into_response();
    let set = response.headers_mut();
    set.append(header::SET_COOKIE, clear_session_cookie(&app.config));
    set.append(header::SET_COOKIE, lang_cookie(&app.config, Lang::Nl));
    if app.config.cookie_secure() {
        // The app's own language cookie goes too: nothing of the last
        // user's choice stays in a kiosk's browser.
        set.append(
            header::SET_COOKIE,
            HeaderValue::from_static("aanmelden_lang=; Path=/; Max-Age=0; SameSite=Strict"),
        );
    }
    set.append(header::SET_COOKIE, Flash::clear(&app.config));
    set.append(header::SET_COOKIE, return_cookie::forget(&app.config));
    set.append(header::SET_COOKIE, form_token::forget(&app.config));
    set.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The warning a kiosk's script shows after the idle time, in `lang`: a
/// countdown and "Ik ben er nog". Inert until then; outside the plain page,
/// so that it serves the app too.
fn kiosk_warning(lang: Lang, warning_s: u32) -> Markup {
    html! {
        template id={ "kiosk-warning-" (lang.code()) } {
            div class="kiosk-warning" id="kiosk-warning" role="alertdialog" aria-modal="true"
                aria-labelledby="kiosk-warning-heading" aria-describedby="kiosk-warning-text" {
                h2 id="kiosk-warning-heading" { (Key::KioskWarningHeading.text(lang)) }
                p id="kiosk-warning-text" data-text=(Key::KioskWarning.text(lang)) {
                    (Key::KioskWarning.fill(lang, "seconds", &warning_s.to_string()))
                }
                button type="button" class="primary" id="kiosk-still-here" {
                    (Key::KioskStillHere.text(lang))
                }
            }
        }
    }
}

/// What a GET shows: a page, or (push approved) a step to redirect after.
enum Shown {
    Page(Markup),
    /// A page that holds a device's secret (the QR page): sent as it is,
    /// never compressed, so that its size tells nothing of the secret to a
    /// page that can add text to it and see only sizes.
    Secret(Markup),
    Stepped(Stepped),
}

/// Marks a response that must not be compressed (see [`Shown::Secret`]).
#[derive(Debug, Clone, Copy)]
pub struct Uncompressed;

async fn page(
    frame: &Frame<'_>,
    session: Option<Session>,
    client: &str,
    query: &PageQuery,
    flash: Option<Flash>,
    had_cookie: bool,
) -> Result<Shown, ApiError> {
    let path = frame.path;
    if path == LOGGED_OFF_PATH && session.is_none() {
        return Ok(Shown::Page(frame.page(&logged_off::page(frame))));
    }
    let Some(session) = session else {
        let typed = flash.as_ref().map_or("", |f| f.typed.as_str());
        let error = flash.as_ref().and_then(|f| f.error_text(frame.lang));
        let notice = (had_cookie && error.is_none())
            .then(|| Key::ErrorSessionExpired.text(frame.lang).to_owned());
        let screen = identify::page(frame, typed, error.as_deref(), notice.as_deref());
        return Ok(Shown::Page(frame.page(&screen)));
    };
    let frame = &frame.for_session(&session);
    let markup = match session.level {
        Level::Identified if query.stap.as_deref() == Some("gebruikersnaam") => {
            identify::page(frame, &session.username, None, None)
        }
        Level::Identified => password::page(frame, &session.username, flash.as_ref()),
        Level::SecondFactor if query.stap.as_deref() == Some("code") => {
            otp::page(frame, flash.as_ref())
        }
        // The app's build with the devices screens has this one too: the
        // new phone is registered next.
        Level::SecondFactor if path == RECOVERY_PATH => {
            let screen = recovery::page(frame, flash.as_ref());
            return Ok(Shown::Page(
                frame.document(&screen, &frame.app.page_head.with_devices_app),
            ));
        }
        Level::SecondFactor => match push::state(frame.app, &session, client, frame.headers).await?
        {
            push::Screen::Approved(stepped) => return Ok(Shown::Stepped(stepped)),
            push::Screen::Show(view) => push::page(frame, &view, flash.as_ref()),
        },
        Level::RegisterDevice | Level::Pass => {
            return devices_page(frame, &session, query, flash).await;
        }
        Level::Done if path == DEVICES_PATH => {
            return devices_page(frame, &session, query, flash).await;
        }
        Level::Done if path == NO_ACCESS_PATH => no_access::page(frame, query.app.as_deref()),
        Level::Done => signed_in::page(frame, &session),
    };
    Ok(Shown::Page(frame.page(&markup)))
}

/// The devices page, or the QR page of a pending enrolment, with the build
/// of the app that has these screens.
async fn devices_page(
    frame: &Frame<'_>,
    session: &Session,
    query: &PageQuery,
    flash: Option<Flash>,
) -> Result<Shown, ApiError> {
    let screen = devices::page(frame, session, query, flash.as_ref()).await?;
    let page = frame.document(&screen.markup, &frame.app.page_head.with_devices_app);
    Ok(if screen.shows_secret {
        Shown::Secret(page)
    } else {
        Shown::Page(page)
    })
}

/// Everything every page shares: the language, the organisation, who is
/// signed in (for the user menu), and where the page is.
pub struct Frame<'a> {
    pub app: &'a AppState,
    /// Set on a shared kiosk or thin client.
    pub kiosk: Option<Kiosk>,
    pub lang: Lang,
    pub path: &'a str,
    pub headers: &'a HeaderMap,
    /// The user name, once the session has passed both factors or
    /// registers its first device (the user menu shows then).
    pub signed_in: bool,
    /// Whether the session has passed both factors.
    pub done: bool,
    /// Whether there is a session (a kiosk then has something to clear).
    pub has_session: bool,
    pub username: String,
    /// What the language links keep of the page's query (`app=…`).
    pub kept_query: Option<String>,
    /// The forms' token, masked for this page (see [`form_token`]).
    form_token: String,
}

impl<'a> Frame<'a> {
    fn new(
        app: &'a AppState,
        headers: &'a HeaderMap,
        path: &'a str,
        client: &str,
        form_key: &BrowserKey,
    ) -> Self {
        Self {
            app,
            kiosk: app.config.kiosk_for(client),
            lang: request_lang(headers, &app.config),
            path,
            headers,
            signed_in: false,
            done: false,
            has_session: false,
            username: String::new(),
            kept_query: None,
            form_token: form_key.masked_token(&app.cipher),
        }
    }

    fn for_session(&self, session: &Session) -> Self {
        Self {
            app: self.app,
            kiosk: self.kiosk,
            lang: self.lang,
            path: self.path,
            headers: self.headers,
            signed_in: matches!(
                session.level,
                Level::Done | Level::RegisterDevice | Level::Pass
            ),
            done: session.level == Level::Done,
            has_session: true,
            username: session.username.clone(),
            kept_query: self.kept_query.clone(),
            form_token: self.form_token.clone(),
        }
    }

    /// The hidden field every form of the page posts: its token, without
    /// which a form is not taken (see [`require_form_token`]).
    pub fn form_token(&self) -> Markup {
        html! {
            input type="hidden" name=(form_token::FIELD) value=(self.form_token);
        }
    }

    /// The text of `key` in the page's language.
    pub fn t(&self, key: Key) -> &'static str {
        key.text(self.lang)
    }

    /// The whole document around a screen: the top bar (organisation,
    /// NL | EN, user menu) and the screen, plus the app's loader.
    pub fn page(&self, screen: &Markup) -> Markup {
        self.document(screen, &self.app.page_head.with_app)
    }

    /// The document with `loader`, the app build that takes it over. The
    /// style is in the page and the loader at its end: the screen paints
    /// from this one response, before the app's downloads begin.
    fn document(&self, screen: &Markup, loader: &str) -> Markup {
        let head = &self.app.page_head;
        let config = &self.app.config;
        // On a kiosk, the page goes to the reset address by itself once it
        // has been left alone for the idle time and the warning's time.
        let reset_s = self.kiosk.map(|kiosk| {
            let idle = if self.done {
                kiosk.signed_in_idle_s
            } else {
                kiosk.idle_s
            };
            idle + kiosk.warning_s
        });
        html! {
            (DOCTYPE)
            html lang=(self.lang.code()) class=[self.kiosk.map(|_| "kiosk")] data-signed-in[self.done] {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    @if let (Some(seconds), Some(kiosk)) = (reset_s, self.kiosk) {
                        // Without script, the page refreshes itself to the
                        // reset; with script, a timer that input restarts
                        // warns and then does it, for the app too.
                        noscript {
                            meta http-equiv="refresh" content={ (seconds) ";url=" (RESET_PATH) };
                        }
                        script src=(KIOSK_RESET_SCRIPT) defer data-idle=(kiosk.idle_s)
                            data-signed-in-idle=(kiosk.signed_in_idle_s)
                            data-warning=(kiosk.warning_s) data-url=(RESET_PATH)
                            data-session[self.has_session] {}
                    }
                    title { (self.t(Key::PageTitle)) }
                    @if !head.style.is_empty() {
                        style { (PreEscaped(&head.style)) }
                    }
                    (PreEscaped(&head.style_links))
                }
                body {
                    div id="plain" {
                        header class="topbar" {
                            div class="brand" {
                                @if let Some(logo) = &config.logo_url {
                                    img class="logo" src=(logo) alt="";
                                }
                                span class="organisation" { (config.organisation) }
                            }
                            div class="tools" {
                                nav class="language" aria-label=(self.t(Key::Language)) {
                                    (self.lang_link(Lang::Nl, "NL"))
                                    span aria-hidden="true" { "|" }
                                    (self.lang_link(Lang::En, "EN"))
                                }
                                @if self.signed_in {
                                    (self.user_menu())
                                }
                            }
                        }
                        main class="panel" {
                            (screen)
                            @if let Some(seconds) = reset_s {
                                p id="kiosk-notice" class="hint" {
                                    (Key::KioskNotice.fill(self.lang, "seconds", &seconds.to_string()))
                                }
                            }
                        }
                    }
                    @if let Some(kiosk) = self.kiosk {
                        (kiosk_warning(Lang::Nl, kiosk.warning_s))
                        (kiosk_warning(Lang::En, kiosk.warning_s))
                    }
                    (PreEscaped(loader))
                }
            }
        }
    }

    fn lang_link(&self, lang: Lang, label: &str) -> Markup {
        let current = lang == self.lang;
        html! {
            a id={ "lang-" (lang.code()) } lang=(lang.code()) hreflang=(lang.code())
                href={
                    (self.path) "?lang=" (lang.code())
                    @if let Some(kept) = &self.kept_query { "&" (kept) }
                }
                aria-current=[current.then_some("true")] { (label) }
        }
    }

    /// The user name, "Mijn geregistreerde apparaten" and "Afmelden",
    /// behind a disclosure that needs no script.
    fn user_menu(&self) -> Markup {
        html! {
            details class="user-menu" {
                summary id="user-menu" { (self.username) " ▾" }
                ul class="menu" {
                    li { a id="menu-devices" href=(DEVICES_PATH) { (self.t(Key::MyDevices)) } }
                    li {
                        form method="post" action={ (FORMS) "/logout" } {
                            (self.form_token())
                            button type="submit" id="logout" { (self.t(Key::LogOff)) }
                        }
                    }
                }
            }
        }
    }
}

/// An error below a form's fields, tied to its field by the caller
/// (`aria-describedby`), and focused when the page loads, so it is read
/// first and the user is where the problem is said.
pub fn error(text: Option<&str>) -> Markup {
    html! {
        @if let Some(text) = text {
            p id="error" class="error" role="alert" tabindex="-1" autofocus { (text) }
        }
    }
}

/// A notice (not an error) above a form.
pub fn notice(text: Option<&str>) -> Markup {
    html! {
        @if let Some(text) = text {
            p id="notice" class="notice" role="status" { (text) }
        }
    }
}

/// The language of a request: the chosen one (cookie), else the browser's
/// first that the portal speaks, else Dutch. The app writes the cookie
/// from script under its plain name, so that name is read too, after the
/// server's own.
pub fn request_lang(headers: &HeaderMap, config: &Config) -> Lang {
    cookie(headers, &config.cookie_name(LANG_COOKIE))
        .and_then(Lang::from_code)
        .or_else(|| cookie(headers, LANG_COOKIE).and_then(Lang::from_code))
        .unwrap_or_else(|| {
            let accepted = headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            Lang::preferred(
                accepted
                    .split(',')
                    .map(|tag| tag.split(';').next().unwrap_or_default().trim()),
            )
        })
}

fn lang_cookie(config: &Config, lang: Lang) -> HeaderValue {
    let text = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Strict{}",
        config.cookie_name(LANG_COOKIE),
        lang.code(),
        config.secure_attribute()
    );
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A message for the next page, and what was typed (never a password).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Flash {
    code: Option<ErrorCode>,
    field: Option<String>,
    retry_after_s: Option<u64>,
    /// A message that is not an error.
    pub notice: Option<Notice>,
    /// What was typed in the form's first text field.
    pub typed: String,
}

/// Messages that are not errors.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Notice {
    /// "Testen": the code was right.
    TestOk,
    /// "Testen": the code was wrong.
    TestWrong,
    /// A device was registered (its name).
    DeviceAdded(String),
    /// Signed in with a recovery code: register the new phone.
    Recovered,
    /// A code from the app confirmed it was the user: add the device.
    Confirmed,
    /// The password page's name was no longer the session's: another
    /// window had changed it (shown as an error).
    UserChanged,
    /// A form came without the token of a page shown to this browser
    /// (shown as an error).
    PageOutOfDate,
}

impl Flash {
    /// A flash for `error`, keeping `typed`.
    pub fn error(error: &ApiError, typed: &str) -> Self {
        let (code, field, retry_after_s) = error.parts();
        Self {
            code: Some(code),
            field,
            retry_after_s,
            notice: None,
            typed: typed.chars().take(256).collect(),
        }
    }

    pub fn notice(notice: Notice) -> Self {
        Self {
            notice: Some(notice),
            ..Self::default()
        }
    }

    /// The error's message in `lang`, if this flash carries one.
    pub fn error_text(&self, lang: Lang) -> Option<String> {
        if let Some(code) = self.code {
            return Some(error_text(
                code,
                self.field.as_deref(),
                self.retry_after_s,
                lang,
            ));
        }
        let key = match self.notice {
            Some(Notice::UserChanged) => Key::ErrorUserChanged,
            Some(Notice::PageOutOfDate) => Key::ErrorPageOutOfDate,
            _ => return None,
        };
        Some(key.text(lang).to_owned())
    }

    /// The error's code, if this flash carries one.
    pub fn code(&self) -> Option<ErrorCode> {
        self.code
    }

    /// The error of the form whose field is `field`.
    #[must_use]
    pub fn about(self, field: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..self
        }
    }

    /// Whether the error is about `field`.
    pub fn is_about(&self, field: &str) -> bool {
        self.field.as_deref() == Some(field)
    }

    /// The message the server signed for this browser's next page; a
    /// cookie it did not sign (a made-up error, or text to show) is none.
    fn read(headers: &HeaderMap, app: &AppState) -> Option<Self> {
        let value = cookie(headers, &app.config.cookie_name(FLASH_COOKIE))?;
        if value.len() > MAX_FLASH_LEN {
            return None;
        }
        let (message, signature) = value.split_once('.')?;
        if !app.cipher.verify_flash(message.as_bytes(), signature) {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(message).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn present(headers: &HeaderMap, config: &Config) -> bool {
        cookie(headers, &config.cookie_name(FLASH_COOKIE)).is_some()
    }

    /// `message.signature`: the message as base64 of its JSON.
    fn signed(&self, cipher: &Cipher) -> String {
        let message = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default());
        let signature = cipher.sign_flash(message.as_bytes());
        format!("{message}.{signature}")
    }

    fn set(&self, app: &AppState) -> HeaderValue {
        let mut value = self.signed(&app.cipher);
        if value.len() > MAX_FLASH_LEN {
            // Only what was typed can make it this long: the message goes
            // without it.
            let short = Self {
                code: self.code,
                field: self.field.clone(),
                retry_after_s: self.retry_after_s,
                notice: self.notice.clone(),
                typed: String::new(),
            };
            value = short.signed(&app.cipher);
        }
        if value.len() > MAX_FLASH_LEN {
            return Self::clear(&app.config);
        }
        let text = format!(
            "{}={value}; Path=/; Max-Age=60; HttpOnly; SameSite=Strict{}",
            app.config.cookie_name(FLASH_COOKIE),
            app.config.secure_attribute()
        );
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    fn clear(config: &Config) -> HeaderValue {
        let text = format!(
            "{}=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict{}",
            config.cookie_name(FLASH_COOKIE),
            config.secure_attribute()
        );
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
    }
}

/// After a form: to `to`, with a message.
pub fn back_to(app: &AppState, to: &str, flash: &Flash) -> Response {
    ([(header::SET_COOKIE, flash.set(app))], Redirect::to(to)).into_response()
}

/// After a step up: to `to`, with the new session cookie.
pub fn stepped_to(app: &AppState, stepped: &Stepped, to: &str) -> Response {
    (
        [(
            header::SET_COOKIE,
            set_session_cookie(&stepped.token, &app.config),
        )],
        Redirect::to(to),
    )
        .into_response()
}

/// After a step up: to `to`, with the new session cookie and a message.
pub fn stepped_with(app: &AppState, stepped: &Stepped, to: &str, notice: Notice) -> Response {
    let mut response = back_to(app, to, &Flash::notice(notice));
    response.headers_mut().append(
        header::SET_COOKIE,
        set_session_cookie(&stepped.token, &app.config),
    );
    response
}

/// A form's answer when the session it was for is gone.
pub fn expired(app: &AppState) -> Response {
    back_to(app, "/", &Flash::error(&ApiError::SessionExpired, ""))
}

/// The session of a form post; a gone one is answered with [`expired`].
pub struct FormSession(pub Session);

impl FromRequestParts<AppState> for FormSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, Response> {
        current_session(app, &parts.headers)
            .await
            .map(Self)
            .map_err(|_| expired(app))
    }
}

/// Takes a form only with the token of a page this browser was shown
/// (see [`form_token`]); without it, nothing changes and the browser goes
/// back to the page, where the form is shown again with a word of why and
/// with the name that was typed (never a password or a code).
pub async fn require_form_token(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = match Bytes::from_request(Request::from_parts(parts.clone(), body), &app).await {
        Ok(body) => body,
        Err(rejection) => return rejection.into_response(),
    };
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let token = field(form_token::FIELD).unwrap_or_default();
    if form_token::is_valid(&parts.headers, &app.config, &app.cipher, token) {
        return next.run(Request::from_parts(parts, Body::from(body))).await;
    }
    let form = parts.uri.path();
    tracing::info!(form, "refused a form without its page's token");
    let form = form.strip_prefix(FORMS).unwrap_or(form);
    let page = if form.starts_with("/devices") || form == "/recovery-codes" {
        DEVICES_PATH
    } else if form == "/otp" {
        otp::PATH
    } else if form == "/recovery" || form == "/pass" {
        RECOVERY_PATH
    } else {
        "/"
    };
    let typed = field("username")
        .or_else(|| field("name"))
        .unwrap_or_default();
    let flash = Flash {
        notice: Some(Notice::PageOutOfDate),
        typed: typed.chars().take(256).collect(),
        ..Flash::default()
    };
    back_to(&app, page, &flash)
}

impl ApiError {
    /// The user's words for this error.
    pub(crate) fn message(&self, lang: Lang) -> String {
        let (code, field, retry_after_s) = self.parts();
        error_text(code, field.as_deref(), retry_after_s, lang)
    }
}

/// 404 for addresses under [`FORMS`] that are no form.
pub async fn no_such_form() -> StatusCode {
    StatusCode::NOT_FOUND
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_return_address_is_read_encoded_or_as_nginx_writes_it() {
        assert_eq!(
            return_parameter("rd=https%3A%2F%2Fmail.example.nl%2Fa%3Fb%3D1%26c%3D2").as_deref(),
            Some("https://mail.example.nl/a?b=1&c=2")
        );
        assert_eq!(
            return_parameter("rd=https://mail.example.nl/a?b=1&c=2").as_deref(),
            Some("https://mail.example.nl/a?b=1&c=2")
        );
        assert_eq!(
            return_parameter("lang=en&rd=https%3A%2F%2Fmail.example.nl%2F&x=1").as_deref(),
            Some("https://mail.example.nl/")
        );
        assert_eq!(return_parameter("stap=code"), None);
        assert_eq!(return_parameter("nord=https://x"), None);
    }
}
