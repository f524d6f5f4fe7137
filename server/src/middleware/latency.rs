//! Each request's latency, by method, matched route and status class, for
//! `shipwatch_http_request_duration_seconds` (see `crate::metrics`).

use axum::http::Method;

/// Records each request's latency by method and matched route.
pub async fn track_latency(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    // Only the methods we serve get a label of their own: a client inventing
    // methods (`curl -X AAAA1`, `-X AAAA2`, …) must not create time series.
    let method = match *request.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or_else(|| "other".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    // The status by class only: a 5xx rate to alert on, few time series.
    let status = match response.status().as_u16() {
        500.. => "5xx",
        400..=499 => "4xx",
        300..=399 => "3xx",
        _ => "2xx",
    };
    metrics::histogram!(
        "shipwatch_http_request_duration_seconds",
        "method" => method, "route" => route, "status" => status
    )
    .record(started.elapsed().as_secs_f64());
    response
}
