//! Recovery codes: a user's set, kept as keyed hashes, each spent once.

use sqlx::Row;

use super::{Store, StoreError, hold_user};

/// How many of a user's recovery codes are left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryCount {
    /// Codes of the current set not yet used.
    pub left: u32,
    /// Whether the user was ever given a set (all of it may be used).
    pub made: bool,
}

impl Store {
    /// The user's set becomes `hashes`: the old set, used or not, is void.
    pub async fn replace_recovery_codes(
        &self,
        user_id: i64,
        hashes: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        hold_user(&mut tx, self.backend, user_id).await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for hash in hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(user_id)
            .bind(hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Spend the user's unused code whose hash is `hash`: true for the one
    /// request that did; of two racing with one code, on one instance or
    /// two, the database lets one through.
    pub async fn spend_recovery_code(
        &self,
        user_id: i64,
        hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// How many of the user's codes are left.
    pub async fn recovery_codes_left(&self, user_id: i64) -> Result<RecoveryCount, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS made, \
             COALESCE(SUM(CASE WHEN used_at IS NULL THEN 1 ELSE 0 END), 0) AS left_over \
             FROM recovery_codes WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        let made: i64 = row.try_get("made")?;
        let left: i64 = row.try_get("left_over")?;
        Ok(RecoveryCount {
            left: u32::try_from(left).unwrap_or(0),
            made: made > 0,
        })
    }
}
