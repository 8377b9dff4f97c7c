//! The HTTP listener: each connection served by hyper with the read
//! time-outs a public server needs (a client that sends its headers or its
//! body slowly cannot hold a connection open), HTTP/2 pings that find
//! connections whose client is gone, a cap on open connections, and a
//! graceful stop.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::{AppState, routes};

/// Connections the system may hold for the server before it accepts them:
/// at nine o'clock everyone connects at once, and a connection that finds
/// the queue full is retried by the client only after a second. The
/// system's own limit (`net.core.somaxconn`) still applies.
const BACKLOG: u32 = 4096;

/// How often an HTTP/2 connection is pinged, and how long its client may
/// take to answer before the connection is closed: a client that vanished
/// without closing holds no place among the open connections for long.
const HTTP2_KEEP_ALIVE: Duration = Duration::from_secs(30);
const HTTP2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections being refused at once (see [`refuse`]); beyond them, a
/// connection is closed without a word, so that a flood of connections
/// costs no more than this many small tasks.
const MAX_REFUSING: usize = 1024;

/// The answer to a connection beyond the cap, in HTTP/1.1, which every
/// client reads (one that spoke HTTP/2 at once sees the connection close).
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Retry-After: 1\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Length: 21\r\n\
Connection: close\r\n\
\r\n\
Too many connections\n";

/// A listener on `address` with a queue of [`BACKLOG`] connections (the
/// default queue of 128 overflowed with 200 browsers connecting at once).
pub fn bind(address: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(BACKLOG)
}

/// Serve the whole application on `listener` until `shutdown` completes,
/// then let the requests under way finish (for at most half a minute).
pub async fn serve(
    listener: TcpListener,
    app: AppState,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let header_timeout = Duration::from_secs(app.config.header_read_timeout_s);
    let max_connections = app.config.max_connections;
    let places = Arc::new(Semaphore::new(max_connections));
    let refusing = Arc::new(Semaphore::new(MAX_REFUSING));
    let mut refusals = Refusals::default();
    // Stopped when serving stops.
    let relay = tokio::spawn({
        let app = app.clone();
        async move { app.relay_push_answers().await }
    });
    let _relay = AbortOnDrop(relay);
    let router = routes::router(app);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: wait, do not spin.
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // The place is held until the connection ends.
        let Ok(place) = Arc::clone(&places).try_acquire_owned() else {
            refusals.count(max_connections);
            if let Ok(refusing) = Arc::clone(&refusing).try_acquire_owned() {
                tokio::spawn(async move {
                    refuse(stream).await;
                    drop(refusing);
                });
            }
            continue;
        };
        let service = router
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request.map(Body::new)
            });
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(header_timeout);
        builder
            .http2()
            .timer(TokioTimer::new())
            .keep_alive_interval(HTTP2_KEEP_ALIVE)
            .keep_alive_timeout(HTTP2_KEEP_ALIVE_TIMEOUT);
        let connection = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended");
            }
            drop(place);
        });
    }
    drop(listener);
    if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still under way after 30 s; stopping anyway");
    }
    Ok(())
}

/// How often the log says that connections are being refused.
const REFUSALS_LOGGED_EVERY: Duration = Duration::from_secs(10);

/// Connections refused since the log last said so: a flood of connections
/// writes a line every [`REFUSALS_LOGGED_EVERY`], not one per connection.
#[derive(Default)]
struct Refusals {
    since_logged: u64,
    logged_at: Option<std::time::Instant>,
}

impl Refusals {
    fn count(&mut self, cap: usize) {
        self.since_logged += 1;
        let due = self
            .logged_at
            .is_none_or(|at| at.elapsed() >= REFUSALS_LOGGED_EVERY);
        if due {
            tracing::warn!(
                refused = self.since_logged,
                max_connections = cap,
                "refused connections: too many open"
            );
            self.since_logged = 0;
            self.logged_at = Some(std::time::Instant::now());
        }
    }
}

/// Tell a connection beyond the cap to come back later, and close it. What
/// the client sent is read and dropped first, so that the close does not
/// reset the connection before the client has read the answer; a client
/// that keeps sending or reads nothing is cut off after a second.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(REFUSAL).await?;
        stream.shutdown().await?;
        let mut sink = [0; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    })
    .await;
}

/// Ends a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_logged_once_per_period_with_their_number() {
        let mut refusals = Refusals::default();

        refusals.count(2);
        let first = refusals.logged_at;
        for _ in 0..500 {
            refusals.count(2);
        }

        assert!(first.is_some());
        assert_eq!(
            refusals.logged_at, first,
            "no second line within the period"
        );
        assert_eq!(refusals.since_logged, 500, "the next line says how many");
    }
}
