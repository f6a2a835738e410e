//! Datetime text: parsing the forms Kusto accepts and printing ISO-8601 UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Parses a datetime as Kusto's `datetime()`/`todatetime()` accept it: ISO 8601 with `T` or a
/// space, optional seconds and fraction (up to 7 digits and beyond), optional `Z` or offset
/// (no zone means UTC), a date alone, and RFC 2822/RFC 1123 forms. Returns nanoseconds
/// since the Unix epoch.
pub fn parse_datetime(text: &str) -> Option<i64> {
    if let Some(nanos) = exported_utc(text) {
        return Some(nanos);
    }
    let s = text.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return dt.with_timezone(&Utc).timestamp_nanos_opt();
    }
    if let Ok(dt) = DateTime::parse_from_rfc2822(s) {
        return dt.with_timezone(&Utc).timestamp_nanos_opt();
    }
    let (body, offset_secs) = split_zone(s);
    let body = body.trim();
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S%.f",
        "%Y/%m/%d %H:%M",
        "%m/%d/%Y %H:%M:%S%.f",
        "%m/%d/%Y %H:%M",
        "%m-%d-%Y %H:%M:%S%.f",
        "%Y%m%dT%H%M%S",
    ] {
        if let Ok(ndt) = NaiveDateTime::parse_from_str(body, fmt) {
            return to_nanos(ndt, offset_secs);
        }
    }
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%m-%d-%Y", "%Y%m%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(body, fmt) {
            return to_nanos(d.and_time(NaiveTime::MIN), offset_secs);
        }
    }
    None
}

/// The form exports write, `YYYY-MM-DDTHH:MM:SS[.fraction]Z` with a year from 1900 to 2200,
/// read directly; `None` for anything else (the general parser then decides).
fn exported_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || *b.last()? != b'Z' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        b[from..to].iter().try_fold(0i64, |n, c| {
            c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0'))
        })
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let fraction = &b[19..b.len() - 1];
    let nanos = match fraction {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            let n = num(20, 20 + digits.len())?;
            n * 10i64.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let days_in_month = *month_days.get(usize::try_from(month - 1).ok()?)?;
    if !(1900..=2200).contains(&year) || day < 1 || day > days_in_month {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + hour) * 60 + minute) * 60 * NANOS_PER_SEC + second * NANOS_PER_SEC + nanos)
}

fn to_nanos(ndt: NaiveDateTime, offset_secs: i64) -> Option<i64> {
    let utc = Utc.from_utc_datetime(&ndt);
    utc.timestamp_nanos_opt()?
        .checked_sub(offset_secs.checked_mul(NANOS_PER_SEC)?)
}

/// Splits a trailing `Z`, `UTC`, `GMT` or `±hh:mm` zone from the text.
fn split_zone(s: &str) -> (&str, i64) {
    for z in ["Z", "z", " UTC", " GMT", "UTC", "GMT"] {
        if let Some(body) = s.strip_suffix(z) {
            return (body, 0);
        }
    }
    // ±hh:mm or ±hhmm after a time part (the date's own dashes are not a zone).
    if let Some(t) = s.find(['T', ' ']) {
        let time = &s[t..];
        if let Some(pos) = time.rfind(['+', '-']) {
            let zone = &time[pos + 1..];
            let digits: String = zone.chars().filter(|c| *c != ':').collect();
            if digits.len() == 4 && digits.chars().all(|c| c.is_ascii_digit()) {
                let h: i64 = digits[..2].parse().unwrap_or(0);
                let m: i64 = digits[2..].parse().unwrap_or(0);
                let sign = if time.as_bytes()[pos] == b'-' { -1 } else { 1 };
                return (&s[..t + pos], sign * (h * 3600 + m * 60));
            }
        }
    }
    (s, 0)
}

/// Prints nanoseconds since the epoch as ISO-8601 UTC ending in `Z`, with up to seven
/// fraction digits (trailing zeros dropped), as Kusto's JSON output does.
pub fn format_datetime(nanos: i64) -> String {
    let mut out = String::with_capacity(28);
    let ticks = nanos.rem_euclid(NANOS_PER_SEC) / 100;
    write_seconds(&mut out, nanos);
    if ticks != 0 {
        out.push('.');
        let mut digits = 7;
        let mut t = ticks;
        while t % 10 == 0 {
            t /= 10;
            digits -= 1;
        }
        push_digits(&mut out, t, digits);
    }
    out.push('Z');
    out
}

/// Kusto's text of a datetime (what `tostring` gives, and a datetime inside a dynamic value):
/// ISO-8601 UTC with all seven fraction digits, `2020-01-01T00:00:00.0000000Z`.
pub fn datetime_text(nanos: i64) -> String {
    let mut out = String::with_capacity(28);
    write_seconds(&mut out, nanos);
    out.push('.');
    push_digits(&mut out, nanos.rem_euclid(NANOS_PER_SEC) / 100, 7);
    out.push('Z');
    out
}

/// `YYYY-MM-DDTHH:MM:SS` of the whole seconds in `nanos` (Howard Hinnant's
/// civil_from_days; every i64 of nanoseconds falls in the years 1677 to 2262).
fn write_seconds(out: &mut String, nanos: i64) {
    let secs = nanos.div_euclid(NANOS_PER_SEC);
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    push_digits(out, year, 4);
    out.push('-');
    push_digits(out, month, 2);
    out.push('-');
    push_digits(out, day, 2);
    out.push('T');
    push_digits(out, day_secs / 3600, 2);
    out.push(':');
    push_digits(out, day_secs / 60 % 60, 2);
    out.push(':');
    push_digits(out, day_secs % 60, 2);
}

/// The `width` lowest decimal digits of `n` (not negative), zero-padded.
fn push_digits(out: &mut String, n: i64, width: u32) {
    for i in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10i64.pow(i) % 10) as u8));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printed_as_chrono_prints_them() {
        let mut state: u64 = 11;
        let mut samples = vec![
            i64::MIN,
            i64::MAX,
            0,
            -1,
            1,
            -100,
            100,
            951_782_400_000_000_000,
        ];
        for _ in 0..20_000 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            samples.push(state as i64);
            samples.push((state as i64) / 1_000_000 * 1_000_000);
        }
        for nanos in samples {
            let (secs, sub) = (
                nanos.div_euclid(NANOS_PER_SEC),
                nanos.rem_euclid(NANOS_PER_SEC),
            );
            let dt = DateTime::<Utc>::from_timestamp(secs, sub as u32).unwrap();
            let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
            let frac = format!("{:07}", sub / 100);
            assert_eq!(datetime_text(nanos), format!("{base}.{frac}Z"), "{nanos}");
            let trimmed = frac.trim_end_matches('0');
            let want = if trimmed.is_empty() {
                format!("{base}Z")
            } else {
                format!("{base}.{trimmed}Z")
            };
            assert_eq!(format_datetime(nanos), want, "{nanos}");
        }
    }

    #[test]
    fn the_export_form_reads_as_chrono_reads_it() {
        let mut state: u64 = 7;
        let mut next = |n: u64| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % n
        };
        for _ in 0..20_000 {
            let text = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}Z",
                1890 + next(320),
                next(14),
                next(33),
                next(25),
                next(61),
                next(61),
                match next(4) {
                    0 => String::new(),
                    1 => format!(".{}", next(1000)),
                    2 => format!(".{:07}", next(10_000_000)),
                    _ => format!(".{:010}", next(10_000_000_000)),
                }
            );
            let chrono = DateTime::parse_from_rfc3339(&text)
                .ok()
                .and_then(|d| d.with_timezone(&Utc).timestamp_nanos_opt());
            if let Some(fast) = exported_utc(&text) {
                assert_eq!(Some(fast), chrono, "{text}");
            }
            if chrono.is_some() && !text.contains(":60") {
                assert_eq!(parse_datetime(&text), chrono, "{text}");
            }
        }
    }

    fn p(s: &str) -> String {
        format_datetime(parse_datetime(s).unwrap_or_else(|| panic!("{s}")))
    }

    #[test]
    fn accepted_forms() {
        assert_eq!(p("2021-01-01"), "2021-01-01T00:00:00Z");
        assert_eq!(p("2021-01-01 10:00"), "2021-01-01T10:00:00Z");
        assert_eq!(
            p("2021-01-01T10:00:54.1234567Z"),
            "2021-01-01T10:00:54.1234567Z"
        );
        assert_eq!(p("2021-01-01T10:00:54.5+02:00"), "2021-01-01T08:00:54.5Z");
        assert_eq!(p("2021-01-01 10:00:54.0000000"), "2021-01-01T10:00:54Z");
        assert_eq!(p("Sat, 08 Nov 2014 15:05:02 GMT"), "2014-11-08T15:05:02Z");
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn before_the_epoch() {
        assert_eq!(p("1969-12-31T23:59:59.9Z"), "1969-12-31T23:59:59.9Z");
    }
}
