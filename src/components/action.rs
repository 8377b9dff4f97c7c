//! A request that a button starts: one at a time, its progress and its
//! failure shown, and a lost session sending the user back to the start.

use std::future::Future;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::Failure;
use crate::contexts::session_context::{Session, use_session};
use crate::i18n::Key;

/// The state of one kind of request on a screen.
#[derive(Clone, Copy)]
pub struct Action {
    /// True while the request runs: its button is disabled with a spinner.
    pub busy: RwSignal<bool>,
    /// Why the last request failed, for the screen's `Alert`.
    pub error: RwSignal<Option<Failure>>,
    session: Session,
}

impl Action {
    /// Call while building the component that owns the action.
    pub fn new() -> Self {
        Self {
            busy: RwSignal::new(false),
            error: RwSignal::new(None),
            session: use_session(),
        }
    }

    /// Another action on the same screen that shows its failures in the
    /// same place, with a progress of its own.
    #[cfg(feature = "devices")]
    pub fn beside(self) -> Self {
        Self {
            busy: RwSignal::new(false),
            ..self
        }
    }

    /// Show `failure` without a request (a check in the browser).
    pub fn fail(self, failure: Failure) {
        self.error.set(Some(failure));
    }

    /// Run `request` unless one is running already. `done` gets its answer;
    /// a failure goes to `failed` first (to clear a field, say) and is then
    /// shown, except a lost session, which restarts the flow.
    pub fn run<T: 'static>(
        self,
        request: impl Future<Output = Result<T, Failure>> + 'static,
        done: impl FnOnce(T) + 'static,
        failed: impl FnOnce(&Failure) + 'static,
    ) {
        if self.busy.get_untracked() {
            return;
        }
        self.busy.set(true);
        self.error.set(None);
        spawn_local(async move {
            match request.await {
                Ok(answer) => done(answer),
                Err(failure) if failure.is_session_lost() => {
                    self.session.restart(Key::ErrorSessionExpired);
                }
                Err(failure) => {
                    failed(&failure);
                    self.error.set(Some(failure));
                }
            }
            self.busy.set(false);
        });
    }
}
