//! The app starts after the first paint: Trunk's loader is told to wait
//! for the frame that shows the server's page before it starts the app,
//! so that the app's start (instantiating the module, mounting its screens
//! on a slow CPU) never delays the first screen, even where the module is
//! already there when the page is parsed.

use std::path::Path;

use crate::Result;

/// Where Trunk's loader starts the app.
const START: &str = "const wasm = await init(";

/// Waits for the next frame to be drawn: `requestAnimationFrame` runs
/// before it is drawn, the timer after. A page in a background tab draws
/// no frame: there the app starts after a second.
const AFTER_THE_FIRST_PAINT: &str = "await new Promise((start) => { \
     requestAnimationFrame(() => setTimeout(start)); setTimeout(start, 1000); });\n";

/// Make the loader in `dist/index.html` start the app after the first paint.
pub fn after_first_paint(dist: &Path) -> Result {
    let index = dist.join("index.html");
    let html = std::fs::read_to_string(&index).map_err(|e| format!("{}: {e}", index.display()))?;
    std::fs::write(&index, deferred(&html)?).map_err(|e| format!("{}: {e}", index.display()))
}

fn deferred(html: &str) -> Result<String> {
    if html.matches(START).count() != 1 {
        return Err(format!(
            "index.html: Trunk's loader does not start the app with `{START}` once"
        ));
    }
    Ok(html.replacen(START, &format!("{AFTER_THE_FIRST_PAINT}{START}"), 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_starts_after_a_frame() {
        let html = "<script type=\"module\">\nimport init from '/a.js';\nconst wasm = await init({ module_or_path: '/a.wasm' });\n</script>";
        let deferred = deferred(html).unwrap();
        let wait = deferred.find("requestAnimationFrame").unwrap();
        let start = deferred.find(START).unwrap();
        assert!(wait < start, "{deferred}");
        assert!(deferred.starts_with("<script type=\"module\">\nimport init from '/a.js';\n"));
    }

    #[test]
    fn a_loader_of_another_shape_is_an_error() {
        assert!(deferred("<script>init()</script>").is_err());
    }
}
