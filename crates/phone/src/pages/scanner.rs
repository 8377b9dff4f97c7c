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

/// The camera's picture and the buttons that start and stop it.
#[component]
pub fn Scanner(#[prop(into)] on_found: Callback<String>) -> impl IntoView {
    let phone = use_phone();
    let state = RwSignal::new(Camera::Off);
    let problem = RwSignal::new(None::<Key>);
    let video = NodeRef::<leptos::html::Video>::new();

    let start = move |_| {
        if state.get_untracked() != Camera::Off {
            return;
        }
        let Some(element) = video.get_untracked() else {
            return;
        };
        problem.set(None);
        state.set(Camera::Starting);
        spawn_local(async move {
            // The decoder loads while the user allows the camera.
            let loading = Decoder::load();
            let opened = camera::open(&element).await;
            let Ok(decoder) = loading.await else {
                if let Ok(stream) = opened {
                    camera::close(&stream);
                    element.set_src_object(None);
                }
                state.try_set(Camera::Off);
                problem.try_set(Some(Key::PhoneScannerFailed));
                return;
            };
            match opened {
                Ok(stream) if state.try_get_untracked() == Some(Camera::Starting) => {
                    state.set(Camera::On);
                    let found = read_until_found(&stream, &element, &decoder, state, problem).await;
                    if let Some(text) = found
                        && state.try_get_untracked().is_some()
                    {
                        on_found.run(text);
                    }
                }
                // Stopped (or the screen closed) while the user was asked.
                Ok(stream) => {
                    camera::close(&stream);
                    element.set_src_object(None);
                }
                Err(_) => {
                    state.try_set(Camera::Off);
                    problem.try_set(Some(Key::PhoneNoCamera));
                }
            }
        });
    };

    let controls = move || match state.get() {
        Camera::Off => view! {
            <button type="button" id="scan" class="primary" on:click=start>
                {phone.t(Key::PhoneScan)}
            </button>
        }
        .into_any(),
        Camera::Starting | Camera::On => view! {
            <p class="hint" role="status">{phone.t(Key::PhoneScanHint)}</p>
            <button type="button" id="stop-scan" on:click=move |_| state.set(Camera::Off)>
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
                hidden=move || state.get() == Camera::Off
            ></video>
            {controls}
            <p class="alert" role="alert">
                {move || problem.get().map(|key| key.text(phone.lang.get()))}
            </p>
        </div>
    }
}

/// Frames of `video` read until one holds a QR code, the scanner is
/// stopped or closed, or it gives up; then the camera off.
async fn read_until_found(
    stream: &MediaStream,
    video: &HtmlVideoElement,
    decoder: &Decoder,
    state: RwSignal<Camera>,
    problem: RwSignal<Option<Key>>,
) -> Option<String> {
    let canvas = document()
        .create_element("canvas")
        .ok()
        .and_then(|canvas| canvas.dyn_into::<HtmlCanvasElement>().ok());
    let detector = camera::native_detector();
    let started = js_sys::Date::now();
    let found = loop {
        sleep(READ_EVERY_MS).await;
        if state.try_get_untracked() != Some(Camera::On) || !video.is_connected() {
            break None;
        }
        if js_sys::Date::now() - started > GIVE_UP_AFTER_MS {
            problem.try_set(Some(Key::PhoneScanGaveUp));
            break None;
        }
        let Some(canvas) = &canvas else {
            problem.try_set(Some(Key::PhoneNoCamera));
            break None;
        };
        if let Some(text) = camera::read(video, canvas, decoder, detector.as_ref()).await {
            break Some(text);
        }
    };
    camera::close(stream);
    video.set_src_object(None);
    state.try_set(Camera::Off);
    found
}

/// Wait `ms` milliseconds.
async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = window().set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
    });
    let _ = JsFuture::from(promise).await;
}
