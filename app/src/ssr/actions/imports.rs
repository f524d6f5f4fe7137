//! Importing a CSV file of status updates (staff): each row validated and
//! applied as a posted status is (`domain::input::StatusPost`, the transition
//! table), with a per-row report. The file is applied once: its SHA-256 is
//! recorded with the import in the same transaction as the rows' changes,
//! so uploading it again returns the first report and changes nothing.

use chrono::{DateTime, Utc};
use sha2::{Digest as _, Sha256};
use sqlx::PgPool;

use crate::domain::import::{
    ImportReport, ImportRowOutcome, IMPORT_COLUMNS, MAX_IMPORT_BYTES, MAX_IMPORT_ROWS,
};
use crate::domain::input::StatusPost;
use crate::domain::{ShipmentStatus, StatusPostRequest, Viewer};
use crate::error::AppError;
use crate::ssr::auth::policy;
use crate::ssr::db::events;
use crate::ssr::db::status::{record_status_change_in, Rule};

fn invalid(message: impl ToString) -> AppError {
    AppError::validation("file", message)
}

/// Where each column is in the file, from its header row.
struct Columns {
    tracking_number: usize,
    status: usize,
    location: Option<usize>,
    note: Option<usize>,
    occurred_at: Option<usize>,
}

impl Columns {
    fn of(header: &csv::StringRecord) -> Result<Self, AppError> {
        let find = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
        if let Some(unknown) = header
            .iter()
            .find(|h| !IMPORT_COLUMNS.iter().any(|c| h.trim().eq_ignore_ascii_case(c)))
        {
            return Err(invalid(format!(
                "the header names a column `{}` that is not one of {}",
                unknown.chars().take(40).collect::<String>(),
                IMPORT_COLUMNS.join(", ")
            )));
        }
        Ok(Self {
            tracking_number: find("tracking_number")
                .ok_or_else(|| invalid("the header row must name a tracking_number column"))?,
            status: find("status").ok_or_else(|| invalid("the header row must name a status column"))?,
            location: find("location"),
            note: find("note"),
            occurred_at: find("occurred_at"),
        })
    }
}

/// One row parsed into what posting a status takes, or why not.
fn parse_row(
    record: &csv::StringRecord,
    columns: &Columns,
    now: DateTime<Utc>,
) -> Result<(crate::domain::TrackingNumber, StatusPost), String> {
    let cell = |i: Option<usize>| {
        i.and_then(|i| record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let number = cell(Some(columns.tracking_number)).ok_or("the tracking number is missing")?;
    let number = crate::domain::TrackingNumber::parse(number).map_err(|e| e.to_string())?;
    let status: ShipmentStatus = cell(Some(columns.status))
        .ok_or("the status is missing")?
        .parse()
        .map_err(|e: crate::domain::UnknownStatus| e.to_string())?;
    let occurred_at = cell(columns.occurred_at)
        .map(|raw| {
            DateTime::parse_from_rfc3339(raw)
                .map(|at| at.with_timezone(&Utc))
                .map_err(|_| "occurred_at is not a time like 2026-12-01T14:05:00Z".to_owned())
        })
        .transpose()?;
    let post = StatusPost::parse(
        StatusPostRequest {
            status,
            location: cell(columns.location).map(str::to_owned),
            note: cell(columns.note).map(str::to_owned),
            occurred_at,
        },
        now,
    )
    .map_err(|e| e.message)?;
    Ok((number, post))
}

/// Imports `file` (CSV, UTF-8). A file already imported changes nothing and
/// returns its first report (`already_imported`). A file that cannot be read
/// as a whole (too large, no header, not UTF-8) is refused before any row.
pub async fn import_status_csv(
    pool: &PgPool,
    viewer: &Viewer,
    file_name: Option<&str>,
    file: &[u8],
) -> Result<ImportReport, AppError> {
    policy::require_staff(viewer)?;
    if file.len() > MAX_IMPORT_BYTES {
        return Err(invalid(format!(
            "the file is larger than {} MB",
            MAX_IMPORT_BYTES / (1024 * 1024)
        )));
    }
    let file = std::str::from_utf8(file).map_err(|_| invalid("the file is not UTF-8 text"))?;
    let file = file.strip_prefix('\u{feff}').unwrap_or(file);
    let hash = Sha256::digest(file.as_bytes()).to_vec();
    let file_name: Option<String> = file_name
        .map(|n| n.chars().filter(|c| !c.is_control()).take(255).collect())
        .filter(|n: &String| !n.is_empty());

    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(file.as_bytes());
    let header = reader
        .headers()
        .map_err(|_| invalid("the file has no readable header row"))?
        .clone();
    let columns = Columns::of(&header)?;

    let mut tx = pool.begin().await?;
    // The file's fingerprint first: a second upload of it waits here for the
    // first to commit, then finds it.
    let claimed = sqlx::query_scalar!(
        "INSERT INTO status_imports (file_sha256, file_name, imported_by, applied, refused, report)
         VALUES ($1, $2, $3, 0, 0, '[]') ON CONFLICT (file_sha256) DO NOTHING RETURNING id",
        &hash,
        file_name,
        viewer.user_id(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(id) = claimed else {
        tx.rollback().await?;
        let mut report = report_by_hash(pool, &hash).await?;
        report.already_imported = true;
        return Ok(report);
    };

    let now = Utc::now();
    let mut rows = Vec::new();
    let mut appended = Vec::new();
    for (index, record) in reader.records().enumerate() {
        if index >= MAX_IMPORT_ROWS {
            return Err(invalid(format!(
                "the file has more than {MAX_IMPORT_ROWS} rows; split it"
            )));
        }
        let line = u32::try_from(index + 2).unwrap_or(u32::MAX);
        let record = record.map_err(|_| invalid(format!("line {line} is not valid CSV")))?;
        let raw = |i: usize| {
            record
                .get(i)
                .unwrap_or("")
                .trim()
                .chars()
                .take(64)
                .collect::<String>()
        };
        let mut outcome = ImportRowOutcome {
            line,
            tracking_number: raw(columns.tracking_number),
            status: raw(columns.status),
            applied: false,
            reason: None,
        };
        match parse_row(&record, &columns, now) {
            Err(reason) => outcome.reason = Some(reason),
            Ok((number, post)) => {
                match record_status_change_in(&mut tx, &number, &post, viewer.user_id(), Rule::Ordinary).await
                {
                    Ok(event) => {
                        outcome.applied = true;
                        appended.push(event.id);
                    }
                    Err(error @ (AppError::Internal | AppError::Unavailable)) => return Err(error),
                    Err(error) => outcome.reason = Some(error.to_string()),
                }
            }
        }
        rows.push(outcome);
    }
    let applied = rows.iter().filter(|r| r.applied).count() as i32;
    let refused = rows.len() as i32 - applied;
    let report_json =
        serde_json::to_value(&rows).map_err(|e| anyhow::anyhow!("encoding an import report: {e}"))?;
    let created_at = sqlx::query_scalar!(
        r#"UPDATE status_imports SET applied = $2, refused = $3, report = $4 WHERE id = $1
           RETURNING created_at AS "created_at: DateTime<Utc>""#,
        id,
        applied,
        refused,
        report_json,
    )
    .fetch_one(&mut *tx)
    .await?;
    events::commit(tx, pool, &appended).await?;
    Ok(ImportReport {
        id,
        file_name,
        created_at,
        applied: applied as u32,
        refused: refused as u32,
        already_imported: false,
        rows,
    })
}

async fn report_by_hash(pool: &PgPool, hash: &[u8]) -> Result<ImportReport, AppError> {
    let id = sqlx::query_scalar!("SELECT id FROM status_imports WHERE file_sha256 = $1", hash)
        .fetch_one(pool)
        .await?;
    read(pool, id).await
}

async fn read(pool: &PgPool, id: i64) -> Result<ImportReport, AppError> {
    let row = sqlx::query!(
        r#"SELECT id, file_name, created_at AS "created_at: DateTime<Utc>", applied, refused, report
           FROM status_imports WHERE id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("import {id}")))?;
    let rows: Vec<ImportRowOutcome> =
        serde_json::from_value(row.report).map_err(|e| anyhow::anyhow!("reading an import report: {e}"))?;
    Ok(ImportReport {
        id: row.id,
        file_name: row.file_name,
        created_at: row.created_at,
        applied: row.applied as u32,
        refused: row.refused as u32,
        already_imported: false,
        rows,
    })
}

/// An import's report (staff).
pub async fn report(pool: &PgPool, viewer: &Viewer, id: i64) -> Result<ImportReport, AppError> {
    policy::require_staff(viewer)?;
    read(pool, id).await
}
