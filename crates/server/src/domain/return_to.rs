//! Where the browser goes after signing in when an application sent it
//! (`rd`): back to that application, but only when the address's scheme and
//! host are allowed (`allowed_return_domains` and the hosts of the
//! configured applications). Anything else is ignored: no open redirect.

use url::Url;

/// The address to send the browser to, written out anew, when `rd` is an
/// absolute http(s) address without user information whose scheme and
/// host `allowed` (entries as in `allowed_return_domains`) or an
/// application's address (`applications`) permit.
pub fn allowed_return(rd: &str, allowed: &[String], applications: &[String]) -> Option<String> {
    // Addresses with spaces, control characters or backslashes are never
    // meant: browsers read `\` as `/`, which makes other hosts of them.
    if rd.is_empty()
        || rd
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\')
    {
        return None;
    }
    let lower = rd.to_ascii_lowercase();
    if !(lower.starts_with("https://") || lower.starts_with("http://")) {
        return None;
    }
    let url = Url::parse(rd).ok()?;
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let scheme = url.scheme();
    let permitted = allowed
        .iter()
        .any(|entry| entry_permits(entry, scheme, &host))
        || applications.iter().any(|app| {
            Url::parse(app).is_ok_and(|app| {
                app.scheme() == scheme
                    && app
                        .host_str()
                        .is_some_and(|h| h.eq_ignore_ascii_case(&host))
            })
        });
    permitted.then(|| url.to_string())
}

/// Whether `entry` (`host`, `*.domain`, or either after `scheme://`)
/// permits `scheme` and `host`. Without a scheme, only https.
fn entry_permits(entry: &str, scheme: &str, host: &str) -> bool {
    let entry = entry.trim().to_ascii_lowercase();
    let (entry_scheme, pattern) = entry.split_once("://").unwrap_or(("https", entry.as_str()));
    let pattern = pattern.trim_end_matches('/');
    if entry_scheme != scheme || pattern.is_empty() {
        return false;
    }
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .strip_suffix(domain)
            .is_some_and(|sub| sub.len() > 1 && sub.ends_with('.')),
        None => host == pattern,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed(rd: &str) -> Option<String> {
        allowed_return(
            rd,
            &[
                "mail.example.nl".into(),
                "*.apps.example.nl".into(),
                "http://intranet.local".into(),
            ],
            &["https://wiki.example.nl/start".into(), "/intranet".into()],
        )
    }

    #[test]
    fn allowed_hosts_and_schemes_are_returned_to() {
        assert_eq!(
            allowed("https://mail.example.nl/inbox?id=3#top").as_deref(),
            Some("https://mail.example.nl/inbox?id=3#top")
        );
        assert_eq!(
            allowed("HTTPS://MAIL.EXAMPLE.NL/").as_deref(),
            Some("https://mail.example.nl/")
        );
        assert!(allowed("https://crm.apps.example.nl/").is_some());
        assert!(allowed("https://a.b.apps.example.nl/x").is_some());
        assert!(allowed("http://intranet.local/").is_some());
        assert!(allowed("https://wiki.example.nl/other/page").is_some());
    }

    #[test]
    fn everything_else_is_ignored() {
        for rd in [
            "",
            "https://evil.example/",
            "http://mail.example.nl/",
            "https://intranet.local/",
            "//evil.example/",
            "/signed-in",
            "https:evil.example",
            "javascript:alert(1)",
            "data:text/html,hi",
            "https://mail.example.nl@evil.example/",
            "https://user:pw@mail.example.nl/",
            "https://evil.example\\@mail.example.nl/",
            "https://mail.example.nl.evil.example/",
            "https://apps.example.nl/",
            "https://evilapps.example.nl/",
            "https://mail.example.nl%2F@evil.example/",
            "https://evil.example%2F%2Fmail.example.nl/",
            "https://evil.example/?mail.example.nl",
            "https://evil.example/#https://mail.example.nl/",
            "https://mail.example.nl /",
            "https://mail.example.nl\t/",
            "\thttps://mail.example.nl/",
            "https://wiki.example.nl.evil.example/",
        ] {
            assert_eq!(allowed(rd), None, "{rd:?}");
        }
    }
}
