//! Which database to use: `DATABASE_URL` when given, else the embedded cluster.

use std::path::PathBuf;

use clap::Args;
use sqlx::PgPool;

use crate::embedded_postgres::EmbeddedPostgres;

/// Database options shared by every command that needs one.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// PostgreSQL connection URL. When unset, a project-local cluster is started
    /// (or reused) from the machine's PostgreSQL binaries.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where the embedded cluster keeps its data (used only without DATABASE_URL).
    #[arg(long, env = "SHIPWATCH_DATA_DIR", default_value = ".shipwatch")]
    pub data_dir: PathBuf,
}

impl DatabaseArgs {
    /// The URL to connect to, starting the embedded cluster if needed.
    pub async fn resolve_url(&self) -> anyhow::Result<String> {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => Ok(url.clone()),
            _ => {
                let embedded = EmbeddedPostgres::new(self.data_dir.clone());
                tokio::task::spawn_blocking(move || embedded.ensure_running()).await?
            }
        }
    }

    /// Connects and brings the schema up to date.
    pub async fn connect_and_migrate(&self) -> anyhow::Result<PgPool> {
        let url = self.resolve_url().await?;
        let pool = app::ssr::db::connect(&url).await?;
        app::ssr::db::migrate(&pool).await?;
        Ok(pool)
    }

    /// The URL of the existing database `name` next to the configured one,
    /// with its schema brought up to date.
    pub async fn sibling(&self, name: &str) -> anyhow::Result<String> {
        let sibling = with_database(&self.resolve_url().await?, name)?;
        let pool = app::ssr::db::connect(&sibling).await?;
        app::ssr::db::migrate(&pool).await?;
        pool.close().await;
        Ok(sibling)
    }

    /// Drops and recreates the database `name` in the same server as the
    /// configured one, applies the migrations, and returns its URL.
    pub async fn recreate_sibling(&self, name: &str) -> anyhow::Result<String> {
        if name.is_empty()
            || name.len() > 63
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            anyhow::bail!("--name: use 1 to 63 lower-case letters, digits and underscores");
        }
        let url = self.resolve_url().await?;
        let sibling = with_database(&url, name)?;
        if sibling == url {
            anyhow::bail!("--name: refusing to recreate the configured database itself");
        }
        let admin = app::ssr::db::connect(&url).await?;
        sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
            .execute(&admin)
            .await?;
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
            .execute(&admin)
            .await?;
        admin.close().await;
        let pool = app::ssr::db::connect(&sibling).await?;
        app::ssr::db::migrate(&pool).await?;
        pool.close().await;
        Ok(sibling)
    }
}

/// The same connection URL with another database name.
fn with_database(url: &str, name: &str) -> anyhow::Result<String> {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_start..]
        .find('/')
        .map(|i| authority_start + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn swaps_only_the_database_name() {
        assert_eq!(
            with_database("postgres://u:p@h:5/app?sslmode=require", "e2e")
                .ok()
                .as_deref(),
            Some("postgres://u:p@h:5/e2e?sslmode=require")
        );
        assert_eq!(
            with_database("postgres://h", "e2e").ok().as_deref(),
            Some("postgres://h/e2e")
        );
    }
}
