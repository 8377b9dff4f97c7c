//! The sign-in flow as both faces of the portal use it: the JSON API (for
//! the single page app) and the plain pages (for browsers without script).
//! Each step takes the session it is for and says where it led; the routes
//! only turn that into JSON or into a page.

pub mod devices;
pub mod pass;
pub mod push;
pub mod recovery;
pub mod sign_in;

use crate::domain::sign_in::{Level, SessionToken};

/// Where a step led: the session's new level under a new id, which the
/// answer sets as the session cookie.
#[derive(Debug)]
pub struct Stepped {
    pub level: Level,
    pub token: SessionToken,
}
