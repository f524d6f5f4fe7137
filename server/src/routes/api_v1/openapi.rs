//! The OpenAPI document of `/api/v1`, served at `/api/openapi.json`. It is
//! generated from the handlers' annotations and the domain types, so it cannot
//! drift from the code.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

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
        session::sign_in, session::whoami, session::sign_out, session::sign_out_everywhere, admin::end_sessions, users::register,
        shipments::list, shipments::create, shipments::detail, shipments::post_status,
        shipments::post_status_bulk, shipments::reopen,
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
