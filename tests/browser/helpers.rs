//! `BrowserTest::start()`: the real server in this process on a free port with
//! a fresh database, serving the built portal from dist/, and a headless
//! browser of its own: Chromium through chromedriver or Firefox ESR through
//! geckodriver, with or without JavaScript or WebAssembly (see [`Kind`]).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aanmelden_server::clock::{Clock, SystemClock};
use aanmelden_server::config::Config;
use aanmelden_server::domain::secrets::{SecretBytes, SecretString, bound_to};
use aanmelden_server::domain::totp;
use aanmelden_server::{AppState, listener};
use fantoccini::elements::Element;
use fantoccini::error::NewSessionError;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use totp_rs::{Algorithm, TOTP};

/// How long a page gets to show what a test waits for: generous for a
/// loaded 2-core machine, bounded so a broken page fails instead of hanging.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(50);

/// Runs in every document before the page's own scripts, so a violation by
/// the loader itself is recorded too.
const RECORD_CSP_VIOLATIONS: &str = "window.__cspViolations = [];\
     document.addEventListener('securitypolicyviolation', e => \
     window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));";

/// Whether the page is the server's plain page with the app's loader, which
/// the app is about to replace.
const PLAIN_PAGE_AWAITS_THE_APP: &str = "return !!document.getElementById('plain') \
     && !!document.querySelector('link[rel=modulepreload]');";

/// What shows: the server's block, the app, the devices build's module
/// (the page preloads it and the browser fetched it), and whether that
/// module started (Trunk's loader sets `wasmBindings` once it has).
const DEVICES_BUILD_SHOWS: &str = "return { \
     plain: !!document.getElementById('plain'), \
     app: !!document.querySelector('#app:not([hidden])'), \
     module: performance.getEntriesByType('resource').some(r => /\\/devices\\/[^/]*_bg\\.wasm$/.test(r.name)), \
     started: typeof window.wasmBindings === 'object' };";

/// Which browser a test runs in, and what that browser may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Chromium with JavaScript and WebAssembly: the app takes over.
    Chromium,
    /// Chromium with JavaScript switched off: the plain pages alone.
    ChromiumNoScript,
    /// Chromium without its JIT (`--js-flags=--jitless`), as JIT-blocking
    /// policies run it: script runs, but there is no WebAssembly.
    ChromiumJitless,
    /// Firefox ESR with JavaScript and WebAssembly: the app takes over.
    Firefox,
    /// Firefox ESR with JavaScript switched off.
    FirefoxNoScript,
    /// Firefox ESR with WebAssembly switched off (`javascript.options.wasm`):
    /// script runs, the app cannot.
    FirefoxNoWasm,
}

impl Kind {
    /// Whether the app (WebAssembly) runs and takes over the plain pages.
    pub fn runs_app(self) -> bool {
        matches!(self, Self::Chromium | Self::Firefox)
    }

    /// Whether page scripts run at all.
    pub fn runs_script(self) -> bool {
        !matches!(self, Self::ChromiumNoScript | Self::FirefoxNoScript)
    }

    fn is_firefox(self) -> bool {
        matches!(
            self,
            Self::Firefox | Self::FirefoxNoScript | Self::FirefoxNoWasm
        )
    }
}

/// One server, one browser, and the temporary folders both use.
pub struct BrowserTest {
    /// The browser and what it runs.
    pub kind: Kind,
    /// The server's state: its store, password hasher and configuration.
    pub state: AppState,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The browser.
    pub client: Client,
    driver: Driver,
    _dir: tempfile::TempDir,
}

impl BrowserTest {
    /// The server with its defaults (no demo user), and Chromium on a blank page.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// The server with `adjust` applied to its configuration first, and Chromium.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Self {
        Self::start_in(Kind::Chromium, adjust).await
    }

    /// The server with `adjust` applied, and a browser of `kind`.
    pub async fn start_in(kind: Kind, adjust: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (address, state) = serve(dir.path(), adjust).await;
        let base = format!("http://{address}");
        Self::with_browser(kind, state, base, dir, Launch::default()).await
    }

    /// Another browser of `kind`, with a profile of its own, on this test's
    /// server: the phone beside the computer.
    pub async fn beside(&self, kind: Kind) -> Self {
        self.beside_with(kind, Launch::default()).await
    }

    /// Another browser of `kind` beside this one, launched with `launch`.
    pub async fn beside_with(&self, kind: Kind, launch: Launch) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::with_browser(kind, self.state.clone(), self.base.clone(), dir, launch).await
    }

    /// Another Chromium beside this one, whose camera films `video` (Y4M,
    /// over and over) and which allows the camera without asking.
    pub async fn beside_with_camera(&self, video: &[u8]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("camera.y4m");
        std::fs::write(&file, video).expect("write the camera's video");
        let camera = Launch {
            args: vec![
                "--use-fake-ui-for-media-stream".to_owned(),
                "--use-fake-device-for-media-stream".to_owned(),
                format!("--use-file-for-fake-video-capture={}", file.display()),
            ],
            ..Launch::default()
        };
        let base = self.base.clone();
        Self::with_browser(Kind::Chromium, self.state.clone(), base, dir, camera).await
    }

    /// A phone's screen in this browser: 390 by 844 pixels; in Chromium
    /// also touch and a mobile viewport.
    pub async fn as_phone(&self) {
        if self.kind.is_firefox() {
            self.client
                .set_window_size(390, 844)
                .await
                .expect("a phone-sized window");
            return;
        }
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            &json!({ "width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": true }),
        )
        .await;
        self.cdp(
            "Emulation.setTouchEmulationEnabled",
            &json!({ "enabled": true, "maxTouchPoints": 5 }),
        )
        .await;
    }

    async fn with_browser(
        kind: Kind,
        state: AppState,
        base: String,
        dir: tempfile::TempDir,
        launch: Launch,
    ) -> Self {
        let driver = Driver::start(kind, &dir.path().join("browser-profile"), launch);
        let client = driver.connect().await;
        let mut test = Self {
            kind,
            state,
            base,
            client,
            driver,
            _dir: dir,
        };
        test.driver.session = test.client.session_id().await.expect("session id");
        if !kind.is_firefox() {
            test.cdp(
                "Page.addScriptToEvaluateOnNewDocument",
                &json!({ "source": RECORD_CSP_VIOLATIONS }),
            )
            .await;
        }
        if kind.runs_script() {
            let language = test.execute("return navigator.language").await;
            assert_eq!(language, "nl", "the browser must prefer Dutch");
        }
        test
    }

    /// A Chrome `DevTools` Protocol command (Chromium only).
    pub async fn cdp(&self, command: &str, params: &Value) -> Value {
        assert!(!self.kind.is_firefox(), "{command}: DevTools is Chromium's");
        self.client
            .issue_cmd(Cdp::new(command, params))
            .await
            .unwrap_or_else(|e| panic!("{command}: {e}"))
    }

    /// A user added the way the admin command line adds one.
    pub async fn add_user(&self, name: &str, password: &str) {
        let hash = self
            .state
            .passwords
            .hash(&SecretString::new(password.to_owned()))
            .await
            .expect("hash");
        self.state
            .store
            .create_user(name, &hash, SystemClock.now())
            .await
            .expect("create user")
            .expect("a new user");
    }

    /// An active device "iPhone" for `username`, put in through the store as
    /// if registered earlier; its secret in base32, as an app holds it.
    pub async fn registered_device(&self, username: &str) -> String {
        let store = &self.state.store;
        let user = store
            .find_user(username)
            .await
            .expect("find the user")
            .expect("the user exists");
        let secret = SecretBytes::random(totp::SECRET_BYTES);
        let now = SystemClock.now();
        let id = store
            .insert_pending_device(user.id, "iPhone", "iphone", "", now, 4, |id| {
                let bound = bound_to::device(user.id, id);
                self.state.cipher.seal(&bound, secret.expose())
            })
            .await
            .expect("add the device");
        assert!(
            store
                .activate_device(id, None, now)
                .await
                .expect("activate"),
            "the device was pending"
        );
        totp::base32(&secret)
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Load `path` in the browser. Where the app runs, this waits until it
    /// has taken the server's plain page over, so that a test acts on the
    /// app and not on the page it is about to replace.
    pub async fn open(&self, path: &str) {
        self.client.goto(&self.url(path)).await.expect("navigate");
        self.wait_for_the_app().await;
    }

    /// Reload the page and, like [`Self::open`], wait for the app to take
    /// the plain page over: an element found earlier would go stale.
    pub async fn reload(&self) {
        self.client.refresh().await.expect("reload");
        self.wait_for_the_app().await;
    }

    /// Where the app runs and the page loads it, wait until it has taken
    /// the plain page over.
    async fn wait_for_the_app(&self) {
        let deadline = Instant::now() + TIMEOUT;
        while self.plain_page_awaits_the_app().await {
            self.fail_after(deadline, "the app did not take the plain page over")
                .await;
            tokio::time::sleep(POLL).await;
        }
    }

    /// Whether the app runs and the page is still the server's, about to be
    /// taken over (or between two pages).
    async fn plain_page_awaits_the_app(&self) -> bool {
        self.kind.runs_app()
            && self
                .client
                .execute(PLAIN_PAGE_AWAITS_THE_APP, vec![])
                .await
                .map_or(true, |awaits| awaits == Value::Bool(true))
    }

    /// Where the app runs, the screen is the app's build with the devices
    /// screens: no server-rendered block left, that build's module loaded
    /// and started, the app shown.
    pub async fn assert_the_devices_build_shows(&self) {
        if !self.kind.runs_app() {
            return;
        }
        let state = self.execute(DEVICES_BUILD_SHOWS).await;
        assert_eq!(
            state,
            json!({ "plain": false, "app": true, "module": true, "started": true }),
            "the devices screen must be the app's"
        );
    }

    /// Wait until nothing matches `css`.
    pub async fn wait_until_gone(&self, css: &str) {
        let deadline = Instant::now() + TIMEOUT;
        while self.is_present(css).await {
            self.fail_after(deadline, &format!("{css:?} is still there"))
                .await;
            tokio::time::sleep(POLL).await;
        }
    }

    /// The element that `css` finds, once there is one: where the app is on
    /// its way, the app's (unless `css` asks for the plain page itself),
    /// also when the browser moves on to another page meanwhile.
    pub async fn wait_for(&self, css: &str) -> Element {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if !css.starts_with("#plain") {
                self.wait_for_the_app().await;
            }
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && (css.starts_with("#plain") || !self.plain_page_awaits_the_app().await)
            {
                return element;
            }
            self.fail_after(deadline, &format!("no element matches {css:?}"))
                .await;
            tokio::time::sleep(POLL).await;
        }
    }

    /// The element that `css` finds, once its text contains `text`.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> Element {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let mut seen = None;
            if let Ok(element) = self.client.find(Locator::Css(css)).await {
                match element.text().await {
                    Ok(shown) if shown.contains(text) => return element,
                    Ok(shown) => seen = Some(shown),
                    Err(_) => {}
                }
            }
            self.fail_after(
                deadline,
                &format!("{css:?} does not contain {text:?} (it shows {seen:?})"),
            )
            .await;
            tokio::time::sleep(POLL).await;
        }
    }

    /// Click the element that `css` finds, once it is shown and enabled (a
    /// click on a disabled button would silently do nothing).
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let element = self.wait_for(css).await;
            if element.is_displayed().await.unwrap_or(false)
                && element.is_enabled().await.unwrap_or(false)
                && element.click().await.is_ok()
            {
                return;
            }
            self.fail_after(deadline, &format!("{css:?} cannot be clicked"))
                .await;
            tokio::time::sleep(POLL).await;
        }
    }

    /// Replace the value of the field that `css` finds with `text`, typed.
    pub async fn type_into(&self, css: &str, text: &str) {
        let field = self.wait_for(css).await;
        field.clear().await.expect("clear the field");
        field.send_keys(text).await.expect("type");
    }

    /// The text of the element that `css` finds.
    pub async fn text(&self, css: &str) -> String {
        self.wait_for(css).await.text().await.expect("text")
    }

    /// The value of attribute `name` of the element that `css` finds.
    pub async fn attribute(&self, css: &str, name: &str) -> Option<String> {
        self.wait_for(css)
            .await
            .attr(name)
            .await
            .expect("attribute")
    }

    /// Whether an element matches `css` right now (no waiting).
    pub async fn is_present(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    /// Run `script` in the page and return what it returns.
    pub async fn execute(&self, script: &str) -> Value {
        self.client.execute(script, vec![]).await.expect("script")
    }

    /// Run `script` in the page, which calls `done(value)` once it has
    /// what it looks for; that value.
    pub async fn execute_async(&self, script: &str) -> Value {
        let script = format!("const done = arguments[arguments.length - 1]; {script}");
        self.client
            .execute_async(&script, vec![])
            .await
            .expect("script")
    }

    /// The page's language, `document.documentElement.lang`.
    pub async fn html_lang(&self) -> String {
        let lang = self.execute("return document.documentElement.lang").await;
        lang.as_str().expect("lang is a string").to_owned()
    }

    /// Content-Security-Policy violations since the current page loaded.
    /// Only Chromium can be given the recorder before the page's own
    /// scripts (through the `DevTools` protocol); elsewhere the policy is
    /// not checked.
    pub async fn csp_violations(&self) -> Vec<String> {
        if self.kind != Kind::Chromium {
            return Vec::new();
        }
        let recorded = self.execute("return window.__cspViolations").await;
        serde_json::from_value(recorded).expect("the recorder's list")
    }

    /// A plain HTTP GET of `path` on the server, outside the browser.
    pub async fn http_get(&self, path: &str) -> reqwest::Response {
        reqwest::get(self.url(path)).await.expect("request")
    }

    /// Fail with `what`, the page's address and its text, past `deadline`.
    async fn fail_after(&self, deadline: Instant, what: &str) {
        if Instant::now() < deadline {
            return;
        }
        let url = self.client.current_url().await.map(String::from);
        let body = match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        panic!("after {TIMEOUT:?}, {what}\npage {url:?} shows:\n{body}");
    }
}

/// The code an authenticator app shows now for `secret`, base32 as the page
/// shows it (spaces between the groups of four are ignored).
pub fn totp_code(secret: &str) -> String {
    totp_code_at(secret, SystemClock.now())
}

/// The code of the next 30-second step. The server takes one step ahead and
/// never a step twice for a device: this is the code for a second sign-in
/// within the step the previous code used.
pub fn next_totp_code(secret: &str) -> String {
    totp_code_at(secret, SystemClock.now() + 30)
}

/// RFC 6238 with the parameters of the QR code: SHA1, 6 digits, 30 s.
pub fn totp_code_at(secret: &str, time: i64) -> String {
    let secret: String = secret.split_whitespace().collect();
    let bytes = totp_rs::Secret::Encoded(secret)
        .to_bytes()
        .expect("a base32 secret");
    TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, bytes, None, String::new())
        .generate(u64::try_from(time).expect("a time after 1970"))
}

/// Host names the browsers find on 127.0.0.1: the portal and two
/// applications behind the same nginx, under one parent domain (the second
/// open to a directory group), and a page on another site that links to
/// the application.
pub const GATE_HOSTS: [&str; 4] = [
    "portal.example.test",
    "app.example.test",
    "finance.example.test",
    "elsewhere.test",
];

/// The workspace root, where `cargo xtask build` puts dist/.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Start the server on 127.0.0.1, a free port, SQLite in `dir`, the real
/// clock (the browser and the codes live in real time), serving the built
/// portal from dist/.
pub async fn serve(dir: &Path, adjust: impl FnOnce(&mut Config)) -> (SocketAddr, AppState) {
    let spa_dir = workspace_root().join("dist");
    assert!(
        spa_dir.join("index.html").is_file(),
        "{} is missing: run `cargo xtask build` first",
        spa_dir.join("index.html").display()
    );
    // Bound first, so that the server knows its address as users reach it
    // (the QR code names it).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    let mut config = Config {
        listen: address,
        data_dir: dir.join("data"),
        database_url: Some(format!(
            "sqlite://{}?mode=rwc",
            dir.join("test.db").display()
        )),
        spa_dir,
        demo_user: false,
        password_concurrency: 2,
        ..Config::default()
    };
    adjust(&mut config);
    let state = AppState::open(config, Arc::new(SystemClock))
        .await
        .expect("open the app");
    let served = state.clone();
    tokio::spawn(async move {
        listener::serve(listener, served, std::future::pending())
            .await
            .expect("serve");
    });
    (address, state)
}

/// What a browser is launched with beyond what every test gives it.
#[derive(Debug, Default)]
pub struct Launch {
    /// Chromium's switches.
    pub args: Vec<String>,
    /// Firefox's preferences.
    pub prefs: Vec<(String, Value)>,
}

/// A chromedriver or geckodriver process on a port of its own; on drop it
/// ends the browser session (which closes the browser) and then itself.
struct Driver {
    kind: Kind,
    process: Child,
    port: u16,
    profile: PathBuf,
    launch: Launch,
    session: Option<String>,
}

impl Driver {
    fn start(kind: Kind, profile: &Path, launch: Launch) -> Self {
        let port = free_port();
        let (program, args) = if kind.is_firefox() {
            ("geckodriver", vec![format!("--port={port}")])
        } else {
            ("chromedriver", vec![format!("--port={port}")])
        };
        let process = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {program} ({e}): run `cargo xtask setup` to install it")
            });
        Self {
            kind,
            process,
            port,
            profile: profile.to_owned(),
            launch,
            session: None,
        }
    }

    /// What to ask the driver for: a fresh headless browser of this kind,
    /// which prefers Dutch, the default users know, whatever the locale of
    /// the machine running this.
    fn capabilities(&self) -> Value {
        let script = self.kind.runs_script();
        if self.kind.is_firefox() {
            let mut prefs = json!({
                "intl.accept_languages": "nl",
                "javascript.enabled": script,
                "javascript.options.wasm": self.kind != Kind::FirefoxNoWasm,
                // The hosts of the gate test, on this machine.
                "network.dns.localDomains": GATE_HOSTS.join(","),
            });
            for (name, value) in &self.launch.prefs {
                prefs[name] = value.clone();
            }
            return json!({
                "browserName": "firefox",
                "moz:firefoxOptions": {
                    "binary": "/usr/bin/firefox-esr",
                    "args": ["-headless", "-width=1280", "-height=900"],
                    "prefs": prefs,
                },
            });
        }
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--window-size=1280,900".to_owned(),
            "--lang=nl".to_owned(),
            format!("--user-data-dir={}", self.profile.display()),
            // The hosts of the gate test, on this machine.
            format!(
                "--host-resolver-rules={}",
                GATE_HOSTS
                    .iter()
                    .map(|host| format!("MAP {host} 127.0.0.1"))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        ];
        if self.kind == Kind::ChromiumJitless {
            args.push("--js-flags=--jitless".to_owned());
        }
        args.extend(self.launch.args.iter().cloned());
        let mut prefs = json!({ "intl.accept_languages": "nl" });
        if !script {
            prefs["profile.managed_default_content_settings.javascript"] = json!(2);
        }
        json!({ "goog:chromeOptions": { "args": args, "prefs": prefs } })
    }

    /// A new session in a fresh headless browser, retried while the driver
    /// is still starting to listen.
    async fn connect(&self) -> Client {
        let Value::Object(capabilities) = self.capabilities() else {
            unreachable!("a JSON object literal")
        };
        let url = format!("http://127.0.0.1:{}", self.port);
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let connected = ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await;
            match connected {
                Ok(client) => return client,
                Err(NewSessionError::SessionNotCreated(e)) => {
                    panic!("the driver could not start {:?}: {e}", self.kind)
                }
                Err(e) if Instant::now() > deadline => {
                    panic!("no driver session after {TIMEOUT:?}: {e}")
                }
                Err(_) => tokio::time::sleep(POLL).await,
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Killing chromedriver alone would leave Chromium running: end the
        // session first, without the async client that is being dropped too.
        if let Some(session) = &self.session {
            let _ = delete_session(self.port, session);
        }
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// `DELETE /session/{id}` on the driver, over a plain blocking socket;
/// returns once it has answered.
fn delete_session(port: u16, session: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    write!(
        stream,
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Content-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    // chromedriver answers once Chromium has quit, but keeps the connection
    // open: the first bytes of the answer are the signal, not the end of stream.
    let mut answer = [0; 64];
    stream.read(&mut answer).map(drop)
}

/// A port nobody listens on now: the kernel picks it, and it is released
/// for chromedriver to take.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// A Chrome `DevTools` Protocol command, through chromedriver's `goog/cdp`.
#[derive(Debug)]
struct Cdp {
    body: String,
}

impl Cdp {
    fn new(command: &str, params: &Value) -> Self {
        Self {
            body: json!({ "cmd": command, "params": params }).to_string(),
        }
    }
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(self.body.clone()))
    }
}

/// A proxy in front of the test's server that holds every request for one
/// path until released: the app's first request to the server made slow,
/// to act in the moment before its answer.
pub struct HeldBack {
    /// `http://127.0.0.1:<port>` of the proxy.
    pub base: String,
    arrived: Arc<tokio::sync::Notify>,
    release: tokio::sync::watch::Sender<bool>,
}

impl HeldBack {
    /// A proxy to `test`'s server holding back requests for `path`.
    pub async fn start(test: &BrowserTest, path: &'static str) -> Self {
        use axum::body::Body;
        use axum::extract::Request;
        use axum::response::IntoResponse;

        let upstream = test.base.clone();
        let arrived = Arc::new(tokio::sync::Notify::new());
        let (release, released) = tokio::sync::watch::channel(false);
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(HttpConnector::new());
        let seen = arrived.clone();
        let forward = move |mut request: Request| {
            let (upstream, seen, mut released, client) = (
                upstream.clone(),
                seen.clone(),
                released.clone(),
                client.clone(),
            );
            async move {
                if request.uri().path() == path {
                    seen.notify_one();
                    let _ = released.wait_for(|released| *released).await;
                }
                let target = format!(
                    "{upstream}{}",
                    request.uri().path_and_query().map_or("/", |p| p.as_str())
                );
                *request.uri_mut() = target.parse().expect("a URI");
                match client.request(request).await {
                    Ok(response) => response.map(Body::new).into_response(),
                    Err(e) => (axum::http::StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
                }
            }
        };
        let app = axum::Router::new().fallback(move |request: Request| forward(request));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            base: format!("http://{address}"),
            arrived,
            release,
        }
    }

    /// Wait until a request for the path has come and is being held.
    pub async fn arrived(&self) {
        tokio::time::timeout(TIMEOUT, self.arrived.notified())
            .await
            .expect("the held-back request did not come");
    }

    /// Let it and every later one through.
    pub fn release(&self) {
        self.release.send_replace(true);
    }
}
