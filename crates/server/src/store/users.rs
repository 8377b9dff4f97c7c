//! User accounts.

use sqlx::Row;

use super::{Store, StoreError, User, is_unique_violation};
use crate::directory::Account;

/// A directory user's name is a local user's: neither may have the other's.
#[derive(Debug)]
pub struct NameOfLocalUser;

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
            "SELECT id, username, password_hash, disabled_at, directory_id FROM users \
             WHERE username = $1",
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
                directory_id: row.try_get("directory_id")?,
            })
        })
        .transpose()
    }

    /// The user row of a directory account whose password was right: made
    /// on its first sign-in, and brought up to date (name, full name,
    /// e-mail) on each, found by the directory's id, so that a renamed
    /// user keeps their devices. A row of another directory entry that had
    /// the name before gives it up (it gets it back at its own next
    /// sign-in, if it still has it); a local user's name is never taken.
    pub async fn directory_user(
        &self,
        account: &Account,
        now: i64,
    ) -> Result<Result<User, NameOfLocalUser>, StoreError> {
        let mut tx = self.pool.begin().await?;
        let holder = sqlx::query("SELECT id, directory_id FROM users WHERE username = $1")
            .bind(&account.username)
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(holder) = holder {
            let holder_id: i64 = holder.try_get("id")?;
            match holder.try_get::<Option<String>, _>("directory_id")? {
                None => return Ok(Err(NameOfLocalUser)),
                Some(id) if id == account.directory_id => {}
                Some(other) => {
                    // The name moved to another entry: the old row keeps
                    // its devices under a name no one can type.
                    sqlx::query("UPDATE users SET username = $1 WHERE id = $2")
                        .bind(format!("\u{1}{other}"))
                        .bind(holder_id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        let groups = join_groups(&account.groups);
        let updated = sqlx::query(
            "UPDATE users SET username = $1, display_name = $2, email = $3, directory_groups = $4, \
               directory_checked_at = $5 \
             WHERE directory_id = $6 RETURNING id, disabled_at",
        )
        .bind(&account.username)
        .bind(&account.display_name)
        .bind(&account.email)
        .bind(&groups)
        .bind(now)
        .bind(&account.directory_id)
        .fetch_optional(&mut *tx)
        .await?;
        let row = match updated {
            Some(row) => row,
            None => {
                sqlx::query(
                    "INSERT INTO users (username, password_hash, created_at, directory_id, \
                       display_name, email, directory_groups, directory_checked_at) \
                     VALUES ($1, '', $2, $3, $4, $5, $6, $2) RETURNING id, disabled_at",
                )
                .bind(&account.username)
                .bind(now)
                .bind(&account.directory_id)
                .bind(&account.display_name)
                .bind(&account.email)
                .bind(&groups)
                .fetch_one(&mut *tx)
                .await?
            }
        };
        tx.commit().await?;
        Ok(Ok(User {
            id: row.try_get("id")?,
            username: account.username.clone(),
            password_hash: String::new(),
            disabled: row.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
            directory_id: Some(account.directory_id.clone()),
        }))
    }

    /// The directory users with a session whose entry was last read before
    /// `before`: `(user id, directory id)`, the longest unread first.
    pub async fn directory_users_to_check(
        &self,
        before: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.id, u.directory_id FROM users u \
             WHERE u.directory_id IS NOT NULL \
               AND COALESCE(u.directory_checked_at, 0) < $1 \
               AND EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = u.id) \
             ORDER BY COALESCE(u.directory_checked_at, 0) LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("id")?, row.try_get("directory_id")?)))
            .collect()
    }

    /// A directory user the directory no longer has (or has disabled):
    /// their sessions end, their groups are forgotten, and the row, with
    /// its devices, stays for the day the entry comes back. How many
    /// sessions ended.
    pub async fn directory_user_gone(&self, user_id: i64, now: i64) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE users SET directory_groups = '', directory_checked_at = $1 WHERE id = $2",
        )
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ended.rows_affected())
    }

    /// Set a local user's password; false when there is no such user (a
    /// directory user's password is the directory's).
    pub async fn set_password(&self, username: &str, hash: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE username = $2 AND directory_id IS NULL",
        )
        .bind(hash)
        .bind(username)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every user name with its number of active devices and whether it
    /// comes from the directory, by name.
    pub async fn list_users(&self) -> Result<Vec<(String, i64, bool)>, StoreError> {
        let rows = sqlx::query(
            "SELECT u.username, COUNT(d.id) AS devices, \
               MAX(CASE WHEN u.directory_id IS NULL THEN 0 ELSE 1 END) AS from_directory \
             FROM users u \
             LEFT JOIN devices d ON d.user_id = u.id AND d.activated_at IS NOT NULL \
             GROUP BY u.username ORDER BY u.username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("username")?,
                    row.try_get("devices")?,
                    row.try_get::<i32, _>("from_directory")? == 1,
                ))
            })
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

    /// Disable (`Some(now)`) or enable (`None`) a user; false when there is
    /// no such user.
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

/// Group names as the users table keeps them: one a line.
fn join_groups(groups: &[String]) -> String {
    groups.join("\n")
}

/// The group names of [`join_groups`].
pub(super) fn split_groups(text: &str) -> Vec<String> {
    text.lines()
        .filter(|group| !group.is_empty())
        .map(str::to_owned)
        .collect()
}
