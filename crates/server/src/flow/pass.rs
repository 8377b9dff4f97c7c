//! A helpdesk pass (`aanmelden user pass`): with the password, it lets a
//! user register a device without a working second factor, at a kiosk or
//! a colleague's desk, and nothing more.

use crate::AppState;
use crate::config::FirstDevice;
use crate::domain::recovery::{self, RecoveryCode};
use crate::domain::sign_in::{Level, Session};
use crate::error::ApiError;
use crate::flow::Stepped;
use crate::metrics::SignInResult;
use crate::store::{HelpdeskPass, User};

/// How long a pass lasts unless the helpdesk says otherwise.
pub const DEFAULT_PASS_HOURS: u32 = 8;
/// The longest a pass can last: 30 days.
pub const MAX_PASS_HOURS: u32 = 30 * 24;

/// A pass as the helpdesk reads it out, this once.
#[derive(Debug)]
pub struct IssuedPass {
    pub code: RecoveryCode,
    pub expires_at: i64,
}

impl AppState {
    /// A new pass for `user`, replacing an open one: good for `hours`, and
    /// spent at its first use when `once`. Audited with who issued it.
    pub async fn issue_pass(
        &self,
        user: &User,
        issued_by: &str,
        hours: u32,
        once: bool,
    ) -> Result<IssuedPass, ApiError> {
        if !(1..=MAX_PASS_HOURS).contains(&hours) {
            return Err(ApiError::validation(
                "hours",
                format!("a pass lasts 1 to {MAX_PASS_HOURS} hours"),
            ));
        }
        let code = recovery::new_pass();
        let now = self.clock.now();
        let pass = HelpdeskPass {
            issued_by: issued_by.to_owned(),
            created_at: now,
            expires_at: now + i64::from(hours) * 3600,
            once,
            used_at: None,
        };
        let hash = self.pass_hash(user.id, code.expose())?;
        self.store.issue_pass(user.id, &hash, &pass).await?;
        let lasting = if once { "once" } else { "until it expires" };
        self.audit_user(
            user,
            "pass_issued",
            &format!("by {issued_by}, {hours} h, {lasting}"),
            "cli",
        )
        .await?;
        Ok(IssuedPass {
            code,
            expires_at: pass.expires_at,
        })
    }

    /// Void `user`'s pass: whether there was one.
    pub async fn revoke_pass(&self, user: &User, revoked_by: &str) -> Result<bool, ApiError> {
        let revoked = self.store.revoke_pass(user.id).await?;
        if revoked {
            self.audit_user(user, "pass_revoked", &format!("by {revoked_by}"), "cli")
                .await?;
        }
        Ok(revoked)
    }

    /// A helpdesk pass after a right password, at the second factor or
    /// before a first device. A wrong one counts as a wrong one-time
    /// password (the same lock); a right one is spent if single-use (one
    /// of two racing requests gets it), and the session may then register
    /// a device, and nothing more.
    pub async fn sign_in_with_pass(
        &self,
        session: &Session,
        client: &str,
        typed: &str,
    ) -> Result<Stepped, ApiError> {
        let (Level::SecondFactor | Level::RegisterDevice, Some(user_id)) =
            (session.level, session.user_id)
        else {
            return Err(ApiError::Forbidden);
        };
        let attempt = self.begin_attempt(&session.username, client).await?;
        let used = match recovery::normalise_pass(typed) {
            Some(code) => {
                let hash = self.cipher.recovery_hash(user_id, &code);
                self.store
                    .use_pass(user_id, &hash, self.clock.now())
                    .await?
            }
            None => false,
        };
        if !used {
            self.audit(&session.username, "login_failed", "pass", client)
                .await?;
            self.metrics.sign_in(SignInResult::WrongCode);
            self.attempt_failed(attempt).await?;
            return Err(ApiError::InvalidPass);
        }
        self.attempt_succeeded(attempt).await?;
        let issuer = self
            .store
            .pass(user_id)
            .await?
            .map(|pass| pass.issued_by)
            .unwrap_or_default();
        self.audit(
            &session.username,
            "pass_used",
            &format!("issued by {issuer}"),
            client,
        )
        .await?;
        self.step_up(session, client, user_id, Level::Pass).await
    }

    /// Whether a registration session must show a helpdesk pass before it
    /// adds a device: a first device, where the portal is set up so.
    pub fn pass_required(&self, session: &Session) -> bool {
        session.level == Level::RegisterDevice && self.config.first_device == FirstDevice::Pass
    }

    /// What the database keeps of a pass: a keyed hash, as of a recovery
    /// code.
    fn pass_hash(&self, user_id: i64, code: &str) -> Result<String, ApiError> {
        let code = recovery::normalise_pass(code)
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("a new pass does not read back")))?;
        Ok(self.cipher.recovery_hash(user_id, &code))
    }
}
