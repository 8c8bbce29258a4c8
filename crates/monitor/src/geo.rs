//! Small-area geometry on the WGS84 sphere approximation: distances, bearings, destination
//! points, the crossing of two bearing lines, and points in polygons.

/// Mean Earth radius (m), for distances of up to a few hundred kilometres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

impl LatLon {
    pub fn new(lat: f64, lon: f64) -> Result<Self, String> {
        if !(lat.is_finite() && lon.is_finite()) {
            return Err("coordinates must be numbers".into());
        }
        if !(-90.0..=90.0).contains(&lat) {
            return Err(format!("latitude {lat} is outside −90..90"));
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(format!("longitude {lon} is outside −180..180"));
        }
        Ok(Self { lat, lon })
    }
}

/// Great-circle distance in metres (haversine).
pub fn distance_m(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// Initial bearing from `a` to `b`, degrees clockwise from true north in [0, 360).
pub fn bearing_deg(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    let y = dl.sin() * p2.cos();
    let x = p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos();
    (y.atan2(x).to_degrees() + 360.0) % 360.0
}

/// The point `distance` metres from `from` on `bearing` degrees.
pub fn destination(from: LatLon, bearing: f64, distance: f64) -> LatLon {
    let d = distance / EARTH_RADIUS_M;
    let t = bearing.to_radians();
    let p1 = from.lat.to_radians();
    let l1 = from.lon.to_radians();
    let p2 = (p1.sin() * d.cos() + p1.cos() * d.sin() * t.cos()).asin();
    let l2 = l1 + (t.sin() * d.sin() * p1.cos()).atan2(d.cos() - p1.sin() * p2.sin());
    LatLon {
        lat: p2.to_degrees(),
        lon: ((l2.to_degrees() + 540.0) % 360.0) - 180.0,
    }
}

/// Great-circle distance in metres between points a few tens of kilometres apart at most:
/// east-west at the mean latitude, north-south along the meridian, for a third of the work of
/// [`distance_m`]. Within 10 km the two agree to about a centimetre up to 70° of latitude;
/// further north or south this is [`distance_m`] itself.
pub fn short_distance_m(a: LatLon, b: LatLon) -> f64 {
    let mean_lat = (a.lat + b.lat) / 2.0;
    if mean_lat.abs() > 70.0 {
        return distance_m(a, b);
    }
    let x = lon_difference(a.lon, b.lon).to_radians() * mean_lat.to_radians().cos();
    let y = (b.lat - a.lat).to_radians();
    (x * x + y * y).sqrt() * EARTH_RADIUS_M
}

/// Local east/north metres about a point (equirectangular; fine within ~100 km), with the
/// scale of its latitude worked out once.
#[derive(Debug, Clone, Copy)]
pub struct Local {
    pub origin: LatLon,
    cos_lat: f64,
}

impl Local {
    pub fn new(origin: LatLon) -> Self {
        Self {
            origin,
            cos_lat: origin.lat.to_radians().cos(),
        }
    }

    /// East/north metres of `p` (across the antimeridian too).
    pub fn xy(&self, p: LatLon) -> (f64, f64) {
        let x = lon_difference(self.origin.lon, p.lon).to_radians() * self.cos_lat * EARTH_RADIUS_M;
        let y = (p.lat - self.origin.lat).to_radians() * EARTH_RADIUS_M;
        (x, y)
    }

    /// The point `x` metres east and `y` north (its longitude within −180..180).
    pub fn at(&self, x: f64, y: f64) -> LatLon {
        let lon = self.origin.lon + (x / (EARTH_RADIUS_M * self.cos_lat)).to_degrees();
        LatLon {
            lat: self.origin.lat + (y / EARTH_RADIUS_M).to_degrees(),
            lon: lon_difference(0.0, lon),
        }
    }
}

/// `to − from` in degrees of longitude, the short way round: within −180..180.
fn lon_difference(from: f64, to: f64) -> f64 {
    let d = to - from;
    if d > 180.0 {
        d - 360.0
    } else if d < -180.0 {
        d + 360.0
    } else {
        d
    }
}

/// Local east/north metres of `p` from `origin` (see [`Local`]).
pub fn local_xy(origin: LatLon, p: LatLon) -> (f64, f64) {
    Local::new(origin).xy(p)
}

/// The inverse of [`local_xy`].
pub fn from_local_xy(origin: LatLon, x: f64, y: f64) -> LatLon {
    Local::new(origin).at(x, y)
}

/// Where the bearing lines from `a` (bearing `ba`) and `b` (bearing `bb`) cross, with the
/// distance from each observer; `None` when they are (nearly) parallel or cross behind either
/// observer.
pub fn cross_bearings(a: LatLon, ba: f64, b: LatLon, bb: f64) -> Option<(LatLon, f64, f64)> {
    let (bx, by) = local_xy(a, b);
    let (da, db) = (ba.to_radians(), bb.to_radians());
    // Directions as (east, north) unit vectors.
    let (ux, uy) = (da.sin(), da.cos());
    let (vx, vy) = (db.sin(), db.cos());
    let det = ux * (-vy) - uy * (-vx);
    if det.abs() < 1e-3 {
        return None;
    }
    // a + s·u = b + t·v  →  s·u − t·v = b − a
    let s = (bx * (-vy) - by * (-vx)) / det;
    let t = (ux * by - uy * bx) / det;
    if s <= 0.0 || t <= 0.0 {
        return None;
    }
    Some((from_local_xy(a, s * ux, s * uy), s, t))
}

/// Is `p` inside the polygon (rings of (lon, lat); the first the outer ring, the rest holes)?
pub fn in_polygon(p: LatLon, rings: &[Vec<(f64, f64)>]) -> bool {
    let inside = |ring: &[(f64, f64)]| {
        let mut c = false;
        let n = ring.len();
        if n < 3 {
            return false;
        }
        let mut j = n - 1;
        for i in 0..n {
            let (xi, yi) = ring[i];
            let (xj, yj) = ring[j];
            if (yi > p.lat) != (yj > p.lat) && p.lon < (xj - xi) * (p.lat - yi) / (yj - yi) + xi {
                c = !c;
            }
            j = i;
        }
        c
    };
    match rings.split_first() {
        Some((outer, holes)) => inside(outer) && !holes.iter().any(|h| inside(h)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lat: f64, lon: f64) -> LatLon {
        LatLon { lat, lon }
    }

    #[test]
    fn distances_and_bearings() {
        // One degree of latitude is about 111.2 km on the mean sphere.
        assert!((distance_m(p(48.0, 37.0), p(49.0, 37.0)) - 111_195.0).abs() < 50.0);
        assert!((bearing_deg(p(48.0, 37.0), p(49.0, 37.0)) - 0.0).abs() < 1e-9);
        assert!((bearing_deg(p(48.0, 37.0), p(48.0, 37.1)) - 90.0).abs() < 0.1);
        let q = destination(p(48.0, 37.0), 45.0, 5_000.0);
        assert!((distance_m(p(48.0, 37.0), q) - 5_000.0).abs() < 0.01);
        assert!((bearing_deg(p(48.0, 37.0), q) - 45.0).abs() < 0.01);
        let (x, y) = local_xy(p(48.0, 37.0), q);
        let back = from_local_xy(p(48.0, 37.0), x, y);
        assert!(distance_m(back, q) < 0.5);
    }

    /// Short distances agree with the great circle to a centimetre, whatever the latitude or
    /// direction, across the antimeridian included.
    #[test]
    fn short_distances_agree_with_the_great_circle() {
        for (lat, lon) in [
            (48.0, 37.9),
            (0.0, 0.0),
            (-33.9, 18.4),
            (69.6, 18.9),
            (-51.7, 179.99),
            (-51.7, -179.99),
            (78.2, 15.6),
            (-89.95, 40.0),
        ] {
            let from = p(lat, lon);
            for bearing in (0..360).step_by(10) {
                for d in [0.0, 1.0, 150.0, 600.0, 5_000.0, 10_000.0] {
                    let to = destination(from, f64::from(bearing), d);
                    let short = short_distance_m(from, to);
                    assert!(
                        (short - distance_m(from, to)).abs() < 0.01,
                        "{lat} {lon} {bearing}° {d} m: {short}"
                    );
                    assert_eq!(short, short_distance_m(to, from));
                }
            }
        }
    }

    /// Local metres and back work across the antimeridian: points either side of it are
    /// metres apart, and the way back gives a longitude within −180..180.
    #[test]
    fn local_metres_cross_the_antimeridian() {
        let (east, west) = (p(-51.7, 179.999), p(-51.7, -179.999));
        let local = Local::new(east);
        let (x, y) = local.xy(west);
        assert!(
            (x - distance_m(east, west)).abs() < 0.01 && y.abs() < 1e-9,
            "{x} {y}"
        );
        let back = local.at(x, y);
        assert!(distance_m(back, west) < 0.01 && (-180.0..=180.0).contains(&back.lon));
        let midway = local.at(x / 2.0, 0.0);
        assert!(midway.lon.abs() > 179.99, "{midway:?}");
    }

    #[test]
    fn two_bearings_cross_at_the_event() {
        let event = p(48.0, 37.9);
        let (a, b) = (p(47.95, 37.85), p(47.97, 37.98));
        let got = cross_bearings(a, bearing_deg(a, event), b, bearing_deg(b, event));
        let (at, da, db) = got.unwrap_or((p(0.0, 0.0), 0.0, 0.0));
        // The local plane is off by metres at this range; a 1° bearing error is ~120 m.
        assert!(distance_m(at, event) < 20.0, "{}", distance_m(at, event));
        assert!((da - distance_m(a, event)).abs() < 10.0);
        assert!((db - distance_m(b, event)).abs() < 10.0);
        // Parallel lines and lines crossing behind an observer do not locate anything.
        assert!(cross_bearings(a, 0.0, b, 0.0).is_none());
        assert!(
            cross_bearings(a, bearing_deg(a, event) + 180.0, b, bearing_deg(b, event)).is_none()
        );
    }

    #[test]
    fn polygons_with_holes() {
        let outer = vec![
            (0.0, 0.0),
            (10.0, 0.0),
            (10.0, 10.0),
            (0.0, 10.0),
            (0.0, 0.0),
        ];
        let hole = vec![(4.0, 4.0), (6.0, 4.0), (6.0, 6.0), (4.0, 6.0), (4.0, 4.0)];
        let rings = vec![outer, hole];
        assert!(in_polygon(p(2.0, 2.0), &rings));
        assert!(!in_polygon(p(5.0, 5.0), &rings));
        assert!(!in_polygon(p(11.0, 5.0), &rings));
        assert!(!in_polygon(p(5.0, 5.0), &[]));
    }
}
