//! The schema's migrations, built into the binary. `sqlx::migrate!` would
//! do the same, but its macro builds sqlx a second time for the compiler
//! (SQLite's C code included), which every first build waits for.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType};

/// A folder's migration files: each name without `.sql`, and its SQL.
macro_rules! folder {
    ($folder:literal: $($name:literal),+ $(,)?) => {
        Embedded(&[$((
            $name,
            include_str!(concat!("../../migrations/", $folder, "/", $name, ".sql")),
        )),+])
    };
}

/// The migrations of both folders, which have the same files.
macro_rules! both {
    ($($name:literal),+ $(,)?) => {
        pub const SQLITE: Embedded = folder!("sqlite": $($name),+);
        pub const POSTGRES: Embedded = folder!("postgres": $($name),+);
    };
}

both!(
    "0001_initial",
    "0002_throttle",
    "0003_push",
    "0004_regulation",
    "0005_accounts_and_keys",
    "0006_push_browser",
    "0007_display_name",
    "0008_kiosk_sessions",
    "0009_directory_accounts",
    "0010_directory_groups",
    "0011_recovery_codes",
    "0012_helpdesk_passes",
    "0013_fresh_factor_and_device_use",
    "0014_device_keys_and_web_push",
);

/// Migration files built in, read as sqlx reads a folder of them:
/// `<version>_<description>.sql`, the description's `_` as spaces, so
/// that a database migrated by either agrees on every checksum.
#[derive(Debug, Clone, Copy)]
pub struct Embedded(&'static [(&'static str, &'static str)]);

impl Embedded {
    fn migrations(self) -> Result<Vec<Migration>, BoxDynError> {
        self.0
            .iter()
            .map(|&(name, sql)| {
                let (version, description) = name
                    .split_once('_')
                    .ok_or_else(|| format!("{name}: no version before a `_`"))?;
                Ok(Migration::new(
                    version.parse()?,
                    Cow::Owned(description.replace('_', " ")),
                    MigrationType::Simple,
                    Cow::Borrowed(sql),
                    sql.starts_with("-- no-transaction"),
                ))
            })
            .collect()
    }
}

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async move { self.migrations() })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// What tells two migrations apart for sqlx.
    fn summary(migrations: Vec<Migration>) -> Vec<(i64, String, Vec<u8>, bool, bool)> {
        migrations
            .into_iter()
            .map(|m| {
                let simple = matches!(m.migration_type, MigrationType::Simple);
                (
                    m.version,
                    m.description.into_owned(),
                    m.checksum.into_owned(),
                    m.no_tx,
                    simple,
                )
            })
            .collect()
    }

    /// Every file of each folder is built in, in order, with the version,
    /// description and checksum that sqlx gives it when it reads the folder.
    #[tokio::test]
    async fn the_built_in_migrations_are_the_folders() {
        for (folder, embedded) in [("sqlite", SQLITE), ("postgres", POSTGRES)] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations")
                .join(folder);
            let read = path.as_path().resolve().await.unwrap();
            let built_in = embedded.resolve().await.unwrap();
            assert!(!read.is_empty(), "{folder}");
            assert_eq!(summary(built_in), summary(read), "{folder}");
        }
    }
}
