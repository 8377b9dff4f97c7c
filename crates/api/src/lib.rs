//! The contract between the aanmelden single page app and its server.
//!
//! Every request body, response body and error code of the JSON API under
//! [`API_PREFIX`] is a type here, so the two sides cannot drift apart. Field
//! names are `snake_case` on the wire; enums are lower-case strings.
//! [`platform`] tells both sides which client download suits a visitor.

use serde::{Deserialize, Serialize};

/// Every endpoint lives under this path.
pub const API_PREFIX: &str = "/api/v1";

/// The folder the portal serves its phone app from (`/telefoon/`): its
/// place in the built portal and its service worker's scope.
pub const PHONE_APP_FOLDER: &str = "telefoon";

pub mod display;
pub mod otpauth;
pub mod platform;

/// Name of the cookie that carries the session id.
pub const SESSION_COOKIE: &str = "aanmelden_session";

/// The session cookie's name when it is `Secure` (the portal is served over
/// https): the `__Host-` prefix makes the browser refuse it unless it is
/// `Secure`, for this host only and for the whole path.
pub const SECURE_SESSION_COOKIE: &str = "__Host-aanmelden_session";

/// The session cookie's name when it is `Secure` and set for a whole domain
/// (`cookie_domain`, one sign-in for many subdomains): `__Host-` forbids a
/// domain, `__Secure-` still makes the browser refuse it unless `Secure`.
pub const SECURE_DOMAIN_SESSION_COOKIE: &str = "__Secure-aanmelden_session";

/// The step the browser shows next; the server decides it, never the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Ask for the password (always the answer to identify, known user or not).
    Password,
    /// The password was right and the user has no device: register the first one.
    RegisterDevice,
    /// The password was right: confirm in the app (push), or type the
    /// one-time password by hand.
    Push,
    /// Signed in.
    Done,
}

/// `POST /login/identify`: the user name typed on the first screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentifyRequest {
    /// The user name (an e-mail address); trimmed and compared case-insensitively.
    pub username: String,
}

/// `POST /login/password`: the password, and optionally a one-time password
/// typed on the same screen.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordRequest {
    /// The password.
    pub password: String,
    /// A six-digit code from the app; ignored for a user without a device.
    #[serde(default)]
    pub otp: Option<String>,
}

impl std::fmt::Debug for PasswordRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordRequest")
            .field("password", &"..")
            .field("otp", &self.otp.as_ref().map(|_| ".."))
            .finish()
    }
}

/// `POST /login/otp`, `POST /devices/{id}/test`, `POST /recovery-codes`: a
/// six-digit code from the app; `POST /login/recovery`: a recovery code;
/// `POST /login/pass`: a helpdesk pass; `POST /login/confirm`: a code
/// from the app again, before adding a device.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRequest {
    /// The code as typed; spaces (and a recovery code's dash) are ignored.
    pub code: String,
}

impl std::fmt::Debug for CodeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeRequest(..)")
    }
}

/// The answer to every sign-in step: what to show next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepResponse {
    /// The next step.
    pub next: Step,
}

/// `POST /return`: where an application that sent the browser to the
/// portal wants it back, now that it has signed in (once; `None` when no
/// application asked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnTo {
    pub url: Option<String>,
}

/// `GET /session`: who is signed in, and how far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The user name as stored.
    pub username: String,
    /// The step the session is at; `done` means fully signed in.
    pub step: Step,
    /// Once signed in: the applications this user may open, for the
    /// signed-in page, in the configured order.
    #[serde(default)]
    pub applications: Vec<Application>,
}

/// A registered (active) device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Identifier used in the device URLs.
    pub id: i64,
    /// The name the user gave it, e.g. "iPhone".
    pub name: String,
    /// When it was activated ("Gereed"), in seconds since the Unix epoch.
    pub activated_at: i64,
    /// When it was last used: a code accepted (at sign-in, "Testen",
    /// "Bevestigen") or a push approved.
    #[serde(default)]
    pub last_used_at: Option<i64>,
}

/// `GET /devices`: the user's devices and any enrolment still waiting for "Gereed".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceList {
    /// Active devices, oldest first.
    pub devices: Vec<Device>,
    /// The enrolment started but not yet activated or cancelled, if any.
    pub pending: Option<Enrolment>,
    /// How many devices a user may have.
    pub limit: u32,
    /// Whether "Gereed" needs the first code from the app.
    pub first_code_required: bool,
    /// How many of the user's recovery codes are unused; `None` when the
    /// user was never given a set.
    #[serde(default)]
    pub recovery_codes_left: Option<u32>,
    /// Whether this session came with a helpdesk pass: it may add a
    /// device, whether the user has others or not, and nothing more.
    #[serde(default)]
    pub with_pass: bool,
    /// What this session must show before it adds a device.
    #[serde(default)]
    pub adding: Adding,
}

/// What a session must show before it adds a device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adding {
    /// Nothing more (the device limit aside).
    #[default]
    Open,
    /// A helpdesk pass (`POST /login/pass`): a first device, where the
    /// portal is set up so.
    PassRequired,
    /// A code from the app again (`POST /login/confirm`): the session's
    /// second factor is not recent.
    ConfirmRequired,
}

/// From this many unused recovery codes down, the devices screen warns.
pub const FEW_RECOVERY_CODES: u32 = 2;

/// `POST /devices/{id}/activate` ("Gereed"): the device, now active, and
/// the user's first recovery codes when this made them (shown this once).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivatedDevice {
    #[serde(flatten)]
    pub device: Device,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_codes: Option<RecoveryCodes>,
}

impl std::fmt::Debug for ActivatedDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivatedDevice")
            .field("device", &self.device)
            .field("recovery_codes", &self.recovery_codes)
            .finish()
    }
}

/// A new set of recovery codes (`POST /recovery-codes`, or the first
/// device's activation): each signs in once instead of the second factor
/// (`POST /login/recovery`). The server keeps only their hashes: this is
/// the one time they are shown.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes {
    /// Ten codes, each as two groups of five characters (`k7m2p-x9q4r`).
    pub codes: Vec<String>,
}

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes({} codes)", self.codes.len())
    }
}

/// `POST /devices`: start enrolling a device with this name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddDeviceRequest {
    /// 1 to 32 characters, unique per user (case-insensitively).
    pub name: String,
}

/// A pending enrolment: what the QR code screen shows. Asking again returns
/// the same secret until the enrolment is activated or cancelled.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// The device being enrolled.
    pub device_id: i64,
    /// Its name.
    pub name: String,
    /// The `otpauth://totp/...` URI that the QR code encodes.
    pub otpauth_uri: String,
    /// The shared secret, base32 without padding, for typing in by hand.
    pub secret: String,
    /// The QR code of `otpauth_uri` as an SVG image, drawn by the server
    /// (so the app need not carry a QR encoder).
    pub qr_svg: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment")
            .field("device_id", &self.device_id)
            .field("name", &self.name)
            .field("otpauth_uri", &"..")
            .field("secret", &"..")
            .field("qr_svg", &"..")
            .finish()
    }
}

/// `POST /devices/{id}/activate` ("Gereed"): the first code from the app.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivateRequest {
    /// Required unless the server is configured not to ask for it.
    #[serde(default)]
    pub code: Option<String>,
}

impl std::fmt::Debug for ActivateRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ActivateRequest(..)")
    }
}

/// `POST /devices/{id}/test` ("Testen"): whether the code was right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestResult {
    /// True when the code was accepted for this device.
    pub valid: bool,
}

/// `GET /branding`: who runs this portal and where its users go once signed
/// in. Needs no session, so every screen can show the name, logo and colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branding {
    /// The organisation, as in "Je bent nu succesvol ingelogd op de {organisation} omgeving."
    pub organisation: String,
    /// The logo, a path on this server or a `data:image/...` URL.
    pub logo_url: Option<String>,
    /// The main colour of the pages, `#` and 3 or 6 hexadecimal digits.
    pub primary_colour: Option<String>,
    /// Where to download the workspace client app, per operating system.
    pub client_downloads: ClientDownloads,
    /// Set when the asking browser is a shared kiosk or thin client: how
    /// long without input before everything starts over.
    #[serde(default)]
    pub kiosk: Option<Kiosk>,
}

/// The times of kiosk mode, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kiosk {
    /// Without input this long on a step before sign-in, the warning shows.
    pub idle_s: u32,
    /// The warning's countdown: this long to answer "Ik ben er nog".
    pub warning_s: u32,
    /// Without input this long on the signed-in page, the warning shows.
    pub signed_in_idle_s: u32,
}

/// An application that the signed-in page links to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// The link text.
    pub name: String,
    /// Where the link goes.
    pub url: String,
}

/// Download links of the workspace client app; `None` where there is none
/// for that operating system.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDownloads {
    /// For Windows.
    pub windows: Option<String>,
    /// For macOS.
    pub macos: Option<String>,
    /// For Linux.
    pub linux: Option<String>,
    /// For iPhone and iPad.
    pub ios: Option<String>,
    /// For Android.
    pub android: Option<String>,
}

/// `POST /login/push`: a sign-in to confirm in the app. The browser shows
/// `number`; the user types it in the app, so a reflex tap on somebody
/// else's attempt approves nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushChallenge {
    /// Identifier for waiting on the outcome.
    pub id: String,
    /// Two digits, 10 to 99.
    pub number: u8,
    /// Seconds until the challenge expires unanswered.
    pub expires_in_s: u64,
}

/// The outcome of a push challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PushStatus {
    /// Not answered yet: ask again.
    Pending,
    /// Approved in the app: the session is signed in.
    Approved,
}

/// `GET /login/push/{id}`: waits up to a while for an answer. Denied and
/// expired come as the errors `push_denied` and `push_expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    /// Pending or approved.
    pub status: PushStatus,
    /// With `approved`: the next step (`done`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Step>,
}

/// A challenge waiting for an answer, as the authenticator lists it. The
/// number is not in it: the user must read it from the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingChallenge {
    /// Identifier for answering.
    pub id: String,
    /// Who is signing in.
    pub username: String,
    /// From which address.
    pub client: String,
    /// Which browser family, when known: a word from a fixed list, never
    /// the browser's own description of itself, which anyone can write
    /// ("type 42").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<platform::BrowserFamily>,
    /// Which operating system, when known, likewise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<platform::Os>,
    /// When the sign-in started, in seconds since the Unix epoch.
    pub created_at: i64,
    /// When it expires, in seconds since the Unix epoch.
    pub expires_at: i64,
}

/// The authenticator's answer to a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum ChallengeAnswer {
    /// Approve, with the number the browser shows.
    Approve { number: u8 },
    /// Deny: not now.
    Deny,
    /// Deny and report: "Dit was ik niet" / "This wasn't me". Recorded in
    /// the audit log; the server may lock the account against the origin.
    NotMe,
}

/// `PUT /authenticator/key`: the phone app's own key, given while the
/// device is enrolling (before "Gereed") in a request signed with the TOTP
/// secret from the QR code. From then on the device signs with this key
/// only: whoever else holds the TOTP secret (another authenticator app, a
/// backup of one) can still make codes, but answers no sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceKey {
    /// The public half of an ECDSA P-256 key pair (as WebCrypto exports
    /// it, `raw`: the uncompressed SEC1 point, 65 bytes), base64url
    /// without padding.
    pub public_key: String,
}

/// `GET /authenticator/push-key`: the portal's own public key for Web Push
/// (VAPID, RFC 8292), the `applicationServerKey` to subscribe with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebPushKey {
    /// The uncompressed P-256 point, base64url without padding.
    pub public_key: String,
}

/// `PUT /authenticator/subscription`: where the phone is woken when a
/// sign-in waits, as the browser's `PushSubscription.toJSON()` gives it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebPushSubscription {
    /// The push service's URL for this phone (https).
    pub endpoint: String,
    pub keys: WebPushKeys,
}

/// The keys of a [`WebPushSubscription`], base64url.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebPushKeys {
    /// The phone's P-256 key the message is encrypted for.
    pub p256dh: String,
    /// The phone's 16-byte authentication secret.
    pub auth: String,
}

impl std::fmt::Debug for WebPushSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WebPushSubscription(..)")
    }
}

/// What a Web Push message carries (encrypted, RFC 8291): which sign-in
/// waits, and nothing else. The app fetches the rest over its signed
/// requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WakeUp {
    /// The challenge's id, as [`PendingChallenge::id`].
    pub challenge: String,
}

/// Headers of a request signed by an authenticator: with its own key where
/// it gave one ([`DeviceKey`]), else with its device secret.
pub mod signed {
    /// The device id.
    pub const DEVICE: &str = "x-aanmelden-device";
    /// Seconds since the Unix epoch when the request was signed.
    pub const TIMESTAMP: &str = "x-aanmelden-timestamp";
    /// A random value, never used twice for a device.
    pub const NONCE: &str = "x-aanmelden-nonce";
    /// Hex, over [`message`]: for a device with a key of its own, its
    /// ECDSA P-256 signature with SHA-256 (`r || s`, 64 bytes, as WebCrypto
    /// gives it); for any other, HMAC-SHA256 keyed by the push key.
    pub const SIGNATURE: &str = "x-aanmelden-signature";
    /// How far a timestamp may be from the server's clock, in seconds.
    pub const WINDOW_S: i64 = 60;

    /// What is signed: method, path, timestamp and nonce, one per line,
    /// then the body as sent.
    pub fn message(method: &str, path: &str, timestamp: i64, nonce: &str, body: &[u8]) -> Vec<u8> {
        let mut message = format!("{method}\n{path}\n{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message
    }
}

/// The stable, machine-readable error codes. The browser maps each to a
/// translated message and never shows the server's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 401: wrong user name or password (also for an unknown user).
    InvalidCredentials,
    /// 401: wrong, expired or already used one-time password.
    InvalidOtp,
    /// 401: wrong or already used recovery code.
    InvalidRecoveryCode,
    /// 401: wrong, expired or already used helpdesk pass.
    InvalidPass,
    /// 403: a first device needs a helpdesk pass here (`first_device = "pass"`).
    PassRequired,
    /// 403: adding a device needs a recent second factor: confirm with a
    /// code from the app first (`POST /login/confirm`).
    ConfirmRequired,
    /// 429: too many failures; see `retry_after_s`.
    Locked,
    /// 409: the user already has the maximum number of devices.
    DeviceLimit,
    /// 409: the user already has a device with this name.
    NameTaken,
    /// 404: no such resource (or not the caller's).
    NotFound,
    /// 401: no session, or it timed out: start again at identify.
    SessionExpired,
    /// 403: the session has not reached the step this needs.
    Forbidden,
    /// 400 (413 for a body over the limit): the request is malformed or a
    /// field breaks a rule; `field` names it where there is one.
    Validation,
    /// 429: too many requests from this client.
    RateLimited,
    /// 503: a backend the server needs is unavailable.
    Unavailable,
    /// 500: something went wrong on the server; the log has the details.
    Internal,
    /// 401: the sign-in was denied in the app (or a wrong number was typed there).
    PushDenied,
    /// 401: the sign-in was not confirmed in time, or a newer one replaced it.
    PushExpired,
    /// 403: the directory says the password must be changed before the
    /// account signs in (AD 773, `OpenLDAP` ppolicy `changeAfterReset`).
    PasswordChangeRequired,
    /// 403: the directory says the password has expired (AD 532, ppolicy
    /// `passwordExpired`).
    PasswordExpired,
    /// 403: the directory locked the account after wrong passwords (AD 775,
    /// ppolicy `accountLocked`).
    AccountLocked,
    /// 403: the directory's account is disabled (AD 533).
    AccountDisabled,
    /// 403: the directory's account has expired (AD 701).
    AccountExpired,
}

/// The one error envelope: `{"error": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The content of the error envelope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// Stable machine code.
    pub code: ErrorCode,
    /// English text for people reading logs or using curl; never shown by the app.
    pub message: String,
    /// With `locked`: seconds until another try is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
    /// With `validation`: the field at fault, e.g. `name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_snake_case_on_the_wire() {
        let json = serde_json::to_string(&ErrorCode::InvalidCredentials).unwrap();
        assert_eq!(json, "\"invalid_credentials\"");
        let code: ErrorCode = serde_json::from_str("\"session_expired\"").unwrap();
        assert_eq!(code, ErrorCode::SessionExpired);
    }

    #[test]
    fn steps_are_snake_case_on_the_wire() {
        let json = serde_json::to_string(&StepResponse {
            next: Step::RegisterDevice,
        })
        .unwrap();
        assert_eq!(json, r#"{"next":"register_device"}"#);
    }

    #[test]
    fn password_request_otp_is_optional() {
        let req: PasswordRequest = serde_json::from_str(r#"{"password":"x"}"#).unwrap();
        assert_eq!(req.otp, None);
    }

    #[test]
    fn secrets_do_not_print() {
        let req = PasswordRequest {
            password: "hunter2".into(),
            otp: Some("123456".into()),
        };
        let printed = format!("{req:?}");
        assert!(!printed.contains("hunter2") && !printed.contains("123456"));
        let enrolment = Enrolment {
            device_id: 1,
            name: "iPhone".into(),
            otpauth_uri: "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP".into(),
            secret: "JBSWY3DPEHPK3PXP".into(),
            qr_svg: "<svg/>".into(),
        };
        assert!(!format!("{enrolment:?}").contains("JBSWY3DP"));
        let codes = RecoveryCodes {
            codes: vec!["k7m2p-x9q4r".into()],
        };
        assert!(!format!("{codes:?}").contains("k7m2p"));
    }
}
