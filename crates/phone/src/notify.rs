//! Notifications while the app is closed (Web Push): with the user's
//! permission the browser subscribes at its push service with the portal's
//! key, and the portal learns where to send, per device, over the device's
//! signed requests. The service worker (`sw.js`) shows what arrives; its
//! texts come from here, in the address it is registered under.

use aanmelden_api::WebPushSubscription;
use aanmelden_i18n::{Key, Lang};
use js_sys::{JSON, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    Notification, NotificationPermission, PushManager, PushSubscription,
    PushSubscriptionOptionsInit, ServiceWorkerRegistration,
};

use crate::api::{self, Device};

/// Where notifications stand in this browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// No Web Push here (an iPhone's browser outside the home screen, or
    /// an old browser).
    Unavailable,
    /// Not asked yet, or asked and closed without an answer.
    Off,
    /// The user said no: only the browser's settings change that.
    Refused,
    /// Permitted and subscribed.
    On,
}

/// Whether this browser has all Web Push needs.
fn available() -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    ["Notification", "PushManager", "ServiceWorkerRegistration"]
        .iter()
        .all(|name| Reflect::has(&window, &(*name).into()).unwrap_or(false))
        && Reflect::has(&window.navigator(), &"serviceWorker".into()).unwrap_or(false)
}

/// The app's service worker, once it runs.
async fn registration() -> Result<ServiceWorkerRegistration, JsValue> {
    let ready = web_sys::window()
        .ok_or(JsValue::NULL)?
        .navigator()
        .service_worker()
        .ready()?;
    Ok(JsFuture::from(ready).await?.unchecked_into())
}

async fn push_manager() -> Result<PushManager, JsValue> {
    registration().await?.push_manager()
}

/// This browser's subscription, if it has one.
async fn current() -> Result<Option<PushSubscription>, JsValue> {
    let found = JsFuture::from(push_manager().await?.get_subscription()?).await?;
    Ok(found.dyn_into::<PushSubscription>().ok())
}

/// Where notifications stand now.
pub async fn standing() -> Standing {
    if !available() {
        return Standing::Unavailable;
    }
    match Notification::permission() {
        NotificationPermission::Denied => Standing::Refused,
        NotificationPermission::Granted if matches!(current().await, Ok(Some(_))) => Standing::On,
        _ => Standing::Off,
    }
}

/// A subscription as the portal takes it.
fn as_sent(subscription: &PushSubscription) -> Result<WebPushSubscription, JsValue> {
    // `toJSON()` gives the keys base64url, as the portal reads them.
    let json = JSON::parse(
        &JSON::stringify(subscription)?
            .as_string()
            .unwrap_or_default(),
    )?;
    serde_wasm_bindgen::from_value(json).map_err(JsValue::from)
}

/// Ask the user, subscribe, and tell the portal for each of `devices`;
/// where notifications stand then. A prompt closed without an answer
/// leaves them off; a device the portal does not take does not keep the
/// others from being told, but is reported.
pub async fn turn_on(devices: &[Device<'_>]) -> Result<Standing, Key> {
    if !available() {
        return Ok(Standing::Unavailable);
    }
    let asked = Notification::request_permission().map_err(|_| Key::PhoneNotifyFailed)?;
    let answer = JsFuture::from(asked)
        .await
        .map_err(|_| Key::PhoneNotifyFailed)?;
    match answer.as_string().as_deref() {
        Some("granted") => {}
        Some("denied") => return Ok(Standing::Refused),
        _ => return Ok(Standing::Off),
    }
    let subscription = match current().await {
        Ok(Some(subscription)) => subscription,
        _ => subscribe().await.map_err(|_| Key::PhoneNotifyFailed)?,
    };
    let sent = as_sent(&subscription).map_err(|_| Key::PhoneNotifyFailed)?;
    let mut all_told = true;
    for device in devices {
        all_told &= api::subscribe(*device, &sent).await.is_ok();
    }
    if all_told {
        Ok(Standing::On)
    } else {
        Err(Key::PhoneNotifyFailed)
    }
}

/// A new subscription with the portal's key.
async fn subscribe() -> Result<PushSubscription, JsValue> {
    let key = api::push_key().await.map_err(|_| JsValue::NULL)?;
    let options = PushSubscriptionOptionsInit::new();
    options.set_user_visible_only(true);
    // A base64url string is a key as the Push API takes it.
    options.set_application_server_key(&JsValue::from_str(&key.public_key));
    let promise: Promise = push_manager().await?.subscribe_with_options(&options)?;
    Ok(JsFuture::from(promise).await?.unchecked_into())
}

/// Where notifications are on, the portal learns (again) where to wake
/// `device`: a device added since, or one the portal forgot (its push
/// service once called the subscription gone). Nothing happens where they
/// are off.
pub async fn share_with(device: Device<'_>) {
    if !available() || Notification::permission() != NotificationPermission::Granted {
        return;
    }
    if let Ok(Some(subscription)) = current().await
        && let Ok(sent) = as_sent(&subscription)
    {
        let _ = api::subscribe(device, &sent).await;
    }
}

/// The notifications of sign-ins the app shows, closed: once the app has
/// answered, they are out of date.
pub async fn clear() {
    if !available() {
        return;
    }
    let Ok(registration) = registration().await else {
        return;
    };
    let Ok(promise) = registration.get_notifications() else {
        return;
    };
    if let Ok(shown) = JsFuture::from(promise).await {
        for notification in js_sys::Array::from(&shown).iter() {
            let notification: Notification = notification.unchecked_into();
            if notification.tag().as_deref() == Some(SIGN_IN_TAG) {
                notification.close();
            }
        }
    }
}

/// The tag of the service worker's notifications (`sw.js`).
const SIGN_IN_TAG: &str = "sign-in";

/// The service worker's address, carrying the notification's texts in
/// `lang`: registering it again in another language updates it.
pub fn worker_address(lang: Lang) -> String {
    let encode = |text: &str| String::from(js_sys::encode_uri_component(text));
    format!(
        "sw.js?title={}&body={}",
        encode(Key::PhoneWaiting.text(lang)),
        encode(Key::PhoneNotificationBody.text(lang)),
    )
}
