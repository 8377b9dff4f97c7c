//! The organisation's name, logo, colour and links, for every screen.

use aanmelden_api::Branding;
use axum::Json;
use axum::extract::State;

use crate::AppState;
use crate::http::ClientAddr;

/// `GET /branding`: from the configuration; no session needed, because the
/// first screen shows it before anyone has signed in. A kiosk is told its
/// times.
pub async fn show(State(app): State<AppState>, ClientAddr(client): ClientAddr) -> Json<Branding> {
    Json(Branding {
        kiosk: app.config.kiosk_for(&client),
        ..app.config.branding()
    })
}
