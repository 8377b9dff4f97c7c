//! A real nginx in front of a test server: started on a free port of
//! 127.0.0.1 with a generated configuration in a folder of its own, and
//! stopped when dropped.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running nginx that proxies every request to one upstream.
pub struct Nginx {
    pub address: SocketAddr,
    child: Child,
    _dir: tempfile::TempDir,
}

/// Where Debian puts nginx.
const NGINX: &str = "/usr/sbin/nginx";

impl Nginx {
    /// nginx on a free port, proxying to `upstream` and appending the
    /// client's address to `X-Forwarded-For` as its documentation shows;
    /// `None` when nginx is not installed here (said loudly; an error
    /// under CI).
    pub fn proxying_to(upstream: SocketAddr) -> Option<Self> {
        Self::balancing(&[upstream])
    }

    /// nginx as [`Self::proxying_to`], sharing the requests out over
    /// `upstreams` in turn (round robin), and passing a request on to the
    /// next one when one cannot be reached.
    pub fn balancing(upstreams: &[SocketAddr]) -> Option<Self> {
        let servers = upstreams
            .iter()
            .map(|upstream| format!("server {upstream};"))
            .collect::<Vec<_>>()
            .join(" ");
        Self::with(|port| {
            format!(
                "upstream portal {{ {servers} }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://portal;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}"
            )
        })
    }

    /// nginx on a free port with the `http` blocks `blocks` writes for that
    /// port (servers, upstreams); `None` when nginx is not installed here
    /// (said loudly; an error under CI).
    pub fn with(blocks: impl FnOnce(u16) -> String) -> Option<Self> {
        Self::on_port(free_port(), blocks)
    }

    /// nginx as [`Self::with`], on `port`.
    pub fn on_port(port: u16, blocks: impl FnOnce(u16) -> String) -> Option<Self> {
        if !Path::new(NGINX).exists() {
            assert!(
                std::env::var_os("CI").is_none(),
                "nginx must be installed under CI (cargo xtask setup installs it)"
            );
            eprintln!("SKIPPED: {NGINX} is not installed, this test behind nginx did not run");
            return None;
        }
        let dir = tempfile::tempdir().expect("nginx folder");
        let root = dir.path().display();
        let blocks = blocks(port);
        let config = format!(
            "daemon off;
master_process off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {root}/access.log;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    {blocks}
}}
"
        );
        let file = dir.path().join("nginx.conf");
        std::fs::write(&file, config).expect("nginx.conf");
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start nginx");
        let address = SocketAddr::from(([127, 0, 0, 1], port));
        let nginx = Self {
            address,
            child,
            _dir: dir,
        };
        nginx.wait_until_it_listens();
        Some(nginx)
    }

    fn wait_until_it_listens(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(self.address).is_err() {
            assert!(Instant::now() < deadline, "nginx did not start listening");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
