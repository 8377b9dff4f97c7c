//! The built portal's files go out compressed and cached: brotli or gzip by
//! `Accept-Encoding` (the copies `cargo xtask build` wrote), as they are to
//! a client that accepts neither; files named by a content hash are kept a
//! year, everything else is asked for again, and pages are never stored.
//! The first screen, as sent, stays within its budget of 100 KB.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};

use crate::helpers::{serve, workspace_root};

/// The built files, without the compressed copies and without index.html
/// (whose address shows the server's page).
fn built_files(dist: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dist)
        .expect("dist/ exists: run `cargo xtask build`")
        .map(|entry| entry.expect("an entry").path())
        .filter(|path| path.is_file())
        .filter(|path| {
            !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz"))
                && !path.ends_with("index.html")
        })
        .collect();
    files.sort();
    files
}

fn with_extension(path: &Path, extension: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(extension);
    PathBuf::from(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_is_sent_as_the_client_accepts_it_and_cached_by_its_name() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (address, _state) = serve(dir.path(), |_| {}).await;
    let dist = workspace_root().join("dist");
    // Without the `gzip`/`brotli` features, reqwest leaves bodies as sent.
    let client = reqwest::Client::new();
    let mut compressed = Vec::new();

    for file in built_files(&dist) {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let raw = std::fs::read(&file).unwrap();
        let mut content_type = None;
        for (accepts, encoding, extension) in [
            ("br, gzip", Some("br"), "br"),
            ("gzip, deflate", Some("gzip"), "gz"),
            ("identity", None, ""),
        ] {
            let response = client
                .get(format!("http://{address}/{name}"))
                .header(ACCEPT_ENCODING, accepts)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{name} ({accepts})");
            let headers = response.headers().clone();
            let header = |key| headers.get(key).map(|v| v.to_str().unwrap().to_owned());
            let copy = encoding
                .map(|_| with_extension(&file, extension))
                .filter(|copy| copy.is_file());
            let sent_as = header(CONTENT_ENCODING);
            let body = response.bytes().await.unwrap();
            if let Some(copy) = &copy {
                assert_eq!(sent_as.as_deref(), encoding, "{name} ({accepts})");
                assert_eq!(body, std::fs::read(copy).unwrap(), "{name} ({accepts})");
                compressed.push(format!("{name} {}", encoding.unwrap_or_default()));
            } else {
                assert_eq!(sent_as, None, "{name} ({accepts})");
                assert_eq!(body, raw, "{name} ({accepts})");
            }
            assert!(
                header(VARY).is_some_and(|v| v.contains("accept-encoding")),
                "{name}: Vary"
            );
            let hashed = name.starts_with("aanmelden-web-") || name.starts_with("main-");
            let cache = header(CACHE_CONTROL).unwrap_or_default();
            if hashed {
                assert_eq!(cache, "public, max-age=31536000, immutable", "{name}");
            } else {
                assert_eq!(cache, "no-cache", "{name}");
            }
            // The type is the file's, whatever the encoding.
            let this_type = header(CONTENT_TYPE);
            assert_eq!(
                content_type.get_or_insert_with(|| this_type.clone()),
                &this_type,
                "{name}"
            );
        }
    }

    for needed in ["_bg.wasm br", "_bg.wasm gzip", ".js br", ".css br"] {
        assert!(
            compressed.iter().any(|sent| sent.ends_with(needed)),
            "no {needed} copy was sent: {compressed:?}"
        );
    }
    let page = client
        .get(format!("http://{address}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()[CACHE_CONTROL], "no-store");
}

/// The goal for everything the first screen loads, compressed as sent.
const FIRST_SCREEN_BUDGET: usize = 100_000;

/// The first screen, the page and every file it links, as a browser that
/// takes brotli receives them, stays within 100 KB. `cargo xtask bench size`
/// prints the same figures per file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_screen_stays_within_100_kb_as_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (address, _state) = serve(dir.path(), |_| {}).await;
    let client = reqwest::Client::new();
    let sent = async |path: &str| {
        let response = client
            .get(format!("http://{address}{path}"))
            .header(ACCEPT_ENCODING, "br, gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.bytes().await.unwrap()
    };

    let page = sent("/").await;
    let html = String::from_utf8(page.to_vec()).expect("the page is not compressed");
    let linked: Vec<&str> = html
        .split("href=\"/")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(path, _)| path))
        .filter(|path| {
            // What the page loads, not where its links go.
            let extension = Path::new(path).extension().and_then(|e| e.to_str());
            !path.starts_with('/') && matches!(extension, Some("css" | "js" | "wasm"))
        })
        .collect();
    let mut sizes = vec![("/".to_owned(), page.len())];
    for path in linked {
        let path = format!("/{path}");
        let size = sent(&path).await.len();
        sizes.push((path, size));
    }
    let total: usize = sizes.iter().map(|(_, size)| size).sum();

    for suffix in [".css", ".js", "_bg.wasm"] {
        assert!(
            sizes.iter().any(|(path, _)| path.ends_with(suffix)),
            "the page links no {suffix}: {sizes:?}"
        );
    }
    assert!(
        total <= FIRST_SCREEN_BUDGET,
        "the first screen is {total} bytes as sent, over {FIRST_SCREEN_BUDGET}: {sizes:?}"
    );
}
