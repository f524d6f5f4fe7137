//! The embedded PostgreSQL default: a project-local cluster made from the
//! machine's PostgreSQL binaries, so `server serve` works with no setup.
//!
//! * Started on first use, reused afterwards (also by other server processes);
//!   it keeps running after the server exits so data and start-up stay fast.
//!   `server embedded-postgres stop` stops it.
//! * An exclusive file lock serialises initialisation and start-up, so two
//!   servers starting at once cannot both run `initdb` or `pg_ctl start`.
//! * `initdb` refuses to run as root, so as root the cluster belongs to the
//!   `postgres` system user and every PostgreSQL command runs through `runuser`.
//! * It listens on 127.0.0.1 only, on a port chosen when the cluster is created,
//!   with no Unix socket (its path could exceed the 107-byte limit).
//! * It asks for a password (SCRAM): a random secret generated at creation,
//!   kept in `<data dir>/postgres.secret` (mode 0600) and part of the URL the
//!   server connects with, so other local accounts cannot connect as its
//!   superuser. A cluster made before this (trust authentication) is given a
//!   secret the next time it is used.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::net::TcpListener;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use anyhow::{bail, Context as _};

/// The database the app uses inside the embedded cluster.
pub const DATABASE_NAME: &str = "shipwatch";
/// The system user that owns the cluster when we run as root.
const POSTGRES_SYSTEM_USER: &str = "postgres";

#[derive(Debug, Clone)]
pub struct EmbeddedPostgres {
    /// The project's data directory (`.shipwatch` by default).
    base_dir: PathBuf,
}

/// The PostgreSQL programs we need, from one installation.
#[derive(Debug, Clone)]
struct Binaries {
    dir: PathBuf,
}

impl EmbeddedPostgres {
    pub fn new(base_dir: PathBuf) -> Self {
        Self { base_dir }
    }

    /// Makes sure the cluster exists, is running and has the app's database;
    /// returns its connection URL. Blocking: call from `spawn_blocking`.
    pub fn ensure_running(&self) -> anyhow::Result<String> {
        fs::create_dir_all(&self.base_dir)
            .with_context(|| format!("creating the data directory {}", self.base_dir.display()))?;
        let base_dir = self
            .base_dir
            .canonicalize()
            .with_context(|| format!("resolving {}", self.base_dir.display()))?;
        // Fail first, and clearly, when PostgreSQL is not installed at all.
        Binaries::find(None)?;
        let _lock = lock_exclusive(&base_dir.join("postgres.lock"))?;

        let as_root = running_as_root();
        let cluster = self.cluster_dir(&base_dir, as_root)?;
        let existing_version = fs::read_to_string(cluster.join("PG_VERSION")).ok();
        let binaries = Binaries::find(existing_version.as_deref().map(str::trim))?;
        let runner = Runner { as_root };

        if existing_version.is_none() {
            self.initialise(&runner, &binaries, &cluster)?;
        }
        let port = configured_port(&cluster)?;
        if !binaries.is_running(&runner, &cluster)? {
            tracing::info!(cluster = %cluster.display(), port, "starting embedded PostgreSQL");
            binaries.start(&runner, &cluster)?;
        }
        let secret = match read_secret(&base_dir)? {
            Some(secret) => secret,
            // Made with trust authentication by an older version: close it.
            None => binaries.require_password(&runner, &cluster, port, &base_dir)?,
        };
        binaries.ensure_database(&runner, port, &secret)?;
        Ok(url(port, &secret, DATABASE_NAME))
    }

    /// Stops the cluster if it runs. Returns whether it was running.
    pub fn stop(&self) -> anyhow::Result<bool> {
        self.pg_ctl_if_running(&["stop", "-m", "fast", "-w"], "stopping the embedded PostgreSQL")
    }

    /// Stops the running cluster the way a crash would (`-m immediate`: no
    /// clean shutdown; the next start runs crash recovery). For outage tests,
    /// which hold the database down until the server has noticed; start it
    /// again with [`Self::ensure_running`].
    pub fn crash(&self) -> anyhow::Result<bool> {
        self.pg_ctl_if_running(
            &["stop", "-m", "immediate", "-w"],
            "crashing the embedded PostgreSQL",
        )
    }

    /// Restarts the running cluster the way a crash would (`-m immediate`: no
    /// clean shutdown, crash recovery on start) and waits until it accepts
    /// connections again. For outage tests and benchmarks.
    pub fn restart_immediately(&self) -> anyhow::Result<bool> {
        self.pg_ctl_if_running(
            &["restart", "-m", "immediate", "-w", "-t", "60"],
            "restarting the embedded PostgreSQL",
        )
    }

    /// Stops the cluster and deletes it with its data directory (a throwaway
    /// cluster of a test).
    pub fn destroy(&self) -> anyhow::Result<()> {
        self.stop()?;
        let Ok(base_dir) = self.base_dir.canonicalize() else {
            return Ok(());
        };
        let cluster = self.cluster_dir(&base_dir, running_as_root())?;
        if cluster.exists() {
            fs::remove_dir_all(&cluster).with_context(|| format!("removing {}", cluster.display()))?;
        }
        fs::remove_dir_all(&base_dir).with_context(|| format!("removing {}", base_dir.display()))
    }

    /// Runs `pg_ctl <args> -D <cluster>` when the cluster runs; returns whether it did.
    fn pg_ctl_if_running(&self, args: &[&str], doing: &str) -> anyhow::Result<bool> {
        let base_dir = match self.base_dir.canonicalize() {
            Ok(dir) => dir,
            Err(_) => return Ok(false),
        };
        let _lock = lock_exclusive(&base_dir.join("postgres.lock"))?;
        let as_root = running_as_root();
        let cluster = self.cluster_dir(&base_dir, as_root)?;
        let Ok(version) = fs::read_to_string(cluster.join("PG_VERSION")) else {
            return Ok(false);
        };
        let binaries = Binaries::find(Some(version.trim()))?;
        let runner = Runner { as_root };
        if !binaries.is_running(&runner, &cluster)? {
            return Ok(false);
        }
        let log = cluster.join("server.log");
        let mut full = args.to_vec();
        full.extend(["-D", path_str(&cluster)?]);
        if args.first() == Some(&"restart") {
            full.extend(["-l", path_str(&log)?]);
        }
        let output = runner.run(binaries.program("pg_ctl"), &full)?;
        check(&output, doing)?;
        Ok(true)
    }

    /// The cluster lives in `<base>/postgres`. As root it must be reachable by
    /// the `postgres` user; when a parent directory forbids that (a clone under
    /// `/root`, say) it lives in `/var/tmp` under a name derived from the base.
    fn cluster_dir(&self, base_dir: &Path, as_root: bool) -> anyhow::Result<PathBuf> {
        let local = base_dir.join("postgres");
        if !as_root {
            return Ok(local);
        }
        ensure_system_user_exists()?;
        let probe = Command::new(runuser())
            .args(["-u", POSTGRES_SYSTEM_USER, "--", "test", "-x"])
            .arg(base_dir)
            .status()
            .context("running `runuser` (needed to run PostgreSQL as root)")?;
        if probe.success() {
            return Ok(local);
        }
        let fallback = PathBuf::from(format!(
            "/var/tmp/shipwatch-postgres-{:016x}",
            fnv1a(base_dir.as_os_str().as_encoded_bytes())
        ));
        tracing::info!(
            fallback = %fallback.display(),
            "the postgres user cannot enter the data directory; keeping the cluster elsewhere"
        );
        refuse_planted(&fallback)?;
        Ok(fallback)
    }

    fn initialise(&self, runner: &Runner, binaries: &Binaries, cluster: &Path) -> anyhow::Result<()> {
        tracing::info!(cluster = %cluster.display(), "initialising embedded PostgreSQL (first run)");
        // A half-made cluster from an interrupted initdb has no PG_VERSION: start over.
        if cluster.exists() {
            fs::remove_dir_all(cluster)
                .with_context(|| format!("removing the incomplete cluster {}", cluster.display()))?;
        }
        if runner.as_root {
            // Never through a symlink, and only a directory we create (0700).
            refuse_planted(cluster)?;
            fs::DirBuilder::new()
                .mode(0o700)
                .create(cluster)
                .with_context(|| format!("creating {}", cluster.display()))?;
        } else {
            fs::create_dir_all(cluster)?;
        }
        if runner.as_root {
            let output = Command::new("chown")
                .arg("--no-dereference")
                .arg(format!("{POSTGRES_SYSTEM_USER}:{POSTGRES_SYSTEM_USER}"))
                .arg(cluster)
                .output()
                .context("running chown")?;
            check(&output, "giving the cluster directory to the postgres user")?;
        }
        let output = runner.run(
            binaries.program("initdb"),
            &[
                "-D",
                path_str(cluster)?,
                // Replaced below, before the cluster first listens: initdb
                // cannot set a password without a file holding it.
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        )?;
        check(&output, "initialising the embedded PostgreSQL cluster (initdb)")?;
        // The superuser's password, set before the cluster ever listens
        // (single-user mode: no network), then kept for the server's URL.
        let secret = new_secret()?;
        let output = runner.run_with_input(
            binaries.program("postgres"),
            &["--single", "-D", path_str(cluster)?, "postgres"],
            &format!("ALTER ROLE postgres PASSWORD '{secret}';\n"),
        )?;
        check(&output, "setting the embedded PostgreSQL password")?;
        write_hba(cluster)?;
        write_secret(self.base_dir.canonicalize()?.as_path(), &secret)?;

        let port = free_port()?;
        // Appended settings win over the defaults above them in the file.
        let settings = format!(
            "\n# Added by Shipwatch's embedded PostgreSQL\nport = {port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 200\n"
        );
        OpenOptions::new()
            .append(true)
            .open(cluster.join("postgresql.conf"))
            .and_then(|mut file| file.write_all(settings.as_bytes()))
            .context("writing the embedded cluster's settings")?;
        Ok(())
    }
}

impl Binaries {
    /// Finds `initdb` and `pg_ctl` on PATH or in `/usr/lib/postgresql/*/bin`,
    /// preferring the installation whose major version made an existing cluster.
    fn find(cluster_version: Option<&str>) -> anyhow::Result<Self> {
        let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect())
            .unwrap_or_default();
        let mut versioned: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        versioned.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
        if let Some(wanted) = cluster_version {
            if let Some((_, dir)) = versioned.iter().find(|(v, _)| v.to_string() == wanted) {
                candidates.insert(0, dir.clone());
            }
        }
        candidates.extend(versioned.into_iter().map(|(_, dir)| dir));

        candidates
            .into_iter()
            // Follow symlinks (e.g. /usr/local/bin/initdb) to the installation
            // itself, whose directory also holds psql and postgres.
            .filter_map(|dir| dir.join("initdb").canonicalize().ok()?.parent().map(Path::to_path_buf))
            .find(|dir| ["initdb", "pg_ctl", "postgres", "psql"].iter().all(|p| dir.join(p).is_file()))
            .map(|dir| Self { dir })
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "PostgreSQL server programs (initdb, pg_ctl, postgres, psql) were not found on PATH or in \
                     /usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: `apt-get install \
                     postgresql`; Fedora: `dnf install postgresql-server`; macOS: `brew install \
                     postgresql`), or set DATABASE_URL to an existing database"
                )
            })
    }

    fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn is_running(&self, runner: &Runner, cluster: &Path) -> anyhow::Result<bool> {
        let output = runner.run(self.program("pg_ctl"), &["status", "-D", path_str(cluster)?])?;
        // pg_ctl status: 0 running, 3 not running, 4 no usable data directory.
        Ok(output.status.success())
    }

    fn start(&self, runner: &Runner, cluster: &Path) -> anyhow::Result<()> {
        let log = cluster.join("server.log");
        let output = runner.run(
            self.program("pg_ctl"),
            &[
                "start",
                "-D",
                path_str(cluster)?,
                "-l",
                path_str(&log)?,
                "-w",
                "-t",
                "60",
            ],
        )?;
        if output.status.success() {
            return Ok(());
        }
        let tail = fs::read_to_string(&log)
            .map(|text| {
                text.lines()
                    .rev()
                    .take(8)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default();
        bail!(
            "the embedded PostgreSQL did not start ({}). Its log ({}) ends with:\n{tail}",
            String::from_utf8_lossy(&output.stderr).trim(),
            log.display()
        )
    }

    /// Creates the app's database if missing, with `psql` from the same installation.
    fn ensure_database(&self, runner: &Runner, port: u16, secret: &str) -> anyhow::Result<()> {
        let port = port.to_string();
        let psql = |sql: &str| {
            runner.run_with_password(
                secret,
                self.program("psql"),
                &[
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &port,
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-tAXq",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-c",
                    sql,
                ],
            )
        };
        let output = psql(&format!(
            "SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}'"
        ))?;
        check(&output, "checking for the shipwatch database")?;
        if String::from_utf8_lossy(&output.stdout).trim() != "1" {
            let output = psql(&format!("CREATE DATABASE {DATABASE_NAME}"))?;
            check(&output, "creating the shipwatch database")?;
        }
        Ok(())
    }
}

impl Binaries {
    /// Gives a cluster made with trust authentication a password: sets a new
    /// secret (over the still-open connection), then switches every
    /// connection to SCRAM and reloads. Returns the secret.
    fn require_password(
        &self,
        runner: &Runner,
        cluster: &Path,
        port: u16,
        base_dir: &Path,
    ) -> anyhow::Result<String> {
        tracing::info!("the embedded PostgreSQL trusts every local user: giving it a password");
        let secret = new_secret()?;
        let output = runner.run_with_input(
            self.program("psql"),
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-qX",
                "-v",
                "ON_ERROR_STOP=1",
            ],
            &format!("ALTER ROLE postgres PASSWORD '{secret}';\n"),
        )?;
        check(&output, "setting the embedded PostgreSQL password")?;
        write_secret(base_dir, &secret)?;
        write_hba(cluster)?;
        let output = runner.run(self.program("pg_ctl"), &["reload", "-D", path_str(cluster)?])?;
        check(
            &output,
            "reloading the embedded PostgreSQL's authentication settings",
        )?;
        Ok(secret)
    }
}

/// Only password (SCRAM) connections over 127.0.0.1; there is no socket.
/// Written in place, so the file keeps its owner (the postgres user).
fn write_hba(cluster: &Path) -> anyhow::Result<()> {
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(cluster.join("pg_hba.conf"))
        .and_then(|mut file| {
            file.write_all(
                b"# Shipwatch's embedded PostgreSQL: password (SCRAM) authentication only.\n\
                  host all all 127.0.0.1/32 scram-sha-256\n",
            )
        })
        .context("writing the embedded cluster's pg_hba.conf")
}

const SECRET_FILE: &str = "postgres.secret";

/// 32 random hex digits from the kernel.
fn new_secret() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    File::open("/dev/urandom")
        .and_then(|mut random| std::io::Read::read_exact(&mut random, &mut bytes))
        .context("reading /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn read_secret(base_dir: &Path) -> anyhow::Result<Option<String>> {
    match fs::read_to_string(base_dir.join(SECRET_FILE)) {
        Ok(secret) if !secret.trim().is_empty() => Ok(Some(secret.trim().to_owned())),
        Ok(_) => Ok(None),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).context("reading the embedded PostgreSQL secret"),
    }
}

/// Kept readable by us only (0600), beside the cluster's data directory.
fn write_secret(base_dir: &Path, secret: &str) -> anyhow::Result<()> {
    let path = base_dir.join(SECRET_FILE);
    let _ = fs::remove_file(&path);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| file.write_all(secret.as_bytes()))
        .with_context(|| format!("writing {}", path.display()))
}

/// Refuses a directory path someone else prepared: a symlink (which would
/// make us create or hand over a directory elsewhere), or an existing
/// directory owned by anyone but root or the postgres user.
fn refuse_planted(path: &Path) -> anyhow::Result<()> {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    if meta.file_type().is_symlink() || !meta.is_dir() {
        bail!(
            "{} is not a directory we made (a symlink or a file): remove it, or set DATABASE_URL",
            path.display()
        );
    }
    let postgres_uid = system_user_id(POSTGRES_SYSTEM_USER);
    if meta.uid() != 0 && Some(meta.uid()) != postgres_uid {
        bail!(
            "{} belongs to another user (uid {}): remove it, or set DATABASE_URL",
            path.display(),
            meta.uid()
        );
    }
    Ok(())
}

fn system_user_id(name: &str) -> Option<u32> {
    fs::read_to_string("/etc/passwd").ok()?.lines().find_map(|line| {
        let mut fields = line.split(':');
        (fields.next() == Some(name))
            .then(|| fields.nth(1)?.parse().ok())
            .flatten()
    })
}

/// Runs PostgreSQL programs as ourselves, or as `postgres` when we are root.
struct Runner {
    as_root: bool,
}

impl Runner {
    fn run(&self, program: PathBuf, args: &[&str]) -> anyhow::Result<Output> {
        self.command(&program, args)
            .output()
            .with_context(|| format!("running {}", program.display()))
    }

    /// With the superuser's password in the environment (never on the
    /// command line, where `ps` shows it).
    fn run_with_password(&self, secret: &str, program: PathBuf, args: &[&str]) -> anyhow::Result<Output> {
        self.command(&program, args)
            .env("PGPASSWORD", secret)
            .output()
            .with_context(|| format!("running {}", program.display()))
    }

    /// With `input` on standard input (SQL carrying a secret).
    fn run_with_input(&self, program: PathBuf, args: &[&str], input: &str) -> anyhow::Result<Output> {
        let mut child = self
            .command(&program, args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .with_context(|| format!("running {}", program.display()))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .context("writing to PostgreSQL")?;
        }
        child
            .wait_with_output()
            .with_context(|| format!("running {}", program.display()))
    }

    fn command(&self, program: &Path, args: &[&str]) -> Command {
        let mut command = if self.as_root {
            let mut command = Command::new(runuser());
            command.args(["-u", POSTGRES_SYSTEM_USER, "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command
            .args(args)
            // Keep the child's working directory readable by the postgres user.
            .current_dir("/");
        command
    }
}

fn check(output: &Output, what: &str) -> anyhow::Result<()> {
    if output.status.success() {
        return Ok(());
    }
    bail!(
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stderr).trim(),
        String::from_utf8_lossy(&output.stdout).trim()
    )
}

/// The port written into the cluster's `postgresql.conf` (the last one wins).
fn configured_port(cluster: &Path) -> anyhow::Result<u16> {
    let conf = fs::read_to_string(cluster.join("postgresql.conf"))
        .with_context(|| format!("reading {}/postgresql.conf", cluster.display()))?;
    conf.lines()
        .rev()
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "port").then(|| value.split('#').next()?.trim().parse::<u16>().ok())?
        })
        .context("the embedded cluster's postgresql.conf names no port; remove the cluster directory to recreate it")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")
        .context("finding a free port for PostgreSQL")?
        .local_addr()?
        .port())
}

fn url(port: u16, secret: &str, database: &str) -> String {
    format!("postgres://postgres:{secret}@127.0.0.1:{port}/{database}")
}

fn lock_exclusive(path: &Path) -> anyhow::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening the lock file {}", path.display()))?;
    file.lock()
        .with_context(|| format!("locking {}", path.display()))?;
    Ok(file)
}

/// `runuser` lives in /usr/sbin or /sbin, which a root PATH may lack.
fn runuser() -> PathBuf {
    [
        "/usr/sbin/runuser",
        "/sbin/runuser",
        "/usr/bin/runuser",
        "/bin/runuser",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.is_file())
    .unwrap_or_else(|| PathBuf::from("runuser"))
}

fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("Uid:"))?;
            line.split_whitespace().nth(2).map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

fn ensure_system_user_exists() -> anyhow::Result<()> {
    let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
    if passwd
        .lines()
        .any(|l| l.split(':').next() == Some(POSTGRES_SYSTEM_USER))
    {
        return Ok(());
    }
    bail!(
        "running as root, the embedded PostgreSQL must run as the `postgres` system user, \
         which does not exist. Install the postgresql package (it creates the user), run as a \
         normal user, or set DATABASE_URL"
    )
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .with_context(|| format!("the path {} is not valid UTF-8", path.display()))
}

/// A stable hash (FNV-1a) for naming the fallback directory.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_port_setting_wins() {
        let dir = std::env::temp_dir().join(format!("shipwatch-conf-test-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        fs::write(
            dir.join("postgresql.conf"),
            "#port = 5432\nport = 5432 # default\nport = 54321\n",
        )
        .expect("write");
        assert_eq!(configured_port(&dir).expect("port"), 54321);
        fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn a_planted_symlink_or_file_is_refused_as_the_cluster_directory() {
        let dir = std::env::temp_dir().join(format!("shipwatch-plant-test-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let target = dir.join("elsewhere");
        fs::create_dir_all(&target).expect("target");
        let planted = dir.join("shipwatch-postgres-planted");
        std::os::unix::fs::symlink(&target, &planted).expect("symlink");
        assert!(refuse_planted(&planted).is_err(), "a symlink is refused");
        let file = dir.join("a-file");
        fs::write(&file, "x").expect("file");
        assert!(refuse_planted(&file).is_err(), "a file is refused");
        assert!(refuse_planted(&dir.join("not-there-yet")).is_ok());
        if running_as_root() {
            assert!(refuse_planted(&target).is_ok(), "our own directory is fine");
        }
        fs::remove_dir_all(&dir).ok();
    }
}
