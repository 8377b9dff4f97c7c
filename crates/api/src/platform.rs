//! Which operating system and browser the visitor uses: for the download
//! link of the workspace client app, and for the authenticator to show
//! which sign-in it is asked about, in words from a fixed list.

use serde::{Deserialize, Serialize};

use crate::ClientDownloads;

/// An operating system with a client download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Os {
    Windows,
    Mac,
    Linux,
    Ios,
    Android,
}

impl Os {
    pub const ALL: [Self; 5] = [
        Self::Windows,
        Self::Mac,
        Self::Linux,
        Self::Ios,
        Self::Android,
    ];

    /// The operating system a `navigator.userAgent` names. Phones first:
    /// Android says "Linux" and iPads may say "Macintosh" with a touch screen.
    pub fn detect(user_agent: &str, touch_points: i32) -> Option<Self> {
        let ua = user_agent.to_ascii_lowercase();
        if ua.contains("android") {
            Some(Self::Android)
        } else if ua.contains("iphone") || ua.contains("ipad") || ua.contains("ipod") {
            Some(Self::Ios)
        } else if ua.contains("macintosh") || ua.contains("mac os x") {
            Some(if touch_points > 1 {
                Self::Ios
            } else {
                Self::Mac
            })
        } else if ua.contains("windows") {
            Some(Self::Windows)
        } else if ua.contains("linux") || ua.contains("x11") || ua.contains("cros") {
            Some(Self::Linux)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Windows => "Windows",
            Self::Mac => "macOS",
            Self::Linux => "Linux",
            Self::Ios => "iOS",
            Self::Android => "Android",
        }
    }

    /// The configured download link for this system, if any.
    pub fn download(self, downloads: &ClientDownloads) -> Option<&str> {
        match self {
            Self::Windows => downloads.windows.as_deref(),
            Self::Mac => downloads.macos.as_deref(),
            Self::Linux => downloads.linux.as_deref(),
            Self::Ios => downloads.ios.as_deref(),
            Self::Android => downloads.android.as_deref(),
        }
    }
}

/// A browser family, as far as a `User-Agent` names one. Only the family:
/// the rest of that header is the browser's (or anyone's) own free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BrowserFamily {
    Edge,
    Opera,
    Samsung,
    Chrome,
    Firefox,
    Safari,
}

impl BrowserFamily {
    /// The family a `User-Agent` names. Those built on Chrome and Safari
    /// name them too, so they are looked for first.
    pub fn detect(user_agent: &str) -> Option<Self> {
        let ua = user_agent.to_ascii_lowercase();
        if ua.contains("edg/") || ua.contains("edga/") || ua.contains("edgios/") {
            Some(Self::Edge)
        } else if ua.contains("opr/") || ua.contains("opera") {
            Some(Self::Opera)
        } else if ua.contains("samsungbrowser/") {
            Some(Self::Samsung)
        } else if ua.contains("firefox/") || ua.contains("fxios/") {
            Some(Self::Firefox)
        } else if ua.contains("chrome/") || ua.contains("crios/") || ua.contains("chromium/") {
            Some(Self::Chrome)
        } else if ua.contains("safari/") {
            Some(Self::Safari)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Edge => "Edge",
            Self::Opera => "Opera",
            Self::Samsung => "Samsung Internet",
            Self::Chrome => "Chrome",
            Self::Firefox => "Firefox",
            Self::Safari => "Safari",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOWS: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
    const MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15";
    const LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";
    const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
    const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";

    #[test]
    fn detects_each_system() {
        assert_eq!(Os::detect(WINDOWS, 0), Some(Os::Windows));
        assert_eq!(Os::detect(MAC, 0), Some(Os::Mac));
        assert_eq!(Os::detect(LINUX, 0), Some(Os::Linux));
        assert_eq!(Os::detect(IPHONE, 5), Some(Os::Ios));
        assert_eq!(Os::detect(ANDROID, 5), Some(Os::Android));
        assert_eq!(Os::detect("curl/8.0", 0), None);
    }

    #[test]
    fn detects_each_browser_family() {
        const EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0";
        const FIREFOX: &str =
            "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";
        assert_eq!(BrowserFamily::detect(WINDOWS), Some(BrowserFamily::Chrome));
        assert_eq!(BrowserFamily::detect(MAC), Some(BrowserFamily::Safari));
        assert_eq!(BrowserFamily::detect(IPHONE), Some(BrowserFamily::Safari));
        assert_eq!(BrowserFamily::detect(ANDROID), Some(BrowserFamily::Chrome));
        assert_eq!(BrowserFamily::detect(EDGE), Some(BrowserFamily::Edge));
        assert_eq!(BrowserFamily::detect(FIREFOX), Some(BrowserFamily::Firefox));
        assert_eq!(BrowserFamily::detect("typ 42 Mozilla"), None);
    }

    #[test]
    fn an_ipad_posing_as_a_mac_is_ios() {
        assert_eq!(Os::detect(MAC, 5), Some(Os::Ios));
    }

    #[test]
    fn picks_the_configured_link() {
        let downloads = ClientDownloads {
            windows: Some("https://example.nl/win.exe".into()),
            ..ClientDownloads::default()
        };
        assert_eq!(
            Os::Windows.download(&downloads),
            Some("https://example.nl/win.exe")
        );
        assert_eq!(Os::Linux.download(&downloads), None);
    }
}
