//! The organisation's name, logo, colour and links, for every screen.

use aanmelden_api::Branding;
use axum::Json;
use axum::extract::State;

use crate::AppState;

/// `GET /branding`: from the configuration; no session needed, because the
/// first screen shows it before anyone has signed in.
pub async fn show(State(app): State<AppState>) -> Json<Branding> {
    Json(app.config.branding())
}
