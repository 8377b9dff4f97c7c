//! Brute-force regulation: the failure counters, their locks, and the
//! origins each account has signed in from.

use sqlx::Row;

use super::{Store, StoreError};
use crate::domain::regulation::Counter;

/// What reserving a place in a counter came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Counted; the number of places now taken in the window.
    Taken(i64),
    /// Locked until this time.
    Locked(i64),
    /// Every place is taken by attempts still being verified.
    Full,
}

impl Store {
    /// Take a place in `counter` for an attempt about to be verified: one
    /// statement that the database runs under the row's lock, so of any
    /// number of racing callers at most the threshold get one.
    pub async fn reserve(&self, counter: &Counter, now: i64) -> Result<Reservation, StoreError> {
        let policy = counter.policy;
        let taken = sqlx::query(
            "INSERT INTO throttle (key, account, failures, window_start, locked_until) \
             VALUES ($1, $2, 1, $3, 0) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN throttle.window_start <= $4 THEN 1 ELSE throttle.failures + 1 END, \
               window_start = CASE WHEN throttle.window_start <= $4 THEN $3 ELSE throttle.window_start END \
             WHERE throttle.locked_until <= $3 \
               AND (throttle.window_start <= $4 OR throttle.failures < $5) \
             RETURNING failures",
        )
        .bind(&counter.key)
        .bind(counter.account.as_deref())
        .bind(now)
        .bind(now - policy.window_s)
        .bind(policy.threshold)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(row) = taken {
            return Ok(Reservation::Taken(row.try_get("failures")?));
        }
        let locked_until = self.locked_until(&counter.key).await?;
        Ok(if locked_until > now {
            Reservation::Locked(locked_until)
        } else {
            Reservation::Full
        })
    }

    /// Give back the places an attempt took in `counters`, in one statement.
    pub async fn release(&self, counters: &[Counter]) -> Result<(), StoreError> {
        if counters.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = (1..=counters.len()).map(|n| format!("${n}")).collect();
        let sql = format!(
            "UPDATE throttle SET failures = failures - 1 WHERE failures > 0 AND key IN ({})",
            keys.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for counter in counters {
            query = query.bind(&counter.key);
        }
        query.execute(&self.pool).await?;
        Ok(())
    }

    /// After a failure: when the counter is full, lock it until `now +
    /// lock_s` and start counting afresh. True when this call locked it.
    pub async fn lock_if_full(&self, counter: &Counter, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE throttle SET locked_until = $1, failures = 0, window_start = $2 \
             WHERE key = $3 AND failures >= $4 AND locked_until <= $2",
        )
        .bind(now + counter.policy.lock_s)
        .bind(now)
        .bind(&counter.key)
        .bind(counter.policy.threshold)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Lock `counter` until `now + lock_s`, whatever its count.
    pub async fn lock(&self, counter: &Counter, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO throttle (key, account, failures, window_start, locked_until) \
             VALUES ($1, $2, 0, $3, $4) \
             ON CONFLICT (key) DO UPDATE SET failures = 0, window_start = $3, locked_until = $4",
        )
        .bind(&counter.key)
        .bind(counter.account.as_deref())
        .bind(now)
        .bind(now + counter.policy.lock_s)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Until when `key` is locked (0: never locked).
    pub async fn locked_until(&self, key: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT locked_until FROM throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map_or(Ok(0), |row| Ok(row.try_get("locked_until")?))
    }

    /// When the window of `key` began (0: never counted).
    pub async fn window_start(&self, key: &str) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT window_start FROM throttle WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map_or(Ok(0), |row| Ok(row.try_get("window_start")?))
    }

    /// Every counter's key and account, as stored.
    pub async fn counter_keys(&self) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let rows = sqlx::query("SELECT key, account FROM throttle ORDER BY key")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("key")?, row.try_get("account")?)))
            .collect()
    }

    /// Forget every failure and lock of an account, from every origin.
    pub async fn clear_account_failures(&self, account: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM throttle WHERE account = $1")
            .bind(account)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Forget the failures and any lock of `key`.
    pub async fn clear_failures(&self, key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Drop counters whose window and lock are both over.
    pub async fn forget_stale_counters(
        &self,
        window_start_before: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM throttle WHERE window_start <= $1 AND locked_until <= $2")
                .bind(window_start_before)
                .bind(now)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
    }

    /// Remember that `account` signed in fully from `origin`.
    pub async fn remember_origin(
        &self,
        account: &str,
        origin: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO familiar_origins (account, origin, last_seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (account, origin) DO UPDATE SET last_seen_at = $3",
        )
        .bind(account)
        .bind(origin)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Whether `account` signed in fully from `origin` since `since`.
    pub async fn is_familiar(
        &self,
        account: &str,
        origin: &str,
        since: i64,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM familiar_origins \
             WHERE account = $1 AND origin = $2 AND last_seen_at >= $3",
        )
        .bind(account)
        .bind(origin)
        .bind(since)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Forget origins not signed in from since `before`.
    pub async fn forget_origins(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM familiar_origins WHERE last_seen_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
