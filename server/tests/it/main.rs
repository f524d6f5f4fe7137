//! Integration tests: a real PostgreSQL (a fresh database per test, created by
//! `#[sqlx::test]` from DATABASE_URL), the real router on a real port, real HTTP.
//! `scripts/test` provides DATABASE_URL (the embedded cluster by default).

mod helpers;

mod accounts;
mod authorization;
mod delivery;
mod doors;
mod export;
mod field_rules;
mod headers;
mod health;
mod imports;
mod limits;
mod mail;
mod notifications;
mod outage;
mod pages;
mod product;
mod rules;
mod schema;
mod seed;
mod sessions;
mod sign_in;
mod status_changes;
mod stream;
mod tracking;
mod webhooks;
