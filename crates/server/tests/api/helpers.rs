//! `spawn_app()`: the real server on 127.0.0.1, a port of its own and a fresh
//! database, with a clock the test sets; and a browser-like client.

use std::net::SocketAddr;
use std::sync::Arc;

use aanmelden_api::{Enrolment, ErrorBody, ErrorCode, Step, StepResponse};
use aanmelden_server::clock::ManualClock;
use aanmelden_server::config::Config;
use aanmelden_server::domain::secrets::SecretString;
use aanmelden_server::store::Backend;
use aanmelden_server::{AppState, listener};
use reqwest::StatusCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::Connection;
use totp_rs::{Algorithm, TOTP};

/// The PostgreSQL server the tests create their databases on.
pub const POSTGRES_URL_VAR: &str = "TEST_POSTGRES_URL";

/// A moment well inside a 30-second step, so "now" and "now + a few
/// seconds" are one step.
pub const START: i64 = 1_800_000_000 + 5;

pub const PASSWORD: &str = "correct horse battery";

/// What the test browsers say they are.
pub const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0";

/// A running server and one browser talking to it.
pub struct TestApp {
    pub address: SocketAddr,
    pub state: AppState,
    pub clock: Arc<ManualClock>,
    pub browser: Browser,
    _dir: tempfile::TempDir,
    _postgres: Option<PostgresDatabase>,
}

/// A client with its own cookie jar, like one browser.
#[derive(Clone)]
pub struct Browser {
    client: reqwest::Client,
    /// The same cookies, redirects not followed: as a proxy asks the gate.
    proxy: reqwest::Client,
    base: String,
    /// The `X-Forwarded-For` a trusted proxy in front would send for this
    /// browser.
    forwarded_for: Option<reqwest::header::HeaderValue>,
}

/// Start the server on `backend`; `None` when PostgreSQL is not configured
/// here (said loudly; an error under CI).
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Config)) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let spa_dir = dir.path().join("dist");
    std::fs::create_dir_all(&spa_dir).expect("spa dir");
    std::fs::write(
        spa_dir.join("index.html"),
        "<!doctype html><title>Aanmelden</title>\
         <link rel=\"stylesheet\" href=\"/main-0123456789abcdef.css\"/>\
         <script type=\"module\">init()</script>",
    )
    .expect("index.html");
    let postgres = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(PostgresDatabase::create().await?),
    };
    let database_url = match &postgres {
        Some(db) => db.url.clone(),
        None => format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display()),
    };
    let mut config = Config {
        data_dir: dir.path().join("data"),
        database_url: Some(database_url),
        spa_dir,
        demo_user: false,
        password_concurrency: 2,
        ..Config::default()
    };
    adjust(&mut config);
    let clock = Arc::new(ManualClock::new(START));
    let state = AppState::open(config, clock.clone())
        .await
        .expect("open the app");
    let address = serve(state.clone()).await;
    Some(TestApp {
        address,
        state,
        clock,
        browser: Browser::new(address),
        _dir: dir,
        _postgres: postgres,
    })
}

/// Serve `state` on a port of its own on 127.0.0.1.
async fn serve(state: AppState) -> SocketAddr {
    serve_until(state, std::future::pending()).await
}

/// Serve `state` on a port of its own on 127.0.0.1 until `shutdown`.
async fn serve_until(
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move {
        listener::serve(listener, state, shutdown)
            .await
            .expect("serve");
    });
    address
}

impl TestApp {
    /// Another browser on the same server, with no cookies.
    pub fn new_browser(&self) -> Browser {
        Browser::new(self.address)
    }

    /// A browser at `client`, as a trusted proxy (127.0.0.1, configured
    /// by the test) forwards it in `X-Forwarded-For`.
    pub fn browser_at(&self, client: &str) -> Browser {
        Browser::new(self.address).claiming(client)
    }

    /// A second server instance on the same database, as a deployment
    /// runs several; it shares the first one's clock.
    pub async fn second_instance(&self) -> SocketAddr {
        let state = AppState::open(self.state.config.clone(), self.clock.clone())
            .await
            .expect("open the second instance");
        serve(state).await
    }

    /// A second instance as [`Self::second_instance`], which stops
    /// (gracefully) when the returned sender is used or dropped.
    pub async fn stoppable_instance(&self) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
        let state = AppState::open(self.state.config.clone(), self.clock.clone())
            .await
            .expect("open the second instance");
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let address = serve_until(state, async move {
            let _ = stopped.await;
        })
        .await;
        (address, stop)
    }

    /// `n` stores of their own on this app's database, as `n` more
    /// instances would have: more connections at once than one holds.
    pub async fn more_stores(&self, n: usize) -> Vec<aanmelden_server::store::Store> {
        let url = self.state.config.database_url();
        let mut stores = Vec::new();
        for _ in 0..n {
            stores.push(
                aanmelden_server::store::Store::connect(&url)
                    .await
                    .expect("connect"),
            );
        }
        stores
    }

    /// A user added the way the admin command line adds one.
    pub async fn add_user(&self, name: &str) {
        let hash = self
            .state
            .passwords
            .hash(&SecretString::new(PASSWORD.to_owned()))
            .await
            .expect("hash");
        self.state
            .store
            .create_user(name, &hash, START)
            .await
            .expect("create user")
            .expect("new user");
    }

    pub fn now(&self) -> i64 {
        use aanmelden_server::clock::Clock;
        self.clock.now()
    }

    /// A user whose first device "iPhone" is active; returns its secret.
    /// The browser is left signed in on the devices page of that
    /// registration (password and the first code count as both factors).
    pub async fn user_with_device(&self, name: &str) -> String {
        self.add_user(name).await;
        self.register_first_device(name).await
    }

    /// The browser signs in as `name`, who has no device yet, and registers
    /// "iPhone" with its first code; returns its secret.
    pub async fn register_first_device(&self, name: &str) -> String {
        let step = self.browser.sign_in_password(name, PASSWORD).await;
        assert_eq!(step, Step::RegisterDevice);
        let enrolment = self.browser.add_device("iPhone").await;
        let code = code(&enrolment.secret, self.now());
        let response = self
            .browser
            .post(
                &format!("/devices/{}/activate", enrolment.device_id),
                &serde_json::json!({ "code": code }),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        enrolment.secret
    }
}

impl Browser {
    pub fn new(address: SocketAddr) -> Self {
        Self::connecting_from(address, None)
    }

    /// A browser whose connections come from `local` (any 127.x.y.z works
    /// on loopback), talking to `address`.
    pub fn connecting_from(address: SocketAddr, local: Option<std::net::IpAddr>) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        Self {
            client: reqwest::Client::builder()
                .cookie_provider(jar.clone())
                .user_agent(USER_AGENT)
                .local_address(local)
                .build()
                .expect("client"),
            proxy: reqwest::Client::builder()
                .cookie_provider(jar)
                .redirect(reqwest::redirect::Policy::none())
                .local_address(local)
                .build()
                .expect("client"),
            base: format!("http://{address}"),
            forwarded_for: None,
        }
    }

    /// The same browser saying it forwards for `client` (as a proxy would,
    /// or as a client forging the header would).
    pub fn claiming(&self, client: &str) -> Self {
        self.claiming_bytes(client.as_bytes())
    }

    /// The same browser with `header` as its `X-Forwarded-For`, byte for
    /// byte (any bytes a header may carry).
    pub fn claiming_bytes(&self, header: &[u8]) -> Self {
        Self {
            forwarded_for: Some(reqwest::header::HeaderValue::from_bytes(header).expect("header")),
            ..self.clone()
        }
    }

    /// The same browser (cookies and address) talking to another instance.
    pub fn at_instance(&self, address: SocketAddr) -> Self {
        Self {
            base: format!("http://{address}"),
            ..self.clone()
        }
    }

    fn request(&self, method: reqwest::Method, url: String) -> reqwest::RequestBuilder {
        let request = self.client.request(method, url);
        match &self.forwarded_for {
            Some(header) => request.header("x-forwarded-for", header.clone()),
            None => request,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn api(&self, path: &str) -> String {
        self.url(&format!("/api/v1{path}"))
    }

    pub async fn post(&self, path: &str, body: &impl Serialize) -> reqwest::Response {
        self.request(reqwest::Method::POST, self.api(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.request(reqwest::Method::POST, self.api(path))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, self.api(path))
            .send()
            .await
            .expect("request")
    }

    /// A page of the portal, reached by a link on another site: the
    /// browser sends its cookies along (`SameSite=Lax`) and says where the
    /// navigation came from.
    pub async fn get_page_from_another_site(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, self.url(path))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .expect("request")
    }

    /// The gate asked, as a trusted proxy asks it, with this browser's
    /// cookies, about the address `asked` (`X-Original-URL`), with
    /// `?redirect=1` when `redirect`; redirects are not followed.
    pub async fn verify_for(&self, asked: Option<&str>, redirect: bool) -> reqwest::Response {
        let query = if redirect { "?redirect=1" } else { "" };
        let request = self.proxy.get(self.api(&format!("/auth/verify{query}")));
        let request = match asked {
            Some(url) => request.header("x-original-url", url),
            None => request,
        };
        request.send().await.expect("request")
    }

    /// A page of the portal (not the API), with this browser's cookies.
    pub async fn get_page(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, self.url(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::DELETE, self.api(path))
            .send()
            .await
            .expect("request")
    }

    pub async fn identify(&self, username: &str) -> reqwest::Response {
        self.post(
            "/login/identify",
            &serde_json::json!({ "username": username }),
        )
        .await
    }

    pub async fn password(&self, password: &str, otp: Option<&str>) -> reqwest::Response {
        self.post(
            "/login/password",
            &serde_json::json!({ "password": password, "otp": otp }),
        )
        .await
    }

    /// Identify and give the password; the step the server answers.
    pub async fn sign_in_password(&self, username: &str, password: &str) -> Step {
        assert_eq!(self.identify(username).await.status(), StatusCode::OK);
        let response = self.password(password, None).await;
        assert_eq!(response.status(), StatusCode::OK);
        json::<StepResponse>(response).await.next
    }

    /// Identify, password and code in one go, as the password page allows.
    pub async fn sign_in_with_code(&self, username: &str, code: &str) -> reqwest::Response {
        assert_eq!(self.identify(username).await.status(), StatusCode::OK);
        self.password(PASSWORD, Some(code)).await
    }

    /// "+ Apparaat toevoegen" → name → "OK".
    pub async fn add_device(&self, name: &str) -> Enrolment {
        let response = self
            .post("/devices", &serde_json::json!({ "name": name }))
            .await;
        assert!(response.status().is_success(), "{}", response.status());
        json(response).await
    }
}

pub async fn json<T: DeserializeOwned>(response: reqwest::Response) -> T {
    response.json().await.expect("JSON body")
}

/// The error code of an envelope, checking the status too.
pub async fn error_code(response: reqwest::Response, status: StatusCode) -> ErrorCode {
    assert_eq!(response.status(), status);
    json::<ErrorBody>(response).await.error.code
}

/// The code an authenticator app shows at `time` for a base32 `secret`,
/// computed here independently of the server.
pub fn code(secret: &str, time: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .expect("base32 secret");
    TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, bytes, None, String::new())
        .generate(u64::try_from(time).expect("positive time"))
}

/// A database of its own on the PostgreSQL server, dropped afterwards.
struct PostgresDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl PostgresDatabase {
    async fn create() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VAR) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{POSTGRES_URL_VAR} must be set under CI"
            );
            eprintln!("SKIPPED: {POSTGRES_URL_VAR} is not set, this PostgreSQL test did not run");
            return None;
        };
        let name = format!("aanmelden_test_{:016x}", rand_u64());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .expect("connect to the PostgreSQL test server");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let base = admin_url
            .split('?')
            .next()
            .and_then(|u| u.rsplit_once('/'))
            .map_or(admin_url.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        Some(Self {
            admin_url,
            name,
            url,
        })
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime; a thread of its own may block.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin)
                        .await;
                }
            });
        })
        .join();
    }
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::process::id())
}

/// Run each named `async fn(TestApp)` as a test on SQLite and on PostgreSQL;
/// with `configured_by adjust;` first, the server's `Config` goes through
/// `fn adjust(&mut Config)` of the calling module before it starts.
#[macro_export]
macro_rules! on_both_backends {
    (configured_by $adjust:ident; $($test:ident),* $(,)?) => {
        $crate::on_both_backends!(
            @tests |backend| $crate::helpers::spawn_app_with(backend, super::$adjust);
            $($test),*
        );
    };
    (@tests $spawn:expr; $($test:ident),*) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    if let Some(app) = ($spawn)(aanmelden_server::store::Backend::Sqlite).await {
                        super::$test(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    if let Some(app) = ($spawn)(aanmelden_server::store::Backend::Postgres).await {
                        super::$test(app).await;
                    }
                }
            )*
        }
    };
    ($($test:ident),* $(,)?) => {
        $crate::on_both_backends!(@tests $crate::helpers::spawn_app; $($test),*);
    };
}
