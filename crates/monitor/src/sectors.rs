//! Monitoring sectors: polygons read from GeoJSON, and which sector a point is in.

use serde::Serialize;
use serde_json::Value;

use crate::geo::{in_polygon, LatLon};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sector {
    pub code: String,
    pub name: String,
    /// Polygons, each as rings of (lon, lat): the outer ring, then holes.
    #[serde(skip)]
    polygons: Vec<Vec<Vec<(f64, f64)>>>,
    /// (min lon, min lat, max lon, max lat)
    #[serde(skip)]
    bbox: (f64, f64, f64, f64),
}

impl Sector {
    /// Its polygons, each as rings of (lon, lat): the outer ring, then holes.
    pub fn polygons(&self) -> &[Vec<Vec<(f64, f64)>>] {
        &self.polygons
    }

    pub fn contains(&self, p: LatLon) -> bool {
        let (x0, y0, x1, y1) = self.bbox;
        p.lon >= x0
            && p.lon <= x1
            && p.lat >= y0
            && p.lat <= y1
            && self.polygons.iter().any(|rings| in_polygon(p, rings))
    }
}

fn ring(v: &Value, at: &str) -> Result<Vec<(f64, f64)>, String> {
    let pts = v
        .as_array()
        .ok_or_else(|| format!("{at}: a ring must be a list of positions"))?;
    if pts.len() < 4 {
        return Err(format!("{at}: a ring needs at least 4 positions"));
    }
    pts.iter()
        .enumerate()
        .map(|(i, p)| {
            let xy = p.as_array().filter(|a| a.len() >= 2);
            match xy.map(|a| (a[0].as_f64(), a[1].as_f64())) {
                Some((Some(lon), Some(lat)))
                    if (-180.0..=180.0).contains(&lon) && (-90.0..=90.0).contains(&lat) =>
                {
                    Ok((lon, lat))
                }
                _ => Err(format!(
                    "{at}[{i}]: a position is [longitude, latitude] in degrees"
                )),
            }
        })
        .collect()
}

fn polygon(v: &Value, at: &str) -> Result<Vec<Vec<(f64, f64)>>, String> {
    v.as_array()
        .ok_or_else(|| format!("{at}: a polygon must be a list of rings"))?
        .iter()
        .enumerate()
        .map(|(i, r)| ring(r, &format!("{at}[{i}]")))
        .collect()
}

/// Reads sectors from a GeoJSON FeatureCollection of Polygons and MultiPolygons; each feature
/// needs a `code` property (and may have `name`). Every problem is named with its feature.
pub fn read_geojson(text: &str) -> Result<Vec<Sector>, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if v.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err("expected a GeoJSON FeatureCollection".into());
    }
    let features = v
        .get("features")
        .and_then(Value::as_array)
        .ok_or("the FeatureCollection has no features list")?;
    let mut out: Vec<Sector> = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let at = format!("features[{i}]");
        let props = f.get("properties");
        let code = props
            .and_then(|p| p.get("code"))
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|c| !c.is_empty() && c.len() <= 64)
            .ok_or_else(|| format!("{at}: needs a \"code\" property (1–64 characters)"))?;
        if out.iter().any(|s| s.code == code) {
            return Err(format!("{at}: sector \"{code}\" appears twice"));
        }
        let name = props
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .unwrap_or(code);
        let geometry = f
            .get("geometry")
            .ok_or_else(|| format!("{at}: has no geometry"))?;
        let coords = geometry.get("coordinates");
        let polygons = match (geometry.get("type").and_then(Value::as_str), coords) {
            (Some("Polygon"), Some(c)) => vec![polygon(c, &format!("{at}.geometry.coordinates"))?],
            (Some("MultiPolygon"), Some(Value::Array(ps))) => ps
                .iter()
                .enumerate()
                .map(|(j, p)| polygon(p, &format!("{at}.geometry.coordinates[{j}]")))
                .collect::<Result<_, _>>()?,
            _ => return Err(format!("{at}: geometry must be a Polygon or MultiPolygon")),
        };
        let all = polygons.iter().flatten().flatten();
        let bbox = all.fold(
            (
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ),
            |(a, b, c, d), &(x, y)| (a.min(x), b.min(y), c.max(x), d.max(y)),
        );
        out.push(Sector {
            code: code.to_owned(),
            name: name.to_owned(),
            polygons,
            bbox,
        });
    }
    Ok(out)
}

/// The first sector containing `p`, if any.
pub fn assign(sectors: &[Sector], p: LatLon) -> Option<&Sector> {
    sectors.iter().find(|s| s.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"{"type": "FeatureCollection", "features": [
      {"type": "Feature", "properties": {"code": "S-NORTH", "name": "North"},
       "geometry": {"type": "Polygon", "coordinates": [[[37.0, 48.0], [38.0, 48.0], [38.0, 49.0], [37.0, 49.0], [37.0, 48.0]]]}},
      {"type": "Feature", "properties": {"code": "S-SOUTH"},
       "geometry": {"type": "MultiPolygon", "coordinates": [[[[37.0, 47.0], [38.0, 47.0], [38.0, 48.0], [37.0, 48.0], [37.0, 47.0]]]]}}
    ]}"#;

    #[test]
    fn points_fall_in_their_sectors() {
        let sectors = read_geojson(TWO).unwrap_or_default();
        assert_eq!(sectors.len(), 2);
        let at = |lat, lon| assign(&sectors, LatLon { lat, lon }).map(|s| s.code.as_str());
        assert_eq!(at(48.5, 37.5), Some("S-NORTH"));
        assert_eq!(at(47.5, 37.5), Some("S-SOUTH"));
        assert_eq!(at(50.0, 37.5), None);
        assert_eq!(sectors[1].name, "S-SOUTH");
    }

    #[test]
    fn bad_sector_files_name_the_feature() {
        for (text, want) in [
            ("[]", "FeatureCollection"),
            (
                r#"{"type": "FeatureCollection", "features": [{"properties": {}, "geometry": null}]}"#,
                "features[0]: needs a \"code\"",
            ),
            (
                r#"{"type": "FeatureCollection", "features": [{"properties": {"code": "A"}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]}"#,
                "Polygon or MultiPolygon",
            ),
            (
                r#"{"type": "FeatureCollection", "features": [{"properties": {"code": "A"}, "geometry": {"type": "Polygon", "coordinates": [[[1, 2], [3, 4]]]}}]}"#,
                "at least 4",
            ),
            (
                r#"{"type": "FeatureCollection", "features": [{"properties": {"code": "A"}, "geometry": {"type": "Polygon", "coordinates": [[[1, 2], [3, 400], [5, 6], [1, 2]]]}}]}"#,
                "[longitude, latitude]",
            ),
        ] {
            let e = read_geojson(text).unwrap_err();
            assert!(e.contains(want), "{text}: {e}");
        }
    }
}
