//! The command line: `serve`, and the admin commands that work on the same
//! database.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use aes_gcm::aead::OsRng;
use aes_gcm::aead::rand_core::RngCore;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

use crate::AppState;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::passwords::MIN_PASSWORD_CHARS;
use crate::domain::secrets::SecretString;
use crate::domain::{
    MAX_DISPLAY_NAME_CHARS, normalise_username, username_is_valid, valid_display_name,
};
use crate::flow::pass::DEFAULT_PASS_HOURS;

/// The demo user created on first start.
pub const DEMO_USER: &str = "testgebruiker@missingpiece.nl";

/// aanmelden: a self-hosted sign-in portal with a one-time-password second factor.
#[derive(Debug, Parser)]
#[command(version)]
pub struct Cli {
    /// TOML configuration file (default: aanmelden.toml, if it exists).
    #[arg(long, short, env = "AANMELDEN_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API and the portal.
    Serve {
        /// Create a demo user with a random password (printed once) when
        /// the database has no users: for trying the portal out.
        #[arg(long)]
        demo: bool,
    },
    #[command(flatten)]
    Admin(AdminCommand),
}

/// The commands that work on the database of a (running or stopped) server.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage a user's devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Show the newest audit log entries.
    Audit {
        /// How many entries.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (prompted on a terminal).
    Add { name: String },
    /// Set a user's password, read like `add`.
    Passwd { name: String },
    /// List users with their number of devices.
    List,
    /// Set the full name applications behind the gate are told
    /// (`Remote-Name`); without one, clear it.
    Name {
        name: String,
        full_name: Option<String>,
    },
    /// Lift the lock that failed sign-ins put on a user.
    Unlock { name: String },
    /// Stop a user from signing in, and end their sessions.
    Disable { name: String },
    /// Let a disabled user sign in again.
    Enable { name: String },
    /// Remove a user with their devices and sessions.
    Remove { name: String },
    /// Give a user a helpdesk pass (printed once): with their password it
    /// lets them register a device without a working second factor.
    Pass {
        name: String,
        /// How long it lasts, in hours (at most 720: 30 days).
        #[arg(long, default_value_t = DEFAULT_PASS_HOURS)]
        hours: u32,
        /// Spent at its first use (the default).
        #[arg(long, conflicts_with = "reusable")]
        once: bool,
        /// Good for every use until it expires.
        #[arg(long)]
        reusable: bool,
        /// Void the user's pass instead.
        #[arg(long, conflicts_with_all = ["once", "reusable"])]
        revoke: bool,
        /// Who issues it, for the audit log (default: the operator's login name).
        #[arg(long)]
        by: Option<String>,
    },
    /// Show a user: devices, recovery codes left, an open helpdesk pass.
    Show { name: String },
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List a user's devices.
    List { user: String },
    /// Remove a user's device by name.
    Remove { user: String, name: String },
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref(), std::env::vars())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { demo } => {
                let config = Config {
                    demo_user: config.demo_user || demo,
                    ..config
                };
                serve(config).await
            }
            Command::Admin(command) => {
                let app = AppState::open(config, Arc::new(SystemClock)).await?;
                admin(&app, command).await
            }
        }
    })
}

async fn serve(config: Config) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .with_writer(std::io::stderr)
        // A closed standard error must not turn every log line into a panic.
        .log_internal_errors(false)
        .init();
    let listen = config.listen;
    if !config.is_https() && !listen.ip().is_loopback() {
        tracing::warn!(
            %listen,
            "serving plain http on an address others can reach: passwords would cross the network \
             unencrypted; put a TLS-terminating proxy in front and set public_url to its https address"
        );
    }
    if !config.spa_dir.join("index.html").exists() {
        tracing::warn!(
            spa_dir = %config.spa_dir.display(),
            "the app is not built (no index.html): the plain pages are served, and the app \
             joins them as soon as a build is in place"
        );
    }
    let app = AppState::open(config, Arc::new(SystemClock)).await?;
    create_demo_user(&app).await?;
    tokio::spawn(crate::upkeep::run(app.clone()));
    tokio::spawn(crate::upkeep::refresh_directory(app.clone()));
    let listener =
        crate::listener::bind(listen).with_context(|| format!("cannot listen on {listen}"))?;
    tracing::info!("aanmelden listens on http://{}", listener.local_addr()?);
    crate::listener::serve(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

/// On first start with an empty database: a demo user with a random
/// password, printed once on standard output (never to the log).
async fn create_demo_user(app: &AppState) -> anyhow::Result<()> {
    if !app.config.demo_user || app.store.count_users().await? > 0 {
        return Ok(());
    }
    let password = random_password();
    let hash = app.passwords.hash(&password).await?;
    if app
        .store
        .create_user(DEMO_USER, &hash, app.clock.now())
        .await?
        .is_some()
    {
        println!(
            "\nDemo user created (shown once):\n  user name: {DEMO_USER}\n  password:  {}\n",
            password.expose()
        );
        tracing::info!(username = DEMO_USER, "created the demo user");
    }
    Ok(())
}

/// Carry out an admin command on the database of `app`.
pub async fn admin(app: &AppState, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::User(command) => user(app, command).await?,
        AdminCommand::Device(command) => device(app, command).await?,
        AdminCommand::Audit { limit } => {
            for entry in app.store.audit_log(limit).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    entry.at, entry.username, entry.event, entry.detail, entry.client
                );
            }
        }
    }
    Ok(())
}

async fn user(app: &AppState, command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name } => {
            let name = valid_username(&name)?;
            let password = read_password()?;
            let hash = app.passwords.hash(&password).await?;
            if app
                .store
                .create_user(&name, &hash, app.clock.now())
                .await?
                .is_none()
            {
                bail!("user {name} exists already");
            }
            app.audit(&name, "user_added", "cli", "").await?;
            println!("added {name}");
        }
        UserCommand::Passwd { name } => {
            let name = valid_username(&name)?;
            let user = existing_user(app, &name).await?;
            if user.directory_id.is_some() {
                bail!(
                    "{name} comes from the company directory: the password is changed there, \
                     not here"
                );
            }
            let password = read_password()?;
            let hash = app.passwords.hash(&password).await?;
            app.store.set_password(&user.username, &hash).await?;
            let ended = app.store.delete_user_sessions(user.id, None).await?;
            app.audit(&name, "password_set", "cli", "").await?;
            println!("password of {name} set; {ended} session(s) ended");
        }
        UserCommand::Name { name, full_name } => {
            let user = existing_user(app, &name).await?;
            let full_name = match full_name.as_deref() {
                None => None,
                Some(raw) => Some(valid_display_name(raw).with_context(|| {
                    format!("{raw:?} is not a valid full name (1 to {MAX_DISPLAY_NAME_CHARS} visible characters)")
                })?),
            };
            app.store
                .set_display_name(&user.username, full_name)
                .await?;
            app.audit(&user.username, "name_set", "cli", "").await?;
            match full_name {
                Some(full_name) => println!("full name of {} set to {full_name}", user.username),
                None => println!("full name of {} cleared", user.username),
            }
        }
        UserCommand::Disable { name } => {
            let user = existing_user(app, &name).await?;
            app.store
                .set_disabled(&user.username, Some(app.clock.now()))
                .await?;
            let ended = app.store.delete_user_sessions(user.id, None).await?;
            app.audit(&user.username, "user_disabled", "cli", "")
                .await?;
            println!("{} disabled; {ended} session(s) ended", user.username);
        }
        UserCommand::Enable { name } => {
            let user = existing_user(app, &name).await?;
            app.store.set_disabled(&user.username, None).await?;
            app.audit(&user.username, "user_enabled", "cli", "").await?;
            println!("{} enabled", user.username);
        }
        UserCommand::Remove { name } => {
            let user = existing_user(app, &name).await?;
            app.store.delete_user(&user.username).await?;
            app.unlock_account(&user.username).await?;
            app.audit_user(&user, "user_removed", "cli", "").await?;
            println!("removed {}", user.username);
        }
        UserCommand::Unlock { name } => {
            let name = valid_username(&name)?;
            if app.unlock_account(&name).await? {
                app.audit(&name, "unlocked", "cli", "").await?;
                println!("{name} unlocked");
            } else {
                println!("{name} had no failed sign-ins on record");
            }
        }
        UserCommand::Pass {
            name,
            hours,
            once: _,
            reusable,
            revoke,
            by,
        } => pass(app, &name, hours, reusable, revoke, by).await?,
        UserCommand::Show { name } => show(app, &name).await?,
        UserCommand::List => {
            for (name, devices, from_directory) in app.store.list_users().await? {
                let source = if from_directory { "directory" } else { "local" };
                println!("{name}\t{devices} device(s)\t{source}");
            }
        }
    }
    Ok(())
}

async fn device(app: &AppState, command: DeviceCommand) -> anyhow::Result<()> {
    match command {
        DeviceCommand::List { user } => {
            let user = existing_user(app, &user).await?;
            for device in app.store.active_devices(user.id).await? {
                println!(
                    "{}\tactive since {}",
                    device.name,
                    device.activated_at.unwrap_or(0)
                );
            }
            if let Some(pending) = app.store.pending_device(user.id).await? {
                println!("{}\tpending", pending.name);
            }
        }
        DeviceCommand::Remove { user, name } => {
            let user = existing_user(app, &user).await?;
            let key = name.trim().to_lowercase();
            let Some(device) = app.store.device_by_name(user.id, &key).await? else {
                bail!("{} has no device named {name:?}", user.username);
            };
            app.store.delete_device(user.id, device.id).await?;
            let ended = app.store.delete_user_sessions(user.id, None).await?;
            app.audit(&user.username, "device_removed", &device.name, "cli")
                .await?;
            println!(
                "removed {} of {}; {ended} session(s) ended",
                device.name, user.username
            );
        }
    }
    Ok(())
}

/// `user pass`: a new helpdesk pass, printed once, or `--revoke`.
async fn pass(
    app: &AppState,
    name: &str,
    hours: u32,
    reusable: bool,
    revoke: bool,
    by: Option<String>,
) -> anyhow::Result<()> {
    let user = existing_user(app, name).await?;
    let by = by.unwrap_or_else(operator);
    if revoke {
        if app.revoke_pass(&user, &by).await? {
            println!("the helpdesk pass of {} is revoked", user.username);
        } else {
            println!("{} had no helpdesk pass", user.username);
        }
        return Ok(());
    }
    let issued = app.issue_pass(&user, &by, hours, !reusable).await?;
    let lasting = if reusable { "every use" } else { "one use" };
    println!(
        "helpdesk pass for {}: {}\nvalid until {} (UTC), for {lasting}; it replaces an earlier \
         pass",
        user.username,
        issued.code.expose(),
        utc(issued.expires_at)
    );
    Ok(())
}

/// `user show`: devices, recovery codes left, an open pass.
async fn show(app: &AppState, name: &str) -> anyhow::Result<()> {
    let user = existing_user(app, name).await?;
    let source = if user.directory_id.is_some() {
        "directory"
    } else {
        "local"
    };
    println!("{}\t{source}", user.username);
    for device in app.store.active_devices(user.id).await? {
        let last_use = device.last_used_at.map_or_else(
            || "not used yet".to_owned(),
            |at| format!("last used {}", utc(at)),
        );
        println!(
            "device\t{}\tadded {}\t{last_use}",
            device.name,
            utc(device.activated_at.unwrap_or(device.created_at))
        );
    }
    match app.recovery_codes_left(user.id).await? {
        Some(left) => println!("recovery codes\t{left} left"),
        None => println!("recovery codes\tnone made"),
    }
    match app.store.pass(user.id).await? {
        Some(pass) if pass.is_open(app.clock.now()) => println!(
            "helpdesk pass\topen until {} (UTC), issued by {}{}",
            utc(pass.expires_at),
            pass.issued_by,
            if pass.once { ", one use" } else { "" }
        ),
        _ => println!("helpdesk pass\tnone open"),
    }
    Ok(())
}

/// Who runs the command, for the audit log.
fn operator() -> String {
    ["SUDO_USER", "USER", "LOGNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()))
        .unwrap_or_else(|| "cli".to_owned())
}

/// A Unix time as `2026-12-01 14:05`.
fn utc(at: i64) -> String {
    let seconds = at.rem_euclid(86_400);
    let (year, month, day) = aanmelden_i18n::dates::civil(at);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60
    )
}

fn valid_username(raw: &str) -> anyhow::Result<String> {
    let name = normalise_username(raw);
    if !username_is_valid(&name) {
        bail!("{raw:?} is not a valid user name");
    }
    Ok(name)
}

async fn existing_user(app: &AppState, raw: &str) -> anyhow::Result<crate::store::User> {
    let name = normalise_username(raw);
    app.store
        .find_user(&name)
        .await?
        .with_context(|| format!("no user {name}"))
}

/// A password from standard input: prompted twice on a terminal, else the
/// first line. Never an argument, where `ps` and shell history would show it.
fn read_password() -> anyhow::Result<SecretString> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let again = rpassword::prompt_password("Again: ")?;
        if first != again {
            bail!("the passwords differ");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.chars().count() < MIN_PASSWORD_CHARS {
        bail!("a password has at least {MIN_PASSWORD_CHARS} characters");
    }
    std::io::stdout().flush()?;
    Ok(SecretString::new(password))
}

/// 16 characters from an alphabet without look-alikes (about 90 bits).
fn random_password() -> SecretString {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let password = (0..16)
        .map(|_| {
            let index = OsRng.next_u32() as usize % ALPHABET.len();
            char::from(ALPHABET[index])
        })
        .collect();
    SecretString::new(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_passwords_are_long_and_differ() {
        let a = random_password();
        assert_eq!(a.expose().len(), 16);
        assert_ne!(a, random_password());
    }

    #[test]
    fn cli_parses_admin_commands() {
        let cli =
            Cli::try_parse_from(["aanmelden", "device", "remove", "a@b.nl", "iPhone"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Admin(AdminCommand::Device(DeviceCommand::Remove { .. }))
        ));
        assert!(
            Cli::try_parse_from(["aanmelden", "user", "add", "a@b.nl", "--password", "x"]).is_err()
        );
        assert!(
            Cli::try_parse_from([
                "aanmelden",
                "user",
                "pass",
                "a@b.nl",
                "--once",
                "--reusable"
            ])
            .is_err()
        );
        let cli = Cli::try_parse_from(["aanmelden", "user", "pass", "a@b.nl"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Admin(AdminCommand::User(UserCommand::Pass {
                hours: DEFAULT_PASS_HOURS,
                reusable: false,
                revoke: false,
                ..
            }))
        ));
    }

    #[test]
    fn times_print_as_utc_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00");
        assert_eq!(utc(1_795_000_000), "2026-11-18 11:06");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00");
    }
}
