//! How responses other than the bundle travel: compressed on the fly when
//! the client asks — except `text/event-stream`, which must reach the
//! browser frame by frame — and private to the browser. With or without a
//! proxy in front.

use axum::http::header::CACHE_CONTROL;
use axum::http::HeaderValue;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::set_header::SetResponseHeaderLayer;

/// Cache-Control of everything that sets none itself: only the user's
/// browser may keep it, and must ask again before reusing it.
const PRIVATE: &str = "private, no-cache";

/// Compresses responses (brotli or gzip, as the client prefers) at a level
/// fast enough for every request; never `text/event-stream` (tower-http's
/// default predicate excludes it, images and bodies under 32 bytes).
pub fn compression() -> CompressionLayer {
    CompressionLayer::new()
        .br(true)
        .gzip(true)
        .quality(CompressionLevel::Precise(4))
}

/// `private, no-cache` on every response that set no Cache-Control itself.
pub fn private_by_default() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(CACHE_CONTROL, HeaderValue::from_static(PRIVATE))
}
