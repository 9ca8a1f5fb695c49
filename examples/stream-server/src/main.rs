//! `framecast-server`: framecast's reference stream server. Publishers PUT
//! CMAF init segments and fragments per track; the server checks each with
//! the core's MP4 reader, stores it durably, acknowledges it, and serves
//! live HLS and DASH built from the stream's fragment index. See README.md
//! for the HTTP API and the storage guarantees.

mod config;
mod http;
mod log;
mod store;
mod streams;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use serde_json::json;
use tokio::net::TcpListener;

use config::{Command, Config, USAGE};
use streams::App;

/// How long shutdown waits for open connections, then for writes whose
/// clients hung up.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

fn main() -> ExitCode {
    let cfg = match Config::from_args(std::env::args().skip(1)) {
        Ok(Command::Run(c)) => c,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("framecast-server: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            log::error("cannot start the runtime", json!({ "error": e.to_string() }));
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log::error("fatal", json!({ "error": e }));
            ExitCode::from(1)
        }
    }
}

async fn run(cfg: Config) -> Result<(), String> {
    let listen = cfg.listen;
    let data = cfg.data.clone();
    let summary = json!({
        "data": data,
        "autoCreate": cfg.auto_create,
        "maxFragmentBytes": cfg.max_fragment_bytes,
        "window": cfg.window,
        "token": cfg.token.is_some(),
    });
    let app = tokio::task::spawn_blocking(move || App::load(cfg))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("cannot open the data directory {}: {e}", data.display()))?;
    let app = Arc::new(app);
    let listener = TcpListener::bind(listen).await.map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mut fields = summary;
    fields["addr"] = json!(addr.to_string());
    log::info("listening", fields);

    let router = Router::new().fallback(http::handle).with_state(app.clone());
    let (started_tx, mut started_rx) = tokio::sync::watch::channel(false);
    let signal_app = app.clone();
    let shutdown = async move {
        let signal = wait_for_signal().await;
        log::info("shutting down", json!({ "signal": signal, "writesInFlight": signal_app.writes_in_flight() }));
        signal_app.begin_shutdown();
        let _ = started_tx.send(true);
    };
    let server = axum::serve(listener, router).with_graceful_shutdown(shutdown);
    let grace = async move {
        let _ = started_rx.wait_for(|&started| started).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    tokio::select! {
        r = server => r.map_err(|e| format!("server: {e}"))?,
        _ = grace => log::warn("connections still open after the grace period; closing them", json!({})),
    }
    // Writes whose clients hung up run as their own tasks: let them finish.
    let waiting = Instant::now();
    while app.writes_in_flight() > 0 && waiting.elapsed() < SHUTDOWN_GRACE {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    log::info("stopped", json!({ "writesInFlight": app.writes_in_flight() }));
    Ok(())
}

/// Waits for SIGINT or SIGTERM and names it.
async fn wait_for_signal() -> &'static str {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term => "SIGTERM",
    }
}
