//! `GET /branding`: the organisation, logo, colour, applications and client
//! downloads that the configuration names, before anyone signs in.

use aanmelden_api::{Application, Branding, ClientDownloads};
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
        },
        config::Application {
            name: "Intranet".to_owned(),
            url: "/intranet".to_owned(),
        },
    ];
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
            applications: vec![
                Application {
                    name: "Webmail".to_owned(),
                    url: "https://mail.acme.example".to_owned(),
                },
                Application {
                    name: "Intranet".to_owned(),
                    url: "/intranet".to_owned(),
                },
            ],
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

crate::on_both_backends!(
    configured_by branded;
    configured_branding_without_a_session,
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
                "applications": [],
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
