//! Sessions, kept by the hash of their id.

use sqlx::Row;

use super::users::split_groups;
use super::{Store, StoreError};
use crate::domain::sign_in::{Level, Session};

impl Store {
    pub async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        insert(session).execute(&self.pool).await?;
        Ok(())
    }

    /// Replace the session `old_hash` by `new` in one statement (a new id at
    /// every step up; the row is locked while it changes). False when
    /// `old_hash` was already gone: another request stepped it up or logged
    /// it out first.
    pub async fn replace_session(&self, old_hash: &str, new: &Session) -> Result<bool, StoreError> {
        let replaced = sqlx::query(
            "UPDATE sessions SET id_hash = $1, username = $2, user_id = $3, level = $4, \
               created_at = $5, last_seen_at = $6, kiosk = $7, second_factor_at = $8 \
             WHERE id_hash = $9",
        )
        .bind(&new.id_hash)
        .bind(&new.username)
        .bind(new.user_id)
        .bind(new.level.as_str())
        .bind(new.created_at)
        .bind(new.last_seen_at)
        .bind(i64::from(new.kiosk))
        .bind(new.second_factor_at)
        .bind(old_hash)
        .execute(&self.pool)
        .await?;
        Ok(replaced.rows_affected() == 1)
    }

    pub async fn find_session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT s.id_hash, s.username, s.user_id, s.level, s.created_at, s.last_seen_at, \
               s.kiosk, s.second_factor_at, u.display_name, u.email, u.directory_groups \
             FROM sessions s LEFT JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
        )
        .bind(id_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let level: String = row.try_get("level")?;
        let Some(level) = Level::parse(&level) else {
            return Ok(None);
        };
        Ok(Some(Session {
            id_hash: row.try_get("id_hash")?,
            username: row.try_get("username")?,
            user_id: row.try_get("user_id")?,
            level,
            created_at: row.try_get("created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            display_name: row.try_get("display_name")?,
            email: row.try_get("email")?,
            groups: split_groups(
                row.try_get::<Option<String>, _>("directory_groups")?
                    .as_deref()
                    .unwrap_or_default(),
            ),
            second_factor_at: row.try_get("second_factor_at")?,
            kiosk: row.try_get::<i64, _>("kiosk")? != 0,
        }))
    }

    pub async fn touch_session(&self, id_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
            .bind(now)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Drop sessions that started before the first of `(created_before,
    /// seen_before)` or were last used before its second; kiosk sessions
    /// also by `kiosk`: started at or before its first, or last used at or
    /// before its second when signed in, its third on a step before (as
    /// [`Session::is_expired`] counts, so that the row goes the moment the
    /// terminal's next person could otherwise find it).
    pub async fn delete_expired_sessions(
        &self,
        (created_before, seen_before): (i64, i64),
        kiosk: (i64, i64, i64),
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE created_at < $1 OR last_seen_at < $2 \
               OR (kiosk = 1 AND (created_at <= $3 \
                 OR last_seen_at <= CASE WHEN level = $4 THEN $5 ELSE $6 END))",
        )
        .bind(created_before)
        .bind(seen_before)
        .bind(kiosk.0)
        .bind(Level::Done.as_str())
        .bind(kiosk.1)
        .bind(kiosk.2)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// End the user's sessions, but for `except` (the hash of the session
    /// that asked, if it goes on); how many ended.
    pub async fn delete_user_sessions(
        &self,
        user_id: i64,
        except: Option<&str>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(except.unwrap_or(""))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// How many sessions the database holds.
    pub async fn count_sessions(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM sessions")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }
}

/// The statement that stores `session`, for the pool or a transaction.
fn insert(session: &Session) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
    sqlx::query(
        "INSERT INTO sessions \
           (id_hash, username, user_id, level, created_at, last_seen_at, kiosk, second_factor_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&session.id_hash)
    .bind(&session.username)
    .bind(session.user_id)
    .bind(session.level.as_str())
    .bind(session.created_at)
    .bind(session.last_seen_at)
    .bind(i64::from(session.kiosk))
    .bind(session.second_factor_at)
}
