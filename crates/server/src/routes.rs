//! HTTP only: the router, the security headers, the cross-site check and the
//! built single page app. Handlers extract, call the domain and the store,
//! and map the result.

pub mod authenticator;
pub mod branding;
pub mod devices;
pub mod extract;
pub mod login;
pub mod phone;
pub mod push;
pub mod verify;

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use aanmelden_api::API_PREFIX;
use axum::Extension;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::handler::Handler;
use axum::http::{Extensions, HeaderMap, HeaderValue, Method, StatusCode, Version, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get, post, put};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::error::ApiError;
use crate::{AppState, http, metrics, plain};

/// The whole application: the API under [`API_PREFIX`] and the SPA at `/`.
pub fn router(app: AppState) -> Router {
    let spa_dir = app.config.spa_dir.clone();
    let app_is_https = app.config.is_https();
    let api = api_routes(&app);
    let forms = form_routes(&app);
    let reset = get(plain::reset).with_state(app.clone());
    let metrics = get(metrics::show).with_state(app.clone());
    let leave = get(plain::logged_off::leave).with_state(app.clone());
    let phone_app = get(phone::page)
        .layer::<_, Infallible>(page_compression())
        .with_state(app.clone());
    let builds = middleware::from_fn_with_state(app.clone(), with_current_build);
    let pages = get(current_page)
        .layer::<_, Infallible>(middleware::from_fn_with_state(
            app.clone(),
            metrics::time_pages,
        ))
        .layer::<_, Infallible>(page_compression())
        .with_state(app);
    // The brotli and gzip copies `cargo xtask build` writes beside the files.
    // A folder's index.html is a build's raw page, never shown: its
    // address shows the server's page, as every unknown address does.
    let files = ServeDir::new(&spa_dir)
        .append_index_html_on_directories(false)
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
        .route(
            plain::RECOVERY_CODES_SCRIPT,
            get(plain::recovery_codes_script),
        )
        .route_service(plain::LEAVE_PATH, leave)
        .route_service(&format!("/{}/", phone::PHONE_BUILD), phone_app.clone())
        .route_service(&format!("/{}/index.html", phone::PHONE_BUILD), phone_app)
        .route(&format!("/{}", phone::PHONE_BUILD), get(phone::to_app))
        .route("/phone", get(phone::to_app_in_english))
        .route("/phone/", get(phone::to_app_in_english))
        .route_service("/metrics", metrics)
        .route_service("/", pages.clone())
        .route_service("/index.html", pages.clone())
        .route_service(&format!("/{DEVICES_BUILD}/index.html"), pages)
        .fallback_service(files)
        .layer(builds)
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

/// The build of the app current as a request comes in goes with it, so
/// that its page and the policy this sets allow the same inline scripts,
/// also when a new build is taken up meanwhile.
async fn with_current_build(
    State(app): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let build = app.builds.current();
    request.extensions_mut().insert(Arc::clone(&build));
    let mut response = next.run(request).await;
    // The phone app's page brings a policy of its own.
    response
        .headers_mut()
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert_with(|| build.policy.clone());
    response
}

/// The page of the session's step, with the app of the request's build.
async fn current_page(
    State(app): State<AppState>,
    build: Option<Extension<Arc<Build>>>,
    request: Request,
) -> Response {
    let build = build.map_or_else(|| app.builds.current(), |Extension(build)| build);
    plain::show.call(request, app.with_build(&build)).await
}

/// Pages go out compressed (they carry the stylesheet), at a level quick
/// enough to spend on every page, except those marked [`plain::Uncompressed`]:
/// a page that holds a secret beside text another site can put there would
/// tell that secret by its size (BREACH). No other page holds one; a token
/// added to the forms must be masked anew for each page, or the page marked.
fn page_compression() -> CompressionLayer<impl Predicate> {
    let unmarked = |_: StatusCode, _: Version, _: &HeaderMap, extensions: &Extensions| {
        extensions.get::<plain::Uncompressed>().is_none()
    };
    CompressionLayer::new()
        .no_deflate()
        .no_zstd()
        .quality(CompressionLevel::Precise(5))
        .compress_when(DefaultPredicate::new().and(unmarked))
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
        .route("/login/recovery", post(login::recovery))
        .route("/login/pass", post(login::pass))
        .route("/login/confirm", post(login::confirm))
        .route("/login/push", post(push::start))
        .route("/login/push/{id}", get(push::wait))
        .route("/session", get(login::session))
        .route("/return", post(login::take_return))
        .route("/logout", post(login::logout))
        .route("/devices", get(devices::list).post(devices::add))
        .route("/devices/{id}", axum::routing::delete(devices::remove))
        .route("/devices/{id}/activate", post(devices::activate))
        .route("/devices/{id}/test", post(devices::test))
        .route("/recovery-codes", post(devices::renew_recovery_codes))
        .route_layer(middleware::from_fn(json_posts_only))
        // The phone's requests are signed with its key, not sent with a
        // browser's cookie.
        .route("/authenticator/challenges", get(authenticator::list))
        .route("/authenticator/devices", get(authenticator::devices))
        .route("/authenticator/key", put(authenticator::set_key))
        .route(
            "/authenticator/push-key",
            get(authenticator::push_key_of_portal),
        )
        .route(
            "/authenticator/subscription",
            put(authenticator::subscribe).delete(authenticator::unsubscribe),
        )
        .route(
            "/authenticator/challenges/{id}",
            post(authenticator::answer),
        )
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
        .route("/recovery", post(plain::recovery::submit))
        .route("/pass", post(plain::recovery::pass))
        .route("/recovery-codes", post(plain::recovery::renew))
        .route("/push", post(plain::push::resend))
        .route("/push/wait", post(plain::push::wait))
        .route("/devices", post(plain::devices::add))
        .route("/devices/test", post(plain::devices::test))
        .route("/devices/confirm", post(plain::devices::confirm))
        .route("/devices/remove", post(plain::devices::ask_remove))
        .route("/devices/{id}/activate", post(plain::devices::activate))
        .route("/devices/{id}/remove", post(plain::devices::remove))
        .route("/logout", post(plain::logged_off::submit))
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            plain::require_form_token,
        ))
        .route_layer(middleware::from_fn_with_state(
            app.clone(),
            metrics::time_routes,
        ))
        .fallback(plain::no_such_form)
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
    if !safe && http::is_cross_site(request.headers()) {
        return Err(ApiError::Forbidden);
    }
    Ok(next.run(request).await)
}

/// Refuse a browser's POST that does not say it is JSON. No form of
/// another site can send `Content-Type: application/json`, and no script
/// of another site can without the portal's leave (CORS, which it never
/// gives). So a browser that says nothing of where a request comes from
/// (old ones send neither `Sec-Fetch-Site` nor `Origin`) cannot be made
/// by another site to start a push, take the return address or log off:
/// the app says JSON on these too, though they carry no body.
async fn json_posts_only(request: Request, next: Next) -> Result<Response, ApiError> {
    let says_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("application/json"));
    if *request.method() == Method::POST && !says_json {
        return Err(ApiError::Validation {
            field: None,
            message: "Expected request with `Content-Type: application/json`".to_owned(),
        });
    }
    Ok(next.run(request).await)
}

/// What the plain pages take from the built app: its stylesheet, inline,
/// and the loaders of its two builds (empty where a build is missing).
#[derive(Debug, Default)]
pub struct PageHead {
    /// The stylesheet's text, for a `<style>` in every page: the first
    /// screen then paints from its one response, whatever else is still
    /// on the line. Where the file cannot be read, [`Self::style_links`]
    /// names it instead.
    pub style: String,
    /// `<link rel="stylesheet">` tags whose file was not found.
    pub style_links: String,
    /// The app's loader (its script and preloads, with Trunk's hashed
    /// names), for the end of a page's body, so that its downloads start
    /// once the screen is parsed.
    pub with_app: String,
    /// The loader of the build with the devices screens (in [`DEVICES_BUILD`]),
    /// for the devices pages.
    pub with_devices_app: String,
    /// The contents of both builds' inline scripts, for the policy.
    inline_scripts: Vec<String>,
}

/// Where in the built portal the build with the devices screens is.
pub const DEVICES_BUILD: &str = "devices";

impl PageHead {
    pub fn read(spa_dir: &Path) -> Self {
        let first = BuiltPage::read(&spa_dir.join("index.html"));
        let devices = BuiltPage::read(&spa_dir.join(DEVICES_BUILD).join("index.html"));
        let mut style = String::new();
        let mut style_links = String::new();
        for link in &first.style_links {
            let text = attribute(link, "href")
                .map(|href| spa_dir.join(href.trim_start_matches('/')))
                .and_then(|file| std::fs::read_to_string(file).ok());
            match text {
                Some(text) => style.push_str(&text),
                None => style_links.push_str(link),
            }
        }
        let inline_scripts = first
            .inline_scripts
            .into_iter()
            .chain(devices.inline_scripts)
            .collect();
        Self {
            style,
            style_links,
            with_app: first.loader,
            with_devices_app: devices.loader,
            inline_scripts,
        }
    }
}

/// A build of the app as the pages use it: what their head carries, and
/// the policy that allows its inline scripts and style.
#[derive(Debug)]
pub struct Build {
    pub head: Arc<PageHead>,
    pub policy: HeaderValue,
    /// The phone app's page, where it is built.
    pub phone: Option<phone::PhonePage>,
}

impl Build {
    fn read(spa_dir: &Path, form_targets: &str) -> Self {
        let head = PageHead::read(spa_dir);
        let policy = content_security_policy(&head, form_targets);
        Self {
            head: Arc::new(head),
            policy,
            phone: phone::PhonePage::read(spa_dir),
        }
    }
}

/// How often at most the built files are looked at for a new build.
const BUILD_CHECK: Duration = Duration::from_secs(1);

/// The current build of the app, taken up while the server runs: on a
/// first start the server serves the plain pages before the app is built,
/// and the pages load the app as soon as a build is in place, without a
/// restart.
pub struct Builds {
    spa_dir: PathBuf,
    form_targets: String,
    seen: Mutex<Seen>,
}

struct Seen {
    checked: Instant,
    stamp: Stamp,
    build: Arc<Build>,
}

/// What tells one build from the next without reading it: the three
/// builds' index.html, by modification time and length (None where
/// missing).
type Stamp = [Option<(SystemTime, u64)>; 3];

fn stamp(spa_dir: &Path) -> Stamp {
    let of = |file: PathBuf| {
        let meta = std::fs::metadata(file).ok()?;
        Some((meta.modified().ok()?, meta.len()))
    };
    [
        of(spa_dir.join("index.html")),
        of(spa_dir.join(DEVICES_BUILD).join("index.html")),
        of(spa_dir.join(phone::PHONE_BUILD).join("index.html")),
    ]
}

impl Builds {
    pub fn new(config: &crate::config::Config) -> Self {
        let spa_dir = config.spa_dir.clone();
        let form_targets = return_sources(config);
        Self::at(spa_dir, form_targets, Instant::now())
    }

    fn at(spa_dir: PathBuf, form_targets: String, now: Instant) -> Self {
        // The stamp before the read: files replaced during the read then
        // differ from it, and the next check reads them again.
        let stamp = stamp(&spa_dir);
        let build = Arc::new(Build::read(&spa_dir, &form_targets));
        Self {
            spa_dir,
            form_targets,
            seen: Mutex::new(Seen {
                checked: now,
                stamp,
                build,
            }),
        }
    }

    /// The build in place, looked at again when the last look is a
    /// second old or more: two `stat` calls, and a read only when
    /// something changed. `cargo xtask build` moves a finished build into
    /// place whole; caught between its two renames, the pages are plain
    /// for a second, until the next look finds the new build.
    pub fn current(&self) -> Arc<Build> {
        self.current_at(Instant::now())
    }

    fn current_at(&self, now: Instant) -> Arc<Build> {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        if now.saturating_duration_since(seen.checked) >= BUILD_CHECK {
            seen.checked = now;
            let stamp = stamp(&self.spa_dir);
            if stamp != seen.stamp {
                seen.stamp = stamp;
                seen.build = Arc::new(Build::read(&self.spa_dir, &self.form_targets));
                tracing::info!(
                    spa_dir = %self.spa_dir.display(),
                    app = !seen.build.head.with_app.is_empty(),
                    "took up a new build of the app"
                );
            }
        }
        Arc::clone(&seen.build)
    }
}

/// The head of one of Trunk's index.html files, taken apart.
#[derive(Default)]
struct BuiltPage {
    style_links: Vec<String>,
    /// Everything else after the `<title>`.
    loader: String,
    inline_scripts: Vec<String>,
}

impl BuiltPage {
    fn read(index_html: &Path) -> Self {
        let html = std::fs::read_to_string(index_html).unwrap_or_default();
        let Some((_, after_title)) = html.split_once("</title>") else {
            return Self::default();
        };
        let head = after_title
            .split_once("</head>")
            .map_or(after_title, |(head, _)| head)
            .trim();
        let mut style_links = Vec::new();
        let mut loader = String::new();
        let mut rest = head;
        while let Some(start) = rest.find("<link rel=\"stylesheet\"") {
            loader.push_str(&rest[..start]);
            let tag_end = rest[start..]
                .find('>')
                .map_or(rest.len(), |end| start + end + 1);
            style_links.push(rest[start..tag_end].to_owned());
            rest = &rest[tag_end..];
        }
        loader.push_str(rest);
        Self {
            style_links,
            loader: loader.trim().to_owned(),
            inline_scripts: inline_scripts(head).map(str::to_owned).collect(),
        }
    }
}

/// The value of `name="…"` in a tag.
fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let (_, rest) = tag.split_once(&format!(" {name}=\""))?;
    rest.split_once('"').map(|(value, _)| value)
}

/// A policy without 'unsafe-inline': the inline loader scripts that Trunk
/// writes into index.html and the inline stylesheet are allowed by their
/// hashes.
fn content_security_policy(head: &PageHead, form_targets: &str) -> HeaderValue {
    let hashes = |texts: &mut dyn Iterator<Item = &str>| {
        texts.fold(String::new(), |mut out, text| {
            out.push_str(" 'sha256-");
            out.push_str(&BASE64.encode(Sha256::digest(text)));
            out.push('\'');
            out
        })
    };
    let scripts = hashes(&mut head.inline_scripts.iter().map(String::as_str));
    let styles = hashes(&mut std::iter::once(head.style.as_str()).filter(|s| !s.is_empty()));
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{scripts}; \
         style-src 'self'{styles}; img-src 'self' data:; connect-src 'self'; \
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
    use axum::http::{HeaderMap, HeaderName};

    /// Request headers made of `pairs`.
    pub(super) fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| (HeaderName::from_static(k), HeaderValue::from_static(v)))
            .collect()
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

    /// A built portal in a temporary folder: both builds' index.html and
    /// the stylesheet.
    fn built(dir: &Path) {
        std::fs::create_dir_all(dir.join(DEVICES_BUILD)).unwrap();
        std::fs::write(
            dir.join("index.html"),
            "<title>Aanmelden</title><link rel=\"stylesheet\" href=\"/main-1.css\"/>\
             <link rel=\"modulepreload\" href=\"/a.js\"><script type=\"module\">init()</script></head>",
        )
        .unwrap();
        std::fs::write(
            dir.join(DEVICES_BUILD).join("index.html"),
            "<title>Aanmelden</title><link rel=\"stylesheet\" href=\"/devices/main-1.css\"/>\
             <script type=\"module\">init2()</script></head>",
        )
        .unwrap();
        std::fs::write(dir.join("main-1.css"), "body{color:red}").unwrap();
    }

    #[test]
    fn the_stylesheet_is_inlined_and_each_build_keeps_its_loader() {
        let dir = tempfile::tempdir().unwrap();
        built(dir.path());
        let head = PageHead::read(dir.path());
        assert_eq!(head.style, "body{color:red}");
        assert_eq!(head.style_links, "");
        assert_eq!(
            head.with_app,
            "<link rel=\"modulepreload\" href=\"/a.js\"><script type=\"module\">init()</script>"
        );
        assert_eq!(
            head.with_devices_app,
            "<script type=\"module\">init2()</script>"
        );
    }

    #[test]
    fn a_missing_stylesheet_stays_a_link() {
        let dir = tempfile::tempdir().unwrap();
        built(dir.path());
        std::fs::remove_file(dir.path().join("main-1.css")).unwrap();
        let head = PageHead::read(dir.path());
        assert_eq!(head.style, "");
        assert_eq!(
            head.style_links,
            "<link rel=\"stylesheet\" href=\"/main-1.css\"/>"
        );
    }

    /// The policy's hash of an inline script or style.
    fn hash(text: &str) -> String {
        format!("'sha256-{}'", BASE64.encode(Sha256::digest(text)))
    }

    #[test]
    fn a_rebuilt_page_is_taken_up_once_its_modification_time_changes() {
        let dir = tempfile::tempdir().unwrap();
        built(dir.path());
        let start = Instant::now();
        let builds = Builds::at(dir.path().to_owned(), String::new(), start);
        let first = builds.current_at(start);
        assert!(first.head.with_app.contains("init()"), "{first:?}");
        let policy = first.policy.to_str().unwrap().to_owned();
        assert!(policy.contains(&hash("init()")), "{policy}");

        // A new build whose script differs, at the same length: only the
        // modification time tells it from the last.
        let index = dir.path().join("index.html");
        let old = std::fs::read_to_string(&index).unwrap();
        let new = old.replace("init()", "boot()");
        assert_eq!(new.len(), old.len());
        let modified = std::fs::metadata(&index).unwrap().modified().unwrap();
        std::fs::write(&index, &new).unwrap();
        let file = std::fs::File::options().write(true).open(&index).unwrap();
        file.set_modified(modified).unwrap();

        let later = start + BUILD_CHECK * 2;
        let same_stamp = builds.current_at(later);
        assert!(
            Arc::ptr_eq(&same_stamp, &first),
            "read again though nothing told it apart"
        );

        file.set_modified(modified + Duration::from_secs(10))
            .unwrap();
        let within_a_second = builds.current_at(later + BUILD_CHECK / 2);
        assert!(
            Arc::ptr_eq(&within_a_second, &first),
            "looked again too soon"
        );

        let taken_up = builds.current_at(later + BUILD_CHECK);
        assert!(taken_up.head.with_app.contains("boot()"), "{taken_up:?}");
        assert!(!taken_up.head.with_app.contains("init()"));
        let policy = taken_up.policy.to_str().unwrap();
        assert!(policy.contains(&hash("boot()")), "{policy}");
        assert!(!policy.contains(&hash("init()")), "{policy}");
        assert!(policy.contains(&hash("init2()")), "{policy}");
    }

    #[test]
    fn a_first_build_is_taken_up_by_a_server_started_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let dist = dir.path().join("dist");
        let start = Instant::now();
        let builds = Builds::at(dist.clone(), String::new(), start);
        let before = builds.current_at(start);
        assert_eq!(before.head.with_app, "");
        assert_eq!(before.head.style, "");
        assert!(!before.policy.to_str().unwrap().contains("'sha256-"));

        // As `cargo xtask build` does it: built elsewhere, moved in whole.
        let staging = dir.path().join("staging");
        built(&staging);
        std::fs::rename(&staging, &dist).unwrap();

        let after = builds.current_at(start + BUILD_CHECK);
        assert!(after.head.with_app.contains("init()"), "{after:?}");
        assert!(after.head.with_devices_app.contains("init2()"));
        assert_eq!(after.head.style, "body{color:red}");
        let policy = after.policy.to_str().unwrap();
        for text in ["init()", "init2()", "body{color:red}"] {
            assert!(policy.contains(&hash(text)), "{text}: {policy}");
        }
    }

    #[test]
    fn policy_allows_inline_scripts_and_style_by_hash_only() {
        let dir = tempfile::tempdir().unwrap();
        built(dir.path());
        let head = PageHead::read(dir.path());
        let policy = content_security_policy(&head, " https://mail.example.nl:*");
        let policy = policy.to_str().unwrap();
        assert!(policy.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-"));
        for script in ["init()", "init2()"] {
            assert!(policy.contains(&hash(script)), "{script}: {policy}");
        }
        assert!(
            policy.contains(&format!("style-src 'self' {}", hash("body{color:red}"))),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("unsafe-inline") && !policy.contains("'unsafe-eval'"));
    }
}
