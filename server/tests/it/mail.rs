//! A real SMTP server for the email tests: `aiosmtpd` (PyPI), installed into
//! the project's venv by `scripts/test`, writing what it receives into a
//! Maildir that the tests read.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// One received email, raw, with the headers the tests look at.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub raw: String,
}

impl Mail {
    fn parse(raw: String) -> Self {
        let header = |name: &str| {
            raw.lines()
                .take_while(|line| !line.is_empty())
                .find_map(|line| {
                    let (key, value) = line.split_once(':')?;
                    key.eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
                })
                .unwrap_or_default()
        };
        Self {
            to: header("To"),
            subject: header("Subject"),
            raw: raw.clone(),
        }
    }

    /// The unsubscribe link of the `List-Unsubscribe` header.
    pub fn unsubscribe_link(&self) -> String {
        let line = self
            .raw
            .lines()
            .find(|line| line.to_ascii_lowercase().starts_with("list-unsubscribe:"))
            .expect("List-Unsubscribe header");
        let start = line.find('<').expect("<") + 1;
        let end = line.rfind('>').expect(">");
        line[start..end].to_owned()
    }
}

pub struct SmtpSink {
    pub port: u16,
    maildir: PathBuf,
    child: Option<Child>,
}

fn aiosmtpd() -> PathBuf {
    std::env::var_os("SHIPWATCH_TEST_AIOSMTPD").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/aiosmtpd"),
        PathBuf::from,
    )
}

impl SmtpSink {
    /// A port nothing listens on yet, for a sink started later (an SMTP
    /// server that is down).
    pub fn reserve() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let maildir = std::env::temp_dir().join(format!("shipwatch-mail-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&maildir);
        Self {
            port,
            maildir,
            child: None,
        }
    }

    /// A sink accepting mail now.
    pub async fn start() -> Self {
        let mut sink = Self::reserve();
        sink.listen().await;
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts (or restarts) the SMTP server on this sink's port and waits
    /// until it accepts connections.
    pub async fn listen(&mut self) {
        assert!(self.child.is_none(), "already listening");
        let program = aiosmtpd();
        let child = Command::new(&program)
            .args([
                "-n",
                "-l",
                &format!("127.0.0.1:{}", self.port),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&self.maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "starting {} ({e}); scripts/test installs it, or set SHIPWATCH_TEST_AIOSMTPD",
                    program.display()
                )
            });
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        for _ in 0..500 {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the SMTP sink did not start listening on {addr}");
    }

    /// Stops the SMTP server (an outage); what it received stays readable.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Everything received so far, in no particular order.
    pub fn received(&self) -> Vec<Mail> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
            .map(Mail::parse)
            .collect()
    }

    /// Waits (up to 30 s) until `done` holds for what was received.
    pub async fn wait_until(&self, what: &str, done: impl Fn(&[Mail]) -> bool) -> Vec<Mail> {
        for _ in 0..1500 {
            let mail = self.received();
            if done(&mail) {
                return mail;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("timed out waiting for {what}; received: {:#?}", self.received());
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}
