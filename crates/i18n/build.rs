//! Turns locales/nl.json and locales/en.json (and locales/devices/, for the
//! devices build and native builds, and locales/phone/, for the phone app
//! and native builds) into a `Key` enum and one table of texts per
//! language. A key missing in one language, or a placeholder that one
//! language has and the other lacks, fails the build; a key the code uses
//! that no locale has (in the build at hand) does not compile.

// A build script fails the build by panicking, with the reason.
#![allow(clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

const LANGUAGES: [&str; 2] = ["nl", "en"];

/// A set of texts: one table per language, key to text.
type Set = Vec<BTreeMap<String, String>>;

/// The sets of texts: the first build's (every screen up to the devices
/// step); the rest of the portal's, which only the devices build (feature
/// `devices`) and native builds (the server's plain pages) carry, so that
/// the first screen does not download them; and the phone app's own
/// (feature `phone`). A target, not a feature, tells the server's build:
/// features of one package in the workspace would reach the first build
/// too.
const SETS: [(&str, Option<&str>); 3] = [
    ("locales", None),
    ("locales/devices", Some(DEVICES)),
    ("locales/phone", Some(PHONE)),
];

/// Where the second set is compiled in.
const DEVICES: &str = r#"any(feature = "devices", not(target_arch = "wasm32"))"#;

/// Where the third set is compiled in.
const PHONE: &str = r#"any(feature = "phone", not(target_arch = "wasm32"))"#;

fn main() {
    println!("cargo:rerun-if-changed=locales");
    let mut problems = Vec::new();
    let sets: Vec<(Set, Option<&str>)> = SETS
        .iter()
        .map(|(folder, feature)| (read_set(folder, &mut problems), *feature))
        .collect();
    let mut seen = BTreeMap::new();
    for ((folder, _), (tables, _)) in SETS.iter().zip(&sets) {
        for key in tables[0].keys() {
            if let Some(other) = seen.insert(key.clone(), *folder) {
                problems.push(format!("\"{key}\" is in {other} and in {folder}"));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "locales do not match:\n  {}",
        problems.join("\n  ")
    );

    let mut out = String::new();
    out.push_str("/// Every text of the portal, one variant per key of the locale files.\n");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub enum Key {\n");
    for (tables, feature) in &sets {
        for key in tables[0].keys() {
            if let Some(feature) = feature {
                let _ = writeln!(out, "    #[cfg({feature})]");
            }
            let _ = writeln!(out, "    {},", camel(key));
        }
    }
    out.push_str("}\n\n");
    // One table per language for each combination of the optional sets,
    // holding the first set and those of the combination, in the order of
    // the enum's variants.
    let optional = sets.len() - 1;
    for combination in 0..1usize << optional {
        let included = |set: usize| set == 0 || combination & (1 << (set - 1)) != 0;
        let conditions: Vec<String> = sets
            .iter()
            .enumerate()
            .skip(1)
            .map(|(set, (_, feature))| {
                let feature = feature.expect("every set but the first has a condition");
                if included(set) {
                    feature.to_owned()
                } else {
                    format!("not({feature})")
                }
            })
            .collect();
        let cfg = format!("#[cfg(all({}))]", conditions.join(", "));
        for (i, lang) in LANGUAGES.iter().enumerate() {
            let texts: Vec<&String> = sets
                .iter()
                .enumerate()
                .filter(|(set, _)| included(*set))
                .flat_map(|(_, (tables, _))| tables[i].values())
                .collect();
            let _ = writeln!(
                out,
                "{cfg}\nconst {}: [&str; {}] = [",
                lang.to_uppercase(),
                texts.len()
            );
            for text in texts {
                let _ = writeln!(out, "    {text:?},");
            }
            out.push_str("];\n\n");
        }
    }
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("i18n_keys.rs"), out).expect("write i18n_keys.rs");
}

/// One set's table per language, from `folder`/nl.json and en.json; what
/// does not match between the languages goes to `problems`.
fn read_set(folder: &str, problems: &mut Vec<String>) -> Set {
    let tables: Vec<BTreeMap<String, String>> = LANGUAGES
        .iter()
        .map(|lang| {
            let path = Path::new(folder).join(format!("{lang}.json"));
            println!("cargo:rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            serde_json::from_str(&text).unwrap_or_else(|e| {
                panic!(
                    "{} is not a flat JSON object of strings: {e}",
                    path.display()
                )
            })
        })
        .collect();
    for (lang, table) in LANGUAGES.iter().zip(&tables) {
        for (other_lang, other) in LANGUAGES.iter().zip(&tables) {
            for key in other.keys().filter(|key| !table.contains_key(*key)) {
                problems.push(format!(
                    "{folder}/{lang}.json lacks \"{key}\" (present in {other_lang}.json)"
                ));
            }
        }
    }
    for key in tables[0].keys() {
        let placeholders: Vec<Vec<&str>> = tables
            .iter()
            .filter_map(|table| table.get(key))
            .map(|text| placeholders(text))
            .collect();
        if placeholders.windows(2).any(|pair| pair[0] != pair[1]) {
            problems.push(format!(
                "\"{key}\" has other {{placeholders}} in each language"
            ));
        }
        if !key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            problems.push(format!("\"{key}\": keys are lower_snake_case"));
        }
    }
    tables
}

/// The `{name}` placeholders of a text, sorted.
fn placeholders(text: &str) -> Vec<&str> {
    let mut found: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect();
    found.sort_unstable();
    found
}

fn camel(key: &str) -> String {
    key.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
