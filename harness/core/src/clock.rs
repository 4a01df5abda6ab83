//! Wall-clock formats the suite needs: RFC 3339 in reports, the compact form SigV4 and OSS V4
//! sign with, and the HTTP `Date` header. The `time` and `httpdate` crates do the calendar.

use std::time::SystemTime;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// The compact UTC form, `YYYYMMDDTHHMMSSZ`.
const BASIC: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// The instant in UTC, whole seconds (every format here stops at seconds).
fn utc_seconds(t: SystemTime) -> OffsetDateTime {
    let t = OffsetDateTime::from(t);
    t.replace_nanosecond(0).unwrap_or(t)
}

/// RFC 3339 UTC timestamp with seconds, e.g. `2026-11-28T01:02:03Z`.
pub fn rfc3339(t: SystemTime) -> String {
    utc_seconds(t)
        .format(&Rfc3339)
        .expect("a UTC instant formats as RFC 3339")
}

/// Compact UTC timestamp used by SigV4-style signatures, e.g. `20231216T162057Z`.
pub fn basic_datetime(t: SystemTime) -> String {
    utc_seconds(t)
        .format(BASIC)
        .expect("a UTC instant formats in the compact form")
}

/// Reads a compact UTC timestamp (`20231216T162057Z`), as published signing vectors give it.
pub fn parse_basic_datetime(stamp: &str) -> Option<SystemTime> {
    PrimitiveDateTime::parse(stamp, BASIC)
        .ok()
        .map(|p| p.assume_utc().into())
}

/// RFC 1123 date for `Date` headers, e.g. `Sat, 16 Dec 2023 16:20:57 GMT`.
pub fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(1_702_743_657)),
            "2023-12-16T16:20:57Z"
        );
        assert_eq!(
            parse_basic_datetime("20000301T000000Z"),
            Some(UNIX_EPOCH + Duration::from_secs(11017 * 86400))
        );
        assert_eq!(parse_basic_datetime("2000-03-01"), None);
        let t = UNIX_EPOCH + Duration::from_secs(1_702_743_657);
        assert_eq!(basic_datetime(t), "20231216T162057Z");
        assert_eq!(http_date(t), "Sat, 16 Dec 2023 16:20:57 GMT");
        assert_eq!(
            http_date(UNIX_EPOCH + Duration::from_secs(1_132_253_398)),
            "Thu, 17 Nov 2005 18:49:58 GMT"
        );
    }
}
