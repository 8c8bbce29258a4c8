//! Observations as monitors report them: who saw what, where, when, how many, on whose word.

use domain::access::Releasability;
use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::geo::{self, LatLon};

/// The value of `all` whose name is `wanted`, or an error listing the names.
fn by_name<T: Copy>(
    all: &[T],
    name: fn(T) -> &'static str,
    wanted: &str,
    given: &str,
    what: &str,
) -> Result<T, String> {
    all.iter()
        .find(|k| name(**k) == wanted)
        .copied()
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|k| name(*k)).collect();
            format!("\"{given}\" is not {what} ({})", names.join(", "))
        })
}

/// Who or what made the observation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObserverKind {
    Patrol,
    Uav,
    FixedCamera,
    /// Acoustic or seismic sensor.
    AcousticSensor,
    CivilianReport,
    Partner,
}

impl ObserverKind {
    pub const ALL: [ObserverKind; 6] = [
        ObserverKind::Patrol,
        ObserverKind::Uav,
        ObserverKind::FixedCamera,
        ObserverKind::AcousticSensor,
        ObserverKind::CivilianReport,
        ObserverKind::Partner,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            ObserverKind::Patrol => "patrol",
            ObserverKind::Uav => "uav",
            ObserverKind::FixedCamera => "fixed_camera",
            ObserverKind::AcousticSensor => "acoustic_sensor",
            ObserverKind::CivilianReport => "civilian_report",
            ObserverKind::Partner => "partner",
        }
    }
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase().replace([' ', '-', '/'], "_");
        let t = match t.as_str() {
            "drone" | "uas" => "uav",
            "camera" => "fixed_camera",
            "acoustic" | "seismic" | "acoustic_seismic_sensor" | "sensor" => "acoustic_sensor",
            "civilian" => "civilian_report",
            other => other,
        }
        .to_owned();
        by_name(&Self::ALL, Self::as_str, &t, s, "an observer kind")
    }
}

/// What was seen, with its ACLED event type and sub-type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Shelling, artillery or missile attack.
    Shelling,
    DroneStrike,
    AirStrike,
    ArmedClash,
    SmallArmsFire,
    /// Heavy weapons in violation of the withdrawal lines.
    HeavyWeapons,
    /// Restriction of freedom of movement: access denied.
    MovementDenied,
    /// Restriction of freedom of movement: conditional access.
    MovementConditional,
    /// Restriction of freedom of movement: delay.
    MovementDelayed,
    AirspaceViolation,
    /// Mine or unexploded ordnance.
    MineUxo,
    CivilianHarm,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::Shelling,
        EventKind::DroneStrike,
        EventKind::AirStrike,
        EventKind::ArmedClash,
        EventKind::SmallArmsFire,
        EventKind::HeavyWeapons,
        EventKind::MovementDenied,
        EventKind::MovementConditional,
        EventKind::MovementDelayed,
        EventKind::AirspaceViolation,
        EventKind::MineUxo,
        EventKind::CivilianHarm,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Shelling => "shelling",
            EventKind::DroneStrike => "drone_strike",
            EventKind::AirStrike => "air_strike",
            EventKind::ArmedClash => "armed_clash",
            EventKind::SmallArmsFire => "small_arms_fire",
            EventKind::HeavyWeapons => "heavy_weapons",
            EventKind::MovementDenied => "movement_denied",
            EventKind::MovementConditional => "movement_conditional",
            EventKind::MovementDelayed => "movement_delayed",
            EventKind::AirspaceViolation => "airspace_violation",
            EventKind::MineUxo => "mine_uxo",
            EventKind::CivilianHarm => "civilian_harm",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        by_name(&Self::ALL, Self::as_str, &t, s, "an event kind")
    }

    /// ACLED's (event type, sub-event type). Kinds ACLED has no sub-type for are
    /// "Strategic developments / Other".
    pub fn acled(self) -> (&'static str, &'static str) {
        const REMOTE: &str = "Explosions/Remote violence";
        match self {
            EventKind::Shelling => (REMOTE, "Shelling/artillery/missile attack"),
            EventKind::DroneStrike | EventKind::AirStrike => (REMOTE, "Air/drone strike"),
            EventKind::MineUxo => (REMOTE, "Remote explosive/landmine/IED"),
            EventKind::ArmedClash | EventKind::SmallArmsFire => ("Battles", "Armed clash"),
            EventKind::CivilianHarm => ("Violence against civilians", "Attack"),
            EventKind::HeavyWeapons
            | EventKind::MovementDenied
            | EventKind::MovementConditional
            | EventKind::MovementDelayed
            | EventKind::AirspaceViolation => ("Strategic developments", "Other"),
        }
    }

    /// The kind for an ACLED sub-event type (as found in ACLED exports), if it is one
    /// ceasefire monitoring counts.
    pub fn from_acled(sub_event_type: &str) -> Result<Self, String> {
        match sub_event_type.trim() {
            "Shelling/artillery/missile attack" => Ok(EventKind::Shelling),
            "Air/drone strike" => Ok(EventKind::AirStrike),
            "Remote explosive/landmine/IED" => Ok(EventKind::MineUxo),
            "Armed clash" => Ok(EventKind::ArmedClash),
            "Attack" => Ok(EventKind::CivilianHarm),
            other => Err(format!(
                "ACLED sub-event type \"{other}\" is not one ceasefire monitoring counts"
            )),
        }
    }

    /// Restrictions of freedom of movement, which reports list apart.
    pub fn is_movement_restriction(self) -> bool {
        matches!(
            self,
            EventKind::MovementDenied | EventKind::MovementConditional | EventKind::MovementDelayed
        )
    }
}

/// Where the event was, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Location {
    /// Decimal degrees with an error radius.
    Point {
        lat: f64,
        lon: f64,
        #[serde(default)]
        radius_m: f64,
    },
    /// An MGRS reference with an error radius (at least half the square's diagonal).
    Mgrs {
        mgrs: String,
        #[serde(default)]
        radius_m: f64,
    },
    /// A bearing from the observer's position and a distance band.
    Bearing {
        bearing_deg: f64,
        min_m: f64,
        max_m: f64,
    },
}

/// How many (shots, rounds, explosions, vehicles…): low, best and high estimates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Count {
    pub low: u32,
    pub best: u32,
    pub high: u32,
}

/// An admiralty code: source reliability A–F and information credibility 1–6, e.g. `B2`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Grading {
    pub reliability: char,
    pub credibility: u8,
}

impl Grading {
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_uppercase();
        let mut chars = t.chars();
        match (chars.next(), chars.next(), chars.next()) {
            (Some(r @ 'A'..='F'), Some(c @ '1'..='6'), None) => Ok(Self {
                reliability: r,
                credibility: c as u8 - b'0',
            }),
            _ => Err(format!(
                "\"{s}\" is not an admiralty code (A–F then 1–6, e.g. B2)"
            )),
        }
    }
}

impl std::fmt::Display for Grading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.reliability, self.credibility)
    }
}

impl Serialize for Grading {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Grading {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Grading::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// A time in ISO 8601 with its offset or as a date-time group.
fn de_time<'de, D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
    let s = String::deserialize(d)?;
    crate::dtg::parse_time(&s).map_err(serde::de::Error::custom)
}

/// One observation, as sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// Chosen by the sender; sending the same id again changes nothing.
    pub id: String,
    /// The window in which the event was observed.
    #[serde(deserialize_with = "de_time")]
    pub observed_from: Timestamp,
    #[serde(deserialize_with = "de_time")]
    pub observed_to: Timestamp,
    /// How precise the window's ends are, in minutes (0: to the minute as given).
    #[serde(default)]
    pub time_precision_min: u32,
    #[serde(deserialize_with = "de_time")]
    pub reported: Timestamp,
    pub observer: ObserverKind,
    /// Which patrol, camera or sensor (for observation effort and independent sightings).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observer_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observer_position: Option<LatLon>,
    pub location: Location,
    pub kind: EventKind,
    pub count: Count,
    /// The party responsible, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
    /// Directed against coalition forces (alerts at once).
    #[serde(default)]
    pub against_coalition: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grading: Option<Grading>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default)]
    pub releasability: Releasability,
}

/// Where an observation puts its event: a centre and how far off it may be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Place {
    /// A point with an error radius.
    Point { at: LatLon, radius_m: f64 },
    /// A bearing line from the observer between two distances.
    Ray {
        from: LatLon,
        bearing_deg: f64,
        min_m: f64,
        max_m: f64,
    },
}

impl Place {
    /// The best single point for the place: the point, or the middle of the ray's band.
    pub fn centre(&self) -> LatLon {
        match *self {
            Place::Point { at, .. } => at,
            Place::Ray {
                from,
                bearing_deg,
                min_m,
                max_m,
            } => geo::destination(from, bearing_deg, (min_m + max_m) / 2.0),
        }
    }

    /// How far the event may be from [`Place::centre`].
    pub fn radius_m(&self) -> f64 {
        match *self {
            Place::Point { radius_m, .. } => radius_m,
            Place::Ray { min_m, max_m, .. } => (max_m - min_m) / 2.0,
        }
    }
}

pub const MAX_ID_LEN: usize = 128;
pub const MAX_TEXT_LEN: usize = 10_000;

impl Observation {
    /// Checks the fields against each other and works out where the event was. Every problem
    /// is returned, each with its field.
    pub fn check(&self) -> Result<Place, Vec<(String, String)>> {
        let mut errs: Vec<(String, String)> = Vec::new();
        let mut err = |field: &str, m: String| errs.push((field.to_owned(), m));
        if self.id.trim().is_empty() || self.id.len() > MAX_ID_LEN {
            err("id", format!("must be 1 to {MAX_ID_LEN} characters"));
        } else if self.id.chars().any(char::is_control) {
            err("id", "must not hold control characters".into());
        }
        if self.observed_to < self.observed_from {
            err("observed_to", "is before observed_from".into());
        }
        if self.reported < self.observed_from {
            err("reported", "is before the observation began".into());
        }
        if self.time_precision_min > 7 * 24 * 60 {
            err("time_precision_min", "is more than a week".into());
        }
        let c = self.count;
        if !(c.low <= c.best && c.best <= c.high) {
            err("count", "needs low ≤ best ≤ high".into());
        }
        if self.text.as_ref().is_some_and(|t| t.len() > MAX_TEXT_LEN) {
            err("text", format!("is longer than {MAX_TEXT_LEN} bytes"));
        }
        if let Some(p) = self.observer_position {
            if let Err(e) = LatLon::new(p.lat, p.lon) {
                err("observer_position", e);
            }
        }
        let radius_ok = |r: f64| r.is_finite() && (0.0..=100_000.0).contains(&r);
        let place = match &self.location {
            Location::Point { lat, lon, radius_m } => {
                if !radius_ok(*radius_m) {
                    err("location.radius_m", "must be 0 to 100,000 metres".into());
                }
                match LatLon::new(*lat, *lon) {
                    Ok(at) => Some(Place::Point {
                        at,
                        radius_m: *radius_m,
                    }),
                    Err(e) => {
                        err("location", e);
                        None
                    }
                }
            }
            Location::Mgrs { mgrs, radius_m } => {
                if !radius_ok(*radius_m) {
                    err("location.radius_m", "must be 0 to 100,000 metres".into());
                }
                match crate::mgrs::parse_to_lat_lon(mgrs) {
                    Ok((lat, lon, half_diagonal)) => Some(Place::Point {
                        at: LatLon { lat, lon },
                        radius_m: radius_m.max(half_diagonal),
                    }),
                    Err(e) => {
                        err("location.mgrs", e.to_string());
                        None
                    }
                }
            }
            Location::Bearing {
                bearing_deg,
                min_m,
                max_m,
            } => {
                let ok_bearing = bearing_deg.is_finite() && (0.0..360.0).contains(bearing_deg);
                if !ok_bearing {
                    err("location.bearing_deg", "must be 0 to less than 360".into());
                }
                let ok_band = min_m.is_finite()
                    && max_m.is_finite()
                    && *min_m >= 0.0
                    && min_m <= max_m
                    && *max_m <= 100_000.0;
                if !ok_band {
                    err(
                        "location",
                        "needs 0 ≤ min_m ≤ max_m ≤ 100,000 metres".into(),
                    );
                }
                match self.observer_position {
                    None => {
                        err(
                            "observer_position",
                            "is needed for a bearing and distance".into(),
                        );
                        None
                    }
                    Some(from) if ok_bearing && ok_band => Some(Place::Ray {
                        from,
                        bearing_deg: *bearing_deg,
                        min_m: *min_m,
                        max_m: *max_m,
                    }),
                    Some(_) => None,
                }
            }
        };
        match place {
            Some(p) if errs.is_empty() => Ok(p),
            _ => Err(errs),
        }
    }

    /// The observed window widened by its precision.
    pub fn window(&self) -> (Timestamp, Timestamp) {
        let slack = jiff::SignedDuration::from_mins(i64::from(self.time_precision_min));
        (
            self.observed_from
                .checked_sub(slack)
                .unwrap_or(self.observed_from),
            self.observed_to
                .checked_add(slack)
                .unwrap_or(self.observed_to),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn sample() -> serde_json::Value {
        json!({"id": "P1-0001", "observed_from": "181200ZMAR25", "observed_to": "2025-03-18T12:05:00Z",
            "reported": "2025-03-18T13:00:00Z", "observer": "patrol", "observer_id": "P1",
            "observer_position": {"lat": 48.0, "lon": 37.8},
            "location": {"type": "point", "lat": 48.01, "lon": 37.81, "radius_m": 200},
            "kind": "shelling", "count": {"low": 3, "best": 4, "high": 6},
            "grading": "B2", "text": "explosions heard and seen"})
    }

    #[test]
    fn an_observation_reads_and_checks() {
        let o: Observation = serde_json::from_value(sample()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(o.grading.map(|g| g.to_string()).as_deref(), Some("B2"));
        assert_eq!(o.releasability, Releasability::Coalition);
        let place = o.check().unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(place.radius_m(), 200.0);
        assert_eq!(o.kind.acled().1, "Shelling/artillery/missile attack");
    }

    #[test]
    fn every_problem_is_named_with_its_field() {
        let mut v = sample();
        v["observed_to"] = json!("2025-03-18T11:00:00Z");
        v["count"] = json!({"low": 5, "best": 4, "high": 6});
        v["location"] = json!({"type": "bearing", "bearing_deg": 400, "min_m": 500, "max_m": 100});
        v["observer_position"] = serde_json::Value::Null;
        let o: Observation = serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"));
        let errs = o.check().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|(f, _)| f.as_str()).collect();
        for f in [
            "observed_to",
            "count",
            "location.bearing_deg",
            "location",
            "observer_position",
        ] {
            assert!(fields.contains(&f), "{f} in {errs:?}");
        }
        for (field, bad) in [
            ("kind", json!("fireworks")),
            ("grading", json!("G9")),
            ("observed_from", json!("2025-03-18T12:00:00")),
            ("observer", json!("satellite")),
        ] {
            let mut v = sample();
            v[field] = bad;
            assert!(serde_json::from_value::<Observation>(v).is_err(), "{field}");
        }
        let mut v = sample();
        v["colour"] = json!("red");
        assert!(
            serde_json::from_value::<Observation>(v).is_err(),
            "unknown fields are refused"
        );
    }

    #[test]
    fn kinds_and_observers_by_name_and_from_acled() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Ok(k));
        }
        assert_eq!(
            ObserverKind::parse("Fixed camera"),
            Ok(ObserverKind::FixedCamera)
        );
        assert_eq!(
            ObserverKind::parse("seismic"),
            Ok(ObserverKind::AcousticSensor)
        );
        assert_eq!(
            EventKind::from_acled("Shelling/artillery/missile attack"),
            Ok(EventKind::Shelling)
        );
        assert!(EventKind::from_acled("Peaceful protest").is_err());
        assert!(Grading::parse("b2").is_ok() && Grading::parse("B7").is_err());
    }
}
