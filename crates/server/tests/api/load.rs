//! A short, bounded load: a few seconds of parallel full sign-ins (identify,
//! password, code, session, log off), each with an account of its own; not
//! one request fails. `cargo xtask bench` runs the same for longer and
//! prints the figures.

use std::sync::Arc;
use std::time::Duration;

use aanmelden_server::clock::Clock;

use crate::helpers::{PASSWORD, TestApp};
use crate::load_generator::{STEPS, prepare_accounts, run};

async fn parallel_sign_ins_for_a_few_seconds_all_succeed(app: TestApp) {
    let accounts = prepare_accounts(&app.state, 80, PASSWORD).await;
    let clock = app.clock.clone();

    let report = run(
        &app.browser.url(""),
        accounts,
        PASSWORD,
        8,
        Duration::from_secs(3),
        Arc::new(move || clock.now()),
    )
    .await;

    // Figures for the log; `cargo xtask bench` is where they are measured.
    eprintln!(
        "{} sign-ins in {:.1} s ({:.1}/s); p99 per step: {}",
        report.sign_ins,
        report.elapsed.as_secs_f64(),
        report.per_second(),
        STEPS
            .iter()
            .enumerate()
            .map(|(i, step)| format!("{step} {:?}", report.percentile(i, 990)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    assert!(report.sign_ins > 0);
    for (step, times) in STEPS.iter().zip(&report.latencies) {
        assert_eq!(times.len(), report.sign_ins, "{step}");
    }
    let sessions = app.state.store.count_sessions().await.unwrap();
    assert_eq!(sessions, 0, "every sign-in logged off");
}

crate::on_both_backends!(parallel_sign_ins_for_a_few_seconds_all_succeed);
