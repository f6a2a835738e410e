//! Timespan text: `[-][d.]hh:mm[:ss[.fffffff]]` and `7d`-style literals.

const NANOS_PER_TICK: i64 = 100;
const NANOS_PER_SEC: i64 = 1_000_000_000;

/// Parses `[-][d.]hh:mm[:ss[.f...]]`, or a number with a unit (`7d`, `1.5h`, `30s`, `100ms`).
/// Returns nanoseconds.
pub fn parse_timespan(text: &str) -> Option<i64> {
    let s = text.trim();
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let v = if s.contains(':') {
        parse_clock(s)?
    } else {
        parse_unit(s)?
    };
    if neg { v.checked_neg() } else { Some(v) }
}

fn parse_clock(s: &str) -> Option<i64> {
    let (days, clock) = match s.split_once(':') {
        Some((head, _)) if head.contains('.') => {
            let (d, rest) = s.split_once('.')?;
            (d.parse::<i64>().ok()?, rest)
        }
        _ => (0, s),
    };
    let mut parts = clock.split(':');
    let h: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let sec_text = parts.next().unwrap_or("0");
    if parts.next().is_some() || m >= 60 {
        return None;
    }
    let (whole, frac) = sec_text.split_once('.').unwrap_or((sec_text, ""));
    let secs: i64 = whole.parse().ok()?;
    if secs >= 60 || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut frac_nanos = 0i64;
    for (i, c) in frac.chars().take(9).enumerate() {
        frac_nanos += (c as i64 - '0' as i64) * 10i64.pow(8 - i as u32);
    }
    // Checked: a text's days or hours may be beyond what a timespan holds.
    let secs = days
        .checked_mul(24)?
        .checked_add(h)?
        .checked_mul(60)?
        .checked_add(m)?
        .checked_mul(60)?
        .checked_add(secs)?;
    secs.checked_mul(NANOS_PER_SEC)?.checked_add(frac_nanos)
}

fn parse_unit(s: &str) -> Option<i64> {
    let split = s.find(|c: char| c.is_ascii_alphabetic())?;
    let value: f64 = s[..split].parse().ok()?;
    let unit: i64 = match &s[split..] {
        "d" | "day" | "days" => 86_400 * NANOS_PER_SEC,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600 * NANOS_PER_SEC,
        "m" | "min" | "minute" | "minutes" => 60 * NANOS_PER_SEC,
        "s" | "sec" | "second" | "seconds" => NANOS_PER_SEC,
        "ms" | "milli" | "millisecond" | "milliseconds" => 1_000_000,
        "microsecond" | "microseconds" => 1_000,
        "tick" | "ticks" => NANOS_PER_TICK,
        _ => return None,
    };
    let nanos = (value * unit as f64).round();
    // Beyond the range of i64 (or not a number) is not a timespan.
    (nanos.is_finite() && nanos.abs() < 9.2e18).then_some(nanos as i64)
}

/// Prints a timespan as Kusto does: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(nanos: i64) -> String {
    let neg = nanos < 0;
    let n = nanos.unsigned_abs();
    let ticks = n / NANOS_PER_TICK as u64;
    let frac = ticks % 10_000_000;
    let total_secs = ticks / 10_000_000;
    let (d, h, m, s) = (
        total_secs / 86_400,
        total_secs / 3_600 % 24,
        total_secs / 60 % 60,
        total_secs % 60,
    );
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if d > 0 {
        out.push_str(&format!("{d}."));
    }
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if frac > 0 {
        out.push_str(&format!(".{frac:07}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_forms() {
        assert_eq!(parse_timespan("00:01:00"), Some(60 * NANOS_PER_SEC));
        assert_eq!(
            parse_timespan("1.02:03:04.5"),
            Some(((86_400 + 2 * 3600 + 3 * 60 + 4) * 10 + 5) * NANOS_PER_SEC / 10)
        );
        assert_eq!(parse_timespan("-00:00:01"), Some(-NANOS_PER_SEC));
        assert_eq!(parse_timespan("2d"), Some(2 * 86_400 * NANOS_PER_SEC));
        assert_eq!(parse_timespan("x"), None);
        // Found by the load_json fuzzer: hours beyond the range overflowed.
        assert_eq!(parse_timespan("9000000000000000000:00"), None);
        assert_eq!(parse_timespan("90000000000000.00:00"), None);
        assert_eq!(parse_timespan("--1e400d"), None);
    }

    #[test]
    fn printing() {
        assert_eq!(format_timespan(60 * NANOS_PER_SEC), "00:01:00");
        assert_eq!(format_timespan(93_784_500_000_000), "1.02:03:04.5000000");
        assert_eq!(format_timespan(-NANOS_PER_SEC), "-00:00:01");
        assert_eq!(format_timespan(0), "00:00:00");
    }
}
