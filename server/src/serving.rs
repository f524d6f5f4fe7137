//! Accepting connections and serving them over HTTP/1.1, with hyper's own
//! connection builder rather than `axum::serve`.
//!
//! Why not `axum::serve`: it serves each connection with hyper-util's
//! HTTP/1-or-2 auto-detection, which first reads the request's opening bytes
//! to tell the versions apart and hands them back to the HTTP/1 parser; the
//! parser then needs room for those bytes plus a full read, and doubles its
//! 8 KiB read buffer to 16 KiB. That buffer lives as long as the connection,
//! and a live stream's connection lives for hours: it was the largest part of
//! an idle stream's memory (BENCHMARKS.md, "Memory per stream"). HTTP/2
//! without TLS (h2c), the only thing auto-detection added, is not spoken by
//! browsers; HTTP/2 to browsers belongs to the TLS-terminating proxy.
//!
//! Shutdown is graceful, in an order that lets a proxy in front hand every
//! request to another instance: on the signal, the connections the kernel has
//! already completed are still accepted and served, then the listening socket
//! closes (new connections are refused, which nginx retries elsewhere), then
//! `stopped_accepting` runs (the hub ends the live streams, which reconnect
//! through the proxy to another instance), then, after a short grace for
//! requests already on their way, idle connections close and in-flight
//! responses finish.

use std::future::Future;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use futures::FutureExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

/// How long after the shutdown begins a connection is told to close. hyper
/// closes a connection at once if it has not read anything yet, even when
/// the request is already on its way (a proxy sends it right after
/// connecting); a POST cut off like that cannot be retried by the proxy and
/// would reach the client as a 502. A request that arrives within this grace
/// is served, then the connection closes; an idle one closes after it.
const IDLE_CLOSE_GRACE: Duration = Duration::from_secs(1);

/// How long a client may take to send its request head (slow-loris guard).
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` resolves, then drains;
/// `stopped_accepting` runs once the listening socket is closed.
/// Handlers see the peer address as `ConnectInfo<SocketAddr>`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()>,
    stopped_accepting: impl FnOnce(),
) {
    // Every connection task holds a clone of `drained`; the drain is over
    // when all of them are dropped.
    let (stop, stopping) = watch::channel(false);
    let (drained_tx, drained) = watch::channel(());
    tokio::pin!(shutdown);
    let mut shutting_down = false;
    loop {
        let accepted = if shutting_down {
            // Only what is already queued: a connection the kernel completed
            // may already carry a request, and closing the socket under it
            // would cut that request off (a 502 at the proxy).
            match listener.accept().now_or_never() {
                Some(accepted) => accepted,
                None => break,
            }
        } else {
            tokio::select! {
                accepted = listener.accept() => accepted,
                () = &mut shutdown => {
                    shutting_down = true;
                    continue;
                }
            }
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) if !shutting_down => {
                // Out of file descriptors, say: back off instead of spinning.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(_) => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(peer));
            router.clone().oneshot(request)
        });
        let mut stopping = stopping.clone();
        let drained = drained.clone();
        tokio::spawn(async move {
            let mut http1 = hyper::server::conn::http1::Builder::new();
            http1
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT);
            let connection = http1
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(connection);
            // Made when the shutdown begins (no timer in every idle
            // connection before that); the connection is told to close when
            // it fires (see `IDLE_CLOSE_GRACE`).
            let mut grace: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
            let mut closing = false;
            loop {
                tokio::select! {
                    biased;
                    result = connection.as_mut() => {
                        if let Err(error) = result {
                            tracing::debug!(%error, %peer, "connection ended with an error");
                        }
                        break;
                    }
                    changed = stopping.changed(), if !*stopping.borrow() => {
                        if changed.is_ok() {
                            grace = Some(Box::pin(tokio::time::sleep(IDLE_CLOSE_GRACE)));
                        }
                    }
                    () = async { if let Some(grace) = grace.as_mut() { grace.await } }, if grace.is_some() && !closing => {
                        closing = true;
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(drained);
        });
    }
    drop(listener);
    stopped_accepting();
    let _ = stop.send(true);
    drop(drained);
    drained_tx.closed().await;
}
