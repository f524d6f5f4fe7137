//! nginx in front of the harness's instances, with the repository's own proxy
//! settings (`scripts/nginx-local`, which includes
//! `deploy/nginx/shipwatch-proxy.conf`), for the rolling-restart run.

use std::path::PathBuf;
use std::time::Duration;

use crate::instances::{free_port, wait_until_ready};

/// nginx in front of the instances (`scripts/nginx-local`: the repository's
/// proxy settings), stopped when dropped.
pub struct Proxy {
    pub base: String,
    child: std::process::Child,
    dir: PathBuf,
}

impl Proxy {
    pub async fn start(instance_ports: &[u16]) -> anyhow::Result<Self> {
        let port = free_port()?;
        let dir = PathBuf::from(format!("target/nginx-{}", std::process::id()));
        let child = std::process::Command::new("scripts/nginx-local")
            .arg(&dir)
            .arg(port.to_string())
            .args(instance_ports.iter().map(u16::to_string))
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .spawn()
            .map_err(|error| {
                anyhow::anyhow!("starting scripts/nginx-local (run from the repository root): {error}")
            })?;
        let proxy = Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
            dir,
        };
        // Dropped on failure, which keeps nginx's error log there.
        wait_until_ready(
            &proxy.base,
            Duration::from_secs(20),
            "target/bench-nginx-error.log",
        )
        .await?;
        Ok(proxy)
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // SIGTERM to the master stops its workers too (SIGKILL would orphan them).
        let _ = std::process::Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
        let _ = std::fs::copy(self.dir.join("error.log"), "target/bench-nginx-error.log");
        let _ = std::fs::copy(self.dir.join("access.log"), "target/bench-nginx-access.log");
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
