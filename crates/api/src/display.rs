//! How both faces of the portal (the single page app and the plain pages)
//! show values of the contract to people, so they show them alike.

/// The key in groups of four, as apps show it and people can type it.
pub fn group_secret(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().filter(|c| !c.is_whitespace()).collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The host of an application's `http(s)://` address, to say which one a
/// page means: `https://wiki.example.nl/pagina` gives `wiki.example.nl`.
/// `None` for anything else (the address comes from the browser's query).
pub fn application_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let plain = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    (plain && (1..=260).contains(&host.len())).then_some(host)
}

/// The otpauth URI as an SVG QR code, drawn where it is shown: nothing is
/// fetched from anywhere.
#[cfg(feature = "qr")]
pub fn qr_svg(uri: &str) -> String {
    use qrcode::QrCode;
    use qrcode::render::svg;
    QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<svg::Color<'_>>()
                .min_dimensions(220, 220)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_applications_host_is_shown_and_nothing_else() {
        assert_eq!(
            application_host("https://wiki.example.nl/pagina?x=1"),
            Some("wiki.example.nl")
        );
        assert_eq!(
            application_host("http://127.0.0.1:8081"),
            Some("127.0.0.1:8081")
        );
        assert_eq!(
            application_host("https://user@mail.example.nl/"),
            Some("mail.example.nl")
        );
        for other in [
            "",
            "/apparaten",
            "javascript:alert(1)",
            "https://",
            "https://a b/",
            "https://<b>/",
        ] {
            assert_eq!(application_host(other), None, "{other}");
        }
    }

    #[test]
    fn secrets_are_grouped_by_four() {
        assert_eq!(
            group_secret("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
            "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
        );
        assert_eq!(group_secret("ABCDEF"), "ABCD EF");
        assert_eq!(group_secret(""), "");
    }

    #[cfg(feature = "qr")]
    #[test]
    fn the_qr_code_is_an_svg_of_the_uri() {
        let svg = qr_svg("otpauth://totp/Missing%20Piece:a%40b.nl?secret=JBSWY3DPEHPK3PXP");
        assert!(svg.contains("<svg") && svg.contains("</svg>"));
    }
}
