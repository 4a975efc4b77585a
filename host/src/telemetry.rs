//! Logging with `tracing`, to standard error. The filter comes from `RUST_LOG` (default
//! `info`). Nothing secret is ever logged: request lines carry the route template, never the
//! raw path, query, headers or body.

pub fn init() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}
