//! The OpenAPI document of `/api/v1`, served at `/api/openapi.json`. It is
//! generated from the handlers' annotations and the domain types, so it cannot
//! drift from the code.

use axum::Json;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use super::{actions, admin, session, shipments, users};
use crate::routes::events;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Shipwatch API",
        description = "Shipments, their status events and the live feed. Authenticate with the session \
                       cookie (browsers; writes must come from the app's own origin) or \
                       `Authorization: Bearer <token>` (integrations). Errors are \
                       `application/problem+json` (RFC 9457)."
    ),
    paths(
        session::sign_in, session::whoami, session::sign_out, users::register,
        shipments::list, shipments::create, shipments::detail, shipments::post_status,
        shipments::post_status_bulk,
        actions::watch, actions::unwatch, actions::set_instructions, actions::report_problem,
        actions::open_problems, actions::resolve_problem,
        admin::list_users, admin::change_role, admin::list_tokens, admin::issue_token, admin::revoke_token,
        events::long_poll,
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                app::ssr::auth::session::COOKIE_NAME,
            ))),
        );
    }
}

/// An error (RFC 9457 problem details).
#[derive(Serialize, ToSchema)]
pub struct ProblemDetails {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// A message for a person; never internal details.
    pub detail: String,
    /// Per-field errors, for invalid input.
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// The filters of `GET /api/v1/shipments` (all optional).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)] // Only describes the query string; the handler reads it with `ShipmentQuery::from_params`.
pub struct ListParams {
    /// Only this status (e.g. `in_transit`).
    status: Option<String>,
    /// Part of a tracking number.
    q: Option<String>,
    /// `1`: only shipments needing attention (exception, failed attempt, or no update for 48 h).
    attention: Option<String>,
    /// The `next_page` of the previous page.
    after: Option<String>,
    /// Page size, 1–200 (default 50).
    limit: Option<u32>,
}
