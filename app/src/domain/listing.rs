//! Lists of shipments: the filters shared by the dashboard, the operator
//! console and `GET /api/v1/shipments`, and the page they return.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::visibility::needs_attention;
use super::{CountMove, ShipmentStatus, ShipmentSummary, Standing};

/// Page sizes: the default, and the most a client may ask for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

/// Rows an export reads per query (inside one snapshot).
pub const EXPORT_PAGE_SIZE: u32 = 1000;

/// Which shipments a list shows. It can only be built by its parser
/// ([`ShipmentQuery::from_params`]; also when it arrives as JSON) or by the
/// named filters below, so `/`, `/operator` and the API agree on every rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "QueryParams", into = "QueryParams")]
pub struct ShipmentQuery {
    status: Option<ShipmentStatus>,
    /// Part of a tracking number, upper-case, letters and digits only.
    search: Option<String>,
    /// Only shipments that need attention.
    attention: bool,
    /// Where the previous page ended.
    after: Option<PageCursor>,
    limit: u32,
}

impl Default for ShipmentQuery {
    fn default() -> Self {
        Self {
            status: None,
            search: None,
            attention: false,
            after: None,
            limit: DEFAULT_PAGE_SIZE,
        }
    }
}

/// A query's parameters as the query string spells them: how a query travels
/// between browser and server.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct QueryParams {
    status: Option<String>,
    q: Option<String>,
    attention: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

impl TryFrom<QueryParams> for ShipmentQuery {
    type Error = String;
    fn try_from(params: QueryParams) -> Result<Self, Self::Error> {
        ShipmentQuery::from_params(|name| match name {
            "status" => params.status.as_deref(),
            "q" => params.q.as_deref(),
            "attention" => params.attention.as_deref(),
            "after" => params.after.as_deref(),
            "limit" => params.limit.as_deref(),
            _ => None,
        })
        .map_err(|e| format!("{}: {}", e.field, e.message))
    }
}

impl From<ShipmentQuery> for QueryParams {
    fn from(query: ShipmentQuery) -> Self {
        QueryParams {
            status: query.status.map(|s| s.as_str().to_owned()),
            q: query.search,
            attention: query.attention.then(|| "1".to_owned()),
            after: query.after.map(|a| a.encode()),
            limit: Some(query.limit.to_string()),
        }
    }
}

/// Why a query string could not become a [`ShipmentQuery`]: the parameter and
/// a message for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub field: &'static str,
    pub message: String,
}

impl ShipmentQuery {
    /// Reads the query-string parameters `status`, `q`, `attention`, `after`
    /// and `limit`. Empty values mean "not set" (an HTML form sends them).
    pub fn from_params<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, QueryError> {
        let value = |name: &str| get(name).map(str::trim).filter(|v| !v.is_empty());
        let status = value("status")
            .map(|s| {
                s.parse::<ShipmentStatus>().map_err(|e| QueryError {
                    field: "status",
                    message: e.to_string(),
                })
            })
            .transpose()?;
        let search = value("q")
            .map(|q| {
                let cleaned: String = q
                    .chars()
                    .filter(|c| !c.is_whitespace() && *c != '-')
                    .collect::<String>()
                    .to_uppercase();
                if cleaned.chars().all(|c| c.is_ascii_alphanumeric()) && cleaned.len() <= 32 {
                    Ok(cleaned)
                } else {
                    Err(QueryError {
                        field: "q",
                        message: "search by tracking number: up to 32 letters and digits".to_owned(),
                    })
                }
            })
            .transpose()?;
        let attention = matches!(value("attention"), Some("1" | "true" | "on" | "yes"));
        let after = value("after")
            .map(|raw| {
                PageCursor::decode(raw).ok_or_else(|| QueryError {
                    field: "after",
                    message: "this page link is not valid; start again from the first page".to_owned(),
                })
            })
            .transpose()?;
        let limit = match value("limit") {
            None => DEFAULT_PAGE_SIZE,
            Some(raw) => raw
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
                .ok_or_else(|| QueryError {
                    field: "limit",
                    message: format!("limit must be a number from 1 to {MAX_PAGE_SIZE}"),
                })?,
        };
        Ok(Self {
            status,
            search,
            attention,
            after,
            limit,
        })
    }

    /// The same filters, one export page after `after` (the page size and
    /// cursor of the original are ignored: an export covers every match).
    pub fn export_page(&self, after: Option<PageCursor>) -> Self {
        Self {
            after,
            limit: EXPORT_PAGE_SIZE,
            ..self.clone()
        }
    }

    /// Every shipment in one status.
    pub fn in_status(status: ShipmentStatus) -> Self {
        Self {
            status: Some(status),
            ..Self::default()
        }
    }

    /// Every shipment that needs attention.
    pub fn needing_attention() -> Self {
        Self {
            attention: true,
            ..Self::default()
        }
    }

    pub fn status(&self) -> Option<ShipmentStatus> {
        self.status
    }

    pub fn search(&self) -> Option<&str> {
        self.search.as_deref()
    }

    pub fn attention(&self) -> bool {
        self.attention
    }

    pub fn after(&self) -> Option<&PageCursor> {
        self.after.as_ref()
    }

    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// Whether any filter is set (paging aside).
    pub fn is_filtered(&self) -> bool {
        self.status.is_some() || self.attention || self.search.is_some()
    }

    /// The query string that reproduces these filters (without the page
    /// cursor, unless `after` is given): for links and "next page".
    pub fn to_query_string(&self, after: Option<&str>) -> String {
        let mut parts = Vec::new();
        if let Some(status) = self.status {
            parts.push(format!("status={}", status.as_str()));
        }
        if let Some(search) = &self.search {
            parts.push(format!("q={search}"));
        }
        if self.attention {
            parts.push("attention=1".to_owned());
        }
        if let Some(after) = after {
            parts.push(format!("after={after}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// Whether a shipment belongs in this list (the live update of a list
    /// asks this of a changed row; the database asks the same in SQL).
    pub fn matches(&self, shipment: &ShipmentSummary, now: DateTime<Utc>) -> bool {
        self.status.is_none_or(|s| s == shipment.status)
            && self
                .search
                .as_deref()
                .is_none_or(|q| shipment.tracking_number.as_str().contains(q))
            && (!self.attention || needs_attention(shipment.status, shipment.updated_at, now))
    }
}

/// Where a page ends, in the list's order (most recently updated first, then
/// tracking number): the next page starts strictly after it. Keyset paging, so
/// page 200 costs what page 1 costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageCursor {
    pub updated_at: DateTime<Utc>,
    pub tracking_number: String,
}

impl PageCursor {
    pub fn encode(&self) -> String {
        format!("{}.{}", self.updated_at.timestamp_micros(), self.tracking_number)
    }

    pub fn decode(raw: &str) -> Option<Self> {
        let (micros, number) = raw.split_once('.')?;
        let updated_at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
        if number.is_empty() || number.len() > 32 || !number.chars().all(|c| c.is_ascii_alphanumeric()) {
            return None;
        }
        Some(Self {
            updated_at,
            tracking_number: number.to_owned(),
        })
    }
}

/// How many visible shipments are in one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StatusCount {
    pub status: ShipmentStatus,
    pub count: i64,
}

/// One page of a shipment list, with the counts of everything the user may
/// see (whatever the filters), so every count can become a filter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShipmentList {
    pub shipments: Vec<ShipmentSummary>,
    /// Per status, only statuses with at least one shipment, in lifecycle order.
    pub counts: Vec<StatusCount>,
    pub needs_attention: i64,
    pub total: i64,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_page: Option<String>,
    /// The stream position the counts are as of: every event up to it is
    /// counted (a page applies the frames after it)…
    #[serde(default)]
    pub as_of: i64,
    /// …and so are these events (ids), committed but not yet given a
    /// position when the counts were read: their frames come after `as_of`
    /// and must not be counted again.
    #[serde(default)]
    pub counted_unnumbered: Vec<i64>,
}

impl ShipmentList {
    pub fn tally(&self) -> Tally {
        Tally {
            counts: self.counts.clone(),
            needs_attention: self.needs_attention,
            total: self.total,
        }
    }
}

/// The counts above a list, kept up to date from the live stream.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    /// Per status, only statuses with at least one shipment, in lifecycle order.
    pub counts: Vec<StatusCount>,
    pub needs_attention: i64,
    pub total: i64,
}

impl Tally {
    /// A status event: its shipment leaves one place and joins another.
    pub fn apply(&mut self, change: &CountMove) {
        match change.from {
            Some(from) => self.adjust(from, -1),
            None => self.total += 1,
        }
        self.adjust(change.to, 1);
    }

    /// A shipment the user can now see (one they started watching).
    pub fn add(&mut self, standing: Standing) {
        self.total += 1;
        self.adjust(standing, 1);
    }

    fn adjust(&mut self, standing: Standing, by: i64) {
        if standing.needs_attention {
            self.needs_attention += by;
        }
        match self.counts.iter().position(|c| c.status == standing.status) {
            Some(at) => {
                self.counts[at].count += by;
                if self.counts[at].count <= 0 {
                    self.counts.remove(at);
                }
            }
            None if by > 0 => {
                self.counts.push(StatusCount {
                    status: standing.status,
                    count: by,
                });
                self.counts
                    .sort_by_key(|c| ShipmentStatus::ALL.iter().position(|s| *s == c.status));
            }
            None => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&'static str, &'static str)]) -> Result<ShipmentQuery, QueryError> {
        ShipmentQuery::from_params(|name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v))
    }

    #[test]
    fn empty_form_fields_mean_no_filter() {
        let query = params(&[("status", ""), ("q", " "), ("after", "")]).expect("valid");
        assert_eq!(query, ShipmentQuery::default());
    }

    #[test]
    fn search_is_normalised_and_checked() {
        assert_eq!(params(&[("q", "sw 12a")]).expect("valid").search(), Some("SW12A"));
        assert_eq!(params(&[("q", "SW-1")]).expect("valid").search(), Some("SW1"));
        assert_eq!(params(&[("q", "SW/1")]).expect_err("refused").field, "q");
    }

    #[test]
    fn bad_values_name_their_parameter() {
        assert_eq!(
            params(&[("status", "teleported")]).expect_err("refused").field,
            "status"
        );
        assert_eq!(params(&[("limit", "0")]).expect_err("refused").field, "limit");
        assert_eq!(params(&[("limit", "201")]).expect_err("refused").field, "limit");
        assert_eq!(
            params(&[("after", "garbage")]).expect_err("refused").field,
            "after"
        );
    }

    #[test]
    fn page_cursor_round_trips() {
        let cursor = PageCursor {
            updated_at: DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("valid"),
            tracking_number: "SW1234567".to_owned(),
        };
        assert_eq!(PageCursor::decode(&cursor.encode()), Some(cursor));
    }

    #[test]
    fn a_query_travels_as_its_parameters_and_is_parsed_again() {
        let query = params(&[
            ("status", "in_transit"),
            ("q", "sw1"),
            ("attention", "1"),
            ("limit", "20"),
        ])
        .expect("valid");
        let json = serde_json::to_string(&query).expect("serialises");
        assert_eq!(
            serde_json::from_str::<ShipmentQuery>(&json).expect("parses"),
            query
        );
        let forged = r#"{"status":null,"q":"SW/1","attention":null,"after":null,"limit":"5000"}"#;
        assert!(serde_json::from_str::<ShipmentQuery>(forged).is_err());
    }
}
