//! Where a request comes from, as the browser says it.

use axum::http::{HeaderMap, HeaderName, header};

/// Whether the browser says a navigation comes from another site (another
/// registrable domain: not the applications under the portal's domain).
pub fn is_from_another_site(headers: &HeaderMap) -> bool {
    headers
        .get(HeaderName::from_static("sec-fetch-site"))
        .is_some_and(|site| site.as_bytes() == b"cross-site")
}

/// Whether the browser says the request comes from anywhere but this
/// origin.
pub fn is_cross_site(headers: &HeaderMap) -> bool {
    const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");
    if let Some(site) = headers.get(SEC_FETCH_SITE) {
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    let origin_host = origin
        .split_once("://")
        .map_or(origin, |(_, rest)| rest)
        .trim_end_matches('/');
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    !origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// Request headers made of `pairs`.
    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn cross_site_requests_are_recognised() {
        assert!(!is_cross_site(&headers(&[])));
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "http://portal.example:8080"),
            ("host", "portal.example:8080"),
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "portal.example"),
        ])));
    }

    #[test]
    fn only_another_registrable_domain_is_another_site() {
        assert!(is_from_another_site(&headers(&[(
            "sec-fetch-site",
            "cross-site"
        )])));
        assert!(!is_from_another_site(&headers(&[(
            "sec-fetch-site",
            "same-site"
        )])));
        assert!(!is_from_another_site(&headers(&[])));
    }
}
