//! The `aanmelden-authenticator` binary against the real server: it adds
//! the token from the portal's otpauth URI, its code activates the device,
//! and it approves or denies a push sign-in.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;

use aanmelden_api::{Enrolment, PushChallenge, PushOutcome, PushStatus, StepResponse};
use aanmelden_server::clock::{Clock, SystemClock};
use aanmelden_server::config::Config;
use aanmelden_server::domain::secrets::SecretString;
use aanmelden_server::{AppState, listener};
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_aanmelden-authenticator");
const USER: &str = "jan@missingpiece.nl";
const PASSWORD: &str = "correct horse battery";

struct Portal {
    base: String,
    browser: reqwest::Client,
    store: tempfile::TempDir,
    _data: tempfile::TempDir,
}

impl Portal {
    /// The server on a port of its own, a user, and a browser signed in up
    /// to registering the first device.
    async fn start() -> Self {
        Self::start_with(browser()).await
    }

    /// As [`Portal::start`], with `browser` as the browser.
    async fn start_with(browser: reqwest::Client) -> Self {
        let data = tempfile::tempdir().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let config = Config {
            data_dir: data.path().join("data"),
            database_url: Some(format!(
                "sqlite://{}?mode=rwc",
                data.path().join("test.db").display()
            )),
            demo_user: false,
            public_url: Some(format!("http://{address}")),
            push_wait_s: 1,
            ..Config::default()
        };
        let state = AppState::open(config, Arc::new(SystemClock)).await.unwrap();
        let hash = state
            .passwords
            .hash(&SecretString::new(PASSWORD.to_owned()))
            .await
            .unwrap();
        state
            .store
            .create_user(USER, &hash, SystemClock.now())
            .await
            .unwrap();
        let served = state;
        tokio::spawn(async move {
            listener::serve(listener, served, std::future::pending())
                .await
                .unwrap();
        });
        let portal = Self {
            base: format!("http://{address}/api/v1"),
            browser,
            store: tempfile::tempdir().unwrap(),
            _data: data,
        };
        portal.sign_in().await;
        portal
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.post_from(&self.browser, path, body).await
    }

    async fn post_from(
        &self,
        browser: &reqwest::Client,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        browser
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn sign_in(&self) -> StepResponse {
        self.sign_in_from(&self.browser).await
    }

    async fn sign_in_from(&self, browser: &reqwest::Client) -> StepResponse {
        self.post_from(browser, "/login/identify", json!({ "username": USER }))
            .await;
        self.post_from(browser, "/login/password", json!({ "password": PASSWORD }))
            .await
            .json()
            .await
            .unwrap()
    }

    /// Run the authenticator with this portal's token file.
    fn authenticator(&self, args: &[&str]) -> Output {
        authenticator(self.store.path(), args)
    }
}

/// A browser (a cookie jar) that names itself.
fn browser() -> reqwest::Client {
    browser_saying("aanmelden-test-browser")
}

/// A browser whose `User-Agent` is `user_agent`.
fn browser_saying(user_agent: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .user_agent(user_agent)
        .build()
        .unwrap()
}

fn authenticator(store: &Path, args: &[&str]) -> Output {
    typed_into(store, args, "")
}

/// The authenticator with `input` on its standard input.
fn typed_into(store: &Path, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(BINARY)
        .args(args)
        .env("AANMELDEN_AUTHENTICATOR_STORE", store.join("tokens.json"))
        .env("LANG", "nl_NL.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The device registered with the authenticator's own code; the browser
/// then signs in again and waits at the second factor with a challenge.
async fn challenged(portal: &Portal) -> PushChallenge {
    let enrolment: Enrolment = portal
        .post("/devices", json!({ "name": "Terminal" }))
        .await
        .json()
        .await
        .unwrap();
    let added = typed_into(
        portal.store.path(),
        &["add"],
        &format!("{}\n", enrolment.otpauth_uri),
    );
    assert!(added.status.success(), "{added:?}");
    assert_eq!(stdout(&added), format!("Toegevoegd: Missing Piece: {USER}"));
    let code = stdout(&portal.authenticator(&["code"]));
    assert_eq!(code.len(), 6);
    let activated = portal
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(activated.status(), 200, "the authenticator's code is right");

    let step = portal.sign_in().await;
    assert_eq!(step.next, aanmelden_api::Step::Push);
    portal
        .post("/login/push", json!(null))
        .await
        .json()
        .await
        .unwrap()
}

async fn outcome(portal: &Portal, id: &str) -> reqwest::Response {
    portal
        .browser
        .get(format!("{}/login/push/{id}", portal.base))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approving_with_the_browsers_number_signs_in() {
    let portal = Portal::start().await;
    let challenge = challenged(&portal).await;

    let listed = portal.authenticator(&["list"]);
    let pending = portal.authenticator(&["pending"]);
    let approved = portal.authenticator(&["approve", "--number", &challenge.number.to_string()]);

    assert!(stdout(&listed).starts_with(&format!("1. Missing Piece: {USER} (http://127.0.0.1:")));
    let pending = stdout(&pending);
    assert!(pending.starts_with(&challenge.id), "{pending}");
    assert!(pending.contains("vanaf 127.0.0.1"), "{pending}");
    assert!(pending.contains("browser ?, ?"), "{pending}");
    assert!(approved.status.success(), "{approved:?}");
    assert_eq!(stdout(&approved), "Goedgekeurd.");
    let outcome: PushOutcome = outcome(&portal, &challenge.id).await.json().await.unwrap();
    assert_eq!(outcome.status, PushStatus::Approved);
}

/// Each phone sees the devices added to its account: a new one, and when
/// each was added and last used.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authenticator_lists_the_accounts_devices() {
    let portal = Portal::start().await;
    let challenge = challenged(&portal).await;
    let approved = portal.authenticator(&["approve", "--number", &challenge.number.to_string()]);
    assert!(approved.status.success(), "{approved:?}");
    let outcome: PushOutcome = outcome(&portal, &challenge.id).await.json().await.unwrap();
    assert_eq!(outcome.status, PushStatus::Approved);
    // Signed in by the push a moment ago: another device may be added,
    // here a second phone with a token file of its own.
    let enrolment: Enrolment = portal
        .post("/devices", json!({ "name": "Nieuwe telefoon" }))
        .await
        .json()
        .await
        .unwrap();
    let new_phone = tempfile::tempdir().unwrap();
    let added = typed_into(
        new_phone.path(),
        &["add"],
        &format!("{}\n", enrolment.otpauth_uri),
    );
    assert!(added.status.success(), "{added:?}");
    let code = stdout(&authenticator(new_phone.path(), &["code"]));
    let activated = portal
        .post(
            &format!("/devices/{}/activate", enrolment.device_id),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(activated.status(), 200);

    let listed = stdout(&portal.authenticator(&["devices"]));

    let (year, month, day) = aanmelden_i18n::dates::civil(SystemClock.now());
    let today = format!("{year:04}-{month:02}-{day:02}");
    assert_eq!(
        listed,
        format!(
            "Terminal  toegevoegd {today}  laatst gebruikt {today}\n\
             Nieuwe telefoon  toegevoegd {today}  laatst gebruikt {today}"
        ),
    );
}

/// A `User-Agent` is the browser's own text: whoever signs in can make it
/// tell the user what to type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_is_named_in_fixed_words_never_in_its_own() {
    let portal = Portal::start_with(browser_saying(
        "typ 42 Mozilla/5.0 (Windows NT 10.0; typ 42) Gecko/20100101 Firefox/142.0 typ 42",
    ))
    .await;
    let challenge = challenged(&portal).await;

    let pending = portal.authenticator(&["pending"]);

    let pending = stdout(&pending);
    assert!(pending.starts_with(&challenge.id), "{pending}");
    let shown = pending.replace(&challenge.id, "");
    assert!(shown.contains("browser Firefox, Windows"), "{pending}");
    assert!(!shown.to_lowercase().contains("typ"), "{pending}");
    assert!(!shown.contains("42"), "{pending}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_number_or_a_denial_refuses_the_sign_in() {
    let portal = Portal::start().await;
    let challenge = challenged(&portal).await;
    let wrong = if challenge.number == 99 {
        10
    } else {
        challenge.number + 1
    };

    let denied = portal.authenticator(&["approve", "--number", &wrong.to_string()]);

    assert!(!denied.status.success());
    assert!(
        String::from_utf8_lossy(&denied.stderr).contains("Onjuist getal"),
        "{denied:?}"
    );
    assert_eq!(outcome(&portal, &challenge.id).await.status(), 401);

    let again: PushChallenge = portal
        .post("/login/push", json!(null))
        .await
        .json()
        .await
        .unwrap();
    let deny = portal.authenticator(&["deny"]);
    assert!(deny.status.success(), "{deny:?}");
    assert_eq!(stdout(&deny), "Geweigerd.");
    assert_eq!(outcome(&portal, &again.id).await.status(), 401);
    let nothing = portal.authenticator(&["deny"]);
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("er wacht geen aanmelding"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_asks_for_the_number_and_approves() {
    let portal = Portal::start().await;
    let challenge = challenged(&portal).await;
    let mut watch = Command::new(BINARY)
        .arg("watch")
        .env(
            "AANMELDEN_AUTHENTICATOR_STORE",
            portal.store.path().join("tokens.json"),
        )
        .env("LANG", "en_GB.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdin = watch.stdin.take().unwrap();
    let stdout = watch.stdout.take().unwrap();
    let number = challenge.number;

    // Read the prompt, type the number, read the verdict; bounded by the
    // lines the program prints for one sign-in.
    let transcript = tokio::task::spawn_blocking(move || {
        let mut stdin = stdin;
        let mut seen = String::new();
        for line in BufReader::new(stdout).lines().take(10) {
            let line = line.unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if line.starts_with("from address") {
                writeln!(stdin, "{number}").unwrap();
            }
            if line.contains("Approved.") {
                break;
            }
        }
        seen
    });
    let transcript = tokio::time::timeout(std::time::Duration::from_secs(30), transcript)
        .await
        .expect("watch answered within 30 s")
        .unwrap();
    let _ = watch.kill();
    let _ = watch.wait();

    assert!(
        transcript.contains(&format!("Sign-in by {USER}")),
        "{transcript}"
    );
    assert!(
        transcript.contains("from address 127.0.0.1"),
        "{transcript}"
    );
    assert!(
        transcript.contains("Type the number from the browser"),
        "{transcript}"
    );
    let outcome: PushOutcome = outcome(&portal, &challenge.id).await.json().await.unwrap();
    assert_eq!(outcome.status, PushStatus::Approved);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_several_sign_ins_waiting_the_answer_names_one() {
    let portal = Portal::start().await;
    let first = challenged(&portal).await;
    let other_tab = browser();
    assert_eq!(
        portal.sign_in_from(&other_tab).await.next,
        aanmelden_api::Step::Push
    );
    let second: PushChallenge = portal
        .post_from(&other_tab, "/login/push", json!(null))
        .await
        .json()
        .await
        .unwrap();

    let unnamed = portal.authenticator(&["approve", "--number", &second.number.to_string()]);
    let named = portal.authenticator(&[
        "approve",
        "--number",
        &second.number.to_string(),
        "--id",
        &second.id[..8],
    ]);
    let reported = portal.authenticator(&["deny", "--not-me", "--id", &first.id]);

    assert!(!unnamed.status.success());
    assert!(
        String::from_utf8_lossy(&unnamed.stderr).contains("kies er een met --id"),
        "{unnamed:?}"
    );
    assert!(named.status.success(), "{named:?}");
    let outcome: PushOutcome = other_tab
        .get(format!("{}/login/push/{}", portal.base, second.id))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(outcome.status, PushStatus::Approved);
    assert!(reported.status.success(), "{reported:?}");
    assert_eq!(stdout(&reported), "Geweigerd en gemeld: dit was ik niet.");
}

#[test]
fn a_uri_is_never_taken_from_the_command_line() {
    let store = tempfile::tempdir().unwrap();
    let uri = "otpauth://totp/X:y?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=X";

    let refused = authenticator(store.path(), &["add", uri]);
    let from_file = store.path().join("uri.txt");
    std::fs::write(&from_file, uri).unwrap();
    let from_a_file = authenticator(store.path(), &["add", &from_file.to_string_lossy()]);

    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("niet als argument"),
        "{refused:?}"
    );
    assert!(from_a_file.status.success(), "{from_a_file:?}");
    assert_eq!(stdout(&authenticator(store.path(), &["list"])), "1. X: y");
}

#[test]
fn clear_errors_for_an_unknown_token_or_an_unreachable_server() {
    let store = tempfile::tempdir().unwrap();
    let none = authenticator(store.path(), &["code"]);
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("no tokens yet"));

    // A port that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let uri = format!(
        "otpauth://totp/X:y?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=X&aanmelden_device=1&aanmelden_server=http%3A%2F%2F127.0.0.1%3A{port}"
    );
    assert!(
        typed_into(store.path(), &["add", "-"], &uri)
            .status
            .success()
    );
    let unknown = authenticator(store.path(), &["code", "Nobody"]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no token matches"));
    let unreachable = authenticator(store.path(), &["approve", "--number", "42"]);
    assert!(!unreachable.status.success());
    assert!(
        String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach the server"),
        "{unreachable:?}"
    );
}

/// An https server whose certificate nobody vouches for (self-signed):
/// `openssl s_server` on a free port, stopped on drop.
struct SelfSignedServer {
    port: u16,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl SelfSignedServer {
    fn start() -> Option<Self> {
        let openssl = Path::new("/usr/bin/openssl");
        if !openssl.exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "openssl must be installed under CI"
            );
            eprintln!("SKIPPED: no openssl here, the certificate test did not run");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
        let made = Command::new(openssl)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args([
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap();
        assert!(made.status.success(), "{made:?}");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(openssl)
            .args(["s_server", "-quiet", "-www", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&cert)
            .arg("-key")
            .arg(&key)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "openssl s_server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some(Self {
            port,
            child,
            _dir: dir,
        })
    }
}

impl Drop for SelfSignedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_server_certificate_nobody_vouches_for_is_refused() {
    let Some(server) = SelfSignedServer::start() else {
        return;
    };
    let store = tempfile::tempdir().unwrap();
    let uri = format!(
        "otpauth://totp/X:y?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=X&aanmelden_device=1&aanmelden_server=https%3A%2F%2F127.0.0.1%3A{}",
        server.port
    );
    assert!(typed_into(store.path(), &["add"], &uri).status.success());

    let refused = authenticator(store.path(), &["pending"]);

    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr).to_lowercase();
    assert!(said.contains("cannot reach the server"), "{said}");
    assert!(said.contains("certificate"), "{said}");
}
