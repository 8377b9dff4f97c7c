//! Push with number matching, from the browser's side: send a challenge,
//! and learn its answer.

use std::time::Duration;

use aanmelden_api::WakeUp;

use crate::AppState;
use crate::domain::push::{BrowserKind, Challenge, Status, new_id, new_number};
use crate::domain::sign_in::{Level, Session};
use crate::error::ApiError;
use crate::flow::Stepped;
use crate::metrics::{SecondFactor, SignInResult};
use crate::store::{Backend, ChallengeLimits, Subscription};
use crate::waits::Refused;
use crate::web_push::Delivery;

/// How often a waiting browser looks in the database for an answer given
/// through another instance. Answers given here wake it at once, and so do,
/// on PostgreSQL, those announced by other instances: there the look is
/// only for an announcement lost with a connection.
const LOOK_AGAIN_SQLITE: Duration = Duration::from_millis(250);
const LOOK_AGAIN_POSTGRES: Duration = Duration::from_secs(10);

/// How long to wait before listening again after the connection was lost.
const HEAR_AGAIN: Duration = Duration::from_secs(1);

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
    /// describes itself (`User-Agent`), of which the authenticator is shown
    /// the family and the system only.
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
            browser: BrowserKind::of(browser),
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
        self.wake_phones(&challenge);
        Ok(challenge)
    }

    /// Wake the user's phone apps that subscribed (Web Push), in the
    /// background: the browser shows its number without waiting for push
    /// services, and the command-line authenticator finds the challenge
    /// without them.
    fn wake_phones(&self, challenge: &Challenge) {
        let app = self.clone();
        let user_id = challenge.user_id;
        let message = WakeUp {
            challenge: challenge.id.clone(),
        };
        tokio::spawn(async move {
            let subscriptions = match app.store.subscriptions(user_id).await {
                Ok(subscriptions) => subscriptions,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read where to wake the phones");
                    return;
                }
            };
            let mut sending = tokio::task::JoinSet::new();
            for subscription in subscriptions {
                let app = app.clone();
                let message = message.clone();
                sending.spawn(async move { app.wake_phone(&subscription, &message).await });
            }
            while sending.join_next().await.is_some() {}
        });
    }

    /// Send `message` to one phone; drop its subscription when the push
    /// service says it is gone.
    async fn wake_phone(&self, subscription: &Subscription, message: &WakeUp) {
        let sender = match self.web_push().await {
            Ok(sender) => sender,
            Err(e) => {
                tracing::error!(error = %e, "cannot wake phones: no Web Push key");
                return;
            }
        };
        let payload = serde_json::to_vec(message).unwrap_or_default();
        let ttl = Duration::from_secs(u64::try_from(self.config.push_timeout_s).unwrap_or(30));
        let device_id = subscription.device_id;
        match sender.send(subscription, &payload, ttl).await {
            Delivery::Taken => tracing::debug!(device_id, "phone woken"),
            Delivery::Gone => {
                tracing::info!(
                    device_id,
                    "the push service no longer knows the phone: dropped"
                );
                if let Err(e) = self
                    .store
                    .delete_subscription(device_id, Some(&subscription.endpoint))
                    .await
                {
                    tracing::warn!(error = %e, device_id, "cannot drop the subscription");
                }
            }
            Delivery::Failed(reason) => {
                tracing::warn!(device_id, reason, "cannot wake the phone");
            }
        }
    }

    /// The session's challenge that still waits for an answer, if any.
    pub async fn open_push(&self, session: &Session) -> Result<Option<Challenge>, ApiError> {
        if session.level != Level::SecondFactor {
            return Ok(None);
        }
        let now = self.clock.now();
        Ok(self
            .store
            .latest_challenge(&session.id_hash)
            .await?
            .filter(|challenge| challenge.status_at(now) == Status::Pending))
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
                self.signed_in_from(&session.username, client, SecondFactor::Push, "push")
                    .await?;
                let stepped = self.step_up(session, client, user_id, Level::Done).await?;
                Ok(PushState::Approved(stepped))
            }
            Status::Denied => Err(ApiError::PushDenied),
            Status::Voided => Err(ApiError::PushExpired),
            Status::Expired => {
                if self.store.expire_challenge(id, now).await? {
                    self.metrics.sign_in(SignInResult::PushExpired);
                    self.audit(&session.username, "push_expired", "", client)
                        .await?;
                }
                Err(ApiError::PushExpired)
            }
            Status::Pending => Ok(PushState::Pending(challenge)),
        }
    }

    /// The answer to challenge `id` as soon as the app gives it, or
    /// `Pending` once `hold` has passed without one. The wait takes one of
    /// the bounded places among the waits (`busy` when the instance has no
    /// place left, `rate_limited` when the session has its share).
    pub async fn wait_for_push(
        &self,
        session: &Session,
        client: &str,
        id: &str,
        hold: Duration,
    ) -> Result<PushState, ApiError> {
        let _wait = self
            .push_waits
            .enter(
                &session.id_hash,
                self.config.push_max_waits,
                self.config.push_max_waits_per_session,
            )
            .map_err(|refused| match refused {
                Refused::Full => ApiError::Busy { retry_after_s: 1 },
                Refused::Session => ApiError::RateLimited { retry_after_s: 1 },
            })?;
        let mut answers = self.push_answers.subscribe();
        let look_again = match self.store.backend() {
            Backend::Sqlite => LOOK_AGAIN_SQLITE,
            Backend::Postgres => LOOK_AGAIN_POSTGRES,
        };
        let until = tokio::time::Instant::now() + hold;
        loop {
            let state = self.push_state(session, client, id).await?;
            let left = until.saturating_duration_since(tokio::time::Instant::now());
            if matches!(state, PushState::Approved(_)) || left.is_zero() {
                return Ok(state);
            }
            let _ = tokio::time::timeout(look_again.min(left), answers.recv()).await;
        }
    }

    /// Wake the browsers waiting here when another instance announces an
    /// answer (PostgreSQL `LISTEN`), for as long as the server runs; on
    /// SQLite it returns at once.
    pub async fn relay_push_answers(&self) {
        loop {
            match self.store.hear_answers().await {
                Ok(None) => return,
                Ok(Some(mut listener)) => loop {
                    match listener.recv().await {
                        Ok(announced) => {
                            let _ = self.push_answers.send(announced.payload().to_owned());
                        }
                        Err(error) => {
                            tracing::warn!(%error, "lost the announcements of push answers");
                            break;
                        }
                    }
                },
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for push answers");
                }
            }
            tokio::time::sleep(HEAR_AGAIN).await;
        }
    }
}
