//! The built portal's files go out compressed and cached: brotli or gzip by
//! `Accept-Encoding` (the copies `cargo xtask build` wrote), as they are to
//! a client that accepts neither; files named by a content hash are kept a
//! year, everything else is asked for again, and pages are never stored.
//! The first screen, as sent, stays within its budget of 100 KB, and the
//! devices step within 130 KB.

use std::path::{Path, PathBuf};

use reqwest::StatusCode;
use std::net::SocketAddr;

use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, VARY,
};

use crate::flows::{PASSWORD, USER};
use crate::helpers::{BrowserTest, serve, workspace_root};
use crate::pages::{Devices, Identify, Password};

/// The built files of both builds (the devices build's in its folder),
/// without the compressed copies and without index.html (whose address
/// shows the server's page).
fn built_files(dist: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in [dist.to_owned(), dist.join("devices"), dist.join("telefoon")] {
        files.extend(
            std::fs::read_dir(&folder)
                .expect("dist/, dist/devices/ and dist/telefoon/ exist: run `cargo xtask build`")
                .map(|entry| entry.expect("an entry").path())
                .filter(|path| path.is_file())
                .filter(|path| {
                    !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz"))
                        && !path.ends_with("index.html")
                }),
        );
    }
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
        let name = file
            .strip_prefix(&dist)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let file_name = file.file_name().unwrap().to_string_lossy().into_owned();
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
            let hashed = ["aanmelden-web-", "aanmelden-phone-", "main-", "style-"]
                .iter()
                .any(|prefix| file_name.starts_with(prefix));
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
            compressed
                .iter()
                .any(|sent| sent.starts_with("devices/") && sent.ends_with(needed)),
            "no devices/ {needed} copy was sent: {compressed:?}"
        );
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

/// The goal for what the devices step loads the first time, as sent.
const DEVICES_STEP_BUDGET: usize = 130_000;

/// The sizes, as sent to a browser that takes brotli, of the page at
/// `path` and of every file it loads (not where its links go), with the
/// session `cookie` if any.
async fn page_and_files(
    address: SocketAddr,
    path: &str,
    cookie: Option<&str>,
) -> Vec<(String, usize)> {
    let client = reqwest::Client::new();
    let get = async |path: &str, accepts: &str| {
        let mut request = client
            .get(format!("http://{address}{path}"))
            .header(ACCEPT_ENCODING, accepts);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, format!("aanmelden_session={cookie}"));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        response.bytes().await.unwrap()
    };
    // The page's text to find what it loads, then its size as sent.
    let html = String::from_utf8(get(path, "identity").await.to_vec()).expect("text");
    let mut sizes = vec![(path.to_owned(), get(path, "br, gzip").await.len())];
    let loaded = [" href=\"/", " src=\"/"]
        .into_iter()
        .flat_map(|attribute| html.split(attribute).skip(1))
        .filter_map(|rest| rest.split_once('"').map(|(path, _)| path.to_owned()))
        .filter(|path| {
            let extension = Path::new(path).extension().and_then(|e| e.to_str());
            !path.starts_with('/') && matches!(extension, Some("css" | "js" | "wasm"))
        })
        .collect::<std::collections::BTreeSet<_>>();
    for file in loaded {
        let file = format!("/{file}");
        let size = get(&file, "br, gzip").await.len();
        sizes.push((file, size));
    }
    sizes
}

/// The first build leaves out the texts of the screens it never shows
/// (locales/devices/); the devices build has them.
#[test]
fn the_first_build_carries_only_its_own_texts() {
    let dist = workspace_root().join("dist");
    let texts_of = |folder: &Path, text: &str| {
        built_files(&dist)
            .iter()
            .filter(|path| path.parent() == Some(folder))
            .filter(|path| path.to_string_lossy().ends_with("_bg.wasm"))
            .any(|wasm| {
                let bytes = std::fs::read(wasm).expect("read the wasm");
                bytes.windows(text.len()).any(|w| w == text.as_bytes())
            })
    };
    for (text, first) in [
        ("Meld u aan", true),
        ("Ik heb de codes bewaard", false),
        ("laatst gebruikt op", false),
    ] {
        assert_eq!(texts_of(&dist, text), first, "the first build and {text:?}");
        assert!(
            texts_of(&dist.join("devices"), text),
            "the devices build and {text:?}"
        );
    }
    // The phone app's texts are its own build's alone.
    let phone_text = "Typ het getal dat de browser toont";
    assert!(texts_of(&dist.join("telefoon"), phone_text));
    assert!(
        !texts_of(&dist, phone_text),
        "the first build and the phone app's texts"
    );
    assert!(
        !texts_of(&dist.join("devices"), phone_text),
        "the devices build and the phone app's texts"
    );
}

/// The goal for the phone app's page and everything it loads, as sent.
const PHONE_APP_BUDGET: usize = 120_000;

/// The goal for the QR decoder the phone app loads when the user scans.
const QR_DECODER_BUDGET: usize = 90_000;

/// The phone app, its page and every file it loads, as a phone that takes
/// brotli receives them, within its own budget; and nothing of the
/// portal's builds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_app_stays_within_its_budget_as_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (address, _state) = serve(dir.path(), |_| {}).await;
    let sizes = page_and_files(address, "/telefoon/", None).await;
    let total: usize = sizes.iter().map(|(_, size)| size).sum();
    println!("phone app: {total} bytes as sent: {sizes:?}");
    for suffix in [".js", "_bg.wasm", ".css"] {
        assert!(
            sizes
                .iter()
                .any(|(path, _)| path.starts_with("/telefoon/") && path.ends_with(suffix)),
            "the phone app loads no {suffix} of its own: {sizes:?}"
        );
    }
    assert!(
        sizes.iter().all(|(path, _)| path.starts_with("/telefoon/")),
        "the phone app loads only its own files: {sizes:?}"
    );
    assert!(
        total <= PHONE_APP_BUDGET,
        "the phone app is {total} bytes as sent, over {PHONE_APP_BUDGET}: {sizes:?}"
    );

    // The QR decoder, which the app loads when the user scans (the phone
    // app's camera test sees that it is not loaded before).
    let decoder = reqwest::Client::new()
        .get(format!("http://{address}/telefoon/qr.wasm"))
        .header(ACCEPT_ENCODING, "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(decoder.status(), StatusCode::OK);
    assert_eq!(decoder.headers()["content-type"], "application/wasm");
    assert_eq!(decoder.headers()["content-encoding"], "br");
    let decoder = decoder.bytes().await.unwrap().len();
    println!("phone app's QR decoder: {decoder} bytes as sent");
    assert!(
        decoder <= QR_DECODER_BUDGET,
        "the QR decoder is {decoder} bytes as sent, over {QR_DECODER_BUDGET}"
    );
}

/// The first screen, the page and every file it loads, as a browser that
/// takes brotli receives them, stays within 100 KB. `cargo xtask bench size`
/// prints the same figures per file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_screen_stays_within_100_kb_as_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (address, _state) = serve(dir.path(), |_| {}).await;
    let sizes = page_and_files(address, "/", None).await;
    let total: usize = sizes.iter().map(|(_, size)| size).sum();
    println!("first screen: {total} bytes as sent: {sizes:?}");

    for suffix in [".js", "_bg.wasm"] {
        assert!(
            sizes
                .iter()
                .any(|(path, _)| path.ends_with(suffix) && !path.starts_with("/devices/")),
            "the page loads no {suffix} of its own build: {sizes:?}"
        );
    }
    assert!(
        sizes.iter().all(|(path, _)| !path.starts_with("/devices/")),
        "the first screen loads nothing of the devices build: {sizes:?}"
    );
    assert!(
        total <= FIRST_SCREEN_BUDGET,
        "the first screen is {total} bytes as sent, over {FIRST_SCREEN_BUDGET}: {sizes:?}"
    );
}

/// The devices step, the first time: its page and the build with the
/// devices screens, as sent, within 130 KB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devices_step_stays_within_130_kb_as_sent() {
    let test = BrowserTest::start().await;
    test.add_user(USER, PASSWORD).await;
    test.open("/").await;
    Identify::shown(&test).await.identify(USER).await;
    Password::shown(&test).await.submit(PASSWORD).await;
    Devices::shown(&test).await;
    let cookie = test
        .client
        .get_named_cookie("aanmelden_session")
        .await
        .expect("a session")
        .value()
        .to_owned();
    let address: SocketAddr = test.base.trim_start_matches("http://").parse().unwrap();

    let sizes = page_and_files(address, "/apparaten", Some(&cookie)).await;
    let total: usize = sizes.iter().map(|(_, size)| size).sum();
    println!("devices step: {total} bytes as sent: {sizes:?}");
    for suffix in [".js", "_bg.wasm"] {
        assert!(
            sizes
                .iter()
                .any(|(path, _)| path.starts_with("/devices/") && path.ends_with(suffix)),
            "the devices page loads no {suffix} of the devices build: {sizes:?}"
        );
    }
    assert!(
        total <= DEVICES_STEP_BUDGET,
        "the devices step is {total} bytes as sent, over {DEVICES_STEP_BUDGET}: {sizes:?}"
    );
}
