//! A CSV import of status updates and its report: one outcome per row, in
//! file order, that the operator reads in the console or downloads.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The columns an import file has (a header row names them, in any order;
/// `location`, `note` and `occurred_at` may be left out or empty).
pub const IMPORT_COLUMNS: [&str; 5] = ["tracking_number", "status", "location", "note", "occurred_at"];
/// The most rows one file may hold.
pub const MAX_IMPORT_ROWS: usize = 10_000;
/// The largest file accepted, in bytes.
pub const MAX_IMPORT_BYTES: usize = 2 * 1024 * 1024;

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportRowOutcome {
    /// The row's line in the file (the header is line 1).
    pub line: u32,
    pub tracking_number: String,
    pub status: String,
    pub applied: bool,
    /// Why it was refused.
    pub reason: Option<String>,
}

/// The report of one import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub id: i64,
    pub file_name: Option<String>,
    pub created_at: DateTime<Utc>,
    pub applied: u32,
    pub refused: u32,
    /// True when this exact file had been imported before: nothing was
    /// applied now, and this is the first import's report.
    pub already_imported: bool,
    pub rows: Vec<ImportRowOutcome>,
}
