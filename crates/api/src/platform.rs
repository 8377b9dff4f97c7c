//! Which operating system the visitor uses, for the download link of the
//! workspace client app.

use crate::ClientDownloads;

/// An operating system with a client download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
