//! Push challenges and the nonces of signed authenticator requests.

use sqlx::Row;
use sqlx::postgres::PgListener;

use super::{Backend, Store, StoreError, hold_user, is_unique_violation};
use crate::domain::push::{BrowserKind, Challenge, Status};

/// The PostgreSQL channel on which instances tell each other which
/// challenges have their answer.
const ANSWERS_CHANNEL: &str = "aanmelden_push_answers";

/// How many push challenges one account may have.
#[derive(Debug, Clone, Copy)]
pub struct ChallengeLimits {
    /// Open at once.
    pub open: i64,
    /// Created since `since`.
    pub recent: i64,
    pub since: i64,
}

impl Store {
    /// Tell every instance that challenge `id` has its answer, so that a
    /// browser waiting on another one learns it at once (PostgreSQL
    /// `NOTIFY`; SQLite serves one instance, which knows already).
    pub async fn announce_answer(&self, id: &str) -> Result<(), StoreError> {
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(ANSWERS_CHANNEL)
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// A connection that hears the answers any instance announces, as
    /// challenge ids; `None` on SQLite.
    pub async fn hear_answers(&self) -> Result<Option<PgListener>, StoreError> {
        let Some(url) = &self.postgres_url else {
            return Ok(None);
        };
        let mut listener = PgListener::connect(url).await?;
        listener.listen(ANSWERS_CHANNEL).await?;
        Ok(Some(listener))
    }

    /// Insert `challenge`, unless its user already has `limits.open`
    /// challenges open or has had `limits.recent` created since
    /// `limits.since`; false when refused. Racing challenges of one user
    /// take turns, so the limits hold.
    pub async fn insert_challenge(
        &self,
        challenge: &Challenge,
        limits: ChallengeLimits,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        hold_user(&mut tx, self.backend, challenge.user_id).await?;
        let done = sqlx::query(
            "INSERT INTO push_challenges \
             (id, user_id, username, session_hash, number, client, browser, created_at, expires_at, status) \
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 \
             WHERE (SELECT COUNT(*) FROM push_challenges \
                    WHERE user_id = $2 AND status = 'pending' AND expires_at > $8) < $11 \
               AND (SELECT COUNT(*) FROM push_challenges \
                    WHERE user_id = $2 AND created_at > $12) < $13",
        )
        .bind(&challenge.id)
        .bind(challenge.user_id)
        .bind(&challenge.username)
        .bind(&challenge.session_hash)
        .bind(i64::from(challenge.number))
        .bind(&challenge.client)
        .bind(challenge.browser.to_column())
        .bind(challenge.created_at)
        .bind(challenge.expires_at)
        .bind(challenge.status.as_str())
        .bind(limits.open)
        .bind(limits.since)
        .bind(limits.recent)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Drop challenges created before `before` (answered or expired long
    /// since; kept that long for the per-window limit).
    pub async fn forget_challenges(&self, before: i64) -> Result<u64, StoreError> {
        let done =
            sqlx::query("DELETE FROM push_challenges WHERE created_at < $1 AND expires_at < $1")
                .bind(before)
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected())
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

    /// The newest challenge a session was sent, whatever its status.
    pub async fn latest_challenge(
        &self,
        session_hash: &str,
    ) -> Result<Option<Challenge>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {CHALLENGE_COLUMNS} FROM push_challenges \
             WHERE session_hash = $1 ORDER BY created_at DESC, status = 'pending' DESC LIMIT 1"
        ))
        .bind(session_hash)
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

    /// Record a signed request's nonce and time; false when the device used
    /// the nonce before, or had a request signed later than `signed_at`
    /// accepted (an older one held back and sent after it).
    pub async fn use_nonce(
        &self,
        device_id: i64,
        nonce: &str,
        signed_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        let inserted =
            sqlx::query("INSERT INTO device_nonces (device_id, nonce, at) VALUES ($1, $2, $3)")
                .bind(device_id)
                .bind(nonce)
                .bind(now)
                .execute(&mut *tx)
                .await;
        match inserted {
            Ok(_) => {}
            Err(e) if is_unique_violation(&e) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        let in_order = sqlx::query(
            "UPDATE devices SET last_signed_at = $2 \
             WHERE id = $1 AND (last_signed_at IS NULL OR last_signed_at <= $2)",
        )
        .bind(device_id)
        .bind(signed_at)
        .execute(&mut *tx)
        .await?;
        if in_order.rows_affected() != 1 {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Forget nonces older than `before`: their timestamps are refused anyway.
    pub async fn forget_nonces(&self, before: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM device_nonces WHERE at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

const CHALLENGE_COLUMNS: &str =
    "id, user_id, username, session_hash, number, client, browser, created_at, expires_at, status";

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
        browser: BrowserKind::from_column(&row.try_get::<String, _>("browser")?),
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        status: Status::parse(&status).unwrap_or(Status::Voided),
    })
}
