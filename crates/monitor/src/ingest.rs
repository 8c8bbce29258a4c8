//! Observations from CSV: Coalition's own columns, or an ACLED export's. Bad rows are rejected
//! with their line and reason; good rows are kept.

use serde_json::{json, Map, Value};

use crate::model::{EventKind, Observation, Place};

/// Coalition's CSV columns, in order (all but the first few may be empty).
pub const COLUMNS: [&str; 25] = [
    "id",
    "observed_from",
    "observed_to",
    "reported",
    "observer",
    "kind",
    "count_low",
    "count_best",
    "count_high",
    "lat",
    "lon",
    "mgrs",
    "radius_m",
    "bearing_deg",
    "min_m",
    "max_m",
    "observer_id",
    "observer_lat",
    "observer_lon",
    "time_precision_min",
    "attribution",
    "against_coalition",
    "grading",
    "text",
    "releasability",
];

/// A row that could not be taken.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Rejected {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub id: Option<String>,
    pub reason: String,
}

/// The rows taken, each with the place it gives, and the rows rejected.
#[derive(Debug, Default)]
pub struct Batch {
    pub accepted: Vec<(Observation, Place)>,
    pub rejected: Vec<Rejected>,
}

impl Batch {
    /// Checks one observation given as JSON and files it.
    pub fn take(&mut self, line: usize, v: Value) {
        let id = v.get("id").and_then(Value::as_str).map(str::to_owned);
        match serde_json::from_value::<Observation>(v) {
            Err(e) => self.rejected.push(Rejected {
                line,
                id,
                reason: e.to_string(),
            }),
            Ok(o) => match o.check() {
                Ok(place) => self.accepted.push((o, place)),
                Err(errs) => self.rejected.push(Rejected {
                    line,
                    id,
                    reason: errs
                        .iter()
                        .map(|(f, m)| format!("{f}: {m}"))
                        .collect::<Vec<_>>()
                        .join("; "),
                }),
            },
        }
    }
}

fn num(s: &str, field: &str) -> Result<Value, String> {
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .map(Value::from)
        .ok_or_else(|| format!("{field}: \"{s}\" is not a number"))
}

fn whole(s: &str, field: &str) -> Result<Value, String> {
    s.parse::<u32>()
        .map(Value::from)
        .map_err(|_| format!("{field}: \"{s}\" is not a whole number ≥ 0"))
}

/// One row of Coalition's layout as the JSON an observation is read from.
fn own_row(get: &dyn Fn(&str) -> String) -> Result<Value, String> {
    let mut o = Map::new();
    for key in [
        "id",
        "observed_from",
        "observed_to",
        "reported",
        "observer",
        "kind",
    ] {
        o.insert(key.into(), Value::String(get(key)));
    }
    let opt = |o: &mut Map<String, Value>, key: &str, v: String| {
        if !v.is_empty() {
            o.insert(key.into(), Value::String(v));
        }
    };
    opt(&mut o, "observer_id", get("observer_id"));
    opt(&mut o, "attribution", get("attribution"));
    opt(&mut o, "grading", get("grading"));
    opt(&mut o, "text", get("text"));
    opt(&mut o, "releasability", get("releasability"));
    if !get("time_precision_min").is_empty() {
        o.insert(
            "time_precision_min".into(),
            whole(&get("time_precision_min"), "time_precision_min")?,
        );
    }
    match get("against_coalition").to_ascii_lowercase().as_str() {
        "" | "false" | "no" | "0" => {}
        "true" | "yes" | "1" => {
            o.insert("against_coalition".into(), Value::Bool(true));
        }
        other => {
            return Err(format!(
                "against_coalition: \"{other}\" is not true or false"
            ))
        }
    }
    let best = get("count_best");
    let best = if best.is_empty() {
        "1".to_owned()
    } else {
        best
    };
    let or_best = |v: String| if v.is_empty() { best.clone() } else { v };
    let best_n = whole(&best, "count_best")?;
    o.insert(
        "count".into(),
        json!({"low": whole(&or_best(get("count_low")), "count_low")?,
               "best": best_n,
               "high": whole(&or_best(get("count_high")), "count_high")?}),
    );
    let (ol, on) = (get("observer_lat"), get("observer_lon"));
    if !ol.is_empty() || !on.is_empty() {
        o.insert(
            "observer_position".into(),
            json!({"lat": num(&ol, "observer_lat")?, "lon": num(&on, "observer_lon")?}),
        );
    }
    let radius = match get("radius_m") {
        r if r.is_empty() => Value::from(0.0),
        r => num(&r, "radius_m")?,
    };
    let location = if !get("mgrs").is_empty() {
        json!({"type": "mgrs", "mgrs": get("mgrs"), "radius_m": radius})
    } else if !get("bearing_deg").is_empty() {
        json!({"type": "bearing", "bearing_deg": num(&get("bearing_deg"), "bearing_deg")?,
            "min_m": num(&get("min_m"), "min_m")?, "max_m": num(&get("max_m"), "max_m")?})
    } else if !get("lat").is_empty() || !get("lon").is_empty() {
        json!({"type": "point", "lat": num(&get("lat"), "lat")?, "lon": num(&get("lon"), "lon")?, "radius_m": radius})
    } else {
        return Err(
            "a location is needed: lat and lon, mgrs, or bearing_deg with min_m and max_m".into(),
        );
    };
    o.insert("location".into(), location);
    Ok(Value::Object(o))
}

/// ACLED's `geo_precision` (1 the place itself, 2 near it, 3 only the region) as an error
/// radius in metres.
fn acled_radius(p: &str) -> Result<f64, String> {
    match p.trim() {
        "1" | "" => Ok(2_000.0),
        "2" => Ok(10_000.0),
        "3" => Ok(50_000.0),
        other => Err(format!("geo_precision: \"{other}\" is not 1, 2 or 3")),
    }
}

/// One row of an ACLED export: a partner's report of an event on a day.
fn acled_row(get: &dyn Fn(&str) -> String) -> Result<Value, String> {
    let id = get("event_id_cnty");
    let date = get("event_date");
    let day: jiff::civil::Date = date
        .parse()
        .map_err(|_| format!("event_date: \"{date}\" is not YYYY-MM-DD"))?;
    let kind = EventKind::from_acled(&get("sub_event_type"))?;
    let reported = match get("timestamp") {
        t if t.is_empty() => format!("{day}T23:59:59Z"),
        t => {
            let secs: i64 = t
                .parse()
                .map_err(|_| format!("timestamp: \"{t}\" is not Unix seconds"))?;
            jiff::Timestamp::from_second(secs)
                .map_err(|e| format!("timestamp: {e}"))?
                .to_string()
        }
    };
    let mut o = json!({"id": format!("ACLED-{id}"), "observed_from": format!("{day}T00:00:00Z"),
        "observed_to": format!("{day}T23:59:59Z"), "reported": reported, "observer": "partner",
        "kind": kind.as_str(), "count": {"low": 1, "best": 1, "high": 1},
        "location": {"type": "point", "lat": num(&get("latitude"), "latitude")?,
            "lon": num(&get("longitude"), "longitude")?, "radius_m": acled_radius(&get("geo_precision"))?}});
    if let Some(map) = o.as_object_mut() {
        let actor = get("actor1");
        if !actor.is_empty() {
            map.insert("attribution".into(), Value::String(actor));
        }
        let notes = get("notes");
        if !notes.is_empty() {
            map.insert("text".into(), Value::String(notes));
        }
    }
    Ok(o)
}

/// Reads observations from CSV in Coalition's layout or an ACLED export's (recognised by its
/// `event_id_cnty` and `sub_event_type` columns). A file that cannot be read at all is an
/// error; otherwise every row is taken or rejected on its own.
pub fn read_csv(text: &str) -> Result<Batch, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("line 1: {e}"))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let acled =
        header.iter().any(|h| h == "event_id_cnty") && header.iter().any(|h| h == "sub_event_type");
    if !acled {
        let missing: Vec<&str> = COLUMNS[..6]
            .iter()
            .filter(|c| !header.iter().any(|h| h == *c))
            .copied()
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "line 1: missing columns {} (or give an ACLED export)",
                missing.join(", ")
            ));
        }
        if let Some(unknown) = header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
            return Err(format!("line 1: unknown column \"{unknown}\""));
        }
    }
    let mut batch = Batch::default();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                batch.rejected.push(Rejected {
                    line,
                    id: None,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        if rec.len() != header.len() {
            batch.rejected.push(Rejected {
                line,
                id: rec.get(0).map(str::to_owned),
                reason: format!("{} cells where the header has {}", rec.len(), header.len()),
            });
            continue;
        }
        let get = |name: &str| -> String {
            header
                .iter()
                .position(|h| h == name)
                .and_then(|k| rec.get(k))
                .unwrap_or("")
                .to_owned()
        };
        let row = if acled {
            acled_row(&get)
        } else {
            own_row(&get)
        };
        match row {
            Ok(v) => batch.take(line, v),
            Err(reason) => batch.rejected.push(Rejected {
                line,
                id: Some(get(if acled { "event_id_cnty" } else { "id" })).filter(|s| !s.is_empty()),
                reason,
            }),
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OWN: &str = "id,observed_from,observed_to,reported,observer,kind,count_best,lat,lon,radius_m,bearing_deg,min_m,max_m,observer_lat,observer_lon,mgrs,grading,text\n\
P1-1,181200ZMAR25,181205ZMAR25,181300ZMAR25,patrol,shelling,4,48.01,37.81,200,,,,,,,B2,\"three rounds, then one more\"\n\
OP-2,2025-03-18T12:00:00Z,2025-03-18T12:03:00Z,2025-03-18T12:30:00Z,fixed_camera,shelling,2,,,,45,1000,4000,48.0,37.75,,,\n\
BAD-1,181200ZMAR25,181205ZMAR25,181300ZMAR25,patrol,fireworks,1,48.0,37.8,,,,,,,,,\n\
BAD-2,181200ZMAR25,181205ZMAR25,181300ZMAR25,patrol,shelling,1,,,,,,,,,,,\n\
BAD-3,181200ZMAR25,171205ZMAR25,181300ZMAR25,patrol,shelling,x,48.0,37.8,,,,,,,,,\n\
BAD-4,181200ZMAR25,171205ZMAR25,181300ZMAR25,patrol,shelling,1,48.0,37.8,,,,,,,,,\n\
BAD-5,181200ZMAR25,181205ZMAR25\n";

    #[test]
    fn good_rows_are_kept_and_bad_rows_named() {
        let batch = read_csv(OWN).unwrap_or_default();
        let ids: Vec<&str> = batch.accepted.iter().map(|(o, _)| o.id.as_str()).collect();
        assert_eq!(ids, ["P1-1", "OP-2"]);
        assert_eq!(
            batch.accepted[0].0.text.as_deref(),
            Some("three rounds, then one more")
        );
        assert!(matches!(batch.accepted[1].1, Place::Ray { .. }));
        let bad: Vec<(usize, &str)> = batch
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(bad.len(), 5, "{bad:?}");
        assert_eq!(bad[0].0, 4);
        assert!(bad[0].1.contains("fireworks"), "{bad:?}");
        assert!(bad[1].1.contains("a location is needed"), "{bad:?}");
        assert!(bad[2].1.contains("count_best"), "{bad:?}");
        assert!(
            bad[3].1.contains("observed_to: is before observed_from"),
            "{bad:?}"
        );
        assert!(bad[4].1.contains("cells where the header has"), "{bad:?}");
    }

    #[test]
    fn acled_exports_are_read_as_partner_reports() {
        let text = "event_id_cnty,event_date,year,event_type,sub_event_type,actor1,country,admin1,latitude,longitude,geo_precision,notes,fatalities,timestamp\n\
UKR12345,2025-03-18,2025,Explosions/Remote violence,Shelling/artillery/missile attack,Military Forces of Russia (2000-),Ukraine,Donetsk,48.0,37.8,1,Shelling near the village.,0,1742342400\n\
UKR12346,2025-03-18,2025,Protests,Peaceful protest,Protesters,Ukraine,Kyiv,50.45,30.52,1,,0,1742342400\n";
        let batch = read_csv(text).unwrap_or_default();
        assert_eq!(batch.accepted.len(), 1);
        let (o, place) = &batch.accepted[0];
        assert_eq!(o.id, "ACLED-UKR12345");
        assert_eq!(o.kind, EventKind::Shelling);
        assert_eq!(
            o.attribution.as_deref(),
            Some("Military Forces of Russia (2000-)")
        );
        assert_eq!(place.radius_m(), 2_000.0);
        assert!(batch.rejected[0].reason.contains("Peaceful protest"));
    }

    #[test]
    fn unreadable_files_are_one_error() {
        assert!(read_csv("id,when\n1,2\n")
            .unwrap_err()
            .contains("missing columns"));
        assert!(
            read_csv("id,observed_from,observed_to,reported,observer,kind,colour\n")
                .unwrap_err()
                .contains("unknown column \"colour\"")
        );
    }
}
