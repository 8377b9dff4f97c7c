//! User accounts.

use sqlx::Row;

use super::{Store, StoreError, User, is_unique_violation};

impl Store {
    /// A new user; `Ok(None)` when the name is taken.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO users (username, password_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(username)
        .bind(password_hash)
        .bind(now)
        .fetch_one(&self.pool)
        .await;
        match inserted {
            Ok(row) => Ok(Some(row.try_get("id")?)),
            Err(e) if is_unique_violation(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn find_user(&self, username: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(
            "SELECT id, username, password_hash, disabled_at FROM users WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(User {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                password_hash: row.try_get("password_hash")?,
                disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
            })
        })
        .transpose()
    }

    /// Set a user's password; false when there is no such user.
    pub async fn set_password(&self, username: &str, hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE username = $2")
            .bind(hash)
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every user name with its number of active devices, by name.
    pub async fn list_users(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.username, COUNT(d.id) AS devices FROM users u \
             LEFT JOIN devices d ON d.user_id = u.id AND d.activated_at IS NOT NULL \
             GROUP BY u.username ORDER BY u.username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("username")?, row.try_get("devices")?)))
            .collect()
    }

    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// Remove a user with everything that is theirs (devices, sessions,
    /// push challenges); false when there is no such user.
    pub async fn delete_user(&self, username: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM users WHERE username = $1")
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Disable (`Some(now)`) or enable (`None`) a user; false when there is
    /// no such user.
    /// Set or clear the full name of `username`; whether the user exists.
    pub async fn set_display_name(
        &self,
        username: &str,
        display_name: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET display_name = $1 WHERE username = $2")
            .bind(display_name)
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn set_disabled(
        &self,
        username: &str,
        disabled_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE username = $2")
            .bind(disabled_at)
            .bind(username)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
