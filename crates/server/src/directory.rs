//! The company directory (LDAP, Active Directory) as the source of
//! passwords and accounts: find the user with a service account, then bind
//! as the user with the typed password (or bind at once with a DN made from
//! the name). Certificates are always checked; a directory that does not
//! answer in time is `unavailable`, never a wrong password.

use std::collections::VecDeque;
use std::fmt::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aanmelden_api::ErrorCode;
use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;
use ldap3::controls::{Control, RawControl};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry, SearchOptions};
use rustls::ClientConfig;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::config::{Config, DirectoryKind};
use crate::domain::normalise_username;
use crate::domain::secrets::SecretString;

/// LDAP's `invalidCredentials`: a wrong password (or, with a DN made from
/// the name, no such user).
const INVALID_CREDENTIALS: u32 = 49;

/// LDAP's `sizeLimitExceeded`: more entries matched than were asked for.
const SIZE_LIMIT_EXCEEDED: u32 = 4;

/// The password policy control (draft-behera-ldap-password-policy), asked
/// for with every user's bind: `OpenLDAP`'s ppolicy answers with the
/// account's state in it.
const PASSWORD_POLICY: &str = "1.3.6.1.4.1.42.2.27.8.5.1";

/// How many recent binds the wait for an unknown name is drawn from.
const BIND_TIMES_KEPT: usize = 32;

/// How many idle connections to the directory are kept.
const POOLED: usize = 4;

/// How deep groups of groups are followed where the directory does not
/// follow them itself.
const GROUP_NESTING: usize = 8;

/// AD's `userAccountControl` bit of a disabled account.
const ACCOUNT_DISABLED: u32 = 2;

/// A directory account whose password was right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The directory's own id of the entry, which stays when the entry is
    /// renamed or moved: `entryUUID`, or AD's `objectGUID` in hex.
    pub directory_id: String,
    /// The name the portal knows the user by: the entry's value of the
    /// first user-name attribute, normalised.
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    /// The names of the groups the user is in, directly or through other
    /// groups, sorted.
    pub groups: Vec<String>,
}

/// What keeps a directory account from signing in, as the directory says
/// at the bind: Active Directory by the sub-code in its error text,
/// `OpenLDAP` by its password policy's response control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    /// The password must be changed first (AD 773, ppolicy `changeAfterReset`).
    PasswordChangeRequired,
    /// The password has expired (AD 532, ppolicy `passwordExpired`).
    PasswordExpired,
    /// Locked after wrong passwords (AD 775, ppolicy `accountLocked`).
    Locked,
    /// Disabled (AD 533).
    Disabled,
    /// The account has expired (AD 701).
    AccountExpired,
}

impl AccountState {
    /// The contract's code, which the user's message comes from.
    pub fn code(self) -> ErrorCode {
        match self {
            Self::PasswordChangeRequired => ErrorCode::PasswordChangeRequired,
            Self::PasswordExpired => ErrorCode::PasswordExpired,
            Self::Locked => ErrorCode::AccountLocked,
            Self::Disabled => ErrorCode::AccountDisabled,
            Self::AccountExpired => ErrorCode::AccountExpired,
        }
    }

    /// As the audit log names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PasswordChangeRequired => "password_change_required",
            Self::PasswordExpired => "password_expired",
            Self::Locked => "account_locked",
            Self::Disabled => "account_disabled",
            Self::AccountExpired => "account_expired",
        }
    }

    /// The state an Active Directory bind refusal names in its text
    /// (`80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext
    /// error, data 773, v4563`); `None` for a wrong password (52e), an
    /// unknown name (525) and anything else.
    fn of_ad_refusal(text: &str) -> Option<Self> {
        let (_, after) = text.split_once("data ")?;
        let code: String = after.chars().take_while(char::is_ascii_hexdigit).collect();
        match code.to_ascii_lowercase().as_str() {
            "532" => Some(Self::PasswordExpired),
            "533" => Some(Self::Disabled),
            "701" => Some(Self::AccountExpired),
            "773" => Some(Self::PasswordChangeRequired),
            "775" => Some(Self::Locked),
            _ => None,
        }
    }

    /// The state the password policy response control (its BER value)
    /// names: `error [1] ENUMERATED` of `PasswordPolicyResponseValue`.
    fn of_ppolicy_response(value: &[u8]) -> Option<Self> {
        // SEQUENCE { warning [0] ... OPTIONAL, error [1] ENUMERATED OPTIONAL }
        let (&0x30, rest) = value.split_first()? else {
            return None;
        };
        let (length, mut rest) = ber_length(rest)?;
        rest = rest.get(..length)?;
        while let Some((&tag, after)) = rest.split_first() {
            let (length, after) = ber_length(after)?;
            let content = after.get(..length)?;
            if tag == 0x81 {
                return match content.last()? {
                    0 => Some(Self::PasswordExpired),
                    1 => Some(Self::Locked),
                    2 => Some(Self::PasswordChangeRequired),
                    _ => None,
                };
            }
            rest = &after[length..];
        }
        None
    }
}

/// A BER length and what follows it.
fn ber_length(bytes: &[u8]) -> Option<(usize, &[u8])> {
    let (&first, rest) = bytes.split_first()?;
    if first < 0x80 {
        return Some((usize::from(first), rest));
    }
    let count = usize::from(first & 0x7f);
    if count == 0 || count > 4 {
        return None;
    }
    let length = rest
        .get(..count)?
        .iter()
        .fold(0usize, |length, byte| (length << 8) | usize::from(*byte));
    Some((length, &rest[count..]))
}

/// What the directory says of a name and a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Right(Account),
    /// The name is the directory's, the password not.
    Wrong,
    /// The directory refuses the account as it is; for a password that
    /// must be changed or has expired, the password was right.
    Refused(AccountState),
    /// No entry has this name (after a wait as long as a bind takes, so
    /// that the answer's time tells nothing).
    Unknown,
}

/// What the directory has under a typed name: the entry and the name the
/// portal knows its user by, or nothing.
pub struct Lookup {
    found: Option<(SearchEntry, String)>,
}

impl Lookup {
    /// The name the portal knows the user by, whichever of their names
    /// (mail, uid, UPN) was typed; `None` for a name the directory does
    /// not have.
    pub fn name(&self) -> Option<&str> {
        self.found.as_ref().map(|(_, name)| name.as_str())
    }
}

/// What a user's bind said.
enum Bound {
    Right,
    Wrong,
    Refused(AccountState),
}

/// Why the directory could not answer.
#[derive(Debug, thiserror::Error)]
#[error("the directory is unavailable: {0}")]
pub struct Unavailable(String);

impl From<LdapError> for Unavailable {
    fn from(error: LdapError) -> Self {
        Self(error.to_string())
    }
}

/// The configured directory.
pub struct Directory {
    url: String,
    starttls: bool,
    /// The TLS settings, or why they could not be made (told at each use).
    tls: Result<Arc<ClientConfig>, String>,
    connect_timeout: Duration,
    timeout: Duration,
    base_dn: String,
    service: Option<(String, SecretString)>,
    user_dn: Option<String>,
    username_attributes: Vec<String>,
    users_filter: String,
    id_attribute: &'static str,
    kind: DirectoryKind,
    /// Where groups are searched; none: no groups (a DN made from the
    /// name, with no base named).
    groups_base_dn: Option<String>,
    groups_filter: String,
    group_name_attribute: String,
    /// How long recent binds took: an unknown name waits as long.
    bind_times: Mutex<VecDeque<Duration>>,
    /// Connections for the next uses, up to [`POOLED`]: a sign-in does not
    /// wait for a new connection (and its TLS handshake) each time.
    idle: Mutex<Vec<Ldap>>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Directory")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// The directory `config` names, if accounts come from one.
    pub fn new(config: &Config) -> Option<Self> {
        let url = config.directory_url.clone()?;
        if !config.accounts.uses_directory() {
            return None;
        }
        let kind = config.directory_kind;
        Some(Self {
            url,
            starttls: config.directory_starttls,
            tls: tls_config(config.directory_ca_file.as_deref()),
            connect_timeout: Duration::from_secs(config.directory_connect_timeout_s),
            timeout: Duration::from_secs(config.directory_timeout_s),
            base_dn: config.directory_base_dn.clone().unwrap_or_default(),
            service: config
                .directory_bind_dn
                .clone()
                .zip(config.directory_bind_password.clone()),
            user_dn: config.directory_user_dn.clone(),
            username_attributes: if config.directory_username_attributes.is_empty() {
                kind.username_attributes()
            } else {
                config.directory_username_attributes.clone()
            },
            users_filter: config
                .directory_users_filter
                .clone()
                .unwrap_or_else(|| kind.users_filter().to_owned()),
            id_attribute: kind.id_attribute(),
            kind,
            groups_base_dn: config
                .directory_groups_base_dn
                .clone()
                .or_else(|| config.directory_base_dn.clone()),
            groups_filter: config
                .directory_groups_filter
                .clone()
                .unwrap_or_else(|| kind.groups_filter().to_owned()),
            group_name_attribute: config.directory_group_name_attribute.clone(),
            bind_times: Mutex::default(),
            idle: Mutex::default(),
        })
    }

    /// Whether `password` is the password of the directory's `username`,
    /// as `lookup` found it where it was looked up before.
    pub async fn check(
        &self,
        username: &str,
        lookup: Option<&Lookup>,
        password: &SecretString,
    ) -> Result<Checked, Unavailable> {
        // An empty password makes a simple bind anonymous, which succeeds.
        if password.expose().is_empty() {
            return Ok(Checked::Wrong);
        }
        loop {
            let (mut ldap, pooled) = self.connection().await?;
            let checked = match &self.user_dn {
                Some(template) if self.service.is_none() => {
                    let dn = template.replace("{username}", &ldap3::dn_escape(username));
                    self.bind_directly(&mut ldap, &dn, password).await
                }
                _ => {
                    self.search_and_bind(&mut ldap, username, lookup, password)
                        .await
                }
            };
            if let Some(checked) = self.settle(ldap, pooled, checked) {
                return checked;
            }
        }
    }

    /// A connection for the next work, and whether it was used before: an
    /// idle one where there is one (each use binds first, as the service
    /// account or the user), else a new one.
    async fn connection(&self) -> Result<(Ldap, bool), Unavailable> {
        while let Some(mut ldap) = self.take_idle() {
            if !ldap.is_closed() {
                return Ok((ldap, true));
            }
        }
        Ok((self.connect().await?, false))
    }

    /// What the work on `ldap` came to, the connection kept for the next
    /// use when it went well; `None` where a connection used before had
    /// been dropped by the directory meanwhile: the work is to be done
    /// again on another. One that failed otherwise (a time-out) is left.
    fn settle<T>(
        &self,
        mut ldap: Ldap,
        pooled: bool,
        done: Result<T, Unavailable>,
    ) -> Option<Result<T, Unavailable>> {
        match done {
            Ok(done) => {
                self.give_back(ldap);
                Some(Ok(done))
            }
            Err(_) if pooled && ldap.is_closed() => None,
            Err(error) => Some(Err(error)),
        }
    }

    fn take_idle(&self) -> Option<Ldap> {
        self.idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop()
    }

    fn give_back(&self, ldap: Ldap) {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < POOLED {
            idle.push(ldap);
        }
    }

    async fn connect(&self) -> Result<Ldap, Unavailable> {
        let tls = self.tls.clone().map_err(Unavailable)?;
        let settings = LdapConnSettings::new()
            .set_conn_timeout(self.connect_timeout)
            .set_starttls(self.starttls)
            .set_config(tls);
        let (connection, ldap) = LdapConnAsync::with_settings(settings, &self.url).await?;
        ldap3::drive!(connection);
        Ok(ldap)
    }

    async fn search_and_bind(
        &self,
        ldap: &mut Ldap,
        username: &str,
        lookup: Option<&Lookup>,
        password: &SecretString,
    ) -> Result<Checked, Unavailable> {
        let entry = if let Some(lookup) = lookup {
            lookup.found.as_ref().map(|(entry, _)| entry.clone())
        } else {
            self.bind_service(ldap).await?;
            self.find(ldap, username).await?
        };
        let Some(entry) = entry else {
            self.wait_as_long_as_a_bind().await;
            return Ok(Checked::Unknown);
        };
        match self.bind(ldap, &entry.dn, password).await? {
            Bound::Right => {}
            Bound::Wrong => return Ok(Checked::Wrong),
            Bound::Refused(state) => return Ok(Checked::Refused(state)),
        }
        // The groups are read as the service account, which may read what
        // the user may not.
        self.bind_service(ldap).await?;
        let groups = self.groups(ldap, &entry.dn).await?;
        Ok(Checked::Right(self.account(&entry, groups)?))
    }

    /// Bind as the service account, where there is one.
    async fn bind_service(&self, ldap: &mut Ldap) -> Result<(), Unavailable> {
        let Some((dn, password)) = &self.service else {
            return Ok(());
        };
        let bound = ldap
            .with_timeout(self.timeout)
            .simple_bind(dn, password.expose())
            .await?;
        if bound.rc != 0 {
            return Err(Unavailable(format!(
                "the service account's bind was refused ({}: {})",
                bound.rc, bound.text
            )));
        }
        Ok(())
    }

    /// What the directory has under the name `typed`, looked up with the
    /// service account before the password is checked (and counted under
    /// the name found); `None` without a service account to search with.
    pub async fn look_up(&self, typed: &str) -> Result<Option<Lookup>, Unavailable> {
        if self.service.is_none() {
            return Ok(None);
        }
        loop {
            let (mut ldap, pooled) = self.connection().await?;
            let found = async {
                self.bind_service(&mut ldap).await?;
                let entry = self.find(&mut ldap, typed).await?;
                Ok(Some(Lookup {
                    found: entry.and_then(|entry| {
                        let name = self
                            .username_attributes
                            .iter()
                            .find_map(|attribute| first_value(&entry, attribute))?;
                        Some((entry, normalise_username(&name)))
                    }),
                }))
            }
            .await;
            if let Some(found) = self.settle(ldap, pooled, found) {
                return found;
            }
        }
    }

    /// Whether entries can be read again after sign-in (with the service
    /// account).
    pub fn reads_entries_again(&self) -> bool {
        self.service.is_some()
    }

    /// The entry of `directory_id` as it is now, read with the service
    /// account: `None` when the directory no longer has it among its users
    /// (removed, moved out of the base, or, in AD, disabled).
    pub async fn refresh(&self, directory_id: &str) -> Result<Option<Account>, Unavailable> {
        if self.service.is_none() {
            return Err(Unavailable(
                "without a service account (directory_bind_dn) no entry is read again".to_owned(),
            ));
        }
        loop {
            let (mut ldap, pooled) = self.connection().await?;
            let refreshed = self.read_again(&mut ldap, directory_id).await;
            if let Some(refreshed) = self.settle(ldap, pooled, refreshed) {
                return refreshed;
            }
        }
    }

    async fn read_again(
        &self,
        ldap: &mut Ldap,
        directory_id: &str,
    ) -> Result<Option<Account>, Unavailable> {
        self.bind_service(ldap).await?;
        let id = match self.kind {
            // objectGUID is kept as hex; the filter names its bytes.
            DirectoryKind::Activedirectory => hex_filter_value(directory_id)
                .ok_or_else(|| Unavailable(format!("{directory_id:?} is no objectGUID")))?,
            DirectoryKind::Openldap => ldap3::ldap_escape(directory_id).into_owned(),
        };
        let filter = format!("(&{}({}={id}))", self.users_filter, self.id_attribute);
        let mut wanted = self.wanted();
        wanted.push("userAccountControl".to_owned());
        let ldap3::SearchResult(entries, result) = ldap
            .with_search_options(SearchOptions::new().sizelimit(2))
            .with_timeout(self.timeout)
            .search(&self.base_dn, Scope::Subtree, &filter, wanted)
            .await?;
        if result.rc != 0 && result.rc != SIZE_LIMIT_EXCEEDED {
            return Err(Unavailable(format!(
                "a search for a user's entry was answered {}: {}",
                result.rc, result.text
            )));
        }
        let Some(entry) = entries.into_iter().next().map(SearchEntry::construct) else {
            return Ok(None);
        };
        let disabled = first_value(&entry, "userAccountControl")
            .and_then(|flags| flags.parse::<u32>().ok())
            .is_some_and(|flags| flags & ACCOUNT_DISABLED != 0);
        if disabled {
            return Ok(None);
        }
        let groups = self.groups(ldap, &entry.dn).await?;
        self.account(&entry, groups).map(Some)
    }

    /// The names of the groups `dn` is in: those whose filter names it,
    /// then (where the directory does not follow nesting itself) the
    /// groups those groups are in, to [`GROUP_NESTING`] levels.
    async fn groups(&self, ldap: &mut Ldap, dn: &str) -> Result<Vec<String>, Unavailable> {
        let Some(base) = &self.groups_base_dn else {
            return Ok(Vec::new());
        };
        let mut names = std::collections::BTreeSet::new();
        let mut seen = std::collections::HashSet::new();
        let mut members = vec![dn.to_owned()];
        for _ in 0..GROUP_NESTING {
            if members.is_empty() {
                break;
            }
            let any = members.iter().fold(String::new(), |mut any, member| {
                let _ = write!(
                    any,
                    "{}",
                    self.groups_filter
                        .replace("{dn}", &ldap3::ldap_escape(member))
                );
                any
            });
            let (entries, _) = ldap
                .with_timeout(self.timeout)
                .search(
                    base,
                    Scope::Subtree,
                    &format!("(|{any})"),
                    vec![self.group_name_attribute.as_str()],
                )
                .await?
                .success()?;
            members = Vec::new();
            for entry in entries.into_iter().map(SearchEntry::construct) {
                if !seen.insert(entry.dn.to_ascii_lowercase()) {
                    continue;
                }
                if let Some(name) = first_value(&entry, &self.group_name_attribute) {
                    names.insert(name);
                }
                members.push(entry.dn);
            }
            if self.kind == DirectoryKind::Activedirectory {
                // The in-chain rule has found every level at once.
                break;
            }
        }
        Ok(names.into_iter().collect())
    }

    /// Bind with a DN made from the name; the entry is read once bound.
    async fn bind_directly(
        &self,
        ldap: &mut Ldap,
        dn: &str,
        password: &SecretString,
    ) -> Result<Checked, Unavailable> {
        match self.bind(ldap, dn, password).await? {
            Bound::Right => {}
            // An unknown name and a wrong password answer alike here.
            Bound::Wrong => return Ok(Checked::Wrong),
            Bound::Refused(state) => return Ok(Checked::Refused(state)),
        }
        let (entries, _) = ldap
            .with_timeout(self.timeout)
            .search(dn, Scope::Base, "(objectClass=*)", self.wanted())
            .await?
            .success()?;
        let entry = entries
            .into_iter()
            .next()
            .map(SearchEntry::construct)
            .ok_or_else(|| Unavailable("the user's own entry cannot be read".to_owned()))?;
        let groups = self.groups(ldap, &entry.dn).await?;
        Ok(Checked::Right(self.account(&entry, groups)?))
    }

    /// The one entry of the users with `username` in a user-name attribute.
    async fn find(
        &self,
        ldap: &mut Ldap,
        username: &str,
    ) -> Result<Option<SearchEntry>, Unavailable> {
        let value = ldap3::ldap_escape(username);
        let any_name = self
            .username_attributes
            .iter()
            .fold(String::new(), |mut any, attribute| {
                let _ = write!(any, "({attribute}={value})");
                any
            });
        let filter = format!("(&{}(|{any_name}))", self.users_filter);
        let ldap3::SearchResult(entries, result) = ldap
            .with_search_options(SearchOptions::new().sizelimit(2))
            .with_timeout(self.timeout)
            .search(&self.base_dn, Scope::Subtree, &filter, self.wanted())
            .await?;
        if result.rc != 0 && result.rc != SIZE_LIMIT_EXCEEDED {
            return Err(Unavailable(format!(
                "a search for a user was answered {}: {}",
                result.rc, result.text
            )));
        }
        let mut entries = entries.into_iter().map(SearchEntry::construct);
        match (entries.next(), entries.next()) {
            (Some(entry), None) => Ok(Some(entry)),
            (None, _) => Ok(None),
            (Some(_), Some(_)) => {
                tracing::warn!(
                    "two or more directory entries have one user name: none signs in with it"
                );
                Ok(None)
            }
        }
    }

    /// Bind as `dn` with `password`: whether it is right, or what the
    /// directory says keeps the account from signing in.
    async fn bind(
        &self,
        ldap: &mut Ldap,
        dn: &str,
        password: &SecretString,
    ) -> Result<Bound, Unavailable> {
        let started = Instant::now();
        let bound = ldap
            .with_controls(vec![RawControl {
                ctype: PASSWORD_POLICY.to_owned(),
                crit: false,
                val: None,
            }])
            .with_timeout(self.timeout)
            .simple_bind(dn, password.expose())
            .await?;
        self.remember_bind(started.elapsed());
        let policy = bound
            .ctrls
            .iter()
            .find(|Control(_, raw)| raw.ctype == PASSWORD_POLICY)
            .and_then(|Control(_, raw)| raw.val.as_deref())
            .and_then(AccountState::of_ppolicy_response);
        match (bound.rc, policy) {
            (0 | INVALID_CREDENTIALS, Some(state)) => Ok(Bound::Refused(state)),
            (0, None) => Ok(Bound::Right),
            (INVALID_CREDENTIALS, None) => {
                Ok(AccountState::of_ad_refusal(&bound.text).map_or(Bound::Wrong, Bound::Refused))
            }
            (rc, _) => Err(Unavailable(format!(
                "a bind was answered {rc}: {}",
                bound.text
            ))),
        }
    }

    /// The attributes read of a user's entry.
    fn wanted(&self) -> Vec<String> {
        let mut wanted = self.username_attributes.clone();
        wanted.extend(
            [self.id_attribute, "displayName", "cn", "mail"]
                .into_iter()
                .map(str::to_owned),
        );
        wanted
    }

    fn account(&self, entry: &SearchEntry, groups: Vec<String>) -> Result<Account, Unavailable> {
        let first = |attribute: &str| first_value(entry, attribute);
        let directory_id = self.id_of(entry).ok_or_else(|| {
            Unavailable(format!(
                "the user's entry has no {} to keep it by",
                self.id_attribute
            ))
        })?;
        let username = self
            .username_attributes
            .iter()
            .find_map(|attribute| first(attribute))
            .map(|name| normalise_username(&name))
            .ok_or_else(|| Unavailable("the user's entry has no user name".to_owned()))?;
        Ok(Account {
            directory_id,
            username,
            display_name: first("displayName").or_else(|| first("cn")),
            email: first("mail"),
            groups,
        })
    }

    /// The entry's id as the portal keeps it: `entryUUID` as it reads, AD's
    /// `objectGUID` (16 bytes) in hex, whether or not its bytes happen to
    /// read as text.
    fn id_of(&self, entry: &SearchEntry) -> Option<String> {
        if self.kind == DirectoryKind::Openldap {
            return first_value(entry, self.id_attribute);
        }
        let bytes = entry
            .bin_attrs
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(self.id_attribute))
            .and_then(|(_, values)| values.first().cloned())
            .or_else(|| first_value(entry, self.id_attribute).map(String::into_bytes))?;
        Some(bytes.iter().fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        }))
    }

    fn remember_bind(&self, took: Duration) {
        let mut times = self
            .bind_times
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if times.len() == BIND_TIMES_KEPT {
            times.pop_front();
        }
        times.push_back(took);
    }

    /// As long as one of the recent binds took, drawn at random.
    async fn wait_as_long_as_a_bind(&self) {
        let wait = {
            let times = self
                .bind_times
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if times.is_empty() {
                return;
            }
            let pick = usize::try_from(OsRng.next_u32()).unwrap_or(0) % times.len();
            times[pick]
        };
        tokio::time::sleep(wait).await;
    }
}

/// The first value of an entry's `attribute`, its name in any case.
fn first_value(entry: &SearchEntry, attribute: &str) -> Option<String> {
    entry
        .attrs
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(attribute))
        .and_then(|(_, values)| values.first())
        .cloned()
}

/// Hex digits as a filter writes the bytes they stand for: `\ab\cd`.
fn hex_filter_value(hex: &str) -> Option<String> {
    if !hex.len().is_multiple_of(2) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut value = String::with_capacity(hex.len() / 2 * 3);
    for pair in hex.as_bytes().chunks(2) {
        value.push('\\');
        value.push(char::from(pair[0]));
        value.push(char::from(pair[1]));
    }
    Some(value)
}

/// TLS that checks the directory's certificate: against the CAs in
/// `ca_file` (PEM) where one is given, else the system's.
pub fn tls_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = ca_file {
        let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .and_then(Iterator::collect)
            .map_err(|e| {
                format!(
                    "cannot read the directory's CA file {}: {e}",
                    path.display()
                )
            })?;
        if certificates.is_empty() {
            return Err(format!(
                "the directory's CA file {} holds no certificate",
                path.display()
            ));
        }
        for certificate in certificates {
            roots
                .add(certificate)
                .map_err(|e| format!("a certificate in {} is not usable: {e}", path.display()))?;
        }
    } else {
        let found = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(found.certs);
    }
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

impl DirectoryKind {
    /// The attributes a typed name is looked for in.
    fn username_attributes(self) -> Vec<String> {
        let names: &[&str] = match self {
            Self::Openldap => &["mail", "uid"],
            Self::Activedirectory => &["userPrincipalName", "sAMAccountName", "mail"],
        };
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    /// The entries that are users.
    fn users_filter(self) -> &'static str {
        match self {
            Self::Openldap => "(objectClass=inetOrgPerson)",
            Self::Activedirectory => "(&(objectCategory=person)(objectClass=user))",
        }
    }

    /// The groups a member (`{dn}`) is in.
    fn groups_filter(self) -> &'static str {
        match self {
            Self::Openldap => {
                "(|(&(objectClass=groupOfNames)(member={dn}))\
                 (&(objectClass=groupOfUniqueNames)(uniqueMember={dn})))"
            }
            Self::Activedirectory => "(&(objectClass=group)(member:1.2.840.113556.1.4.1941:={dn}))",
        }
    }

    /// The attribute that names an entry for good.
    fn id_attribute(self) -> &'static str {
        match self {
            Self::Openldap => "entryUUID",
            Self::Activedirectory => "objectGUID",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts Active Directory binds are refused with, sub-code by
    /// sub-code (as Microsoft documents them, and Samba writes them).
    #[test]
    fn active_directorys_sub_codes_name_the_accounts_state() {
        let refusal = |data: &str| {
            format!(
                "80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, \
                 data {data}, v4563"
            )
        };
        for (data, state) in [
            ("773", Some(AccountState::PasswordChangeRequired)),
            ("532", Some(AccountState::PasswordExpired)),
            ("775", Some(AccountState::Locked)),
            ("533", Some(AccountState::Disabled)),
            ("701", Some(AccountState::AccountExpired)),
            ("52e", None),
            ("525", None),
            ("530", None),
        ] {
            assert_eq!(AccountState::of_ad_refusal(&refusal(data)), state, "{data}");
        }
        assert_eq!(AccountState::of_ad_refusal("Invalid credentials"), None);
        assert_eq!(AccountState::of_ad_refusal("data "), None);
    }

    /// `PasswordPolicyResponseValue` as `OpenLDAP` encodes it: the error
    /// alone, and after a warning.
    #[test]
    fn the_password_policys_error_names_the_accounts_state() {
        assert_eq!(
            AccountState::of_ppolicy_response(&[0x30, 0x03, 0x81, 0x01, 0x00]),
            Some(AccountState::PasswordExpired)
        );
        assert_eq!(
            AccountState::of_ppolicy_response(&[0x30, 0x03, 0x81, 0x01, 0x01]),
            Some(AccountState::Locked)
        );
        assert_eq!(
            AccountState::of_ppolicy_response(&[
                0x30, 0x08, 0xa0, 0x03, 0x81, 0x01, 0x02, 0x81, 0x01, 0x02
            ]),
            Some(AccountState::PasswordChangeRequired)
        );
        // A warning alone (grace logins left) refuses nothing.
        assert_eq!(
            AccountState::of_ppolicy_response(&[0x30, 0x05, 0xa0, 0x03, 0x81, 0x01, 0x02]),
            None
        );
        for broken in [&[][..], &[0x30], &[0x30, 0x05, 0x81], &[0x04, 0x00]] {
            assert_eq!(
                AccountState::of_ppolicy_response(broken),
                None,
                "{broken:?}"
            );
        }
    }
}
