//! CSV as Shipwatch writes and reads it: RFC 4180 (comma, CRLF, fields
//! quoted when they hold a comma, quote or line break), and no cell a
//! spreadsheet would run as a formula (OWASP "CSV injection": a text cell
//! starting with `=`, `+`, `-`, `@`, tab or CR gets a leading `'`).

use super::{format_machine_time, ShipmentSummary};

/// The header row of a shipments export.
pub const SHIPMENT_COLUMNS: [&str; 8] = [
    "tracking_number",
    "status",
    "origin",
    "destination",
    "carrier",
    "eta",
    "last_location",
    "updated_at",
];

/// One cell, escaped.
pub fn cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// One record, with its line end.
pub fn record<'a>(cells: impl IntoIterator<Item = &'a str>) -> String {
    let mut line = cells.into_iter().map(cell).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// A shipment as an export row, in [`SHIPMENT_COLUMNS`] order.
pub fn shipment_record(shipment: &ShipmentSummary) -> String {
    let eta = shipment.eta.map(|d| d.to_string()).unwrap_or_default();
    let updated = format_machine_time(shipment.updated_at);
    record([
        shipment.tracking_number.as_str(),
        shipment.status.as_str(),
        &shipment.origin,
        &shipment.destination,
        &shipment.carrier,
        &eta,
        shipment.last_location.as_deref().unwrap_or(""),
        &updated,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_when_needed_and_never_formulas() {
        assert_eq!(cell("Leeds"), "Leeds");
        assert_eq!(cell("Leeds, depot 7"), "\"Leeds, depot 7\"");
        assert_eq!(cell("the \"big\" one"), "\"the \"\"big\"\" one\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+44 20"), "'+44 20");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@sum"), "'@sum");
        assert_eq!(record(["a", "b,c"]), "a,\"b,c\"\r\n");
    }
}
