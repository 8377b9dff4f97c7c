//! Identify, password, one-time password, logging off.

use crate::AppState;
use crate::config::AccountSource;
use crate::directory::{Checked, Lookup};
use crate::domain::secrets::SecretString;
use crate::domain::sign_in::{AfterPassword, Level, Session, SessionToken, after_password};
use crate::domain::{normalise_username, username_is_valid};
use crate::error::ApiError;
use crate::flow::Stepped;
use crate::metrics::{SecondFactor, SignInResult};
use crate::store::{DeviceRow, NameOfLocalUser, User};

impl AppState {
    /// "Aanmelden": the same answer for every user name, known or not. A
    /// session the browser had (`old`) ends.
    pub async fn identify(
        &self,
        old: Option<&SessionToken>,
        typed: &str,
    ) -> Result<Stepped, ApiError> {
        let username = normalise_username(typed);
        if username.is_empty() {
            return Err(ApiError::validation("username", "enter a user name"));
        }
        if !username_is_valid(&username) {
            return Err(ApiError::validation(
                "username",
                "a user name cannot contain invisible or control characters",
            ));
        }
        if let Some(old) = old {
            self.store.delete_session(&old.hash()).await?;
        }
        // Kept in the cookie until the password is right: no row for
        // anyone who only types a name.
        Ok(Stepped {
            level: Level::Identified,
            token: SessionToken::identified(&self.cipher, &username, self.clock.now()),
        })
    }

    /// "Verzenden": the password, and a code typed with it.
    pub async fn check_password(
        &self,
        session: &Session,
        client: &str,
        password: &SecretString,
        code: Option<&str>,
    ) -> Result<Stepped, ApiError> {
        if session.level != Level::Identified {
            return Err(ApiError::Forbidden);
        }
        // A directory user's every name counts as the one the portal knows
        // them by, so that more names are no more guesses.
        let lookup = self.look_up(&session.username).await;
        let counted_as = lookup
            .as_ref()
            .and_then(Lookup::name)
            .unwrap_or(&session.username);
        let attempt = self.begin_password_attempt(counted_as, client).await?;
        let owner = match self
            .password_owner(&session.username, lookup.as_ref(), password)
            .await
        {
            Ok(owner) => owner,
            Err(ApiError::AccountRefused(state)) => {
                self.attempt_withdrawn(attempt).await?;
                self.audit(&session.username, "login_refused", state.as_str(), client)
                    .await?;
                return Err(ApiError::AccountRefused(state));
            }
            Err(not_now) => {
                // Busy, or the directory cannot answer: no wrong password.
                self.attempt_withdrawn(attempt).await?;
                return Err(not_now);
            }
        };
        let Some(user) = owner else {
            self.audit(&session.username, "login_failed", "password", client)
                .await?;
            self.metrics.sign_in(SignInResult::WrongPassword);
            self.attempt_failed(attempt).await?;
            return Err(ApiError::InvalidCredentials);
        };
        self.attempt_succeeded(attempt).await?;
        // From here on the session has the name the user is known by (a
        // directory user may have typed another of theirs).
        let session = &Session {
            username: user.username.clone(),
            ..session.clone()
        };
        let devices = self.store.active_devices(user.id).await?;
        let code = code.filter(|code| !code.trim().is_empty());
        match after_password(!devices.is_empty(), code.is_some()) {
            AfterPassword::RegisterDevice => {
                self.audit(&user.username, "password_ok", "register_device", client)
                    .await?;
                self.step_up(session, client, user.id, Level::RegisterDevice)
                    .await
            }
            AfterPassword::AskSecondFactor => {
                self.audit(&user.username, "password_ok", "second_factor", client)
                    .await?;
                self.step_up(session, client, user.id, Level::SecondFactor)
                    .await
            }
            AfterPassword::CheckCode => {
                let code = code.unwrap_or_default();
                self.sign_in_with_code(session, user.id, &devices, code, client)
                    .await
            }
        }
    }

    /// What the directory has under `typed`, where accounts come from one
    /// with a service account to look with; `None` also while it cannot be
    /// asked (the check itself then says so).
    async fn look_up(&self, typed: &str) -> Option<Lookup> {
        let directory = self
            .directory
            .as_ref()
            .filter(|_| self.config.accounts.uses_directory())?;
        directory.look_up(typed).await.ok().flatten()
    }

    /// The user whose password `password` is, as the configured source
    /// says: `None` for a wrong password or an unknown name (which take as
    /// long as each other). The directory being unreachable is an error,
    /// never a wrong password; with `directory_then_local`, the local users
    /// still sign in then.
    async fn password_owner(
        &self,
        username: &str,
        lookup: Option<&Lookup>,
        password: &SecretString,
    ) -> Result<Option<User>, ApiError> {
        let source = self.config.accounts;
        if !source.uses_directory() {
            return self.local_password_owner(username, password).await;
        }
        // Only a configuration that skipped its checks names no directory:
        // its local users are not the ones to ask instead.
        let directory = self.directory.as_ref().ok_or_else(|| {
            ApiError::Unavailable(anyhow::anyhow!(
                "accounts come from a directory, but no directory_url is set"
            ))
        })?;
        let then_local = source == AccountSource::DirectoryThenLocal;
        match directory.check(username, lookup, password).await {
            Ok(Checked::Right(account)) => {
                match self
                    .store
                    .directory_user(&account, self.clock.now())
                    .await?
                {
                    Ok(user) => Ok(Some(user).filter(|user| !user.disabled)),
                    Err(NameOfLocalUser) => Err(ApiError::Unavailable(anyhow::anyhow!(
                        "the directory's user {} has the name of a local user: rename or \
                         remove the local user",
                        account.username
                    ))),
                }
            }
            // Told to the user (never for a name the directory does not
            // have), and no wrong password: the directory decides.
            Ok(Checked::Refused(state)) => Err(ApiError::AccountRefused(state)),
            Ok(Checked::Wrong) if then_local => {
                // As long as an unknown name, which is tried locally too.
                self.passwords.verify(None, password).await?;
                Ok(None)
            }
            Ok(Checked::Unknown) if then_local => {
                self.local_password_owner(username, password).await
            }
            Ok(Checked::Wrong | Checked::Unknown) => Ok(None),
            Err(unavailable) if then_local => {
                match self.local_password_owner(username, password).await? {
                    Some(user) => Ok(Some(user)),
                    None => Err(ApiError::Unavailable(unavailable.into())),
                }
            }
            Err(unavailable) => Err(ApiError::Unavailable(unavailable.into())),
        }
    }

    /// The local user whose password `password` is; a disabled user and a
    /// directory user are checked like an unknown one.
    async fn local_password_owner(
        &self,
        username: &str,
        password: &SecretString,
    ) -> Result<Option<User>, ApiError> {
        let user = self
            .store
            .find_user(username)
            .await?
            .filter(|user| !user.disabled && user.directory_id.is_none());
        let right = self
            .passwords
            .verify(user.as_ref().map(|u| u.password_hash.as_str()), password)
            .await?;
        Ok(user.filter(|_| right))
    }

    /// The one-time password on its own step, after a right password.
    pub async fn check_code(
        &self,
        session: &Session,
        client: &str,
        code: &str,
    ) -> Result<Stepped, ApiError> {
        let (Level::SecondFactor, Some(user_id)) = (session.level, session.user_id) else {
            return Err(ApiError::Forbidden);
        };
        let devices = self.store.active_devices(user_id).await?;
        self.sign_in_with_code(session, user_id, &devices, code, client)
            .await
    }

    /// "Afmelden": the session of `token`, if any, ends on the server.
    pub async fn log_off(
        &self,
        token: Option<&SessionToken>,
        client: &str,
    ) -> Result<(), ApiError> {
        let Some(token) = token else { return Ok(()) };
        let hash = token.hash();
        if let Some(session) = self.store.find_session(&hash).await? {
            self.store.delete_session(&hash).await?;
            self.audit(&session.username, "logout", "", client).await?;
        }
        Ok(())
    }

    async fn sign_in_with_code(
        &self,
        session: &Session,
        user_id: i64,
        devices: &[DeviceRow],
        code: &str,
        client: &str,
    ) -> Result<Stepped, ApiError> {
        let attempt = self.begin_attempt(&session.username, client).await?;
        if let Some(device) = self.accept_code(devices, code).await? {
            self.attempt_succeeded(attempt).await?;
            self.signed_in_from(
                &session.username,
                client,
                SecondFactor::Code,
                &format!("otp:{}", device.name),
            )
            .await?;
            self.step_up(session, client, user_id, Level::Done).await
        } else {
            self.audit(&session.username, "login_failed", "otp", client)
                .await?;
            self.metrics.sign_in(SignInResult::WrongCode);
            self.attempt_failed(attempt).await?;
            Err(ApiError::InvalidOtp)
        }
    }

    /// Move the session to `level` under a new id (the old one stops
    /// working; an identified session, which lives in its cookie, is
    /// stored from now on). A step taken at a kiosk (`client`) makes it a
    /// kiosk session for good.
    pub async fn step_up(
        &self,
        session: &Session,
        client: &str,
        user_id: i64,
        level: Level,
    ) -> Result<Stepped, ApiError> {
        let token = SessionToken::generate();
        let stepped = Session {
            id_hash: token.hash(),
            username: session.username.clone(),
            user_id: Some(user_id),
            level,
            created_at: session.created_at,
            last_seen_at: self.clock.now(),
            display_name: session.display_name.clone(),
            email: session.email.clone(),
            groups: session.groups.clone(),
            // Every step to signed in shows a second factor; but a pass
            // with a new device is a new account's start, not a recent
            // proof of an old one: more devices need a code first.
            second_factor_at: if level == Level::Done && session.level != Level::Pass {
                Some(self.clock.now())
            } else {
                session.second_factor_at
            },
            kiosk: session.kiosk || self.config.kiosk_for(client).is_some(),
        };
        if session.level == Level::Identified {
            self.store.insert_session(&stepped).await?;
        } else if !self
            .store
            .replace_session(&session.id_hash, &stepped)
            .await?
        {
            return Err(ApiError::SessionExpired);
        }
        Ok(Stepped { level, token })
    }
}
