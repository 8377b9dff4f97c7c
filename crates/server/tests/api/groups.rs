//! Who may open what: applications open to directory groups, against a
//! real slapd with groups in groups. The gate lets members through with
//! `Remote-Groups`, answers others 403 (or sends them to the portal's "no
//! access" page), the signed-in page lists only what the user may open,
//! and the directory is asked again in time: changed groups count, a user
//! it no longer has loses their sessions, and a directory that cannot be
//! asked ends nothing.

use aanmelden_api::{Application, SessionInfo};
use aanmelden_server::config::{self, AccountSource};
use aanmelden_server::domain::secrets::SecretString;
use aanmelden_server::store::Backend;
use aanmelden_server::upkeep::Refreshed;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, code, json, spawn_app_with};
use crate::slapd::{GROUPS, PEOPLE, SERVICE_DN, SERVICE_PASSWORD, Slapd};

/// jan is in finance (with anna), and through it in wiki-editors; piet in
/// staff; kees in no group.
const USERS: &[(&str, &str, &str, &str)] = &[
    ("jan", "jan@example.test", "Jan Jansen", PASSWORD),
    ("piet", "piet@example.test", "Piet Pieters", PASSWORD),
    ("kees", "kees@example.test", "Kees de Vries", PASSWORD),
    ("anna", "anna@example.test", "Anna Bakker", PASSWORD),
];

const DIRECTORY_GROUPS: &[(&str, &[&str])] = &[
    ("finance", &["jan", "anna"]),
    ("wiki-editors", &["group:finance"]),
    ("staff", &["piet"]),
];

const PIET: &str = "piet@example.test";

const WIKI: &str = "https://wiki.example.test/pagina?id=3";
const SALARIES: &str = "https://salaris.example.test/";
const MAIL: &str = "https://mail.example.test/inbox";

/// How long the directory's word on a signed-in user holds.
const REFRESH_S: u64 = 300;

struct WithGroups {
    app: TestApp,
    slapd: Slapd,
}

async fn spawn(backend: Backend) -> Option<WithGroups> {
    let slapd = Slapd::with(USERS, DIRECTORY_GROUPS)?;
    let url = slapd.url.clone();
    let app = spawn_app_with(backend, |config| {
        config.accounts = AccountSource::Directory;
        config.directory_url = Some(url);
        config.directory_base_dn = Some(PEOPLE.to_owned());
        config.directory_groups_base_dn = Some(GROUPS.to_owned());
        config.directory_bind_dn = Some(SERVICE_DN.to_owned());
        config.directory_bind_password = Some(SecretString::new(SERVICE_PASSWORD.to_owned()));
        config.directory_refresh_s = REFRESH_S;
        config.public_url = Some("https://aanmelden.example.test".to_owned());
        // The test's requests come from 127.0.0.1, as a proxy's would.
        config.trusted_proxies = "127.0.0.1".parse().unwrap();
        config.applications = vec![
            application("Wiki", "https://wiki.example.test", &["wiki-editors"]),
            application("Salarissen", "https://salaris.example.test/", &["FINANCE"]),
            application("Mail", "https://mail.example.test", &[]),
        ];
    })
    .await?;
    Some(WithGroups { app, slapd })
}

fn application(name: &str, url: &str, groups: &[&str]) -> config::Application {
    config::Application {
        name: name.to_owned(),
        url: url.to_owned(),
        groups: groups.iter().map(|group| (*group).to_owned()).collect(),
    }
}

/// The names of the applications `/session` lists.
async fn listed(app: &TestApp) -> Vec<String> {
    let info: SessionInfo = json(app.browser.get("/session").await).await;
    info.applications
        .into_iter()
        .map(|Application { name, .. }| name)
        .collect()
}

async fn members_open_their_applications_and_others_are_refused(with: WithGroups) {
    let app = &with.app;
    app.register_first_device("jan").await;
    for url in [WIKI, SALARIES, MAIL, "https://elders.example.test/"] {
        let allowed = app.browser.verify_for(Some(url), false).await;
        assert_eq!(allowed.status(), StatusCode::OK, "{url}");
        assert_eq!(allowed.headers()["remote-user"], "jan@example.test");
        assert_eq!(
            allowed.headers()["remote-groups"],
            "finance,wiki-editors",
            "the groups of his groups too"
        );
    }
    assert_eq!(listed(app).await, ["Wiki", "Salarissen", "Mail"]);
}

async fn others_get_no_access(with: WithGroups) {
    let app = &with.app;
    app.register_first_device("piet").await;
    for url in [WIKI, SALARIES, "https://WIKI.example.test:443/"] {
        assert_eq!(
            app.browser.verify_for(Some(url), false).await.status(),
            StatusCode::FORBIDDEN,
            "{url}"
        );
    }
    let sent = app.browser.verify_for(Some(WIKI), true).await;
    assert_eq!(sent.status(), StatusCode::FOUND);
    assert_eq!(
        sent.headers()["location"],
        "https://aanmelden.example.test/geen-toegang?app=https%3A%2F%2Fwiki.example.test%2Fpagina%3Fid%3D3"
    );
    // Not a page under the wiki's address, nor another port, nor http.
    for url in [
        MAIL,
        "https://wiki.example.test.elders.test/",
        "https://wiki.example.test:8443/",
        "http://wiki.example.test/",
    ] {
        let allowed = app.browser.verify_for(Some(url), false).await;
        assert_eq!(allowed.status(), StatusCode::OK, "{url}");
        assert_eq!(allowed.headers()["remote-groups"], "staff");
    }
    // Which application is meant must be known where some have groups.
    assert_eq!(
        app.browser.verify_for(None, false).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(listed(app).await, ["Mail"]);

    let page = app.browser.get_page("/").await.text().await.unwrap();
    assert!(page.contains("https://mail.example.test"), "{page}");
    assert!(!page.contains("wiki.example.test"), "{page}");
    assert!(!page.contains("Salarissen"), "{page}");

    let refused = app
        .browser
        .get_page("/geen-toegang?app=https%3A%2F%2Fwiki.example.test%2Fpagina%3Fid%3D3")
        .await;
    assert_eq!(refused.status(), StatusCode::OK);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Je hebt geen toegang tot deze applicatie."),
        "{page}"
    );
    assert!(page.contains(">wiki.example.test<"), "{page}");
    assert!(!page.contains("pagina?id=3"), "only the host: {page}");

    // The language changes, and the application is still named.
    let english = app
        .browser
        .get_page("/geen-toegang?lang=en&app=https%3A%2F%2Fwiki.example.test%2Fpagina%3Fid%3D3")
        .await;
    assert_eq!(english.status(), StatusCode::OK);
    assert!(
        english
            .url()
            .as_str()
            .ends_with("/geen-toegang?app=https%3A%2F%2Fwiki.example.test%2Fpagina%3Fid%3D3"),
        "{}",
        english.url()
    );
    let page = english.text().await.unwrap();
    assert!(
        page.contains("You do not have access to this application."),
        "{page}"
    );
    assert!(page.contains(">wiki.example.test<"), "{page}");
    assert!(
        page.contains("/geen-toegang?lang=nl&amp;app=https%3A%2F%2Fwiki.example.test"),
        "the way back keeps it too: {page}"
    );
}

async fn a_user_in_no_group_opens_only_what_is_open(with: WithGroups) {
    let app = &with.app;
    app.register_first_device("kees").await;
    let allowed = app.browser.verify_for(Some(MAIL), false).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.headers()["remote-groups"], "");
    assert_eq!(
        app.browser.verify_for(Some(WIKI), false).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(listed(app).await, ["Mail"]);
}

async fn changed_groups_count_once_the_directory_is_asked_again(with: WithGroups) {
    let app = &with.app;
    app.register_first_device("jan").await;
    with.slapd.leave_group("finance", "jan").await;

    app.clock.advance(60);
    assert_eq!(
        app.state.refresh_directory_users().await.unwrap(),
        Refreshed::default(),
        "not asked again before its time"
    );
    let allowed = app.browser.verify_for(Some(SALARIES), false).await;
    assert_eq!(allowed.status(), StatusCode::OK);

    app.clock.advance(i64::try_from(REFRESH_S).unwrap());
    assert_eq!(
        app.state.refresh_directory_users().await.unwrap(),
        Refreshed {
            current: 1,
            ..Refreshed::default()
        }
    );
    for url in [SALARIES, WIKI] {
        assert_eq!(
            app.browser.verify_for(Some(url), false).await.status(),
            StatusCode::FORBIDDEN,
            "{url}"
        );
    }
    let allowed = app.browser.verify_for(Some(MAIL), false).await;
    assert_eq!(allowed.status(), StatusCode::OK, "still signed in");
    assert_eq!(allowed.headers()["remote-groups"], "");
    assert_eq!(listed(app).await, ["Mail"]);
}

async fn a_user_the_directory_no_longer_has_loses_their_sessions(with: WithGroups) {
    let app = &with.app;
    let secret = app.register_first_device("piet").await;
    let user = app.state.store.find_user(PIET).await.unwrap().unwrap();
    assert_eq!(
        user.directory_id.as_deref(),
        Some(with.slapd.entry_uuid("piet").await.as_str()),
        "kept by the entry's entryUUID"
    );
    let other = app.new_browser();
    app.clock.advance(30);
    let signed_in = other
        .sign_in_with_code("piet", &code(&secret, app.now()))
        .await;
    assert_eq!(signed_in.status(), StatusCode::OK, "a second session");
    with.slapd.delete(&format!("uid=piet,{PEOPLE}")).await;

    app.clock.advance(i64::try_from(REFRESH_S).unwrap() + 1);
    assert_eq!(
        app.state.refresh_directory_users().await.unwrap(),
        Refreshed {
            gone: 1,
            ..Refreshed::default()
        }
    );
    for browser in [&app.browser, &other] {
        assert_eq!(
            browser.verify_for(Some(MAIL), false).await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            browser.get("/session").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.state.refresh_directory_users().await.unwrap(),
        Refreshed::default(),
        "with no session left, nobody is asked about"
    );
}

async fn a_directory_that_cannot_be_asked_ends_nothing(mut with: WithGroups) {
    let app = &with.app;
    app.register_first_device("jan").await;
    with.slapd.stop();

    app.clock.advance(i64::try_from(REFRESH_S).unwrap() + 1);
    assert_eq!(
        app.state.refresh_directory_users().await.unwrap(),
        Refreshed {
            unanswered: 1,
            ..Refreshed::default()
        }
    );
    let allowed = app.browser.verify_for(Some(WIKI), false).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.headers()["remote-groups"], "finance,wiki-editors");
}

crate::on_both_backends!(
    @tests crate::groups::spawn;
    members_open_their_applications_and_others_are_refused,
    others_get_no_access,
    a_user_in_no_group_opens_only_what_is_open,
    changed_groups_count_once_the_directory_is_asked_again,
    a_user_the_directory_no_longer_has_loses_their_sessions,
    a_directory_that_cannot_be_asked_ends_nothing
);
