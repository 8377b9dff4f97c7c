//! How many browsers may wait for a push answer at once: in total on this
//! instance, and per session. Each wait holds a connection and a task for up
//! to `push_wait_s`, so both are bounded.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The waits under way.
#[derive(Debug, Default)]
pub struct Waits {
    by_session: Mutex<HashMap<String, usize>>,
}

/// Why a wait was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The instance has its maximum of waits.
    Full,
    /// The session has its maximum of waits.
    Session,
}

/// A place among the waits, given back when dropped.
#[derive(Debug)]
pub struct Wait {
    waits: Arc<Waits>,
    session: String,
}

impl Waits {
    /// A place for a wait of `session`, within `max_total` and `max_per_session`.
    pub fn enter(
        self: &Arc<Self>,
        session: &str,
        max_total: usize,
        max_per_session: usize,
    ) -> Result<Wait, Refused> {
        let mut by_session = self.lock();
        let total: usize = by_session.values().sum();
        if total >= max_total {
            return Err(Refused::Full);
        }
        let mine = by_session.entry(session.to_owned()).or_default();
        if *mine >= max_per_session {
            return Err(Refused::Session);
        }
        *mine += 1;
        Ok(Wait {
            waits: Arc::clone(self),
            session: session.to_owned(),
        })
    }

    /// How many waits are under way.
    pub fn count(&self) -> usize {
        self.lock().values().sum()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        // A panic elsewhere cannot leave the counts half-updated.
        self.by_session
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        let mut by_session = self.waits.lock();
        if let Some(count) = by_session.get_mut(&self.session) {
            *count -= 1;
            if *count == 0 {
                by_session.remove(&self.session);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_are_bounded_in_total_and_per_session_and_given_back() {
        let waits = Arc::new(Waits::default());
        let a1 = waits.enter("a", 3, 2).unwrap();
        let _a2 = waits.enter("a", 3, 2).unwrap();
        assert_eq!(waits.enter("a", 3, 2).unwrap_err(), Refused::Session);
        let _b1 = waits.enter("b", 3, 2).unwrap();
        assert_eq!(waits.enter("c", 3, 2).unwrap_err(), Refused::Full);
        assert_eq!(waits.count(), 3);
        drop(a1);
        let _c = waits.enter("c", 3, 2).unwrap();
        assert_eq!(waits.count(), 3);
    }
}
