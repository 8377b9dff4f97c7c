//! Attempts at a password, a code or a push number, held to the failure
//! counters of [`crate::domain::regulation`]: a place in each is reserved
//! before the verification and kept (failure) or given back (success)
//! after it.

use crate::AppState;
use crate::domain::regulation::{Counter, Origin, Subject, retry_after};
use crate::error::ApiError;
use crate::metrics::{SecondFactor, SignInResult};
use crate::store::{Reservation, StoreError};

/// An attempt that holds its places in the failure counters until it is
/// settled with [`AppState::attempt_failed`] or
/// [`AppState::attempt_succeeded`]. One that is never settled (the request
/// failed halfway) keeps its places, as a failure would.
#[must_use = "settle the attempt as failed or succeeded"]
#[derive(Debug)]
pub struct Attempt {
    username: String,
    client: String,
    counters: Vec<Counter>,
}

impl AppState {
    /// The counters an attempt on `username` from `client` falls under:
    /// the account from this origin always; the account over all origins
    /// and this origin over all accounts unless the account has signed in
    /// from this origin before (never so for an unknown origin). The
    /// database counts the account by its
    /// [`tag`](crate::domain::secrets::Cipher::tag), never by the typed text.
    async fn counters(&self, username: &str, client: &str) -> Result<Vec<Counter>, ApiError> {
        let origin = Origin::parse(client);
        let account = self.cipher.tag(username);
        let counter = |subject: Subject<'_>, policy| Counter {
            key: subject.key(),
            kind: subject.kind(),
            account: subject.account().map(str::to_owned),
            policy,
        };
        let mut counters = vec![counter(
            Subject::AccountFrom(&account, &origin),
            self.config.account_policy(),
        )];
        let familiar_since = self.clock.now() - self.config.familiar_origin_s;
        let familiar = origin.is_known()
            && self
                .store
                .is_familiar(username, origin.as_str(), familiar_since)
                .await?;
        if !familiar {
            counters.push(counter(
                Subject::Account(&account),
                self.config.distributed_policy(),
            ));
            counters.push(counter(
                Subject::Origin(&origin),
                self.config.address_policy(),
            ));
        }
        Ok(counters)
    }

    /// Reserve a place for one attempt in every counter it falls under, or
    /// refuse it: `locked` while a counter is locked, `rate_limited` while
    /// every place of one is taken by attempts still being verified.
    pub async fn begin_attempt(&self, username: &str, client: &str) -> Result<Attempt, ApiError> {
        let counters = self.counters(username, client).await?;
        let now = self.clock.now();
        for (taken, counter) in counters.iter().enumerate() {
            let refusal = match self.store.reserve(counter, now).await? {
                Reservation::Taken(_) => continue,
                Reservation::Locked(until) => {
                    self.metrics.sign_in(SignInResult::Locked);
                    ApiError::Locked {
                        retry_after_s: retry_after(until, now).unwrap_or(1),
                    }
                }
                Reservation::Full => ApiError::RateLimited { retry_after_s: 1 },
            };
            self.store.release(&counters[..taken]).await?;
            return Err(refusal);
        }
        Ok(Attempt {
            username: username.to_owned(),
            client: client.to_owned(),
            counters,
        })
    }

    /// The attempt failed: its places stay taken, and a counter that is now
    /// full is locked (which goes into the audit log).
    pub async fn attempt_failed(&self, attempt: Attempt) -> Result<(), ApiError> {
        let now = self.clock.now();
        for counter in &attempt.counters {
            if self.store.lock_if_full(counter, now).await? {
                self.audit(&attempt.username, "locked", counter.kind, &attempt.client)
                    .await?;
            }
        }
        Ok(())
    }

    /// A sign-in by `username` from `client` was denied in the app. It
    /// verifies nothing, so it needs no place in a counter and holds while
    /// one is locked: it counts as a failure where a place is free; and,
    /// `reported` as not the user's ("This wasn't me") with
    /// `lock_on_not_me`, it locks every counter, so whoever has the
    /// password cannot try again from there, or from anywhere new.
    pub async fn sign_in_denied(
        &self,
        username: &str,
        client: &str,
        reported: bool,
    ) -> Result<(), ApiError> {
        let now = self.clock.now();
        for counter in self.counters(username, client).await? {
            let locked = if reported && self.config.lock_on_not_me {
                self.store.lock(&counter, now).await?;
                true
            } else {
                matches!(
                    self.store.reserve(&counter, now).await?,
                    Reservation::Taken(_)
                ) && self.store.lock_if_full(&counter, now).await?
            };
            if locked {
                self.audit(username, "locked", counter.kind, client).await?;
            }
        }
        Ok(())
    }

    /// The attempt succeeded: its places are given back.
    pub async fn attempt_succeeded(&self, attempt: Attempt) -> Result<(), ApiError> {
        self.attempt_withdrawn(attempt).await
    }

    /// The attempt could not be verified (the server was busy): its places
    /// are given back, since the user guessed nothing.
    pub async fn attempt_withdrawn(&self, attempt: Attempt) -> Result<(), ApiError> {
        self.store.release(&attempt.counters).await?;
        Ok(())
    }

    /// Refuse with `locked` while a counter that an attempt on `username`
    /// from `client` falls under is locked, without taking a place (for
    /// steps that verify nothing, such as sending a push).
    pub async fn refuse_if_locked(&self, username: &str, client: &str) -> Result<(), ApiError> {
        let now = self.clock.now();
        for counter in self.counters(username, client).await? {
            if let Some(retry_after_s) =
                retry_after(self.store.locked_until(&counter.key).await?, now)
            {
                self.metrics.sign_in(SignInResult::Locked);
                return Err(ApiError::Locked { retry_after_s });
            }
        }
        Ok(())
    }

    /// Forget every failure and lock of the account `username`, from every
    /// origin (`aanmelden user unlock`); whether there were any.
    pub async fn unlock_account(&self, username: &str) -> Result<bool, StoreError> {
        self.store
            .clear_account_failures(&self.cipher.tag(username))
            .await
    }

    /// The user signed in fully from `client`, the second factor given by
    /// `method` (`how` says it in the audit log, e.g. with the device's
    /// name): that origin becomes familiar to the account, and the
    /// account's failures from there are forgotten; an unknown origin
    /// stays unfamiliar, and its failures stay, as they may be anyone's.
    pub async fn signed_in_from(
        &self,
        username: &str,
        client: &str,
        method: SecondFactor,
        how: &str,
    ) -> Result<(), ApiError> {
        self.audit(username, "login_ok", how, client).await?;
        self.metrics.sign_in(SignInResult::SignedIn);
        self.metrics.second_factor(method);
        let origin = Origin::parse(client);
        if !origin.is_known() {
            return Ok(());
        }
        self.store
            .remember_origin(username, origin.as_str(), self.clock.now())
            .await?;
        self.store
            .clear_failures(&Subject::AccountFrom(&self.cipher.tag(username), &origin).key())
            .await?;
        Ok(())
    }
}
