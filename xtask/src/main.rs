//! `cargo xtask setup | run | test`: the two commands a newcomer needs, and
//! the tool installation both share.

use std::env;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::mpsc;

mod compress;
mod loader;
mod minify;
mod shrink;
mod size;

/// Trunk 0.22 needs a newer rustc than this project's; 0.21.14 works.
const TRUNK_VERSION: &str = "0.21.14";
/// binaryen 132 from npm; Debian's older wasm-opt produces a blank page.
const BINARYEN_VERSION: &str = "132.0.0";
/// The minifier of the app's JavaScript glue, from npm.
const ESBUILD_VERSION: &str = "0.25.12";
/// The accessibility checker the browser tests inject into every screen.
const AXE_CORE_VERSION: &str = "4.14.1";
/// The driver the browser tests start Firefox ESR through.
const GECKODRIVER_VERSION: &str = "0.37.1";
/// The environment variable with the PostgreSQL URL for the API tests.
const POSTGRES_TEST_URL: &str = "TEST_POSTGRES_URL";

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let task = env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "setup" => setup().map(drop),
        "run" => run(),
        "test" => test(),
        "build" => build_tools().and_then(|tools| build_spa(&tools)),
        "screenshots" => screenshots(),
        "bench" => bench(env::args().nth(2).as_deref()),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\n  setup   install the tools the build and the tests need (quick when present)\n  run     build the server and serve the plain pages on http://127.0.0.1:8080, then install\n          the app's build tools and build the app, which the running server takes up\n  test    setup, format check, clippy, build the portal, every test\n  build   install the build tools and build the portal into dist/\n  screenshots  build, then every screen in NL and EN into docs/screenshots/\n  bench   build, then every figure: size, first-paint, devices-step, load, push (or one of them by name)"
            );
            return ExitCode::FAILURE;
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask {task}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Where the tools live: PATH for the commands that need them.
struct Tools {
    path: OsString,
}

/// esbuild as `setup` installs it from npm.
fn esbuild() -> PathBuf {
    root().join("target/tools/node_modules/.bin/esbuild")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Where `setup` puts what it installs from npm.
fn tools_dir() -> PathBuf {
    root().join("target").join("tools")
}

/// The tools' PATH, whether they are installed yet or not.
fn tools() -> Result<Tools> {
    let cargo_bin = env::var_os("CARGO_HOME")
        .map_or_else(
            || PathBuf::from(env::var_os("HOME").unwrap_or_default()).join(".cargo"),
            PathBuf::from,
        )
        .join("bin");
    let node_bin = tools_dir().join("node_modules").join(".bin");
    let mut paths = vec![node_bin, cargo_bin];
    paths.extend(env::split_paths(&env::var_os("PATH").unwrap_or_default()));
    let path = env::join_paths(paths).map_err(|e| e.to_string())?;
    Ok(Tools { path })
}

/// Everything: what building the app needs and what the tests need.
fn setup() -> Result<Tools> {
    let tools = build_tools()?;
    test_tools(&tools)?;
    Ok(tools)
}

/// Install what building the app needs and is missing: the wasm target and
/// the standard library's source, trunk, the wasm-bindgen CLI of
/// Cargo.lock's version, wasm-opt and esbuild. Each is checked first, so a
/// second run takes seconds.
fn build_tools() -> Result<Tools> {
    let root = root();
    let tools_dir = tools_dir();
    let node_bin = tools_dir.join("node_modules").join(".bin");
    let tools = tools()?;

    if !output(&tools, "rustup", &["target", "list", "--installed"])
        .unwrap_or_default()
        .contains("wasm32-unknown-unknown")
    {
        step(
            &tools,
            "rustup",
            &["target", "add", "wasm32-unknown-unknown"],
        )?;
    }

    // The page's standard library is built for size from its source.
    if !output(&tools, "rustup", &["component", "list", "--installed"])
        .unwrap_or_default()
        .contains("rust-src")
    {
        step(&tools, "rustup", &["component", "add", "rust-src"])?;
    }

    if !output(&tools, "trunk", &["--version"]).is_some_and(|v| v.contains(TRUNK_VERSION)) {
        step(
            &tools,
            "cargo",
            &["install", "trunk", "--version", TRUNK_VERSION, "--locked"],
        )?;
    }

    let bindgen = locked_version(&root, "wasm-bindgen")?;
    if output(&tools, "wasm-bindgen", &["--version"])
        .is_none_or(|v| v.split_whitespace().nth(1) != Some(bindgen.as_str()))
    {
        // Not --locked: its lock file names a crate version the registry lacks.
        step(
            &tools,
            "cargo",
            &[
                "install",
                "wasm-bindgen-cli",
                "--version",
                &bindgen,
                "--force",
            ],
        )?;
    }

    let wasm_opt = node_bin.join("wasm-opt");
    if !output(&tools, &wasm_opt.to_string_lossy(), &["--version"])
        .is_some_and(|v| v.contains(&format!("version {}", major(BINARYEN_VERSION))))
    {
        npm_install(&tools, &tools_dir, &format!("binaryen@{BINARYEN_VERSION}"))?;
    }
    if output(&tools, &esbuild().to_string_lossy(), &["--version"])
        .is_none_or(|v| v.trim() != ESBUILD_VERSION)
    {
        npm_install(&tools, &tools_dir, &format!("esbuild@{ESBUILD_VERSION}"))?;
    }
    Ok(tools)
}

/// Install what only the tests, screenshots and benchmarks need and is
/// missing: axe-core, and the browsers, their drivers, nginx, Caddy and
/// slapd.
/// Each is checked first, so a second run takes seconds.
fn test_tools(tools: &Tools) -> Result {
    let tools_dir = tools_dir();
    let axe = tools_dir.join("node_modules/axe-core/package.json");
    if !std::fs::read_to_string(&axe)
        .is_ok_and(|package| package.contains(&format!("\"version\": \"{AXE_CORE_VERSION}\"")))
    {
        npm_install(tools, &tools_dir, &format!("axe-core@{AXE_CORE_VERSION}"))?;
    }
    browsers(tools)
}

/// Install `package` (`name@version`) from npm under `tools_dir`.
fn npm_install(tools: &Tools, tools_dir: &Path, package: &str) -> Result {
    std::fs::create_dir_all(tools_dir).map_err(|e| e.to_string())?;
    step(
        tools,
        "npm",
        &[
            "install",
            "--prefix",
            &tools_dir.to_string_lossy(),
            "--no-audit",
            "--no-fund",
            package,
        ],
    )
}

/// What the tests start from Debian: headless Chromium and chromedriver and
/// Firefox ESR, which the browser tests drive, nginx and Caddy, which the
/// proxy tests put in front of the server, slapd (`OpenLDAP`), the
/// directory the directory tests check passwords against, and Samba's
/// Active Directory domain controller, which the AD test provisions in a
/// network namespace of its own (`ip` from iproute2); and geckodriver
/// for Firefox, from crates. The package index is refreshed only when
/// something is missing.
fn browsers(tools: &Tools) -> Result {
    let runs = |program| output(tools, program, &["--version"]).is_some();
    if !output(tools, "geckodriver", &["--version"])
        .is_some_and(|v| v.contains(GECKODRIVER_VERSION))
    {
        step(
            tools,
            "cargo",
            &[
                "install",
                "geckodriver",
                "--version",
                GECKODRIVER_VERSION,
                "--locked",
            ],
        )?;
    }
    let mut missing = Vec::new();
    if !(runs("chromium") && runs("chromedriver")) {
        missing.extend(["chromium", "chromium-driver"]);
    }
    if !Path::new("/usr/bin/firefox-esr").exists() {
        missing.push("firefox-esr");
    }
    if !Path::new("/usr/sbin/nginx").exists() {
        missing.push("nginx");
    }
    if !Path::new("/usr/bin/caddy").exists() {
        missing.push("caddy");
    }
    if !Path::new("/usr/sbin/slapd").exists() {
        missing.push("slapd");
    }
    if !Path::new("/usr/sbin/samba").exists() || !Path::new("/usr/bin/samba-tool").exists() {
        missing.push("samba-ad-dc");
    }
    if !Path::new("/usr/sbin/ip").exists() {
        missing.push("iproute2");
    }
    if missing.is_empty() {
        return Ok(());
    }
    apt_get(tools, &["update"])?;
    let mut install = vec!["install", "-y"];
    install.extend(missing);
    apt_get(tools, &install)
}

fn apt_get(tools: &Tools, args: &[&str]) -> Result {
    let mut command = Command::new("apt-get");
    command
        .args(args)
        .env("PATH", &tools.path)
        // No prompts from package configuration scripts: nobody answers them.
        .env("DEBIAN_FRONTEND", "noninteractive");
    check(&mut command, &format!("apt-get {}", args.join(" ")))
}

/// `cargo xtask run`: the release server on the embedded defaults (SQLite
/// under ./data, with a demo user on first start), serving as soon as it is
/// built; then the app's build tools and a release build of the app, which
/// the running server takes up. On a fresh machine the plain pages, which
/// need the server alone, work many minutes before the app's tools are
/// compiled.
fn run() -> Result {
    let tools = tools()?;
    step(
        &tools,
        "cargo",
        &[
            "build",
            "--release",
            "--package",
            "aanmelden-server",
            "--bin",
            "aanmelden",
        ],
    )?;
    if let Err(error) = style_only_build(&root()) {
        eprintln!("==> the pages go without their stylesheet until the app is built: {error}");
    }
    let (mut server, address) = serve(&tools)?;
    eprintln!(
        "\n==> The sign-in pages work now on {address}: the server is running.\n    \
         The app follows: its build tools and its build come next (many minutes on a first\n    \
         run), and the running server takes it up when the build is ready.\n"
    );
    let built = build_tools().and_then(|tools| {
        if let Some(status) = server.try_wait().map_err(|e| e.to_string())? {
            return Err(format!("the server stopped ({status})"));
        }
        build_spa(&tools)
    });
    match &built {
        Ok(()) => eprintln!(
            "\n==> The app is built: {address} loads it from the next page on. \
             The server keeps running (Ctrl-C stops it).\n"
        ),
        Err(error) => eprintln!(
            "\n==> The app was not built ({error}).\n    \
             The sign-in pages keep working without it on {address} (Ctrl-C stops the server).\n"
        ),
    }
    let status = server
        .wait()
        .map_err(|e| format!("cannot wait for the server: {e}"))?;
    built?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the server stopped ({status})"))
    }
}

/// The app's stylesheet, as index.html names it for Trunk.
const STYLESHEET: &str = "style/main.css";

/// Where there is no build yet, one of the stylesheet alone, which the
/// server puts into its pages: the plain pages served before the app is
/// built look as they will with it. The app's build replaces it.
fn style_only_build(root: &Path) -> Result {
    let dist = root.join("dist");
    if dist.join("index.html").exists() {
        return Ok(());
    }
    let building = root.join("target").join("dist-building");
    remove_folder(&building)?;
    std::fs::create_dir_all(&building)
        .map_err(|e| format!("cannot create {}: {e}", building.display()))?;
    let style = root.join(STYLESHEET);
    std::fs::copy(&style, building.join("main.css"))
        .map_err(|e| format!("cannot copy {}: {e}", style.display()))?;
    std::fs::write(
        building.join("index.html"),
        "<!doctype html>\n<html lang=\"nl\">\n<head>\n<title>Aanmelden</title>\n\
         <link rel=\"stylesheet\" href=\"/main.css\"/>\n</head>\n<body></body>\n</html>\n",
    )
    .map_err(|e| format!("cannot write {}: {e}", building.display()))?;
    move_into_place(&building, &dist)
}

/// What the server logs once it listens, before its address.
const LISTENS_ON: &str = "aanmelden listens on ";

/// Start the built release server with `--demo` and wait until it listens;
/// its log goes on to standard error as it comes. Returns the server and
/// the address it serves on.
fn serve(tools: &Tools) -> Result<(Child, String)> {
    let binary = root()
        .join("target")
        .join("release")
        .join(format!("aanmelden{}", env::consts::EXE_SUFFIX));
    eprintln!("==> {} serve --demo", binary.display());
    let mut server = Command::new(&binary)
        .args(["serve", "--demo"])
        .env("PATH", &tools.path)
        .current_dir(root())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    let log = server
        .stderr
        .take()
        .ok_or("the server's standard error is not there to read")?;
    let (listens, address) = mpsc::channel();
    std::thread::spawn(move || {
        let mut listens = Some(listens);
        let mut stderr = std::io::stderr();
        for line in BufReader::new(log).split(b'\n') {
            let Ok(line) = line else { break };
            let line = String::from_utf8_lossy(&line);
            // The line first, then what `run` prints on it. Should this
            // standard error be closed, the log is still read to its end,
            // so that the address is found and the server never blocks.
            let _ = writeln!(stderr, "{line}");
            if let Some(address) = listening_address(&line)
                && let Some(listens) = listens.take()
            {
                // The receiver is only gone when `run` has given up.
                let _ = listens.send(address);
            }
        }
    });
    if let Ok(address) = address.recv() {
        return Ok((server, address));
    }
    let status = server
        .wait()
        .map_err(|e| format!("cannot wait for the server: {e}"))?;
    Err(format!("the server stopped before it served ({status})"))
}

/// The address in the server's log line that says it listens.
fn listening_address(line: &str) -> Option<String> {
    let (_, rest) = line.split_once(LISTENS_ON)?;
    let address: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    address.starts_with("http").then_some(address)
}

/// `cargo xtask test`: everything CI checks.
fn test() -> Result {
    let tools = setup()?;
    step(&tools, "cargo", &["fmt", "--all", "--", "--check"])?;
    step(
        &tools,
        "cargo",
        &["clippy", "--all-targets", "--", "-D", "warnings"],
    )?;
    // The app with and without its devices screens, natively (its unit
    // tests) and for the browser.
    for features in ["", "devices"] {
        step(
            &tools,
            "cargo",
            &[
                "clippy",
                "--package",
                "aanmelden-web",
                "--features",
                features,
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ],
        )?;
    }
    step(
        &tools,
        "cargo",
        &[
            "clippy",
            "--package",
            "aanmelden-web",
            "--features",
            "devices",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // The phone app, natively (its unit tests) and for the browser: not a
    // default member of the workspace, so named here; its QR decoder for
    // the browser too.
    for target in [None, Some("wasm32-unknown-unknown")] {
        let mut args = vec!["clippy", "--package", "aanmelden-phone"];
        match target {
            Some(target) => args.extend(["--package", "aanmelden-qr", "--target", target]),
            None => args.push("--all-targets"),
        }
        args.extend(["--", "-D", "warnings"]);
        step(&tools, "cargo", &args)?;
    }
    build_spa(&tools)?;
    if env::var_os(POSTGRES_TEST_URL).is_none() {
        eprintln!(
            "\n*** {POSTGRES_TEST_URL} is not set: the PostgreSQL half of the API tests will be SKIPPED ***\n"
        );
    }
    step(&tools, "cargo", &["test"])?;
    step(
        &tools,
        "cargo",
        &[
            "test",
            "--package",
            "aanmelden-web",
            "--features",
            "devices",
            "--bin",
            "aanmelden-web",
        ],
    )?;
    step(&tools, "cargo", &["test", "--package", "aanmelden-phone"])
}

/// `cargo xtask screenshots`: every screen, both languages, from the built
/// portal on the real server in headless Chromium.
fn screenshots() -> Result {
    let tools = setup()?;
    build_spa(&tools)?;
    let folder = root().join("docs").join("screenshots");
    step(
        &tools,
        "cargo",
        &[
            "run",
            "--example",
            "screenshots",
            "--",
            &folder.to_string_lossy(),
        ],
    )
}

/// `cargo xtask bench [size | first-paint | devices-step | load | push | directory]`: figures,
/// printed, with the command that gives each; never a timed assertion.
/// Without a name, all of them in one run.
fn bench(which: Option<&str>) -> Result {
    let all = [
        "size",
        "first-paint",
        "devices-step",
        "load",
        "push",
        "directory",
    ];
    let chosen: Vec<&str> = match which {
        None => all.to_vec(),
        Some(name) if all.contains(&name) => vec![name],
        Some(_) => {
            return Err(
                "usage: cargo xtask bench [size | first-paint | devices-step | load | push | directory]"
                    .into(),
            );
        }
    };
    let tools = setup()?;
    build_spa(&tools)?;
    step(
        &tools,
        "cargo",
        &["build", "--release", "--package", "aanmelden-server"],
    )?;
    for name in chosen {
        println!("\n# {name}\n");
        match name {
            "size" => {
                println!(
                    "(cargo xtask bench size: the release server, GET with Accept-Encoding: br, gzip)\n"
                );
                size::first_screen(
                    &root().join("target/release/aanmelden"),
                    &root().join("dist"),
                )?;
            }
            "first-paint" => {
                step(
                    &tools,
                    "cargo",
                    &["run", "--release", "--example", "bench_first_paint"],
                )?;
            }
            "devices-step" => {
                step(
                    &tools,
                    "cargo",
                    &["run", "--release", "--example", "bench_devices_step"],
                )?;
            }
            "load" => {
                println!(
                    "(cargo run --release -p aanmelden-server --example bench_load -- 200 10)\n"
                );
                step(
                    &tools,
                    "cargo",
                    &[
                        "run",
                        "--release",
                        "--package",
                        "aanmelden-server",
                        "--example",
                        "bench_load",
                        "--",
                        "200",
                        "10",
                    ],
                )?;
            }
            "directory" => {
                println!(
                    "(cargo run --release -p aanmelden-server --example bench_directory -- 200)\n"
                );
                step(
                    &tools,
                    "cargo",
                    &[
                        "run",
                        "--release",
                        "--package",
                        "aanmelden-server",
                        "--example",
                        "bench_directory",
                        "--",
                        "200",
                    ],
                )?;
            }
            _ => {
                step(
                    &tools,
                    "cargo",
                    &["run", "--release", "--example", "bench_push"],
                )?;
            }
        }
    }
    Ok(())
}

/// The page's standard library, rebuilt from its source for size: its
/// panics stop at once, with no message to format (the page shows none).
/// These options are unstable; `RUSTC_BOOTSTRAP` lets this stable compiler
/// take them, for this build only. Together with [`SMALL_RUSTFLAGS`] they
/// take about 17 KB brotli off the page (docs/PERFORMANCE.md).
const SMALL_STD: [(&str, &str); 3] = [
    ("RUSTC_BOOTSTRAP", "1"),
    ("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort"),
    ("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size"),
];

/// The page's compiler flags: `.cargo/config.toml`'s, plus no panic
/// messages, no source locations and no `Debug` output in the page.
const SMALL_RUSTFLAGS: &str = "--cfg erase_components -Zunstable-options -Cpanic=immediate-abort \
     -Zlocation-detail=none -Zfmt-debug=none";

/// Where in dist/ the build with the devices screens goes (the server
/// reads it from there).
const DEVICES_BUILD: &str = "devices";

/// Where in dist/ the phone app goes (the server serves it from there).
const PHONE_BUILD: &str = "telefoon";

/// A release build of the portal into dist/ (and the build with the
/// devices screens into dist/devices/), offline once the crates are
/// fetched, with brotli and gzip copies of their files.
///
/// Built in a folder of its own and moved into place whole at the end: a
/// running server looks at dist/ for a new build, and would otherwise
/// take up one half written (Trunk empties its folder first, and the steps
/// after it rewrite index.html).
fn build_spa(tools: &Tools) -> Result {
    step(tools, "cargo", &["fetch"])?;
    let mut fetch_std = Command::new("cargo");
    fetch_std
        .args(["fetch", "--target", "wasm32-unknown-unknown"])
        .envs(SMALL_STD)
        .env("PATH", &tools.path)
        .current_dir(root());
    check(
        &mut fetch_std,
        "cargo fetch (the standard library's crates)",
    )?;
    let dist = root().join("dist");
    let building = root().join("target").join("dist-building");
    remove_folder(&building)?;
    // The first screen's build, then the one with the devices screens
    // (the `devices` feature), which the devices pages load, in a folder of
    // dist/ of its own; then the phone app, a crate of its own, in its
    // folder (its service worker's scope).
    for (target, features, folder, public_url) in [
        (None, None, None, "/"),
        (None, Some("devices"), Some(DEVICES_BUILD), "/devices/"),
        (
            Some("crates/phone/index.html"),
            None,
            Some(PHONE_BUILD),
            "/telefoon/",
        ),
    ] {
        let out = folder.map_or_else(|| building.clone(), |folder| building.join(folder));
        let mut trunk = Command::new("trunk");
        trunk.arg("build");
        if let Some(target) = target {
            trunk.arg(target);
        }
        trunk
            .args(["--release", "--public-url", public_url])
            .arg("--dist")
            .arg(&out)
            .envs(SMALL_STD)
            .env("RUSTFLAGS", SMALL_RUSTFLAGS)
            .env("PATH", &tools.path)
            .env("TRUNK_OFFLINE", "true")
            .current_dir(root());
        if let Some(features) = features {
            trunk.args(["--features", features]);
        }
        check(
            &mut trunk,
            &format!("trunk build --release --dist {}", out.display()),
        )?;
        // The portal's pages show before their app; the phone app's page
        // is the app.
        if target.is_none() {
            loader::after_first_paint(&out)?;
        }
        minify::scripts(tools, &esbuild(), &out, public_url)?;
        shrink::wasm(
            tools,
            &root().join("target/tools/node_modules/.bin/wasm-opt"),
            &out,
            public_url,
        )?;
    }
    build_qr_decoder(tools, &building.join(PHONE_BUILD))?;
    eprintln!("==> brotli and gzip copies");
    for file in compress::precompress(&building)? {
        eprintln!(
            "    {:<48} {:>8} raw {:>8} gzip {:>8} brotli",
            file.path
                .strip_prefix(&building)
                .unwrap_or(&file.path)
                .display(),
            file.raw,
            file.gzip,
            file.brotli
        );
    }
    eprintln!("==> the build into {}", dist.display());
    move_into_place(&building, &dist)
}

/// The phone app's QR decoder, a WebAssembly module of its own that the
/// app loads when the user scans, into `out` as `qr.wasm`.
fn build_qr_decoder(tools: &Tools, out: &Path) -> Result {
    let mut cargo = Command::new("cargo");
    cargo
        .args(["build", "--package", "aanmelden-qr", "--lib"])
        .args([
            "--target",
            "wasm32-unknown-unknown",
            "--profile",
            "wasm-release",
        ])
        .envs(SMALL_STD)
        .env("RUSTFLAGS", SMALL_RUSTFLAGS)
        .env("PATH", &tools.path)
        .current_dir(root());
    check(&mut cargo, "cargo build --package aanmelden-qr (qr.wasm)")?;
    let built = root().join("target/wasm32-unknown-unknown/wasm-release/aanmelden_qr.wasm");
    let mut wasm_opt = Command::new(root().join("target/tools/node_modules/.bin/wasm-opt"));
    wasm_opt
        .arg(&built)
        .args(["-Oz", "--strip-debug", "--strip-producers", "-o"])
        .arg(out.join("qr.wasm"))
        .env("PATH", &tools.path);
    check(&mut wasm_opt, "wasm-opt -Oz qr.wasm")
}

/// Put the folder `built` where `dist` is, replacing what is there. A
/// folder cannot be renamed onto one with files in it, so the old one
/// steps aside first (for an instant there is no `dist`); it is put back
/// if the new one cannot be moved in.
fn move_into_place(built: &Path, dist: &Path) -> Result {
    let previous = built.with_extension("previous");
    remove_folder(&previous)?;
    let had_one = dist.exists();
    if had_one {
        std::fs::rename(dist, &previous).map_err(|e| {
            format!(
                "cannot move {} to {}: {e}",
                dist.display(),
                previous.display()
            )
        })?;
    }
    if let Err(error) = std::fs::rename(built, dist) {
        if had_one {
            // Whatever this says, the error that matters is the one below.
            let _ = std::fs::rename(&previous, dist);
        }
        return Err(format!(
            "cannot move {} to {}: {error}",
            built.display(),
            dist.display()
        ));
    }
    remove_folder(&previous)
}

/// Remove `folder` and what is in it, if it is there.
fn remove_folder(folder: &Path) -> Result {
    match std::fs::remove_dir_all(folder) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(format!("cannot remove {}: {error}", folder.display()))
        }
        _ => Ok(()),
    }
}

fn step(tools: &Tools, program: &str, args: &[&str]) -> Result {
    let mut command = Command::new(program);
    command
        .args(args)
        .env("PATH", &tools.path)
        .current_dir(root());
    check(&mut command, &format!("{program} {}", args.join(" ")))
}

fn check(command: &mut Command, shown: &str) -> Result {
    eprintln!("==> {shown}");
    let status = command
        .status()
        .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// What a command prints, if it runs and succeeds.
fn output(tools: &Tools, program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .env("PATH", &tools.path)
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The version of `package` that Cargo.lock pins.
fn locked_version(root: &Path, package: &str) -> Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    let wanted = format!("name = \"{package}\"");
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == wanted
            && let Some(version) = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|l| l.strip_suffix('"'))
        {
            return Ok(version.to_owned());
        }
    }
    Err(format!("Cargo.lock has no {package}"))
}

fn major(version: &str) -> &str {
    version.split('.').next().unwrap_or(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An empty folder of its own under the system's temporary folder.
    fn scratch(name: &str) -> PathBuf {
        let dir = env::temp_dir().join(format!("xtask-{name}-{}", std::process::id()));
        remove_folder(&dir).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn write(path: &Path, text: &str) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    #[test]
    fn a_build_replaces_the_last_one_whole() {
        let dir = scratch("replace");
        let (built, dist) = (dir.join("building"), dir.join("dist"));
        write(&dist.join("index.html"), "old");
        write(&dist.join("old-1.wasm"), "old");
        write(&built.join("index.html"), "new");
        write(&built.join("devices").join("index.html"), "new devices");

        move_into_place(&built, &dist).unwrap();

        assert_eq!(
            std::fs::read_to_string(dist.join("index.html")).unwrap(),
            "new"
        );
        assert_eq!(
            std::fs::read_to_string(dist.join("devices").join("index.html")).unwrap(),
            "new devices"
        );
        assert!(!dist.join("old-1.wasm").exists());
        assert!(!built.exists());
        assert!(!dir.join("building.previous").exists());
        remove_folder(&dir).unwrap();
    }

    #[test]
    fn a_first_build_goes_where_there_was_none() {
        let dir = scratch("first");
        let (built, dist) = (dir.join("building"), dir.join("dist"));
        write(&built.join("index.html"), "new");

        move_into_place(&built, &dist).unwrap();

        assert_eq!(
            std::fs::read_to_string(dist.join("index.html")).unwrap(),
            "new"
        );
        assert!(!built.exists());
        remove_folder(&dir).unwrap();
    }

    #[test]
    fn a_build_that_cannot_move_in_leaves_the_last_one() {
        let dir = scratch("missing");
        let dist = dir.join("dist");
        write(&dist.join("index.html"), "old");

        let moved = move_into_place(&dir.join("never-built"), &dist);

        assert!(moved.is_err());
        assert_eq!(
            std::fs::read_to_string(dist.join("index.html")).unwrap(),
            "old"
        );
        remove_folder(&dir).unwrap();
    }

    #[test]
    fn before_the_first_build_the_pages_get_the_stylesheet_alone() {
        let root = scratch("style");
        write(&root.join(STYLESHEET), "body{color:red}");

        style_only_build(&root).unwrap();

        let dist = root.join("dist");
        let index = std::fs::read_to_string(dist.join("index.html")).unwrap();
        assert!(
            index.contains("</title>\n<link rel=\"stylesheet\" href=\"/main.css\"/>\n</head>"),
            "{index}"
        );
        assert!(!index.contains("<script"), "{index}");
        assert_eq!(
            std::fs::read_to_string(dist.join("main.css")).unwrap(),
            "body{color:red}"
        );
        assert!(!root.join("target").join("dist-building").exists());

        // A build in place, the app's or this one, is left as it is.
        write(&dist.join("index.html"), "the app's");
        style_only_build(&root).unwrap();
        assert_eq!(
            std::fs::read_to_string(dist.join("index.html")).unwrap(),
            "the app's"
        );
        remove_folder(&root).unwrap();
    }

    #[test]
    fn the_address_is_read_from_the_servers_log_line() {
        let line = "2026-11-30T12:00:00.000Z \u{1b}[32m INFO\u{1b}[0m \
                    \u{1b}[2maanmelden_server::cli\u{1b}[0m\u{1b}[2m:\u{1b}[0m \
                    aanmelden listens on http://127.0.0.1:8080";
        assert_eq!(
            listening_address(line).as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            listening_address("INFO aanmelden listens on http://[::1]:9000\u{1b}[0m").as_deref(),
            Some("http://[::1]:9000")
        );
        assert_eq!(listening_address("INFO created the demo user"), None);
    }
}
