//! What the server counts for Prometheus, served at `/metrics` in the
//! `OpenMetrics` text format to the addresses of `metrics_addresses`: sign-ins
//! by result, the second factor by method, request durations per route, the
//! password-hash queue and the browsers waiting for a push answer.

use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::AppState;
use crate::error::ApiError;
use crate::http::ClientAddr;

/// The media type of the `OpenMetrics` text format.
const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = [(&'static str, &'static str); 1];
type RouteLabels = [(&'static str, String); 2];

/// A request method as a label: the methods of HTTP itself, and one label
/// for anything else, since a client may send any token as a method and
/// each label is a series kept for good.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// How a sign-in step ended.
#[derive(Debug, Clone, Copy)]
pub enum SignInResult {
    /// Both factors passed.
    SignedIn,
    WrongPassword,
    WrongCode,
    /// Denied in the app, with a wrong number, or "This wasn't me".
    PushDenied,
    PushExpired,
    /// Refused while a failure counter is locked.
    Locked,
}

impl SignInResult {
    fn label(self) -> &'static str {
        match self {
            Self::SignedIn => "signed_in",
            Self::WrongPassword => "wrong_password",
            Self::WrongCode => "wrong_code",
            Self::PushDenied => "push_denied",
            Self::PushExpired => "push_expired",
            Self::Locked => "locked",
        }
    }
}

/// What the verification endpoint answered a reverse proxy.
#[derive(Debug, Clone, Copy)]
pub enum VerifyResult {
    /// Signed in: let the request through.
    Allowed,
    /// Not signed in: 401.
    Denied,
    /// Not signed in: sent to the portal.
    Redirected,
    /// Signed in, but not in a group the application is open to: 403.
    Forbidden,
}

impl VerifyResult {
    fn label(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
            Self::Redirected => "redirected",
            Self::Forbidden => "forbidden",
        }
    }
}

/// How the second factor of a full sign-in was given.
#[derive(Debug, Clone, Copy)]
pub enum SecondFactor {
    /// The six-digit code typed by hand.
    Code,
    /// Approved in the app.
    Push,
    /// The first code of a newly registered device.
    FirstCode,
    /// A recovery code, the phone being lost.
    RecoveryCode,
}

impl SecondFactor {
    fn label(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Push => "push",
            Self::FirstCode => "first_code",
            Self::RecoveryCode => "recovery_code",
        }
    }
}

/// The metrics of one server instance.
pub struct Metrics {
    registry: Registry,
    sign_ins: Family<Labels, Counter>,
    second_factors: Family<Labels, Counter>,
    verified: Family<Labels, Counter>,
    requests: Family<RouteLabels, Histogram, fn() -> Histogram>,
    password_queue: Gauge,
    push_waits: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let sign_ins = Family::<Labels, Counter>::default();
        let second_factors = Family::<Labels, Counter>::default();
        let verified = Family::<Labels, Counter>::default();
        let requests: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| {
                // From 0.25 ms to about 8 s, doubling.
                Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
            });
        let password_queue = Gauge::default();
        let push_waits = Gauge::default();
        let mut registry = Registry::with_prefix("aanmelden");
        registry.register(
            "sign_ins",
            "Sign-in steps by how they ended",
            sign_ins.clone(),
        );
        registry.register(
            "second_factors",
            "Full sign-ins by how the second factor was given",
            second_factors.clone(),
        );
        registry.register(
            "verifications",
            "Answers to reverse proxies asking whether a browser has signed in",
            verified.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time to answer a request, per route",
            requests.clone(),
        );
        registry.register(
            "password_queue",
            "Password hashes being computed or waiting",
            password_queue.clone(),
        );
        registry.register(
            "push_waits",
            "Browsers waiting for a push answer",
            push_waits.clone(),
        );
        Self {
            registry,
            sign_ins,
            second_factors,
            verified,
            requests,
            password_queue,
            push_waits,
        }
    }
}

impl Metrics {
    pub fn sign_in(&self, result: SignInResult) {
        self.sign_ins
            .get_or_create(&[("result", result.label())])
            .inc();
    }

    pub fn second_factor(&self, method: SecondFactor) {
        self.second_factors
            .get_or_create(&[("method", method.label())])
            .inc();
    }

    pub fn verified(&self, result: VerifyResult) {
        self.verified
            .get_or_create(&[("result", result.label())])
            .inc();
    }

    fn request(&self, method: &Method, route: String, took: Duration) {
        self.requests
            .get_or_create(&[
                ("method", method_label(method).to_owned()),
                ("route", route),
            ])
            .observe(took.as_secs_f64());
    }

    /// Everything, in the `OpenMetrics` text format, with the gauges read now.
    fn render(&self, password_queue: usize, push_waits: usize) -> String {
        self.password_queue
            .set(i64::try_from(password_queue).unwrap_or(i64::MAX));
        self.push_waits
            .set(i64::try_from(push_waits).unwrap_or(i64::MAX));
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// `GET /metrics`, for the addresses of `metrics_addresses` only (behind a
/// trusted proxy: the client's address, not the proxy's). A trusted
/// proxy's own address never counts, since whoever reaches the server
/// through it would then read them too; nor does an unknown client.
pub async fn show(
    State(app): State<AppState>,
    ClientAddr(client): ClientAddr,
) -> Result<Response, ApiError> {
    let allowed = client.parse().is_ok_and(|address| {
        app.config.metrics_addresses.contains(address)
            && !app.config.trusted_proxies.contains(address)
    });
    if !allowed {
        return Err(ApiError::NotFound);
    }
    let text = app
        .metrics
        .render(app.passwords.queued(), app.push_waits.count());
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
        text,
    )
        .into_response())
}

/// Times each request of an API or form route, by its pattern
/// (`/api/v1/devices/{id}`).
pub async fn time_routes(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    timed(&app, route, request, next).await
}

/// Times each request for a page of the plain flow, all as one route.
pub async fn time_pages(State(app): State<AppState>, request: Request, next: Next) -> Response {
    timed(&app, "page".to_owned(), request, next).await
}

async fn timed(app: &AppState, route: String, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let started = tokio::time::Instant::now();
    let response = next.run(request).await;
    app.metrics.request(&method, route, started.elapsed());
    response
}
