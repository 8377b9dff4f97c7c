//! A real Active Directory domain controller for a test: Debian's Samba,
//! provisioned by `samba-tool` in a folder of its own (a few seconds), its
//! users made with `samba-tool` (one must change the password, one is
//! disabled, one has expired; three wrong passwords lock an account), and
//! started in a network namespace of its own, so that none of its ports
//! is open on this machine: the test reaches it over a veth pair, by LDAPS
//! with a certificate of a test CA for its address. Stopped, and the
//! namespace removed, when dropped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

use crate::helpers::PASSWORD;

const SAMBA: &str = "/usr/sbin/samba";
const SAMBA_TOOL: &str = "/usr/bin/samba-tool";
const IP: &str = "/usr/sbin/ip";

pub const BASE: &str = "cn=Users,dc=ad,dc=example,dc=test";
pub const SERVICE_DN: &str = "cn=aanmelden,cn=Users,dc=ad,dc=example,dc=test";
pub const SERVICE_PASSWORD: &str = "Service-Secret-123";
/// Wrong passwords in a row that lock an account.
pub const LOCKOUT_THRESHOLD: usize = 3;

/// Each domain controller of this process gets a subnet of its own.
static NEXT: AtomicU8 = AtomicU8::new(1);

pub struct SambaDc {
    /// `ldaps://10.231.N.2`.
    pub url: String,
    /// The test CA its certificate comes from.
    pub ca_file: PathBuf,
    namespace: String,
    child: Option<Child>,
    _dir: tempfile::TempDir,
}

impl SambaDc {
    /// The domain with users `jan` (in `finance`, which is in `staff`),
    /// `moet` (must change the password), `uit` (disabled), `weg`
    /// (expired) and `slot` (to be locked); `None` where Samba is not
    /// installed here (said loudly; an error under CI).
    pub fn start() -> Option<Self> {
        if ![SAMBA, SAMBA_TOOL, IP]
            .iter()
            .all(|tool| Path::new(tool).exists())
        {
            assert!(
                std::env::var_os("CI").is_none(),
                "samba-ad-dc must be installed under CI (cargo xtask test installs it)"
            );
            eprintln!("SKIPPED: Samba is not installed, this test of Active Directory did not run");
            return None;
        }
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id() % 10_000;
        let namespace = format!("aanmelden-ad-{pid}-{n}");
        let (host_side, dc_side) = (format!("ad{pid}h{n}"), format!("ad{pid}d{n}"));
        let (host_ip, dc_ip) = (format!("10.231.{n}.1"), format!("10.231.{n}.2"));
        let dir = tempfile::tempdir().expect("samba folder");
        let root = dir.path();
        crate::slapd::make_certificates(root, &dc_ip);
        provision(root, &dc_ip);
        make_users(root);

        let (ca_file, config) = (root.join("ca.pem"), root.join("etc").join("smb.conf"));
        run(IP, &["netns", "add", &namespace]);
        // From here on the namespace goes with the value, also should a
        // step fail.
        let mut dc = Self {
            url: format!("ldaps://{dc_ip}"),
            ca_file,
            namespace,
            child: None,
            _dir: dir,
        };
        let namespace = dc.namespace.as_str();
        run(
            IP,
            &[
                "link", "add", &host_side, "type", "veth", "peer", "name", &dc_side,
            ],
        );
        run(IP, &["link", "set", &dc_side, "netns", namespace]);
        run(
            IP,
            &["addr", "add", &format!("{host_ip}/30"), "dev", &host_side],
        );
        run(IP, &["link", "set", &host_side, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", namespace, IP];
            all.extend(args);
            run(IP, &all);
        };
        inside(&["addr", "add", &format!("{dc_ip}/30"), "dev", &dc_side]);
        inside(&["link", "set", &dc_side, "up"]);
        inside(&["link", "set", "lo", "up"]);
        dc.child = Some(
            Command::new(IP)
                .args([
                    "netns", "exec", namespace, SAMBA, "-i", "-M", "single", "-s",
                ])
                .arg(config)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start samba"),
        );
        wait_until_it_listens(&dc_ip);
        Some(dc)
    }
}

/// Until LDAPS answers at `dc_ip`.
fn wait_until_it_listens(dc_ip: &str) {
    let address: std::net::SocketAddr = format!("{dc_ip}:636").parse().expect("address");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "samba did not start listening");
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl Drop for SambaDc {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = Command::new(IP)
            .args(["netns", "del", &self.namespace])
            .status();
    }
}

/// A domain in `root` whose only service is LDAP, on `dc_ip`, with LDAPS
/// by the test CA's certificate.
fn provision(root: &Path, dc_ip: &str) {
    let target = root.display().to_string();
    let option = |text: String| format!("--option={text}");
    let mut args = vec![
        "domain".to_owned(),
        "provision".to_owned(),
        format!("--targetdir={target}"),
        "--realm=AD.EXAMPLE.TEST".to_owned(),
        "--domain=EXAMPLE".to_owned(),
        "--adminpass=Admin-Secret-123".to_owned(),
        "--server-role=dc".to_owned(),
        "--dns-backend=NONE".to_owned(),
        "--host-name=dc1".to_owned(),
    ];
    for setting in [
        format!("interfaces = {dc_ip}"),
        "bind interfaces only = yes".to_owned(),
        "server services = ldap".to_owned(),
        "tls enabled = yes".to_owned(),
        format!("tls keyfile = {target}/server.key"),
        format!("tls certfile = {target}/server.pem"),
        format!("tls cafile = {target}/ca.pem"),
        format!("log file = {target}/log.%m"),
        // Nothing under /run: two domain controllers run side by side.
        format!("pid directory = {target}"),
        format!("ncalrpc dir = {target}/ncalrpc"),
        format!("winbindd socket directory = {target}/winbindd"),
        format!("ntp signd socket directory = {target}/ntp_signd"),
    ] {
        args.push(option(setting));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(SAMBA_TOOL, &args);
    // Samba takes a key file only its owner can read.
    let key = root.join("server.key");
    let mut permissions = std::fs::metadata(&key).expect("the key").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o600);
    std::fs::set_permissions(&key, permissions).expect("the key's permissions");
}

/// The service account and the users, in the database before Samba starts.
fn make_users(root: &Path) {
    let database = root.join("private").join("sam.ldb");
    let config = root.join("etc").join("smb.conf");
    let tool = |args: &[&str]| {
        let mut all: Vec<&str> = args.to_vec();
        all.extend([
            "-H",
            database.to_str().expect("path"),
            "-s",
            config.to_str().expect("path"),
        ]);
        run(SAMBA_TOOL, &all);
    };
    // The tests' password is long, but of one kind of character.
    tool(&["domain", "passwordsettings", "set", "--complexity=off"]);
    tool(&["user", "create", "aanmelden", SERVICE_PASSWORD]);
    for user in ["jan", "uit", "weg", "slot"] {
        tool(&[
            "user",
            "create",
            user,
            PASSWORD,
            &format!("--mail-address={user}@ad.example.test"),
        ]);
    }
    tool(&[
        "user",
        "create",
        "moet",
        PASSWORD,
        "--must-change-at-next-login",
    ]);
    tool(&["user", "disable", "uit"]);
    tool(&["user", "setexpiry", "weg", "--days=0"]);
    tool(&["group", "add", "finance"]);
    tool(&["group", "add", "staff"]);
    tool(&["group", "addmembers", "finance", "jan"]);
    tool(&["group", "addmembers", "staff", "finance"]);
    tool(&[
        "domain",
        "passwordsettings",
        "set",
        &format!("--account-lockout-threshold={LOCKOUT_THRESHOLD}"),
    ]);
}

fn run(program: &str, args: &[&str]) {
    let done = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run a tool");
    assert!(
        done.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&done.stderr)
    );
}
