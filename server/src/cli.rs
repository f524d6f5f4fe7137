//! The `server` command line: every way to run and administer Shipwatch.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::Context as _;
use clap::{Parser, Subcommand};

use app::domain::{Email, NewPassword, Role, ShipmentStatus, TrackingNumber};
use app::error::AppError;
use app::ssr::db::status::{record_status_change, StatusChange};

use crate::database::DatabaseArgs;
use crate::embedded_postgres::EmbeddedPostgres;
use crate::startup::ServeArgs;

#[derive(Debug, Parser)]
#[command(name = "server", version, about = "Shipwatch: live shipment tracking")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web app, the API and the live stream.
    Serve(ServeArgs),
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
        Command::SeedDemo { database } => {
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
        Command::CreateUser {
            email,
            role,
            database,
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let password = read_new_password()?;
            let pool = database.connect_and_migrate().await?;
            let hash = app::ssr::auth::password::hash_password(password).await?;
            let id = app::ssr::db::users::create_user(&pool, &email, &hash, role)
                .await
                .map_err(user_facing)?;
            println!("created {role} {email} (id {id})");
            Ok(())
        }
        Command::SetRole {
            email,
            role,
            database,
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let pool = database.connect_and_migrate().await?;
            app::ssr::db::users::set_role(&pool, &email, role)
                .await
                .map_err(user_facing)?;
            println!("{email} is now {role}");
            Ok(())
        }
        Command::CreateToken {
            email,
            name,
            database,
        } => {
            let email = Email::parse(&email).map_err(|e| anyhow::anyhow!("--email: {e}"))?;
            let pool = database.connect_and_migrate().await?;
            let (id, token) = app::ssr::auth::tokens::create_token(&pool, &email, &name)
                .await
                .map_err(user_facing)?;
            eprintln!("token {id} for {email} (\"{name}\"); store it now, it is not shown again:");
            println!("{token}");
            Ok(())
        }
        Command::ListTokens { email, database } => {
            let email = email
                .map(|e| Email::parse(&e).map_err(|e| anyhow::anyhow!("--email: {e}")))
                .transpose()?;
            let pool = database.connect_and_migrate().await?;
            let tokens = app::ssr::auth::tokens::list_tokens(&pool, email.as_ref())
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
        Command::RevokeToken { id, database } => {
            let pool = database.connect_and_migrate().await?;
            app::ssr::auth::tokens::revoke_token(&pool, id)
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
        } => {
            let tracking_number = TrackingNumber::parse(&tracking_number)
                .map_err(|e| anyhow::anyhow!("--tracking-number: {e}"))?;
            let status: ShipmentStatus = status.parse()?;
            let pool = database.connect_and_migrate().await?;
            let change = StatusChange {
                status,
                location,
                note,
                occurred_at: None,
                actor_id: None,
            };
            let event = record_status_change(&pool, &tracking_number, &change)
                .await
                .map_err(user_facing)?;
            println!("{tracking_number} is now {status} (event {})", event.id);
            Ok(())
        }
        Command::FreshDatabase { name, database } => {
            let url = database.recreate_sibling(&name).await?;
            println!("{url}");
            Ok(())
        }
        Command::EmbeddedPostgres { action, data_dir } => {
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
    }
}

/// Turns an `AppError` into a message for the terminal.
fn user_facing(error: AppError) -> anyhow::Error {
    match error {
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
    NewPassword::parse(password).map_err(|e| anyhow::anyhow!("password: {e}; nothing was created"))
}
