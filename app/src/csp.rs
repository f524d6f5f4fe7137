//! The Content-Security-Policy of server-rendered pages: scripts only from
//! our origin or inline with this response's nonce (Leptos puts it on its
//! hydration scripts; `live::EarlyStart` on its own), so markup injected into
//! a page cannot run script. Everything else the server sends gets the
//! stricter [`NON_PAGE_POLICY`] (set by the server's security-headers layer
//! when a response has none).

use leptos::prelude::*;

/// For responses that are not pages (JSON, the stream, files, the outage
/// page): nothing may be loaded or run from them and nobody may frame them.
/// Two exceptions: the live stream's worker script takes its policy from its
/// own response and must reach the stream (`connect-src`), and the outage
/// page has an inline stylesheet.
pub const NON_PAGE_POLICY: &str = "default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; \
     frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The policy of a page rendered with `nonce`. `wasm-unsafe-eval` lets the
/// bundle's WebAssembly compile (it allows no JavaScript `eval`); inline
/// style attributes stay allowed (they cannot run script).
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
         worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// In the page shell: sends the page's policy, with this response's nonce,
/// as a header. Renders nothing.
#[component]
pub fn PagePolicy() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = http::HeaderValue::from_str(&page_policy(&nonce)) {
            response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
        }
    }
}
