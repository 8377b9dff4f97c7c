//! "Telefoon kwijt? Gebruik een herstelcode": recovery codes, made once the
//! first device is active or anew on the devices screen, each signing in
//! once instead of the second factor.

use aanmelden_api::RecoveryCodes;

use crate::AppState;
use crate::domain::recovery::{self, RecoveryCode};
use crate::domain::sign_in::{Level, Session};
use crate::error::ApiError;
use crate::flow::Stepped;
use crate::metrics::{SecondFactor, SignInResult};

impl AppState {
    /// A recovery code instead of the second factor, after a right
    /// password. A wrong one counts as a wrong one-time password (the same
    /// lock), and a right one is spent, once, whoever else tries it at the
    /// same moment. The session is then signed in: on to registering the
    /// new phone.
    pub async fn sign_in_with_recovery_code(
        &self,
        session: &Session,
        client: &str,
        typed: &str,
    ) -> Result<Stepped, ApiError> {
        let (Level::SecondFactor, Some(user_id)) = (session.level, session.user_id) else {
            return Err(ApiError::Forbidden);
        };
        let attempt = self.begin_attempt(&session.username, client).await?;
        let spent = match recovery::normalise(typed) {
            Some(code) => {
                let hash = self.cipher.recovery_hash(user_id, &code);
                self.store
                    .spend_recovery_code(user_id, &hash, self.clock.now())
                    .await?
            }
            None => false,
        };
        if !spent {
            self.audit(&session.username, "login_failed", "recovery_code", client)
                .await?;
            self.metrics.sign_in(SignInResult::WrongCode);
            self.attempt_failed(attempt).await?;
            return Err(ApiError::InvalidRecoveryCode);
        }
        self.attempt_succeeded(attempt).await?;
        let left = self.store.recovery_codes_left(user_id).await?.left;
        self.signed_in_from(
            &session.username,
            client,
            SecondFactor::RecoveryCode,
            &format!("recovery_code:{left} left"),
        )
        .await?;
        self.step_up(session, client, user_id, Level::Done).await
    }

    /// "Nieuwe herstelcodes maken": a new set, which voids the old one,
    /// after a code from one of the user's devices (a fresh second factor:
    /// a session left open is not enough).
    pub async fn renew_recovery_codes(
        &self,
        session: &Session,
        client: &str,
        code: &str,
    ) -> Result<RecoveryCodes, ApiError> {
        let (Level::Done, Some(user_id)) = (session.level, session.user_id) else {
            return Err(ApiError::Forbidden);
        };
        let devices = self.store.active_devices(user_id).await?;
        let attempt = self.begin_attempt(&session.username, client).await?;
        if self.accept_code(&devices, code).await?.is_none() {
            self.audit(&session.username, "recovery_codes_refused", "otp", client)
                .await?;
            self.attempt_failed(attempt).await?;
            return Err(ApiError::InvalidOtp);
        }
        self.attempt_succeeded(attempt).await?;
        self.make_recovery_codes(session, user_id, client).await
    }

    /// The user's first set, once their first device is active and the
    /// session has shown both factors with it: `None` when a set was made
    /// before. (A user who had a device before there were recovery codes
    /// makes a set on the devices screen, which warns until then.)
    pub async fn first_recovery_codes(
        &self,
        session: &Session,
        user_id: i64,
        client: &str,
    ) -> Result<Option<RecoveryCodes>, ApiError> {
        if self.store.recovery_codes_left(user_id).await?.made {
            return Ok(None);
        }
        Ok(Some(
            self.make_recovery_codes(session, user_id, client).await?,
        ))
    }

    /// How many of the user's codes are unused (`None`: never made).
    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<Option<u32>, ApiError> {
        let count = self.store.recovery_codes_left(user_id).await?;
        Ok(count.made.then_some(count.left))
    }

    async fn make_recovery_codes(
        &self,
        session: &Session,
        user_id: i64,
        client: &str,
    ) -> Result<RecoveryCodes, ApiError> {
        let set = recovery::new_set();
        let hashes: Vec<String> = set
            .iter()
            .filter_map(|code| recovery::normalise(code.expose()))
            .map(|code| self.cipher.recovery_hash(user_id, &code))
            .collect();
        self.store
            .replace_recovery_codes(user_id, &hashes, self.clock.now())
            .await?;
        self.audit(&session.username, "recovery_codes_made", "", client)
            .await?;
        Ok(RecoveryCodes {
            codes: set
                .iter()
                .map(RecoveryCode::expose)
                .map(str::to_owned)
                .collect(),
        })
    }
}
