//! Devices: pending enrolments and active authenticators, and the last
//! accepted TOTP step of each.

use sqlx::Row;

use super::{AddDeviceError, DeviceRow, Store, StoreError, is_unique_violation};

const DEVICE_COLUMNS: &str = "id, user_id, name, secret, last_step, created_at, activated_at";

impl Store {
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
