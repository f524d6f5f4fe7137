//! Every limit on what people submit is stated once (`input::FieldRule`)
//! and said three times: by the API's JSON Schema, by the forms'
//! `minlength`/`maxlength`, and by the validators behind every door. Checked
//! here to agree, as `rules.rs` does for the rules written in SQL and Rust:
//! a limit changed in one place only fails this test.

use std::collections::BTreeSet;

use app::domain::input::FieldRule;
use app::domain::Role;
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::helpers::{shipments_of, TestApp};

/// The schemas of the API's request bodies, by name.
fn request_bodies(document: &Value) -> Vec<(String, Value)> {
    let mut names = BTreeSet::new();
    for item in document["paths"].as_object().expect("paths").values() {
        for operation in item.as_object().expect("operations").values() {
            for content in operation["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                if let Some(reference) = content.1["schema"]["$ref"].as_str() {
                    names.insert(reference.rsplit('/').next().expect("name").to_owned());
                }
            }
        }
    }
    names
        .into_iter()
        .map(|name| {
            let schema = document["components"]["schemas"][&name].clone();
            (name, schema)
        })
        .collect()
}

fn number(value: usize) -> Value {
    json!(value)
}

/// What the schema of `field` must say for `rule`.
fn assert_schema_states(body: &str, field: &str, schema: &Value, rule: FieldRule) {
    let at = format!("{body}.{field}");
    match rule {
        FieldRule::Text {
            min_chars,
            max_chars,
            pattern,
        } => {
            let as_typed = body == "Credentials";
            let min = (!as_typed && min_chars > 0).then(|| number(min_chars));
            assert_eq!(schema.get("minLength").cloned(), min, "minLength of {at}");
            assert_eq!(
                schema.get("maxLength").cloned(),
                max_chars.map(number),
                "maxLength of {at}"
            );
            let pattern = pattern.filter(|_| !as_typed).map(|p| json!(p));
            assert_eq!(schema.get("pattern").cloned(), pattern, "pattern of {at}");
        }
        FieldRule::List { min_items, max_items } => {
            let min = (min_items > 0).then(|| number(min_items));
            assert_eq!(schema.get("minItems").cloned(), min, "minItems of {at}");
            assert_eq!(schema["maxItems"], number(max_items), "maxItems of {at}");
        }
        FieldRule::Whole { min, max } => {
            assert_eq!(schema["minimum"], json!(min), "minimum of {at}");
            assert_eq!(schema["maximum"], json!(max), "maximum of {at}");
        }
    }
}

/// The `<input>` and `<textarea>` tags of a page, each as its attributes.
fn form_fields(html: &str) -> Vec<Vec<(String, String)>> {
    let mut fields = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let Some(end) = rest.find('>') else { break };
        let tag = &rest[..end];
        rest = &rest[end..];
        let Some(attributes) = tag
            .strip_prefix("input ")
            .or_else(|| tag.strip_prefix("textarea "))
        else {
            continue;
        };
        let mut parsed = Vec::new();
        let mut text = attributes;
        while let Some(eq) = text.find("=\"") {
            let name = text[..eq].rsplit(' ').next().unwrap_or_default().to_owned();
            let value_start = eq + 2;
            let value_end = text[value_start..]
                .find('"')
                .map_or(text.len(), |i| value_start + i);
            parsed.push((name, text[value_start..value_end].to_owned()));
            text = &text[(value_end + 1).min(text.len())..];
        }
        fields.push(parsed);
    }
    fields
}

fn attribute<'a>(field: &'a [(String, String)], name: &str) -> Option<&'a str> {
    field.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
}

/// Checks every visible form field of `html` that has a rule; returns their
/// names. The sign-in form takes its fields as typed (bounded only, as its
/// API body is).
fn assert_forms_state(page: &str, html: &str) -> BTreeSet<String> {
    let as_typed = page == "/login";
    let mut checked = BTreeSet::new();
    for field in form_fields(html) {
        let Some(name) = attribute(&field, "name") else {
            continue;
        };
        if attribute(&field, "type") == Some("hidden") {
            continue;
        }
        let Some(rule) = FieldRule::of(name) else { continue };
        let at = format!("the {name} field of {page}");
        assert_eq!(
            attribute(&field, "maxlength").map(str::to_owned),
            rule.max_chars().map(|max| max.to_string()),
            "maxlength of {at}"
        );
        let min = rule.min_chars();
        assert_eq!(
            attribute(&field, "minlength").map(str::to_owned),
            (min > 1 && !as_typed).then(|| min.to_string()),
            "minlength of {at}"
        );
        checked.insert(name.to_owned());
    }
    checked
}

/// A text of `chars` characters.
fn text(chars: usize) -> String {
    "x".repeat(chars)
}

/// The API takes `at_most` and refuses `too_many` with a 422 naming `field`.
async fn assert_validator_bounds(
    app: &TestApp,
    method: Method,
    path: &str,
    field: &str,
    at_most: Value,
    too_many: Value,
) {
    let taken = app.send_json(method.clone(), path, at_most).await;
    let status = taken.status();
    assert!(
        status.is_success(),
        "{method} {path} refused {field} at its limit: {status} {}",
        taken.text().await.unwrap_or_default()
    );
    let refused = app.send_json(method.clone(), path, too_many).await;
    assert_eq!(
        refused.status(),
        422,
        "{method} {path} took {field} past its limit"
    );
    let problem: Value = refused.json().await.expect("problem");
    assert_eq!(
        problem["errors"][0]["field"], field,
        "the refusal names {field}: {problem}"
    );
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_api_document_the_forms_and_the_validators_agree_on_every_limit(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let email = app::domain::Email::parse("ops@example.com").expect("email");
    app::ssr::db::users::set_role(&pool, &email, Role::Admin)
        .await
        .expect("promote");
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.as_user("ops@example.com").await;
    let alice = app.as_user("alice@example.com").await;

    // The API document.
    let document = app.get_json("/api/openapi.json").await;
    let mut stated = BTreeSet::new();
    for (body, schema) in request_bodies(&document) {
        for (field, property) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(rule) = FieldRule::of(field) {
                assert_schema_states(&body, field, property, rule);
                stated.insert(field.clone());
            }
        }
    }
    let list_parameters = document["paths"]["/api/v1/shipments"]["get"]["parameters"]
        .as_array()
        .expect("parameters");
    let limit = list_parameters
        .iter()
        .find(|p| p["name"] == "limit")
        .expect("a limit parameter");
    assert_schema_states(
        "GET /api/v1/shipments",
        "limit",
        &limit["schema"],
        FieldRule::of("limit").expect("rule"),
    );
    for field in [
        "tracking_number",
        "owner_email",
        "email",
        "password",
        "origin",
        "carrier",
        "destination_postal_code",
        "postal_code",
        "location",
        "note",
        "instructions",
        "description",
        "resolution",
        "reason",
        "name",
        "tracking_numbers",
        "ids",
        "expires_in_days",
    ] {
        assert!(stated.contains(field), "no request body states {field}");
    }

    // The forms, as the people who get them see them.
    let in_transit = shipments_of(&pool, "alice@%", "in_transit").await.remove(0);
    let delivered = shipments_of(&pool, "%", "delivered").await.remove(0);
    let reported = alice
        .post_json(
            &format!("/api/v1/shipments/{in_transit}/problems"),
            json!({"description": "Box was wet"}),
        )
        .await;
    assert_eq!(reported.status(), 201);
    let visitor = TestApp {
        client: TestApp::browser(),
        ..app.clone()
    };
    let mut on_forms = BTreeSet::new();
    for (who, path) in [
        (&visitor, "/login".to_owned()),
        (&visitor, "/register".to_owned()),
        (&visitor, "/track".to_owned()),
        (&alice, "/".to_owned()),
        (&alice, format!("/shipments/{in_transit}")),
        (&admin, format!("/shipments/{in_transit}")),
        (&admin, format!("/shipments/{delivered}")),
        (&admin, "/operator".to_owned()),
        (&admin, "/admin".to_owned()),
    ] {
        let page = who.get(&path).await;
        assert_eq!(page.status(), 200, "{path}");
        let html = page.text().await.expect("html");
        on_forms.extend(assert_forms_state(&path, &html));
    }
    for field in [
        "email",
        "password",
        "postal_code",
        "location",
        "note",
        "reason",
        "instructions",
        "description",
        "resolution",
        "origin",
        "destination",
        "carrier",
        "destination_postal_code",
        "owner_email",
        "name",
    ] {
        assert!(on_forms.contains(field), "no form has a {field} field to check");
    }

    // The validators, through the API.
    let max = |field: &str| {
        FieldRule::of(field)
            .and_then(FieldRule::max_chars)
            .expect("bounded")
    };
    let events = format!("/api/v1/shipments/{in_transit}/events");
    for field in ["location", "note"] {
        assert_validator_bounds(
            &admin,
            Method::POST,
            &events,
            field,
            json!({"status": "in_transit", field: text(max(field))}),
            json!({"status": "in_transit", field: text(max(field) + 1)}),
        )
        .await;
    }
    for (i, field) in ["origin", "destination", "carrier"].into_iter().enumerate() {
        let draft = |number: String, chars: usize| {
            let mut draft = json!({
                "tracking_number": number, "owner_email": "alice@example.com", "origin": "Lyon",
                "destination": "Porto", "destination_postal_code": "4000-123", "carrier": "Posten",
            });
            draft[field] = json!(text(chars));
            draft
        };
        assert_validator_bounds(
            &admin,
            Method::POST,
            "/api/v1/shipments",
            field,
            draft(format!("SWLIMIT{i}A"), max(field)),
            draft(format!("SWLIMIT{i}B"), max(field) + 1),
        )
        .await;
    }
    assert_validator_bounds(
        &alice,
        Method::PUT,
        &format!("/api/v1/shipments/{in_transit}/instructions"),
        "instructions",
        json!({"instructions": text(max("instructions"))}),
        json!({"instructions": text(max("instructions") + 1)}),
    )
    .await;
    assert_validator_bounds(
        &alice,
        Method::POST,
        &format!("/api/v1/shipments/{in_transit}/problems"),
        "description",
        json!({"description": text(max("description"))}),
        json!({"description": text(max("description") + 1)}),
    )
    .await;
    let problem_id: i64 =
        sqlx::query_scalar("SELECT id FROM shipment_problems WHERE resolved_at IS NULL LIMIT 1")
            .fetch_one(&pool)
            .await
            .expect("an open problem");
    assert_validator_bounds(
        &admin,
        Method::POST,
        &format!("/api/v1/problems/{problem_id}/resolution"),
        "resolution",
        json!({"resolution": text(max("resolution"))}),
        json!({"resolution": text(max("resolution") + 1)}),
    )
    .await;
    assert_validator_bounds(
        &admin,
        Method::POST,
        &format!("/api/v1/shipments/{delivered}/reopen"),
        "reason",
        json!({"status": "in_transit", "reason": text(max("reason"))}),
        json!({"status": "in_transit", "reason": text(max("reason") + 1)}),
    )
    .await;
    assert_validator_bounds(
        &admin,
        Method::POST,
        "/api/v1/tokens",
        "name",
        json!({"email": "alice@example.com", "name": text(max("name"))}),
        json!({"email": "alice@example.com", "name": text(max("name") + 1)}),
    )
    .await;
    let Some(FieldRule::Whole { min, max: most }) = FieldRule::of("expires_in_days") else {
        panic!("expires_in_days is a whole number")
    };
    assert_validator_bounds(
        &admin,
        Method::POST,
        "/api/v1/tokens",
        "expires_in_days",
        json!({"email": "alice@example.com", "name": "longest", "expires_in_days": most}),
        json!({"email": "alice@example.com", "name": "too long", "expires_in_days": most + 1}),
    )
    .await;
    assert_validator_bounds(
        &admin,
        Method::POST,
        "/api/v1/tokens",
        "expires_in_days",
        json!({"email": "alice@example.com", "name": "shortest", "expires_in_days": min}),
        json!({"email": "alice@example.com", "name": "too short", "expires_in_days": min - 1}),
    )
    .await;
    let Some(FieldRule::Whole { min, max: most }) = FieldRule::of("limit") else {
        panic!("limit is a whole number")
    };
    for (limit, taken) in [(min, true), (most, true), (min - 1, false), (most + 1, false)] {
        let answer = alice.get(&format!("/api/v1/shipments?limit={limit}")).await;
        let status = answer.status();
        assert_eq!(status.is_success(), taken, "limit={limit}: {status}");
        if !taken {
            assert_eq!(status, 422, "limit={limit}");
        }
    }
    let password = FieldRule::of("password").expect("password");
    let registration = |email: &str, chars: usize| json!({"email": email, "password": text(chars)});
    assert_validator_bounds(
        &visitor,
        Method::POST,
        "/api/v1/users",
        "password",
        registration("longest@example.com", password.max_chars().expect("max")),
        registration("too-long@example.com", password.max_chars().expect("max") + 1),
    )
    .await;
    assert_validator_bounds(
        &visitor,
        Method::POST,
        "/api/v1/users",
        "password",
        registration("shortest@example.com", password.min_chars()),
        registration("too-short@example.com", password.min_chars() - 1),
    )
    .await;
    let bobs = shipments_of(&pool, "bob@%", "in_transit").await.remove(0);
    let postcode: String =
        sqlx::query_scalar("SELECT destination_postal_code FROM shipments WHERE tracking_number = $1")
            .bind(bobs.as_str())
            .fetch_one(&pool)
            .await
            .expect("postcode");
    let padded = |chars: usize| format!("{postcode:<chars$}");
    assert_validator_bounds(
        &alice,
        Method::POST,
        "/api/v1/watches",
        "postal_code",
        json!({"tracking_number": bobs.as_str(), "postal_code": padded(max("postal_code"))}),
        json!({"tracking_number": bobs.as_str(), "postal_code": padded(max("postal_code") + 1)}),
    )
    .await;
    let Some(FieldRule::List { max_items, .. }) = FieldRule::of("tracking_numbers") else {
        panic!("tracking_numbers is a list")
    };
    let numbers = |count: usize| (0..count).map(|i| format!("SWNONE{i:06}")).collect::<Vec<_>>();
    assert_validator_bounds(
        &admin,
        Method::POST,
        "/api/v1/status-updates",
        "tracking_numbers",
        json!({"tracking_numbers": numbers(max_items), "status": "in_transit"}),
        json!({"tracking_numbers": numbers(max_items + 1), "status": "in_transit"}),
    )
    .await;
    let Some(FieldRule::List { max_items, .. }) = FieldRule::of("ids") else {
        panic!("ids is a list")
    };
    assert_validator_bounds(
        &alice,
        Method::POST,
        "/api/v1/notifications/read",
        "ids",
        json!({"ids": (0..max_items as i64).collect::<Vec<_>>()}),
        json!({"ids": (0..=max_items as i64).collect::<Vec<_>>()}),
    )
    .await;
}

/// PostgreSQL cannot store a NUL character in text: a field holding one is
/// refused as invalid input (422, naming the field), never a 500. Found by
/// schemathesis's stateful run (a problem's resolution).
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_nul_character_in_any_text_is_refused_as_invalid_not_a_500(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let ops = app.as_user("ops@example.com").await;
    let number = crate::helpers::shipments_of(&pool, "alice@example.com", "in_transit")
        .await
        .remove(0);
    let reported = ops
        .post_json(
            &format!("/api/v1/shipments/{}/problems", number.as_str()),
            serde_json::json!({"description": "a dent"}),
        )
        .await;
    assert_eq!(reported.status(), 201);
    let problem: serde_json::Value = reported.json().await.expect("json");
    let id = problem["id"].as_i64().expect("an id");
    for (path, body, field) in [
        (
            format!("/api/v1/problems/{id}/resolution"),
            serde_json::json!({"resolution": "fixed\u{0}"}),
            "resolution",
        ),
        (
            format!("/api/v1/shipments/{}/events", number.as_str()),
            serde_json::json!({"status": "in_transit", "note": "a\u{0}b"}),
            "note",
        ),
        (
            format!("/api/v1/shipments/{}/problems", number.as_str()),
            serde_json::json!({"description": "\u{0}"}),
            "description",
        ),
    ] {
        let response = ops.post_json(&path, body).await;
        assert_eq!(response.status(), 422, "{path}");
        let problem: serde_json::Value = response.json().await.expect("problem");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
}
