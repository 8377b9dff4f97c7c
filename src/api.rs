//! The only place that talks to the server: one function per endpoint of
//! the contract, each answering with the contract's types or a [`Failure`].

use aanmelden_api::{
    API_PREFIX, Branding, CodeRequest, ErrorBody, ErrorCode, IdentifyRequest, PasswordRequest,
    PushChallenge, PushOutcome, ReturnTo, SessionInfo, StepResponse,
};
use gloo_net::http::{Request, RequestBuilder, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Why a request did not give its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The server answered with an error of the contract.
    Api {
        code: ErrorCode,
        retry_after_s: Option<u64>,
        field: Option<String>,
    },
    /// No answer, or a 5xx: the service cannot be reached right now.
    Unreachable,
}

impl Failure {
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Api { code, .. } => Some(*code),
            Self::Unreachable => None,
        }
    }

    /// The session is gone: the user must start again at identify.
    pub fn is_session_lost(&self) -> bool {
        matches!(
            self.code(),
            Some(ErrorCode::SessionExpired | ErrorCode::Forbidden)
        )
    }
}

/// The JSON body of `response`, parsed by the browser.
async fn parse<T: DeserializeOwned>(response: &Response) -> Result<T, Failure> {
    let text = response.text().await.map_err(|_| Failure::Unreachable)?;
    let value = js_sys::JSON::parse(&text).map_err(|_| Failure::Unreachable)?;
    serde_wasm_bindgen::from_value(value).map_err(|_| Failure::Unreachable)
}

fn url(path: &str) -> String {
    format!("{API_PREFIX}{path}")
}

async fn answer(response: Result<Response, gloo_net::Error>) -> Result<Response, Failure> {
    let response = response.map_err(|_| Failure::Unreachable)?;
    if response.ok() {
        return Ok(response);
    }
    if response.status() >= 500 {
        return Err(Failure::Unreachable);
    }
    match parse::<ErrorBody>(&response).await {
        Ok(body) => Err(Failure::Api {
            code: body.error.code,
            retry_after_s: body.error.retry_after_s,
            field: body.error.field,
        }),
        Err(_) => Err(Failure::Unreachable),
    }
}

async fn json<T: DeserializeOwned>(
    response: Result<Response, gloo_net::Error>,
) -> Result<T, Failure> {
    parse(&answer(response).await?).await
}

async fn send_json<T: DeserializeOwned>(
    request: RequestBuilder,
    body: &impl Serialize,
) -> Result<T, Failure> {
    let value = serde_wasm_bindgen::to_value(body).map_err(|_| Failure::Unreachable)?;
    let text = js_sys::JSON::stringify(&value).map_err(|_| Failure::Unreachable)?;
    let request = request
        .header("Content-Type", "application/json")
        .body(String::from(text))
        .map_err(|_| Failure::Unreachable)?;
    json(request.send().await).await
}

/// A POST without a body, said to be JSON all the same: the server takes
/// a browser's POST only so (a header no other site can make it send).
fn empty_post(path: &str) -> RequestBuilder {
    Request::post(&url(path)).header("Content-Type", "application/json")
}

pub async fn identify(username: String) -> Result<StepResponse, Failure> {
    send_json(
        Request::post(&url("/login/identify")),
        &IdentifyRequest { username },
    )
    .await
}

pub async fn password(password: String, otp: Option<String>) -> Result<StepResponse, Failure> {
    send_json(
        Request::post(&url("/login/password")),
        &PasswordRequest { password, otp },
    )
    .await
}

pub async fn otp(code: String) -> Result<StepResponse, Failure> {
    send_json(Request::post(&url("/login/otp")), &CodeRequest { code }).await
}

/// A new challenge; with `resume`, the session's open one where it has
/// one (shown on the server's page the app takes over).
pub async fn start_push(resume: bool) -> Result<PushChallenge, Failure> {
    let path = if resume {
        "/login/push?resume=1"
    } else {
        "/login/push"
    };
    json(empty_post(path).send().await).await
}

/// Waits (on the server) for the answer in the app; `pending` after a while.
pub async fn wait_push(id: &str) -> Result<PushOutcome, Failure> {
    json(
        Request::get(&url(&format!("/login/push/{id}")))
            .send()
            .await,
    )
    .await
}

pub async fn session() -> Result<SessionInfo, Failure> {
    json(Request::get(&url("/session")).send().await).await
}

/// Where an application wants the browser back, once signed in.
pub async fn take_return() -> Result<ReturnTo, Failure> {
    json(empty_post("/return").send().await).await
}

pub async fn logout() -> Result<(), Failure> {
    answer(empty_post("/logout").send().await).await.map(drop)
}

pub async fn branding() -> Result<Branding, Failure> {
    json(Request::get(&url("/branding")).send().await).await
}
/// The devices step's requests, in the build that has its screens.
#[cfg(feature = "devices")]
pub mod devices {
    use aanmelden_api::{
        ActivateRequest, ActivatedDevice, AddDeviceRequest, CodeRequest, DeviceList, Enrolment,
        RecoveryCodes, StepResponse, TestResult,
    };
    use gloo_net::http::Request;

    use super::{Failure, answer, json, send_json, url};

    pub async fn list() -> Result<DeviceList, Failure> {
        json(Request::get(&url("/devices")).send().await).await
    }

    pub async fn add(name: String) -> Result<Enrolment, Failure> {
        send_json(Request::post(&url("/devices")), &AddDeviceRequest { name }).await
    }

    pub async fn activate(id: i64, code: Option<String>) -> Result<ActivatedDevice, Failure> {
        send_json(
            Request::post(&url(&format!("/devices/{id}/activate"))),
            &ActivateRequest { code },
        )
        .await
    }

    /// "Telefoon kwijt?": a recovery code instead of the second factor.
    pub async fn recovery(code: String) -> Result<StepResponse, Failure> {
        send_json(
            Request::post(&url("/login/recovery")),
            &CodeRequest { code },
        )
        .await
    }

    /// "Bevestigen": a code from the app again, before adding a device.
    pub async fn confirm(code: String) -> Result<StepResponse, Failure> {
        send_json(Request::post(&url("/login/confirm")), &CodeRequest { code }).await
    }

    /// A helpdesk pass, to register a device.
    pub async fn pass(code: String) -> Result<StepResponse, Failure> {
        send_json(Request::post(&url("/login/pass")), &CodeRequest { code }).await
    }

    /// A new set of recovery codes, after a code from the app.
    pub async fn renew_recovery_codes(code: String) -> Result<RecoveryCodes, Failure> {
        send_json(
            Request::post(&url("/recovery-codes")),
            &CodeRequest { code },
        )
        .await
    }

    pub async fn test(id: i64, code: String) -> Result<TestResult, Failure> {
        send_json(
            Request::post(&url(&format!("/devices/{id}/test"))),
            &CodeRequest { code },
        )
        .await
    }

    pub async fn remove(id: i64) -> Result<(), Failure> {
        answer(
            Request::delete(&url(&format!("/devices/{id}")))
                .send()
                .await,
        )
        .await
        .map(drop)
    }
}
