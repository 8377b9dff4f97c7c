//! `aanmelden`: the server and its admin command line.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = aanmelden_server::cli::Cli::parse();
    match aanmelden_server::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("aanmelden: {error:#}");
            ExitCode::FAILURE
        }
    }
}
