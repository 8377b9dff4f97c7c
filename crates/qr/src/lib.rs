//! The QR decoder of the phone app, as a WebAssembly module of its own
//! (`/telefoon/qr.wasm`) that the app loads when the user scans: the app's
//! daily work, codes and answers, never downloads it. It has plain exports
//! and no glue: the app asks [`frame`] for room for a greyscale frame,
//! writes the frame there, calls [`decode`], and reads the text at
//! [`text`].

use std::sync::{Mutex, PoisonError};

/// The frame the app writes, one byte a pixel.
static FRAME: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// The text [`decode`] found.
static TEXT: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// Room for a greyscale frame of `width` × `height`, one byte a pixel
/// (0 black, 255 white), row by row; where it starts in memory.
#[allow(unsafe_code, reason = "an export the app finds by its name")]
#[unsafe(no_mangle)]
pub extern "C" fn frame(width: u32, height: u32) -> *mut u8 {
    let mut frame = FRAME.lock().unwrap_or_else(PoisonError::into_inner);
    frame.clear();
    frame.resize(pixels(width, height), 0);
    frame.as_mut_ptr()
}

/// Look for a QR code in the frame of `width` × `height` the app wrote;
/// the length in bytes of its text (UTF-8), 0 where there is none.
#[allow(unsafe_code, reason = "an export the app finds by its name")]
#[unsafe(no_mangle)]
pub extern "C" fn decode(width: u32, height: u32) -> u32 {
    let frame = FRAME.lock().unwrap_or_else(PoisonError::into_inner);
    let found = read(width as usize, height as usize, &frame).unwrap_or_default();
    let mut text = TEXT.lock().unwrap_or_else(PoisonError::into_inner);
    *text = found.into_bytes();
    u32::try_from(text.len()).unwrap_or(0)
}

/// Where the text [`decode`] found starts in memory.
#[allow(unsafe_code, reason = "an export the app finds by its name")]
#[unsafe(no_mangle)]
pub extern "C" fn text() -> *const u8 {
    TEXT.lock().unwrap_or_else(PoisonError::into_inner).as_ptr()
}

fn pixels(width: u32, height: u32) -> usize {
    (width as usize).saturating_mul(height as usize)
}

/// The text of the first QR code found in a greyscale image.
pub fn read(width: usize, height: usize, grey: &[u8]) -> Option<String> {
    if width == 0 || height == 0 || grey.len() < width.saturating_mul(height) {
        return None;
    }
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| grey[y * width + x]);
    image
        .detect_grids()
        .iter()
        .find_map(|grid| grid.decode().ok().map(|(_, text)| text))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` as a QR code, `scale` pixels a module, dark on light, in the
    /// middle of a greyscale image of `width` × `height`.
    fn image_of(text: &str, scale: usize, width: usize, height: usize) -> Vec<u8> {
        let code = qrcode::QrCode::new(text).unwrap();
        let modules = code.width();
        let colors = code.to_colors();
        let left = (width - modules * scale) / 2;
        let top = (height - modules * scale) / 2;
        let mut grey = vec![0xf0; width * height];
        for y in 0..modules * scale {
            for x in 0..modules * scale {
                if colors[(y / scale) * modules + x / scale] == qrcode::Color::Dark {
                    grey[(top + y) * width + left + x] = 0x20;
                }
            }
        }
        grey
    }

    const URI: &str = "otpauth://totp/Aanmelden:jan?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\
                       &issuer=Aanmelden&aanmelden_device=17\
                       &aanmelden_server=https%3A%2F%2Fportal.example";

    #[test]
    fn the_portal_qr_code_reads_back() {
        let grey = image_of(URI, 4, 640, 480);
        assert_eq!(read(640, 480, &grey).as_deref(), Some(URI));
    }

    #[test]
    fn through_the_exports_as_the_app_uses_them() {
        let grey = image_of(URI, 3, 320, 240);
        let at = frame(320, 240);
        assert!(!at.is_null());
        FRAME.lock().unwrap().copy_from_slice(&grey);
        let length = decode(320, 240);
        assert_eq!(length as usize, URI.len());
        assert_eq!(TEXT.lock().unwrap().as_slice(), URI.as_bytes());
        assert!(!text().is_null());
    }

    #[test]
    fn no_code_no_text() {
        assert_eq!(read(64, 48, &[0x80; 64 * 48]), None);
        assert_eq!(read(64, 48, &[0; 10]), None);
        assert_eq!(read(0, 0, &[]), None);
    }
}
