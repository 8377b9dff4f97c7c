//! Accounts from the company directory, against a real slapd: the
//! directory's password, then the second factor as for anyone; a user kept
//! by the directory's id through a rename; a directory that does not answer
//! is `unavailable` and locks nobody out; a typed name is never a filter.

use aanmelden_api::{ErrorCode, SessionInfo, Step};
use aanmelden_server::config::AccountSource;
use aanmelden_server::store::Backend;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, code, error_code, json, spawn_app_with};
use crate::slapd::{PEOPLE, SERVICE_DN, SERVICE_PASSWORD, Slapd};

/// The directory's users: uid, mail, full name, password.
const USERS: &[(&str, &str, &str, &str)] = &[
    ("jan", "jan@example.test", "Jan Jansen", PASSWORD),
    ("piet", "piet@example.test", "Piet Pieters", PASSWORD),
];

const VERIFY: &str = "/auth/verify";

/// A portal whose accounts come from a slapd of its own.
pub struct WithDirectory {
    app: TestApp,
    slapd: Slapd,
    _silent: Option<Silent>,
}

/// A server that takes connections on a port of 127.0.0.1 and never
/// answers: a directory that hangs.
struct Silent {
    address: std::net::SocketAddr,
}

impl Silent {
    fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        std::thread::spawn(move || {
            // Held until the test ends; never read, never answered.
            let mut held = Vec::new();
            for connection in listener.incoming().take(64).flatten() {
                held.push(connection);
            }
        });
        Self { address }
    }
}

/// How the portal reaches the directory.
#[derive(Clone, Copy)]
pub enum Transport {
    /// Plain LDAP, to this machine only.
    Plain,
    /// LDAPS, trusting the test CA.
    Ldaps,
    /// `StartTLS` on the LDAP port, trusting the test CA.
    StartTls,
    /// LDAPS, trusting another CA than the one that signed slapd's
    /// certificate.
    LdapsOtherCa,
    /// LDAPS, trusting the system's CAs, which do not have the test CA.
    LdapsSystemCas,
    /// A server that takes the connection and never answers.
    Silent,
}

async fn spawn(backend: Backend, accounts: AccountSource) -> Option<WithDirectory> {
    spawn_over(backend, accounts, Transport::Plain).await
}

async fn spawn_over(
    backend: Backend,
    accounts: AccountSource,
    transport: Transport,
) -> Option<WithDirectory> {
    spawn_to(backend, accounts, transport, Slapd::with_users(USERS)?).await
}

/// The users of [`USERS`] and oud, whose password has expired, under a
/// password policy.
const POLICY_USERS: &[(&str, &str, &str, &str)] = &[
    ("jan", "jan@example.test", "Jan Jansen", PASSWORD),
    ("piet", "piet@example.test", "Piet Pieters", PASSWORD),
    ("oud", "oud@example.test", "Olga Oud", PASSWORD),
];

async fn spawn_with_policy(backend: Backend) -> Option<WithDirectory> {
    let slapd = Slapd::with_password_policy(POLICY_USERS, &["oud"])?;
    spawn_to(
        backend,
        AccountSource::DirectoryThenLocal,
        Transport::Plain,
        slapd,
    )
    .await
}

async fn spawn_to(
    backend: Backend,
    accounts: AccountSource,
    transport: Transport,
    slapd: Slapd,
) -> Option<WithDirectory> {
    let silent = matches!(transport, Transport::Silent).then(Silent::start);
    let (url, starttls, ca_file) = match transport {
        Transport::Plain => (slapd.url.clone(), false, None),
        Transport::Ldaps => (slapd.ldaps_url.clone(), false, Some(slapd.ca_file.clone())),
        Transport::StartTls => (slapd.url.clone(), true, Some(slapd.ca_file.clone())),
        Transport::LdapsOtherCa => (
            slapd.ldaps_url.clone(),
            false,
            Some(slapd.other_ca_file.clone()),
        ),
        Transport::LdapsSystemCas => (slapd.ldaps_url.clone(), false, None),
        Transport::Silent => (
            format!("ldap://{}", silent.as_ref().map(|s| s.address).unwrap()),
            false,
            None,
        ),
    };
    let app = spawn_app_with(backend, |config| {
        config.accounts = accounts;
        config.directory_url = Some(url);
        config.directory_starttls = starttls;
        config.directory_ca_file = ca_file;
        config.directory_base_dn = Some(PEOPLE.to_owned());
        config.directory_bind_dn = Some(SERVICE_DN.to_owned());
        config.directory_bind_password = Some(
            aanmelden_server::domain::secrets::SecretString::new(SERVICE_PASSWORD.to_owned()),
        );
        config.directory_timeout_s = 2;
        config.directory_connect_timeout_s = 2;
    })
    .await?;
    Some(WithDirectory {
        app,
        slapd,
        _silent: silent,
    })
}

/// The step after identify and `password` as `name`, or the error's code.
pub async fn password_step(app: &TestApp, name: &str, password: &str) -> Result<Step, ErrorCode> {
    let browser = app.new_browser();
    assert_eq!(browser.identify(name).await.status(), StatusCode::OK);
    let response = browser.password(password, None).await;
    if response.status() == StatusCode::OK {
        Ok(json::<aanmelden_api::StepResponse>(response).await.next)
    } else {
        let status = response.status();
        Err(error_code(response, status).await)
    }
}

async fn a_directory_user_signs_in_with_the_directory_password(with: WithDirectory) {
    let app = &with.app;
    // The uid is a name of Jan's too; the portal knows him by his mail.
    app.register_first_device("jan").await;
    let session: SessionInfo = json(app.browser.get("/session").await).await;
    assert_eq!(session.username, "jan@example.test");

    let allowed = app.browser.get(VERIFY).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.headers()["remote-user"], "jan@example.test");
    assert_eq!(allowed.headers()["remote-email"], "jan@example.test");
    assert_eq!(allowed.headers()["remote-name"], "Jan Jansen");

    let user = app
        .state
        .store
        .find_user("jan@example.test")
        .await
        .unwrap()
        .unwrap();
    assert!(
        user.directory_id.is_some_and(|id| id.len() == 36),
        "entryUUID"
    );
    let listed = app.state.store.list_users().await.unwrap();
    assert_eq!(listed, vec![("jan@example.test".to_owned(), 1, true)]);
    // Next time, the second factor, by either name.
    app.clock.advance(30);
    assert_eq!(
        password_step(app, "JAN@example.test", PASSWORD).await,
        Ok(Step::Push)
    );
}

async fn a_wrong_password_and_an_unknown_name_answer_alike(with: WithDirectory) {
    let app = &with.app;

    let wrong = password_step(app, "jan", "not the password").await;
    let unknown = password_step(app, "nobody@example.test", PASSWORD).await;
    let empty = password_step(app, "piet", "").await;

    assert_eq!(wrong, Err(ErrorCode::InvalidCredentials));
    assert_eq!(unknown, Err(ErrorCode::InvalidCredentials));
    assert_eq!(
        empty,
        Err(ErrorCode::InvalidCredentials),
        "an empty password never binds (anonymously)"
    );
    assert_eq!(app.state.store.count_users().await.unwrap(), 0);
}

/// Wrong passwords under each of a user's names (uid, mail, in any case)
/// count together: more names are no more guesses.
async fn every_name_of_a_directory_user_counts_as_one(with: WithDirectory) {
    let app = &with.app;
    let names = ["jan", "jan@example.test", "JAN"];
    let threshold = usize::try_from(app.state.config.lockout_threshold).unwrap();
    for n in 0..threshold {
        assert_eq!(
            password_step(app, names[n % names.len()], "wrong").await,
            Err(ErrorCode::InvalidCredentials)
        );
    }
    assert_eq!(
        password_step(app, "Jan@Example.test", PASSWORD).await,
        Err(ErrorCode::Locked)
    );
    assert_eq!(
        password_step(app, "piet", PASSWORD).await,
        Ok(Step::RegisterDevice),
        "another user is not locked"
    );
}

async fn a_typed_name_is_never_a_filter(with: WithDirectory) {
    let app = &with.app;

    for name in [
        "*",
        "j*",
        "*)(uid=*",
        "jan)(|(uid=*",
        "*)(objectClass=*",
        "\\2a",
        "\\00",
        "jan\\00",
    ] {
        assert_eq!(
            password_step(app, name, PASSWORD).await,
            Err(ErrorCode::InvalidCredentials),
            "{name}"
        );
    }
    assert_eq!(app.state.store.count_users().await.unwrap(), 0);
}

async fn a_renamed_user_keeps_their_device(with: WithDirectory) {
    let app = &with.app;
    let secret = app.register_first_device("piet").await;

    with.slapd
        .replace(&format!("uid=piet,{PEOPLE}"), "mail", "pieter@example.test")
        .await;
    app.clock.advance(30);

    let renamed = app.new_browser();
    let response = renamed
        .sign_in_with_code("pieter@example.test", &code(&secret, app.now()))
        .await;
    assert_eq!(response.status(), StatusCode::OK, "the same phone");
    let session: SessionInfo = json(renamed.get("/session").await).await;
    assert_eq!(session.username, "pieter@example.test");
    assert_eq!(session.step, Step::Done);
    assert_eq!(
        password_step(app, "piet@example.test", PASSWORD).await,
        Err(ErrorCode::InvalidCredentials),
        "the old name is no longer his"
    );
    assert_eq!(app.state.store.count_users().await.unwrap(), 1);
}

async fn a_directory_that_does_not_answer_locks_nobody_out(mut with: WithDirectory) {
    let app = &with.app;
    app.add_user("admin@local.test").await;
    with.slapd.stop();

    for _ in 0..8 {
        assert_eq!(
            password_step(app, "jan", PASSWORD).await,
            Err(ErrorCode::Unavailable)
        );
    }
    assert_eq!(
        password_step(app, "admin@local.test", PASSWORD).await,
        Ok(Step::RegisterDevice),
        "the local administrator still signs in"
    );
    assert_eq!(
        password_step(app, "admin@local.test", "wrong").await,
        Err(ErrorCode::Unavailable),
        "a wrong password may be the directory's: not counted as wrong"
    );
}

async fn a_local_user_signs_in_where_the_directory_has_no_such_name(with: WithDirectory) {
    let app = &with.app;
    app.add_user("admin@local.test").await;

    assert_eq!(
        password_step(app, "admin@local.test", PASSWORD).await,
        Ok(Step::RegisterDevice)
    );
    assert_eq!(
        password_step(app, "admin@local.test", "wrong").await,
        Err(ErrorCode::InvalidCredentials)
    );
}

async fn a_local_user_never_becomes_a_directory_user(with: WithDirectory) {
    let app = &with.app;
    app.add_user("jan@example.test").await;

    assert_eq!(
        password_step(app, "jan", PASSWORD).await,
        Err(ErrorCode::Unavailable),
        "two people under one name: refused until the administrator renames one"
    );
    let local = app
        .state
        .store
        .find_user("jan@example.test")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(local.directory_id, None);
}

async fn only_the_directory_knows_the_passwords(with: WithDirectory) {
    let app = &with.app;
    app.add_user("admin@local.test").await;

    assert_eq!(
        password_step(app, "admin@local.test", PASSWORD).await,
        Err(ErrorCode::InvalidCredentials),
        "a local user is no one's when accounts come from the directory alone"
    );
    assert_eq!(
        password_step(app, "jan", PASSWORD).await,
        Ok(Step::RegisterDevice)
    );
}

async fn the_password_goes_over_tls(with: WithDirectory) {
    assert_eq!(
        password_step(&with.app, "jan", PASSWORD).await,
        Ok(Step::RegisterDevice)
    );
    assert_eq!(
        password_step(&with.app, "piet", "not the password").await,
        Err(ErrorCode::InvalidCredentials)
    );
}

async fn a_certificate_from_an_untrusted_ca_is_refused(with: WithDirectory) {
    assert_eq!(
        password_step(&with.app, "jan", PASSWORD).await,
        Err(ErrorCode::Unavailable),
        "no password is sent to a directory whose certificate is not trusted"
    );
}

async fn a_directory_that_hangs_is_unavailable(with: WithDirectory) {
    let app = &with.app;
    app.add_user("admin@local.test").await;

    assert_eq!(
        password_step(app, "jan", PASSWORD).await,
        Err(ErrorCode::Unavailable),
        "after the directory's time-out, not a hang"
    );
    assert_eq!(
        password_step(app, "admin@local.test", PASSWORD).await,
        Ok(Step::RegisterDevice),
        "the local administrator still signs in"
    );
}

/// The directory's word on an account (its password must be changed, has
/// expired, it is locked) is told to the user in their language, and is
/// no wrong password to the portal's counters; a wrong password stays a
/// wrong password, and a name the directory does not have hears nothing.
async fn the_directorys_account_states_are_told(with: WithDirectory) {
    let app = &with.app;
    with.slapd
        .replace(&format!("uid=piet,{PEOPLE}"), "pwdReset", "TRUE")
        .await;
    // More often than the portal's own counters allow wrong passwords.
    for _ in 0..8 {
        assert_eq!(
            password_step(app, "piet", PASSWORD).await,
            Err(ErrorCode::PasswordChangeRequired)
        );
    }
    assert_eq!(
        password_step(app, "oud", PASSWORD).await,
        Err(ErrorCode::PasswordExpired)
    );
    for name in ["oud", "piet", "niemand"] {
        assert_eq!(
            password_step(app, name, "wrong").await,
            Err(ErrorCode::InvalidCredentials),
            "{name}"
        );
    }

    for _ in 0..crate::slapd::MAX_FAILURES {
        assert_eq!(
            password_step(app, "jan", "wrong").await,
            Err(ErrorCode::InvalidCredentials)
        );
    }
    assert_eq!(
        password_step(app, "jan", PASSWORD).await,
        Err(ErrorCode::AccountLocked),
        "locked by the directory after its wrong passwords"
    );

    // What the browser shows, in both languages.
    let browser = app.new_browser();
    assert_eq!(browser.identify("oud").await.status(), StatusCode::OK);
    let response = browser.password(PASSWORD, None).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body: aanmelden_api::ErrorBody = json(response).await;
    assert_eq!(body.error.code, ErrorCode::PasswordExpired);
    assert!(
        aanmelden_i18n::error_text(
            ErrorCode::PasswordExpired,
            None,
            None,
            aanmelden_i18n::Lang::Nl
        )
        .starts_with("Je wachtwoord is verlopen.")
    );
}

/// Without a service account: the DN made from the typed name, escaped.
async fn spawn_binding_directly(backend: Backend) -> Option<WithDirectory> {
    let slapd = Slapd::with_users(USERS)?;
    let url = slapd.url.clone();
    let app = spawn_app_with(backend, |config| {
        config.accounts = AccountSource::Directory;
        config.directory_url = Some(url);
        config.directory_user_dn = Some(format!("uid={{username}},{PEOPLE}"));
    })
    .await?;
    Some(WithDirectory {
        app,
        slapd,
        _silent: None,
    })
}

async fn a_dn_made_from_the_name_binds_directly(with: WithDirectory) {
    let app = &with.app;
    app.register_first_device("jan").await;
    let session: SessionInfo = json(app.browser.get("/session").await).await;
    assert_eq!(session.username, "jan@example.test", "read from the entry");
    for (name, password) in [
        ("jan", "wrong"),
        ("nobody", PASSWORD),
        ("jan,ou=people", PASSWORD),
        ("*", PASSWORD),
    ] {
        assert_eq!(
            password_step(app, name, password).await,
            Err(ErrorCode::InvalidCredentials),
            "{name}"
        );
    }
    assert_eq!(app.state.store.count_users().await.unwrap(), 1);
}

/// A DN made from the name.
mod binding_directly {
    use super::*;

    crate::on_both_backends!(
        @tests crate::directory::spawn_binding_directly;
        a_dn_made_from_the_name_binds_directly
    );
}

/// Under a password policy.
mod policy {
    use super::*;

    crate::on_both_backends!(
        @tests crate::directory::spawn_with_policy;
        the_directorys_account_states_are_told
    );
}

/// Accounts from the directory, then the local ones.
mod then_local {
    use super::*;

    crate::on_both_backends!(
        @tests |backend| crate::directory::spawn(
            backend,
            aanmelden_server::config::AccountSource::DirectoryThenLocal,
        );
        a_directory_user_signs_in_with_the_directory_password,
        a_wrong_password_and_an_unknown_name_answer_alike,
        a_typed_name_is_never_a_filter,
        every_name_of_a_directory_user_counts_as_one,
        a_renamed_user_keeps_their_device,
        a_directory_that_does_not_answer_locks_nobody_out,
        a_local_user_signs_in_where_the_directory_has_no_such_name,
        a_local_user_never_becomes_a_directory_user
    );
}

/// Accounts from the directory alone.
mod only {
    use super::*;

    crate::on_both_backends!(
        @tests |backend| crate::directory::spawn(
            backend,
            aanmelden_server::config::AccountSource::Directory,
        );
        only_the_directory_knows_the_passwords
    );
}

/// The directory over LDAPS.
mod over_ldaps {
    use super::*;

    crate::on_both_backends!(
        @tests |backend| crate::directory::spawn_over(
            backend,
            aanmelden_server::config::AccountSource::Directory,
            crate::directory::Transport::Ldaps,
        );
        the_password_goes_over_tls
    );
}

/// The directory over LDAP with `StartTLS`.
mod over_starttls {
    use super::*;

    crate::on_both_backends!(
        @tests |backend| crate::directory::spawn_over(
            backend,
            aanmelden_server::config::AccountSource::Directory,
            crate::directory::Transport::StartTls,
        );
        the_password_goes_over_tls
    );
}

/// A directory whose certificate another CA signed.
mod other_ca {
    use super::*;

    crate::on_both_backends!(
        @tests |backend| crate::directory::spawn_over(
            backend,
            aanmelden_server::config::AccountSource::Directory,
            crate::directory::Transport::LdapsOtherCa,
        );
        a_certificate_from_an_untrusted_ca_is_refused
    );
}

/// A directory with a private CA, and no CA file configured.
mod system_cas {
    use super::*;

    crate::on_both_backends!(
        @tests |backend| crate::directory::spawn_over(
            backend,
            aanmelden_server::config::AccountSource::Directory,
            crate::directory::Transport::LdapsSystemCas,
        );
        a_certificate_from_an_untrusted_ca_is_refused
    );
}

/// A directory that takes the connection and never answers.
mod hanging {
    use super::*;

    crate::on_both_backends!(
        @tests |backend| crate::directory::spawn_over(
            backend,
            aanmelden_server::config::AccountSource::DirectoryThenLocal,
            crate::directory::Transport::Silent,
        );
        a_directory_that_hangs_is_unavailable
    );
}
