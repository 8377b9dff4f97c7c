//! Attempts at a password, a code or a push number, held to the failure
//! counters of [`crate::domain::regulation`]: a place in each is reserved
//! before the verification and kept (failure) or given back (success)
//! after it.

use crate::AppState;
use crate::domain::regulation::{Counter, Origin, Policy, Subject, retry_after};
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
    /// The place in the budget of failures on names that are not users,
    /// which a password from an unfamiliar origin takes.
    budget: Option<Counter>,
}

impl AppState {
    /// Whether `username` has signed in from the origin of `client`
    /// lately (never so for an unknown origin).
    async fn is_familiar(&self, username: &str, client: &str) -> Result<bool, ApiError> {
        let origin = Origin::parse(client);
        let familiar_since = self.clock.now() - self.config.familiar_origin_s;
        Ok(origin.is_known()
            && self
                .store
                .is_familiar(username, origin.as_str(), familiar_since)
                .await?)
    }

    /// The counters an attempt on `username` from `client` falls under:
    /// the account from this origin always; the account over all origins,
    /// this origin over all accounts and, for IPv6, its /56 and /48 over
    /// all accounts, unless the account has signed in from this origin
    /// before. The database counts the account by its
    /// [`tag`](crate::domain::secrets::Cipher::tag), never by the typed text.
    async fn counters(&self, username: &str, client: &str) -> Result<Vec<Counter>, ApiError> {
        let origin = Origin::parse(client);
        let account = self.cipher.tag(username);
        let mut counters = vec![counter(
            &Subject::AccountFrom(&account, &origin),
            self.config.account_policy(),
        )];
        if !self.is_familiar(username, client).await? {
            counters.push(counter(
                &Subject::Account(&account),
                self.config.distributed_policy(),
            ));
            counters.push(counter(
                &Subject::Origin(&origin),
                self.config.address_policy(),
            ));
            for (network, prefix) in Origin::networks(client) {
                counters.push(counter(
                    &Subject::Network(&network, prefix),
                    self.config.network_policy(prefix),
                ));
            }
        }
        Ok(counters)
    }

    /// As [`AppState::begin_attempt`], for a password, which can be tried on
    /// any name: from an origin unfamiliar to the name, it also takes a
    /// place in the budget of failures on names that are not users, and is
    /// refused with `rate_limited` until the budget's window ends once it
    /// is spent. A known name is refused alike, so the answer tells nothing
    /// of who exists; names signed in from that origin before go on.
    pub async fn begin_password_attempt(
        &self,
        username: &str,
        client: &str,
    ) -> Result<Attempt, ApiError> {
        let mut attempt = self.begin_attempt(username, client).await?;
        if self.is_familiar(username, client).await? {
            return Ok(attempt);
        }
        let budget = counter(&Subject::UnknownNames, self.config.unknown_name_policy());
        let now = self.clock.now();
        if let Reservation::Taken(_) = self.store.reserve(&budget, now).await? {
            attempt.budget = Some(budget);
            return Ok(attempt);
        }
        self.store.release(&attempt.counters).await?;
        let window_ends = self.store.window_start(&budget.key).await? + budget.policy.window_s;
        Err(ApiError::RateLimited {
            retry_after_s: retry_after(window_ends, now).unwrap_or(1),
        })
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
            budget: None,
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
        // Only a name that is not a user spends the budget; it is never
        // locked, only full until its window ends.
        if let Some(budget) = attempt.budget
            && self.store.find_user(&attempt.username).await?.is_some()
        {
            self.store.release(&[budget]).await?;
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
        let mut counters = attempt.counters;
        counters.extend(attempt.budget);
        self.store.release(&counters).await?;
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

/// The counter of `subject`, held to `policy`.
fn counter(subject: &Subject<'_>, policy: Policy) -> Counter {
    Counter {
        key: subject.key(),
        kind: subject.kind(),
        account: subject.account().map(str::to_owned),
        policy,
    }
}
