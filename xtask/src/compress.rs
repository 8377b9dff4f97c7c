//! Brotli and gzip copies of the built portal's files, beside them in
//! dist/ (`x.wasm.br`, `x.wasm.gz`), for the server to send to browsers that
//! accept them.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Result;

/// Files worth compressing; images such as PNG are compressed already.
const COMPRESSIBLE: &[&str] = &["html", "js", "wasm", "css", "svg", "json", "txt", "ico"];

/// One file's sizes in bytes: as built, gzipped and brotli'd.
#[derive(Debug, Clone)]
pub struct Sizes {
    pub path: PathBuf,
    pub raw: u64,
    pub gzip: u64,
    pub brotli: u64,
}

/// Writes the compressed copies of every compressible file under `dir`
/// and returns the sizes. A copy that would not be smaller is not written,
/// and the server then sends the file as it is.
pub fn precompress(dir: &Path) -> Result<Vec<Sizes>> {
    let mut sizes = Vec::new();
    for path in files(dir)? {
        let compressible = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| COMPRESSIBLE.contains(&e));
        if !compressible {
            continue;
        }
        let raw = fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let gzip = gzip(&raw)?;
        let brotli = brotli(&raw)?;
        for (copy, extension) in [(&gzip, "gz"), (&brotli, "br")] {
            let mut name = path.clone().into_os_string();
            name.push(".");
            name.push(extension);
            let name = PathBuf::from(name);
            if copy.len() < raw.len() {
                fs::write(&name, copy)
                    .map_err(|e| format!("cannot write {}: {e}", name.display()))?;
            } else if name.exists() {
                fs::remove_file(&name)
                    .map_err(|e| format!("cannot remove {}: {e}", name.display()))?;
            }
        }
        sizes.push(Sizes {
            path,
            raw: len(&raw),
            gzip: len(&gzip).min(len(&raw)),
            brotli: len(&brotli).min(len(&raw)),
        });
    }
    Ok(sizes)
}

/// At gzip's best level, as a server would compress ahead of time.
pub fn gzip(data: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder
        .write_all(data)
        .and_then(|()| encoder.finish())
        .map_err(|e| format!("gzip: {e}"))
}

/// At brotli's best level (quality 11, a 4 MB window).
pub fn brotli(data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params)
        .map_err(|e| format!("brotli: {e}"))?;
    Ok(out)
}

fn len(data: &[u8]) -> u64 {
    u64::try_from(data.len()).unwrap_or(u64::MAX)
}

/// Every file under `dir`, in a stable order, leaving out earlier copies.
fn files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries =
            fs::read_dir(&folder).map_err(|e| format!("cannot list {}: {e}", folder.display()))?;
        for entry in entries {
            let path = entry
                .map_err(|e| format!("cannot list {}: {e}", folder.display()))?
                .path();
            if path.is_dir() {
                folders.push(path);
            } else if !matches!(path.extension().and_then(|e| e.to_str()), Some("br" | "gz")) {
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn the_copies_unpack_to_the_file_and_only_smaller_ones_are_kept() {
        let dir = tempfile_dir();
        let text = "Meld u aan. ".repeat(500);
        fs::write(dir.join("app-0123456789abcdef.js"), &text).unwrap();
        fs::write(dir.join("tiny.css"), "a{}").unwrap();
        fs::write(dir.join("logo.png"), [0x89, b'P', b'N', b'G']).unwrap();

        let sizes = precompress(&dir).unwrap();

        assert_eq!(sizes.len(), 2, "{sizes:?}");
        let js = dir.join("app-0123456789abcdef.js");
        let mut unpacked = Vec::new();
        brotli::BrotliDecompress(
            &mut &fs::read(js.with_extension("js.br")).unwrap()[..],
            &mut unpacked,
        )
        .unwrap();
        assert_eq!(unpacked, text.as_bytes());
        let mut gunzipped = String::new();
        flate2::read::GzDecoder::new(&fs::read(js.with_extension("js.gz")).unwrap()[..])
            .read_to_string(&mut gunzipped)
            .unwrap();
        assert_eq!(gunzipped, text);
        assert!(!dir.join("tiny.css.br").exists(), "not smaller, not kept");
        assert!(!dir.join("logo.png.br").exists(), "not compressible");
        fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-compress-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }
}
