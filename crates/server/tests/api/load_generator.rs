//! A bounded load generator: `concurrency` browsers, each signing in again
//! and again (identify, password, code, session, log off) with an account
//! of its own each time, until `duration` has passed or the accounts run
//! out. Each browser says it is a client of its own (`X-Forwarded-For`
//! 10.x.y.z), as a proxy would, which counts where 127.0.0.1 is a trusted
//! proxy. Used by the load smoke test and by `cargo xtask bench`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aanmelden_api::signed;
use aanmelden_server::AppState;
use aanmelden_server::domain::push::{push_key, sign};
use aanmelden_server::domain::secrets::{SecretBytes, SecretString, bound_to};
use aanmelden_server::domain::totp;

/// The steps of one sign-in, in order.
pub const STEPS: [&str; 5] = ["identify", "password", "code", "session", "logout"];

/// An account with an active device, as the phone holds it.
pub struct Account {
    pub username: String,
    pub device_id: i64,
    pub secret: SecretBytes,
}

/// What a run measured.
pub struct Report {
    pub sign_ins: usize,
    pub elapsed: Duration,
    /// Per step of [`STEPS`], every request's time, sorted.
    pub latencies: [Vec<Duration>; 5],
    pub errors: usize,
    /// The first few errors, as `step: status or failure`.
    pub first_errors: Vec<String>,
}

impl Report {
    pub fn per_second(&self) -> f64 {
        let sign_ins = u32::try_from(self.sign_ins).unwrap_or(u32::MAX);
        f64::from(sign_ins) / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }

    /// The `per_mille`-th thousandth of `step`'s times (500: the median,
    /// 990: p99), by the nearest rank.
    pub fn percentile(&self, step: usize, per_mille: usize) -> Duration {
        let times = &self.latencies[step];
        if times.is_empty() {
            return Duration::ZERO;
        }
        let rank = (per_mille * times.len()).div_ceil(1000).max(1);
        times[rank.min(times.len()) - 1]
    }
}

/// `count` accounts named `load{i}@missingpiece.nl` with `password` (one
/// hash for all, so that preparing them takes seconds) and a device each,
/// put into the store the way the admin command line and a registration
/// would.
pub async fn prepare_accounts(state: &AppState, count: usize, password: &str) -> Vec<Account> {
    let hash = state
        .passwords
        .hash(&SecretString::new(password.to_owned()))
        .await
        .expect("hash");
    let now = state.clock.now();
    let mut accounts = Vec::with_capacity(count);
    for i in 0..count {
        let username = format!("load{i}@missingpiece.nl");
        let user_id = state
            .store
            .create_user(&username, &hash, now)
            .await
            .expect("create a user")
            .expect("a new user");
        let secret = SecretBytes::random(totp::SECRET_BYTES);
        let device_id = state
            .store
            .insert_pending_device(user_id, "iPhone", "iphone", "", now, 4, |id| {
                state
                    .cipher
                    .seal(&bound_to::device(user_id, id), secret.expose())
            })
            .await
            .expect("add a device");
        assert!(
            state
                .store
                .activate_device(device_id, None, now)
                .await
                .expect("activate")
        );
        accounts.push(Account {
            username,
            device_id,
            secret,
        });
    }
    accounts
}

/// Run the load against the portal at `base` (`http://127.0.0.1:port`).
/// `now` tells the time the server's clock tells, for the codes.
pub async fn run(
    base: &str,
    accounts: Vec<Account>,
    password: &str,
    concurrency: usize,
    duration: Duration,
    now: Arc<dyn Fn() -> i64 + Send + Sync>,
) -> Report {
    let accounts = Arc::new(accounts);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut browsers = Vec::with_capacity(concurrency);
    for i in 0..concurrency {
        let browser = Browser {
            base: base.to_owned(),
            address: format!("10.{}.{}.{}", (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff),
            password: password.to_owned(),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            now: Arc::clone(&now),
        };
        let (accounts, next) = (Arc::clone(&accounts), Arc::clone(&next));
        browsers.push(tokio::spawn(async move {
            let mut mine = Tally::default();
            while Instant::now() < deadline {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(account) = accounts.get(i) else {
                    break;
                };
                browser.sign_in(account, &mut mine).await;
            }
            mine
        }));
    }
    let mut total = Tally::default();
    for browser in browsers {
        let tally = browser.await.expect("a browser");
        total.sign_ins += tally.sign_ins;
        total.errors += tally.errors;
        total.first_errors.extend(tally.first_errors);
        for (all, some) in total.latencies.iter_mut().zip(tally.latencies) {
            all.extend(some);
        }
    }
    let elapsed = started.elapsed();
    for times in &mut total.latencies {
        times.sort();
    }
    total.first_errors.truncate(5);
    Report {
        sign_ins: total.sign_ins,
        elapsed,
        latencies: total.latencies,
        errors: total.errors,
        first_errors: total.first_errors,
    }
}

#[derive(Default)]
struct Tally {
    sign_ins: usize,
    latencies: [Vec<Duration>; 5],
    errors: usize,
    first_errors: Vec<String>,
}

struct Browser {
    base: String,
    /// The client address it claims in `X-Forwarded-For`.
    address: String,
    password: String,
    client: reqwest::Client,
    now: Arc<dyn Fn() -> i64 + Send + Sync>,
}

impl Browser {
    /// One whole sign-in; a failed step ends it and counts as an error.
    async fn sign_in(&self, account: &Account, tally: &mut Tally) {
        let code = totp::code_at_step(&account.secret, totp::step_at((self.now)()));
        let steps = [
            (
                reqwest::Method::POST,
                "/api/v1/login/identify",
                serde_json::json!({ "username": account.username }),
            ),
            (
                reqwest::Method::POST,
                "/api/v1/login/password",
                serde_json::json!({ "password": self.password }),
            ),
            (
                reqwest::Method::POST,
                "/api/v1/login/otp",
                serde_json::json!({ "code": code }),
            ),
            (
                reqwest::Method::GET,
                "/api/v1/session",
                serde_json::Value::Null,
            ),
            (
                reqwest::Method::POST,
                "/api/v1/logout",
                serde_json::Value::Null,
            ),
        ];
        for (step, (method, path, body)) in steps.into_iter().enumerate() {
            let is_post = method == reqwest::Method::POST;
            let mut request = self
                .client
                .request(method, format!("{}{path}", self.base))
                .header("x-forwarded-for", &self.address);
            // A browser's POST says it is JSON, with a body or without.
            if is_post {
                request = request.json(&body);
            }
            let started = Instant::now();
            let outcome = request.send().await;
            let took = started.elapsed();
            let failure = match outcome {
                Ok(response) if response.status().is_success() => {
                    // The body is read, as a browser would.
                    response.bytes().await.err().map(|e| e.to_string())
                }
                Ok(response) => Some(response.status().to_string()),
                Err(error) => Some(error.to_string()),
            };
            tally.latencies[step].push(took);
            if let Some(failure) = failure {
                tally.errors += 1;
                if tally.first_errors.len() < 5 {
                    tally
                        .first_errors
                        .push(format!("{}: {failure}", STEPS[step]));
                }
                return;
            }
        }
        tally.sign_ins += 1;
    }
}

/// The phone approves challenge `id` (showing `number`) at the portal at
/// `base`, signing with the account's device secret; `now` is the time it
/// signs at, and `nonce` is never used twice for the device.
pub async fn approve(
    client: &reqwest::Client,
    base: &str,
    account: &Account,
    id: &str,
    number: u8,
    now: i64,
    nonce: &str,
) -> reqwest::Response {
    let path = format!("/api/v1/authenticator/challenges/{id}");
    let body = serde_json::to_vec(&serde_json::json!({ "answer": "approve", "number": number }))
        .expect("json");
    let message = signed::message("POST", &path, now, nonce, &body);
    client
        .post(format!("{base}{path}"))
        .header(signed::DEVICE, account.device_id.to_string())
        .header(signed::TIMESTAMP, now.to_string())
        .header(signed::NONCE, nonce)
        .header(
            signed::SIGNATURE,
            sign(&push_key(&account.secret), &message),
        )
        .body(body)
        .send()
        .await
        .expect("the answer is sent")
}
