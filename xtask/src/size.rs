//! `cargo xtask bench` (its first part): the bytes of the first screen,
//! file by file, raw, gzip, brotli and as the server sends them, beside
//! what a browser without script loads of it (the page, its style inline).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Result;
use crate::compress::{brotli, gzip};

/// One response as it came over the wire.
struct Fetched {
    body: Vec<u8>,
    encoding: Option<String>,
}

/// Prints the table for the built portal in `dist`, served by the release
/// server `binary`.
pub fn first_screen(binary: &Path, dist: &Path) -> Result {
    let data = std::env::temp_dir().join(format!("aanmelden-size-{}", std::process::id()));
    let address = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let mut server = Server(
        Command::new(binary)
            .arg("serve")
            .env("AANMELDEN_DATA_DIR", &data)
            .env("AANMELDEN_LISTEN", address.to_string())
            .env("AANMELDEN_SPA_DIR", dist)
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?,
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(address).is_err() {
        if Instant::now() > deadline {
            return Err("the server did not start".into());
        }
        std::thread::sleep(Duration::from_millis(50));
    }

    let page = fetch(address, "/", IDENTITY)?;
    let html = String::from_utf8_lossy(&page.body).into_owned();
    let mut rows = vec![row(
        "/ (the page, its style inline)",
        &page.body,
        &fetch(address, "/", BROTLI)?,
    )?];
    // Without script, a browser loads the page and what it names besides
    // the app's build.
    let mut plain = rows.clone();
    for path in referenced(&html) {
        let fetched = fetch(address, &path, BROTLI)?;
        let raw = std::fs::read(dist.join(path.trim_start_matches('/')))
            .map_err(|e| format!("{path}: {e}"))?;
        let row = row(&path, &raw, &fetched)?;
        if !path.contains("aanmelden-web") {
            plain.push(row.clone());
        }
        rows.push(row);
    }
    server.0.kill().ok();
    let _ = std::fs::remove_dir_all(&data);

    println!(
        "{:<52} {:>9} {:>9} {:>9} {:>15}",
        "file", "raw", "gzip", "brotli", "as served"
    );
    for row in &rows {
        println!(
            "{:<52} {:>9} {:>9} {:>9} {:>9} {:<5}",
            row.name, row.raw, row.gzip, row.brotli, row.served, row.encoding
        );
    }
    for (name, rows) in [
        ("first screen, total", &rows),
        ("without script (the page alone)", &plain),
    ] {
        let sum = |f: fn(&Row) -> usize| rows.iter().map(f).sum::<usize>();
        println!(
            "{name:<52} {:>9} {:>9} {:>9} {:>9}",
            sum(|r| r.raw),
            sum(|r| r.gzip),
            sum(|r| r.brotli),
            sum(|r| r.served)
        );
    }
    Ok(())
}

#[derive(Clone)]
struct Row {
    name: String,
    raw: usize,
    gzip: usize,
    brotli: usize,
    served: usize,
    encoding: String,
}

fn row(name: &str, raw: &[u8], fetched: &Fetched) -> Result<Row> {
    Ok(Row {
        name: name.to_owned(),
        raw: raw.len(),
        gzip: gzip(raw)?.len().min(raw.len()),
        brotli: brotli(raw)?.len().min(raw.len()),
        served: fetched.body.len(),
        encoding: fetched.encoding.clone().unwrap_or_else(|| "none".into()),
    })
}

/// The files a page loads: stylesheets, scripts and preloads of the portal.
fn referenced(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "src=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            let Some(end) = rest.find('"') else { continue };
            let path = &rest[..end];
            let is_file = path.starts_with('/')
                && !path.starts_with("//")
                && [".css", ".js", ".wasm"].iter().any(|e| path.ends_with(e));
            if is_file && !found.iter().any(|f| f == path) {
                found.push(path.to_owned());
            }
        }
    }
    found
}

/// What a browser that takes brotli accepts.
const BROTLI: &str = "br, gzip";

/// No compression: the body as it is.
const IDENTITY: &str = "identity";

/// GET `path` with `Accept-Encoding: accepts`, body as sent.
fn fetch(address: SocketAddr, path: &str, accepts: &str) -> Result<Fetched> {
    let mut stream = TcpStream::connect(address).map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nAccept-Encoding: {accepts}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(|e| e.to_string())?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no end of the headers")?;
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    if !head.starts_with("http/1.1 200") {
        return Err(format!(
            "GET {path}: {}",
            head.lines().next().unwrap_or_default()
        ));
    }
    let header = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|value| value.trim().to_owned())
    };
    let mut body = answer[split + 4..].to_vec();
    if header("transfer-encoding:").is_some_and(|v| v.contains("chunked")) {
        body = unchunk(&body)?;
    }
    Ok(Fetched {
        body,
        encoding: header("content-encoding:"),
    })
}

fn unchunk(mut data: &[u8]) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a broken chunk")?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|e| format!("a broken chunk size: {e}"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(data.get(..size).ok_or("a short chunk")?);
        data = data.get(size + 2..).ok_or("a short chunk")?;
    }
}

fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|e| e.to_string())
}

/// The server process, stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
