//! Correlation: observations of one event, from several observers, become one incident.
//!
//! An observation joins an incident of the same kind when their time windows overlap (within
//! [`Params::max_gap_min`]) and their places agree: two points whose error circles, widened by
//! [`Params::slack_m`], touch; a bearing line that passes within reach of the incident; or two
//! bearing lines from different posts that cross inside both distance bands, which also narrows
//! the incident's location to the crossing. Each join is recorded with its reason. It is
//! incremental (one observation at a time, through a grid index), and reversible: a monitor may
//! split observations off an incident or merge two incidents.

use std::collections::{BTreeMap, HashMap};

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::geo::{self, LatLon};
use crate::model::{Count, EventKind, Observation, Place};

/// Correlation settings; the defaults are documented in `docs/monitoring.md`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Params {
    /// Windows this far apart (minutes) still count as the same time.
    pub max_gap_min: u32,
    /// Added to the sum of error radii before two places are said to disagree (metres).
    pub slack_m: f64,
    /// Bearing uncertainty (degrees) of a reported direction.
    pub bearing_tolerance_deg: f64,
    /// Never join places further apart than this (metres); also the grid's cell size.
    pub max_join_m: f64,
    /// An incident may not grow longer than this (minutes) by joining: a chain of sightings
    /// minutes apart is several events, not one long one.
    pub max_span_min: u32,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            max_gap_min: 10,
            slack_m: 250.0,
            bearing_tolerance_deg: 3.0,
            max_join_m: 5_000.0,
            max_span_min: 60,
        }
    }
}

/// Why an observation is in its incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reason {
    pub observation: String,
    /// `first` (opened the incident), `near` (points agree), `on_bearing` (a bearing passes
    /// the incident), `crossing` (two bearings cross), `merged` or `split` (a monitor's
    /// decision).
    pub rule: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    pub id: u64,
    pub kind: EventKind,
    pub from: Timestamp,
    pub to: Timestamp,
    /// Best estimate of where it happened, and how far off that may be.
    pub location: LatLon,
    pub radius_m: f64,
    /// The largest count any one observer gave (several observers of one event are not added).
    pub count: Count,
    pub against_coalition: bool,
    pub observations: Vec<String>,
    pub reasons: Vec<Reason>,
    /// Observers (ids, or the observation id when none was given) that saw it.
    pub observers: Vec<String>,
}

#[derive(Debug, Clone)]
struct Member {
    id: String,
    place: Place,
    window: (Timestamp, Timestamp),
    count: Count,
    against_coalition: bool,
    observer: String,
}

/// What happened to an observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Opened {
        incident: u64,
    },
    Joined {
        incident: u64,
        reason: Reason,
    },
    /// The same id was sent before; nothing changed.
    AlreadyKnown {
        incident: u64,
    },
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CorrelateError {
    #[error("there is no incident {0}")]
    NoIncident(u64),
    #[error("observation {0} is not in incident {1}")]
    NotInIncident(String, u64),
    #[error("a split must leave at least one observation in incident {0}")]
    WouldEmpty(u64),
    #[error("incidents {0} and {1} are of different kinds")]
    DifferentKinds(u64, u64),
}

pub struct Correlator {
    params: Params,
    next_id: u64,
    incidents: BTreeMap<u64, (Incident, Vec<Member>)>,
    by_observation: HashMap<String, u64>,
    /// Incidents by (kind, east cell, north cell, hour of their start).
    grid: HashMap<GridKey, Vec<u64>>,
    /// The longest an incident has lasted so far (seconds): how far back a lookup must reach.
    max_span_s: i64,
}

/// Seconds per time bucket of the grid.
const BUCKET_S: i64 = 3600;

fn cell(p: LatLon, size: f64) -> (i64, i64) {
    let y = p.lat.to_radians() * geo::EARTH_RADIUS_M;
    let x = p.lon.to_radians() * geo::EARTH_RADIUS_M * p.lat.to_radians().cos();
    ((x / size).floor() as i64, (y / size).floor() as i64)
}

type GridKey = (EventKind, i64, i64, i64);

fn key(kind: EventKind, p: LatLon, from: Timestamp, size: f64) -> GridKey {
    let (x, y) = cell(p, size);
    (kind, x, y, from.as_second().div_euclid(BUCKET_S))
}

fn overlaps(a: (Timestamp, Timestamp), b: (Timestamp, Timestamp), gap: SignedDuration) -> bool {
    let a_end = a.1.checked_add(gap).unwrap_or(a.1);
    let b_end = b.1.checked_add(gap).unwrap_or(b.1);
    a.0 <= b_end && b.0 <= a_end
}

/// Distance from `p` to the ray's band (metres), and the range along the ray.
fn off_ray(p: LatLon, from: LatLon, bearing: f64, min_m: f64, max_m: f64) -> (f64, f64) {
    let (x, y) = geo::local_xy(from, p);
    let (ux, uy) = (bearing.to_radians().sin(), bearing.to_radians().cos());
    let along = x * ux + y * uy;
    let across = (x * uy - y * ux).abs();
    let beyond = if along < min_m {
        min_m - along
    } else if along > max_m {
        along - max_m
    } else {
        0.0
    };
    (across.hypot(beyond), along)
}

impl Correlator {
    pub fn new(params: Params) -> Self {
        Self {
            params,
            next_id: 1,
            incidents: BTreeMap::new(),
            by_observation: HashMap::new(),
            grid: HashMap::new(),
            max_span_s: 0,
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    pub fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values().map(|(i, _)| i)
    }

    pub fn incident(&self, id: u64) -> Option<&Incident> {
        self.incidents.get(&id).map(|(i, _)| i)
    }

    pub fn incident_of(&self, observation: &str) -> Option<u64> {
        self.by_observation.get(observation).copied()
    }

    /// Adds an observation whose place [`Observation::check`] worked out.
    pub fn add(&mut self, o: &Observation, place: Place) -> Outcome {
        if let Some(&incident) = self.by_observation.get(&o.id) {
            return Outcome::AlreadyKnown { incident };
        }
        let member = Member {
            id: o.id.clone(),
            place,
            window: o.window(),
            count: o.count,
            against_coalition: o.against_coalition,
            observer: o.observer_id.clone().unwrap_or_else(|| o.id.clone()),
        };
        match self.best_match(o.kind, &member) {
            Some((id, reason)) => {
                self.attach(id, member, reason.clone());
                Outcome::Joined {
                    incident: id,
                    reason,
                }
            }
            None => {
                let id = self.open(o.kind, vec![member], "first", "opened the incident".into());
                Outcome::Opened { incident: id }
            }
        }
    }

    fn best_match(&self, kind: EventKind, m: &Member) -> Option<(u64, Reason)> {
        let p = &self.params;
        let gap = SignedDuration::from_mins(i64::from(p.max_gap_min));
        let c = cell(m.place.centre(), p.max_join_m);
        // Incidents that could overlap the window began no earlier than the window's start less
        // the gap and the longest span, and no later than its end plus the gap.
        let first = (m.window.0.as_second() - gap.as_secs() - self.max_span_s).div_euclid(BUCKET_S);
        let last = (m.window.1.as_second() + gap.as_secs()).div_euclid(BUCKET_S);
        let max_span = i64::from(p.max_span_min) * 60;
        let mut best: Option<(f64, u64, Reason)> = None;
        for (dx, dy, t) in (-1..=1)
            .flat_map(|dx| (-1..=1).map(move |dy| (dx, dy)))
            .flat_map(|(dx, dy)| (first..=last).map(move |t| (dx, dy, t)))
        {
            let Some(ids) = self.grid.get(&(kind, c.0 + dx, c.1 + dy, t)) else {
                continue;
            };
            for id in ids {
                let Some((inc, members)) = self.incidents.get(id) else {
                    continue;
                };
                // The grid is keyed by kind: every candidate here is of the observation's kind.
                if !overlaps((inc.from, inc.to), m.window, gap) {
                    continue;
                }
                let span =
                    inc.to.max(m.window.1).as_second() - inc.from.min(m.window.0).as_second();
                if span > max_span {
                    continue;
                }
                if let Some((score, reason)) = self.agree(inc, members, m) {
                    if best.as_ref().is_none_or(|(s, _, _)| score < *s) {
                        best = Some((score, *id, reason));
                    }
                }
            }
        }
        best.map(|(_, id, r)| (id, r))
    }

    /// Does `m` agree with the incident's place? Returns a score (lower is closer) and why.
    fn agree(&self, inc: &Incident, members: &[Member], m: &Member) -> Option<(f64, Reason)> {
        let p = &self.params;
        let has_point = members
            .iter()
            .any(|x| matches!(x.place, Place::Point { .. }));
        match m.place {
            Place::Point { at, radius_m } if has_point || members.is_empty() => {
                let d = geo::distance_m(at, inc.location);
                let reach = radius_m + inc.radius_m + p.slack_m;
                (d <= reach && d <= p.max_join_m).then(|| {
                    (
                        d / reach.max(1.0),
                        Reason {
                            observation: m.id.clone(),
                            rule: "near",
                            detail: format!(
                                "same kind, {d:.0} m from the incident (within {radius_m:.0} + {:.0} + {:.0} m), overlapping times",
                                inc.radius_m, p.slack_m
                            ),
                        },
                    )
                })
            }
            Place::Point { at, radius_m } => {
                // The incident is located by bearings only: the point must lie on one of them.
                members.iter().find_map(|x| match x.place {
                    Place::Ray {
                        from,
                        bearing_deg,
                        min_m,
                        max_m,
                    } => {
                        let (off, along) = off_ray(at, from, bearing_deg, min_m, max_m);
                        let reach = radius_m
                            + p.slack_m
                            + along.abs() * p.bearing_tolerance_deg.to_radians();
                        (off <= reach).then(|| {
                            (
                                off / reach.max(1.0),
                                Reason {
                                    observation: m.id.clone(),
                                    rule: "near",
                                    detail: format!(
                                        "same kind, {off:.0} m off the bearing {bearing_deg:.0}° reported by {} (within {reach:.0} m)",
                                        x.id
                                    ),
                                },
                            )
                        })
                    }
                    Place::Point { .. } => None,
                })
            }
            Place::Ray {
                from,
                bearing_deg,
                min_m,
                max_m,
            } => {
                if has_point {
                    let (off, along) = off_ray(inc.location, from, bearing_deg, min_m, max_m);
                    let reach = inc.radius_m
                        + p.slack_m
                        + along.abs() * p.bearing_tolerance_deg.to_radians();
                    return (off <= reach).then(|| {
                        (
                            off / reach.max(1.0),
                            Reason {
                                observation: m.id.clone(),
                                rule: "on_bearing",
                                detail: format!(
                                    "same kind, the bearing {bearing_deg:.0}° passes {off:.0} m from the incident at {along:.0} m range (within {reach:.0} m)"
                                ),
                            },
                        )
                    });
                }
                // Rays only: look for a crossing inside both bands.
                members.iter().find_map(|x| match x.place {
                    Place::Ray {
                        from: f2,
                        bearing_deg: b2,
                        min_m: lo2,
                        max_m: hi2,
                    } if x.observer != m.observer => {
                        let (at, da, db) = geo::cross_bearings(from, bearing_deg, f2, b2)?;
                        let tol = |r: f64| p.slack_m + r * p.bearing_tolerance_deg.to_radians();
                        let inside = |d: f64, lo: f64, hi: f64| d >= lo - tol(d) && d <= hi + tol(d);
                        (inside(da, min_m, max_m) && inside(db, lo2, hi2)).then(|| {
                            (
                                0.5,
                                Reason {
                                    observation: m.id.clone(),
                                    rule: "crossing",
                                    detail: format!(
                                        "same kind, its bearing {bearing_deg:.0}° crosses {}'s bearing {b2:.0}° at {da:.0} m and {db:.0} m, inside both distance bands; located at {:.5}, {:.5}",
                                        x.id, at.lat, at.lon
                                    ),
                                },
                            )
                        })
                    }
                    Place::Ray {
                        bearing_deg: b2,
                        min_m: lo2,
                        max_m: hi2,
                        ..
                    } => {
                        // The same post reporting the same direction again.
                        let turn = ((bearing_deg - b2 + 540.0) % 360.0 - 180.0).abs();
                        (turn <= p.bearing_tolerance_deg && min_m <= hi2 && lo2 <= max_m).then(|| {
                            (
                                0.8,
                                Reason {
                                    observation: m.id.clone(),
                                    rule: "on_bearing",
                                    detail: format!(
                                        "same kind, same post as {} on a bearing {turn:.1}° apart, overlapping distance bands",
                                        x.id
                                    ),
                                },
                            )
                        })
                    }
                    Place::Point { .. } => None,
                })
            }
        }
    }

    fn open(
        &mut self,
        kind: EventKind,
        members: Vec<Member>,
        rule: &'static str,
        detail: String,
    ) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let reasons = members
            .iter()
            .map(|m| Reason {
                observation: m.id.clone(),
                rule,
                detail: detail.clone(),
            })
            .collect();
        let placeholder = Incident {
            id,
            kind,
            from: Timestamp::UNIX_EPOCH,
            to: Timestamp::UNIX_EPOCH,
            location: LatLon { lat: 0.0, lon: 0.0 },
            radius_m: 0.0,
            count: Count {
                low: 0,
                best: 0,
                high: 0,
            },
            against_coalition: false,
            observations: Vec::new(),
            reasons,
            observers: Vec::new(),
        };
        for m in &members {
            self.by_observation.insert(m.id.clone(), id);
        }
        self.incidents.insert(id, (placeholder, members));
        self.refresh(id);
        id
    }

    fn attach(&mut self, id: u64, m: Member, reason: Reason) {
        self.by_observation.insert(m.id.clone(), id);
        if let Some((inc, members)) = self.incidents.get_mut(&id) {
            inc.reasons.push(reason);
            members.push(m);
        }
        self.refresh(id);
    }

    /// Recomputes an incident from its members and re-files it in the grid.
    fn refresh(&mut self, id: u64) {
        let Some((inc, members)) = self.incidents.get_mut(&id) else {
            return;
        };
        let old_cell = (!inc.observations.is_empty())
            .then(|| key(inc.kind, inc.location, inc.from, self.params.max_join_m));
        let p = self.params;
        let points: Vec<(LatLon, f64)> = members
            .iter()
            .filter_map(|m| match m.place {
                Place::Point { at, radius_m } => Some((at, radius_m.max(1.0))),
                Place::Ray { .. } => None,
            })
            .collect();
        let (location, radius) = if let Some(&(origin, _)) = points.first() {
            // Inverse-variance mean of the points.
            let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
            for (at, r) in &points {
                let w = 1.0 / (r * r);
                let (x, y) = geo::local_xy(origin, *at);
                sx += w * x;
                sy += w * y;
                sw += w;
            }
            (
                geo::from_local_xy(origin, sx / sw, sy / sw),
                (1.0 / sw).sqrt(),
            )
        } else {
            let rays: Vec<&Member> = members.iter().collect();
            let mut crossings = Vec::new();
            for (i, a) in rays.iter().enumerate() {
                for b in &rays[i + 1..] {
                    if let (
                        Place::Ray {
                            from: fa,
                            bearing_deg: ba,
                            ..
                        },
                        Place::Ray {
                            from: fb,
                            bearing_deg: bb,
                            ..
                        },
                    ) = (a.place, b.place)
                    {
                        if let Some((at, da, db)) = geo::cross_bearings(fa, ba, fb, bb) {
                            crossings.push((at, da.max(db)));
                        }
                    }
                }
            }
            match crossings.first() {
                Some(&(origin, _)) => {
                    let n = crossings.len() as f64;
                    let (mut sx, mut sy) = (0.0, 0.0);
                    let mut range: f64 = 0.0;
                    for (at, r) in &crossings {
                        let (x, y) = geo::local_xy(origin, *at);
                        sx += x;
                        sy += y;
                        range = range.max(*r);
                    }
                    (
                        geo::from_local_xy(origin, sx / n, sy / n),
                        p.slack_m + range * p.bearing_tolerance_deg.to_radians(),
                    )
                }
                None => members.first().map_or((inc.location, 0.0), |m| {
                    (m.place.centre(), m.place.radius_m())
                }),
            }
        };
        inc.location = location;
        inc.radius_m = radius;
        inc.from = members.iter().map(|m| m.window.0).min().unwrap_or(inc.from);
        inc.to = members.iter().map(|m| m.window.1).max().unwrap_or(inc.to);
        inc.count = members
            .iter()
            .map(|m| m.count)
            .max_by_key(|c| (c.best, c.high))
            .unwrap_or(inc.count);
        inc.against_coalition = members.iter().any(|m| m.against_coalition);
        inc.observations = members.iter().map(|m| m.id.clone()).collect();
        let mut observers: Vec<String> = members.iter().map(|m| m.observer.clone()).collect();
        observers.sort();
        observers.dedup();
        inc.observers = observers;
        self.max_span_s = self
            .max_span_s
            .max(inc.to.as_second() - inc.from.as_second());
        let new_cell = key(inc.kind, location, inc.from, p.max_join_m);
        if old_cell != Some(new_cell) {
            if let Some(c) = old_cell {
                if let Some(list) = self.grid.get_mut(&c) {
                    list.retain(|x| *x != id);
                }
            }
            self.grid.entry(new_cell).or_default().push(id);
        }
    }

    fn remove(&mut self, id: u64) -> Option<(Incident, Vec<Member>)> {
        let (inc, members) = self.incidents.remove(&id)?;
        let c = key(inc.kind, inc.location, inc.from, self.params.max_join_m);
        if let Some(list) = self.grid.get_mut(&c) {
            list.retain(|x| *x != id);
        }
        Some((inc, members))
    }

    /// Would [`Correlator::split`] succeed?
    pub fn check_split(
        &self,
        incident: u64,
        observations: &[String],
    ) -> Result<(), CorrelateError> {
        let (inc, members) = self
            .incidents
            .get(&incident)
            .ok_or(CorrelateError::NoIncident(incident))?;
        for o in observations {
            if !inc.observations.contains(o) {
                return Err(CorrelateError::NotInIncident(o.clone(), incident));
            }
        }
        if observations.is_empty() || members.iter().all(|m| observations.contains(&m.id)) {
            return Err(CorrelateError::WouldEmpty(incident));
        }
        Ok(())
    }

    /// Would [`Correlator::merge`] succeed?
    pub fn check_merge(&self, a: u64, b: u64) -> Result<(), CorrelateError> {
        let kind_a = self.incident(a).ok_or(CorrelateError::NoIncident(a))?.kind;
        let kind_b = self.incident(b).ok_or(CorrelateError::NoIncident(b))?.kind;
        if kind_a == kind_b {
            Ok(())
        } else {
            Err(CorrelateError::DifferentKinds(a, b))
        }
    }

    /// Moves `observations` out of `incident` into a new incident of their own; returns its id.
    pub fn split(
        &mut self,
        incident: u64,
        observations: &[String],
        why: &str,
    ) -> Result<u64, CorrelateError> {
        self.check_split(incident, observations)?;
        let kind = self
            .incident(incident)
            .ok_or(CorrelateError::NoIncident(incident))?
            .kind;
        let (mut inc, members) = self
            .remove(incident)
            .ok_or(CorrelateError::NoIncident(incident))?;
        let (moved, kept): (Vec<Member>, Vec<Member>) = members
            .into_iter()
            .partition(|m| observations.contains(&m.id));
        inc.reasons
            .retain(|r| !observations.contains(&r.observation));
        inc.observations.clear();
        self.incidents.insert(incident, (inc, kept));
        self.refresh(incident);
        Ok(self.open(
            kind,
            moved,
            "split",
            format!("split from incident {incident}: {why}"),
        ))
    }

    /// Merges incident `b` into `a`; returns `a`.
    pub fn merge(&mut self, a: u64, b: u64, why: &str) -> Result<u64, CorrelateError> {
        self.check_merge(a, b)?;
        if a == b {
            return Ok(a);
        }
        let (_, moved) = self.remove(b).ok_or(CorrelateError::NoIncident(b))?;
        for m in moved {
            let reason = Reason {
                observation: m.id.clone(),
                rule: "merged",
                detail: format!("merged from incident {b}: {why}"),
            };
            self.by_observation.insert(m.id.clone(), a);
            if let Some((inc, members)) = self.incidents.get_mut(&a) {
                inc.reasons.push(reason);
                members.push(m);
            }
        }
        self.refresh(a);
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::{bearing_deg, destination, distance_m};
    use serde_json::json;

    const EVENT: LatLon = LatLon {
        lat: 48.0,
        lon: 37.9,
    };

    fn obs(
        id: &str,
        observer: &str,
        minute: u32,
        kind: &str,
        location: serde_json::Value,
        position: Option<LatLon>,
    ) -> Observation {
        let mut v = json!({"id": id, "observed_from": format!("2025-03-18T12:{minute:02}:00Z"),
            "observed_to": format!("2025-03-18T12:{:02}:00Z", minute + 2),
            "reported": "2025-03-18T14:00:00Z", "observer": "patrol", "observer_id": observer,
            "location": location, "kind": kind, "count": {"low": 1, "best": 2, "high": 3}});
        if let Some(p) = position {
            v["observer_position"] = json!({"lat": p.lat, "lon": p.lon});
        }
        serde_json::from_value(v).unwrap_or_else(|e| panic!("{e}"))
    }

    fn point(at: LatLon, radius: f64) -> serde_json::Value {
        json!({"type": "point", "lat": at.lat, "lon": at.lon, "radius_m": radius})
    }

    fn feed(c: &mut Correlator, o: &Observation) -> Outcome {
        let place = o.check().unwrap_or_else(|e| panic!("{e:?}"));
        c.add(o, place)
    }

    /// (case, observations, expected groups: which observations end up together)
    type Case<'a> = (&'a str, Vec<Observation>, Vec<Vec<&'a str>>);

    /// Each case, fed in order, gives the expected incidents.
    #[test]
    fn correlation_cases() {
        let post_a = destination(EVENT, 200.0, 4_000.0);
        let post_b = destination(EVENT, 120.0, 3_000.0);
        let bearing = |post: LatLon| json!({"type": "bearing", "bearing_deg": bearing_deg(post, EVENT), "min_m": 2000, "max_m": 5000});
        let cases: Vec<Case<'_>> = vec![
            (
                "two patrols on one explosion",
                vec![
                    obs(
                        "a",
                        "P1",
                        0,
                        "shelling",
                        point(destination(EVENT, 0.0, 100.0), 200.0),
                        None,
                    ),
                    obs(
                        "b",
                        "P2",
                        1,
                        "shelling",
                        point(destination(EVENT, 180.0, 100.0), 150.0),
                        None,
                    ),
                ],
                vec![vec!["a", "b"]],
            ),
            (
                "bearings from two posts",
                vec![
                    obs("a", "OP-A", 0, "shelling", bearing(post_a), Some(post_a)),
                    obs("b", "OP-B", 0, "shelling", bearing(post_b), Some(post_b)),
                ],
                vec![vec!["a", "b"]],
            ),
            (
                "a patrol's point on a post's bearing",
                vec![
                    obs("a", "OP-A", 0, "shelling", bearing(post_a), Some(post_a)),
                    obs("b", "P1", 3, "shelling", point(EVENT, 300.0), None),
                ],
                vec![vec!["a", "b"]],
            ),
            (
                "near but distinct: 3 km apart",
                vec![
                    obs("a", "P1", 0, "shelling", point(EVENT, 200.0), None),
                    obs(
                        "b",
                        "P2",
                        0,
                        "shelling",
                        point(destination(EVENT, 90.0, 3_000.0), 200.0),
                        None,
                    ),
                ],
                vec![vec!["a"], vec!["b"]],
            ),
            (
                "near but distinct: two hours apart",
                vec![obs("a", "P1", 0, "shelling", point(EVENT, 200.0), None), {
                    let mut o = obs("b", "P2", 0, "shelling", point(EVENT, 200.0), None);
                    o.observed_from = "2025-03-18T14:00:00Z".parse().unwrap_or(o.observed_from);
                    o.observed_to = "2025-03-18T14:02:00Z".parse().unwrap_or(o.observed_to);
                    o.reported = "2025-03-18T15:00:00Z".parse().unwrap_or(o.reported);
                    o
                }],
                vec![vec!["a"], vec!["b"]],
            ),
            (
                "near but distinct: another kind",
                vec![
                    obs("a", "P1", 0, "shelling", point(EVENT, 200.0), None),
                    obs("b", "P2", 0, "small_arms_fire", point(EVENT, 200.0), None),
                ],
                vec![vec!["a"], vec!["b"]],
            ),
            (
                "bearings that cross outside their bands",
                vec![
                    obs(
                        "a",
                        "OP-A",
                        0,
                        "shelling",
                        json!({"type": "bearing", "bearing_deg": bearing_deg(post_a, EVENT), "min_m": 6000, "max_m": 9000}),
                        Some(post_a),
                    ),
                    obs("b", "OP-B", 0, "shelling", bearing(post_b), Some(post_b)),
                ],
                vec![vec!["a"], vec!["b"]],
            ),
        ];
        for (name, observations, want) in cases {
            let mut c = Correlator::new(Params::default());
            for o in &observations {
                feed(&mut c, o);
            }
            let mut got: Vec<Vec<String>> = c.incidents().map(|i| i.observations.clone()).collect();
            got.sort();
            let want: Vec<Vec<String>> = want
                .iter()
                .map(|g| g.iter().map(|s| (*s).to_owned()).collect())
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn crossing_bearings_narrow_the_location_and_say_why() {
        let post_a = destination(EVENT, 200.0, 4_000.0);
        let post_b = destination(EVENT, 120.0, 3_000.0);
        let mut c = Correlator::new(Params::default());
        let a = obs(
            "a",
            "OP-A",
            0,
            "shelling",
            json!({"type": "bearing", "bearing_deg": bearing_deg(post_a, EVENT), "min_m": 1000, "max_m": 7000}),
            Some(post_a),
        );
        feed(&mut c, &a);
        let alone = c
            .incident(1)
            .map(|i| (i.location, i.radius_m))
            .unwrap_or((EVENT, 0.0));
        assert!(
            alone.1 >= 2_900.0,
            "one bearing only says 'somewhere on this line'"
        );
        let b = obs(
            "b",
            "OP-B",
            1,
            "shelling",
            json!({"type": "bearing", "bearing_deg": bearing_deg(post_b, EVENT), "min_m": 1000, "max_m": 7000}),
            Some(post_b),
        );
        let outcome = feed(&mut c, &b);
        let Outcome::Joined { incident, reason } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(reason.rule, "crossing");
        assert!(reason.detail.contains("crosses"), "{}", reason.detail);
        let inc = c
            .incident(incident)
            .cloned()
            .unwrap_or_else(|| panic!("no incident"));
        assert!(
            distance_m(inc.location, EVENT) < 30.0,
            "{}",
            distance_m(inc.location, EVENT)
        );
        assert!(inc.radius_m < 600.0, "{}", inc.radius_m);
        assert_eq!(inc.observers, ["OP-A", "OP-B"]);
        assert_eq!(inc.reasons.len(), 2);
    }

    #[test]
    fn re_sending_is_idempotent_and_counts_are_not_added_up() {
        let mut c = Correlator::new(Params::default());
        let a = obs("a", "P1", 0, "shelling", point(EVENT, 200.0), None);
        let mut b = obs("b", "P2", 1, "shelling", point(EVENT, 200.0), None);
        b.count = Count {
            low: 4,
            best: 5,
            high: 9,
        };
        assert!(matches!(feed(&mut c, &a), Outcome::Opened { incident: 1 }));
        assert!(matches!(
            feed(&mut c, &b),
            Outcome::Joined { incident: 1, .. }
        ));
        assert_eq!(feed(&mut c, &a), Outcome::AlreadyKnown { incident: 1 });
        assert_eq!(feed(&mut c, &b), Outcome::AlreadyKnown { incident: 1 });
        let inc = c
            .incident(1)
            .cloned()
            .unwrap_or_else(|| panic!("no incident"));
        assert_eq!(inc.observations, ["a", "b"]);
        assert_eq!(
            inc.count.best, 5,
            "two observers of one event: the larger count"
        );
    }

    #[test]
    fn monitors_split_and_merge() {
        let mut c = Correlator::new(Params::default());
        for (id, who, m) in [("a", "P1", 0), ("b", "P2", 1), ("c", "P3", 2)] {
            feed(
                &mut c,
                &obs(id, who, m, "shelling", point(EVENT, 200.0), None),
            );
        }
        assert_eq!(c.incidents().count(), 1);
        let new = c
            .split(1, &["c".to_owned()], "two impacts seen on the video")
            .unwrap_or(0);
        assert_eq!(new, 2);
        assert_eq!(
            c.incident(1).map(|i| i.observations.clone()),
            Some(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(c.incident_of("c"), Some(2));
        assert_eq!(c.incident(2).map(|i| i.reasons[0].rule), Some("split"));
        // A new sighting still joins, and a merge puts them back together.
        assert_eq!(c.merge(1, 2, "one impact after all"), Ok(1));
        assert!(c.incident(2).is_none());
        assert_eq!(c.incident_of("c"), Some(1));
        assert_eq!(c.incident(1).map(|i| i.observations.len()), Some(3));
        // Refused: unknown incidents, observations elsewhere, emptying an incident, mixed kinds.
        assert_eq!(c.split(9, &[], "x"), Err(CorrelateError::NoIncident(9)));
        assert!(c.split(1, &["zz".to_owned()], "x").is_err());
        assert_eq!(
            c.split(1, &["a".to_owned(), "b".to_owned(), "c".to_owned()], "x"),
            Err(CorrelateError::WouldEmpty(1))
        );
        feed(
            &mut c,
            &obs("d", "P4", 0, "small_arms_fire", point(EVENT, 200.0), None),
        );
        let other = c.incident_of("d").unwrap_or(0);
        assert_eq!(
            c.merge(1, other, "x"),
            Err(CorrelateError::DifferentKinds(1, other))
        );
    }

    #[test]
    fn a_chain_of_sightings_does_not_grow_into_one_long_incident() {
        let mut c = Correlator::new(Params::default());
        for k in 0..16u32 {
            let mut o = obs(
                &format!("c{k}"),
                &format!("P{k}"),
                0,
                "shelling",
                point(EVENT, 200.0),
                None,
            );
            let at = |m: u32| -> Timestamp {
                Timestamp::from_second(1_742_292_000 + i64::from(m) * 60)
                    .unwrap_or(Timestamp::UNIX_EPOCH)
            };
            o.observed_from = at(k * 8);
            o.observed_to = at(k * 8 + 2);
            o.reported = at(k * 8 + 30);
            feed(&mut c, &o);
        }
        let spans: Vec<i64> = c
            .incidents()
            .map(|i| i.to.as_second() - i.from.as_second())
            .collect();
        assert!(spans.len() >= 2, "{spans:?}");
        assert!(spans.iter().all(|s| *s <= 60 * 60), "{spans:?}");
    }
}
