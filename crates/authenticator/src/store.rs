//! The tokens, in a JSON file only its owner can read (mode 0600) under the
//! user's configuration folder.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::token::Token;

/// Where the tokens live by default: `$XDG_CONFIG_HOME/aanmelden/tokens.json`,
/// else `~/.config/aanmelden/tokens.json`.
pub fn default_path() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))?;
    Some(config.join("aanmelden").join("tokens.json"))
}

/// Read the tokens; none when the file does not exist yet.
pub fn load(path: &Path) -> Result<Vec<Token>, String> {
    match fs::read_to_string(path) {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| format!("{} is damaged: {e}", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Write the tokens: to a new file of mode 0600 beside it, then renamed
/// over the old one, so a crash never leaves half a file.
pub fn save(path: &Path, tokens: &[Token]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    if let Some(folder) = path.parent() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(folder)
            .map_err(fail)?;
    }
    let temporary = path.with_extension("json.new");
    let text = serde_json::to_string_pretty(tokens).map_err(|e| e.to_string())?;
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(fail)?;
    // An older file of wider mode keeps its mode on open: narrow it.
    file.set_permissions(fs::Permissions::from_mode(0o600))
        .map_err(fail)?;
    file.write_all(text.as_bytes()).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    fs::rename(&temporary, path).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    const URI: &str = "otpauth://totp/Missing%20Piece:jan%40missingpiece.nl?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Missing%20Piece&aanmelden_device=3&aanmelden_server=http%3A%2F%2F127.0.0.1%3A8080";

    #[test]
    fn tokens_are_kept_in_a_private_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("tokens.json");
        assert!(load(&path).unwrap().is_empty());
        let token = Token::from_uri(URI).unwrap();

        save(&path, std::slice::from_ref(&token)).unwrap();

        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let folder = fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(folder & 0o077, 0);
        assert_eq!(load(&path).unwrap(), vec![token]);
    }

    #[test]
    fn a_damaged_file_is_an_error_not_an_empty_list() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokens.json");
        fs::write(&path, "{not json").unwrap();
        assert!(load(&path).is_err());
    }
}
