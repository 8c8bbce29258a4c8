//! MGRS references: any text is a reference or an error, never a panic. For a reference that
//! parses:
//! * its printed form parses back to the same reference;
//! * its square's centre, when it decodes, is a finite latitude and longitude;
//! * the centre, encoded again at the same precision, names a square that contains it: in that
//!   square's zone, the centre lies within half a square (grid metres) of the new square's
//!   centre on each axis; when the new square is in the same zone and band as the reference, it
//!   is the same square.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monitor::mgrs::{mgrs_from_lat_lon, parse, precision_m, to_lat_lon};
use monitor::utm::{from_lat_lon_in_zone, MAX_LAT, MIN_LAT};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(m) = parse(text) else {
        return;
    };
    let printed = m.to_string();
    assert_eq!(parse(&printed), Ok(m), "{text:?} printed as {printed:?}");

    let Ok((lat, lon)) = to_lat_lon(&m) else {
        return;
    };
    assert!(
        lat.is_finite()
            && lon.is_finite()
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon),
        "{printed}: centre {lat},{lon}"
    );
    // Outside −80..84 (a square near a band edge may decode just beyond it) there is no MGRS.
    let Ok(again) = mgrs_from_lat_lon(lat, lon, m.digits) else {
        return;
    };
    if again.zone == m.zone && again.band == m.band {
        assert_eq!(again, m, "{printed}: centre {lat},{lon} encodes as {again}");
    }
    let Ok((lat2, lon2)) = to_lat_lon(&again) else {
        panic!("{printed}: centre {lat},{lon} encodes as {again}, which does not decode");
    };
    // A square at the edge of the grid (80° S, 84° N) may have its centre just outside it,
    // where UTM is not defined.
    if !(MIN_LAT..=MAX_LAT).contains(&lat2) {
        return;
    }
    let (Ok(centre), Ok(centre2)) = (
        from_lat_lon_in_zone(lat, lon, again.zone),
        from_lat_lon_in_zone(lat2, lon2, again.zone),
    ) else {
        panic!(
            "{printed}: {again} and the centre {lat},{lon} are not both in zone {}",
            again.zone
        );
    };
    let half = precision_m(&again) / 2.0 + 1e-6;
    assert!(
        (centre.easting - centre2.easting).abs() <= half
            && (centre.northing - centre2.northing).abs() <= half,
        "{printed}: centre {lat},{lon} is not inside {again} (centre {lat2},{lon2})"
    );
});
