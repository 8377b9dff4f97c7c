//! All SQL, for SQLite and PostgreSQL alike. Times are seconds since the
//! epoch; races (one code used twice, two devices of one name) are settled
//! here by unique indexes and conditional updates, not by checks in Rust.

use std::path::Path;
use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

use crate::domain::push::{Challenge, Status};
use crate::domain::regulation::Policy;
use crate::domain::sign_in::{Level, Session};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a `sqlite://…` or `postgres://…` URL names.
    pub fn of_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database URL must start with sqlite:// or postgres://")]
    UnknownBackend,
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("cannot create the database folder: {0}")]
    Folder(std::io::Error),
}

/// A user account.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A device row; `secret` is still sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub secret: Vec<u8>,
    pub last_step: i64,
    pub created_at: i64,
    pub activated_at: Option<i64>,
}

impl std::fmt::Debug for DeviceRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceRow")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .field("activated_at", &self.activated_at)
            .finish_non_exhaustive()
    }
}

/// Why a device could not be added.
#[derive(Debug, thiserror::Error)]
pub enum AddDeviceError {
    #[error("the user already has a device with this name")]
    NameTaken,
    #[error("the user has the maximum number of devices")]
    Limit,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: i64,
    pub username: String,
    pub event: String,
    pub detail: String,
    pub client: String,
}

/// The database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

const DEVICE_COLUMNS: &str = "id, user_id, name, secret, last_step, created_at, activated_at";

impl Store {
    /// Connect to `url` and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url).ok_or(StoreError::UnknownBackend)?;
        if backend == Backend::Sqlite {
            create_sqlite_folder(url)?;
        }
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL lets readers go on while one request writes;
                        // the busy timeout makes writers queue, not fail.
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA busy_timeout = 5000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA foreign_keys = ON")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        match backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&pool).await?,
        }
        Ok(Self { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Close every connection (tests drop their database afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    // ----- users

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
        let row = sqlx::query("SELECT id, username, password_hash FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(User {
                id: row.try_get("id")?,
                username: row.try_get("username")?,
                password_hash: row.try_get("password_hash")?,
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

    // ----- sessions

    pub async fn insert_session(&self, session: &Session) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, username, user_id, level, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&session.id_hash)
        .bind(&session.username)
        .bind(session.user_id)
        .bind(session.level.as_str())
        .bind(session.created_at)
        .bind(session.last_seen_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Replace the session `old_hash` by `new` in one transaction (a new id
    /// at every step up). False when `old_hash` was already gone: another
    /// request stepped it up or logged it out first.
    pub async fn replace_session(&self, old_hash: &str, new: &Session) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let deleted = sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(old_hash)
            .execute(&mut *tx)
            .await?;
        if deleted.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO sessions (id_hash, username, user_id, level, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&new.id_hash)
        .bind(&new.username)
        .bind(new.user_id)
        .bind(new.level.as_str())
        .bind(new.created_at)
        .bind(new.last_seen_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn find_session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        let row = sqlx::query(
            "SELECT id_hash, username, user_id, level, created_at, last_seen_at \
             FROM sessions WHERE id_hash = $1",
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

    /// Drop sessions that started before `created_before` or were last used
    /// before `seen_before`.
    pub async fn delete_expired_sessions(
        &self,
        created_before: i64,
        seen_before: i64,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM sessions WHERE created_at < $1 OR last_seen_at < $2")
            .bind(created_before)
            .bind(seen_before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    // ----- devices

    /// The user's active devices, oldest first.
    pub async fn active_devices(&self, user_id: i64) -> Result<Vec<DeviceRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices \
             WHERE user_id = $1 AND activated_at IS NOT NULL ORDER BY activated_at, id"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(device_row).collect()
    }

    /// The user's pending enrolment, if any.
    pub async fn pending_device(&self, user_id: i64) -> Result<Option<DeviceRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices \
             WHERE user_id = $1 AND activated_at IS NULL ORDER BY id DESC LIMIT 1"
        ))
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(device_row).transpose()
    }

    /// One of the user's devices, active or pending.
    pub async fn device(&self, user_id: i64, id: i64) -> Result<Option<DeviceRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND id = $2"
        ))
        .bind(user_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(device_row).transpose()
    }

    /// An active device, whoever owns it (for signed authenticator requests).
    pub async fn active_device(&self, id: i64) -> Result<Option<DeviceRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1 AND activated_at IS NOT NULL"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(device_row).transpose()
    }

    /// One of the user's devices by name (any case).
    pub async fn device_by_name(
        &self,
        user_id: i64,
        name_key: &str,
    ) -> Result<Option<DeviceRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE user_id = $1 AND name_key = $2"
        ))
        .bind(user_id)
        .bind(name_key)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(device_row).transpose()
    }

    /// A pending device, if the user has fewer than `limit` devices (pending
    /// ones included) and none of this name.
    pub async fn insert_pending_device(
        &self,
        user_id: i64,
        name: &str,
        name_key: &str,
        sealed_secret: &[u8],
        now: i64,
        limit: u32,
    ) -> Result<i64, AddDeviceError> {
        let inserted = sqlx::query(
            "INSERT INTO devices (user_id, name, name_key, secret, last_step, created_at) \
             SELECT $1, $2, $3, $4, 0, $5 \
             WHERE (SELECT COUNT(*) FROM devices WHERE user_id = $1) < $6 \
             RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(name_key)
        .bind(sealed_secret)
        .bind(now)
        .bind(i64::from(limit))
        .fetch_optional(&self.pool)
        .await;
        match inserted {
            Ok(Some(row)) => Ok(row.try_get("id").map_err(StoreError::from)?),
            Ok(None) => Err(AddDeviceError::Limit),
            Err(e) if is_unique_violation(&e) => Err(AddDeviceError::NameTaken),
            Err(e) => Err(StoreError::from(e).into()),
        }
    }

    /// Record that `step` was accepted for the device, only if it is later
    /// than the last accepted step. Exactly one of two racing callers with
    /// the same step gets true.
    pub async fn accept_step(&self, device_id: i64, step: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE devices SET last_step = $1 \
             WHERE id = $2 AND activated_at IS NOT NULL AND last_step < $1",
        )
        .bind(step)
        .bind(device_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Activate a pending device ("Gereed"), recording `step` as its first
    /// accepted code (`None`: no code was asked for). False when it was not
    /// pending any more or the step was not later than the last one.
    pub async fn activate_device(
        &self,
        device_id: i64,
        step: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE devices SET activated_at = $1, last_step = COALESCE($2, last_step) \
             WHERE id = $3 AND activated_at IS NULL AND ($2 IS NULL OR last_step < $2)",
        )
        .bind(now)
        .bind(step)
        .bind(device_id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Remove one of the user's devices, active or pending.
    pub async fn delete_device(&self, user_id: i64, id: i64) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM devices WHERE user_id = $1 AND id = $2")
            .bind(user_id)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    // ----- brute-force regulation

    /// The latest time until which any of `keys` is locked (0: none).
    pub async fn locked_until(&self, keys: &[String]) -> Result<i64, StoreError> {
        let mut latest = 0;
        for key in keys {
            let row = sqlx::query("SELECT locked_until FROM throttle WHERE key = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
            if let Some(row) = row {
                latest = latest.max(row.try_get::<i64, _>("locked_until")?);
            }
        }
        Ok(latest)
    }

    /// Count a failure for `key`. When it is the `policy.threshold`-th within
    /// the window, lock the key until `now + policy.lock_s`, start counting
    /// afresh, and return true.
    pub async fn count_failure(
        &self,
        key: &str,
        policy: Policy,
        now: i64,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "INSERT INTO throttle (key, failures, window_start, locked_until) VALUES ($1, 1, $2, 0) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN throttle.window_start <= $3 THEN 1 ELSE throttle.failures + 1 END, \
               window_start = CASE WHEN throttle.window_start <= $3 THEN $2 ELSE throttle.window_start END \
             RETURNING failures",
        )
        .bind(key)
        .bind(now)
        .bind(now - policy.window_s)
        .fetch_one(&self.pool)
        .await?;
        let failures: i64 = row.try_get("failures")?;
        if failures < policy.threshold {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE throttle SET locked_until = $1, failures = 0, window_start = $2 WHERE key = $3",
        )
        .bind(now + policy.lock_s)
        .bind(now)
        .bind(key)
        .execute(&self.pool)
        .await?;
        Ok(true)
    }

    /// Forget the failures and any lock of `key`.
    pub async fn clear_failures(&self, key: &str) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM throttle WHERE key = $1")
            .bind(key)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() > 0)
    }

    // ----- push challenges

    pub async fn insert_challenge(&self, challenge: &Challenge) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO push_challenges \
             (id, user_id, username, session_hash, number, client, created_at, expires_at, status) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&challenge.id)
        .bind(challenge.user_id)
        .bind(&challenge.username)
        .bind(&challenge.session_hash)
        .bind(i64::from(challenge.number))
        .bind(&challenge.client)
        .bind(challenge.created_at)
        .bind(challenge.expires_at)
        .bind(challenge.status.as_str())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn find_challenge(&self, id: &str) -> Result<Option<Challenge>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CHALLENGE_COLUMNS} FROM push_challenges WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(challenge_row).transpose()
    }

    /// The user's challenges still open at `now`, oldest first.
    pub async fn pending_challenges(
        &self,
        user_id: i64,
        now: i64,
    ) -> Result<Vec<Challenge>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {CHALLENGE_COLUMNS} FROM push_challenges \
             WHERE user_id = $1 AND status = 'pending' AND expires_at > $2 ORDER BY created_at, id"
        ))
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(challenge_row).collect()
    }

    /// Void the pending challenges of a session (a new one replaces them).
    pub async fn void_challenges(&self, session_hash: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE push_challenges SET status = 'voided', answered_at = $1 \
             WHERE session_hash = $2 AND status = 'pending'",
        )
        .bind(now)
        .bind(session_hash)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Settle a challenge that is still pending and unexpired at `now`.
    /// Exactly one of two racing answers gets true.
    pub async fn answer_challenge(
        &self,
        id: &str,
        status: Status,
        device_id: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE push_challenges SET status = $1, device_id = $2, answered_at = $3 \
             WHERE id = $4 AND status = 'pending' AND expires_at > $3",
        )
        .bind(status.as_str())
        .bind(device_id)
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Mark a pending challenge past its time as expired; true when this
    /// call did it (so it is audited once).
    pub async fn expire_challenge(&self, id: &str, now: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE push_challenges SET status = 'expired', answered_at = $1 \
             WHERE id = $2 AND status = 'pending' AND expires_at <= $1",
        )
        .bind(now)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Record a signed request's nonce; false when the device used it before.
    pub async fn use_nonce(
        &self,
        device_id: i64,
        nonce: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let inserted =
            sqlx::query("INSERT INTO device_nonces (device_id, nonce, at) VALUES ($1, $2, $3)")
                .bind(device_id)
                .bind(nonce)
                .bind(now)
                .execute(&self.pool)
                .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(e) if is_unique_violation(&e) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Forget nonces older than `before`: their timestamps are refused anyway.
    pub async fn forget_nonces(&self, before: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM device_nonces WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    // ----- audit

    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit (at, username, event, detail, client) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(entry.at)
        .bind(&entry.username)
        .bind(&entry.event)
        .bind(&entry.detail)
        .bind(&entry.client)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest `limit` audit entries, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT at, username, event, detail, client FROM audit ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    at: row.try_get("at")?,
                    username: row.try_get("username")?,
                    event: row.try_get("event")?,
                    detail: row.try_get("detail")?,
                    client: row.try_get("client")?,
                })
            })
            .collect()
    }
}

fn device_row(row: &sqlx::any::AnyRow) -> Result<DeviceRow, StoreError> {
    Ok(DeviceRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        secret: row.try_get("secret")?,
        last_step: row.try_get("last_step")?,
        created_at: row.try_get("created_at")?,
        activated_at: row.try_get("activated_at")?,
    })
}

const CHALLENGE_COLUMNS: &str =
    "id, user_id, username, session_hash, number, client, created_at, expires_at, status";

fn challenge_row(row: &sqlx::any::AnyRow) -> Result<Challenge, StoreError> {
    let status: String = row.try_get("status")?;
    let number: i64 = row.try_get("number")?;
    Ok(Challenge {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        username: row.try_get("username")?,
        session_hash: row.try_get("session_hash")?,
        number: u8::try_from(number).unwrap_or(0),
        client: row.try_get("client")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        status: Status::parse(&status).unwrap_or(Status::Voided),
    })
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// SQLite creates the file but not its folder.
fn create_sqlite_folder(url: &str) -> Result<(), StoreError> {
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    match Path::new(path).parent() {
        Some(parent) if !parent.as_os_str().is_empty() => {
            std::fs::create_dir_all(parent).map_err(StoreError::Folder)
        }
        _ => Ok(()),
    }
}
