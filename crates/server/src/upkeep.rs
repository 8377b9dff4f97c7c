//! Clean-up of what has served its time, so no table grows without bound:
//! expired sessions, finished failure counters, old push challenges and
//! nonces, origins not seen for long, and audit entries past retention.
//! And the directory's word on signed-in users, asked again in time: a
//! user it no longer has loses their sessions, changed groups count.

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

/// What one round of asking the directory again did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    /// Users whose entry was read again and brought up to date.
    pub current: u64,
    /// Users the directory no longer has: their sessions ended.
    pub gone: u64,
    /// Users the directory could not answer for: asked again next round.
    pub unanswered: u64,
}

/// Users asked about in one round at most; the rest wait for the next.
const REFRESH_BATCH: i64 = 200;

impl AppState {
    /// Ask the directory again about each signed-in directory user it was
    /// last asked about `directory_refresh_s` or longer ago.
    pub async fn refresh_directory_users(&self) -> Result<Refreshed, StoreError> {
        let mut refreshed = Refreshed::default();
        let Some(directory) = self.directory.as_ref().filter(|d| d.reads_entries_again()) else {
            return Ok(refreshed);
        };
        let now = self.clock.now();
        let before = now - i64::try_from(self.config.directory_refresh_s).unwrap_or(i64::MAX);
        let due = self
            .store
            .directory_users_to_check(before + 1, REFRESH_BATCH)
            .await?;
        for (user_id, directory_id) in due {
            match directory.refresh(&directory_id).await {
                Ok(Some(account)) => {
                    if self.store.directory_user(&account, now).await?.is_ok() {
                        refreshed.current += 1;
                    } else {
                        // The entry's new name is a local user's: it may
                        // not sign in under it, nor stay signed in.
                        self.store.directory_user_gone(user_id, now).await?;
                        refreshed.gone += 1;
                    }
                }
                Ok(None) => {
                    let ended = self.store.directory_user_gone(user_id, now).await?;
                    tracing::info!(
                        user_id,
                        ended,
                        "the directory no longer has a signed-in user: their sessions ended"
                    );
                    refreshed.gone += 1;
                }
                Err(error) => {
                    tracing::warn!(%error, "a signed-in user could not be read again");
                    refreshed.unanswered += 1;
                }
            }
        }
        Ok(refreshed)
    }
}

/// Ask the directory again, as often as its refresh time asks, for as long
/// as the server runs.
pub async fn refresh_directory(app: AppState) {
    let Some(directory) = &app.directory else {
        return;
    };
    if !directory.reads_entries_again() {
        tracing::warn!(
            "without a service account (directory_bind_dn) a user's groups are read at sign-in \
             only, and a user the directory no longer has keeps their sessions until they end"
        );
        return;
    }
    let every = app.config.directory_refresh_s.clamp(1, 60);
    let mut tick = tokio::time::interval(Duration::from_secs(every));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match app.refresh_directory_users().await {
            Ok(refreshed) => tracing::debug!(?refreshed, "asked the directory again"),
            Err(error) => tracing::warn!(%error, "asking the directory again failed"),
        }
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
