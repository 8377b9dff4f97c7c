//! The aanmelden authenticator: keeps tokens from otpauth URIs, shows their
//! six-digit codes, and answers push challenges with signed requests.

pub mod client;
pub mod lang;
pub mod store;
pub mod token;
