//! The phone's camera reads the portal's QR code: frames of the back
//! camera, drawn small onto a canvas, made grey and searched by the QR
//! decoder in Rust (rqrr) that `qr.wasm` holds, a module of its own that
//! loads when the user scans. Where the browser has a decoder of its own
//! (`BarcodeDetector`, on Android), that one looks first.

use js_sys::{Array, Function, Object, Reflect, Uint8Array, WebAssembly};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    CanvasRenderingContext2d, HtmlCanvasElement, HtmlVideoElement, MediaStream,
    MediaStreamConstraints, MediaStreamTrack,
};

/// The longer side of a frame as the decoder reads it: QR codes on a
/// screen held before the phone read well at this size, and larger frames
/// only cost time.
const LONGER_SIDE: u32 = 960;

/// `HAVE_CURRENT_DATA`: the video has a frame to draw.
const HAS_A_FRAME: u16 = 2;

/// The back camera. Fails where there is no camera or the user does not
/// allow it.
pub async fn open() -> Result<MediaStream, JsValue> {
    let devices = web_sys::window()
        .ok_or(JsValue::NULL)?
        .navigator()
        .media_devices()?;
    let wanted = Object::new();
    Reflect::set(&wanted, &"facingMode".into(), &"environment".into())?;
    let constraints = MediaStreamConstraints::new();
    constraints.set_video(&wanted);
    constraints.set_audio(&JsValue::FALSE);
    let stream: MediaStream =
        JsFuture::from(devices.get_user_media_with_constraints(&constraints)?)
            .await?
            .unchecked_into();
    Ok(stream)
}

/// `stream` playing in `video`.
pub fn show(stream: &MediaStream, video: &HtmlVideoElement) {
    video.set_muted(true);
    video.set_src_object(Some(stream));
    // Playing starts by itself (autoplay, muted); the promise only reports.
    let _ = video.play();
}

/// The camera off: its light goes out.
pub fn close(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        track.unchecked_into::<MediaStreamTrack>().stop();
    }
}

/// The browser's own QR decoder, where it has one.
pub fn native_detector() -> Option<JsValue> {
    let window = web_sys::window()?;
    let constructor = Reflect::get(&window, &"BarcodeDetector".into()).ok()?;
    let constructor = constructor.dyn_into::<Function>().ok()?;
    let options = Object::new();
    let formats: Array = std::iter::once(JsValue::from_str("qr_code")).collect();
    Reflect::set(&options, &"formats".into(), &formats).ok()?;
    Reflect::construct(
        &constructor,
        &std::iter::once(JsValue::from(options)).collect(),
    )
    .ok()
}

/// The QR decoder (`qr.wasm`, beside the app), loaded.
pub struct Decoder {
    memory: WebAssembly::Memory,
    frame: Function,
    decode: Function,
    text: Function,
}

impl Decoder {
    /// Fetch and start the decoder: the download begins at once, while
    /// the camera is asked for.
    pub fn load() -> impl Future<Output = Result<Self, JsValue>> {
        let loading = web_sys::window().map(|window| {
            JsFuture::from(WebAssembly::instantiate_streaming(
                &window.fetch_with_str("qr.wasm"),
                &Object::new(),
            ))
        });
        async move {
            let loaded = loading.ok_or(JsValue::NULL)?.await?;
            let instance = Reflect::get(&loaded, &"instance".into())?;
            let exports = Reflect::get(&instance, &"exports".into())?;
            let export = |name: &str| Reflect::get(&exports, &name.into());
            Ok(Self {
                memory: export("memory")?.dyn_into()?,
                frame: export("frame")?.dyn_into()?,
                decode: export("decode")?.dyn_into()?,
                text: export("text")?.dyn_into()?,
            })
        }
    }

    /// The text of the first QR code in a greyscale frame, if any; an
    /// error where the module failed (after a panic it cannot be used
    /// again).
    fn read(&self, width: u32, height: u32, grey: &[u8]) -> Result<Option<String>, JsValue> {
        let (w, h) = (JsValue::from(width), JsValue::from(height));
        let at = as_u32(&self.frame.call2(&JsValue::NULL, &w, &h)?)?;
        // The memory may have grown for the frame: its buffer is looked up
        // after.
        let length = u32::try_from(grey.len()).map_err(|_| JsValue::NULL)?;
        Uint8Array::new_with_byte_offset_and_length(&self.memory.buffer(), at, length)
            .copy_from(grey);
        let found = as_u32(&self.decode.call2(&JsValue::NULL, &w, &h)?)?;
        if found == 0 {
            return Ok(None);
        }
        let text = as_u32(&self.text.call0(&JsValue::NULL)?)?;
        let bytes = Uint8Array::new_with_byte_offset_and_length(&self.memory.buffer(), text, found);
        Ok(String::from_utf8(bytes.to_vec()).ok())
    }
}

/// A WebAssembly `i32` as JavaScript gives it (signed), as the `u32` it
/// stands for (a length, or a place in memory).
fn as_u32(value: &JsValue) -> Result<u32, JsValue> {
    let number = value.as_f64().ok_or(JsValue::NULL)?;
    #[allow(
        clippy::cast_possible_truncation,
        reason = "checked to be whole and in range just below"
    )]
    let whole = number as i32;
    if f64::from(whole).to_bits() == number.to_bits() {
        Ok(whole.cast_unsigned())
    } else {
        Err(JsValue::NULL)
    }
}

/// The text of a QR code in the frame `video` shows now, if there is one;
/// an error where the decoder failed.
pub async fn read(
    video: &HtmlVideoElement,
    canvas: &HtmlCanvasElement,
    decoder: &Decoder,
    detector: Option<&JsValue>,
) -> Result<Option<String>, JsValue> {
    if video.ready_state() < HAS_A_FRAME || video.video_width() == 0 {
        return Ok(None);
    }
    if let Some(detector) = detector
        && let Some(text) = read_natively(detector, video).await
    {
        return Ok(Some(text));
    }
    let (width, height) = scaled(video.video_width(), video.video_height());
    canvas.set_width(width);
    canvas.set_height(height);
    let options = Object::new();
    Reflect::set(&options, &"willReadFrequently".into(), &JsValue::TRUE)?;
    let context: CanvasRenderingContext2d = canvas
        .get_context_with_context_options("2d", &options)?
        .ok_or(JsValue::NULL)?
        .dyn_into()?;
    let (w, h) = (f64::from(width), f64::from(height));
    // A frame that cannot be drawn or read is passed over.
    if context
        .draw_image_with_html_video_element_and_dw_and_dh(video, 0.0, 0.0, w, h)
        .is_err()
    {
        return Ok(None);
    }
    let Ok(image) = context.get_image_data(0.0, 0.0, w, h) else {
        return Ok(None);
    };
    decoder.read(width, height, &grey(&image.data()))
}

async fn read_natively(detector: &JsValue, video: &HtmlVideoElement) -> Option<String> {
    let detect: Function = Reflect::get(detector, &"detect".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let promise: js_sys::Promise = detect.call1(detector, video).ok()?.dyn_into().ok()?;
    let found: Array = JsFuture::from(promise).await.ok()?.dyn_into().ok()?;
    found
        .iter()
        .find_map(|code| Reflect::get(&code, &"rawValue".into()).ok()?.as_string())
}

/// `width` × `height` made to fit [`LONGER_SIDE`], never larger.
fn scaled(width: u32, height: u32) -> (u32, u32) {
    let longer = width.max(height);
    if longer <= LONGER_SIDE {
        return (width, height);
    }
    let shrink = |side: u32| {
        u32::try_from(u64::from(side) * u64::from(LONGER_SIDE) / u64::from(longer)).unwrap_or(1)
    };
    (shrink(width).max(1), shrink(height).max(1))
}

/// An RGBA image in grey, one byte a pixel: luma (ITU-R BT.601) in whole
/// numbers.
fn grey(rgba: &[u8]) -> Vec<u8> {
    rgba.chunks_exact(4)
        .map(|pixel| {
            let [r, g, b] = [pixel[0], pixel[1], pixel[2]].map(u32::from);
            u8::try_from((77 * r + 150 * g + 29 * b) >> 8).unwrap_or(u8::MAX)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_frames_shrink_to_the_longer_side() {
        assert_eq!(scaled(640, 480), (640, 480));
        assert_eq!(scaled(1920, 1080), (960, 540));
        assert_eq!(scaled(1080, 1920), (540, 960));
    }

    #[test]
    fn grey_as_luma() {
        let rgba = [
            0, 0, 0, 255, 255, 255, 255, 255, 255, 0, 0, 255, 0, 255, 0, 0,
        ];
        assert_eq!(grey(&rgba), [0, 255, 76, 149]);
        assert_eq!(grey(&[1, 2, 3]), Vec::<u8>::new());
    }
}
