//! The `corral` binary: command line only; everything else is in the library.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    corral_host::telemetry::init();
    let cli = corral_host::cli::Cli::parse();
    match corral_host::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("corral: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
