//! A real `OpenLDAP` server (Debian's slapd) for a test: its configuration
//! and database in a folder of its own, loaded from LDIF before it starts,
//! listening on free ports of 127.0.0.1 (plain LDAP, which takes
//! `StartTLS`, and LDAPS, with a certificate of a test CA made by openssl),
//! and stopped when dropped.

use std::collections::HashSet;
use std::fmt::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ldap3::{LdapConnAsync, Mod};

/// Where Debian puts slapd and slapadd, and openssl.
const SLAPD: &str = "/usr/sbin/slapd";
const SLAPADD: &str = "/usr/sbin/slapadd";
const OPENSSL: &str = "/usr/bin/openssl";

/// The directory's suffix, its administrator and the users' folder.
pub const SUFFIX: &str = "dc=example,dc=test";
pub const ADMIN_DN: &str = "cn=admin,dc=example,dc=test";
const ADMIN_PASSWORD: &str = "admin secret";
pub const PEOPLE: &str = "ou=people,dc=example,dc=test";
pub const GROUPS: &str = "ou=groups,dc=example,dc=test";

/// The password policy of [`Slapd::with_password_policy`], and how many
/// wrong passwords in a row lock an account under it.
const POLICY_DN: &str = "cn=default,ou=policies,dc=example,dc=test";
pub const MAX_FAILURES: usize = 3;

/// The service account the portal searches with.
pub const SERVICE_DN: &str = "cn=aanmelden,ou=services,dc=example,dc=test";
pub const SERVICE_PASSWORD: &str = "service secret";

/// A running slapd.
pub struct Slapd {
    /// `ldap://127.0.0.1:PORT` (`StartTLS` offered).
    pub url: String,
    /// `ldaps://127.0.0.1:PORT`.
    pub ldaps_url: String,
    /// The CA (PEM) of slapd's certificate, which names 127.0.0.1.
    pub ca_file: std::path::PathBuf,
    /// A CA that did not sign it.
    pub other_ca_file: std::path::PathBuf,
    pub address: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Slapd {
    /// slapd with the base entries, the service account and `users`
    /// (`(uid, mail, full name, password)`), on a free port; `None` when
    /// slapd is not installed here (said loudly; an error under CI).
    pub fn with_users(users: &[(&str, &str, &str, &str)]) -> Option<Self> {
        Self::with(users, &[])
    }

    /// As [`Slapd::with_users`], and `groups` (`groupOfNames` under
    /// [`GROUPS`]): each a name and its members, a user's uid or, for a
    /// group in the group, `group:` and its name.
    pub fn with(users: &[(&str, &str, &str, &str)], groups: &[(&str, &[&str])]) -> Option<Self> {
        Self::start(users, groups, None)
    }

    /// As [`Slapd::with_users`], with the password policy overlay
    /// (ppolicy): [`MAX_FAILURES`] wrong passwords lock an account, a
    /// password reset by the administrator (`pwdReset`) must be changed,
    /// and the passwords of `expired` (uids), last changed in 2000, have
    /// expired (a year's age).
    pub fn with_password_policy(
        users: &[(&str, &str, &str, &str)],
        expired: &[&str],
    ) -> Option<Self> {
        Self::start(users, &[], Some(expired))
    }

    fn start(
        users: &[(&str, &str, &str, &str)],
        groups: &[(&str, &[&str])],
        policy: Option<&[&str]>,
    ) -> Option<Self> {
        if !Path::new(SLAPD).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "slapd must be installed under CI (cargo xtask test installs it)"
            );
            eprintln!("SKIPPED: {SLAPD} is not installed, this test of the directory did not run");
            return None;
        }
        let dir = tempfile::tempdir().expect("slapd folder");
        let root = dir.path();
        std::fs::create_dir(root.join("data")).expect("slapd data folder");
        make_certificates(root, "127.0.0.1");
        let config = format!(
            "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
{modules}pidfile {root}/slapd.pid
argsfile {root}/slapd.args
TLSCACertificateFile {root}/ca.pem
TLSCertificateFile {root}/server.pem
TLSCertificateKeyFile {root}/server.key
database mdb
maxsize 10485760
suffix \"{SUFFIX}\"
rootdn \"{ADMIN_DN}\"
rootpw \"{ADMIN_PASSWORD}\"
directory {root}/data
access to attrs=userPassword by self write by anonymous auth by * none
access to * by users read by * none
{overlay}",
            root = root.display(),
            modules = if policy.is_some() {
                "moduleload ppolicy\n"
            } else {
                ""
            },
            overlay = if policy.is_some() {
                format!("overlay ppolicy\nppolicy_default \"{POLICY_DN}\"\nppolicy_use_lockout\n")
            } else {
                String::new()
            },
        );
        let config_file = root.join("slapd.conf");
        std::fs::write(&config_file, config).expect("slapd.conf");
        let mut ldif = ldif(users, groups);
        if let Some(expired) = policy {
            let _ = write!(
                ldif,
                "dn: ou=policies,{SUFFIX}\nobjectClass: organizationalUnit\nou: policies\n\n\
                 dn: {POLICY_DN}\nobjectClass: device\nobjectClass: pwdPolicy\ncn: default\n\
                 pwdAttribute: userPassword\npwdMaxAge: 31536000\npwdMustChange: TRUE\n\
                 pwdLockout: TRUE\npwdMaxFailure: {MAX_FAILURES}\npwdAllowUserChange: TRUE\n\n"
            );
            // Loaded as slapadd takes operational attributes: set, not
            // changed by a bind.
            for uid in expired {
                ldif = ldif.replace(
                    &format!("dn: uid={uid},{PEOPLE}\n"),
                    &format!("dn: uid={uid},{PEOPLE}\npwdChangedTime: 20000101000000Z\n"),
                );
            }
        }
        let ldif_file = root.join("data.ldif");
        std::fs::write(&ldif_file, ldif).expect("data.ldif");
        let loaded = Command::new(SLAPADD)
            .arg("-f")
            .arg(&config_file)
            .arg("-l")
            .arg(&ldif_file)
            .stdout(Stdio::null())
            .status()
            .expect("run slapadd");
        assert!(loaded.success(), "slapadd failed");
        let port = free_port();
        let url = format!("ldap://127.0.0.1:{port}");
        let ldaps_url = format!("ldaps://127.0.0.1:{}", free_port());
        let child = Command::new(SLAPD)
            .args(["-d", "0", "-f"])
            .arg(&config_file)
            .arg("-h")
            .arg(format!("{url}/ {ldaps_url}/"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start slapd");
        let slapd = Self {
            url,
            ldaps_url,
            ca_file: root.join("ca.pem"),
            other_ca_file: root.join("other-ca.pem"),
            address: SocketAddr::from(([127, 0, 0, 1], port)),
            child,
            _dir: dir,
        };
        slapd.wait_until_it_listens();
        Some(slapd)
    }

    fn wait_until_it_listens(&self) {
        let ldaps_port: u16 = self.ldaps_url.rsplit(':').next().unwrap().parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        for address in [self.address, SocketAddr::from(([127, 0, 0, 1], ldaps_port))] {
            while std::net::TcpStream::connect(address).is_err() {
                assert!(Instant::now() < deadline, "slapd did not start listening");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// A connection bound as the directory's administrator.
    async fn admin(&self) -> ldap3::Ldap {
        let (connection, mut ldap) = LdapConnAsync::new(&self.url).await.expect("connect");
        ldap3::drive!(connection);
        ldap.simple_bind(ADMIN_DN, ADMIN_PASSWORD)
            .await
            .expect("bind")
            .success()
            .expect("the administrator's bind");
        ldap
    }

    /// As the directory's administrator: replace `attribute` of `dn` with
    /// `value`.
    pub async fn replace(&self, dn: &str, attribute: &str, value: &str) {
        let mut ldap = self.admin().await;
        ldap.modify(dn, vec![Mod::Replace(attribute, HashSet::from([value]))])
            .await
            .expect("modify")
            .success()
            .expect("the change");
        let _ = ldap.unbind().await;
    }

    /// As the directory's administrator: take `member` (as in
    /// [`Slapd::with`]) out of the group `group`.
    pub async fn leave_group(&self, group: &str, member: &str) {
        let member = member_dn(member);
        let mut ldap = self.admin().await;
        ldap.modify(
            &format!("cn={group},{GROUPS}"),
            vec![Mod::Delete("member", HashSet::from([member.as_str()]))],
        )
        .await
        .expect("modify")
        .success()
        .expect("the change");
        let _ = ldap.unbind().await;
    }

    /// The `entryUUID` of the user `uid`, which the portal keeps the user by.
    pub async fn entry_uuid(&self, uid: &str) -> String {
        let mut ldap = self.admin().await;
        let (entries, _) = ldap
            .search(
                &format!("uid={uid},{PEOPLE}"),
                ldap3::Scope::Base,
                "(objectClass=*)",
                vec!["entryUUID"],
            )
            .await
            .expect("search")
            .success()
            .expect("the entry");
        let _ = ldap.unbind().await;
        let entry = ldap3::SearchEntry::construct(entries.into_iter().next().expect("the entry"));
        entry.attrs["entryUUID"][0].clone()
    }

    /// As the directory's administrator: delete the entry `dn`.
    pub async fn delete(&self, dn: &str) {
        let mut ldap = self.admin().await;
        ldap.delete(dn)
            .await
            .expect("delete")
            .success()
            .expect("the deletion");
        let _ = ldap.unbind().await;
    }

    /// The directory stops answering (and its port is closed).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The entries slapd starts with: the base, the service account, `users`
/// and `groups` (as [`Slapd::with`] takes them).
fn ldif(users: &[(&str, &str, &str, &str)], groups: &[(&str, &[&str])]) -> String {
    let mut ldif = format!(
        "dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
         dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=services,{SUFFIX}\nobjectClass: organizationalUnit\nou: services\n\n\
         dn: {SERVICE_DN}\nobjectClass: person\ncn: aanmelden\nsn: aanmelden\n\
         userPassword: {SERVICE_PASSWORD}\n\n"
    );
    for (uid, mail, name, password) in users {
        let surname = name.rsplit(' ').next().unwrap_or(name);
        let _ = write!(
            ldif,
            "dn: uid={uid},{PEOPLE}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {name}\n\
         sn: {surname}\ndisplayName: {name}\nmail: {mail}\nuserPassword: {password}\n\n"
        );
    }
    if !groups.is_empty() {
        let _ = write!(
            ldif,
            "dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n\n"
        );
    }
    for (name, members) in groups {
        let _ = write!(
            ldif,
            "dn: cn={name},{GROUPS}\nobjectClass: groupOfNames\ncn: {name}\n"
        );
        for member in *members {
            let _ = writeln!(ldif, "member: {}", member_dn(member));
        }
        ldif.push('\n');
    }
    ldif
}

/// The DN of a member as [`Slapd::with`] names it.
fn member_dn(member: &str) -> String {
    match member.strip_prefix("group:") {
        Some(group) => format!("cn={group},{GROUPS}"),
        None => format!("uid={member},{PEOPLE}"),
    }
}

/// In `root`: a test CA (`ca.pem`), a server's key and certificate from it
/// for `address` and localhost (`server.key`, `server.pem`), and a second CA
/// that signed nothing (`other-ca.pem`), with openssl.
pub fn make_certificates(root: &Path, address: &str) {
    let openssl = |args: &[&str]| {
        let done = Command::new(OPENSSL)
            .args(args)
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run openssl");
        assert!(done.success(), "openssl {args:?}");
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    for ca in ["ca", "other-ca"] {
        let key = format!("{ca}.key");
        let pem = format!("{ca}.pem");
        let mut args = vec!["req", "-x509"];
        args.extend(ec);
        args.extend([
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "2",
            "-subj",
            "/CN=aanmelden test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ]);
        openssl(&args);
    }
    let subject = format!("/CN={address}");
    let mut request = vec!["req"];
    request.extend(ec);
    request.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        &subject,
    ]);
    openssl(&request);
    std::fs::write(
        root.join("server.ext"),
        format!(
            "subjectAltName=IP:{address},DNS:localhost\nbasicConstraints=CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .expect("server.ext");
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
