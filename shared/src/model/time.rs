//! The canonical stored timestamp and the bounds of a plausible game date.

use std::ops::RangeInclusive;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

/// Formats a timestamp in the one fixed-width form stored in DynamoDB
/// (`2025-11-05T14:00:00.000000Z`), so that string order is time order and a
/// conditional write can compare stored and new values directly.
pub fn canonical_timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Parses a game date written exactly `YYYY-MM-DD` (ten characters, digits and
/// dashes), refusing what chrono alone would accept: a signed or five-digit year
/// (`+2024-11-04`), a one-digit month or day, surrounding text.
pub fn parse_game_date(text: &str) -> Option<NaiveDate> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shaped {
        return None;
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The first NBA game date (the first season opened on 1946-11-01).
pub const FIRST_GAME_DATE: NaiveDate = NaiveDate::from_ymd_opt(1946, 11, 1).unwrap();

/// Game dates accepted on `today`: from the first season to a year ahead (schedules
/// are published months in advance, never years).
pub fn game_date_bounds(today: NaiveDate) -> RangeInclusive<NaiveDate> {
    FIRST_GAME_DATE..=today + chrono::Days::new(366)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_timestamps_sort_as_time() {
        let a = DateTime::parse_from_rfc3339("2025-11-05T09:00:00-05:00").unwrap();
        let b = DateTime::parse_from_rfc3339("2025-11-05T14:00:00.5Z").unwrap();
        let (a, b) = (
            canonical_timestamp(a.with_timezone(&Utc)),
            canonical_timestamp(b.with_timezone(&Utc)),
        );
        assert_eq!(a, "2025-11-05T14:00:00.000000Z");
        assert!(a < b);
    }

    #[test]
    fn game_dates_are_exactly_ten_characters() {
        assert_eq!(
            parse_game_date("2024-11-04"),
            NaiveDate::from_ymd_opt(2024, 11, 4)
        );
        for bad in [
            "+2024-11-04",
            "2024-11-4",
            "2024-02-30",
            "20241-11-04",
            " 2024-11-04",
            "2024/11/04",
            "",
        ] {
            assert_eq!(parse_game_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn game_dates_run_from_the_first_season_to_a_year_ahead() {
        let today = NaiveDate::from_ymd_opt(2025, 11, 5).unwrap();
        let bounds = game_date_bounds(today);
        assert!(bounds.contains(&FIRST_GAME_DATE));
        assert!(!bounds.contains(&NaiveDate::from_ymd_opt(1946, 10, 31).unwrap()));
        assert!(bounds.contains(&NaiveDate::from_ymd_opt(2026, 11, 6).unwrap()));
        assert!(!bounds.contains(&NaiveDate::from_ymd_opt(2026, 11, 7).unwrap()));
    }
}
