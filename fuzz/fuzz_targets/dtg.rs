//! Date-time groups and ISO 8601 times: any text is a time or an error, never a panic; and a
//! time in 2000–2099 printed as a date-time group reads back as the same minute.
#![no_main]

use jiff::{RoundMode, Timestamp, TimestampRound, Unit};
use libfuzzer_sys::fuzz_target;
use monitor::dtg::{format_dtg, parse_dtg, parse_time};

fn check_round_trip(t: Timestamp) {
    let year = t.to_zoned(jiff::tz::TimeZone::UTC).year();
    if !(2000..=2099).contains(&year) {
        return;
    }
    let printed = format_dtg(t);
    let minute = match t.round(
        TimestampRound::new()
            .smallest(Unit::Minute)
            .mode(RoundMode::Trunc),
    ) {
        Ok(m) => m,
        Err(_) => return,
    };
    match parse_dtg(&printed) {
        Ok(back) => assert_eq!(back, minute, "{t} printed as {printed}"),
        Err(e) => panic!("{t} printed as {printed}, which does not read back: {e}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(t) = parse_dtg(text) {
        check_round_trip(t);
    }
    if let Ok(t) = parse_time(text) {
        check_round_trip(t);
    }
});
