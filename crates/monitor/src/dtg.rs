//! Times as monitors write them: ISO 8601 (`2025-03-18T12:00:00Z`, with an offset, or a civil
//! time taken as UTC only when it says `Z`) and military date-time groups (`181200ZMAR25`: day,
//! hour and minute, a time-zone letter, month, two-digit year).

use jiff::Timestamp;

/// The offset in hours of a military time-zone letter (`Z` = UTC, `A`–`M` east without `J`,
/// `N`–`Y` west).
fn zone_offset_hours(letter: char) -> Option<i32> {
    match letter {
        'Z' => Some(0),
        'A'..='I' => Some(letter as i32 - 'A' as i32 + 1),
        'K'..='M' => Some(letter as i32 - 'K' as i32 + 10),
        'N'..='Y' => Some(-(letter as i32 - 'N' as i32 + 1)),
        _ => None,
    }
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Parses a date-time group: `DDHHMMZMONYY` (e.g. `181200ZMAR25`), optionally with seconds
/// (`DDHHMMSSZMONYY`) and a four-digit year; spaces are ignored.
pub fn parse_dtg(s: &str) -> Result<Timestamp, String> {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let up = compact.to_ascii_uppercase();
    let bad = || {
        format!("\"{s}\" is not a date-time group such as 181200ZMAR25 (day, hour, minute, zone letter, month, year)")
    };
    let digits = up.chars().take_while(char::is_ascii_digit).count();
    if digits != 6 && digits != 8 {
        return Err(bad());
    }
    let rest = &up[digits..];
    let mut chars = rest.chars();
    let letter = chars.next().ok_or_else(bad)?;
    let offset = zone_offset_hours(letter).ok_or_else(|| {
        format!("\"{s}\": \"{letter}\" is not a military time-zone letter (A–Z without J)")
    })?;
    let rest: String = chars.collect();
    if rest.len() < 5 {
        return Err(bad());
    }
    // The month is three letters; anything else (a character of several bytes among them)
    // cannot be one.
    let Some((month, year)) = rest.split_at_checked(3) else {
        return Err(format!(
            "\"{s}\": \"{rest}\" does not start with a month (JAN–DEC)"
        ));
    };
    let month = MONTHS
        .iter()
        .position(|m| *m == month)
        .ok_or_else(|| format!("\"{s}\": \"{month}\" is not a month (JAN–DEC)"))?;
    if !year.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let year: i16 = match year.len() {
        2 => 2000 + year.parse::<i16>().map_err(|_| bad())?,
        4 => year.parse().map_err(|_| bad())?,
        _ => return Err(bad()),
    };
    let num = |a: usize, b: usize| up[a..b].parse::<i8>().map_err(|_| bad());
    let (day, hour, minute) = (num(0, 2)?, num(2, 4)?, num(4, 6)?);
    let second = if digits == 8 { num(6, 8)? } else { 0 };
    let month = i8::try_from(month + 1).map_err(|_| bad())?;
    let civil = jiff::civil::DateTime::new(year, month, day, hour, minute, second, 0)
        .map_err(|e| format!("\"{s}\": {e}"))?;
    let tz = jiff::tz::TimeZone::fixed(
        jiff::tz::Offset::from_hours(i8::try_from(offset).map_err(|_| bad())?)
            .map_err(|e| e.to_string())?,
    );
    civil
        .to_zoned(tz)
        .map(|z| z.timestamp())
        .map_err(|e| format!("\"{s}\": {e}"))
}

/// Parses ISO 8601 with an offset or `Z` (`2025-03-18T12:00:00Z`, `2025-03-18T14:00+02:00`),
/// or a date-time group. A time without an offset is refused: a monitor's local time is
/// ambiguous.
pub fn parse_time(s: &str) -> Result<Timestamp, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("the time is empty".into());
    }
    if t.as_bytes().first().is_some_and(u8::is_ascii_digit) && t.contains('-') {
        return t.parse::<Timestamp>().map_err(|_| {
            format!("\"{t}\" is not an ISO 8601 time with its offset (e.g. 2025-03-18T12:00:00Z)")
        });
    }
    parse_dtg(t)
}

/// Formats a time as a date-time group in UTC (`181200ZMAR25`).
pub fn format_dtg(t: Timestamp) -> String {
    let z = t.to_zoned(jiff::tz::TimeZone::UTC);
    let month = MONTHS
        .get(usize::try_from(z.month() - 1).unwrap_or(0))
        .copied()
        .unwrap_or("JAN");
    format!(
        "{:02}{:02}{:02}Z{}{:02}",
        z.day(),
        z.hour(),
        z.minute(),
        month,
        z.year() % 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn date_time_groups() {
        for (dtg, iso) in [
            ("181200ZMAR25", "2025-03-18T12:00:00Z"),
            ("18 1200Z MAR 25", "2025-03-18T12:00:00Z"),
            ("181200zmar25", "2025-03-18T12:00:00Z"),
            ("010000ZJAN2026", "2026-01-01T00:00:00Z"),
            ("18123045ZMAR25", "2025-03-18T12:30:45Z"),
            // Kyiv in winter is Bravo (+2), in summer Charlie (+3); Washington in winter Romeo (−5).
            ("181400BMAR25", "2025-03-18T12:00:00Z"),
            ("151500CJUN25", "2025-06-15T12:00:00Z"),
            ("180700RMAR25", "2025-03-18T12:00:00Z"),
            ("181200MMAR25", "2025-03-18T00:00:00Z"),
            ("181200YMAR25", "2025-03-19T00:00:00Z"),
        ] {
            assert_eq!(parse_dtg(dtg), Ok(ts(iso)), "{dtg}");
        }
        assert_eq!(format_dtg(ts("2025-03-18T12:00:00Z")), "181200ZMAR25");
    }

    #[test]
    fn bad_date_time_groups_say_why() {
        for (bad, want) in [
            ("", "not a date-time group"),
            ("1812ZMAR25", "not a date-time group"),
            ("181200JMAR25", "not a military time-zone letter"),
            ("181200ZMRZ25", "not a month"),
            ("321200ZMAR25", "\"321200ZMAR25\""),
            ("182500ZMAR25", "\"182500ZMAR25\""),
            ("290000ZFEB25", "\"290000ZFEB25\""),
            ("181200ZMAR2", "not a date-time group"),
            // Found by fuzzing: a character of several bytes across the month's end panicked.
            ("181200ZMAé25", "does not start with a month"),
            ("202719T12\u{625}-021Z", "does not start with a month"),
            // The year is digits only: these were read as 1999 and 2001.
            ("181200ZMAR-1", "not a date-time group"),
            ("181200ZMAR+1", "not a date-time group"),
            ("181200ZMAR+999", "not a date-time group"),
        ] {
            let e = parse_dtg(bad).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn iso_times_need_their_offset() {
        assert_eq!(
            parse_time("2025-03-18T14:00:00+02:00"),
            Ok(ts("2025-03-18T12:00:00Z"))
        );
        assert_eq!(parse_time("181200ZMAR25"), Ok(ts("2025-03-18T12:00:00Z")));
        assert!(parse_time("2025-03-18T12:00:00").is_err());
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time(" ").is_err());
    }
}
