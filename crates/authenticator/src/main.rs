//! `aanmelden-authenticator`: a phone on the command line. Keeps tokens
//! from the portal's QR code (its otpauth URI), shows their codes, and
//! approves or denies push sign-ins with the number the browser shows.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aanmelden_api::platform::{BrowserFamily, Os};
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
    /// Add a token from the otpauth:// URI behind the portal's QR code,
    /// read from standard input, or from FILE. Never as an argument, where
    /// the process list and the shell's history would show the secret.
    Add {
        /// A file holding the URI; `-` or nothing: standard input.
        file: Option<PathBuf>,
    },
    /// List the tokens.
    List,
    /// Show the current six-digit code.
    Code {
        /// Which token: its number in `list`, or part of its name.
        device: Option<String>,
    },
    /// List the sign-ins waiting for an answer: who, from which address and
    /// browser, since when.
    Pending {
        /// Which token.
        device: Option<String>,
    },
    /// List the devices of the token's account: each one added, and when
    /// it was last used.
    Devices {
        /// Which token.
        device: Option<String>,
    },
    /// Wait for sign-ins and ask for each: type the number the browser shows.
    Watch {
        /// Which token.
        device: Option<String>,
    },
    /// Approve a waiting sign-in with the number the browser shows.
    Approve {
        /// The number shown in the browser.
        #[arg(long)]
        number: u8,
        /// Which sign-in (its id in `pending`, or the start of it); needed
        /// when more than one is waiting.
        #[arg(long)]
        id: Option<String>,
        /// Which token.
        device: Option<String>,
    },
    /// Deny a waiting sign-in.
    Deny {
        /// Which sign-in, as for `approve`.
        #[arg(long)]
        id: Option<String>,
        /// "Dit was ik niet" / "This wasn't me": report it, which may lock
        /// the account against whoever tried.
        #[arg(long)]
        not_me: bool,
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
        Command::Add { file } => {
            let uri = read_uri(file.as_deref(), lang)?;
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
        Command::Pending { device } => {
            let token = pick(&tokens, device.as_deref())?;
            let client = Client::new(token).map_err(|e| e.to_string())?;
            let pending = client.pending(now()).map_err(|e| e.to_string())?;
            if pending.is_empty() {
                println!(
                    "{}",
                    lang.pick("Er wacht geen aanmelding.", "No sign-in is waiting.")
                );
            }
            for challenge in &pending {
                println!("{}", describe(challenge, lang));
            }
        }
        Command::Devices { device } => {
            let token = pick(&tokens, device.as_deref())?;
            let client = Client::new(token).map_err(|e| e.to_string())?;
            for listed in client.devices(now()).map_err(|e| explain(&e, lang))? {
                let used = listed.last_used_at.map_or_else(
                    || lang.pick("nog niet gebruikt", "not used yet").to_owned(),
                    |at| format!("{} {}", lang.pick("laatst gebruikt", "last used"), day(at)),
                );
                println!(
                    "{}  {} {}  {used}",
                    listed.name,
                    lang.pick("toegevoegd", "added"),
                    day(listed.activated_at)
                );
            }
        }
        Command::Watch { device } => watch(pick(&tokens, device.as_deref())?, lang)?,
        Command::Approve { number, id, device } => {
            let token = pick(&tokens, device.as_deref())?;
            answer_one(
                token,
                id.as_deref(),
                ChallengeAnswer::Approve { number },
                lang,
            )?;
            println!("{}", lang.pick("Goedgekeurd.", "Approved."));
        }
        Command::Deny { id, not_me, device } => {
            let token = pick(&tokens, device.as_deref())?;
            let answer = if not_me {
                ChallengeAnswer::NotMe
            } else {
                ChallengeAnswer::Deny
            };
            answer_one(token, id.as_deref(), answer, lang)?;
            println!("{}", said(answer, lang));
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

/// The URI from `file`, or from standard input (`-` or none). A URI given
/// where the file belongs is refused: it would stay in the shell's history.
fn read_uri(file: Option<&Path>, lang: Lang) -> Result<String, String> {
    match file {
        Some(path) if path.to_string_lossy().starts_with("otpauth:") => Err(lang
            .pick(
                "geef de URI via standaardinvoer of een bestand, niet als argument: \
                 de geschiedenis van de shell en de proceslijst zouden het geheim tonen",
                "give the URI on standard input or in a file, not as an argument: \
                 the shell's history and the process list would show the secret",
            )
            .to_owned()),
        Some(path) if path != Path::new("-") => {
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
        }
        _ => {
            let mut uri = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut uri)
                .map_err(|e| e.to_string())?;
            Ok(uri)
        }
    }
}

/// Answer the sign-in `id` names (the start of its id), or the only one
/// waiting; with several waiting and no `id`, ask which.
fn answer_one(
    token: &Token,
    id: Option<&str>,
    answer: ChallengeAnswer,
    lang: Lang,
) -> Result<(), String> {
    let client = Client::new(token).map_err(|e| e.to_string())?;
    let pending = client.pending(now()).map_err(|e| e.to_string())?;
    let mut matching = pending
        .iter()
        .filter(|c| id.is_none_or(|id| !id.is_empty() && c.id.starts_with(id)));
    let (Some(challenge), None) = (matching.next(), matching.next()) else {
        return Err(match (pending.len(), id) {
            (0, _) => lang.pick("er wacht geen aanmelding", "no sign-in is waiting"),
            (_, None) => lang.pick(
                "er wachten meer aanmeldingen: kies er een met --id (zie `pending`)",
                "several sign-ins are waiting: choose one with --id (see `pending`)",
            ),
            (_, Some(_)) => lang.pick(
                "geen (of meer dan één) wachtende aanmelding met dat id (zie `pending`)",
                "no (or more than one) waiting sign-in with that id (see `pending`)",
            ),
        }
        .to_owned());
    };
    client
        .answer(&challenge.id, answer, now())
        .map_err(|e| explain(&e, lang))
}

/// The day of `at`, `2026-12-01` (UTC).
fn day(at: i64) -> String {
    aanmelden_i18n::dates::date(at, aanmelden_i18n::Lang::En)
}

/// One line for a waiting sign-in: id, who, from where, which browser, when.
fn describe(challenge: &PendingChallenge, lang: Lang) -> String {
    format!(
        "{}  {}  {} {}  browser {}  {} {} s",
        challenge.id,
        challenge.username,
        lang.pick("vanaf", "from"),
        challenge.client,
        browser_of(challenge),
        lang.pick("gestart", "started"),
        now() - challenge.created_at,
    )
}

/// The browser a sign-in comes from: its family and system, in the
/// server's fixed words ("?" where it could not tell), never text of the
/// browser's own.
fn browser_of(challenge: &PendingChallenge) -> String {
    format!(
        "{}, {}",
        challenge.browser.map_or("?", BrowserFamily::name),
        challenge.os.map_or("?", Os::name),
    )
}

/// What the program says after an answer.
fn said(answer: ChallengeAnswer, lang: Lang) -> &'static str {
    match answer {
        ChallengeAnswer::Approve { .. } => lang.pick("Goedgekeurd.", "Approved."),
        ChallengeAnswer::Deny => lang.pick("Geweigerd.", "Denied."),
        ChallengeAnswer::NotMe => lang.pick(
            "Geweigerd en gemeld: dit was ik niet.",
            "Denied and reported: this wasn't me.",
        ),
    }
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
                        Ok(()) => println!("{}", said(answer, lang)),
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

/// Who, from where and which browser, when; then the number, nothing to
/// deny, or `x` for "this wasn't me".
fn ask(
    challenge: &PendingChallenge,
    lang: Lang,
    input: &mut impl BufRead,
) -> Result<ChallengeAnswer, String> {
    let ago = now() - challenge.created_at;
    println!(
        "\n{} {}\n{} {}\nin browser {}\n{} {ago} s",
        lang.pick("Aanmelding van", "Sign-in by"),
        challenge.username,
        lang.pick("vanaf adres", "from address"),
        challenge.client,
        browser_of(challenge),
        lang.pick("gestart", "started"),
    );
    print!(
        "{}",
        lang.pick(
            "Typ het getal uit de browser (leeg = weigeren, x = dit was ik niet): ",
            "Type the number from the browser (empty = deny, x = this wasn't me): "
        )
    );
    std::io::stdout().flush().map_err(|e| e.to_string())?;
    let mut line = String::new();
    input.read_line(&mut line).map_err(|e| e.to_string())?;
    let line = line.trim();
    Ok(match line.parse::<u8>() {
        Ok(number) => ChallengeAnswer::Approve { number },
        Err(_) if line.eq_ignore_ascii_case("x") => ChallengeAnswer::NotMe,
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
