//! The aanmelden server: the sign-in JSON API, the built single page app, and
//! the admin command line, in one binary.
//!
//! Layers, each knowing only the ones below it: [`routes`] (HTTP only) call
//! [`domain`] (sign-in rules, TOTP, passwords, secrets: no HTTP, no SQL), which
//! keeps its state through [`store`] (SQL for SQLite and PostgreSQL).

pub mod attempts;
pub mod cli;
pub mod clock;
pub mod config;
pub mod directory;
pub mod domain;
pub mod error;
pub mod flow;
pub mod http;
pub mod listener;
pub mod metrics;
pub mod plain;
pub mod routes;
pub mod store;
pub mod upkeep;
pub mod waits;
pub mod web_push;

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::domain::passwords::Passwords;
use crate::domain::secrets::{self, Cipher, bound_to};
use crate::store::Store;

/// What the log writes for text typed as a user name that is none.
pub const NOT_A_USER_NAME: &str = "(not a user name)";

/// Everything a request handler may need, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Inner>,
    /// What the plain pages' `<head>` carries of the built app. A page gets
    /// the build current when its request came in ([`AppState::with_build`]);
    /// a state made otherwise keeps the one there was at its start.
    pub page_head: Arc<routes::PageHead>,
}

/// The parts of [`AppState`].
pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub passwords: Passwords,
    pub cipher: Cipher,
    pub clock: Arc<dyn Clock>,
    /// Ids of push challenges answered here, to wake the browsers waiting on them.
    pub push_answers: tokio::sync::broadcast::Sender<String>,
    /// The browsers waiting for a push answer here.
    pub push_waits: Arc<waits::Waits>,
    /// What `/metrics` shows.
    pub metrics: metrics::Metrics,
    /// The built app, taken up anew when a new build is in place.
    pub builds: routes::Builds,
    /// The company directory, where accounts come from one.
    pub directory: Option<directory::Directory>,
    /// Waking the phone apps, with the portal's key, read or made when
    /// first needed.
    pub web_push: tokio::sync::OnceCell<web_push::Sender>,
}

impl AppState {
    pub fn new(
        config: Config,
        store: Store,
        passwords: Passwords,
        cipher: Cipher,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let builds = routes::Builds::new(&config);
        let directory = directory::Directory::new(&config);
        let page_head = Arc::clone(&builds.current().head);
        Self {
            shared: Arc::new(Inner {
                config,
                store,
                passwords,
                cipher,
                clock,
                push_answers: tokio::sync::broadcast::channel(64).0,
                push_waits: Arc::default(),
                metrics: metrics::Metrics::default(),
                builds,
                directory,
                web_push: tokio::sync::OnceCell::new(),
            }),
            page_head,
        }
    }

    /// This state with `build` for the pages it makes.
    #[must_use]
    pub fn with_build(&self, build: &routes::Build) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
            page_head: Arc::clone(&build.head),
        }
    }
}

/// Seal anew, bound to their device ids, the secrets sealed before ids were
/// bound in. Fails when one does not open with this key.
async fn reseal_v1_devices(store: &Store, cipher: &Cipher) -> anyhow::Result<()> {
    for device in store.devices_sealed_v1().await? {
        let secret = cipher.open(&bound_to::device_v1(device.user_id), &device.secret)?;
        let sealed = cipher.seal(
            &bound_to::device(device.user_id, device.id),
            secret.expose(),
        );
        store.reseal_device(device.id, &sealed).await?;
    }
    Ok(())
}

impl std::ops::Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.shared
    }
}

impl AppState {
    /// Open the store, the password hasher and the cipher that `config`
    /// names. A key that does not open what the database holds stops the
    /// start here, with a message that says so.
    pub async fn open(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let store = Store::connect(&config.database_url()).await?;
        let passwords = Passwords::new(config.password_concurrency, config.password_queue)?;
        let check = store.key_check().await?;
        let nothing_sealed = check.is_none() && store.count_devices().await? == 0;
        let cipher = Cipher::load_or_generate(
            config.encryption_key.as_ref(),
            &config.data_dir,
            nothing_sealed,
        )?;
        let wrong_key = || {
            anyhow::anyhow!(
                "the encryption key does not open the secrets in this database: \
                 start with the key it was set up with (encryption_key or {})",
                config.data_dir.join(secrets::KEY_FILE).display()
            )
        };
        if let Some(sealed) = check {
            cipher
                .open(bound_to::KEY_CHECK, &sealed)
                .map_err(|_| wrong_key())?;
        } else {
            reseal_v1_devices(&store, &cipher)
                .await
                .map_err(|_| wrong_key())?;
            let sealed = cipher.seal(bound_to::KEY_CHECK, b"aanmelden");
            store.set_key_check(&sealed).await?;
        }
        Ok(Self::new(config, store, passwords, cipher, clock))
    }

    /// The Web Push sender, with the key all instances share: read from the
    /// database, or made and kept there by the first instance to need it.
    pub async fn web_push(&self) -> Result<&web_push::Sender, error::ApiError> {
        self.web_push
            .get_or_try_init(|| async {
                let sealed = if let Some(sealed) = self.store.web_push_key().await? {
                    sealed
                } else {
                    let key = web_push::Sender::generate_key();
                    let sealed = self.cipher.seal(bound_to::WEB_PUSH_KEY, &key);
                    self.store
                        .add_web_push_key(&sealed, self.clock.now())
                        .await?;
                    // Another instance may have been first: its key holds.
                    self.store.web_push_key().await?.ok_or_else(|| {
                        error::ApiError::Internal(anyhow::anyhow!("the Web Push key was not kept"))
                    })?
                };
                let key = self
                    .cipher
                    .open(bound_to::WEB_PUSH_KEY, &sealed)
                    .map_err(|e| {
                        error::ApiError::Internal(anyhow::Error::new(e).context("the Web Push key"))
                    })?;
                let test_host = self
                    .config
                    .web_push_test_origin
                    .as_deref()
                    .and_then(|origin| url::Url::parse(origin).ok())
                    .and_then(|origin| origin.host_str().map(str::to_owned));
                web_push::Sender::new(key.expose(), self.config.web_push_contact(), test_host)
                    .map_err(error::ApiError::Internal)
            })
            .await
    }

    /// The TOTP secret of a device, decrypted.
    pub fn open_secret(
        &self,
        device: &store::DeviceRow,
    ) -> Result<domain::secrets::SecretBytes, error::ApiError> {
        self.cipher
            .open(&bound_to::device(device.user_id, device.id), &device.secret)
            .map_err(|e| error::ApiError::Internal(anyhow::Error::new(e).context(device.id)))
    }

    /// The first of `devices` for which `code` is right now and later than
    /// any code accepted before; that step is then used up. Of two requests
    /// racing with one code, the database lets exactly one through.
    pub async fn accept_code<'d>(
        &self,
        devices: &'d [store::DeviceRow],
        code: &str,
    ) -> Result<Option<&'d store::DeviceRow>, error::ApiError> {
        let now = self.clock.now();
        for device in devices {
            let secret = self.open_secret(device)?;
            if let Some(step) = domain::totp::matching_step(&secret, code, now)
                && self.store.accept_step(device.id, step, now).await?
            {
                return Ok(Some(device));
            }
        }
        Ok(None)
    }

    /// `name` as the log may show it: a user's name; anything else (such
    /// as a password typed into the user-name field by mistake, which may
    /// well look like an e-mail address) as [`NOT_A_USER_NAME`] with the
    /// tag the failure counters name it by, which tells attempts at one
    /// name from attempts at another without the text.
    async fn loggable_name(&self, name: &str) -> Result<String, store::StoreError> {
        if name.is_empty() {
            return Ok(String::new());
        }
        Ok(match self.store.find_user(name).await? {
            Some(user) => user.username,
            None => format!("{NOT_A_USER_NAME} {}", self.cipher.tag(name)),
        })
    }

    /// A row in the audit log. Never pass a secret.
    pub async fn audit(
        &self,
        username: &str,
        event: &str,
        detail: &str,
        client: &str,
    ) -> Result<(), store::StoreError> {
        let username = self.loggable_name(username).await?;
        self.write_audit(username, event, detail, client).await
    }

    /// A row in the audit log about `user`, whose name it keeps even when
    /// the user is gone by now (removed). Never pass a secret.
    pub async fn audit_user(
        &self,
        user: &store::User,
        event: &str,
        detail: &str,
        client: &str,
    ) -> Result<(), store::StoreError> {
        self.write_audit(user.username.clone(), event, detail, client)
            .await
    }

    async fn write_audit(
        &self,
        username: String,
        event: &str,
        detail: &str,
        client: &str,
    ) -> Result<(), store::StoreError> {
        tracing::info!(username, event, detail, client, "audit");
        self.store
            .audit(&store::AuditEntry {
                at: self.clock.now(),
                username,
                event: event.to_owned(),
                detail: detail.to_owned(),
                client: client.to_owned(),
            })
            .await
    }
}
