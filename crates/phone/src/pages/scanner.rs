//! "QR-code scannen" on the add screen: the back camera's picture, read a
//! few times a second until it holds a QR code, whose text goes to
//! `on_found`. The camera goes off once the code is read, at "Stoppen met
//! scannen", when the screen closes, and after two minutes without a code.

use aanmelden_i18n::Key;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlCanvasElement, HtmlVideoElement, MediaStream};

use crate::camera::{self, Decoder};
use crate::use_phone;

/// How often a frame is read.
const READ_EVERY_MS: i32 = 200;

/// How long the camera stays on without finding a code.
const GIVE_UP_AFTER_MS: f64 = 120_000.0;

/// Where the camera stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Camera {
    Off,
    /// Asked for; the user may be answering the browser's question.
    Starting,
    On,
}

/// One scanner's state. Each start is numbered: a camera that opens for a
/// start since stopped (and perhaps started again) is closed at once, and
/// a loop of an earlier start leaves the state to the later one.
#[derive(Clone, Copy)]
struct Scan {
    state: RwSignal<Camera>,
    problem: RwSignal<Option<Key>>,
    started: StoredValue<u32>,
}

impl Scan {
    /// Whether start `number` is the current one and the camera is `state`.
    fn is(self, number: u32, state: Camera) -> bool {
        self.started.try_get_value() == Some(number)
            && self.state.try_get_untracked() == Some(state)
    }

    /// The camera off for start `number`; the state too, unless a later
    /// start has it.
    fn close(self, number: u32, stream: &MediaStream, video: &HtmlVideoElement) {
        camera::close(stream);
        if self.started.try_get_value() == Some(number) {
            video.set_src_object(None);
            self.state.try_set(Camera::Off);
        }
    }
}

/// The camera's picture and the buttons that start and stop it.
#[component]
pub fn Scanner(#[prop(into)] on_found: Callback<String>) -> impl IntoView {
    let phone = use_phone();
    let scan = Scan {
        state: RwSignal::new(Camera::Off),
        problem: RwSignal::new(None),
        started: StoredValue::new(0),
    };
    let video = NodeRef::<leptos::html::Video>::new();

    let start = move |_| {
        if scan.state.get_untracked() != Camera::Off {
            return;
        }
        let Some(element) = video.get_untracked() else {
            return;
        };
        scan.problem.set(None);
        scan.state.set(Camera::Starting);
        scan.started.update_value(|n| *n += 1);
        let number = scan.started.get_value();
        spawn_local(async move {
            if let Some(text) = scan_once(scan, number, &element).await
                && scan.state.try_get_untracked().is_some()
            {
                on_found.run(text);
            }
        });
    };

    let controls = move || match scan.state.get() {
        Camera::Off => view! {
            <button type="button" id="scan" class="primary" on:click=start>
                {phone.t(Key::PhoneScan)}
            </button>
        }
        .into_any(),
        Camera::Starting | Camera::On => view! {
            <p class="hint" role="status">{phone.t(Key::PhoneScanHint)}</p>
            <button type="button" id="stop-scan" on:click=move |_| scan.state.set(Camera::Off)>
                {phone.t(Key::PhoneScanStop)}
            </button>
        }
        .into_any(),
    };
    view! {
        <div class="scanner">
            <video
                node_ref=video
                id="camera"
                autoplay=true
                muted=true
                playsinline=true
                aria-label=move || Key::PhoneCamera.text(phone.lang.get())
                hidden=move || scan.state.get() == Camera::Off
            ></video>
            {controls}
            <p class="alert" role="alert">
                {move || scan.problem.get().map(|key| key.text(phone.lang.get()))}
            </p>
        </div>
    }
}

/// Start `number`: the camera and the decoder, then frames read until one
/// holds the portal's QR code; its text.
async fn scan_once(scan: Scan, number: u32, video: &HtmlVideoElement) -> Option<String> {
    // The decoder loads while the user allows the camera.
    let loading = Decoder::load();
    let opened = camera::open().await;
    let decoder = loading.await;
    let Ok(stream) = opened else {
        if scan.is(number, Camera::Starting) {
            scan.state.try_set(Camera::Off);
            scan.problem.try_set(Some(Key::PhoneNoCamera));
        }
        return None;
    };
    // Stopped (or the screen closed) while the user was asked: the video
    // is left to whatever start came since.
    if !scan.is(number, Camera::Starting) {
        scan.close(number, &stream, video);
        return None;
    }
    camera::show(&stream, video);
    let Ok(decoder) = decoder else {
        scan.close(number, &stream, video);
        scan.problem.try_set(Some(Key::PhoneScannerFailed));
        return None;
    };
    scan.state.set(Camera::On);
    let found = read_until_found(scan, number, video, decoder).await;
    scan.close(number, &stream, video);
    found
}

/// Frames of `video` read until one holds the portal's QR code (an
/// `otpauth:` link; other QR codes are passed over), the scanner is
/// stopped or closed, or it gives up. A decoder that fails (a panic in it
/// ends its module for good) is loaded anew.
async fn read_until_found(
    scan: Scan,
    number: u32,
    video: &HtmlVideoElement,
    mut decoder: Decoder,
) -> Option<String> {
    let canvas = document()
        .create_element("canvas")
        .ok()
        .and_then(|canvas| canvas.dyn_into::<HtmlCanvasElement>().ok())?;
    let detector = camera::native_detector();
    let started = js_sys::Date::now();
    loop {
        sleep(READ_EVERY_MS).await;
        if !scan.is(number, Camera::On) || !video.is_connected() {
            return None;
        }
        if js_sys::Date::now() - started > GIVE_UP_AFTER_MS {
            scan.problem.try_set(Some(Key::PhoneScanGaveUp));
            return None;
        }
        match camera::read(video, &canvas, &decoder, detector.as_ref()).await {
            Ok(Some(text)) if is_an_account(&text) => return Some(text),
            Ok(_) => {}
            Err(_) => {
                let Ok(fresh) = Decoder::load().await else {
                    scan.problem.try_set(Some(Key::PhoneScannerFailed));
                    return None;
                };
                decoder = fresh;
            }
        }
    }
}

/// Whether a QR code's text is an authenticator app's account.
fn is_an_account(text: &str) -> bool {
    text.trim_start()
        .get(..8)
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("otpauth:"))
}

/// Wait `ms` milliseconds.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_accounts_end_a_scan() {
        assert!(is_an_account("otpauth://totp/A:b?secret=X"));
        assert!(is_an_account(" OTPAUTH://totp/A:b?secret=X"));
        assert!(!is_an_account("https://example.nl/"));
        assert!(!is_an_account("otp"));
        assert!(!is_an_account(""));
    }
}
