//! A push service on loopback that Firefox takes for its own
//! (`dom.push.serverURL`): Firefox subscribes through it over Mozilla's
//! WebSocket protocol, the portal posts its encrypted messages (RFC 8291,
//! VAPID) to the endpoints it hands out, and it passes each on to Firefox
//! unopened. Firefox decrypts them with its own keys and wakes the app's
//! service worker: the whole way a push travels, without the internet.

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{any, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64URL;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::helpers::Launch;

/// What the portal posted to an endpoint.
#[derive(Debug, Clone)]
pub struct Posted {
    pub channel: String,
    /// `Authorization`: `vapid t=<JWT>, k=<the portal's key>`.
    pub authorization: String,
    pub content_encoding: String,
}

#[derive(Clone, Default)]
struct Shared {
    origin: String,
    /// Where messages for the connected Firefox go.
    firefox: Arc<Mutex<Option<mpsc::UnboundedSender<Value>>>>,
    posted: Arc<Mutex<Vec<Posted>>>,
    /// Firefox's acknowledgements: the codes it gave each message.
    acknowledged: Arc<Mutex<Vec<u64>>>,
}

/// The service, on a port of its own.
pub struct PushService {
    /// `http://127.0.0.1:<port>`: the origin of its endpoints.
    pub origin: String,
    shared: Shared,
}

impl PushService {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the push service");
        let origin = format!("http://{}", listener.local_addr().expect("its address"));
        let shared = Shared {
            origin: origin.clone(),
            ..Shared::default()
        };
        let router = Router::new()
            .route("/", any(connect))
            .route("/push/{channel}", post(deliver))
            .with_state(shared.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self { origin, shared }
    }

    /// Firefox's preferences for this service: its address, allowed over
    /// plain WebSocket on loopback, and notifications allowed.
    pub fn firefox(&self) -> Launch {
        let url = self.origin.replacen("http://", "ws://", 1);
        Launch {
            prefs: vec![
                ("dom.push.serverURL".to_owned(), json!(url)),
                (
                    "dom.push.testing.allowInsecureServerURL".to_owned(),
                    json!(true),
                ),
                ("dom.push.connection.enabled".to_owned(), json!(true)),
                (
                    "permissions.default.desktop-notification".to_owned(),
                    json!(1),
                ),
            ],
            ..Launch::default()
        }
    }

    /// The codes Firefox acknowledged the messages with so far: 100 is
    /// decrypted and handed to the app's service worker.
    pub fn acknowledged(&self) -> Vec<u64> {
        self.shared
            .acknowledged
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// What the portal posted so far.
    pub fn posted(&self) -> Vec<Posted> {
        self.shared
            .posted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

async fn connect(State(shared): State<Shared>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .protocols(["push-notification"])
        .on_upgrade(move |socket| speak(shared, socket))
}

/// Mozilla's push protocol, as much as a browser uses: hello, register,
/// unregister, acknowledgements and pings; notifications go out as they
/// are posted.
async fn speak(shared: Shared, mut socket: WebSocket) {
    let (to_firefox, mut outgoing) = mpsc::unbounded_channel();
    *shared
        .firefox
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = Some(to_firefox);
    loop {
        let reply = tokio::select! {
            Some(notification) = outgoing.recv() => Some(notification),
            received = socket.recv() => {
                let Some(Ok(Message::Text(text))) = received else { break };
                let message: Value = serde_json::from_str(&text).unwrap_or_default();

                answer(&shared, &message)
            }
        };
        if let Some(reply) = reply
            && socket
                .send(Message::Text(reply.to_string().into()))
                .await
                .is_err()
        {
            break;
        }
    }
}

fn answer(shared: &Shared, message: &Value) -> Option<Value> {
    let channel = message["channelID"].clone();
    match message["messageType"].as_str() {
        Some("hello") => Some(json!({
            "messageType": "hello", "status": 200, "use_webpush": true,
            "uaid": "5f0c1e6a7b2d4c3e9a8b7c6d5e4f3a2b",
        })),
        Some("register") => Some(json!({
            "messageType": "register", "status": 200, "channelID": channel,
            "pushEndpoint": format!("{}/push/{}", shared.origin, channel.as_str().unwrap_or("")),
        })),
        Some("unregister") => Some(json!({
            "messageType": "unregister", "status": 200, "channelID": channel,
        })),
        Some("ack") => {
            let codes = message["updates"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|update| update["code"].as_u64());
            shared
                .acknowledged
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend(codes);
            None
        }
        // A ping ({}) is answered in kind.
        None if message.as_object().is_some_and(serde_json::Map::is_empty) => Some(json!({})),
        _ => None,
    }
}

/// `POST /push/{channel}`: a message for a subscription, passed to Firefox.
async fn deliver(
    State(shared): State<Shared>,
    Path(channel): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let mut posted = shared.posted.lock().unwrap_or_else(PoisonError::into_inner);
    posted.push(Posted {
        channel: channel.clone(),
        authorization: header("authorization"),
        content_encoding: header("content-encoding"),
    });
    let notification = json!({
        "messageType": "notification",
        "channelID": channel,
        "version": format!("{channel}-{}", posted.len()),
        "data": BASE64URL.encode(&body),
        "headers": { "encoding": header("content-encoding") },
    });
    drop(posted);
    let firefox = shared
        .firefox
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    match firefox {
        Some(firefox) if firefox.send(notification).is_ok() => StatusCode::CREATED,
        _ => StatusCode::GONE,
    }
}
