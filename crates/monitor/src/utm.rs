//! WGS84 latitude/longitude ⇄ UTM.
//!
//! The projection is the transverse Mercator evaluated with Krüger's series in the third
//! flattening `n`, carried to sixth order as published by Karney, "Transverse Mercator with an
//! accuracy of a few nanometers", J. Geodesy 85 (2011), equations (7)–(36). Within a UTM zone
//! (and well beyond it) the truncation error is of the order of nanometres, far below the
//! millimetre needed here.
//!
//! Latitudes are limited to the UTM range −80°..=84°; the polar caps use UPS, which is not
//! implemented.

use std::f64::consts::PI;

/// WGS84 semi-major axis, metres.
const A: f64 = 6_378_137.0;
/// WGS84 flattening.
const F: f64 = 1.0 / 298.257_223_563;
/// UTM central scale factor.
const K0: f64 = 0.9996;
/// False easting of every zone, metres.
pub const FALSE_EASTING: f64 = 500_000.0;
/// False northing of southern-hemisphere coordinates, metres.
pub const FALSE_NORTHING_SOUTH: f64 = 10_000_000.0;
/// Southernmost latitude covered by UTM, degrees.
pub const MIN_LAT: f64 = -80.0;
/// Northernmost latitude covered by UTM, degrees.
pub const MAX_LAT: f64 = 84.0;
/// How far from its central meridian a point may be placed in a forced zone, degrees. Two zone
/// widths: enough for neighbouring zones and for the 12°-wide Svalbard zones, while staying
/// where the series converge comfortably.
pub const MAX_ZONE_OFFSET_DEG: f64 = 12.0;

/// Latitude band letters, south to north, each 8° tall starting at −80° (X is 12°: 72°..=84°).
const BANDS: [char; 20] = [
    'C', 'D', 'E', 'F', 'G', 'H', 'J', 'K', 'L', 'M', 'N', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W',
    'X',
];

/// A UTM coordinate: zone number, hemisphere and metres.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Utm {
    /// Zone number, 1..=60.
    pub zone: u8,
    /// `true` for the northern hemisphere (northing measured from the equator), `false` for the
    /// southern (northing carries the 10 000 km false northing).
    pub north: bool,
    /// Easting in metres, including the 500 km false easting.
    pub easting: f64,
    /// Northing in metres, including the false northing in the south.
    pub northing: f64,
}

/// Why a UTM conversion was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UtmError {
    /// Latitude is NaN or infinite.
    #[error("latitude {0} is not a finite number")]
    LatitudeNotFinite(f64),
    /// Longitude is NaN or infinite.
    #[error("longitude {0} is not a finite number")]
    LongitudeNotFinite(f64),
    /// Latitude outside the UTM range.
    #[error(
        "latitude {0}° is outside the UTM range −80°..=84° (the polar regions use UPS, which is not supported)"
    )]
    LatitudeOutOfRange(f64),
    /// Longitude outside −180°..=180°.
    #[error("longitude {0}° is outside −180°..=180°")]
    LongitudeOutOfRange(f64),
    /// Zone number outside 1..=60.
    #[error("UTM zone {0} does not exist (zones are numbered 1 to 60)")]
    InvalidZone(u8),
    /// Point too far from the forced zone's central meridian.
    #[error(
        "longitude {lon}° is {offset:.1}° from the central meridian of UTM zone {zone}; at most {max}° is supported"
    )]
    TooFarFromZone {
        /// The longitude given.
        lon: f64,
        /// The forced zone.
        zone: u8,
        /// Distance from the zone's central meridian, degrees.
        offset: f64,
        /// The limit, degrees.
        max: f64,
    },
    /// Easting or northing is NaN or infinite.
    #[error("UTM easting {easting} / northing {northing} is not a pair of finite numbers")]
    CoordinateNotFinite {
        /// The easting given.
        easting: f64,
        /// The northing given.
        northing: f64,
    },
    /// Easting far outside anything a UTM zone produces.
    #[error("UTM easting {0} m is outside the supported range −1 500 000..=2 500 000 m")]
    EastingOutOfRange(f64),
    /// Northing outside 0..=10 000 000 m.
    #[error("UTM northing {0} m is outside the range 0..=10 000 000 m")]
    NorthingOutOfRange(f64),
}

/// Constants derived from the ellipsoid, computed once per call (cheap) so the module stays
/// free of global state.
struct Series {
    /// Eccentricity.
    e: f64,
    /// 1 − e².
    e2m: f64,
    /// k0 · A, A being the rectifying radius.
    k0a: f64,
    /// Forward coefficients α1..α6.
    alpha: [f64; 6],
    /// Reverse coefficients β1..β6.
    beta: [f64; 6],
}

impl Series {
    fn wgs84() -> Self {
        let n = F / (2.0 - F);
        let n2 = n * n;
        let n3 = n2 * n;
        let n4 = n3 * n;
        let n5 = n4 * n;
        let n6 = n5 * n;
        let e2 = F * (2.0 - F);
        let rectifying = A / (1.0 + n) * (1.0 + n2 / 4.0 + n4 / 64.0 + n6 / 256.0);
        let alpha = [
            n / 2.0 - 2.0 / 3.0 * n2 + 5.0 / 16.0 * n3 + 41.0 / 180.0 * n4 - 127.0 / 288.0 * n5
                + 7891.0 / 37800.0 * n6,
            13.0 / 48.0 * n2 - 3.0 / 5.0 * n3 + 557.0 / 1440.0 * n4 + 281.0 / 630.0 * n5
                - 1_983_433.0 / 1_935_360.0 * n6,
            61.0 / 240.0 * n3 - 103.0 / 140.0 * n4
                + 15061.0 / 26880.0 * n5
                + 167_603.0 / 181_440.0 * n6,
            49561.0 / 161_280.0 * n4 - 179.0 / 168.0 * n5 + 6_601_661.0 / 7_257_600.0 * n6,
            34729.0 / 80640.0 * n5 - 3_418_889.0 / 1_995_840.0 * n6,
            212_378_941.0 / 319_334_400.0 * n6,
        ];
        let beta = [
            n / 2.0 - 2.0 / 3.0 * n2 + 37.0 / 96.0 * n3 - 1.0 / 360.0 * n4 - 81.0 / 512.0 * n5
                + 96199.0 / 604_800.0 * n6,
            n2 / 48.0 + n3 / 15.0 - 437.0 / 1440.0 * n4 + 46.0 / 105.0 * n5
                - 1_118_711.0 / 3_870_720.0 * n6,
            17.0 / 480.0 * n3 - 37.0 / 840.0 * n4 - 209.0 / 4480.0 * n5 + 5569.0 / 90720.0 * n6,
            4397.0 / 161_280.0 * n4 - 11.0 / 504.0 * n5 - 830_251.0 / 7_257_600.0 * n6,
            4583.0 / 161_280.0 * n5 - 108_847.0 / 3_991_680.0 * n6,
            20_648_693.0 / 638_668_800.0 * n6,
        ];
        Series {
            e: e2.sqrt(),
            e2m: 1.0 - e2,
            k0a: K0 * rectifying,
            alpha,
            beta,
        }
    }

    /// τ′ = tan χ (conformal latitude) from τ = tan φ (Karney 2011, eqs. 7–9).
    fn tau_prime(&self, tau: f64) -> f64 {
        let hyp = (1.0 + tau * tau).sqrt();
        let sigma = (self.e * (self.e * tau / hyp).atanh()).sinh();
        tau * (1.0 + sigma * sigma).sqrt() - sigma * hyp
    }

    /// Inverts [`Series::tau_prime`] by Newton's method (Karney 2011, eqs. 19–21).
    fn tau_from_tau_prime(&self, tau_p: f64) -> f64 {
        let mut tau = tau_p;
        for _ in 0..12 {
            let tp_i = self.tau_prime(tau);
            let step = (tau_p - tp_i) / (1.0 + tp_i * tp_i).sqrt() * (1.0 + self.e2m * tau * tau)
                / (self.e2m * (1.0 + tau * tau).sqrt());
            tau += step;
            if !step.is_finite() || step.abs() <= 1e-15 * tau.abs().max(1.0) {
                break;
            }
        }
        tau
    }

    /// Projects a point `dlon` radians east of the central meridian; returns (x, y) in metres,
    /// without false easting / northing.
    fn forward(&self, lat: f64, dlon: f64) -> (f64, f64) {
        let tau_p = self.tau_prime(lat.tan());
        let (sin_l, cos_l) = dlon.sin_cos();
        let xi_p = tau_p.atan2(cos_l);
        let eta_p = (sin_l / tau_p.hypot(cos_l)).asinh();
        let mut xi = xi_p;
        let mut eta = eta_p;
        for (j, a) in self.alpha.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xi += a * (k * xi_p).sin() * (k * eta_p).cosh();
            eta += a * (k * xi_p).cos() * (k * eta_p).sinh();
        }
        (self.k0a * eta, self.k0a * xi)
    }

    /// Inverse of [`Series::forward`]: (lat, dlon) in radians.
    fn reverse(&self, x: f64, y: f64) -> (f64, f64) {
        let xi = y / self.k0a;
        let eta = x / self.k0a;
        let mut xi_p = xi;
        let mut eta_p = eta;
        for (j, b) in self.beta.iter().enumerate() {
            let k = 2.0 * (j as f64 + 1.0);
            xi_p -= b * (k * xi).sin() * (k * eta).cosh();
            eta_p -= b * (k * xi).cos() * (k * eta).sinh();
        }
        let sinh_eta = eta_p.sinh();
        let (sin_xi, cos_xi) = xi_p.sin_cos();
        let tau_p = sin_xi / sinh_eta.hypot(cos_xi);
        let tau = self.tau_from_tau_prime(tau_p);
        (tau.atan(), sinh_eta.atan2(cos_xi))
    }
}

/// Central meridian of `zone`, degrees.
fn central_meridian(zone: u8) -> f64 {
    f64::from(zone) * 6.0 - 183.0
}

/// Wraps degrees into −180..180.
fn wrap_deg(deg: f64) -> f64 {
    let w = (deg + 180.0).rem_euclid(360.0) - 180.0;
    // rem_euclid can return exactly 360 for tiny negative inputs.
    if w >= 180.0 {
        w - 360.0
    } else {
        w
    }
}

fn check_lat_lon(lat: f64, lon: f64) -> Result<(), UtmError> {
    if !lat.is_finite() {
        return Err(UtmError::LatitudeNotFinite(lat));
    }
    if !lon.is_finite() {
        return Err(UtmError::LongitudeNotFinite(lon));
    }
    if !(MIN_LAT..=MAX_LAT).contains(&lat) {
        return Err(UtmError::LatitudeOutOfRange(lat));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(UtmError::LongitudeOutOfRange(lon));
    }
    Ok(())
}

/// The standard UTM zone of a (valid) point, with the Norway and Svalbard exceptions.
fn standard_zone(lat: f64, lon: f64) -> u8 {
    let lon = wrap_deg(lon);
    // lon is in −180..180, so the quotient is in 0..60.
    let mut zone = (((lon + 180.0) / 6.0).floor() as i64).clamp(0, 59) as u8 + 1;
    if (56.0..64.0).contains(&lat) && (3.0..12.0).contains(&lon) {
        zone = 32;
    }
    if lat >= 72.0 {
        if (0.0..9.0).contains(&lon) {
            zone = 31;
        } else if (9.0..21.0).contains(&lon) {
            zone = 33;
        } else if (21.0..33.0).contains(&lon) {
            zone = 35;
        } else if (33.0..42.0).contains(&lon) {
            zone = 37;
        }
    }
    zone
}

/// Converts WGS84 latitude/longitude (degrees) to UTM in the point's standard zone.
///
/// Latitude must be within −80°..=84°, longitude within −180°..=180° (180° is treated as −180°).
/// Points south of the equator get the southern-hemisphere false northing.
pub fn from_lat_lon(lat: f64, lon: f64) -> Result<Utm, UtmError> {
    check_lat_lon(lat, lon)?;
    from_lat_lon_in_zone(lat, lon, standard_zone(lat, lon))
}

/// Converts WGS84 latitude/longitude (degrees) to UTM in the given zone, which must be within
/// [`MAX_ZONE_OFFSET_DEG`] of the point.
pub fn from_lat_lon_in_zone(lat: f64, lon: f64, zone: u8) -> Result<Utm, UtmError> {
    check_lat_lon(lat, lon)?;
    if !(1..=60).contains(&zone) {
        return Err(UtmError::InvalidZone(zone));
    }
    let dlon = wrap_deg(lon - central_meridian(zone));
    if dlon.abs() > MAX_ZONE_OFFSET_DEG {
        return Err(UtmError::TooFarFromZone {
            lon,
            zone,
            offset: dlon.abs(),
            max: MAX_ZONE_OFFSET_DEG,
        });
    }
    let (x, y) = Series::wgs84().forward(lat.to_radians(), dlon.to_radians());
    let north = lat >= 0.0;
    Ok(Utm {
        zone,
        north,
        easting: FALSE_EASTING + x,
        northing: if north { y } else { FALSE_NORTHING_SOUTH + y },
    })
}

/// Converts a UTM coordinate back to WGS84 (latitude, longitude) in degrees; longitude is in
/// −180..180.
pub fn to_lat_lon(u: &Utm) -> Result<(f64, f64), UtmError> {
    if !(1..=60).contains(&u.zone) {
        return Err(UtmError::InvalidZone(u.zone));
    }
    if !u.easting.is_finite() || !u.northing.is_finite() {
        return Err(UtmError::CoordinateNotFinite {
            easting: u.easting,
            northing: u.northing,
        });
    }
    if !(-1_500_000.0..=2_500_000.0).contains(&u.easting) {
        return Err(UtmError::EastingOutOfRange(u.easting));
    }
    if !(0.0..=FALSE_NORTHING_SOUTH).contains(&u.northing) {
        return Err(UtmError::NorthingOutOfRange(u.northing));
    }
    let x = u.easting - FALSE_EASTING;
    let y = if u.north {
        u.northing
    } else {
        u.northing - FALSE_NORTHING_SOUTH
    };
    let (lat, dlon) = Series::wgs84().reverse(x, y);
    let lat = lat.to_degrees().clamp(-90.0, 90.0);
    let lon = wrap_deg(central_meridian(u.zone) + dlon * 180.0 / PI);
    Ok((lat, lon))
}

/// The MGRS/UTM latitude band letter (C..X, without I and O) of a latitude in −80..=84; X covers
/// 72..=84. `None` outside that range or for NaN.
pub fn band_letter(lat: f64) -> Option<char> {
    if !(MIN_LAT..=MAX_LAT).contains(&lat) {
        return None;
    }
    let index = (((lat - MIN_LAT) / 8.0).floor() as i64).clamp(0, 19) as usize;
    BANDS.get(index).copied()
}

/// Southern edge (degrees) of a latitude band letter, `None` for a letter that is not a band.
pub fn band_south_edge(band: char) -> Option<f64> {
    BANDS
        .iter()
        .position(|&b| b == band)
        .map(|i| MIN_LAT + 8.0 * i as f64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn eiffel_tower() {
        // The widely quoted "31 N 448252 5411933" belongs to 48°51′29.5″N 2°17′40.2″E
        // (48.858194°N), not to 48.858260°N, which lies 7.3 m further north. An independent
        // evaluation with Snyder's series (USGS PP 1395, eqs. 8-9 to 8-10) agrees with the
        // values below to under a millimetre.
        let u = from_lat_lon(48.858260, 2.294500).unwrap();
        assert_eq!((u.zone, u.north), (31, true));
        assert!((u.easting - 448_251.857).abs() < 0.01, "{u:?}");
        assert!((u.northing - 5_411_939.347).abs() < 0.01, "{u:?}");
        let (lat, lon) = to_lat_lon(&u).unwrap();
        assert!((lat - 48.858260).abs() < 1e-9 && (lon - 2.294500).abs() < 1e-9);

        let dms = from_lat_lon(
            48.0 + 51.0 / 60.0 + 29.5 / 3600.0,
            2.0 + 17.0 / 60.0 + 40.2 / 3600.0,
        )
        .unwrap();
        assert_eq!(dms.zone, 31);
        assert!((dms.easting - 448_251.789).abs() < 0.01, "{dms:?}");
        assert!((dms.northing - 5_411_932.060).abs() < 0.01, "{dms:?}");
    }

    #[test]
    fn matches_snyder_series() {
        // Reference values from an independent evaluation of Snyder's power series, which is
        // good to well under a millimetre this close to the central meridian.
        for (lat, lon, zone, e, n) in [
            (50.4501, 30.5234, 36, 324_182.209, 5_591_607.608),
            (-33.8568, 151.2153, 56, 334_900.570, 6_252_288.753),
            (60.0, 5.0, 32, 276_979.926, 6_658_157.203),
        ] {
            let u = from_lat_lon(lat, lon).unwrap();
            assert_eq!(u.zone, zone);
            assert!((u.easting - e).abs() < 0.002, "{u:?}");
            assert!((u.northing - n).abs() < 0.002, "{u:?}");
        }
    }

    #[test]
    fn kyiv_and_sydney() {
        let u = from_lat_lon(50.4501, 30.5234).unwrap();
        assert_eq!((u.zone, u.north), (36, true));
        assert_eq!(band_letter(50.4501), Some('U'));
        let s = from_lat_lon(-33.8568, 151.2153).unwrap();
        assert_eq!((s.zone, s.north), (56, false));
        assert_eq!(band_letter(-33.8568), Some('H'));
        assert!(
            s.northing > 6_000_000.0 && s.northing < 6_400_000.0,
            "{s:?}"
        );
        let (lat, lon) = to_lat_lon(&s).unwrap();
        assert!((lat + 33.8568).abs() < 1e-9 && (lon - 151.2153).abs() < 1e-9);
    }

    #[test]
    fn central_meridian_and_equator() {
        let u = from_lat_lon(0.0, 3.0).unwrap();
        assert_eq!(u.zone, 31);
        assert!((u.easting - 500_000.0).abs() < 1e-6);
        assert!(u.northing.abs() < 1e-6);
        // On the central meridian the northing is k0 times the meridian arc; the WGS84
        // quarter meridian is 10 001 965.729 m.
        let q = Series::wgs84().forward(PI / 2.0, 0.0).1 / K0;
        assert!((q - 10_001_965.729).abs() < 1e-3, "{q}");
    }

    #[test]
    fn zone_exceptions_and_edges() {
        assert_eq!(from_lat_lon(60.0, 5.0).unwrap().zone, 32); // Norway
        assert_eq!(from_lat_lon(60.0, 2.9).unwrap().zone, 31);
        assert_eq!(from_lat_lon(78.0, 8.0).unwrap().zone, 31); // Svalbard
        assert_eq!(from_lat_lon(78.0, 10.0).unwrap().zone, 33);
        assert_eq!(from_lat_lon(78.0, 25.0).unwrap().zone, 35);
        assert_eq!(from_lat_lon(78.0, 40.0).unwrap().zone, 37);
        assert_eq!(from_lat_lon(10.0, 6.0).unwrap().zone, 32);
        assert_eq!(from_lat_lon(10.0, 5.999_999).unwrap().zone, 31);
        assert_eq!(from_lat_lon(10.0, -180.0).unwrap().zone, 1);
        assert_eq!(from_lat_lon(10.0, 180.0).unwrap().zone, 1);
        assert_eq!(from_lat_lon(10.0, 179.9).unwrap().zone, 60);
        // The same point on a zone boundary, in both neighbouring zones.
        let a = from_lat_lon_in_zone(10.0, 6.0, 31).unwrap();
        let b = from_lat_lon_in_zone(10.0, 6.0, 32).unwrap();
        assert!((a.easting - 500_000.0 + (b.easting - 500_000.0)).abs() < 1e-6);
        assert!((a.northing - b.northing).abs() < 1e-6);
        // Forced zone across the antimeridian.
        let c = from_lat_lon_in_zone(10.0, 179.0, 1).unwrap();
        let (lat, lon) = to_lat_lon(&c).unwrap();
        assert!(
            (lat - 10.0).abs() < 1e-9 && (lon - 179.0).abs() < 1e-9,
            "{lat} {lon}"
        );
    }

    #[test]
    fn bands() {
        assert_eq!(band_letter(-80.0), Some('C'));
        assert_eq!(band_letter(-72.0), Some('D'));
        assert_eq!(band_letter(-0.1), Some('M'));
        assert_eq!(band_letter(0.0), Some('N'));
        assert_eq!(band_letter(48.0), Some('U'));
        assert_eq!(band_letter(71.99), Some('W'));
        assert_eq!(band_letter(72.0), Some('X'));
        assert_eq!(band_letter(84.0), Some('X'));
        assert_eq!(band_letter(84.01), None);
        assert_eq!(band_letter(-80.01), None);
        assert_eq!(band_letter(f64::NAN), None);
        assert_eq!(band_south_edge('U'), Some(48.0));
        assert_eq!(band_south_edge('I'), None);
    }

    #[test]
    fn rejects_bad_input() {
        assert!(matches!(
            from_lat_lon(f64::NAN, 0.0),
            Err(UtmError::LatitudeNotFinite(_))
        ));
        assert!(matches!(
            from_lat_lon(0.0, f64::INFINITY),
            Err(UtmError::LongitudeNotFinite(_))
        ));
        assert_eq!(
            from_lat_lon(85.0, 0.0),
            Err(UtmError::LatitudeOutOfRange(85.0))
        );
        assert_eq!(
            from_lat_lon(0.0, 181.0),
            Err(UtmError::LongitudeOutOfRange(181.0))
        );
        assert_eq!(
            from_lat_lon_in_zone(0.0, 0.0, 0),
            Err(UtmError::InvalidZone(0))
        );
        assert_eq!(
            from_lat_lon_in_zone(0.0, 0.0, 61),
            Err(UtmError::InvalidZone(61))
        );
        assert!(matches!(
            from_lat_lon_in_zone(0.0, 0.0, 10),
            Err(UtmError::TooFarFromZone { .. })
        ));
        let bad = |e: f64, n: f64| Utm {
            zone: 31,
            north: true,
            easting: e,
            northing: n,
        };
        assert!(matches!(
            to_lat_lon(&bad(f64::NAN, 0.0)),
            Err(UtmError::CoordinateNotFinite { .. })
        ));
        assert!(matches!(
            to_lat_lon(&bad(1e9, 0.0)),
            Err(UtmError::EastingOutOfRange(_))
        ));
        assert!(matches!(
            to_lat_lon(&bad(500_000.0, -1.0)),
            Err(UtmError::NorthingOutOfRange(_))
        ));
        assert!(to_lat_lon(&Utm {
            zone: 0,
            ..bad(500_000.0, 0.0)
        })
        .is_err());
        // Extreme but accepted values must not panic or produce NaN.
        for (e, n) in [
            (-1_500_000.0, 0.0),
            (2_500_000.0, 10_000_000.0),
            (500_000.0, 10_000_000.0),
        ] {
            let (lat, lon) = to_lat_lon(&bad(e, n)).unwrap();
            assert!(lat.is_finite() && lon.is_finite());
        }
        assert!(UtmError::LatitudeOutOfRange(85.0)
            .to_string()
            .contains("UPS"));
    }

    proptest! {
        #[test]
        fn round_trip(lat in -80.0f64..84.0, lon in -180.0f64..180.0) {
            let u = from_lat_lon(lat, lon).unwrap();
            prop_assert!((1..=60).contains(&u.zone));
            prop_assert!(u.easting > 100_000.0 && u.easting < 900_000.0, "{:?}", u);
            let (lat2, lon2) = to_lat_lon(&u).unwrap();
            prop_assert!((lat2 - lat).abs() < 1e-7, "{} vs {}", lat, lat2);
            prop_assert!(wrap_deg(lon2 - lon).abs() < 1e-7, "{} vs {}", lon, lon2);
        }

        #[test]
        fn round_trip_neighbouring_zone(lat in -80.0f64..84.0, lon in -180.0f64..180.0, side in prop::bool::ANY) {
            let zone = from_lat_lon(lat, lon).unwrap().zone;
            let forced = if side { zone % 60 + 1 } else { (zone + 58) % 60 + 1 };
            if let Ok(u) = from_lat_lon_in_zone(lat, lon, forced) {
                let (lat2, lon2) = to_lat_lon(&u).unwrap();
                prop_assert!((lat2 - lat).abs() < 1e-7);
                prop_assert!(wrap_deg(lon2 - lon).abs() < 1e-7);
            }
        }
    }
}
