//! Monitoring sectors from GeoJSON: any text is sectors or an error, never a panic; sectors
//! read have distinct, trimmed, non-empty codes; and asking which sector a point is in never
//! panics and answers with a sector that contains it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use monitor::geo::LatLon;
use monitor::sectors::{assign, read_geojson};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let sectors = match read_geojson(text) {
        Ok(sectors) => sectors,
        Err(e) => {
            assert!(!e.is_empty(), "refused without a reason");
            return;
        }
    };
    for (i, s) in sectors.iter().enumerate() {
        assert!(
            !s.code.is_empty() && s.code.trim() == s.code,
            "code {:?}",
            s.code
        );
        assert!(
            sectors[..i].iter().all(|t| t.code != s.code),
            "sector {:?} read twice",
            s.code
        );
    }
    // Points spread over the globe, and the numbers in the text itself (vertices, edges).
    let mut points: Vec<LatLon> = (0..64)
        .map(|k| LatLon {
            lat: -90.0 + 180.0 * f64::from(k % 8) / 7.0,
            lon: -180.0 + 360.0 * f64::from(k / 8) / 7.0,
        })
        .collect();
    let numbers: Vec<f64> = text
        .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'E'))
        .filter_map(|w| w.parse::<f64>().ok())
        .filter(|x| x.is_finite())
        .take(256)
        .collect();
    for pair in numbers.windows(2) {
        points.push(LatLon {
            lat: pair[1].clamp(-90.0, 90.0),
            lon: pair[0].clamp(-180.0, 180.0),
        });
    }
    for p in points {
        if let Some(s) = assign(&sectors, p) {
            assert!(
                s.contains(p),
                "assigned to {:?}, which does not contain it",
                s.code
            );
        }
    }
});
