//! Accounts from Active Directory, against the stand-in of `fake_ad`:
//! each of AD's refusals (must change, expired password, locked, disabled,
//! expired account) is told as such, with the right password only where
//! AD tells it so; a user is kept by the `objectGUID`'s bytes in hex; the
//! groups come by the in-chain rule; a user AD disables (bit 2 of
//! `userAccountControl`) loses their sessions when the directory is asked
//! again; and connections are used again, and opened anew once dropped.

use aanmelden_api::{ErrorCode, Step};
use aanmelden_server::config::{AccountSource, DirectoryKind};
use aanmelden_server::domain::secrets::SecretString;
use aanmelden_server::store::Backend;
use aanmelden_server::upkeep::Refreshed;
use reqwest::StatusCode;

use crate::directory::password_step;
use crate::fake_ad::{
    AdUser, DISABLED_ACCOUNT, FakeAd, NORMAL_ACCOUNT, SERVICE_DN, SERVICE_PASSWORD, USERS,
};
use crate::helpers::{PASSWORD, TestApp, spawn_app_with};

/// The domain's users: jan, who signs in, and one account in each state
/// AD refuses a bind for.
fn domain() -> Vec<AdUser> {
    let user = |sam: &'static str, refusal: Option<&'static str>, guid: &[u8; 16]| AdUser {
        sam,
        password: PASSWORD,
        refusal,
        // Bytes that read as text too: the portal must take them as bytes.
        guid: *guid,
        groups: &["finance", "staff"],
        account_control: NORMAL_ACCOUNT,
    };
    vec![
        user("jan", None, b"jan-guid-0000001"),
        user("moet", Some("773"), b"moet-guid-000002"),
        user("verlopen", Some("532"), b"verlopen-guid-03"),
        user("geblokkeerd", Some("775"), b"geblokkeerd-g-04"),
        user("uit", Some("533"), b"uit-guid-0000005"),
        user("weg", Some("701"), b"weg-guid-0000006"),
    ]
}

struct WithAd {
    app: TestApp,
    ad: FakeAd,
}

async fn spawn(backend: Backend) -> Option<WithAd> {
    let ad = FakeAd::start(&domain()).await;
    let url = ad.url.clone();
    let app = spawn_app_with(backend, |config| {
        config.accounts = AccountSource::Directory;
        config.directory_kind = DirectoryKind::Activedirectory;
        config.directory_url = Some(url);
        config.directory_base_dn = Some(USERS.to_owned());
        config.directory_bind_dn = Some(SERVICE_DN.to_owned());
        config.directory_bind_password = Some(SecretString::new(SERVICE_PASSWORD.to_owned()));
        config.directory_refresh_s = 60;
    })
    .await?;
    Some(WithAd { app, ad })
}

async fn each_refusal_of_ad_is_told(with: WithAd) {
    let app = &with.app;
    for (name, told) in [
        ("moet", ErrorCode::PasswordChangeRequired),
        ("verlopen", ErrorCode::PasswordExpired),
        ("geblokkeerd", ErrorCode::AccountLocked),
        ("uit", ErrorCode::AccountDisabled),
        ("weg@ad.example.test", ErrorCode::AccountExpired),
    ] {
        assert_eq!(
            password_step(app, name, PASSWORD).await,
            Err(told),
            "{name}"
        );
    }
    // With a wrong password AD says only "wrong", but for a locked account.
    for name in ["moet", "verlopen", "uit", "weg", "jan", "niemand"] {
        assert_eq!(
            password_step(app, name, "wrong").await,
            Err(ErrorCode::InvalidCredentials),
            "{name}"
        );
    }
    assert_eq!(
        password_step(app, "geblokkeerd", "wrong").await,
        Err(ErrorCode::AccountLocked)
    );
    // None of them made a user of the portal's.
    assert_eq!(app.state.store.count_users().await.unwrap(), 0);
}

async fn a_user_ad_disables_loses_their_session(with: WithAd) {
    let app = &with.app;
    // By the sAMAccountName; known by the userPrincipalName.
    app.register_first_device("jan").await;
    let user = app
        .state
        .store
        .find_user("jan@ad.example.test")
        .await
        .unwrap()
        .expect("the user");
    assert_eq!(
        user.directory_id.as_deref(),
        Some("6a616e2d677569642d30303030303031"),
        "the objectGUID's bytes in hex"
    );
    let allowed = app.browser.verify_for(None, false).await;
    assert_eq!(allowed.status(), StatusCode::OK);
    assert_eq!(allowed.headers()["remote-groups"], "finance,staff");

    app.clock.advance(61);
    assert_eq!(
        app.state.refresh_directory_users().await.unwrap(),
        Refreshed {
            current: 1,
            ..Refreshed::default()
        },
        "found again by its objectGUID"
    );
    with.ad
        .change("jan", |jan| jan.account_control = DISABLED_ACCOUNT);
    app.clock.advance(61);
    assert_eq!(
        app.state.refresh_directory_users().await.unwrap(),
        Refreshed {
            gone: 1,
            ..Refreshed::default()
        }
    );
    assert_eq!(
        app.browser.verify_for(None, false).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// Sign-ins one after another share one connection; one the directory
/// drops is opened anew, and nobody notices.
async fn connections_are_used_again_and_opened_anew(with: WithAd) {
    let app = &with.app;
    for _ in 0..3 {
        assert_eq!(
            password_step(app, "jan", PASSWORD).await,
            Ok(Step::RegisterDevice)
        );
        assert_eq!(
            password_step(app, "jan", "wrong").await,
            Err(ErrorCode::InvalidCredentials)
        );
    }
    assert_eq!(with.ad.connections(), 1, "one connection for six sign-ins");

    with.ad.drop_connections();
    assert_eq!(
        password_step(app, "jan", PASSWORD).await,
        Ok(Step::RegisterDevice),
        "the dropped connection is not the user's problem"
    );
    assert_eq!(with.ad.connections(), 2);
}

crate::on_both_backends!(
    @tests crate::active_directory::spawn;
    each_refusal_of_ad_is_told,
    a_user_ad_disables_loses_their_session,
    connections_are_used_again_and_opened_anew
);

/// The same against a real domain controller: Debian's Samba in a network
/// namespace of its own, reached over LDAPS.
mod samba {
    use super::*;
    use crate::samba::{BASE, LOCKOUT_THRESHOLD, SambaDc};

    pub struct WithSamba {
        app: TestApp,
        _dc: SambaDc,
    }

    pub async fn spawn(backend: Backend) -> Option<WithSamba> {
        let dc = SambaDc::start()?;
        let (url, ca_file) = (dc.url.clone(), dc.ca_file.clone());
        let app = spawn_app_with(backend, |config| {
            config.accounts = AccountSource::Directory;
            config.directory_kind = DirectoryKind::Activedirectory;
            config.directory_url = Some(url);
            config.directory_ca_file = Some(ca_file);
            config.directory_base_dn = Some(BASE.to_owned());
            config.directory_bind_dn = Some(crate::samba::SERVICE_DN.to_owned());
            config.directory_bind_password =
                Some(SecretString::new(crate::samba::SERVICE_PASSWORD.to_owned()));
        })
        .await?;
        Some(WithSamba { app, _dc: dc })
    }

    /// Which sub-codes Samba really sends, and what the user is told.
    async fn samba_says_what_keeps_an_account_out(with: WithSamba) {
        let app = &with.app;
        app.register_first_device("jan").await;
        let allowed = app.browser.verify_for(None, false).await;
        assert_eq!(allowed.status(), StatusCode::OK);
        assert_eq!(allowed.headers()["remote-user"], "jan@ad.example.test");
        assert_eq!(allowed.headers()["remote-email"], "jan@ad.example.test");
        assert_eq!(
            allowed.headers()["remote-groups"],
            "finance,staff",
            "his group's group too, by the in-chain rule"
        );
        let user = app
            .state
            .store
            .find_user("jan@ad.example.test")
            .await
            .unwrap()
            .expect("the user");
        let id = user.directory_id.expect("kept by the objectGUID");
        assert!(
            id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );

        for (name, told) in [
            ("moet", ErrorCode::PasswordChangeRequired),
            ("uit", ErrorCode::AccountDisabled),
            ("weg", ErrorCode::AccountExpired),
        ] {
            assert_eq!(
                password_step(app, name, PASSWORD).await,
                Err(told),
                "{name}"
            );
            assert_eq!(
                password_step(app, name, "wrong").await,
                Err(ErrorCode::InvalidCredentials),
                "{name}"
            );
        }
        assert_eq!(
            password_step(app, "niemand", "wrong").await,
            Err(ErrorCode::InvalidCredentials)
        );
        for _ in 0..LOCKOUT_THRESHOLD {
            assert_eq!(
                password_step(app, "slot", "wrong").await,
                Err(ErrorCode::InvalidCredentials)
            );
        }
        assert_eq!(
            password_step(app, "slot", PASSWORD).await,
            Err(ErrorCode::AccountLocked)
        );
    }

    crate::on_both_backends!(
        @tests crate::active_directory::samba::spawn;
        samba_says_what_keeps_an_account_out
    );
}
