//! The parts of the API document utoipa cannot derive from a handler: the
//! live stream (`GET /api/events`, Server-Sent Events) and the webhooks
//! (OpenAPI 3.1's top-level `webhooks`), both carrying the same
//! `StreamEvent` JSON. What they say is what `app::ssr::stream::wire` and
//! `app::ssr::webhooks::delivery` write; `product::the_openapi_document_*`
//! checks that every event type and frame is described.

use serde_json::{json, Value};

use app::ssr::webhooks::delivery::{EVENT_TYPES, PAYLOAD_VERSION};

const STREAM_EVENT: &str = "#/components/schemas/StreamEvent";

/// Adds the live stream's path, the webhooks and the webhook payload's schema.
pub fn add_to(document: &mut Value) {
    document["paths"]["/api/events"] = live_stream();
    document["components"]["schemas"]["WebhookPayload"] = webhook_payload();
    let webhooks: serde_json::Map<String, Value> = EVENT_TYPES
        .iter()
        .map(|(name, when)| ((*name).to_owned(), webhook(name, when)))
        .collect();
    document["webhooks"] = Value::Object(webhooks);
}

fn live_stream() -> Value {
    json!({"get": {
        "tags": ["live"],
        "operationId": "live_stream",
        "summary": "The live stream of changes you may see (Server-Sent Events)",
        "description": "Replays everything after your cursor that you may see, in stream-position order, then \
            continues live: nothing lost, nothing twice. The frames:\n\n\
            * the opening: `retry: <ms>` (how long to wait before reconnecting) and `id: <cursor>` without data \
            (sets the browser's Last-Event-ID, so even a quiet stream resumes where it began);\n\
            * `id: <position>`, `event: shipment`, `data: <StreamEvent JSON>` (one line) for each change;\n\
            * `event: reset`, `id: <cursor>`, `data: {\"cursor\": <cursor>}` when the cursor you sent cannot be \
            used (malformed, or ahead of the log): refetch what you show, then continue from the new cursor;\n\
            * `event: listener`, `data: reconnecting` while the server's database connection is down (no change \
            can arrive, none is lost) and `data: live` once it is back;\n\
            * `: ping`, a comment after each quiet heartbeat interval (15 s by default).\n\n\
            Resume with the `Last-Event-ID` header (browsers send it when they reconnect) or, on a first \
            connection, `?after=<position>`; the header wins. Without either, the stream starts now. A stream \
            counts once against your rate limit, when it opens; an account may hold 16 at once (429 beyond). \
            It ends when your session or token does.",
        "parameters": [
            {"name": "Last-Event-ID", "in": "header", "required": false,
             "description": "The last position you received: the stream resumes after it. A value that is \
                             not a position of the log is answered with a `reset` frame.",
             "schema": {"type": "string"}},
            {"name": "after", "in": "query", "required": false,
             "description": "On a first connection, the position to resume after (a stream position, \
                             `0` for everything). A value that is not a position of the log is answered \
                             with a `reset` frame.",
             "schema": {"type": "string"}}
        ],
        "responses": {
            "200": {"description": "The stream, `text/event-stream`; each `shipment` frame's data is a StreamEvent.",
                    "content": {"text/event-stream": {"schema": frames()}}},
            "401": {"description": "not signed in, or the token is invalid, expired or revoked",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}},
            "422": {"description": "the query string cannot be read (a parameter given twice)",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}},
            "429": {"description": "too many streams open, or the rate limit is spent; try again after `Retry-After` seconds",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}},
            "503": {"description": "briefly unavailable; try again after `Retry-After` seconds",
                    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}}
        },
        "security": [{"bearer": []}, {"session": []}]
    }})
}

/// Each event of the stream, as an SSE parser hands it over.
fn frames() -> Value {
    let frame = |name: &str, id: bool, data: Value| {
        let mut required = vec!["event", "data"];
        if id {
            required.push("id");
        }
        json!({"type": "object", "required": required, "properties": {
            "event": {"const": name},
            "id": {"type": "string", "description": "The stream position: the cursor to resume after."},
            "data": data
        }})
    };
    json!({"oneOf": [
        frame("shipment", true, json!({"type": "string", "contentMediaType": "application/json",
                                        "contentSchema": {"$ref": STREAM_EVENT}})),
        frame("reset", true, json!({"type": "string", "contentMediaType": "application/json",
                                     "contentSchema": {"type": "object", "required": ["cursor"],
                                                       "properties": {"cursor": {"type": "integer"}}}})),
        frame("listener", false, json!({"type": "string", "enum": ["live", "reconnecting"]}))
    ]})
}

fn webhook_payload() -> Value {
    json!({
        "type": "object",
        "description": "The body of every webhook delivery (Standard Webhooks v1).",
        "required": ["type", "version", "timestamp", "data"],
        "properties": {
            "type": {"type": "string", "enum": EVENT_TYPES.iter().map(|(name, _)| *name).collect::<Vec<_>>()},
            "version": {"type": "integer", "const": PAYLOAD_VERSION,
                        "description": "A change receivers must adapt to gets a new version."},
            "timestamp": {"type": "string", "format": "date-time", "description": "When the change happened."},
            "data": {"description": "The live stream's frame, as the endpoint's owner is shown it (for \
                     `webhook.test`: `{endpoint_id, message}`).",
                     "oneOf": [{"$ref": STREAM_EVENT}, {"type": "object"}]}
        }
    })
}

fn webhook(name: &str, when: &str) -> Value {
    let header = |name: &str, description: &str| {
        json!({"name": name, "in": "header", "required": true, "description": description,
               "schema": {"type": "string"}})
    };
    json!({"post": {
        "summary": when,
        "description": format!("`{name}`: {when}. Sent to every enabled endpoint whose topics include it and \
            whose owner may see the shipment, in stream-position order per endpoint. Answer 2xx within 10 s; \
            anything else is retried with backoff (the same `webhook-id`), and 410 switches the endpoint off."),
        "parameters": [
            header("webhook-id", "`msg_<endpoint>_<position>`: the same on every retry and replay of this event; de-duplicate by it."),
            header("webhook-timestamp", "Unix seconds of this attempt; refuse old ones (the reference libraries allow 5 minutes)."),
            header("webhook-signature", "`v1,<base64 HMAC-SHA256 of \"<id>.<timestamp>.<body>\">`, keyed with the secret's bytes; during a rotation two, space-separated.")
        ],
        "requestBody": {"required": true,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookPayload"}}}},
        "responses": {
            "2XX": {"description": "Received: the endpoint moves on to its next event."},
            "410": {"description": "Gone: the endpoint is switched off at once."}
        }
    }})
}
