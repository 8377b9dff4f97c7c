//! The app's JavaScript glue and stylesheet, minified after Trunk has built
//! them (Trunk's own minifier cannot parse the glue, and it would rewrite
//! index.html, which the server reads): about 1.7 KB brotli less on every
//! first screen. index.html names each file with its integrity hash, which
//! is renewed to match.

use std::path::Path;
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha384};

use crate::{Result, Tools, check};

/// Minify each script and stylesheet that `dist/index.html` links, in
/// place; the build's files are under `public_url`.
pub fn scripts(tools: &Tools, esbuild: &Path, dist: &Path, public_url: &str) -> Result {
    let index = dist.join("index.html");
    let mut html =
        std::fs::read_to_string(&index).map_err(|e| format!("{}: {e}", index.display()))?;
    for name in linked(&html, public_url) {
        let path = dist.join(&name);
        let before = integrity(&read(&path)?);
        let mut esbuild = Command::new(esbuild);
        esbuild
            .arg(&path)
            .args(["--minify", "--allow-overwrite", "--log-level=warning"])
            .arg(format!("--outfile={}", path.display()))
            .env("PATH", &tools.path);
        check(&mut esbuild, &format!("esbuild --minify {name}"))?;
        let after = integrity(&read(&path)?);
        if !html.contains(&before) {
            return Err(format!("index.html does not name {name} by {before}"));
        }
        html = html.replace(&before, &after);
    }
    std::fs::write(&index, html).map_err(|e| format!("{}: {e}", index.display()))
}

/// The files of the `<link rel="modulepreload" href="/…js">` and
/// `<link rel="stylesheet" href="/…css">` tags, of a build under `public_url`.
fn linked(html: &str, public_url: &str) -> Vec<String> {
    html.split("<link")
        .skip(1)
        .filter_map(|rest| {
            let tag = rest.split_once('>').map_or(rest, |(tag, _)| tag);
            let rel = attribute(tag, "rel")?;
            let name = attribute(tag, "href")?.strip_prefix(public_url)?;
            let extension = Path::new(name).extension()?.to_str()?;
            let wanted = matches!(
                (rel, extension),
                ("modulepreload", "js") | ("stylesheet", "css")
            );
            (wanted && !name.contains('/')).then(|| name.to_owned())
        })
        .collect()
}

/// The value of `name="…"` in a tag.
pub fn attribute<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let (_, rest) = tag.split_once(&format!(" {name}=\""))?;
    rest.split_once('"').map(|(value, _)| value)
}

pub fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The value of an `integrity` attribute for `bytes`.
pub fn integrity(bytes: &[u8]) -> String {
    format!("sha384-{}", STANDARD.encode(Sha384::digest(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_glue_and_the_stylesheet_and_nothing_else() {
        let html = r#"<title>Aanmelden</title>
            <link rel="stylesheet" href="/main-1.css" integrity="sha384-y"/>
            <link rel="modulepreload" href="/aanmelden-web-2b55.js" crossorigin="anonymous" integrity="sha384-x">
            <link rel="preload" href="/aanmelden-web-2b55_bg.wasm" as="fetch">"#;
        assert_eq!(linked(html, "/"), ["main-1.css", "aanmelden-web-2b55.js"]);
    }

    #[test]
    fn finds_the_files_of_a_build_under_its_folder() {
        let html = r#"<link rel="stylesheet" href="/devices/main-1.css"/>
            <link rel="modulepreload" href="/devices/aanmelden-web-2b55.js" integrity="sha384-x">
            <link rel="modulepreload" href="/aanmelden-web-9c.js" integrity="sha384-x">"#;
        assert_eq!(
            linked(html, "/devices/"),
            ["main-1.css", "aanmelden-web-2b55.js"]
        );
    }

    #[test]
    fn integrity_is_sha384_in_base64() {
        // printf abc | openssl dgst -sha384 -binary | base64
        assert_eq!(
            integrity(b"abc"),
            "sha384-ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn"
        );
    }
}
