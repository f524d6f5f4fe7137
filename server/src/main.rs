// Leptos view types nest deeply (see lib.rs).
#![recursion_limit = "256"]
use clap::Parser as _;

/// jemalloc rather than the system allocator: an idle live stream cost
/// 12.1 KiB of resident memory at 10,000 streams with it, 16.2 KiB with
/// glibc's malloc and 23.7 KiB with mimalloc, at equal or better latency
/// (BENCHMARKS.md, "Memory per stream"). Its background thread returns freed
/// memory to the system (`.cargo/config.toml` says how soon).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
