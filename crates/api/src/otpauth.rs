//! The otpauth URI behind the portal's QR code, as authenticators read it:
//! its label and parameters are percent-encoded.

/// The parameter that names the device, for answers to sign-ins.
pub const DEVICE_PARAMETER: &str = "aanmelden_device";
/// The parameter that names the portal, for answers to sign-ins.
pub const SERVER_PARAMETER: &str = "aanmelden_server";

/// The value of the parameter `name` in the query of `uri`, decoded.
pub fn parameter(uri: &str, name: &str) -> Option<String> {
    let query = uri.split_once('?').map_or("", |(_, query)| query);
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| percent_decode(value))
}

/// `%XX` escapes and `+` (a space) decoded; a `%` not followed by two
/// hexadecimal digits is kept as it is.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        if let Some(byte) = escaped {
            out.push(byte);
            i += 3;
        } else {
            out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("a%20b%2Fc+d"), "a b/c d");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

    #[test]
    fn parameters_by_name() {
        let uri = "otpauth://totp/A:b?secret=X&issuer=A%20B&aanmelden_device=7";
        assert_eq!(parameter(uri, "issuer").as_deref(), Some("A B"));
        assert_eq!(parameter(uri, DEVICE_PARAMETER).as_deref(), Some("7"));
        assert_eq!(parameter(uri, "secre"), None);
        assert_eq!(parameter("otpauth://totp/A:b", "secret"), None);
    }
}
