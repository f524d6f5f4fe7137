//! Starting the real app for a test.

use std::net::SocketAddr;

use app::ssr::state::AppState;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

/// The app serving on a free loopback port until the test ends.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
}

impl TestApp {
    pub async fn spawn(pool: PgPool) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let leptos_options = LeptosOptions::builder()
            .output_name("shipwatch")
            .site_root("target/site")
            .site_addr(addr)
            .build();
        let router = server::startup::build_router(AppState {
            pool,
            leptos_options,
        });
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        Self {
            addr,
            client: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }
}
