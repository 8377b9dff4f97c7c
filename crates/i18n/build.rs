//! Turns locales/nl.json and locales/en.json into a `Key` enum and one table
//! of texts per language. A key missing in one language, or a placeholder
//! that one language has and the other lacks, fails the build; a key the
//! code uses that no locale has does not compile.

// A build script fails the build by panicking, with the reason.
#![allow(clippy::expect_used)]

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

const LANGUAGES: [&str; 2] = ["nl", "en"];

fn main() {
    println!("cargo:rerun-if-changed=locales");
    let tables: Vec<BTreeMap<String, String>> = LANGUAGES
        .iter()
        .map(|lang| {
            let path = Path::new("locales").join(format!("{lang}.json"));
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

    let mut problems = Vec::new();
    for (lang, table) in LANGUAGES.iter().zip(&tables) {
        for (other_lang, other) in LANGUAGES.iter().zip(&tables) {
            for key in other.keys().filter(|key| !table.contains_key(*key)) {
                problems.push(format!(
                    "{lang}.json lacks \"{key}\" (present in {other_lang}.json)"
                ));
            }
        }
    }
    let keys: Vec<&String> = tables[0].keys().collect();
    for key in &keys {
        let placeholders: Vec<Vec<&str>> = tables
            .iter()
            .filter_map(|table| table.get(*key))
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
    assert!(
        problems.is_empty(),
        "locales do not match:\n  {}",
        problems.join("\n  ")
    );

    let mut out = String::new();
    out.push_str("/// Every text of the portal, one variant per key of the locale files.\n");
    out.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub enum Key {\n");
    for key in &keys {
        let _ = writeln!(out, "    {},", camel(key));
    }
    out.push_str("}\n\n");
    for (lang, table) in LANGUAGES.iter().zip(&tables) {
        let _ = writeln!(
            out,
            "const {}: [&str; {}] = [",
            lang.to_uppercase(),
            keys.len()
        );
        for key in &keys {
            let _ = writeln!(out, "    {:?},", table[*key]);
        }
        out.push_str("];\n\n");
    }
    let out_dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("i18n_keys.rs"), out).expect("write i18n_keys.rs");
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
