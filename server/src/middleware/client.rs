//! Which client a request comes from, resolved once for every door.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use app::ssr::web::AppState;

/// Resolves which client the request comes from (the peer, or
/// what a trusted proxy says it saw: `app::ssr::web::client`) once, for
/// every door — handlers take `routes::support::extract::ClientIp`, server functions read the
/// extension.
pub async fn resolve_client(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>().cloned() {
        let client = state.trusted_proxies.client(peer.ip(), request.headers());
        request.extensions_mut().insert(client);
    }
    next.run(request).await
}
