//! Devices: pending enrolments and active authenticators, and the last
//! accepted TOTP step of each.

use sqlx::Row;

use super::{AddDeviceError, DeviceRow, Store, StoreError, hold_user, is_unique_violation};

pub(super) const DEVICE_COLUMNS: &str = "id, user_id, name, secret, last_step, created_at, activated_at, sealing, session_hash, \
     last_used_at, public_key";

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

    /// A pending device of `session_hash`, if the user has fewer than
    /// `limit` devices (pending ones included) and none of this name. Its
    /// secret is sealed by `seal`, given the new device's id. Racing
    /// enrolments of one user take turns, so the limit holds.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_pending_device(
        &self,
        user_id: i64,
        name: &str,
        name_key: &str,
        session_hash: &str,
        now: i64,
        limit: u32,
        seal: impl FnOnce(i64) -> Vec<u8>,
    ) -> Result<i64, AddDeviceError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        hold_user(&mut tx, self.backend, user_id).await?;
        let inserted = sqlx::query(
            "INSERT INTO devices \
             (user_id, name, name_key, secret, last_step, created_at, sealing, session_hash) \
             SELECT $1, $2, $3, $4, 0, $5, 2, $6 \
             WHERE (SELECT COUNT(*) FROM devices WHERE user_id = $1) < $7 \
             RETURNING id",
        )
        .bind(user_id)
        .bind(name)
        .bind(name_key)
        .bind(Vec::<u8>::new())
        .bind(now)
        .bind(session_hash)
        .bind(i64::from(limit))
        .fetch_optional(&mut *tx)
        .await;
        let id: i64 = match inserted {
            Ok(Some(row)) => row.try_get("id").map_err(StoreError::from)?,
            Ok(None) => return Err(AddDeviceError::Limit),
            Err(e) if is_unique_violation(&e) => return Err(AddDeviceError::NameTaken),
            Err(e) => return Err(StoreError::from(e).into()),
        };
        sqlx::query("UPDATE devices SET secret = $1 WHERE id = $2")
            .bind(seal(id))
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(id)
    }

    /// Devices whose secret is sealed for the user only, to be sealed anew.
    pub async fn devices_sealed_v1(&self) -> Result<Vec<DeviceRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE sealing = 1"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(device_row).collect()
    }

    /// Replace a version 1 sealed secret by its version 2 sealing.
    pub async fn reseal_device(&self, id: i64, sealed: &[u8]) -> Result<(), StoreError> {
        sqlx::query("UPDATE devices SET secret = $1, sealing = 2 WHERE id = $2 AND sealing = 1")
            .bind(sealed)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// How many devices, pending or active, the database holds.
    pub async fn count_devices(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM devices")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    /// The value sealed with the encryption key, if one was stored.
    pub async fn key_check(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT sealed FROM key_check WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| row.try_get("sealed").map_err(StoreError::from))
            .transpose()
    }

    /// Store the key check, unless one is there already.
    pub async fn set_key_check(&self, sealed: &[u8]) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO key_check (id, sealed) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
        )
        .bind(sealed)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Record that `step` was accepted for the device at `now`, only if it
    /// is later than the last accepted step. Exactly one of two racing
    /// callers with the same step gets true.
    pub async fn accept_step(
        &self,
        device_id: i64,
        step: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE devices SET last_step = $1, last_used_at = $3 \
             WHERE id = $2 AND activated_at IS NOT NULL AND last_step < $1",
        )
        .bind(step)
        .bind(device_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Record that the device approved a sign-in at `now`.
    pub async fn device_used(&self, device_id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE devices SET last_used_at = $1 WHERE id = $2")
            .bind(now)
            .bind(device_id)
            .execute(&self.pool)
            .await?;
        Ok(())
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
            "UPDATE devices SET activated_at = $1, last_step = COALESCE($2, last_step), \
               last_used_at = $4 \
             WHERE id = $3 AND activated_at IS NULL AND ($2 IS NULL OR last_step < $2)",
        )
        .bind(now)
        .bind(step)
        .bind(device_id)
        // Its first code signs in: the device's first use.
        .bind(step.map(|_| now))
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

pub(super) fn device_row(row: &sqlx::any::AnyRow) -> Result<DeviceRow, StoreError> {
    Ok(DeviceRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        secret: row.try_get("secret")?,
        last_step: row.try_get("last_step")?,
        created_at: row.try_get("created_at")?,
        activated_at: row.try_get("activated_at")?,
        sealing: row.try_get("sealing")?,
        session_hash: row.try_get("session_hash")?,
        last_used_at: row.try_get("last_used_at")?,
        public_key: row.try_get("public_key")?,
    })
}
