//! The Azure Functions custom handler: the host protocol and the HTTP server that speaks it.

pub mod protocol;
pub mod routes;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

use crate::reconcile::Scaler;

pub use routes::{app, misconfigured_app};

/// Serves the handler on `listener` until `shutdown` completes, then lets requests in flight
/// finish and waits for the tick in flight, so a SIGTERM never cuts a start in half.
pub async fn serve(
    listener: TcpListener,
    scaler: Arc<Scaler>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(scaler.clone()))
        .with_graceful_shutdown(shutdown)
        .await?;
    scaler.drain().await;
    tracing::info!("handler stopped");
    Ok(())
}

/// Completes on SIGTERM (what the Functions host sends) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(term) => term,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the handler");
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutdown requested, draining");
}
