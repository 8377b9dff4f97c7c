//! What both faces (the JSON API in `routes`, the plain pages in `plain`)
//! need from HTTP: the client's address, the session cookie, the cookie
//! that keeps where an application wants the browser back, whether a
//! request comes from another site, and the plain forms' token.

mod client;
pub mod form_token;
pub mod return_cookie;
mod session;
mod site;

pub use client::ClientAddr;
pub use session::{
    clear_session_cookie, cookie, current_session, gate_session, session_token, set_session_cookie,
};
pub use site::{is_cross_site, is_from_another_site};
