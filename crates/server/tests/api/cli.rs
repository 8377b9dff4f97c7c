//! The `aanmelden` binary itself: first start with no configuration, and the
//! admin commands.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aanmelden_api::{Step, StepResponse};

const BINARY: &str = env!("CARGO_BIN_EXE_aanmelden");

/// `aanmelden ARGS` in `dir`, with `stdin` on standard input.
fn aanmelden(dir: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BINARY)
        .args(args)
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Kills the server when the test ends, however it ends.
struct Server(Child);

/// `aanmelden ARGS` serving on a free port in `dir`, with no configuration;
/// its standard output and error, line by line.
fn serve(dir: &Path, args: &[&str]) -> (Server, mpsc::Receiver<String>, mpsc::Receiver<String>) {
    let mut server = Server(
        Command::new(BINARY)
            .args(args)
            .current_dir(dir)
            .env("AANMELDEN_LISTEN", "127.0.0.1:0")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = drain(server.0.stdout.take().unwrap());
    let stderr = drain(server.0.stderr.take().unwrap());
    (server, stdout, stderr)
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The lines of a child's output as they come. The pipe is read to its end,
/// so the child never writes into a closed pipe.
fn drain(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (lines, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    receiver
}

/// The first line for which `find` gives something, waiting at most `wait`.
fn first_match<T>(
    lines: &mpsc::Receiver<String>,
    wait: Duration,
    find: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let deadline = Instant::now() + wait;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        if let Some(found) = find(&lines.recv_timeout(left).ok()?) {
            return Some(found);
        }
    }
}

#[tokio::test]
async fn first_start_with_demo_prints_a_demo_user_that_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, stdout, stderr) = serve(dir.path(), &["serve", "--demo"]);
    let wait = Duration::from_mins(1);

    let password = first_match(&stdout, wait, |line| {
        line.trim()
            .strip_prefix("password:")
            .map(|p| p.trim().to_owned())
    })
    .expect("the demo password on standard output");
    let address = first_match(&stderr, wait, |line| {
        line.split("listens on http://")
            .nth(1)
            .map(|a| a.trim().to_owned())
    })
    .expect("the address in the log");

    let data = dir.path().join("data");
    assert_eq!(mode(&data.join("secret.key")), 0o600);
    assert_eq!(mode(&data.join("aanmelden.db")), 0o600);
    assert_eq!(mode(&data), 0o700, "the data folder is the owner's only");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let api = format!("http://{address}/api/v1");
    client
        .post(format!("{api}/login/identify"))
        .json(&serde_json::json!({ "username": "testgebruiker@missingpiece.nl" }))
        .send()
        .await
        .unwrap();
    let step: StepResponse = client
        .post(format!("{api}/login/password"))
        .json(&serde_json::json!({ "password": password }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(step.next, Step::RegisterDevice);
}

#[test]
fn serve_creates_no_demo_user_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let (server, stdout_lines, stderr) = serve(dir.path(), &["serve"]);
    first_match(&stderr, Duration::from_mins(1), |line| {
        line.contains("listens on").then_some(())
    })
    .expect("the server starts");
    drop(server);

    assert!(
        stdout_lines
            .try_iter()
            .all(|line| !line.contains("password"))
    );
    let users = aanmelden(dir.path(), &["user", "list"], "");
    assert!(users.status.success(), "{users:?}");
    assert_eq!(stdout(&users), "");
}

#[test]
fn a_wrong_or_missing_key_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let first = aanmelden(
        dir.path(),
        &["user", "add", "jan@missingpiece.nl"],
        "een lang wachtwoord\n",
    );
    assert!(first.status.success(), "{first:?}");
    let key = dir.path().join("data").join("secret.key");
    let original = std::fs::read_to_string(&key).unwrap();

    let other_key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let wrong = Command::new(BINARY)
        .args(["user", "list"])
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env("AANMELDEN_ENCRYPTION_KEY", other_key)
        .output()
        .unwrap();
    assert!(!wrong.status.success());
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(said.contains("encryption key does not open"), "{said}");

    std::fs::remove_file(&key).unwrap();
    let missing = aanmelden(dir.path(), &["user", "list"], "");
    assert!(!missing.status.success());
    let said = String::from_utf8_lossy(&missing.stderr);
    assert!(said.contains("is missing"), "{said}");
    assert!(!key.exists(), "no new key is made in its place");

    std::fs::write(&key, original).unwrap();
    assert!(
        aanmelden(dir.path(), &["user", "list"], "")
            .status
            .success()
    );
}

#[test]
fn admin_commands_manage_users_and_never_take_a_password_argument() {
    let dir = tempfile::tempdir().unwrap();
    let user = "jan@missingpiece.nl";

    let added = aanmelden(
        dir.path(),
        &["user", "add", " Jan@MissingPiece.nl "],
        "een lang wachtwoord\n",
    );
    assert!(added.status.success(), "{added:?}");
    let again = aanmelden(dir.path(), &["user", "add", user], "een lang wachtwoord\n");
    assert!(!again.status.success());
    let short = aanmelden(
        dir.path(),
        &["user", "add", "kort@missingpiece.nl"],
        "kort\n",
    );
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 8"));
    let as_argument = aanmelden(dir.path(), &["user", "add", "x@y.nl", "geheim123"], "");
    assert!(!as_argument.status.success());

    let listed = aanmelden(dir.path(), &["user", "list"], "");
    assert_eq!(stdout(&listed), format!("{user}\t0 device(s)\tlocal\n"));
    assert!(!stdout(&listed).contains("kort@"));

    let passwd = aanmelden(
        dir.path(),
        &["user", "passwd", user],
        "een ander wachtwoord\n",
    );
    assert!(passwd.status.success(), "{passwd:?}");
    let nobody = aanmelden(
        dir.path(),
        &["user", "passwd", "niemand@x.nl"],
        "een ander wachtwoord\n",
    );
    assert!(!nobody.status.success());

    let devices = aanmelden(dir.path(), &["device", "list", user], "");
    assert!(devices.status.success());
    assert_eq!(stdout(&devices), "");
    let remove = aanmelden(dir.path(), &["device", "remove", user, "iPhone"], "");
    assert!(!remove.status.success());

    let named = aanmelden(dir.path(), &["user", "name", user, " Jan de Vries "], "");
    assert!(named.status.success(), "{named:?}");
    assert_eq!(
        stdout(&named),
        format!("full name of {user} set to Jan de Vries\n")
    );
    for bad in ["", "Jan\u{202E}seirV", "Jan\nde Vries"] {
        let refused = aanmelden(dir.path(), &["user", "name", user, bad], "");
        assert!(!refused.status.success(), "{bad:?}");
    }
    assert!(
        !aanmelden(dir.path(), &["user", "name", "niemand@x.nl", "X"], "")
            .status
            .success()
    );
    let cleared = aanmelden(dir.path(), &["user", "name", user], "");
    assert_eq!(stdout(&cleared), format!("full name of {user} cleared\n"));

    let unlock = aanmelden(dir.path(), &["user", "unlock", user], "");
    assert!(unlock.status.success());

    let disabled = aanmelden(dir.path(), &["user", "disable", user], "");
    assert!(disabled.status.success(), "{disabled:?}");
    let enabled = aanmelden(dir.path(), &["user", "enable", user], "");
    assert!(enabled.status.success(), "{enabled:?}");

    let audit = stdout(&aanmelden(dir.path(), &["audit"], ""));
    assert!(audit.contains("user_added") && audit.contains("password_set"));
    assert!(audit.contains("user_disabled") && audit.contains("user_enabled"));
    assert!(audit.contains("name_set"));
    assert!(!audit.contains("wachtwoord"));

    let removed = aanmelden(dir.path(), &["user", "remove", user], "");
    assert!(removed.status.success(), "{removed:?}");
    assert_eq!(stdout(&aanmelden(dir.path(), &["user", "list"], "")), "");
    assert!(
        !aanmelden(dir.path(), &["user", "remove", user], "")
            .status
            .success()
    );
}

#[test]
fn the_helpdesk_issues_shows_and_revokes_a_pass() {
    let dir = tempfile::tempdir().unwrap();
    let user = "jan@missingpiece.nl";
    let added = aanmelden(dir.path(), &["user", "add", user], "een lang wachtwoord\n");
    assert!(added.status.success(), "{added:?}");

    let issued = aanmelden(
        dir.path(),
        &[
            "user",
            "pass",
            user,
            "--hours",
            "4",
            "--by",
            "helpdesk.jansen",
        ],
        "",
    );
    assert!(issued.status.success(), "{issued:?}");
    let printed = stdout(&issued);
    let pass = printed
        .lines()
        .next()
        .and_then(|line| line.strip_prefix(&format!("helpdesk pass for {user}: ")))
        .unwrap_or_else(|| panic!("{printed}"))
        .to_owned();
    assert_eq!(pass.len(), 14, "{pass}");
    assert!(printed.contains("for one use"), "{printed}");

    let shown = stdout(&aanmelden(dir.path(), &["user", "show", user], ""));
    assert!(shown.starts_with(&format!("{user}\tlocal\n")), "{shown}");
    assert!(shown.contains("recovery codes\tnone made"), "{shown}");
    assert!(
        shown.contains("helpdesk pass\topen until ")
            && shown.contains("issued by helpdesk.jansen, one use"),
        "{shown}"
    );
    assert!(!shown.contains(&pass), "{shown}");

    for refused in [
        vec!["user", "pass", user, "--hours", "721"],
        vec!["user", "pass", user, "--hours", "0"],
        vec!["user", "pass", user, "--once", "--reusable"],
        vec!["user", "pass", "niemand@x.nl"],
    ] {
        assert!(
            !aanmelden(dir.path(), &refused, "").status.success(),
            "{refused:?}"
        );
    }

    let revoked = aanmelden(
        dir.path(),
        &[
            "user",
            "pass",
            user,
            "--revoke",
            "--by",
            "helpdesk.de.vries",
        ],
        "",
    );
    assert_eq!(
        stdout(&revoked),
        format!("the helpdesk pass of {user} is revoked\n")
    );
    let shown = stdout(&aanmelden(dir.path(), &["user", "show", user], ""));
    assert!(shown.contains("helpdesk pass\tnone open"), "{shown}");

    let audit = stdout(&aanmelden(dir.path(), &["audit"], ""));
    assert!(
        audit.contains("pass_issued\tby helpdesk.jansen, 4 h, once"),
        "{audit}"
    );
    assert!(
        audit.contains("pass_revoked\tby helpdesk.de.vries"),
        "{audit}"
    );
    assert!(!audit.contains(&pass) && !audit.contains(&pass.replace('-', "")));
}

#[tokio::test]
async fn a_directory_user_is_listed_so_and_keeps_the_directorys_password() {
    let dir = tempfile::tempdir().unwrap();
    let added = aanmelden(
        dir.path(),
        &["user", "add", "lokaal@x.nl"],
        "een lang wachtwoord\n",
    );
    assert!(added.status.success(), "{added:?}");
    let url = format!(
        "sqlite://{}",
        dir.path().join("data").join("aanmelden.db").display()
    );
    let store = aanmelden_server::store::Store::connect(&url).await.unwrap();
    let account = aanmelden_server::directory::Account {
        directory_id: "81c5ef08-8117-1041-9c43-6d510a71fc63".to_owned(),
        username: "jan@example.test".to_owned(),
        display_name: Some("Jan Jansen".to_owned()),
        email: Some("jan@example.test".to_owned()),
        groups: Vec::new(),
    };
    store.directory_user(&account, 0).await.unwrap().unwrap();
    store.close().await;

    let listed = aanmelden(dir.path(), &["user", "list"], "");
    assert_eq!(
        stdout(&listed),
        "jan@example.test\t0 device(s)\tdirectory\nlokaal@x.nl\t0 device(s)\tlocal\n"
    );
    let passwd = aanmelden(
        dir.path(),
        &["user", "passwd", "jan@example.test"],
        "een ander wachtwoord\n",
    );
    assert!(!passwd.status.success());
    assert!(
        String::from_utf8_lossy(&passwd.stderr).contains("comes from the company directory"),
        "{passwd:?}"
    );
}
