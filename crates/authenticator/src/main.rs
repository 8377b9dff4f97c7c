//! `aanmelden-authenticator`: a phone on the command line. Keeps tokens
//! from the portal's QR code (its otpauth URI), shows their codes, and
//! approves or denies push sign-ins with the number the browser shows.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aanmelden_api::{ChallengeAnswer, PendingChallenge};
use aanmelden_authenticator::client::{Client, ClientError};
use aanmelden_authenticator::lang::Lang;
use aanmelden_authenticator::store;
use aanmelden_authenticator::token::Token;
use clap::{Parser, Subcommand};

/// A command-line authenticator for aanmelden.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// The token file (default: ~/.config/aanmelden/tokens.json).
    #[arg(long, env = "AANMELDEN_AUTHENTICATOR_STORE", global = true)]
    store: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add a token from the otpauth:// URI behind the portal's QR code.
    Add { uri: String },
    /// List the tokens.
    List,
    /// Show the current six-digit code.
    Code {
        /// Which token: its number in `list`, or part of its name.
        device: Option<String>,
    },
    /// Wait for sign-ins and ask for each: type the number the browser shows.
    Watch {
        /// Which token.
        device: Option<String>,
    },
    /// Approve the oldest waiting sign-in with the number the browser shows.
    Approve {
        /// The number shown in the browser.
        #[arg(long)]
        number: u8,
        /// Which token.
        device: Option<String>,
    },
    /// Deny the oldest waiting sign-in.
    Deny {
        /// Which token.
        device: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("aanmelden-authenticator: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let path = cli
        .store
        .or_else(store::default_path)
        .ok_or("no configuration folder: set --store or AANMELDEN_AUTHENTICATOR_STORE")?;
    let lang = Lang::from_env();
    let mut tokens = store::load(&path)?;
    match cli.command {
        Command::Add { uri } => {
            let token = Token::from_uri(uri.trim()).map_err(|e| e.to_string())?;
            let label = token.label();
            tokens.retain(|t| !(t.label() == label && t.device_id == token.device_id));
            tokens.push(token);
            store::save(&path, &tokens)?;
            println!("{} {label}", lang.pick("Toegevoegd:", "Added:"));
        }
        Command::List => {
            for (number, token) in tokens.iter().enumerate() {
                let push = match (&token.server, token.device_id) {
                    (Some(server), Some(id)) => format!(" ({server}, device {id})"),
                    _ => String::new(),
                };
                println!("{}. {}{push}", number + 1, token.label());
            }
        }
        Command::Code { device } => {
            let token = pick(&tokens, device.as_deref())?;
            println!("{}", token.code_at(u64::try_from(now()).unwrap_or(0)));
        }
        Command::Watch { device } => watch(pick(&tokens, device.as_deref())?, lang)?,
        Command::Approve { number, device } => {
            let token = pick(&tokens, device.as_deref())?;
            answer_oldest(token, ChallengeAnswer::Approve { number }, lang)?;
            println!("{}", lang.pick("Goedgekeurd.", "Approved."));
        }
        Command::Deny { device } => {
            let token = pick(&tokens, device.as_deref())?;
            answer_oldest(token, ChallengeAnswer::Deny, lang)?;
            println!("{}", lang.pick("Geweigerd.", "Denied."));
        }
    }
    Ok(())
}

/// The token `which` names (its number in `list`, or part of its name);
/// without `which`, the only one.
fn pick<'a>(tokens: &'a [Token], which: Option<&str>) -> Result<&'a Token, String> {
    let found = match which {
        None if tokens.len() == 1 => tokens.first(),
        None if tokens.is_empty() => {
            return Err("no tokens yet: add one with `aanmelden-authenticator add URI`".into());
        }
        None => return Err("several tokens: say which (see `list`)".into()),
        Some(which) => which
            .parse::<usize>()
            .ok()
            .and_then(|n| tokens.get(n.wrapping_sub(1)))
            .or_else(|| tokens.iter().find(|t| t.label().contains(which))),
    };
    found.ok_or_else(|| format!("no token matches {which:?} (see `list`)"))
}

fn answer_oldest(token: &Token, answer: ChallengeAnswer, lang: Lang) -> Result<(), String> {
    let client = Client::new(token).map_err(|e| e.to_string())?;
    let pending = client.pending(now()).map_err(|e| e.to_string())?;
    let Some(challenge) = pending.first() else {
        return Err(lang
            .pick("er wacht geen aanmelding", "no sign-in is waiting")
            .to_owned());
    };
    client
        .answer(&challenge.id, answer, now())
        .map_err(|e| explain(&e, lang))
}

/// Ask for every sign-in that comes in, until interrupted.
fn watch(token: &Token, lang: Lang) -> Result<(), String> {
    let client = Client::new(token).map_err(|e| e.to_string())?;
    println!(
        "{}",
        lang.pick(
            "Wachten op aanmeldingen (Ctrl-C stopt)...",
            "Waiting for sign-ins (Ctrl-C stops)..."
        )
    );
    let mut answered: Vec<String> = Vec::new();
    let stdin = std::io::stdin();
    loop {
        match client.pending(now()) {
            Ok(pending) => {
                for challenge in pending {
                    if answered.contains(&challenge.id) {
                        continue;
                    }
                    answered.push(challenge.id.clone());
                    let answer = ask(&challenge, lang, &mut stdin.lock())?;
                    match client.answer(&challenge.id, answer, now()) {
                        Ok(()) if matches!(answer, ChallengeAnswer::Deny) => {
                            println!("{}", lang.pick("Geweigerd.", "Denied."));
                        }
                        Ok(()) => println!("{}", lang.pick("Goedgekeurd.", "Approved.")),
                        Err(e) => println!("{}", explain(&e, lang)),
                    }
                }
            }
            Err(e @ ClientError::Unreachable { .. }) => eprintln!("{e}"),
            Err(e) => return Err(e.to_string()),
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Who, from where, when; then the number, or nothing to deny.
fn ask(
    challenge: &PendingChallenge,
    lang: Lang,
    input: &mut impl BufRead,
) -> Result<ChallengeAnswer, String> {
    let ago = now() - challenge.created_at;
    println!(
        "\n{} {}\n{} {}\n{} {ago} s",
        lang.pick("Aanmelding van", "Sign-in by"),
        challenge.username,
        lang.pick("vanaf adres", "from address"),
        challenge.client,
        lang.pick("gestart", "started"),
    );
    print!(
        "{}",
        lang.pick(
            "Typ het getal uit de browser (leeg = weigeren): ",
            "Type the number from the browser (empty = deny): "
        )
    );
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut line = String::new();
    input.read_line(&mut line).map_err(|e| e.to_string())?;
    Ok(match line.trim().parse::<u8>() {
        Ok(number) => ChallengeAnswer::Approve { number },
        Err(_) => ChallengeAnswer::Deny,
    })
}

fn explain(error: &ClientError, lang: Lang) -> String {
    match error {
        ClientError::Refused(aanmelden_api::ErrorCode::PushDenied) => lang
            .pick(
                "Onjuist getal: de aanmelding is geweigerd.",
                "Wrong number: the sign-in is denied.",
            )
            .to_owned(),
        ClientError::Refused(aanmelden_api::ErrorCode::PushExpired) => lang
            .pick(
                "Deze aanmelding is verlopen of vervangen.",
                "This sign-in has expired or was replaced.",
            )
            .to_owned(),
        other => other.to_string(),
    }
}

/// The one place that reads the clock.
#[allow(clippy::disallowed_methods)]
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
