//! The phone app at `/telefoon/` (and `/phone`, its English address): its
//! page as Trunk built it, with a policy of its own, stricter than the
//! portal's pages: no forms leave it, nothing but the portal is reached,
//! and only its own service worker runs. Its files (the app, the manifest,
//! the icons, the service worker) are the built portal's static files
//! under `/telefoon/`, the service worker's scope, which holds none of the
//! portal's pages.

use std::path::Path;
use std::sync::Arc;

use axum::Extension;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use super::Build;

/// Where in the built portal the phone app is, and its address.
pub const PHONE_BUILD: &str = aanmelden_api::PHONE_APP_FOLDER;

/// The app's page as Trunk built it, and its policy: read with the rest
/// of the build, when a new build is taken up.
#[derive(Debug)]
pub struct PhonePage {
    html: String,
    policy: HeaderValue,
}

impl PhonePage {
    /// The page in `spa_dir`, if the app is built.
    pub fn read(spa_dir: &Path) -> Option<Self> {
        let html = std::fs::read_to_string(spa_dir.join(PHONE_BUILD).join("index.html")).ok()?;
        let policy = policy(&html);
        Some(Self { html, policy })
    }
}

/// `GET /telefoon/`: the app's page.
pub async fn page(Extension(build): Extension<Arc<Build>>) -> Response {
    let Some(page) = &build.phone else {
        return not_built();
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::CONTENT_SECURITY_POLICY, page.policy.clone()),
        ],
        page.html.clone(),
    )
        .into_response()
}

/// `/telefoon`: to the app's folder, its scope.
pub async fn to_app() -> Redirect {
    Redirect::to(&format!("/{PHONE_BUILD}/"))
}

/// `/phone`: the app in English.
pub async fn to_app_in_english() -> Redirect {
    Redirect::to(&format!("/{PHONE_BUILD}/?lang=en"))
}

fn not_built() -> Response {
    tracing::warn!("the phone app is not built: cargo xtask build builds it");
    (
        StatusCode::NOT_FOUND,
        "De telefoon-app is (nog) niet gebouwd. / The phone app is not built (yet).",
    )
        .into_response()
}

/// The app's policy: its inline loader by hash, its WebAssembly, its own
/// stylesheet, images and manifest, its service worker, requests to the
/// portal only; no forms posted anywhere, no frames.
fn policy(html: &str) -> HeaderValue {
    let scripts = super::inline_scripts(html).fold(String::new(), |mut out, script| {
        out.push_str(" 'sha256-");
        out.push_str(&BASE64.encode(Sha256::digest(script)));
        out.push('\'');
        out
    });
    let policy = format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'{scripts}; \
         style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; \
         connect-src 'self'; manifest-src 'self'; worker-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy)
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_loader_by_hash_and_nothing_inline_else() {
        let html = "<html><head><script type=\"module\">init()</script>\
                    <script src=\"/telefoon/x.js\"></script></head></html>";
        let policy = policy(html);
        let policy = policy.to_str().unwrap();
        let hash = BASE64.encode(Sha256::digest("init()"));
        assert!(policy.contains(&format!("'sha256-{hash}'")), "{policy}");
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        assert!(policy.contains("default-src 'none'"), "{policy}");
        assert!(policy.contains("form-action 'none'"), "{policy}");
        assert!(policy.contains("connect-src 'self';"), "{policy}");
    }
}
