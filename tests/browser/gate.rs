//! The gate in front of an application, for real: nginx serves the portal
//! (portal.example.test) and an application (app.example.test) that echoes
//! the headers it gets, asking the portal about every request to the
//! application (`auth_request` to /api/v1/auth/verify). A browser opens
//! the application, is sent to the portal, signs in with the code, lands
//! back on the application, which shows `Remote-User`; after "Afmelden" the
//! application sends it to the portal again. The session cookie is set for
//! example.test (`cookie_domain`), so the application's host gets it too;
//! and a link to the application on a page of another site reaches it
//! signed in. An application open to a directory group (finance.example.test,
//! with a real slapd) lets a member in with `Remote-Groups`, and sends
//! anyone else to the portal's "no access" page.

use std::net::SocketAddr;

use axum::http::HeaderMap;
use axum::response::Html;
use fantoccini::Locator;

use aanmelden_server::config::{AccountSource, Application};
use aanmelden_server::domain::secrets::SecretString;

use crate::flows::{PASSWORD, USER};
use crate::helpers::{BrowserTest, Kind, totp_code};
use crate::nginx::Nginx;

/// What the application shows: who the gate says signed in.
async fn echo(headers: HeaderMap) -> Html<String> {
    let shown = |name: &str| {
        let value = headers.get(name).map_or("(nobody)".into(), |value| {
            String::from_utf8_lossy(value.as_bytes())
        });
        value.replace('&', "&amp;").replace('<', "&lt;")
    };
    Html(format!(
        "<!doctype html><meta charset=utf-8><title>App</title>\
         <p id=\"remote-user\">{}</p><p id=\"remote-name\">{}</p>\
         <p id=\"remote-email\">{}</p><p id=\"remote-groups\">{}</p>",
        shown("remote-user"),
        shown("remote-name"),
        shown("remote-email"),
        shown("remote-groups")
    ))
}

/// The full name the administrator gave the user.
const FULL_NAME: &str = "Jan de Vries-Ünal";

async fn application() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(echo);
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// nginx in front of the portal at `portal` and the application at `app`,
/// as docs/deploy/nginx.conf shows it.
fn gate(portal: SocketAddr, app: SocketAddr, port: u16) -> String {
    format!(
        "server {{
        listen 127.0.0.1:{port};
        server_name portal.example.test;
        location / {{
            proxy_pass http://{portal};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
    {}
    {}
    server {{
        listen 127.0.0.1:{port};
        server_name elsewhere.test;
        location / {{
            default_type text/html;
            return 200 '{}';
        }}
    }}",
        application_block("app.example.test", portal, app, port),
        application_block("finance.example.test", portal, app, port),
        link_elsewhere(port)
    )
}

/// The server block of the application at `host`, behind the gate.
fn application_block(host: &str, portal: SocketAddr, app: SocketAddr, port: u16) -> String {
    format!(
        "server {{
        listen 127.0.0.1:{port};
        server_name {host};
        location / {{
            auth_request /.aanmelden/verify;
            auth_request_set $aanmelden_user $upstream_http_remote_user;
            auth_request_set $aanmelden_email $upstream_http_remote_email;
            auth_request_set $aanmelden_name $upstream_http_remote_name;
            auth_request_set $aanmelden_groups $upstream_http_remote_groups;
            proxy_set_header Remote-User $aanmelden_user;
            proxy_set_header Remote-Email $aanmelden_email;
            proxy_set_header Remote-Name $aanmelden_name;
            proxy_set_header Remote-Groups $aanmelden_groups;
            error_page 401 = @sign_in;
            error_page 403 = @no_access;
            proxy_pass http://{app};
        }}
        location = /.aanmelden/verify {{
            internal;
            proxy_pass http://{portal}/api/v1/auth/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length \"\";
            proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
        location @sign_in {{
            return 302 http://portal.example.test:{port}/?rd=$scheme://$http_host$request_uri;
        }}
        location @no_access {{
            return 302 http://portal.example.test:{port}/geen-toegang?app=$scheme://$http_host$request_uri;
        }}
    }}"
    )
}

/// A page on another site (webmail, chat) with a link to the application.
fn link_elsewhere(port: u16) -> String {
    format!(
        "<!doctype html><meta charset=utf-8><title>Mail</title>\
         <a id=to-app href=http://app.example.test:{port}/documents/>Documents</a>"
    )
}

async fn an_application_behind_the_gate_sees_who_signed_in(kind: Kind) {
    behind(kind, Proxy::Nginx).await;
}

async fn an_application_behind_caddy_sees_who_signed_in(kind: Kind) {
    behind(kind, Proxy::Caddy).await;
}

#[derive(Clone, Copy)]
enum Proxy {
    Nginx,
    Caddy,
}

/// A running proxy, held until the test ends and stopped when dropped.
#[allow(dead_code)]
enum Running {
    Nginx(Nginx),
    Caddy(Caddy),
}

/// A portal behind `proxy` with the application, a user with a device and
/// a full name, and a browser of `kind` signed in through the application
/// (sent to the portal, the user name, the password with the code, and
/// back); `None` where the proxy is not installed.
struct SignedIn {
    test: BrowserTest,
    port: u16,
    /// The application's address the browser came back to.
    documents: String,
    _running: Running,
}

async fn signed_in_behind(
    kind: Kind,
    proxy: Proxy,
    adjust: impl FnOnce(&mut aanmelden_server::config::Config, u16),
) -> Option<SignedIn> {
    let app = application().await;
    // The port is known before the portal starts: its address names it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let test = BrowserTest::start_in(kind, |config| {
        config.public_url = Some(format!("http://portal.example.test:{port}"));
        config.cookie_domain = Some("example.test".to_owned());
        config.allowed_return_domains = vec!["http://app.example.test".to_owned()];
        config.trusted_proxies = "127.0.0.1".parse().unwrap();
        adjust(config, port);
    })
    .await;
    let portal: SocketAddr = test.base.trim_start_matches("http://").parse().unwrap();
    let running = match proxy {
        Proxy::Nginx => Nginx::on_port(port, |port| gate(portal, app, port)).map(Running::Nginx),
        Proxy::Caddy => Caddy::start(port, portal, app).map(Running::Caddy),
    }?;
    test.add_user(USER, PASSWORD).await;
    let secret = test.registered_device(USER).await;
    test.state
        .store
        .set_display_name(USER, Some(FULL_NAME))
        .await
        .unwrap();
    // A query of its own: nginx writes rd unencoded, and all of it counts.
    let documents = format!("http://app.example.test:{port}/documents/?map=werk&id=3");

    test.client.goto(&documents).await.unwrap();
    test.wait_for("#username").await;
    assert!(
        test.client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&format!("http://portal.example.test:{port}/?rd=")),
        "sent to the portal"
    );
    sign_in_on_the_portal(&test, kind, USER, &secret).await;
    test.wait_for_text("#remote-user", USER).await;
    assert_eq!(test.client.current_url().await.unwrap().as_str(), documents);
    Some(SignedIn {
        test,
        port,
        documents,
        _running: running,
    })
}

async fn behind(kind: Kind, proxy: Proxy) {
    let Some(SignedIn {
        test,
        port,
        documents,
        _running,
    }) = signed_in_behind(kind, proxy, |_, _| {}).await
    else {
        return;
    };
    assert_eq!(test.text("#remote-name").await, FULL_NAME);

    a_link_from_elsewhere_arrives_signed_in(&test, port).await;
    made_up_headers_never_reach_the_application(&test, port).await;

    // Afmelden on the portal: the application sends the browser back.
    test.client
        .goto(&format!("http://portal.example.test:{port}/"))
        .await
        .unwrap();
    if kind.runs_app() {
        test.wait_until_gone("#plain").await;
    }
    test.click("#user-menu").await;
    test.click("#logout").await;
    test.wait_for("#logged-off-message").await;
    test.client.goto(&documents).await.unwrap();
    test.wait_for("#username").await;
    assert!(
        test.client.find(Locator::Id("remote-user")).await.is_err(),
        "the application is not shown"
    );
}

/// A link to the application on a page of another site reaches it signed in.
async fn a_link_from_elsewhere_arrives_signed_in(test: &BrowserTest, port: u16) {
    test.client
        .goto(&format!("http://elsewhere.test:{port}/"))
        .await
        .unwrap();
    test.click("#to-app").await;
    test.wait_for("#remote-user, #username").await;
    assert_eq!(
        test.client.current_url().await.unwrap().as_str(),
        format!("http://app.example.test:{port}/documents/"),
        "a link from another site reaches the application, not the sign-in"
    );
    assert_eq!(test.text("#remote-user").await, USER);
}

/// Headers a signed-in user makes up never reach the application: the
/// proxy sets each from the portal's answer, or drops it (the portal sends
/// no full name once there is none).
async fn made_up_headers_never_reach_the_application(test: &BrowserTest, port: u16) {
    test.state.store.set_display_name(USER, None).await.unwrap();
    let cookie = test
        .client
        .get_named_cookie("aanmelden_session")
        .await
        .expect("the session cookie")
        .value()
        .to_owned();
    let forged = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/documents/"))
        .header("host", format!("app.example.test:{port}"))
        .header("cookie", format!("aanmelden_session={cookie}"))
        .header("remote-user", "directeur@missingpiece.nl")
        .header("remote-email", "directeur@missingpiece.nl")
        .header("remote-name", "De Directeur")
        .header("remote-groups", "directie")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        forged.contains(&format!("<p id=\"remote-user\">{USER}</p>"))
            && forged.contains(&format!("<p id=\"remote-email\">{USER}</p>"))
            && (forged.contains("<p id=\"remote-name\"></p>")
                || forged.contains("<p id=\"remote-name\">(nobody)</p>"))
            && (forged.contains("<p id=\"remote-groups\"></p>")
                || forged.contains("<p id=\"remote-groups\">(nobody)</p>"))
            && !forged.contains("irecteur")
            && !forged.contains("directie"),
        "made-up headers reached the application: {forged}"
    );
}

/// Directory users: jan is in finance, piet is not.
const JAN: &str = "jan@example.test";
const PIET: &str = "piet@example.test";

/// An application open to the directory group finance: jan, a member,
/// opens it and it gets his groups; piet is sent to the portal's "no
/// access" page (in Dutch, and in English once he switches), from which
/// his applications (the open one alone) are a click away.
async fn only_members_open_an_application_open_to_a_group(kind: Kind) {
    let Some(slapd) = crate::slapd::Slapd::with(
        &[
            ("jan", JAN, "Jan Jansen", PASSWORD),
            ("piet", PIET, "Piet Pieters", PASSWORD),
        ],
        &[("finance", &["jan"])],
    ) else {
        return;
    };
    let directory_url = slapd.url.clone();
    let Some(SignedIn {
        test,
        port,
        _running,
        ..
    }) = signed_in_behind(kind, Proxy::Nginx, |config, port| {
        config.accounts = AccountSource::DirectoryThenLocal;
        config.directory_url = Some(directory_url);
        config.directory_base_dn = Some(crate::slapd::PEOPLE.to_owned());
        config.directory_groups_base_dn = Some(crate::slapd::GROUPS.to_owned());
        config.directory_bind_dn = Some(crate::slapd::SERVICE_DN.to_owned());
        config.directory_bind_password =
            Some(SecretString::new(crate::slapd::SERVICE_PASSWORD.to_owned()));
        config
            .allowed_return_domains
            .push("http://finance.example.test".to_owned());
        config.applications = vec![
            Application {
                name: "Documenten".to_owned(),
                url: format!("http://app.example.test:{port}/documents/"),
                groups: Vec::new(),
            },
            Application {
                name: "Financiën".to_owned(),
                url: format!("http://finance.example.test:{port}"),
                groups: vec!["finance".to_owned()],
            },
        ];
    })
    .await
    else {
        return;
    };
    let finance = format!("http://finance.example.test:{port}/begroting/");
    for (uid, name) in [("jan", JAN), ("piet", PIET)] {
        // Known to the portal with a phone, as after a first sign-in.
        let account = aanmelden_server::directory::Account {
            directory_id: slapd.entry_uuid(uid).await,
            username: name.to_owned(),
            display_name: None,
            email: Some(name.to_owned()),
            groups: Vec::new(),
        };
        test.state
            .store
            .directory_user(&account, 0)
            .await
            .unwrap()
            .unwrap();
        let secret = test.registered_device(name).await;
        test.client.delete_all_cookies().await.unwrap();

        test.client.goto(&finance).await.unwrap();
        test.wait_for("#username").await;
        sign_in_on_the_portal(&test, kind, name, &secret).await;
        test.wait_for("#remote-user, #no-access-message").await;
        if uid == "jan" {
            assert_eq!(test.text("#remote-user").await, JAN);
            assert_eq!(test.text("#remote-groups").await, "finance");
            assert_eq!(test.client.current_url().await.unwrap().as_str(), finance);
        } else {
            no_access_is_shown(&test, kind, port).await;
        }
    }
}

/// The portal's "no access" page for the finance application, in Dutch,
/// then in English; from it, the applications the user may open.
async fn no_access_is_shown(test: &BrowserTest, kind: Kind, port: u16) {
    assert!(
        test.client
            .current_url()
            .await
            .unwrap()
            .as_str()
            .starts_with(&format!(
                "http://portal.example.test:{port}/geen-toegang?app="
            )),
        "sent to the portal's page"
    );
    if kind.runs_app() {
        test.wait_until_gone("#plain").await;
    }
    test.wait_for_text(
        "#no-access-message",
        "Je hebt geen toegang tot deze applicatie.",
    )
    .await;
    assert_eq!(
        test.text("#no-access-application").await,
        format!("finance.example.test:{port}")
    );
    test.click("#lang-en").await;
    test.wait_for_text(
        "#no-access-message",
        "You do not have access to this application.",
    )
    .await;
    assert_eq!(
        test.text("#no-access-application").await,
        format!("finance.example.test:{port}"),
        "still named in English"
    );
    test.click("#to-applications").await;
    test.wait_for("#signed-in-message").await;
    assert_eq!(test.text("#applications").await, "Documenten");
}

/// On the portal's first screen: the user name, then the password with the
/// code of the phone whose secret is `secret`.
async fn sign_in_on_the_portal(test: &BrowserTest, kind: Kind, name: &str, secret: &str) {
    if kind.runs_app() {
        test.wait_until_gone("#plain").await;
    }
    test.type_into("#username", name).await;
    test.click("#identify-submit").await;
    test.wait_for_text("#username-shown", name).await;
    test.type_into("#password", PASSWORD).await;
    test.click("#show-otp").await;
    test.type_into("#otp", &totp_code(secret)).await;
    test.click("#password-submit").await;
}

/// Idle time after sign-in at a kiosk, and the warning's, here: the server
/// ends such a session after both, whatever the browser shows.
const KIOSK_IDLE_S: u32 = 2;
const KIOSK_WARNING_S: u32 = 2;

/// At a kiosk the application is no place to stay signed in: its requests
/// to the gate do not keep the session alive, and once the kiosk's idle
/// time and warning have passed without the portal, the application sends
/// the browser to the portal again.
async fn a_kiosk_session_ends_at_the_application(kind: Kind) {
    let Some(SignedIn {
        test,
        documents,
        _running,
        ..
    }) = signed_in_behind(kind, Proxy::Nginx, |config, _| {
        // The whole deployment is a kiosk: the browser and nginx share
        // 127.0.0.1 here, so no address could tell a terminal apart.
        config.kiosk = true;
        config.kiosk_signed_in_idle_s = KIOSK_IDLE_S;
        config.kiosk_warning_s = KIOSK_WARNING_S;
    })
    .await
    else {
        return;
    };
    let signed_in_at = std::time::Instant::now();
    let ends_after = std::time::Duration::from_secs(u64::from(KIOSK_IDLE_S + KIOSK_WARNING_S));
    // The application is used on, each page a verify call: within the
    // time it is shown, after it the portal asks who is there.
    let deadline = signed_in_at + ends_after + std::time::Duration::from_secs(6);
    loop {
        test.client.goto(&documents).await.unwrap();
        test.wait_for("#remote-user, #username").await;
        let signed_out = test.client.find(Locator::Id("remote-user")).await.is_err();
        if signed_out {
            // The server counts from the last request to the portal, a
            // moment before the application first showed.
            assert!(
                signed_in_at.elapsed() + std::time::Duration::from_secs(1) >= ends_after,
                "signed out after {:?}, before the kiosk's time",
                signed_in_at.elapsed()
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the application still shows the kiosk's session after {:?}",
            signed_in_at.elapsed()
        );
        tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    }
}

/// Caddy in front of the portal and the application, as
/// docs/deploy/Caddyfile shows it, on plain http.
struct Caddy {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

/// Where Debian puts Caddy.
const CADDY: &str = "/usr/bin/caddy";

impl Caddy {
    fn start(port: u16, portal: SocketAddr, app: SocketAddr) -> Option<Self> {
        if !std::path::Path::new(CADDY).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "caddy must be installed under CI (cargo xtask setup installs it)"
            );
            eprintln!("SKIPPED: {CADDY} is not installed, this test behind Caddy did not run");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            "{{
\tadmin off
\tauto_https off
}}

http://portal.example.test:{port} {{
\treverse_proxy {portal}
}}

http://elsewhere.test:{port} {{
\theader Content-Type text/html
\trespond `{}` 200
}}

http://app.example.test:{port} {{
\troute {{
\t\trequest_header -Remote-User
\t\trequest_header -Remote-Email
\t\trequest_header -Remote-Name
\t\trequest_header -Remote-Groups
\t\tforward_auth {portal} {{
\t\t\turi /api/v1/auth/verify?redirect=1
\t\t\tcopy_headers Remote-User Remote-Email Remote-Name Remote-Groups
\t\t}}
\t\treverse_proxy {app}
\t}}
}}
",
            link_elsewhere(port)
        );
        let file = dir.path().join("Caddyfile");
        std::fs::write(&file, config).unwrap();
        let child = std::process::Command::new(CADDY)
            .args(["run", "--adapter", "caddyfile", "--config"])
            .arg(&file)
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path())
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start caddy");
        let caddy = Self { child, _dir: dir };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "caddy did not start listening"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Some(caddy)
    }
}

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

crate::in_browsers!(
    [Chromium, ChromiumNoScript, Firefox, FirefoxNoScript];
    an_application_behind_the_gate_sees_who_signed_in,
    only_members_open_an_application_open_to_a_group,
);

mod kiosk {
    use super::a_kiosk_session_ends_at_the_application;

    crate::in_browsers!(
        [Chromium, ChromiumNoScript, Firefox, FirefoxNoScript];
        a_kiosk_session_ends_at_the_application,
    );
}

mod caddy {
    use super::an_application_behind_caddy_sees_who_signed_in;

    crate::in_browsers!(
        [Chromium, ChromiumNoScript];
        an_application_behind_caddy_sees_who_signed_in,
    );
}
