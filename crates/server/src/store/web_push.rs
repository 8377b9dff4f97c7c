//! The phone app's side: its device key, where its phone is woken (Web
//! Push subscriptions), and the portal's own key for waking it (VAPID).

use sqlx::Row;

use super::{Store, StoreError};

/// Where a device's phone is woken, as it subscribed.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    pub device_id: i64,
    /// The push service's URL for this phone: whoever knows it can send
    /// there, so it is never logged whole.
    pub endpoint: String,
    /// The phone's key the message is encrypted for (base64url).
    pub p256dh: String,
    /// The phone's authentication secret (base64url).
    pub auth: String,
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A device whose enrolment waits for "Gereed", whoever owns it.
    pub async fn enrolling_device(&self, id: i64) -> Result<Option<super::DeviceRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {} FROM devices WHERE id = $1 AND activated_at IS NULL",
            super::devices::DEVICE_COLUMNS
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(super::devices::device_row).transpose()
    }

    /// The name of the user with this id, for the audit log.
    pub async fn username_of(&self, user_id: i64) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT username FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| row.try_get("username").map_err(StoreError::from))
            .transpose()
    }

    /// Give an enrolling device its key; false when it has one already or
    /// is no longer enrolling. Of two racing calls, one gets true.
    pub async fn set_device_key(&self, id: i64, public_key: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE devices SET public_key = $2 \
             WHERE id = $1 AND activated_at IS NULL AND public_key IS NULL",
        )
        .bind(id)
        .bind(public_key)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Where the device is woken from now on, in place of where it was.
    pub async fn set_subscription(
        &self,
        subscription: &Subscription,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO push_subscriptions (device_id, endpoint, p256dh, auth, created_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (device_id) DO UPDATE SET endpoint = excluded.endpoint, \
             p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at",
        )
        .bind(subscription.device_id)
        .bind(&subscription.endpoint)
        .bind(&subscription.p256dh)
        .bind(&subscription.auth)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forget where the device is woken; with `endpoint`, only if it is
    /// still that one (the push service said it is gone, while the phone
    /// may have subscribed anew meanwhile).
    pub async fn delete_subscription(
        &self,
        device_id: i64,
        endpoint: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = match endpoint {
            Some(endpoint) => {
                sqlx::query("DELETE FROM push_subscriptions WHERE device_id = $1 AND endpoint = $2")
                    .bind(device_id)
                    .bind(endpoint)
                    .execute(&self.pool)
                    .await?
            }
            None => {
                sqlx::query("DELETE FROM push_subscriptions WHERE device_id = $1")
                    .bind(device_id)
                    .execute(&self.pool)
                    .await?
            }
        };
        Ok(done.rows_affected() == 1)
    }

    /// Where the user's active devices are woken.
    pub async fn subscriptions(&self, user_id: i64) -> Result<Vec<Subscription>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.device_id, s.endpoint, s.p256dh, s.auth FROM push_subscriptions s \
             JOIN devices d ON d.id = s.device_id \
             WHERE d.user_id = $1 AND d.activated_at IS NOT NULL ORDER BY s.device_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Subscription {
                    device_id: row.try_get("device_id")?,
                    endpoint: row.try_get("endpoint")?,
                    p256dh: row.try_get("p256dh")?,
                    auth: row.try_get("auth")?,
                })
            })
            .collect()
    }

    /// The portal's sealed Web Push key, if one was made.
    pub async fn web_push_key(&self) -> Result<Option<Vec<u8>>, StoreError> {
        let row = sqlx::query("SELECT sealed FROM web_push_key WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| row.try_get("sealed").map_err(StoreError::from))
            .transpose()
    }

    /// Keep `sealed` as the Web Push key, unless another instance was first:
    /// then the key to use is the one [`Store::web_push_key`] reads.
    pub async fn add_web_push_key(&self, sealed: &[u8], now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO web_push_key (id, sealed, created_at) VALUES (1, $1, $2) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(sealed)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
