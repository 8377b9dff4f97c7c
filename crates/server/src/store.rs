//! All SQL, for SQLite and PostgreSQL alike. Times are seconds since the
//! epoch; races (one code used twice, two devices of one name) are settled
//! here by unique indexes and conditional updates, not by checks in Rust.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use sqlx::AnyPool;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;

mod audit;
mod devices;
mod migrations;
mod passes;
mod push;
mod recovery;
mod sessions;
mod throttle;
mod users;
mod web_push;

pub use passes::HelpdeskPass;
pub use push::ChallengeLimits;
pub use recovery::RecoveryCount;
pub use throttle::Reservation;
pub use users::NameOfLocalUser;
pub use web_push::Subscription;

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
    /// A disabled user cannot sign in.
    pub disabled: bool,
    /// The directory's id of a user from the company directory (whose
    /// password is the directory's); `None` for the portal's own.
    pub directory_id: Option<String>,
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
    /// When it was last used: a code accepted (at sign-in, "Testen",
    /// "Bevestigen") or a push approved.
    pub last_used_at: Option<i64>,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    /// 1: sealed for the user only (from before device ids were bound in).
    pub sealing: i64,
    /// The session that started a pending enrolment.
    pub session_hash: Option<String>,
    /// The phone app's public key (SEC1, base64url), with which the device
    /// signs its requests instead of with its TOTP secret.
    pub public_key: Option<String>,
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
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Where to connect for `LISTEN` (PostgreSQL); it may hold a password.
    postgres_url: Option<Arc<str>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

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
                        // With WAL, NORMAL syncs at checkpoints instead of at
                        // every commit: a crash of the program loses nothing,
                        // a power cut the last moments' writes at most.
                        sqlx::query("PRAGMA synchronous = NORMAL")
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
        let migrations = match backend {
            Backend::Sqlite => migrations::SQLITE,
            Backend::Postgres => migrations::POSTGRES,
        };
        Migrator::new(migrations).await?.run(&pool).await?;
        let postgres_url = (backend == Backend::Postgres).then(|| Arc::from(url));
        Ok(Self {
            pool,
            backend,
            postgres_url,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Close every connection (tests drop their database afterwards).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Hold the row of user `user_id` until `tx` ends, so that transactions
/// counting and adding that user's rows against a limit take turns. A
/// statement's own check is not enough on PostgreSQL: under READ COMMITTED
/// each sees only rows committed before it began, so two racing inserts
/// both count the same rows and both go in. SQLite writes one transaction
/// at a time anyway. `NO KEY UPDATE` leaves the foreign-key checks of
/// other tables' inserts free.
async fn hold_user(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    backend: Backend,
    user_id: i64,
) -> Result<(), StoreError> {
    if backend == Backend::Postgres {
        sqlx::query("SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE")
            .bind(user_id)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// SQLite creates the file but not its folder, and with the permissions of
/// the process's umask: both are made here first, for the owner only.
fn create_sqlite_folder(url: &str) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = url
        .trim_start_matches("sqlite:")
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    let path = Path::new(path);
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
        && !parent.exists()
    {
        crate::domain::secrets::create_private_dir(parent).map_err(StoreError::Folder)?;
    }
    // SQLite gives its -wal and -shm files the database file's permissions.
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map(drop)
        .map_err(StoreError::Folder)
}
