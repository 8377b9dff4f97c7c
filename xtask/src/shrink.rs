//! The app's WebAssembly and its glue made smaller after the build: about
//! 4 KB brotli less on every first screen.
//!
//! - wasm-streams' exported classes (`IntoUnderlying…`) go: Leptos's
//!   server-function client brings them in, and this app never hands one to
//!   JavaScript. wasm-opt then drops the code only they reached.
//! - The names between the module and the glue become short. wasm-bindgen
//!   names each import with a 16-digit hash (`__wbg_view_3b708d3bdaf3fc96`)
//!   and each closure's export with its Rust type, and both files carry
//!   every name: a hash does not compress. A name is renamed only where the
//!   glue uses it in the one way it is expected to (an import as a key of
//!   the imports object, an export as `.name` on the exports), so anything
//!   unexpected is left as it was.
//!
//! index.html names both files with their integrity hashes, renewed here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::minify::{attribute, integrity, read};
use crate::{Result, Tools, check};

/// The exports of wasm-streams' classes, as wasm-opt's wildcard.
const UNUSED_EXPORTS: &str = "*intounderlying*";

/// Shrink the module and glue that `dist/index.html` preloads, in place;
/// the build's files are under `public_url`.
pub fn wasm(tools: &Tools, wasm_opt: &Path, dist: &Path, public_url: &str) -> Result {
    let index = dist.join("index.html");
    let mut html =
        std::fs::read_to_string(&index).map_err(|e| format!("{}: {e}", index.display()))?;
    let (module_name, glue_name) = preloaded(&html, public_url)?;
    let (module_path, glue_path) = (dist.join(&module_name), dist.join(&glue_name));
    let before = (
        integrity(&read(&module_path)?),
        integrity(&read(&glue_path)?),
    );

    let mut wasm_opt = Command::new(wasm_opt);
    wasm_opt
        .arg(&module_path)
        .args(["--remove-exports", "--pass-arg"])
        .arg(format!("remove-exports@{UNUSED_EXPORTS}"))
        .args(["-Oz", "-o"])
        .arg(&module_path)
        .env("PATH", &tools.path);
    check(
        &mut wasm_opt,
        &format!("wasm-opt --remove-exports {module_name}"),
    )?;

    let module = read(&module_path)?;
    let glue = String::from_utf8(read(&glue_path)?).map_err(|e| format!("{glue_name}: {e}"))?;
    let names = Names::of(&module)?;
    let renames = renames(&names, &glue);
    let module = rename_in_module(&module, &renames)?;
    let glue = rename_in_glue(&glue, &renames);
    std::fs::write(&module_path, &module).map_err(|e| format!("{module_name}: {e}"))?;
    std::fs::write(&glue_path, &glue).map_err(|e| format!("{glue_name}: {e}"))?;
    eprintln!(
        "==> {} of {} imports and {} of {} exports renamed",
        renames.imports.len(),
        names.imports.len(),
        renames.exports.len(),
        names.exports.len()
    );

    let after = (integrity(&module), integrity(glue.as_bytes()));
    for (old, new) in [(before.0, after.0), (before.1, after.1)] {
        if !html.contains(&old) {
            return Err(format!("index.html does not name a file by {old}"));
        }
        html = html.replace(&old, &new);
    }
    std::fs::write(&index, html).map_err(|e| format!("{}: {e}", index.display()))
}

/// The module (`<link rel="preload" href="/…wasm">`) and its glue
/// (`<link rel="modulepreload" href="/…js">`).
fn preloaded(html: &str, public_url: &str) -> Result<(String, String)> {
    let mut module = None;
    let mut glue = None;
    for rest in html.split("<link").skip(1) {
        let tag = rest.split_once('>').map_or(rest, |(tag, _)| tag);
        let Some(name) = attribute(tag, "href").and_then(|href| href.strip_prefix(public_url))
        else {
            continue;
        };
        let extension = Path::new(name).extension().and_then(|e| e.to_str());
        match (attribute(tag, "rel"), extension) {
            (Some("preload"), Some("wasm")) => module = Some(name.to_owned()),
            (Some("modulepreload"), Some("js")) => glue = Some(name.to_owned()),
            _ => {}
        }
    }
    module
        .zip(glue)
        .ok_or_else(|| "index.html preloads no module and glue".to_owned())
}

/// The names of a module's imports and exports.
#[derive(Debug, Default)]
struct Names {
    imports: Vec<String>,
    exports: Vec<String>,
}

impl Names {
    fn of(module: &[u8]) -> Result<Self> {
        let mut names = Self::default();
        for section in sections(module)? {
            let mut reader = Reader::new(section.payload);
            match section.id {
                IMPORTS => {
                    for _ in 0..reader.count()? {
                        let _module = reader.name()?;
                        names.imports.push(reader.name()?);
                        reader.import_kind()?;
                    }
                }
                EXPORTS => {
                    for _ in 0..reader.count()? {
                        names.exports.push(reader.name()?);
                        reader.byte()?;
                        reader.leb()?;
                    }
                }
                _ => {}
            }
        }
        Ok(names)
    }
}

/// Old name to new, for imports and for exports.
#[derive(Debug, Default, PartialEq)]
struct Renames {
    imports: BTreeMap<String, String>,
    exports: BTreeMap<String, String>,
}

/// How the glue uses a name, from its occurrences as a whole word.
#[derive(Default)]
struct Uses {
    /// `name:`, a key of an object literal.
    keys: usize,
    /// `.name`, a property read.
    properties: usize,
    other: usize,
}

/// Renames for the imports the glue defines once as a key, and the exports
/// it only reads as properties; never `memory`, and never a name that is
/// both an import and an export.
fn renames(names: &Names, glue: &str) -> Renames {
    let mut uses: BTreeMap<&str, Uses> = BTreeMap::new();
    for (start, word) in words(glue) {
        let entry = uses.entry(word).or_default();
        let before = glue[..start].chars().next_back();
        let after = glue[start + word.len()..].chars().next();
        if after == Some(':') && before != Some('.') && before != Some('?') {
            entry.keys += 1;
        } else if before == Some('.') {
            entry.properties += 1;
        } else {
            entry.other += 1;
        }
    }
    let imports: BTreeSet<&str> = names.imports.iter().map(String::as_str).collect();
    let exports: BTreeSet<&str> = names.exports.iter().map(String::as_str).collect();
    let both: BTreeSet<&str> = imports.intersection(&exports).copied().collect();
    let how_used = |name: &str| {
        uses.get(name)
            .map_or((0, 0, 0), |u| (u.keys, u.properties, u.other))
    };

    let mut renames = Renames::default();
    let renamed_imports = names.imports.iter().filter(|name| {
        !both.contains(name.as_str()) && how_used(name) == (1, 0, 0) && name.len() > 2
    });
    renames.imports = with_short_names(renamed_imports, &imports);
    let renamed_exports = names.exports.iter().filter(|name| {
        let (keys, properties, other) = how_used(name);
        name.as_str() != "memory"
            && !both.contains(name.as_str())
            && keys == 0
            && other == 0
            && properties > 0
            && name.len() > 2
    });
    renames.exports = with_short_names(renamed_exports, &exports);
    renames
}

/// New names `a`, `b`, … `Z`, `aa`, … for `old`, skipping any name in
/// `taken` (the names kept).
fn with_short_names<'a>(
    old: impl Iterator<Item = &'a String>,
    taken: &BTreeSet<&str>,
) -> BTreeMap<String, String> {
    const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut counter = 0usize;
    let mut next = || loop {
        let mut n = counter;
        counter += 1;
        let mut name = Vec::new();
        loop {
            name.push(LETTERS[n % LETTERS.len()]);
            n /= LETTERS.len();
            if n == 0 {
                break;
            }
            n -= 1;
        }
        let name = String::from_utf8(name).unwrap_or_default();
        if !taken.contains(name.as_str()) {
            return name;
        }
    };
    old.map(|name| (name.clone(), next())).collect()
}

/// Each word of identifier characters in `text`, with where it starts.
fn words(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let mut at = 0;
    std::iter::from_fn(move || {
        while at < bytes.len() && !word(bytes[at]) {
            at += 1;
        }
        let start = at;
        while at < bytes.len() && word(bytes[at]) {
            at += 1;
        }
        (start < at).then(|| (start, &text[start..at]))
    })
}

/// The glue with each renamed word replaced.
fn rename_in_glue(glue: &str, renames: &Renames) -> String {
    let mut out = String::with_capacity(glue.len());
    let mut copied = 0;
    for (start, word) in words(glue) {
        let new = renames
            .imports
            .get(word)
            .or_else(|| renames.exports.get(word));
        if let Some(new) = new {
            out.push_str(&glue[copied..start]);
            out.push_str(new);
            copied = start + word.len();
        }
    }
    out.push_str(&glue[copied..]);
    out
}

/// The module with its import and export sections written anew with the
/// new names; every other section as it was.
fn rename_in_module(module: &[u8], renames: &Renames) -> Result<Vec<u8>> {
    let mut out = module[..8].to_vec();
    for section in sections(module)? {
        let payload = match section.id {
            IMPORTS | EXPORTS => {
                let mut reader = Reader::new(section.payload);
                let mut payload = Vec::new();
                let count = reader.count()?;
                leb(&mut payload, count as u64);
                for _ in 0..count {
                    if section.id == IMPORTS {
                        let module = reader.name()?;
                        name(&mut payload, &module);
                    }
                    let old = reader.name()?;
                    let table = if section.id == IMPORTS {
                        &renames.imports
                    } else {
                        &renames.exports
                    };
                    name(&mut payload, table.get(&old).unwrap_or(&old));
                    let start = reader.at;
                    if section.id == IMPORTS {
                        reader.import_kind()?;
                    } else {
                        reader.byte()?;
                        reader.leb()?;
                    }
                    payload.extend_from_slice(&section.payload[start..reader.at]);
                }
                if reader.at != section.payload.len() {
                    return Err("a wasm section longer than its entries".to_owned());
                }
                payload
            }
            _ => section.payload.to_vec(),
        };
        out.push(section.id);
        leb(&mut out, payload.len() as u64);
        out.extend_from_slice(&payload);
    }
    Ok(out)
}

const IMPORTS: u8 = 2;
const EXPORTS: u8 = 7;

struct Section<'a> {
    id: u8,
    payload: &'a [u8],
}

/// The sections of a WebAssembly module.
fn sections(module: &[u8]) -> Result<Vec<Section<'_>>> {
    if module.get(..8) != Some(b"\0asm\x01\0\0\0".as_slice()) {
        return Err("not a WebAssembly module (version 1)".to_owned());
    }
    let mut reader = Reader::new(module);
    reader.at = 8;
    let mut sections = Vec::new();
    while reader.at < module.len() {
        let id = reader.byte()?;
        let size = reader.count()?;
        let payload = reader.bytes(size)?;
        sections.push(Section { id, payload });
    }
    Ok(sections)
}

fn leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn name(out: &mut Vec<u8>, name: &str) {
    leb(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    fn byte(&mut self) -> Result<u8> {
        let byte = *self
            .bytes
            .get(self.at)
            .ok_or("a wasm section ends too early")?;
        self.at += 1;
        Ok(byte)
    }

    fn bytes(&mut self, count: usize) -> Result<&'a [u8]> {
        let bytes = self
            .bytes
            .get(self.at..self.at + count)
            .ok_or("a wasm section ends too early")?;
        self.at += count;
        Ok(bytes)
    }

    /// An unsigned LEB128 number (a signed one is skipped the same way).
    fn leb(&mut self) -> Result<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("a wasm number too long".to_owned())
    }

    fn count(&mut self) -> Result<usize> {
        usize::try_from(self.leb()?).map_err(|e| e.to_string())
    }

    fn name(&mut self) -> Result<String> {
        let length = self.count()?;
        String::from_utf8(self.bytes(length)?.to_vec()).map_err(|e| e.to_string())
    }

    /// A value or reference type: one byte, or a reference with a heap type.
    fn value_type(&mut self) -> Result {
        if matches!(self.byte()?, 0x63 | 0x64) {
            self.leb()?;
        }
        Ok(())
    }

    /// Limits: flags, minimum, and a maximum when flag 1 says so.
    fn limits(&mut self) -> Result {
        let flags = self.byte()?;
        self.leb()?;
        if flags & 1 != 0 {
            self.leb()?;
        }
        Ok(())
    }

    /// What an import is: a function, table, memory, global or tag.
    fn import_kind(&mut self) -> Result {
        match self.byte()? {
            0 => self.leb().map(drop),
            1 => {
                self.value_type()?;
                self.limits()
            }
            2 => self.limits(),
            3 => {
                self.value_type()?;
                self.byte().map(drop)
            }
            4 => {
                self.byte()?;
                self.leb().map(drop)
            }
            kind => Err(format!("a wasm import of unknown kind {kind}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module importing a function and a memory and exporting three
    /// functions, followed by a custom section that must survive.
    fn module() -> Vec<u8> {
        let mut module = b"\0asm\x01\0\0\0".to_vec();
        // Types: one () -> ().
        module.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        let mut imports = Vec::new();
        leb(&mut imports, 2);
        name(&mut imports, "./app_bg.js");
        name(&mut imports, "__wbg_view_3b708d3bdaf3fc96");
        imports.extend_from_slice(&[0, 0]);
        name(&mut imports, "env");
        name(&mut imports, "shared");
        imports.extend_from_slice(&[2, 1, 1, 2]);
        module.push(IMPORTS);
        leb(&mut module, imports.len() as u64);
        module.extend_from_slice(&imports);
        // Functions: one, of type 0.
        module.extend_from_slice(&[3, 2, 1, 0]);
        let mut exports = Vec::new();
        leb(&mut exports, 3);
        for export in ["__wbindgen_malloc", "memory", "in_a_string"] {
            name(&mut exports, export);
            exports.extend_from_slice(&[0, 1]);
        }
        module.push(EXPORTS);
        leb(&mut module, exports.len() as u64);
        module.extend_from_slice(&exports);
        // Code: the function, empty.
        module.extend_from_slice(&[10, 4, 1, 2, 0, 0x0b]);
        module.extend_from_slice(&[0, 5, 4, b'k', b'e', b'e', b'p']);
        module
    }

    const GLUE: &str = "function i(){return{__proto__:null,\"./app_bg.js\":{__wbg_view_3b708d3bdaf3fc96:function(e){return e.view},shared:1}}}\
        function m(n){return c.__wbindgen_malloc(n)+c.memory.buffer.byteLength}\
        const s='in_a_string';c.in_a_string();";

    #[test]
    fn reads_the_names_of_imports_and_exports() {
        let names = Names::of(&module()).unwrap();
        assert_eq!(names.imports, ["__wbg_view_3b708d3bdaf3fc96", "shared"]);
        assert_eq!(
            names.exports,
            ["__wbindgen_malloc", "memory", "in_a_string"]
        );
    }

    #[test]
    fn renames_only_names_the_glue_uses_as_expected() {
        let renames = renames(&Names::of(&module()).unwrap(), GLUE);
        assert_eq!(
            renames.imports,
            BTreeMap::from([
                ("__wbg_view_3b708d3bdaf3fc96".to_owned(), "a".to_owned()),
                ("shared".to_owned(), "b".to_owned()),
            ])
        );
        // Not memory; not a name also in a string.
        assert_eq!(
            renames.exports,
            BTreeMap::from([("__wbindgen_malloc".to_owned(), "a".to_owned())])
        );
    }

    #[test]
    fn the_module_and_glue_agree_after_renaming() {
        let original = module();
        let renames = renames(&Names::of(&original).unwrap(), GLUE);
        let shrunk = rename_in_module(&original, &renames).unwrap();
        let glue = rename_in_glue(GLUE, &renames);

        let names = Names::of(&shrunk).unwrap();
        assert_eq!(names.imports, ["a", "b"]);
        assert_eq!(names.exports, ["a", "memory", "in_a_string"]);
        assert!(
            glue.contains("{a:function(e){return e.view},b:1}"),
            "{glue}"
        );
        assert!(glue.contains("c.a(n)+c.memory.buffer"), "{glue}");
        assert!(glue.contains("'in_a_string';c.in_a_string()"), "{glue}");
        assert!(shrunk.ends_with(&[0, 5, 4, b'k', b'e', b'e', b'p']));
        let sizes = |module: &[u8]| {
            sections(module)
                .unwrap()
                .iter()
                .map(|s| (s.id, s.payload.len()))
                .collect::<Vec<_>>()
        };
        assert_eq!(sizes(&shrunk).len(), sizes(&original).len());
    }

    #[test]
    fn short_names_skip_the_names_kept() {
        let old: Vec<String> = (0..60).map(|n| format!("long_{n}")).collect();
        let renamed = with_short_names(old.iter(), &BTreeSet::from(["b"]));
        let new: BTreeSet<&str> = renamed.values().map(String::as_str).collect();
        assert_eq!(new.len(), 60, "all distinct");
        assert!(!new.contains("b"));
        assert!(new.contains("a") && new.contains("Z") && new.contains("aa"));
    }
}
