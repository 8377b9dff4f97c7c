//! Open connections are capped: one beyond the cap is told to come back
//! (503 with Retry-After) and closed, instead of being served.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use aanmelden_server::config::Config;

use crate::helpers::TestApp;

fn configure(config: &mut Config) {
    config.max_connections = 2;
}

const REQUEST: &[u8] = b"GET /api/v1/branding HTTP/1.1\r\nHost: x\r\n\r\n";

/// A connection that has been served one request and stays open.
fn held(app: &TestApp) -> TcpStream {
    let mut stream = TcpStream::connect(app.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(REQUEST).unwrap();
    let mut answer = [0; 12];
    stream.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200");
    stream
}

/// What the server answers a new connection that asks once and then waits
/// for the end.
fn answer_to_new_connection(app: &TestApp) -> String {
    let mut stream = TcpStream::connect(app.address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(REQUEST).unwrap();
    let mut answer = [0; 4096];
    let read = stream.read(&mut answer).unwrap();
    String::from_utf8_lossy(&answer[..read]).into_owned()
}

async fn a_connection_beyond_the_cap_is_refused_until_one_closes(app: TestApp) {
    tokio::task::block_in_place(|| {
        let first = held(&app);
        let _second = held(&app);

        let refused = answer_to_new_connection(&app);

        assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
        assert!(
            refused.to_ascii_lowercase().contains("retry-after: "),
            "{refused}"
        );

        drop(first);
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let answer = answer_to_new_connection(&app);
            if answer.starts_with("HTTP/1.1 200") {
                break;
            }
            assert!(Instant::now() < deadline, "no place came free: {answer}");
            std::thread::sleep(Duration::from_millis(50));
        }
    });
}

crate::on_both_backends!(
    configured_by configure;
    a_connection_beyond_the_cap_is_refused_until_one_closes,
);
