//! `GET /branding`: the organisation, logo, colour and client downloads
//! that the configuration names, before anyone signs in; the applications
//! come with the session, once signed in, as far as they are open to the
//! user.

use aanmelden_api::{Application, Branding, ClientDownloads, SessionInfo, Step};
use aanmelden_server::config::{self, Config};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, json};

fn branded(config: &mut Config) {
    "Acme".clone_into(&mut config.organisation);
    config.logo_url = Some("/logo.svg".to_owned());
    config.primary_colour = Some("#0b2f5b".to_owned());
    config.applications = vec![
        config::Application {
            name: "Webmail".to_owned(),
            url: "https://mail.acme.example".to_owned(),
            groups: Vec::new(),
        },
        config::Application {
            name: "Salarissen".to_owned(),
            url: "https://salaris.acme.example".to_owned(),
            groups: vec!["finance".to_owned()],
        },
        config::Application {
            name: "Intranet".to_owned(),
            url: "/intranet".to_owned(),
            groups: Vec::new(),
        },
    ];
    config.trusted_proxies = "127.0.0.1".parse().unwrap();
    config.client_downloads = config::ClientDownloads {
        windows: Some("https://downloads.acme.example/client.msi".to_owned()),
        macos: Some("https://downloads.acme.example/client.pkg".to_owned()),
        ios: Some("https://apps.acme.example/client".to_owned()),
        ..config::ClientDownloads::default()
    };
}

async fn configured_branding_without_a_session(app: TestApp) {
    let response = app.browser.get("/branding").await;

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        json::<Branding>(response).await,
        Branding {
            organisation: "Acme".to_owned(),
            logo_url: Some("/logo.svg".to_owned()),
            primary_colour: Some("#0b2f5b".to_owned()),
            client_downloads: ClientDownloads {
                windows: Some("https://downloads.acme.example/client.msi".to_owned()),
                macos: Some("https://downloads.acme.example/client.pkg".to_owned()),
                linux: None,
                ios: Some("https://apps.acme.example/client".to_owned()),
                android: None,
            },
            kiosk: None,
        }
    );
}

/// A user in no group (a local user) is shown the applications open to
/// everyone, in the configured order, once signed in; not before.
async fn the_session_lists_the_applications_open_to_the_user(app: TestApp) {
    let browser = app.new_browser();
    app.add_user("piet").await;
    assert_eq!(
        browser
            .sign_in_password("piet", crate::helpers::PASSWORD)
            .await,
        Step::RegisterDevice
    );
    let info: SessionInfo = json(browser.get("/session").await).await;
    assert!(info.applications.is_empty(), "{info:?}");

    app.register_first_device("piet").await;
    let info: SessionInfo = json(app.browser.get("/session").await).await;
    assert_eq!(info.step, Step::Done);
    assert_eq!(
        info.applications,
        [
            Application {
                name: "Webmail".to_owned(),
                url: "https://mail.acme.example".to_owned(),
            },
            Application {
                name: "Intranet".to_owned(),
                url: "/intranet".to_owned(),
            },
        ]
    );
}

crate::on_both_backends!(
    configured_by branded;
    configured_branding_without_a_session,
    the_session_lists_the_applications_open_to_the_user,
);

mod defaults {
    use super::*;

    /// The wire format the single page app reads: every key present, absent
    /// links as `null`.
    async fn default_branding_is_the_organisation_alone(app: TestApp) {
        let response = app.browser.get("/branding").await;

        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = json(response).await;
        assert_eq!(
            body,
            serde_json::json!({
                "organisation": "Missing Piece",
                "logo_url": null,
                "primary_colour": null,
                "client_downloads": {
                    "windows": null,
                    "macos": null,
                    "linux": null,
                    "ios": null,
                    "android": null,
                },
                "kiosk": null,
            })
        );
    }

    crate::on_both_backends!(default_branding_is_the_organisation_alone);
}
