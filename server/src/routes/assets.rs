//! How responses travel: compressed and cached the way a phone on a slow
//! network needs, with or without a proxy in front.
//!
//! * The browser bundle under `/pkg` (scripts/site.sh names each file after a
//!   hash of its content) is served from the `.br`/`.gz` files a release build
//!   writes beside it, and cached for a year as immutable: a repeat visit
//!   downloads none of it.
//! * Everything else (pages, JSON, the files of `public/`) is compressed on
//!   the fly when the client asks — except `text/event-stream`, which must
//!   reach the browser frame by frame — and is private to the browser.

use std::path::Path;

use axum::extract::Request;
use axum::http::header::CACHE_CONTROL;
use axum::http::HeaderValue;
use axum::middleware::{from_fn, Next};
use axum::response::Response;
use axum::Router;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

use app::ssr::web::AppState;

/// Cache-Control of a file whose name changes with its content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of a bundle file without a hash in its name.
const REVALIDATE: &str = "public, no-cache";
/// Cache-Control of everything else: only the user's browser may keep it, and
/// must ask again before reusing it.
const PRIVATE: &str = "private, no-cache";

/// `/<pkg dir>`: the bundle, precompressed where the build wrote `.br`/`.gz`.
pub fn bundle(site_root: &Path, pkg_dir: &str) -> Router<AppState> {
    let files = ServeDir::new(site_root.join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service(&format!("/{pkg_dir}"), files)
        .layer(from_fn(cache_bundle))
}

async fn cache_bundle(request: Request, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status().as_u16() == 304 {
        let value = if hashed { IMMUTABLE } else { REVALIDATE };
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static(value));
    }
    response
}

/// `shipwatch.Xk3V0i1mH1pT4Lp1rQ9x8w.wasm`: a name, the base64url MD5 of the
/// content that scripts/site.sh puts there (22 characters), an extension.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts.get(parts.len() - 2).is_some_and(|hash| {
            hash.len() == 22
                && hash
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

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

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_names_with_a_content_hash_count_as_hashed() {
        assert!(is_hashed("/pkg/shipwatch.Xk3V0i1mH1pT4Lp1rQ9x8w.wasm"));
        assert!(is_hashed("/pkg/shipwatch.a-b_V0i1mH1pT4Lp1rQ9x8.js"));
        assert!(!is_hashed("/pkg/shipwatch.2b8e4f61.wasm"));
        assert!(!is_hashed("/pkg/shipwatch.wasm"));
        assert!(!is_hashed("/pkg/shipwatch_bg.wasm"));
        assert!(!is_hashed("/pkg/shipwatch.min.js"));
    }
}
