//! Typed configuration: defaults, then an optional TOML file, then `AANMELDEN_*`
//! environment variables (and `DATABASE_URL`), each layer overriding the last.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use aanmelden_api::Branding;
use serde::Deserialize;

use crate::domain::network::Networks;
use crate::domain::regulation::Policy;
use crate::domain::secrets::SecretString;
use crate::domain::sign_in::Level;

/// The file read when no `--config` is given, if it exists.
pub const DEFAULT_FILE: &str = "aanmelden.toml";

/// Prefix of the environment variables that override the file.
const ENV_PREFIX: &str = "AANMELDEN_";

/// Everything the server can be told. Every field has a default, so the
/// server starts with no file and no variables at all.
// Each switch is a setting of the file, not a state to fold into an enum.
#[allow(clippy::struct_excessive_bools)]
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address and port to listen on.
    pub listen: SocketAddr,
    /// Folder for the SQLite database and the generated encryption key.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `aanmelden.db` in `data_dir`.
    pub database_url: Option<String>,
    /// AES-256 key for the TOTP secrets, 32 bytes in base64; default: a key
    /// generated on first start into `data_dir/secret.key`.
    pub encryption_key: Option<SecretString>,
    /// Folder with the built single page app.
    pub spa_dir: PathBuf,
    /// Organisation name: shown on the signed-in page and used as the TOTP issuer.
    pub organisation: String,
    /// The logo on every screen: a path on this server or a `data:image/` URL,
    /// the only images the Content-Security-Policy lets the page load.
    pub logo_url: Option<String>,
    /// The main colour of the pages, `#` and 3 or 6 hexadecimal digits.
    pub primary_colour: Option<String>,
    /// The applications the signed-in page links to (`[[applications]]` in the file).
    pub applications: Vec<Application>,
    /// Where the portal may send a browser back to after sign-in (`rd`),
    /// besides the applications' hosts: `mail.example.nl` (https, that host),
    /// `*.example.nl` (https, any host under it) or with a scheme,
    /// `http://intranet.local`. A list, or comma-separated in the environment.
    #[serde(deserialize_with = "list_or_commas")]
    pub allowed_return_domains: Vec<String>,
    /// Download links of the workspace client app (`[client_downloads]` in the file).
    pub client_downloads: ClientDownloads,
    /// How many devices one user may have.
    pub max_devices: u32,
    /// Whether "Gereed" needs the first code from the app.
    pub require_first_code: bool,
    /// What a user without a device needs to register their first one:
    /// `password` (the password alone, the default) or `pass` (the
    /// password and a helpdesk pass, `aanmelden user pass`).
    pub first_device: FirstDevice,
    /// Adding a device to a signed-in account needs a second factor shown
    /// this many seconds ago at most (else a code from the app first).
    pub fresh_second_factor_s: i64,
    /// A session unused this long (seconds) is over.
    pub session_idle_timeout_s: i64,
    /// A session this old (seconds) is over, used or not.
    pub session_absolute_timeout_s: i64,
    /// Mark the session cookie `Secure` (with the `__Host-` prefix);
    /// default: when `public_url` is https.
    pub secure_cookie: Option<bool>,
    /// Set the session cookie for this domain and its subdomains
    /// (`example.nl`), so that applications on other subdomains see the
    /// sign-in through `/api/v1/auth/verify`; default: this host only.
    pub cookie_domain: Option<String>,
    /// Create a demo user with a random password on first start (also
    /// `serve --demo`); never by default.
    pub demo_user: bool,
    /// How many password hashes may be computed at once.
    pub password_concurrency: usize,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Seconds a client may take to send a request's headers.
    pub header_read_timeout_s: u64,
    /// Seconds a client may take to send a request's body.
    pub body_read_timeout_s: u64,
    /// Connections served at once, over every protocol; one more is
    /// answered `503` with `Retry-After` and closed, so that held-open
    /// connections cannot use up the server's file descriptors and memory.
    pub max_connections: usize,
    /// Failed passwords, codes or push answers within `lockout_window_s`
    /// that lock an account for the origin (address, IPv6 by /64) they came from.
    pub lockout_threshold: i64,
    /// Failed attempts within `lockout_window_s`, from all origins the
    /// account has not signed in from before, that lock the account for
    /// those origins (a distributed attack).
    pub lockout_account_threshold: i64,
    /// Failed attempts within `lockout_window_s` from one origin, on all
    /// accounts it is unfamiliar to, that lock the origin for those accounts.
    pub lockout_address_threshold: i64,
    /// Failed attempts within `lockout_window_s` from one IPv6 /56 (256
    /// /64s, a household's or a small site's share), on all accounts each of
    /// its /64s is unfamiliar to, that lock the /56 for those accounts: one
    /// client moving from /64 to /64 is counted as one.
    pub lockout_network_56_threshold: i64,
    /// The same for one IPv6 /48 (65,536 /64s, a site's share), higher as
    /// it holds more people.
    pub lockout_network_48_threshold: i64,
    /// Failed passwords on names that are not users, from everywhere
    /// together, within one `unknown_name_window_s`: past it, every password
    /// from an origin the name has not signed in from before is answered
    /// `rate_limited` until the window ends (a known name too, so that the
    /// answer tells nothing of who exists).
    pub unknown_name_budget: i64,
    /// Seconds of the fixed window of `unknown_name_budget`.
    pub unknown_name_window_s: i64,
    /// Seconds over which failures are counted.
    pub lockout_window_s: i64,
    /// Seconds a lock lasts.
    pub lockout_s: i64,
    /// Seconds an origin stays familiar to an account after a sign-in from it.
    pub familiar_origin_s: i64,
    /// Reverse proxies whose forwarding header is believed: their own
    /// addresses (`["127.0.0.1", "10.0.0.5/32"]`, or comma-separated in the
    /// environment), not a network that holds clients too, each of which
    /// could then name any address. Default none: the client is the socket
    /// peer.
    pub trusted_proxies: Networks,
    /// The header the trusted proxies set: `x-forwarded-for` or `forwarded`.
    /// Only this one is read, so a client cannot slip in the other.
    pub client_address_header: ForwardingHeader,
    /// Password hashes computed or waiting at once; beyond it a sign-in is
    /// answered `unavailable` at once.
    pub password_queue: usize,
    /// Seconds a push challenge waits for an answer in the app.
    pub push_timeout_s: i64,
    /// Seconds the browser's wait for a push answer is held open before it
    /// asks again.
    pub push_wait_s: u64,
    /// Whether "This wasn't me" in the authenticator locks the account
    /// (for origins it has not signed in from before) and the origin of
    /// that sign-in for `lockout_s`.
    pub lock_on_not_me: bool,
    /// Push challenges one account may have open at once.
    pub push_max_open: i64,
    /// Push challenges one account may be sent within `lockout_window_s`.
    pub push_max_per_window: i64,
    /// Browsers waiting for a push answer at once, on this instance.
    pub push_max_waits: usize,
    /// Waits for a push answer one session may hold open at once.
    pub push_max_waits_per_session: usize,
    /// Who push services may write to about the portal's messages (VAPID
    /// `sub`): a `mailto:` address or an https URL; default: `public_url`.
    pub web_push_contact: Option<String>,
    /// An origin (`http://127.0.0.1:4567`) accepted as a push endpoint
    /// though it is not https or not public: a test push service's.
    pub web_push_test_origin: Option<String>,
    /// Kiosk mode for every browser: without input, everything starts over.
    pub kiosk: bool,
    /// Kiosk mode for browsers at these addresses or networks (terminals),
    /// as the client address is known (through `trusted_proxies`).
    pub kiosk_addresses: Networks,
    /// Kiosk: seconds without input on a step before sign-in until the warning.
    pub kiosk_idle_s: u32,
    /// Kiosk: seconds the warning gives to answer (at least 20).
    pub kiosk_warning_s: u32,
    /// Kiosk: seconds without input on the signed-in page until the warning.
    pub kiosk_signed_in_idle_s: u32,
    /// Kiosk: seconds a session signed in at a kiosk lasts at most, however
    /// much it is used (`AANMELDEN_KIOSK_SESSION_MAX_S`). The server holds
    /// such a session to this and to the pages' idle time plus the warning,
    /// wherever the browser goes: an application behind the gate runs no
    /// reset, and its verify calls are no sign that anyone is still there.
    pub kiosk_session_max_s: u32,
    /// Who may read `/metrics`: these addresses or networks, as the client
    /// address is known (through `trusted_proxies`), but never a trusted
    /// proxy's own address.
    pub metrics_addresses: Networks,
    /// Days the audit log keeps its entries; 0: for ever.
    pub audit_retention_days: i64,
    /// The address users and authenticators reach the server at, e.g.
    /// `https://aanmelden.example.nl`; default: `http://` and `listen`.
    pub public_url: Option<String>,
    /// Where passwords and accounts come from: `local` (the users of
    /// `aanmelden user add`), `directory` (the company directory), or
    /// `directory_then_local` (the directory, and for a name it does not
    /// have, or while it cannot be reached, the local users: a break-glass
    /// admin).
    pub accounts: AccountSource,
    /// The directory: `ldaps://dc1.example.nl` (TLS from the start), or
    /// `ldap://…` with `directory_starttls`; plain `ldap://` only to this
    /// machine itself.
    pub directory_url: Option<String>,
    /// Upgrade an `ldap://` connection with `StartTLS`.
    pub directory_starttls: bool,
    /// The CAs (PEM) the directory's certificate must come from; default:
    /// the system's. The certificate is always checked.
    pub directory_ca_file: Option<PathBuf>,
    /// `openldap` or `activedirectory`: the defaults of the attributes and
    /// the users filter.
    pub directory_kind: DirectoryKind,
    /// Where the users are searched: `ou=people,dc=example,dc=nl`.
    pub directory_base_dn: Option<String>,
    /// The service account that searches for the user before the user's
    /// own bind.
    pub directory_bind_dn: Option<String>,
    /// Its password (`AANMELDEN_DIRECTORY_BIND_PASSWORD`).
    pub directory_bind_password: Option<SecretString>,
    /// Without a service account: the user's DN, made from the typed name,
    /// `uid={username},ou=people,dc=example,dc=nl`.
    pub directory_user_dn: Option<String>,
    /// The attributes a typed name is looked for in; the first one's value
    /// is the name the portal knows the user by. Default for `openldap`:
    /// `mail`, `uid`; for `activedirectory`: `userPrincipalName`,
    /// `sAMAccountName`, `mail`. A list, or comma-separated in the
    /// environment.
    #[serde(deserialize_with = "list_or_commas")]
    pub directory_username_attributes: Vec<String>,
    /// The entries that are users; default for `openldap`:
    /// `(objectClass=inetOrgPerson)`, for `activedirectory`:
    /// `(&(objectCategory=person)(objectClass=user))`.
    pub directory_users_filter: Option<String>,
    /// Seconds to connect to the directory.
    pub directory_connect_timeout_s: u64,
    /// Seconds the directory may take to answer one request.
    pub directory_timeout_s: u64,
    /// Where the groups are searched; default: `directory_base_dn`.
    pub directory_groups_base_dn: Option<String>,
    /// The groups a member is in, `{dn}` standing for the member's DN;
    /// default for `openldap`: `groupOfNames` and `groupOfUniqueNames`
    /// with the DN in `member` or `uniqueMember`, the groups of those
    /// groups followed; for `activedirectory`: `(member:1.2.840.113556.1.4.1941:={dn})`
    /// (every group in the chain, in one search).
    pub directory_groups_filter: Option<String>,
    /// The attribute of a group entry that is its name, as applications'
    /// `groups` and `Remote-Groups` give it.
    pub directory_group_name_attribute: String,
    /// Seconds after which a signed-in directory user's entry is read again
    /// (with the service account): a user the directory no longer has (or
    /// whose account it disabled) loses their sessions then, and changed
    /// groups count from then on. Also read at every sign-in.
    pub directory_refresh_s: u64,
}

/// Where passwords and accounts come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountSource {
    /// The portal's own users.
    #[default]
    Local,
    /// The company directory only.
    Directory,
    /// The directory; the local users for names it does not have and while
    /// it cannot be reached.
    DirectoryThenLocal,
}

impl AccountSource {
    pub fn uses_directory(self) -> bool {
        self != Self::Local
    }
}

/// What a first device needs besides the password.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FirstDevice {
    /// Nothing: whoever has the password of an account without a device
    /// registers the first one.
    #[default]
    Password,
    /// A helpdesk pass.
    Pass,
}

/// The kind of directory, for its defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DirectoryKind {
    /// `OpenLDAP` and others with `inetOrgPerson` entries and `entryUUID`.
    #[default]
    Openldap,
    /// Microsoft Active Directory (or Samba's).
    Activedirectory,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            database_url: None,
            encryption_key: None,
            spa_dir: PathBuf::from("dist"),
            organisation: "Missing Piece".to_owned(),
            logo_url: None,
            primary_colour: None,
            applications: Vec::new(),
            allowed_return_domains: Vec::new(),
            client_downloads: ClientDownloads::default(),
            max_devices: 4,
            require_first_code: true,
            first_device: FirstDevice::Password,
            fresh_second_factor_s: 5 * 60,
            session_idle_timeout_s: 15 * 60,
            session_absolute_timeout_s: 8 * 60 * 60,
            cookie_domain: None,
            secure_cookie: None,
            demo_user: false,
            password_concurrency: std::thread::available_parallelism().map_or(2, usize::from),
            max_body_bytes: 64 * 1024,
            header_read_timeout_s: 10,
            body_read_timeout_s: 10,
            max_connections: 10_000,
            lockout_threshold: 5,
            lockout_account_threshold: 25,
            lockout_address_threshold: 30,
            lockout_network_56_threshold: 60,
            lockout_network_48_threshold: 150,
            unknown_name_budget: 1000,
            unknown_name_window_s: 15 * 60,
            lockout_window_s: 15 * 60,
            lockout_s: 15 * 60,
            familiar_origin_s: 90 * 24 * 60 * 60,
            trusted_proxies: Networks::default(),
            client_address_header: ForwardingHeader::XForwardedFor,
            password_queue: 64,
            push_timeout_s: 30,
            push_wait_s: 25,
            lock_on_not_me: true,
            push_max_open: 3,
            push_max_per_window: 10,
            push_max_waits: 1000,
            push_max_waits_per_session: 2,
            audit_retention_days: 365,
            web_push_contact: None,
            web_push_test_origin: None,
            kiosk: false,
            kiosk_addresses: Networks::default(),
            kiosk_idle_s: 60,
            kiosk_warning_s: 20,
            kiosk_signed_in_idle_s: 30,
            kiosk_session_max_s: 15 * 60,
            metrics_addresses: Networks::loopback(),
            public_url: None,
            accounts: AccountSource::Local,
            directory_url: None,
            directory_starttls: false,
            directory_ca_file: None,
            directory_kind: DirectoryKind::Openldap,
            directory_base_dn: None,
            directory_bind_dn: None,
            directory_bind_password: None,
            directory_user_dn: None,
            directory_username_attributes: Vec::new(),
            directory_users_filter: None,
            directory_connect_timeout_s: 5,
            directory_timeout_s: 5,
            directory_groups_base_dn: None,
            directory_groups_filter: None,
            directory_group_name_attribute: "cn".to_owned(),
            directory_refresh_s: 300,
        }
    }
}

/// Which forwarding header trusted proxies set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ForwardingHeader {
    /// `X-Forwarded-For: client, proxy1, …` (nginx, Caddy, Traefik).
    XForwardedFor,
    /// `Forwarded: for=client, for=proxy1` (RFC 7239).
    Forwarded,
}

impl ForwardingHeader {
    /// The header's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        }
    }
}

/// An application the signed-in page links to.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    /// The link text.
    pub name: String,
    /// Where the link goes: `https://…`, `http://…` or a path on this server.
    pub url: String,
    /// The directory groups whose members may open it (any one of them);
    /// empty: everyone signed in. The gate knows the application by the
    /// address a request asked for: the scheme, host and port of `url`,
    /// and every path under its path.
    #[serde(default)]
    pub groups: Vec<String>,
}

impl Application {
    /// Whether a user in `groups` may open it (group names compared
    /// without regard to case, as the directory compares them).
    pub fn is_open_to(&self, groups: &[String]) -> bool {
        self.groups.is_empty()
            || self.groups.iter().any(|allowed| {
                groups
                    .iter()
                    .any(|group| group.eq_ignore_ascii_case(allowed))
            })
    }

    /// How well `asked` lies under this application's address: the length
    /// of its path when the scheme, host and port are the same and the
    /// asked path is that path or below it.
    fn covers(&self, asked: &url::Url) -> Option<usize> {
        let own = url::Url::parse(&self.url).ok()?;
        let same_site = own.scheme() == asked.scheme()
            && own.host_str().map(str::to_ascii_lowercase)
                == asked.host_str().map(str::to_ascii_lowercase)
            && own.port_or_known_default() == asked.port_or_known_default();
        let path = own.path().trim_end_matches('/');
        let under = asked.path() == path
            || asked
                .path()
                .strip_prefix(path)
                .is_some_and(|rest| rest.starts_with('/'));
        (same_site && under).then_some(path.len())
    }
}

/// Download links of the workspace client app per operating system; a
/// typo in a name is an error rather than a link that never shows.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientDownloads {
    /// For Windows.
    pub windows: Option<String>,
    /// For macOS.
    pub macos: Option<String>,
    /// For Linux.
    pub linux: Option<String>,
    /// For iPhone and iPad.
    pub ios: Option<String>,
    /// For Android.
    pub android: Option<String>,
}

impl ClientDownloads {
    fn links(&self) -> [(&'static str, Option<&String>); 5] {
        [
            ("windows", self.windows.as_ref()),
            ("macos", self.macos.as_ref()),
            ("linux", self.linux.as_ref()),
            ("ios", self.ios.as_ref()),
            ("android", self.android.as_ref()),
        ]
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{origin}: {source}")]
    Parse {
        origin: String,
        source: toml::de::Error,
    },
    #[error("invalid setting: {0}")]
    Invalid(String),
}

impl Config {
    /// Read the configuration: `file` if given (it must exist), otherwise
    /// [`DEFAULT_FILE`] if it exists; then the variables in `env`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let mut table = match file {
            Some(path) => read_table(path)?,
            None if Path::new(DEFAULT_FILE).exists() => read_table(Path::new(DEFAULT_FILE))?,
            None => toml::Table::new(),
        };
        let mut database_url = None;
        for (name, value) in env {
            if name == "DATABASE_URL" {
                database_url = Some(value);
            } else if let Some(key) = name.strip_prefix(ENV_PREFIX)
                && key != "CONFIG"
            {
                table.insert(key.to_ascii_lowercase(), env_value(&value));
            }
        }
        if let Some(url) = database_url {
            table
                .entry("database_url")
                .or_insert(toml::Value::String(url));
        }
        let config: Config =
            table
                .try_into()
                .map_err(|source: toml::de::Error| ConfigError::Parse {
                    origin: "configuration".to_owned(),
                    source,
                })?;
        config.validate()?;
        Ok(config)
    }

    /// The address users and authenticators reach the server at.
    pub fn public_url(&self) -> String {
        self.public_url.as_deref().map_or_else(
            || format!("http://{}", self.listen),
            |url| url.trim_end_matches('/').to_owned(),
        )
    }

    /// Who push services may write to (VAPID `sub`).
    pub fn web_push_contact(&self) -> String {
        self.web_push_contact
            .clone()
            .unwrap_or_else(|| self.public_url())
    }

    /// `rd` written out anew when the portal may send a browser there after
    /// sign-in (see [`crate::domain::return_to`]), else `None`.
    pub fn allowed_return(&self, rd: &str) -> Option<String> {
        let applications: Vec<String> = self.applications.iter().map(|a| a.url.clone()).collect();
        crate::domain::return_to::allowed_return(rd, &self.allowed_return_domains, &applications)
    }

    /// Whether a signed-in user in `groups` may open the address the proxy
    /// says was asked for (`None`: it did not say). Where no application
    /// names groups, every signed-in user may open anything; where some
    /// do, an address must be known, and the application it lies in (the
    /// closest) must be open to one of the user's groups. An address no
    /// application covers is open.
    pub fn may_open(&self, asked: Option<&str>, groups: &[String]) -> bool {
        if self.applications.iter().all(|a| a.groups.is_empty()) {
            return true;
        }
        let Some(asked) = asked.and_then(|asked| url::Url::parse(asked).ok()) else {
            return false;
        };
        self.application_at(&asked)
            .is_none_or(|application| application.is_open_to(groups))
    }

    /// The configured application `asked` lies in, the closest one where
    /// several cover it.
    pub fn application_at(&self, asked: &url::Url) -> Option<&Application> {
        self.applications
            .iter()
            .filter_map(|application| application.covers(asked).map(|depth| (depth, application)))
            .max_by_key(|(depth, _)| *depth)
            .map(|(_, application)| application)
    }

    /// The applications a user in `groups` may open, in the configured
    /// order: the signed-in page's links.
    pub fn applications_for(&self, groups: &[String]) -> Vec<aanmelden_api::Application> {
        self.applications
            .iter()
            .filter(|application| application.is_open_to(groups))
            .map(|application| aanmelden_api::Application {
                name: application.name.clone(),
                url: application.url.clone(),
            })
            .collect()
    }

    /// Whether users reach the portal over https.
    pub fn is_https(&self) -> bool {
        self.public_url()
            .to_ascii_lowercase()
            .starts_with("https://")
    }

    /// Whether the session cookie is `Secure`: as set, or when served over https.
    pub fn cookie_secure(&self) -> bool {
        self.secure_cookie.unwrap_or_else(|| self.is_https())
    }

    /// The session cookie's name: with the `__Host-` prefix when `Secure`
    /// (`__Secure-` when set for a `cookie_domain`).
    pub fn session_cookie_name(&self) -> &'static str {
        match (self.cookie_secure(), self.cookie_domain.is_some()) {
            (true, false) => aanmelden_api::SECURE_SESSION_COOKIE,
            (true, true) => aanmelden_api::SECURE_DOMAIN_SESSION_COOKIE,
            (false, _) => aanmelden_api::SESSION_COOKIE,
        }
    }

    /// The name of another cookie of the portal (language, message, return
    /// address): with the `__Host-` prefix when cookies are `Secure`, as
    /// none of them is set for a domain, so that no other host can set one
    /// of them in a browser.
    pub fn cookie_name(&self, name: &str) -> String {
        if self.cookie_secure() {
            format!("__Host-{name}")
        } else {
            name.to_owned()
        }
    }

    /// The attribute that makes a cookie `Secure` when cookies are.
    pub fn secure_attribute(&self) -> &'static str {
        if self.cookie_secure() { "; Secure" } else { "" }
    }

    /// How failures lock an account.
    pub fn account_policy(&self) -> Policy {
        Policy {
            threshold: self.lockout_threshold,
            window_s: self.lockout_window_s,
            lock_s: self.lockout_s,
        }
    }

    /// How failures from unfamiliar origins lock an account.
    pub fn distributed_policy(&self) -> Policy {
        Policy {
            threshold: self.lockout_account_threshold,
            ..self.account_policy()
        }
    }

    /// How failures lock a client address.
    pub fn address_policy(&self) -> Policy {
        Policy {
            threshold: self.lockout_address_threshold,
            ..self.account_policy()
        }
    }

    /// How failures lock an IPv6 network of `prefix` bits (56 or 48).
    pub fn network_policy(&self, prefix: u8) -> Policy {
        Policy {
            threshold: if prefix == 56 {
                self.lockout_network_56_threshold
            } else {
                self.lockout_network_48_threshold
            },
            ..self.account_policy()
        }
    }

    /// The budget of failures on names that are not users: never locked,
    /// only full until its window ends.
    pub fn unknown_name_policy(&self) -> Policy {
        Policy {
            threshold: self.unknown_name_budget,
            window_s: self.unknown_name_window_s,
            lock_s: 0,
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.max_devices == 0 {
            return Err(ConfigError::Invalid(
                "max_devices must be at least 1".into(),
            ));
        }
        if self.fresh_second_factor_s < 1 {
            return Err(ConfigError::Invalid(
                "fresh_second_factor_s must be at least 1".into(),
            ));
        }
        if self.push_max_open < 1
            || self.push_max_per_window < 1
            || self.push_max_waits == 0
            || self.push_max_waits_per_session == 0
            || self.audit_retention_days < 0
        {
            return Err(ConfigError::Invalid(
                "push limits must be at least 1, audit_retention_days at least 0".into(),
            ));
        }
        if self.kiosk_warning_s < 20
            || self.kiosk_idle_s == 0
            || self.kiosk_signed_in_idle_s == 0
            || self.kiosk_session_max_s == 0
        {
            return Err(ConfigError::Invalid(
                "kiosk_warning_s must be at least 20 (WCAG 2.2.1), the idle times and \
                 kiosk_session_max_s at least 1"
                    .into(),
            ));
        }
        if self.header_read_timeout_s == 0 || self.body_read_timeout_s == 0 {
            return Err(ConfigError::Invalid(
                "read time-outs must be at least 1 second".into(),
            ));
        }
        if self.web_push_contact.as_deref().is_some_and(|contact| {
            !contact.starts_with("mailto:") && !contact.starts_with("https://")
        }) {
            return Err(ConfigError::Invalid(
                "web_push_contact must be a mailto: address or an https:// URL".into(),
            ));
        }
        if self
            .web_push_test_origin
            .as_deref()
            .is_some_and(|origin| url::Url::parse(origin).is_err())
        {
            return Err(ConfigError::Invalid(
                "web_push_test_origin must be an origin such as http://127.0.0.1:4567".into(),
            ));
        }
        if self.max_connections == 0 {
            return Err(ConfigError::Invalid(
                "max_connections must be at least 1".into(),
            ));
        }
        if self.password_queue == 0 {
            return Err(ConfigError::Invalid(
                "password_queue must be at least 1".into(),
            ));
        }
        if let Some(domain) = &self.cookie_domain {
            self.validate_cookie_domain(domain)?;
        }
        if self.password_concurrency == 0 {
            return Err(ConfigError::Invalid(
                "password_concurrency must be at least 1".into(),
            ));
        }
        if self.session_idle_timeout_s <= 0 || self.session_absolute_timeout_s <= 0 {
            return Err(ConfigError::Invalid(
                "session time-outs must be positive".into(),
            ));
        }
        if self.lockout_threshold < 1
            || self.lockout_account_threshold < 1
            || self.lockout_address_threshold < 1
            || self.lockout_network_56_threshold < 1
            || self.lockout_network_48_threshold < 1
            || self.unknown_name_budget < 1
            || self.unknown_name_window_s < 1
            || self.lockout_window_s < 1
            || self.lockout_s < 1
        {
            return Err(ConfigError::Invalid(
                "lockout thresholds and times must be positive".into(),
            ));
        }
        if self.organisation.contains(':') {
            return Err(ConfigError::Invalid(
                "organisation may not contain ':' (it is the TOTP issuer)".into(),
            ));
        }
        self.validate_directory()?;
        self.validate_branding()
    }

    fn validate_directory(&self) -> Result<(), ConfigError> {
        let invalid = |text: &str| Err(ConfigError::Invalid(text.to_owned()));
        if !self.accounts.uses_directory() {
            return Ok(());
        }
        let Some(url) = &self.directory_url else {
            return invalid("accounts from a directory need directory_url");
        };
        let lower = url.to_ascii_lowercase();
        let host = lower
            .strip_prefix("ldap://")
            .or_else(|| lower.strip_prefix("ldaps://"))
            .map(|rest| rest.split(['/', ':']).next().unwrap_or_default());
        let Some(host) = host else {
            return invalid("directory_url must start with ldap:// or ldaps://");
        };
        if lower.starts_with("ldaps://") && self.directory_starttls {
            return invalid("directory_starttls is for ldap:// (ldaps:// is TLS from the start)");
        }
        let on_this_machine = host == "localhost" || host == "127.0.0.1" || host == "[::1]";
        if lower.starts_with("ldap://") && !self.directory_starttls && !on_this_machine {
            return invalid(
                "passwords would cross the network unencrypted: use ldaps:// or \
                 directory_starttls = true",
            );
        }
        if self.directory_base_dn.is_none() && self.directory_user_dn.is_none() {
            return invalid(
                "accounts from a directory need directory_base_dn (or directory_user_dn)",
            );
        }
        if self.directory_bind_dn.is_some() != self.directory_bind_password.is_some() {
            return invalid("directory_bind_dn and directory_bind_password go together");
        }
        match (&self.directory_bind_dn, &self.directory_user_dn) {
            (None, None) => {
                return invalid(
                    "accounts from a directory need a service account (directory_bind_dn) \
                     or directory_user_dn",
                );
            }
            (None, Some(template)) if !template.contains("{username}") => {
                return invalid("directory_user_dn must contain {username}");
            }
            _ => {}
        }
        if self.directory_connect_timeout_s == 0 || self.directory_timeout_s == 0 {
            return invalid("directory time-outs must be at least 1 second");
        }
        crate::directory::tls_config(self.directory_ca_file.as_deref())
            .map(drop)
            .map_err(ConfigError::Invalid)
    }

    /// A domain name, and one the portal's own address lies in (else the
    /// browser would refuse the cookie).
    fn validate_cookie_domain(&self, domain: &str) -> Result<(), ConfigError> {
        let is_name = domain.split('.').count() >= 2
            && domain.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            });
        if !is_name {
            return Err(ConfigError::Invalid(format!(
                "cookie_domain must be a domain name such as example.nl, not {domain:?}"
            )));
        }
        let host = url::Url::parse(&self.public_url())
            .ok()
            .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
            .unwrap_or_default();
        let domain = domain.to_ascii_lowercase();
        if host != domain && !host.ends_with(&format!(".{domain}")) {
            return Err(ConfigError::Invalid(format!(
                "cookie_domain {domain} must contain the host of public_url ({host})"
            )));
        }
        Ok(())
    }

    fn validate_branding(&self) -> Result<(), ConfigError> {
        if let Some(colour) = &self.primary_colour
            && !is_css_hex_colour(colour)
        {
            return Err(ConfigError::Invalid(format!(
                "primary_colour {colour:?} must be '#' and 3 or 6 hexadecimal digits, e.g. \"#0b2f5b\""
            )));
        }
        if let Some(logo) = &self.logo_url
            && !(logo.starts_with('/') || logo.starts_with("data:image/"))
        {
            return Err(ConfigError::Invalid(
                "logo_url must be a path on this server or a data:image/ URL: \
                 the Content-Security-Policy blocks images from elsewhere"
                    .into(),
            ));
        }
        for application in &self.applications {
            if application.name.trim().is_empty() {
                return Err(ConfigError::Invalid(
                    "every entry of applications needs a name".into(),
                ));
            }
            if !is_link(&application.url) {
                return Err(ConfigError::Invalid(format!(
                    "the url of application {:?} must start with https://, http:// or /",
                    application.name
                )));
            }
            if !application.groups.is_empty() {
                if application.url.starts_with('/') {
                    return Err(ConfigError::Invalid(format!(
                        "application {:?} has groups, so it needs an address of its own \
                         (https://…) for the gate to know it by",
                        application.name
                    )));
                }
                if self.trusted_proxies.is_empty() {
                    return Err(ConfigError::Invalid(format!(
                        "application {:?} has groups: the gate knows which application a \
                         request is for from its proxy, so trusted_proxies must name it",
                        application.name
                    )));
                }
                if application
                    .groups
                    .iter()
                    .any(|group| group.trim().is_empty())
                {
                    return Err(ConfigError::Invalid(format!(
                        "application {:?} names an empty group",
                        application.name
                    )));
                }
            }
        }
        for (system, link) in self.client_downloads.links() {
            if link.is_some_and(|link| !is_link(link)) {
                return Err(ConfigError::Invalid(format!(
                    "client_downloads.{system} must start with https://, http:// or /"
                )));
            }
        }
        Ok(())
    }

    /// The kiosk times for a browser at `client`, if it is a kiosk.
    pub fn kiosk_for(&self, client: &str) -> Option<aanmelden_api::Kiosk> {
        let terminal = client
            .parse()
            .is_ok_and(|address| self.kiosk_addresses.contains(address));
        (self.kiosk || terminal).then_some(aanmelden_api::Kiosk {
            idle_s: self.kiosk_idle_s,
            warning_s: self.kiosk_warning_s,
            signed_in_idle_s: self.kiosk_signed_in_idle_s,
        })
    }

    /// The idle and absolute time-outs, in seconds, of a session at
    /// `level`, started at a kiosk or not. A kiosk's page resets after its
    /// idle time and the warning; the server ends the session then too, so
    /// that a browser gone elsewhere does not keep it for the next person.
    pub fn session_limits(&self, kiosk: bool, level: Level) -> (i64, i64) {
        let (idle, absolute) = (self.session_idle_timeout_s, self.session_absolute_timeout_s);
        if !kiosk {
            return (idle, absolute);
        }
        let page_idle = if level == Level::Done {
            self.kiosk_signed_in_idle_s
        } else {
            self.kiosk_idle_s
        };
        (
            idle.min(i64::from(page_idle) + i64::from(self.kiosk_warning_s)),
            absolute.min(i64::from(self.kiosk_session_max_s)),
        )
    }

    /// What `GET /branding` answers (without kiosk times: see [`Config::kiosk_for`]).
    pub fn branding(&self) -> Branding {
        let downloads = &self.client_downloads;
        Branding {
            organisation: self.organisation.clone(),
            logo_url: self.logo_url.clone(),
            primary_colour: self.primary_colour.clone(),
            client_downloads: aanmelden_api::ClientDownloads {
                windows: downloads.windows.clone(),
                macos: downloads.macos.clone(),
                linux: downloads.linux.clone(),
                ios: downloads.ios.clone(),
                android: downloads.android.clone(),
            },
            kiosk: None,
        }
    }

    /// The database to use: the configured URL or the SQLite file in `data_dir`.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("aanmelden.db").display()
            )
        })
    }
}

/// `#rgb` or `#rrggbb`: safe to put into a style, unlike an arbitrary string.
fn is_css_hex_colour(colour: &str) -> bool {
    colour.strip_prefix('#').is_some_and(|digits| {
        matches!(digits.len(), 3 | 6) && digits.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// The page puts these into `href`: refuse `javascript:` and other schemes,
/// and a path that a browser reads as another site's address (`//host`,
/// also written `/\host`, or with a tab or line break in between, which
/// browsers drop).
fn is_link(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return true;
    }
    let Some(path) = url.strip_prefix('/') else {
        return false;
    };
    !url.chars().any(char::is_control) && !path.starts_with(['/', '\\'])
}

fn read_table(path: &Path) -> Result<toml::Table, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    text.parse().map_err(|source| ConfigError::Parse {
        origin: path.display().to_string(),
        source,
    })
}

/// An environment value as TOML when it reads as a number or boolean, else as text.
/// A list of strings, from a list or from one comma-separated string (as an
/// environment variable gives it).
fn list_or_commas<'de, D: serde::Deserializer<'de>>(from: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<String>),
        Text(String),
    }
    Ok(match ListOrText::deserialize(from)? {
        ListOrText::List(list) => list,
        ListOrText::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

fn env_value(raw: &str) -> toml::Value {
    match format!("v = {raw}").parse::<toml::Table>() {
        Ok(mut t) => match t.remove("v") {
            Some(
                v @ (toml::Value::Integer(_) | toml::Value::Boolean(_) | toml::Value::Float(_)),
            ) => v,
            _ => toml::Value::String(raw.to_owned()),
        },
        Err(_) => toml::Value::String(raw.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn starts_without_file_or_variables() {
        let config = Config::load(None, env(&[])).unwrap();
        assert_eq!(config.listen.port(), 8080);
        assert_eq!(config.max_devices, 4);
        assert!(config.database_url().starts_with("sqlite://data/"));
    }

    #[test]
    fn variables_override_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, "max_devices = 2\norganisation = \"Acme\"\n").unwrap();
        let config = Config::load(
            Some(&path),
            env(&[
                ("AANMELDEN_MAX_DEVICES", "3"),
                ("AANMELDEN_REQUIRE_FIRST_CODE", "false"),
                ("DATABASE_URL", "postgres://x@127.0.0.1/db"),
                ("HOME", "/root"),
            ]),
        )
        .unwrap();
        assert_eq!(config.max_devices, 3);
        assert_eq!(config.organisation, "Acme");
        assert!(!config.require_first_code);
        assert_eq!(config.database_url(), "postgres://x@127.0.0.1/db");
    }

    #[test]
    fn open_connections_are_capped_by_default_and_by_variable() {
        assert_eq!(Config::default().max_connections, 10_000);
        let config = Config::load(None, env(&[("AANMELDEN_MAX_CONNECTIONS", "500")])).unwrap();
        assert_eq!(config.max_connections, 500);
        assert!(Config::load(None, env(&[("AANMELDEN_MAX_CONNECTIONS", "0")])).is_err());
    }

    #[test]
    fn aanmelden_database_url_wins_over_database_url() {
        let config = Config::load(
            None,
            env(&[
                ("DATABASE_URL", "postgres://a/b"),
                ("AANMELDEN_DATABASE_URL", "sqlite://x.db"),
            ]),
        )
        .unwrap();
        assert_eq!(config.database_url(), "sqlite://x.db");
    }

    #[test]
    fn unknown_settings_and_bad_values_are_errors() {
        assert!(Config::load(None, env(&[("AANMELDEN_MAX_DEVISES", "3")])).is_err());
        assert!(Config::load(None, env(&[("AANMELDEN_MAX_DEVICES", "many")])).is_err());
        assert!(Config::load(None, env(&[("AANMELDEN_MAX_DEVICES", "0")])).is_err());
    }

    #[test]
    fn trusted_proxies_come_from_a_list_or_a_variable() {
        let config = load_file("trusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n").unwrap();
        assert_eq!(config.trusted_proxies.0.len(), 2);
        assert_eq!(
            config.client_address_header,
            ForwardingHeader::XForwardedFor
        );
        let config = Config::load(
            None,
            env(&[
                ("AANMELDEN_TRUSTED_PROXIES", "127.0.0.1, ::1"),
                ("AANMELDEN_CLIENT_ADDRESS_HEADER", "forwarded"),
            ]),
        )
        .unwrap();
        assert_eq!(config.trusted_proxies.0.len(), 2);
        assert_eq!(config.client_address_header, ForwardingHeader::Forwarded);
        assert!(Config::load(None, env(&[("AANMELDEN_TRUSTED_PROXIES", "proxy.local")])).is_err());
        assert!(
            Config::load(
                None,
                env(&[("AANMELDEN_CLIENT_ADDRESS_HEADER", "x-real-ip")])
            )
            .is_err()
        );
        assert!(
            Config::load(None, env(&[]))
                .unwrap()
                .trusted_proxies
                .is_empty()
        );
    }

    #[test]
    fn https_makes_the_cookie_secure_with_the_host_prefix() {
        let plain = Config::load(None, env(&[])).unwrap();
        assert!(!plain.cookie_secure());
        assert_eq!(plain.session_cookie_name(), "aanmelden_session");
        let https = Config::load(
            None,
            env(&[("AANMELDEN_PUBLIC_URL", "https://aanmelden.example.nl")]),
        )
        .unwrap();
        assert!(https.is_https() && https.cookie_secure());
        assert_eq!(https.session_cookie_name(), "__Host-aanmelden_session");
        let overridden = Config::load(
            None,
            env(&[
                ("AANMELDEN_PUBLIC_URL", "https://aanmelden.example.nl"),
                ("AANMELDEN_SECURE_COOKIE", "false"),
            ]),
        )
        .unwrap();
        assert!(!overridden.cookie_secure());
        let forced = Config::load(None, env(&[("AANMELDEN_SECURE_COOKIE", "true")])).unwrap();
        assert_eq!(forced.session_cookie_name(), "__Host-aanmelden_session");
    }

    #[test]
    fn a_cookie_domain_takes_the_secure_prefix_and_must_hold_the_portal() {
        let shared = Config::load(
            None,
            env(&[
                ("AANMELDEN_PUBLIC_URL", "https://aanmelden.example.nl"),
                ("AANMELDEN_COOKIE_DOMAIN", "example.nl"),
            ]),
        )
        .unwrap();
        assert_eq!(shared.session_cookie_name(), "__Secure-aanmelden_session");
        let listed = Config::load(
            None,
            env(&[(
                "AANMELDEN_ALLOWED_RETURN_DOMAINS",
                "mail.example.nl, *.apps.example.nl",
            )]),
        )
        .unwrap();
        assert_eq!(
            listed.allowed_return_domains,
            ["mail.example.nl", "*.apps.example.nl"]
        );
        for (url, domain) in [
            ("https://aanmelden.example.nl", "other.nl"),
            ("https://aanmelden.example.nl", "ample.nl"),
            ("https://aanmelden.example.nl", "nl"),
            ("https://aanmelden.example.nl", ".example.nl"),
            ("https://aanmelden.example.nl", "example.nl; Secure"),
        ] {
            assert!(
                Config::load(
                    None,
                    env(&[
                        ("AANMELDEN_PUBLIC_URL", url),
                        ("AANMELDEN_COOKIE_DOMAIN", domain)
                    ])
                )
                .is_err(),
                "{domain}"
            );
        }
    }

    #[test]
    fn a_kiosk_gives_at_least_twenty_seconds_to_answer() {
        assert!(Config::load(None, env(&[("AANMELDEN_KIOSK_WARNING_S", "19")])).is_err());
        let config =
            Config::load(None, env(&[("AANMELDEN_KIOSK_ADDRESSES", "10.1.0.0/16")])).unwrap();
        assert!(config.kiosk_for("10.1.2.3").is_some());
        assert!(config.kiosk_for("10.2.0.1").is_none());
        assert!(config.kiosk_for("").is_none());
    }

    #[test]
    fn kiosk_sessions_have_the_kiosks_short_lifetimes() {
        let config = Config::load(None, env(&[("AANMELDEN_KIOSK_SESSION_MAX_S", "600")])).unwrap();
        assert_eq!(config.kiosk_session_max_s, 600);
        assert_eq!(config.session_limits(true, Level::Done), (30 + 20, 600));
        assert_eq!(
            config.session_limits(true, Level::SecondFactor),
            (60 + 20, 600)
        );
        assert_eq!(
            config.session_limits(false, Level::Done),
            (15 * 60, 8 * 60 * 60)
        );
        assert_eq!(
            Config::default().session_limits(true, Level::Done).1,
            15 * 60
        );
        assert!(Config::load(None, env(&[("AANMELDEN_KIOSK_SESSION_MAX_S", "0")])).is_err());
    }

    #[test]
    fn missing_explicit_file_is_an_error() {
        assert!(matches!(
            Config::load(Some(Path::new("/nonexistent/a.toml")), env(&[])),
            Err(ConfigError::Read { .. })
        ));
    }

    const BRANDED: &str = r##"
organisation = "Acme"
logo_url = "/logo.svg"
primary_colour = "#0b2f5b"

[[applications]]
name = "Webmail"
url = "https://mail.acme.example"

[[applications]]
name = "Intranet"
url = "/intranet"

[client_downloads]
windows = "https://downloads.acme.example/client.msi"
android = "https://downloads.acme.example/client.apk"
"##;

    fn load_file(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(Some(&path), env(&[]))
    }

    #[test]
    fn branding_defaults_to_the_organisation_alone() {
        let branding = Config::load(None, env(&[])).unwrap().branding();
        assert_eq!(branding.organisation, "Missing Piece");
        assert_eq!(branding.logo_url, None);
        assert_eq!(branding.primary_colour, None);
        assert_eq!(
            branding.client_downloads,
            aanmelden_api::ClientDownloads::default()
        );
    }

    #[test]
    fn branding_tables_are_read_from_the_file() {
        let branding = load_file(BRANDED).unwrap().branding();
        assert_eq!(branding.organisation, "Acme");
        assert_eq!(branding.logo_url.as_deref(), Some("/logo.svg"));
        assert_eq!(branding.primary_colour.as_deref(), Some("#0b2f5b"));
        let config = load_file(BRANDED).unwrap();
        let applications: Vec<_> = config
            .applications_for(&[])
            .into_iter()
            .map(|a| (a.name, a.url))
            .collect();
        assert_eq!(
            applications,
            [
                ("Webmail".to_owned(), "https://mail.acme.example".to_owned()),
                ("Intranet".to_owned(), "/intranet".to_owned())
            ]
        );
        let downloads = branding.client_downloads;
        assert_eq!(
            downloads.windows.as_deref(),
            Some("https://downloads.acme.example/client.msi")
        );
        assert_eq!(
            downloads.android.as_deref(),
            Some("https://downloads.acme.example/client.apk")
        );
        assert_eq!(
            (downloads.macos, downloads.linux, downloads.ios),
            (None, None, None)
        );
    }

    #[test]
    fn primary_colour_comes_from_a_variable_too() {
        let config = Config::load(None, env(&[("AANMELDEN_PRIMARY_COLOUR", "#FFF")])).unwrap();
        assert_eq!(config.primary_colour.as_deref(), Some("#FFF"));
    }

    #[test]
    fn primary_colour_must_be_a_hex_colour() {
        for good in ["#abc", "#0B2F5B"] {
            let set = [("AANMELDEN_PRIMARY_COLOUR", good)];
            assert!(Config::load(None, env(&set)).is_ok(), "{good}");
        }
        for bad in [
            "0b2f5b", "#0b2f5", "#0b2f5b0", "#ggg", "red", "#abc;x:y", "",
        ] {
            let set = [("AANMELDEN_PRIMARY_COLOUR", bad)];
            assert!(
                matches!(Config::load(None, env(&set)), Err(ConfigError::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn branding_typos_and_unsafe_links_are_errors() {
        let typo = BRANDED.replace("android =", "androit =");
        assert!(matches!(load_file(&typo), Err(ConfigError::Parse { .. })));
        let extra = BRANDED.replace("name = \"Intranet\"", "name = \"Intranet\"\nicon = \"x\"");
        assert!(matches!(load_file(&extra), Err(ConfigError::Parse { .. })));
        let script = BRANDED.replace("/intranet", "javascript:alert(1)");
        assert!(matches!(load_file(&script), Err(ConfigError::Invalid(_))));
        let elsewhere = BRANDED.replace("\"/logo.svg\"", "\"https://cdn.example/logo.svg\"");
        assert!(matches!(
            load_file(&elsewhere),
            Err(ConfigError::Invalid(_))
        ));
        let download =
            BRANDED.replace("https://downloads.acme.example/client.apk", "//x.example/a");
        assert!(matches!(load_file(&download), Err(ConfigError::Invalid(_))));
    }

    #[test]
    fn links_stay_on_this_site_or_name_their_scheme() {
        for good in [
            "/intranet",
            "/",
            "https://mail.example.nl/",
            "HTTP://x.example/",
        ] {
            assert!(is_link(good), "{good:?}");
        }
        // Browsers read `\` as `/` and drop tabs and line breaks, so each
        // of these is `//evil.example`: another site.
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "javascript:alert(1)",
            "intranet",
            "",
        ] {
            assert!(!is_link(bad), "{bad:?}");
        }
    }

    #[test]
    fn encryption_key_does_not_print() {
        let config = Config::load(
            None,
            env(&[("AANMELDEN_ENCRYPTION_KEY", "c2VjcmV0c2VjcmV0")]),
        )
        .unwrap();
        assert!(!format!("{config:?}").contains("c2VjcmV0"));
    }

    #[test]
    fn a_directory_is_reached_safely_or_not_at_all() {
        let base = "accounts = \"directory\"\ndirectory_base_dn = \"ou=people,dc=x\"\n\
                    directory_bind_dn = \"cn=svc,dc=x\"\ndirectory_bind_password = \"pw\"\n";
        let with = |rest: &str| load_file(&format!("{base}{rest}"));

        assert!(with("directory_url = \"ldaps://dc1.example.nl\"").is_ok());
        assert!(
            with("directory_url = \"ldap://dc1.example.nl\"\ndirectory_starttls = true").is_ok()
        );
        assert!(with("directory_url = \"ldap://127.0.0.1:3389\"").is_ok());
        for refused in [
            "directory_url = \"ldap://dc1.example.nl\"",
            "directory_url = \"ldaps://dc1.example.nl\"\ndirectory_starttls = true",
            "directory_url = \"https://dc1.example.nl\"",
            "directory_url = \"ldaps://dc1.example.nl\"\ndirectory_ca_file = \"/no/such/ca.pem\"",
            "",
        ] {
            assert!(
                matches!(with(refused), Err(ConfigError::Invalid(_))),
                "{refused}"
            );
        }
        assert!(matches!(
            load_file(
                "accounts = \"directory\"\ndirectory_url = \"ldaps://dc1\"\n\
                       directory_base_dn = \"dc=x\"\ndirectory_bind_dn = \"cn=svc,dc=x\""
            ),
            Err(ConfigError::Invalid(_))
        ));
        assert!(matches!(
            load_file(
                "accounts = \"directory\"\ndirectory_url = \"ldaps://dc1\"\n\
                       directory_user_dn = \"uid=x,dc=x\""
            ),
            Err(ConfigError::Invalid(_))
        ));
    }

    #[test]
    fn the_directory_password_does_not_print() {
        let config = Config::load(
            None,
            env(&[("AANMELDEN_DIRECTORY_BIND_PASSWORD", "hunter2hunter2")]),
        )
        .unwrap();
        assert!(!format!("{config:?}").contains("hunter2"));
    }
}
