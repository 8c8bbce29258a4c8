//! The numbers behind a join, kept as numbers and written out as text only when shown: an
//! incident keeps one of these per observation, so it is small (the rare kinds with names in
//! them are boxed).

use std::fmt;

use serde::{Serialize, Serializer};

/// Why an observation joined (or opened) its incident, with the numbers the rule used.
/// Shown and serialized as one sentence.
#[derive(Debug, Clone, PartialEq)]
pub enum Detail {
    /// It opened the incident.
    Opened,
    /// A point near the incident's location.
    Near {
        distance_m: f64,
        radius_m: f64,
        incident_radius_m: f64,
        slack_m: f64,
    },
    /// A point near a bearing of an incident located by bearings only.
    OffBearing(Box<OffBearing>),
    /// A bearing that passes the incident's location.
    OnBearing {
        bearing_deg: f64,
        off_m: f64,
        along_m: f64,
        reach_m: f64,
    },
    /// A bearing that crosses another post's bearing inside both distance bands.
    Crossing(Box<Crossing>),
    /// The same post reporting the same direction again.
    SamePost(Box<SamePost>),
    /// A monitor split it off `from`.
    Split { from: u64, why: String },
    /// A monitor merged its incident `from` into this one.
    Merged { from: u64, why: String },
}

impl Detail {
    /// The name of the rule it stands for, as incidents list it.
    pub fn rule(&self) -> &'static str {
        match self {
            Detail::Opened => "first",
            Detail::Near { .. } | Detail::OffBearing(_) => "near",
            Detail::OnBearing { .. } | Detail::SamePost(_) => "on_bearing",
            Detail::Crossing(_) => "crossing",
            Detail::Split { .. } => "split",
            Detail::Merged { .. } => "merged",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OffBearing {
    pub off_m: f64,
    pub bearing_deg: f64,
    /// The observation that reported the bearing.
    pub reported_by: String,
    pub reach_m: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Crossing {
    pub bearing_deg: f64,
    /// The observation whose bearing it crosses, and that bearing.
    pub other: String,
    pub other_bearing_deg: f64,
    pub range_m: f64,
    pub other_range_m: f64,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SamePost {
    /// The earlier observation from the same post.
    pub other: String,
    pub turn_deg: f64,
}

impl fmt::Display for Detail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Detail::Opened => f.write_str("opened the incident"),
            Detail::Near {
                distance_m,
                radius_m,
                incident_radius_m,
                slack_m,
            } => write!(
                f,
                "same kind, {distance_m:.0} m from the incident (within {:.0} m: radii {radius_m:.0} and {incident_radius_m:.0} m combined, plus {slack_m:.0} m), overlapping times",
                super::within(*radius_m, *incident_radius_m, *slack_m)
            ),
            Detail::OffBearing(d) => write!(
                f,
                "same kind, {:.0} m off the bearing {:.0}° reported by {} (within {:.0} m)",
                d.off_m, d.bearing_deg, d.reported_by, d.reach_m
            ),
            Detail::OnBearing {
                bearing_deg,
                off_m,
                along_m,
                reach_m,
            } => write!(
                f,
                "same kind, the bearing {bearing_deg:.0}° passes {off_m:.0} m from the incident at {along_m:.0} m range (within {reach_m:.0} m)"
            ),
            Detail::Crossing(d) => write!(
                f,
                "same kind, its bearing {:.0}° crosses {}'s bearing {:.0}° at {:.0} m and {:.0} m, inside both distance bands; located at {:.5}, {:.5}",
                d.bearing_deg, d.other, d.other_bearing_deg, d.range_m, d.other_range_m, d.lat, d.lon
            ),
            Detail::SamePost(d) => write!(
                f,
                "same kind, same post as {} on a bearing {:.1}° apart, overlapping distance bands",
                d.other, d.turn_deg
            ),
            Detail::Split { from, why } => write!(f, "split from incident {from}: {why}"),
            Detail::Merged { from, why } => write!(f, "merged from incident {from}: {why}"),
        }
    }
}

impl Serialize for Detail {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sentences monitors read on the incident page and in the API.
    #[test]
    fn details_read_as_before() {
        let cases = [
            (Detail::Opened, "opened the incident"),
            (
                Detail::Near {
                    distance_m: 123.4,
                    radius_m: 200.0,
                    incident_radius_m: 141.42,
                    slack_m: 150.0,
                },
                "same kind, 123 m from the incident (within 395 m: radii 200 and 141 m combined, plus 150 m), overlapping times",
            ),
            (
                Detail::OffBearing(Box::new(OffBearing {
                    off_m: 87.6,
                    bearing_deg: 20.2,
                    reported_by: "a".into(),
                    reach_m: 759.9,
                })),
                "same kind, 88 m off the bearing 20° reported by a (within 760 m)",
            ),
            (
                Detail::OnBearing {
                    bearing_deg: 300.0,
                    off_m: 12.0,
                    along_m: 3999.6,
                    reach_m: 659.0,
                },
                "same kind, the bearing 300° passes 12 m from the incident at 4000 m range (within 659 m)",
            ),
            (
                Detail::Crossing(Box::new(Crossing {
                    bearing_deg: 300.0,
                    other: "a".into(),
                    other_bearing_deg: 20.0,
                    range_m: 3000.2,
                    other_range_m: 4000.0,
                    lat: 48.0,
                    lon: 37.9,
                })),
                "same kind, its bearing 300° crosses a's bearing 20° at 3000 m and 4000 m, inside both distance bands; located at 48.00000, 37.90000",
            ),
            (
                Detail::SamePost(Box::new(SamePost {
                    other: "a".into(),
                    turn_deg: 1.25,
                })),
                "same kind, same post as a on a bearing 1.2° apart, overlapping distance bands",
            ),
            (
                Detail::Split {
                    from: 3,
                    why: "two impacts".into(),
                },
                "split from incident 3: two impacts",
            ),
            (
                Detail::Merged {
                    from: 4,
                    why: "one after all".into(),
                },
                "merged from incident 4: one after all",
            ),
        ];
        for (detail, want) in cases {
            assert_eq!(detail.to_string(), want);
            assert_eq!(serde_json::to_value(&detail).ok(), Some(want.into()));
        }
    }
}
