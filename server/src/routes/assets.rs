//! The browser bundle under `/pkg` (scripts/site.sh names each file after a
//! hash of its content): served from the `.br`/`.gz` files a release build
//! writes beside it, and cached for a year as immutable, so a repeat visit
//! downloads none of it. How everything else is compressed and cached is
//! `crate::middleware::caching`.

use std::path::Path;

use axum::extract::Request;
use axum::http::header::CACHE_CONTROL;
use axum::http::HeaderValue;
use axum::middleware::{from_fn, Next};
use axum::response::Response;
use axum::Router;
use tower_http::services::ServeDir;

use app::ssr::web::AppState;

/// Cache-Control of a file whose name changes with its content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache-Control of a bundle file without a hash in its name.
const REVALIDATE: &str = "public, no-cache";

/// `/<pkg dir>`: the bundle, precompressed where the build wrote `.br`/`.gz`.
pub fn router(site_root: &Path, pkg_dir: &str) -> Router<AppState> {
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
