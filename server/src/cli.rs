//! The `server` command line: every way to run and administer Shipwatch. The
//! administrative commands are a door to the core like the API: they parse
//! their arguments with the same domain parsers and call the same actions,
//! acting as `Viewer::System`, so they cannot do what the API refuses.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use app::domain::input::{self, StatusPost};
use app::domain::{NewPassword, Role, StatusPostRequest, Viewer};
use app::error::AppError;
use app::ssr::actions::{accounts, admin, shipment_in_path, shipments};

use crate::config::ServeArgs;
use crate::database::DatabaseArgs;
use crate::embedded_postgres::EmbeddedPostgres;

#[derive(Debug, Parser)]
#[command(name = "server", version, about = "Shipwatch: live shipment tracking")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app, the API and the live stream.
    #[command(after_help = SERVE_ENVIRONMENT)]
    Serve(Box<ServeArgs>),
    /// Apply pending database migrations and exit.
    Migrate {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Create the demo accounts and 100 demo shipments (safe to run again).
    SeedDemo {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Create an account. The password is read from a prompt, or from the first
    /// line of standard input when it is not a terminal.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "customer", value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Change an account's role.
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Issue an API token for an account; it is printed once and only its hash is kept.
    CreateToken {
        #[arg(long)]
        email: String,
        /// What the token is for, e.g. "depot scanner 3".
        #[arg(long)]
        name: String,
        /// Days until it stops working by itself (default: until revoked).
        #[arg(long)]
        expires_in_days: Option<u32>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List API tokens (never the tokens themselves).
    ListTokens {
        /// Only this account's tokens.
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke an API token by id (see list-tokens); it stops working at once.
    RevokeToken {
        #[arg(long)]
        id: i64,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Post a status event for a shipment, as the system (for scripts and repairs).
    SetStatus {
        #[arg(long)]
        tracking_number: String,
        /// The new status, e.g. in_transit.
        #[arg(long)]
        status: String,
        #[arg(long)]
        location: Option<String>,
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Drop and recreate a database next to the configured one, migrate it and
    /// print its URL. For test suites; refuses the configured database itself.
    FreshDatabase {
        /// Name of the database to recreate (letters, digits and underscores).
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Manage the embedded PostgreSQL cluster used when DATABASE_URL is unset.
    EmbeddedPostgres {
        #[command(subcommand)]
        action: EmbeddedAction,
        /// Where the embedded cluster keeps its data.
        #[arg(long, env = "SHIPWATCH_DATA_DIR", default_value = ".shipwatch", global = true)]
        data_dir: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum EmbeddedAction {
    /// Start (or reuse) the cluster and print its connection URL.
    Start,
    /// Stop the cluster; its data stays.
    Stop,
}

fn parse_role(value: &str) -> Result<Role, String> {
    value.parse().map_err(|e: app::domain::UnknownRole| e.to_string())
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => crate::startup::serve(&args).await,
        Command::Migrate { database } => {
            database.connect_and_migrate().await?;
            println!("database is up to date");
            Ok(())
        }
        Command::SeedDemo { database } => seed_demo(&database).await,
        Command::CreateUser {
            email,
            role,
            database,
        } => create_user(&database, &email, role).await,
        Command::SetRole {
            email,
            role,
            database,
        } => set_role(&database, &email, role).await,
        Command::CreateToken {
            email,
            name,
            expires_in_days,
            database,
        } => create_token(&database, &email, &name, expires_in_days).await,
        Command::ListTokens { email, database } => list_tokens(&database, email.as_deref()).await,
        Command::RevokeToken { id, database } => {
            let pool = database.connect_and_migrate().await?;
            admin::revoke_token(&pool, &Viewer::System, id)
                .await
                .map_err(user_facing)?;
            println!("token {id} revoked");
            Ok(())
        }
        Command::SetStatus {
            tracking_number,
            status,
            location,
            note,
            database,
        } => set_status(&database, &tracking_number, &status, location, note).await,
        Command::FreshDatabase { name, database } => {
            let url = database.recreate_sibling(&name).await?;
            println!("{url}");
            Ok(())
        }
        Command::EmbeddedPostgres { action, data_dir } => embedded_postgres(action, data_dir).await,
    }
}

async fn seed_demo(database: &DatabaseArgs) -> anyhow::Result<()> {
    let pool = database.connect_and_migrate().await?;
    let report = app::ssr::demo::seed_demo(&pool).await?;
    println!(
        "demo data ready: {} new users, {} new shipments (sign in as alice@example.com, \
         bob@example.com or ops@example.com with password `{}`)",
        report.users_created,
        report.shipments_created,
        app::ssr::demo::DEMO_PASSWORD
    );
    Ok(())
}

/// Every argument is checked before the password is asked for.
async fn create_user(database: &DatabaseArgs, email: &str, role: Role) -> anyhow::Result<()> {
    let email = input::email("email", email).map_err(user_facing)?;
    let password = read_new_password()?;
    let pool = database.connect_and_migrate().await?;
    let id = accounts::create_user(&pool, &Viewer::System, &email, password, role)
        .await
        .map_err(user_facing)?;
    println!("created {role} {email} (id {id})");
    Ok(())
}

async fn set_role(database: &DatabaseArgs, email: &str, role: Role) -> anyhow::Result<()> {
    let email = input::email("email", email).map_err(user_facing)?;
    let pool = database.connect_and_migrate().await?;
    admin::change_role(&pool, &Viewer::System, &email, role)
        .await
        .map_err(user_facing)?;
    println!("{email} is now {role}");
    Ok(())
}

async fn create_token(
    database: &DatabaseArgs,
    email: &str,
    name: &str,
    expires_in_days: Option<u32>,
) -> anyhow::Result<()> {
    let email = input::email("email", email).map_err(user_facing)?;
    let name = input::token_name(name).map_err(user_facing)?;
    let lifetime = input::token_days(expires_in_days).map_err(user_facing)?;
    let pool = database.connect_and_migrate().await?;
    let issued = admin::issue_token(&pool, &Viewer::System, &email, &name, lifetime)
        .await
        .map_err(user_facing)?;
    eprintln!(
        "token {} for {email} (\"{name}\"); store it now, it is not shown again:",
        issued.id
    );
    println!("{}", issued.token);
    Ok(())
}

async fn list_tokens(database: &DatabaseArgs, email: Option<&str>) -> anyhow::Result<()> {
    let email = email
        .map(|e| input::email("email", e))
        .transpose()
        .map_err(user_facing)?;
    let pool = database.connect_and_migrate().await?;
    let tokens = admin::list_tokens(&pool, &Viewer::System, email.as_ref())
        .await
        .map_err(user_facing)?;
    if tokens.is_empty() {
        println!("no tokens");
    }
    for t in tokens {
        let state = match (t.revoked_at, t.last_used_at) {
            (Some(at), _) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
            (None, Some(at)) => format!("last used {}", at.format("%Y-%m-%d %H:%M")),
            (None, None) => "never used".to_owned(),
        };
        println!(
            "{:>5}  {:<30}  {:<30}  created {}  {state}",
            t.id,
            t.email,
            t.name,
            t.created_at.format("%Y-%m-%d %H:%M")
        );
    }
    Ok(())
}

async fn set_status(
    database: &DatabaseArgs,
    tracking_number: &str,
    status: &str,
    location: Option<String>,
    note: Option<String>,
) -> anyhow::Result<()> {
    let tracking_number = shipment_in_path(tracking_number).map_err(user_facing)?;
    let raw = StatusPostRequest {
        status: input::status("status", status).map_err(user_facing)?,
        location,
        note,
        occurred_at: None,
    };
    let post = StatusPost::parse(raw, chrono::Utc::now()).map_err(user_facing)?;
    let pool = database.connect_and_migrate().await?;
    let event = shipments::post_status(&pool, &Viewer::System, &tracking_number, &post)
        .await
        .map_err(user_facing)?;
    println!("{tracking_number} is now {} (event {})", post.status, event.id);
    Ok(())
}

async fn embedded_postgres(action: EmbeddedAction, data_dir: std::path::PathBuf) -> anyhow::Result<()> {
    let embedded = EmbeddedPostgres::new(data_dir);
    match action {
        EmbeddedAction::Start => {
            let url = tokio::task::spawn_blocking(move || embedded.ensure_running()).await??;
            println!("{url}");
        }
        EmbeddedAction::Stop => {
            let stopped = tokio::task::spawn_blocking(move || embedded.stop()).await??;
            println!(
                "{}",
                if stopped {
                    "embedded PostgreSQL stopped"
                } else {
                    "embedded PostgreSQL was not running"
                }
            );
        }
    }
    Ok(())
}

/// Turns an `AppError` into a message for the terminal.
fn user_facing(error: impl Into<AppError>) -> anyhow::Error {
    match error.into() {
        AppError::Validation { field, message } => anyhow::anyhow!("{field}: {message}"),
        other => anyhow::anyhow!("{other}"),
    }
}

/// Reads a new password without it ever appearing on a command line.
fn read_new_password() -> anyhow::Result<NewPassword> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        let again = rpassword::prompt_password("Repeat password: ").context("reading the password")?;
        if first != again {
            anyhow::bail!("the two passwords differ; nothing was created");
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    input::new_password("password", password)
        .map_err(|e| anyhow::anyhow!("{}: {}; nothing was created", e.field, e.message))
}

/// Settings read from the environment only (they have no flag), shown under
/// `server serve --help` so the operations guide's list is checkable.
const SERVE_ENVIRONMENT: &str = "\
Environment only:
  SHIPWATCH_DB_ACQUIRE_TIMEOUT_MS  How long a request waits for a database connection before it is
                                   answered 503 (default: 3000)
  LEPTOS_SITE_ROOT                 Where the browser bundle and static files are (default: target/site;
                                   target/site-release for the release build)
  LEPTOS_HASH_FILE_NAME            The file naming the bundle's hashed file names, relative to the
                                   binary's directory (default: hash.txt); a page's bundle is named
                                   in the one beside it with the bundle's name (hash.dashboard.txt)
  RUST_LOG                         Log filter (default: info,sqlx=warn,tower_http=info); logs go to
                                   standard error";
