//! HTTP only: the router, the security headers, the cross-site check and the
//! built single page app. Handlers extract, call the domain and the store,
//! and map the result.

pub mod authenticator;
pub mod branding;
pub mod devices;
pub mod extract;
pub mod login;
pub mod push;
pub mod return_cookie;
pub mod verify;

use std::path::Path;
use std::time::Duration;

use aanmelden_api::API_PREFIX;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::error::ApiError;
use crate::{AppState, metrics, plain};

/// The whole application: the API under [`API_PREFIX`] and the SPA at `/`.
pub fn router(app: AppState) -> Router {
    let spa_dir = app.config.spa_dir.clone();
    let app_is_https = app.config.is_https();
    let csp = content_security_policy(&spa_dir.join("index.html"), &return_sources(&app.config));
    let api = api_routes(&app);
    let forms = form_routes(&app);
    let reset = get(plain::reset).with_state(app.clone());
    let metrics = get(metrics::show).with_state(app.clone());
    let leave = get(plain::logged_off::leave).with_state(app.clone());
    let pages = get(plain::show)
        .layer(middleware::from_fn_with_state(
            app.clone(),
            metrics::time_pages,
        ))
        .with_state(app);
    // The brotli and gzip copies `cargo xtask build` writes beside the files.
    let files = ServeDir::new(&spa_dir)
        .precompressed_br()
        .precompressed_gzip()
        .fallback(pages.clone());
    let files = tower::ServiceBuilder::new()
        .layer(middleware::from_fn(file_caching))
        .service(files);
    // Behind https, browsers are told to come back over https only.
    let hsts = app_is_https.then(|| {
        SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        )
    });
    Router::new()
        .nest(API_PREFIX, api)
        .route("/api", any(api_not_found))
        .route("/api/{*rest}", any(api_not_found))
        .nest(plain::FORMS, forms)
        .route_service(plain::RESET_PATH, reset)
        .route(plain::KIOSK_RESET_SCRIPT, get(plain::kiosk_reset_script))
        .route(plain::COPY_SECRET_SCRIPT, get(plain::copy_secret_script))
        .route_service(plain::LEAVE_PATH, leave)
        .route_service("/metrics", metrics)
        .route_service("/", pages.clone())
        .route_service("/index.html", pages)
        .fallback_service(files)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // No address leaves for other sites. Within the portal the browser
        // keeps naming the page's origin in `Origin` (with `no-referrer` a
        // form would post `Origin: null`, which the cross-site check refuses
        // where no `Sec-Fetch-Site` is sent: over plain http).
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(tower::util::option_layer(hsts))
}

/// How long browsers keep the portal's files. Trunk names what it builds
/// with a hash of the contents, so such a file never changes and is kept a
/// year; anything else is asked for again each time (and answered "not
/// modified" while it is the same). Pages set their own `no-store`.
async fn file_caching(request: Request, next: Next) -> Response {
    let immutable = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if immutable {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            }),
        );
    }
    // The same address answers brotli, gzip or neither, by Accept-Encoding.
    headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether the file's name carries a content hash, as Trunk writes it:
/// `aanmelden-web-4f9a0c1d2e3b5a6c_bg.wasm`, `style-0123456789abcdef.css`
/// (12 to 16 hexadecimal digits; fewer when the hash starts with zeros).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    name.split(['-', '_', '.'])
        .any(|part| (12..=16).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The JSON API, under [`API_PREFIX`].
fn api_routes(app: &AppState) -> Router {
    Router::new()
        .route("/branding", get(branding::show))
        .route("/auth/verify", get(verify::verify))
        .route("/login/identify", post(login::identify))
        .route("/login/password", post(login::password))
        .route("/login/otp", post(login::otp))
        .route("/login/push", post(push::start))
        .route("/login/push/{id}", get(push::wait))
        .route("/authenticator/challenges", get(authenticator::list))
        .route(
            "/authenticator/challenges/{id}",
            post(authenticator::answer),
        )
        .route("/session", get(login::session))
        .route("/return", post(login::take_return))
        .route("/logout", post(login::logout))
        .route("/devices", get(devices::list).post(devices::add))
        .route("/devices/{id}", axum::routing::delete(devices::remove))
        .route("/devices/{id}/activate", post(devices::activate))
        .route("/devices/{id}/test", post(devices::test))
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            metrics::time_routes,
        ))
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(app.config.max_body_bytes))
        .layer(RequestBodyTimeoutLayer::new(Duration::from_secs(
            app.config.body_read_timeout_s,
        )))
        .layer(middleware::from_fn(same_site_only))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(app.clone())
}

/// The plain pages' forms, under /flow (every address of the portal shows
/// the page of the session's step, which the app takes over where it runs).
fn form_routes(app: &AppState) -> Router {
    Router::new()
        .route("/identify", post(plain::identify::submit))
        .route("/password", post(plain::password::submit))
        .route("/otp", post(plain::otp::submit))
        .route("/push", post(plain::push::resend))
        .route("/push/wait", post(plain::push::wait))
        .route("/devices", post(plain::devices::add))
        .route("/devices/test", post(plain::devices::test))
        .route("/devices/remove", post(plain::devices::ask_remove))
        .route("/devices/{id}/activate", post(plain::devices::activate))
        .route("/devices/{id}/remove", post(plain::devices::remove))
        .route("/logout", post(plain::logged_off::submit))
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            metrics::time_routes,
        ))
        .fallback(plain::no_such_form)
        .layer(DefaultBodyLimit::max(app.config.max_body_bytes))
        .layer(middleware::from_fn(same_site_only))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(app.clone())
}

async fn api_not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::Validation {
        field: None,
        message: "method not allowed".to_owned(),
    }
}

/// Refuse state-changing requests sent by another site: the browser says so
/// in `Sec-Fetch-Site`, or older ones in an `Origin` that is not this host.
async fn same_site_only(request: Request, next: Next) -> Result<Response, ApiError> {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && is_cross_site(request.headers()) {
        return Err(ApiError::Forbidden);
    }
    Ok(next.run(request).await)
}

fn is_cross_site(headers: &axum::http::HeaderMap) -> bool {
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

/// What the plain pages' `<head>` takes from the built app's index.html
/// (empty when it is not built).
#[derive(Debug, Default)]
pub struct PageHead {
    /// Everything after its `<title>`: the stylesheet, the loader script
    /// and the preloads, with Trunk's hashed names.
    pub with_app: String,
    /// Only the stylesheet, for the pages the app leaves to the server.
    pub styles: String,
}

impl PageHead {
    pub fn read(spa_dir: &Path) -> Self {
        let html = std::fs::read_to_string(spa_dir.join("index.html")).unwrap_or_default();
        let Some((_, after_title)) = html.split_once("</title>") else {
            return Self::default();
        };
        let with_app = after_title
            .split_once("</head>")
            .map_or(after_title, |(head, _)| head)
            .trim()
            .to_owned();
        let styles = with_app
            .match_indices("<link rel=\"stylesheet\"")
            .filter_map(|(start, _)| {
                let rest = &with_app[start..];
                rest.find('>').map(|end| &rest[..=end])
            })
            .collect();
        Self { with_app, styles }
    }
}

/// A policy without 'unsafe-inline': the inline loader script that Trunk
/// writes into index.html is allowed by its hash.
fn content_security_policy(index_html: &Path, form_targets: &str) -> HeaderValue {
    let html = std::fs::read_to_string(index_html).unwrap_or_default();
    let hashes = inline_scripts(&html).fold(String::new(), |mut out, script| {
        out.push_str(" 'sha256-");
        out.push_str(&BASE64.encode(Sha256::digest(script)));
        out.push('\'');
        out
    });
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{hashes}; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'{form_targets}; \
         frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"))
}

/// Where a form's redirects may lead besides the portal: back to the
/// applications an `rd` may name (browsers hold the redirects after a form
/// post to `form-action`), each as ` scheme://host:*`.
fn return_sources(config: &crate::config::Config) -> String {
    let entries = config.allowed_return_domains.iter().map(|entry| {
        let entry = entry.trim().trim_end_matches('/');
        if entry.contains("://") {
            entry.to_owned()
        } else {
            format!("https://{entry}")
        }
    });
    let applications = config.applications.iter().filter_map(|app| {
        let url = url::Url::parse(&app.url).ok()?;
        Some(format!("{}://{}", url.scheme(), url.host_str()?))
    });
    entries
        .chain(applications)
        .filter(|source| {
            source
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ":/.-*".contains(c))
        })
        .fold(String::new(), |mut out, source| {
            out.push(' ');
            out.push_str(&source);
            out.push_str(":*");
            out
        })
}

/// The contents of `<script>` elements without a `src`.
fn inline_scripts(html: &str) -> impl Iterator<Item = &str> {
    html.split("<script").skip(1).filter_map(|rest| {
        let (attributes, body) = rest.split_once('>')?;
        if attributes.contains("src=") {
            return None;
        }
        body.split_once("</script>").map(|(script, _)| script)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderMap;

    /// Request headers made of `pairs`.
    pub(super) fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
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
    fn built_files_with_a_content_hash_are_recognised() {
        assert!(is_hashed("/aanmelden-web-4f9a0c1d2e3b5a6c_bg.wasm"));
        assert!(is_hashed("/aanmelden-web-4f9a0c1d2e3b5a6c.js"));
        assert!(is_hashed("/style-f9a0c1d2e3b5a6c.css"));
        assert!(!is_hashed("/favicon.svg"));
        assert!(!is_hashed("/apparaten"));
        assert!(!is_hashed("/"));
        assert!(!is_hashed("/logo-2024.png"));
    }

    #[test]
    fn inline_scripts_are_found_and_external_ones_skipped() {
        let html = r#"<script src="/a.js"></script><script type="module">init()</script>"#;
        assert_eq!(inline_scripts(html).collect::<Vec<_>>(), ["init()"]);
    }

    #[test]
    fn policy_allows_inline_loader_by_hash_only() {
        let dir = tempfile::tempdir().unwrap();
        let index = dir.path().join("index.html");
        std::fs::write(&index, "<script type=\"module\">init()</script>").unwrap();
        let policy = content_security_policy(&index, " https://mail.example.nl:*");
        let policy = policy.to_str().unwrap();
        assert!(policy.contains("'sha256-"), "{policy}");
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"));
    }
}
