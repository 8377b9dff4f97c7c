//! Helpdesk passes: one per user, kept as a keyed hash, spent at its first
//! use unless issued for more.

use sqlx::Row;

use super::{Store, StoreError};

/// A user's pass, as `aanmelden user show` tells of it (never the code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpdeskPass {
    pub issued_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// Spent at its first use.
    pub once: bool,
    pub used_at: Option<i64>,
}

impl HelpdeskPass {
    /// Whether it can still be used at `now`.
    pub fn is_open(&self, now: i64) -> bool {
        now < self.expires_at && !(self.once && self.used_at.is_some())
    }
}

impl Store {
    /// User `user_id`'s pass becomes the one hashed `hash`: an older one,
    /// used or not, is void.
    pub async fn issue_pass(
        &self,
        user_id: i64,
        hash: &str,
        pass: &HelpdeskPass,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO helpdesk_passes \
               (user_id, code_hash, issued_by, created_at, expires_at, once, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL) \
             ON CONFLICT (user_id) DO UPDATE SET code_hash = excluded.code_hash, \
               issued_by = excluded.issued_by, created_at = excluded.created_at, \
               expires_at = excluded.expires_at, once = excluded.once, used_at = NULL",
        )
        .bind(user_id)
        .bind(hash)
        .bind(&pass.issued_by)
        .bind(pass.created_at)
        .bind(pass.expires_at)
        .bind(i64::from(pass.once))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Use user `user_id`'s pass hashed `hash` at `now`: whether it was
    /// open (then a single-use one is spent). Of two requests racing with
    /// one single-use pass, on one instance or two, one gets it.
    pub async fn use_pass(&self, user_id: i64, hash: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE helpdesk_passes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND expires_at > $3 \
               AND (once = 0 OR used_at IS NULL)",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// User `user_id`'s pass, open or not.
    pub async fn pass(&self, user_id: i64) -> Result<Option<HelpdeskPass>, StoreError> {
        let row = sqlx::query(
            "SELECT issued_by, created_at, expires_at, once, used_at \
             FROM helpdesk_passes WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(HelpdeskPass {
                issued_by: row.try_get("issued_by")?,
                created_at: row.try_get("created_at")?,
                expires_at: row.try_get("expires_at")?,
                once: row.try_get::<i64, _>("once")? != 0,
                used_at: row.try_get("used_at")?,
            })
        })
        .transpose()
    }

    /// Void user `user_id`'s pass: whether there was one.
    pub async fn revoke_pass(&self, user_id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM helpdesk_passes WHERE user_id = $1")
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
