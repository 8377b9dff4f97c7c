//! "Mijn geregistreerde apparaten": list, enrol ("+ Apparaat toevoegen" →
//! "OK" → QR → "Gereed"), test, remove.

use aanmelden_api::{Adding, Device, DeviceList, Enrolment, RecoveryCodes};

use crate::AppState;
use crate::domain::devices::{DeviceName, MAX_NAME_CHARS, NameError};
use crate::domain::recovery;
use crate::domain::secrets::{SecretBytes, bound_to};
use crate::domain::sign_in::{Level, Session};
use crate::domain::totp;
use crate::error::ApiError;
use crate::flow::Stepped;
use crate::metrics::SecondFactor;
use crate::store::DeviceRow;

/// A started enrolment, and whether this request started it (asking again
/// for the same name gives the same one).
#[derive(Debug)]
pub struct Started {
    pub enrolment: Enrolment,
    pub created: bool,
}

/// A device made active ("Gereed"), where a registration session went, and
/// the user's first recovery codes if this (their first device) made them.
#[derive(Debug)]
pub struct Activated {
    pub device: Device,
    pub stepped: Option<Stepped>,
    pub recovery_codes: Option<RecoveryCodes>,
}

impl AppState {
    /// Active devices, and the pending enrolment of this session.
    pub async fn list_devices(&self, session: &Session) -> Result<DeviceList, ApiError> {
        let pass_required = self.pass_required(session);
        let user_id = match self.device_owner(session).await {
            Err(ApiError::PassRequired) => session.user_id.ok_or(ApiError::Forbidden)?,
            owner => owner?,
        };
        let devices = self
            .store
            .active_devices(user_id)
            .await?
            .into_iter()
            .map(to_device)
            .collect();
        // A pending enrolment's secret is shown only to the session that started it.
        let pending = match self.store.pending_device(user_id).await? {
            Some(row) if is_own(&row, session) => Some(self.enrolment(session, &row)?),
            _ => None,
        };
        Ok(DeviceList {
            devices,
            pending,
            limit: self.config.max_devices,
            first_code_required: self.config.require_first_code,
            recovery_codes_left: self.recovery_codes_left(user_id).await?,
            with_pass: session.level == Level::Pass,
            adding: if pass_required {
                Adding::PassRequired
            } else if session.level == Level::Done && !self.factor_is_fresh(session) {
                Adding::ConfirmRequired
            } else {
                Adding::Open
            },
        })
    }

    /// Start enrolling a device named `typed`. Asking again for the same
    /// name gives the same secret; another name replaces the pending
    /// enrolment.
    pub async fn start_enrolment(
        &self,
        session: &Session,
        client: &str,
        typed: &str,
    ) -> Result<Started, ApiError> {
        let user_id = self.device_owner(session).await?;
        if session.level == Level::Done && !self.factor_is_fresh(session) {
            return Err(ApiError::ConfirmRequired);
        }
        let name = DeviceName::parse(typed).map_err(name_error)?;
        if let Some(pending) = self.store.pending_device(user_id).await? {
            if is_own(&pending, session) && pending.name.to_lowercase() == name.key() {
                return Ok(Started {
                    enrolment: self.enrolment(session, &pending)?,
                    created: false,
                });
            }
            self.store.delete_device(user_id, pending.id).await?;
        }
        let secret = SecretBytes::random(totp::SECRET_BYTES);
        let id = self
            .store
            .insert_pending_device(
                user_id,
                name.as_str(),
                &name.key(),
                &session.id_hash,
                self.clock.now(),
                self.config.max_devices,
                |id| {
                    self.cipher
                        .seal(&bound_to::device(user_id, id), secret.expose())
                },
            )
            .await?;
        self.audit(
            &session.username,
            "device_enrolment_started",
            name.as_str(),
            client,
        )
        .await?;
        Ok(Started {
            enrolment: self.enrolment_of(session, id, name.as_str(), &secret),
            created: true,
        })
    }

    /// "Gereed": the pending device `id` becomes active, after its first
    /// code when that is required. A registration session is spent by it:
    /// with the first code from the new device it has shown both factors
    /// and is signed in; without, it goes on to confirm one.
    pub async fn activate_device(
        &self,
        session: &Session,
        client: &str,
        id: i64,
        code: Option<&str>,
    ) -> Result<Activated, ApiError> {
        let user_id = self.device_owner(session).await?;
        let row = self
            .store
            .device(user_id, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        if row.activated_at.is_some() {
            return Err(ApiError::validation(
                "device",
                "the device is already active",
            ));
        }
        if !is_own(&row, session) {
            return Err(ApiError::NotFound);
        }
        let step = match code.filter(|code| !code.trim().is_empty()) {
            Some(code) => {
                let secret = self.open_secret(&row)?;
                let step = totp::matching_step(&secret, code, self.clock.now());
                if step.is_none() {
                    self.audit(
                        &session.username,
                        "device_activation_failed",
                        &row.name,
                        client,
                    )
                    .await?;
                    return Err(ApiError::InvalidOtp);
                }
                step
            }
            None if self.config.require_first_code => {
                return Err(ApiError::validation(
                    "code",
                    "enter the first code from the app",
                ));
            }
            None => None,
        };
        let now = self.clock.now();
        if !self.store.activate_device(row.id, step, now).await? {
            return Err(ApiError::InvalidOtp);
        }
        self.audit(&session.username, "device_added", &row.name, client)
            .await?;
        let device = Device {
            id: row.id,
            name: row.name,
            activated_at: now,
            last_used_at: step.map(|_| now),
        };
        if !matches!(session.level, Level::RegisterDevice | Level::Pass) {
            return Ok(Activated {
                device,
                stepped: None,
                recovery_codes: None,
            });
        }
        let level = if step.is_some() {
            self.signed_in_from(
                &session.username,
                client,
                SecondFactor::FirstCode,
                &format!("first_code:{}", device.name),
            )
            .await?;
            Level::Done
        } else {
            Level::SecondFactor
        };
        let stepped = self.step_up(session, client, user_id, level).await?;
        // Made once the step is taken: a set is never made and not shown.
        let recovery_codes = if level == Level::Done {
            self.first_recovery_codes(session, user_id, client).await?
        } else {
            None
        };
        Ok(Activated {
            device,
            stepped: Some(stepped),
            recovery_codes,
        })
    }

    /// "Bevestigen": a code from the app again, so that a session signed in
    /// a while ago may add a device (see `fresh_second_factor_s`); or a
    /// recovery code, for a user whose only phone is the lost one. A wrong
    /// code counts as at sign-in.
    pub async fn confirm_second_factor(
        &self,
        session: &Session,
        client: &str,
        code: &str,
    ) -> Result<Stepped, ApiError> {
        let (Level::Done, Some(user_id)) = (session.level, session.user_id) else {
            return Err(ApiError::Forbidden);
        };
        let devices = self.store.active_devices(user_id).await?;
        let attempt = self.begin_attempt(&session.username, client).await?;
        let confirmed_by = match recovery::normalise(code) {
            Some(recovery_code) => {
                let hash = self.cipher.recovery_hash(user_id, &recovery_code);
                self.store
                    .spend_recovery_code(user_id, &hash, self.clock.now())
                    .await?
                    .then(|| "recovery_code".to_owned())
            }
            None => self
                .accept_code(&devices, code)
                .await?
                .map(|device| device.name.clone()),
        };
        let Some(confirmed_by) = confirmed_by else {
            self.audit(&session.username, "confirm_failed", "code", client)
                .await?;
            self.attempt_failed(attempt).await?;
            return Err(ApiError::InvalidOtp);
        };
        self.attempt_succeeded(attempt).await?;
        self.audit(
            &session.username,
            "second_factor_confirmed",
            &confirmed_by,
            client,
        )
        .await?;
        self.step_up(session, client, user_id, Level::Done).await
    }

    /// Whether the session showed its second factor recently enough to add
    /// a device.
    fn factor_is_fresh(&self, session: &Session) -> bool {
        session
            .second_factor_at
            .is_some_and(|at| self.clock.now() - at <= self.config.fresh_second_factor_s)
    }

    /// "Testen": whether a code from the app is right for device `id`. A
    /// right code is used up, as at sign-in, and a wrong one counts as a
    /// failure, so testing is no way around the sign-in's lock.
    pub async fn test_device(
        &self,
        session: &Session,
        client: &str,
        id: i64,
        code: &str,
    ) -> Result<bool, ApiError> {
        let user_id = self.device_owner(session).await?;
        let row = self
            .store
            .device(user_id, id)
            .await?
            .filter(|row| row.activated_at.is_some())
            .ok_or(ApiError::NotFound)?;
        let attempt = self.begin_attempt(&session.username, client).await?;
        let valid = self
            .accept_code(std::slice::from_ref(&row), code)
            .await?
            .is_some();
        let event = if valid {
            "device_test_ok"
        } else {
            "device_test_failed"
        };
        self.audit(&session.username, event, &row.name, client)
            .await?;
        if valid {
            self.attempt_succeeded(attempt).await?;
        } else {
            self.attempt_failed(attempt).await?;
        }
        Ok(valid)
    }

    /// "Verwijderen" (or "Annuleren" for a pending enrolment). Removing an
    /// active device needs a fully signed-in session, and ends the user's
    /// other sessions.
    pub async fn remove_device(
        &self,
        session: &Session,
        client: &str,
        id: i64,
    ) -> Result<(), ApiError> {
        let user_id = self.device_owner(session).await?;
        let row = self
            .store
            .device(user_id, id)
            .await?
            .ok_or(ApiError::NotFound)?;
        if row.activated_at.is_some() && session.level != Level::Done {
            return Err(ApiError::Forbidden);
        }
        if row.activated_at.is_none() && !is_own(&row, session) {
            return Err(ApiError::NotFound);
        }
        if !self.store.delete_device(user_id, row.id).await? {
            return Err(ApiError::NotFound);
        }
        if row.activated_at.is_some() {
            // Whoever signed in elsewhere with that device is signed out.
            self.store
                .delete_user_sessions(user_id, Some(&session.id_hash))
                .await?;
        }
        let event = if row.activated_at.is_some() {
            "device_removed"
        } else {
            "device_enrolment_cancelled"
        };
        self.audit(&session.username, event, &row.name, client)
            .await?;
        Ok(())
    }

    /// The user whose devices this session may manage. A password alone
    /// registers the first device only (and only where the portal is set
    /// up so: else it needs a helpdesk pass too): a registration session
    /// loses its rights once the account has an active device. A pass
    /// registers a device whether the user has others or not.
    async fn device_owner(&self, session: &Session) -> Result<i64, ApiError> {
        match (session.level, session.user_id) {
            (Level::Done | Level::Pass, Some(id)) => Ok(id),
            (Level::RegisterDevice, Some(id))
                if self.store.active_devices(id).await?.is_empty() =>
            {
                if self.pass_required(session) {
                    return Err(ApiError::PassRequired);
                }
                Ok(id)
            }
            _ => Err(ApiError::Forbidden),
        }
    }

    fn enrolment(&self, session: &Session, row: &DeviceRow) -> Result<Enrolment, ApiError> {
        let secret = self.open_secret(row)?;
        Ok(self.enrolment_of(session, row.id, &row.name, &secret))
    }

    /// What the QR screen shows. The otpauth URI also names this server
    /// and the device, for the aanmelden authenticator to answer push
    /// challenges; other authenticator apps ignore parameters they do not
    /// know.
    fn enrolment_of(
        &self,
        session: &Session,
        device_id: i64,
        name: &str,
        secret: &SecretBytes,
    ) -> Enrolment {
        let uri = totp::otpauth_uri(secret, &self.config.organisation, &session.username);
        let otpauth_uri = format!(
            "{uri}&{}={device_id}&{}={}",
            totp::DEVICE_PARAMETER,
            totp::SERVER_PARAMETER,
            totp::percent_encode(&self.config.public_url())
        );
        Enrolment {
            device_id,
            name: name.to_owned(),
            qr_svg: aanmelden_api::display::qr_svg(&otpauth_uri),
            otpauth_uri,
            secret: totp::base32(secret),
        }
    }
}

/// Whether `row` is a pending enrolment this session started.
fn is_own(row: &DeviceRow, session: &Session) -> bool {
    row.session_hash.as_deref() == Some(session.id_hash.as_str())
}

/// A device as the contract gives it.
pub fn to_device(row: DeviceRow) -> Device {
    Device {
        id: row.id,
        name: row.name,
        activated_at: row.activated_at.unwrap_or(row.created_at),
        last_used_at: row.last_used_at,
    }
}

fn name_error(error: NameError) -> ApiError {
    let message = match error {
        NameError::Empty => "enter a name for the device".to_owned(),
        NameError::TooLong => format!("a device name has at most {MAX_NAME_CHARS} characters"),
        NameError::ControlCharacter => "a device name cannot contain control characters".to_owned(),
    };
    ApiError::validation("name", message)
}
