//! The OpenAPI document of `/api/v1`, served at `/api/openapi.json`. It is
//! generated from the handlers' annotations and the domain types, so it cannot
//! drift from the code.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use app::domain::input::FieldRule;
use app::domain::ShipmentStatus;

use super::{actions, admin, events, imports, notifications, session, shipments, users, webhooks};

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
        imports::create, imports::report,
        notifications::inbox, notifications::mark_read, notifications::preferences,
        notifications::set_preferences,
        events::long_poll,
        webhooks::list, webhooks::register, webhooks::get, webhooks::change, webhooks::delete,
        webhooks::set_enabled, webhooks::rotate_secret, webhooks::replay, webhooks::send_test,
        webhooks::deliveries,
    ),
    modifiers(&Security, &Truthful),
    security(("bearer" = []), ("session" = [])),
)]
pub struct ApiDoc;

/// `GET /api/openapi.json`: the derived document, with the live stream and
/// the webhooks (`openapi_live`).
pub async fn document() -> Json<serde_json::Value> {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    super::openapi_live::add_to(&mut document);
    state_domain_facts(&mut document);
    Json(document)
}

/// Rules of the core that no type says, stated where a client reads them:
/// a reopened shipment goes on to a status that is not final; an import is
/// a CSV file whose header names `tracking_number` and `status`.
fn state_domain_facts(document: &mut serde_json::Value) {
    let going_on: Vec<serde_json::Value> = ShipmentStatus::ALL
        .iter()
        .filter(|status| !status.is_final())
        .map(|status| serde_json::json!(status))
        .collect();
    document["components"]["schemas"]["ReopenRequest"]["properties"]["status"] = serde_json::json!({
        "type": "string",
        "enum": going_on,
        "description": "Where the journey goes on: any status that is not final."
    });
    document["paths"]["/api/v1/status-imports"]["post"]["requestBody"]["content"]["text/csv"]["schema"] = serde_json::json!({
        "type": "string",
        "description": "CSV, UTF-8, at most 2 MB: a header row naming `tracking_number` and `status` (and \
                        optionally `location`, `note`, `occurred_at`, in any order), then one row per change \
                        (at most 10,000). A file without those columns is refused whole (422); a row that \
                        cannot be applied is refused alone, in the report.",
        "maxLength": 2_000_000
    });
    // Each topic once (a repeated one is refused).
    document["components"]["schemas"]["WebhookEndpointRequest"]["properties"]["topics"]["uniqueItems"] =
        serde_json::json!(true);
    // The key's rule (`actions::idempotency`): 1 to 255 printable ASCII characters.
    if let Some(parameters) =
        document["paths"]["/api/v1/shipments/{tracking_number}/events"]["post"]["parameters"].as_array_mut()
    {
        for parameter in parameters.iter_mut().filter(|p| p["name"] == "Idempotency-Key") {
            parameter["schema"] = serde_json::json!({"type": "string", "pattern": "^[ -~]{1,255}$"});
        }
    }
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

/// The rate-limit header fields on every API answer.
const RATE_LIMIT_HEADERS: [(&str, &str); 2] = [
    (
        "RateLimit-Policy",
        "the caller's quota: `\"default\";q=<requests>;w=<seconds>`, per API token, per signed-in session, \
         or per address without either (a live stream counts once, when it opens)",
    ),
    (
        "RateLimit",
        "what is left of it: `\"default\";r=<requests left>;t=<seconds until the quota is whole again>`; \
         over the quota the answer is 429 with `Retry-After`",
    ),
];

/// What every operation can answer besides what its annotation lists, and
/// the input rules of path parameters, stated once here rather than on each
/// handler (where they were forgotten; schemathesis found the gaps):
/// * errors are `application/problem+json`, not `application/json`;
/// * any operation that needs a credential can answer 401;
/// * any can answer 429 (a throttle or stream cap) and 503 (the database is
///   briefly unavailable, or password hashing is busy), with `Retry-After`;
/// * an operation with a body or path parameters can answer 422;
/// * `tracking_number` and `email` path parameters, and every bounded field
///   of a request body, state the domain's rules (`input::FieldRule`):
///   lengths, patterns, list sizes, ranges, from the same constants the
///   validators use.
struct Truthful;

impl Modify for Truthful {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::Operation;
        use utoipa::openapi::{RefOr, ResponseBuilder};
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        PROBLEM_JSON,
                        utoipa::openapi::ContentBuilder::new()
                            .schema(Some(utoipa::openapi::Ref::from_schema_name("ProblemDetails")))
                            .build(),
                    )
                    .build(),
            )
        };
        let public = |operation: &Operation| {
            operation
                .security
                .as_ref()
                .is_some_and(|requirements| requirements.iter().all(|r| r == &Default::default()))
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        if let Some(content) = response.content.shift_remove("application/json") {
                            let is_problem = content.schema.as_ref().is_some_and(|schema| {
                                matches!(schema, RefOr::Ref(r) if r.ref_location.ends_with("/ProblemDetails"))
                            });
                            let key = if is_problem {
                                PROBLEM_JSON
                            } else {
                                "application/json"
                            };
                            response.content.insert(key.to_owned(), content);
                        }
                    }
                }
                let has_input = operation.request_body.is_some()
                    || operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
                let in_path = operation.parameters.as_ref().is_some_and(|parameters| {
                    parameters
                        .iter()
                        .any(|p| p.parameter_in == utoipa::openapi::path::ParameterIn::Path)
                });
                let extra = [
                    (
                        "401",
                        !public(operation),
                        "not signed in, or the token is invalid, expired or revoked",
                    ),
                    ("404", in_path, "not found, or not yours to see"),
                    ("422", has_input, "the input is not valid"),
                    (
                        "429",
                        true,
                        "too many requests; try again after `Retry-After` seconds",
                    ),
                    (
                        "503",
                        true,
                        "briefly unavailable; nothing was changed, try again after `Retry-After` seconds",
                    ),
                ];
                for (status, applies, description) in extra {
                    if applies && !operation.responses.responses.contains_key(status) {
                        operation
                            .responses
                            .responses
                            .insert(status.to_owned(), problem(description));
                    }
                }
                // Every answer says what is left of the caller's quota
                // (`middleware::api_limit`; draft-ietf-httpapi-ratelimit-headers).
                for response in operation.responses.responses.values_mut() {
                    if let RefOr::T(response) = response {
                        for (name, description) in RATE_LIMIT_HEADERS {
                            response.headers.insert(
                                name.to_owned(),
                                utoipa::openapi::HeaderBuilder::new()
                                    .schema(
                                        utoipa::openapi::ObjectBuilder::new()
                                            .schema_type(utoipa::openapi::Type::String),
                                    )
                                    .description(Some(description))
                                    .build(),
                            );
                        }
                    }
                }
                for parameter in operation.parameters.iter_mut().flatten() {
                    let Some(rule) = FieldRule::of(&parameter.name) else {
                        continue;
                    };
                    if let Some(RefOr::T(utoipa::openapi::Schema::Object(schema))) = &mut parameter.schema {
                        state_rule(schema, rule);
                    }
                }
            }
        }
        // Request bodies only: a response echoes what was sent (an import's
        // refused rows) or stored, which the input rules do not describe.
        let requests: Vec<String> = openapi
            .paths
            .paths
            .values()
            .flat_map(|item| [&item.get, &item.put, &item.post, &item.delete, &item.patch])
            .flatten()
            .filter_map(|operation| operation.request_body.as_ref())
            .flat_map(|body| body.content.values())
            .filter_map(|content| match &content.schema {
                Some(RefOr::Ref(reference)) => reference.ref_location.rsplit('/').next().map(str::to_owned),
                _ => None,
            })
            .collect();
        let schemas = openapi
            .components
            .iter_mut()
            .flat_map(|components| components.schemas.iter_mut())
            .filter(|(name, _)| requests.contains(name));
        for (name, schema) in schemas {
            let RefOr::T(utoipa::openapi::Schema::Object(object)) = schema else {
                continue;
            };
            for (field, property) in object.properties.iter_mut() {
                let Some(rule) = FieldRule::of(field) else {
                    continue;
                };
                // Sign-in takes the email and password as typed (a wrong
                // shape is a failed attempt like any other): bounded only.
                let rule = match (name.as_str(), rule) {
                    (AS_TYPED, FieldRule::Text { max_chars, .. }) => FieldRule::Text {
                        min_chars: 0,
                        max_chars,
                        pattern: None,
                    },
                    _ => rule,
                };
                match (property, rule) {
                    (RefOr::T(utoipa::openapi::Schema::Object(field)), _) => state_rule(field, rule),
                    (
                        RefOr::T(utoipa::openapi::Schema::Array(list)),
                        FieldRule::List { min_items, max_items },
                    ) => {
                        list.min_items = (min_items > 0).then_some(min_items);
                        list.max_items = Some(max_items);
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The request body whose fields are taken as typed.
const AS_TYPED: &str = "Credentials";

/// Writes `rule` into a string or integer schema.
fn state_rule(schema: &mut utoipa::openapi::schema::Object, rule: FieldRule) {
    match rule {
        FieldRule::Text {
            min_chars,
            max_chars,
            pattern,
        } => {
            schema.min_length = (min_chars > 0).then_some(min_chars);
            schema.max_length = max_chars;
            schema.pattern = pattern.map(str::to_owned);
        }
        FieldRule::Whole { min, max } => {
            schema.minimum = Some(utoipa::Number::UInt(min as usize));
            schema.maximum = Some(utoipa::Number::UInt(max as usize));
        }
        FieldRule::List { .. } => {}
    }
}

const PROBLEM_JSON: &str = "application/problem+json";
