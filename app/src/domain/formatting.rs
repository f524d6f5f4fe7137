//! How dates and times are written for people and for `<time datetime>`.

use chrono::{DateTime, Datelike as _, NaiveDate, Timelike as _, Utc};

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

// Dates are written out by hand rather than with chrono's `format`: its
// strftime machinery would be compiled into the browser bundle for three
// fixed patterns. The same functions run on the server and in the browser,
// so hydration never sees two different strings.

/// `2026-12-01 14:05 UTC`.
pub fn format_timestamp(at: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    )
}

/// `2026-12-01T14:05:09Z`, for a `<time datetime>` attribute.
pub fn format_machine_time(at: DateTime<Utc>) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// `Tue 01 Dec`, or `Tue 01 Dec 2026` with the year.
pub fn format_day(day: NaiveDate, with_year: bool) -> String {
    let weekday = WEEKDAYS[day.weekday().num_days_from_monday() as usize];
    let month = MONTHS[day.month0() as usize];
    if with_year {
        format!("{weekday} {:02} {month} {}", day.day(), day.year())
    } else {
        format!("{weekday} {:02} {month}", day.day())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn hand_written_dates_match_chronos_formats() {
        let start = DateTime::from_timestamp(946_684_800, 0).expect("2000-01-01");
        for days in (0..12_000).step_by(37) {
            let at = start + Duration::days(days) + Duration::seconds(days * 7919 % 86_400);
            assert_eq!(format_timestamp(at), at.format("%Y-%m-%d %H:%M UTC").to_string());
            assert_eq!(
                format_machine_time(at),
                at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
            );
            let day = at.date_naive();
            assert_eq!(format_day(day, false), day.format("%a %d %b").to_string());
            assert_eq!(format_day(day, true), day.format("%a %d %b %Y").to_string());
        }
    }
}
