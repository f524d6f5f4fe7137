// Leptos view types nest deeply (see lib.rs).
#![recursion_limit = "256"]
use clap::Parser as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    server::telemetry::init();
    let cli = server::cli::Cli::parse();
    match server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole context chain on one line: what we were doing
            // and why it failed, which is what the user needs to act on.
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
