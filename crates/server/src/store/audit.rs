//! The audit log.

use sqlx::Row;

use super::{AuditEntry, Store, StoreError};

impl Store {
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

    /// Drop audit entries older than `before`.
    pub async fn forget_audit(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM audit WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}
