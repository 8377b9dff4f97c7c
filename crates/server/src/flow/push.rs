//! Push with number matching, from the browser's side: send a challenge,
//! and learn its answer.

use crate::AppState;
use crate::domain::push::{Challenge, Status, new_id, new_number};
use crate::domain::sign_in::{Level, Session};
use crate::error::ApiError;
use crate::flow::Stepped;
use crate::store::ChallengeLimits;

/// Longest browser description kept.
const MAX_BROWSER_CHARS: usize = 200;

/// Where a challenge stands for the browser waiting on it.
#[derive(Debug)]
pub enum PushState {
    /// No answer yet.
    Pending(Challenge),
    /// Approved: the session is signed in.
    Approved(Stepped),
}

impl AppState {
    /// A new challenge for this session; an earlier one that is still open
    /// is voided ("Opnieuw versturen"). `browser` is how the browser
    /// describes itself, for the authenticator to show.
    pub async fn send_push(
        &self,
        session: &Session,
        client: &str,
        browser: &str,
    ) -> Result<Challenge, ApiError> {
        let (Level::SecondFactor, Some(user_id)) = (session.level, session.user_id) else {
            return Err(ApiError::Forbidden);
        };
        self.refuse_if_locked(&session.username, client).await?;
        if self.store.active_devices(user_id).await?.is_empty() {
            return Err(ApiError::Forbidden);
        }
        let now = self.clock.now();
        self.store.void_challenges(&session.id_hash, now).await?;
        let challenge = Challenge {
            id: new_id(),
            user_id,
            username: session.username.clone(),
            session_hash: session.id_hash.clone(),
            number: new_number(),
            client: client.to_owned(),
            browser: browser
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_BROWSER_CHARS)
                .collect(),
            created_at: now,
            expires_at: now + self.config.push_timeout_s,
            status: Status::Pending,
        };
        let limits = ChallengeLimits {
            open: self.config.push_max_open,
            recent: self.config.push_max_per_window,
            since: now - self.config.lockout_window_s,
        };
        if !self.store.insert_challenge(&challenge, limits).await? {
            return Err(ApiError::RateLimited {
                retry_after_s: u64::try_from(self.config.push_timeout_s).unwrap_or(30),
            });
        }
        self.audit(&session.username, "push_created", "", client)
            .await?;
        Ok(challenge)
    }

    /// The answer to challenge `id` of this session so far: approved (the
    /// session is signed in), still pending, or `push_denied` /
    /// `push_expired`.
    pub async fn push_state(
        &self,
        session: &Session,
        client: &str,
        id: &str,
    ) -> Result<PushState, ApiError> {
        let challenge = self
            .store
            .find_challenge(id)
            .await?
            .filter(|c| c.session_hash == session.id_hash)
            .ok_or(ApiError::NotFound)?;
        let now = self.clock.now();
        match challenge.status_at(now) {
            Status::Approved => {
                let user_id = session.user_id.ok_or(ApiError::Forbidden)?;
                self.signed_in_from(&session.username, client).await?;
                let stepped = self.step_up(session, user_id, Level::Done).await?;
                Ok(PushState::Approved(stepped))
            }
            Status::Denied => Err(ApiError::PushDenied),
            Status::Voided => Err(ApiError::PushExpired),
            Status::Expired => {
                if self.store.expire_challenge(id, now).await? {
                    self.audit(&session.username, "push_expired", "", client)
                        .await?;
                }
                Err(ApiError::PushExpired)
            }
            Status::Pending => Ok(PushState::Pending(challenge)),
        }
    }
}
