//! Clean-up of what has served its time, so no table grows without bound:
//! expired sessions, finished failure counters, old push challenges and
//! nonces, origins not seen for long, and audit entries past retention.

use std::time::Duration;

use aanmelden_api::signed;

use crate::AppState;
use crate::domain::sign_in::Level;
use crate::store::StoreError;

/// How often the clean-up runs.
const EVERY: Duration = Duration::from_mins(5);

/// Rows dropped by one clean-up.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    pub sessions: u64,
    pub counters: u64,
    pub challenges: u64,
    pub nonces: u64,
    pub origins: u64,
    pub audit: u64,
}

impl AppState {
    /// Drop every row whose time is over.
    pub async fn clean_up(&self) -> Result<Dropped, StoreError> {
        let now = self.clock.now();
        let config = &self.config;
        let window = config.lockout_window_s;
        let audit = if config.audit_retention_days > 0 {
            self.store
                .forget_audit(now - config.audit_retention_days * 24 * 60 * 60)
                .await?
        } else {
            0
        };
        let (signed_in_idle, kiosk_absolute) = config.session_limits(true, Level::Done);
        let (before_idle, _) = config.session_limits(true, Level::SecondFactor);
        Ok(Dropped {
            sessions: self
                .store
                .delete_expired_sessions(
                    (
                        now - config.session_absolute_timeout_s,
                        now - config.session_idle_timeout_s,
                    ),
                    (
                        now - kiosk_absolute,
                        now - signed_in_idle,
                        now - before_idle,
                    ),
                )
                .await?,
            // Kept for the longer window: a budget dropped halfway through
            // its window would start afresh.
            counters: self
                .store
                .forget_stale_counters(now - window.max(config.unknown_name_window_s), now)
                .await?,
            // Kept for the window, which limits how many an account is sent.
            challenges: self
                .store
                .forget_challenges(now - window.max(config.push_timeout_s))
                .await?,
            // A nonce older than the signing window is refused by its time.
            nonces: self.store.forget_nonces(now - 2 * signed::WINDOW_S).await?,
            origins: self
                .store
                .forget_origins(now - config.familiar_origin_s)
                .await?,
            audit,
        })
    }
}

/// Clean up now and every few minutes, for as long as the server runs.
pub async fn run(app: AppState) {
    let mut tick = tokio::time::interval(EVERY);
    loop {
        tick.tick().await;
        match app.clean_up().await {
            Ok(dropped) => tracing::debug!(?dropped, "cleaned up"),
            Err(error) => tracing::warn!(%error, "clean-up failed"),
        }
    }
}
