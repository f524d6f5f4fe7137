//! A real webhook receiver (`support/webhook_receiver.py`) that verifies
//! every delivery with the reference Standard Webhooks library.

use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde::Deserialize;
use serde_json::{json, Value};

/// A running receiver; stopped when dropped.
pub struct Receiver {
    child: Child,
    pub port: u16,
    client: reqwest::Client,
}

/// One delivery as the receiver saw it.
#[derive(Debug, Clone, Deserialize)]
pub struct Received {
    pub id: String,
    pub verified: bool,
    /// The verified payload (absent when it did not verify).
    pub payload: Option<Value>,
}

impl Received {
    /// The stream position it carries.
    pub fn position(&self) -> i64 {
        self.payload.as_ref().expect("verified")["data"]["position"]
            .as_i64()
            .expect("a position")
    }

    pub fn tracking_number(&self) -> String {
        self.payload.as_ref().expect("verified")["data"]["shipment"]["tracking_number"]
            .as_str()
            .expect("a tracking number")
            .to_owned()
    }

    pub fn event_type(&self) -> String {
        self.payload.as_ref().expect("verified")["type"]
            .as_str()
            .expect("a type")
            .to_owned()
    }
}

fn python() -> PathBuf {
    std::env::var_os("SHIPWATCH_TEST_PYTHON").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/python"),
        PathBuf::from,
    )
}

impl Receiver {
    pub fn start() -> Self {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/it/support/webhook_receiver.py");
        let mut child = Command::new(python())
            .arg(&script)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("starting the webhook receiver ({e}); scripts/test installs its Python, or set SHIPWATCH_TEST_PYTHON")
            });
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("the receiver's port");
        let port = first.trim().parse().expect("a port number");
        Self {
            child,
            port,
            client: reqwest::Client::new(),
        }
    }

    /// Where deliveries go.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/shipwatch", self.port)
    }

    /// Verifies deliveries with each of `secrets` and answers them `status`.
    pub async fn set(&self, secrets: &[&str], status: u16) {
        let response = self
            .client
            .post(format!("http://127.0.0.1:{}/_control", self.port))
            .json(&json!({"secrets": secrets, "answer": status}))
            .send()
            .await
            .expect("control");
        assert_eq!(response.status(), 204);
    }

    pub async fn received(&self) -> Vec<Received> {
        self.client
            .get(format!("http://127.0.0.1:{}/_received", self.port))
            .send()
            .await
            .expect("received")
            .json()
            .await
            .expect("json")
    }

    /// The deliveries once there are `n` of them (panics after 15 s).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        self.wait_until(|received| received.len() >= n).await
    }

    /// The deliveries once `done` holds for them (panics after 15 s).
    pub async fn wait_until(&self, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let received = self.received().await;
            if done(&received) {
                return received;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the receiver did not get what was expected; it has {received:#?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
