//! The browser defences every response carries: no sniffing, no framing,
//! no full URLs in Referer, and a Content-Security-Policy with a fresh nonce
//! on pages.

use sqlx::PgPool;

use crate::helpers::TestApp;

/// Every response carries the browser defences: no sniffing, no framing, no
/// full URLs in Referer to other sites.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn responses_carry_browser_defences(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    for path in ["/login", "/api/v1/session", "/healthz"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        let csp = headers["content-security-policy"].to_str().expect("csp");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(
            headers.get("strict-transport-security").is_none(),
            "plain http: no HSTS"
        );
    }
}

/// Pages allow only scripts carrying this response's nonce (a fresh one each
/// time) or from our origin; every inline script the page has carries it.
/// Other responses allow nothing at all.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn pages_run_only_scripts_with_their_nonce(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let mut nonces = Vec::new();
    for path in ["/", "/login"] {
        let response = alice.get(path).await;
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"))
            .to_owned();
        assert!(
            policy.contains("frame-ancestors 'none'") && !policy.contains(" 'unsafe-eval'"),
            "{policy}"
        );
        let body = response.text().await.expect("html");
        let scripts: Vec<&str> = body.split("<script").skip(1).collect();
        assert!(!scripts.is_empty(), "{path} has scripts");
        for script in scripts {
            let tag = script.split('>').next().unwrap_or_default();
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")) || tag.contains("src="),
                "{path}: inline script without the nonce: <script{tag}>"
            );
        }
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a fresh nonce per response");
    let api = alice.get("/api/v1/session").await;
    assert!(api.headers()["content-security-policy"]
        .to_str()
        .expect("ascii")
        .starts_with("default-src 'none'"));
}
