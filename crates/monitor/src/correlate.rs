//! Correlation: observations of one event, from several observers, become one incident.
//!
//! An observation joins an incident of the same kind when their time windows overlap (within
//! [`Params::max_gap_min`]) and their places agree: two points no further apart than their
//! error radii combined (as independent errors, in quadrature) and [`Params::slack_m`]; a
//! bearing line that passes within reach of the incident; or two bearing lines from different
//! posts that cross inside both distance bands, which also narrows the incident's location to
//! the crossing. Each join is recorded with its reason. It is
//! incremental (one observation at a time, through a grid index), and reversible: a monitor may
//! split observations off an incident or merge two incidents.

mod detail;
mod grid;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::geo::{self, LatLon};
use crate::model::{Count, EventKind, Observation, Place};

pub use detail::{Crossing, Detail, OffBearing, SamePost};
use grid::{Grid, Summary};

/// Correlation settings; the defaults are documented in `docs/monitoring.md`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Params {
    /// Windows this far apart (minutes) still count as the same time.
    pub max_gap_min: u32,
    /// Added to the combined error radii before two places are said to disagree (metres): the
    /// extent of the event itself (a salvo's impacts, a clash's positions).
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
            slack_m: 150.0,
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
    /// The numbers behind the rule; shown (and serialized) as a sentence.
    pub detail: Detail,
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

/// What the correlator keeps of an observation besides its id (which is the incident's
/// `observations` entry at the same position).
#[derive(Debug, Clone)]
struct Member {
    place: Place,
    window: (Timestamp, Timestamp),
    count: Count,
    against_coalition: bool,
    /// The observer's id when one was given; otherwise the observation's own id stands for it.
    observer: Option<String>,
}

/// A member with its observation's id.
type Named = (String, Member);

/// An incident with its members, `members[i]` being `incident.observations[i]`.
#[derive(Debug, Clone)]
struct Record {
    incident: Incident,
    members: Vec<Member>,
}

impl Record {
    /// Who observed member `i`: its observer id, or its own id.
    fn observer(&self, i: usize) -> &str {
        match (&self.members[i].observer, self.incident.observations.get(i)) {
            (Some(o), _) => o,
            (None, Some(id)) => id,
            (None, None) => "",
        }
    }

    fn members(&self) -> impl Iterator<Item = (&str, &Member)> {
        self.incident
            .observations
            .iter()
            .map(String::as_str)
            .zip(&self.members)
    }
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
    /// Incidents by id (at `id - 1`; ids are handed out in order); one merged away is `None`.
    incidents: Vec<Option<Box<Record>>>,
    by_observation: HashMap<String, u64>,
    /// Each incident's summary, filed by kind, place and hours.
    grid: Grid,
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

/// A candidate join: its score (lower is closer), the rule and the numbers behind it.
type Agreement = (f64, &'static str, Detail);

/// The position of incident `id` in the list of incidents.
fn slot(id: u64) -> Option<usize> {
    usize::try_from(id.checked_sub(1)?).ok()
}

impl Correlator {
    pub fn new(params: Params) -> Self {
        let gap_s = i64::from(params.max_gap_min) * 60;
        Self {
            params,
            incidents: Vec::new(),
            by_observation: HashMap::new(),
            grid: Grid::new(params.max_join_m, gap_s),
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Every incident, in the order they were opened.
    pub fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.iter().flatten().map(|r| &r.incident)
    }

    pub fn incident(&self, id: u64) -> Option<&Incident> {
        self.record(id).map(|r| &r.incident)
    }

    pub fn incident_of(&self, observation: &str) -> Option<u64> {
        self.by_observation.get(observation).copied()
    }

    fn record(&self, id: u64) -> Option<&Record> {
        self.incidents.get(slot(id)?)?.as_deref()
    }

    fn record_mut(&mut self, id: u64) -> Option<&mut Record> {
        self.incidents.get_mut(slot(id)?)?.as_deref_mut()
    }

    /// Adds an observation whose place [`Observation::check`] worked out.
    pub fn add(&mut self, o: &Observation, place: Place) -> Outcome {
        if let Some(&incident) = self.by_observation.get(&o.id) {
            return Outcome::AlreadyKnown { incident };
        }
        let member = Member {
            place,
            window: o.window(),
            count: o.count,
            against_coalition: o.against_coalition,
            observer: o.observer_id.clone(),
        };
        let observer = o.observer_id.as_deref().unwrap_or(&o.id);
        match self.best_match(o.kind, &member, observer) {
            Some((id, rule, detail)) => {
                let reason = Reason {
                    observation: o.id.clone(),
                    rule,
                    detail,
                };
                self.attach(id, o.id.clone(), member, reason.clone());
                Outcome::Joined {
                    incident: id,
                    reason,
                }
            }
            None => {
                let id = self.open(
                    o.kind,
                    vec![(o.id.clone(), member)],
                    "first",
                    Detail::Opened,
                );
                Outcome::Opened { incident: id }
            }
        }
    }

    /// The closest incident `m` may join (ties go to the older incident), with why.
    fn best_match(
        &self,
        kind: EventKind,
        m: &Member,
        observer: &str,
    ) -> Option<(u64, &'static str, Detail)> {
        let p = &self.params;
        let gap = SignedDuration::from_mins(i64::from(p.max_gap_min));
        let max_span = i64::from(p.max_span_min) * 60;
        let centre = m.place.centre();
        let mut best: Option<(u64, Agreement)> = None;
        self.grid.around(kind, centre, p.max_join_m, m.window, |s| {
            if !overlaps((s.from, s.to), m.window, gap) {
                return;
            }
            let span = s.to.max(m.window.1).as_second() - s.from.min(m.window.0).as_second();
            if span > max_span {
                return;
            }
            let found = match m.place {
                // The common case, worked out from the summary alone.
                Place::Point { at, radius_m } if s.has_point => near(p, at, radius_m, s),
                _ if geo::distance_m(centre, s.location) > p.max_join_m => None,
                _ => self.record(s.id).and_then(|r| self.agree(r, m, observer)),
            };
            if let Some(a) = found {
                if best
                    .as_ref()
                    .is_none_or(|(id, b)| a.0 < b.0 || (a.0 == b.0 && s.id < *id))
                {
                    best = Some((s.id, a));
                }
            }
        });
        best.map(|(id, (_, rule, detail))| (id, rule, detail))
    }

    /// Does `m` agree with an incident located by bearings, or is `m` a bearing? (Points near
    /// a located incident are [`near`].)
    fn agree(&self, r: &Record, m: &Member, observer: &str) -> Option<Agreement> {
        let p = &self.params;
        let inc = &r.incident;
        let has_point = r
            .members
            .iter()
            .any(|x| matches!(x.place, Place::Point { .. }));
        match m.place {
            Place::Point { at, radius_m } if has_point => {
                let s = summary(inc, has_point);
                near(p, at, radius_m, &s)
            }
            Place::Point { at, radius_m } => {
                // The incident is located by bearings only: the point must lie on one of them.
                r.members().find_map(|(id, x)| match x.place {
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
                                "near",
                                Detail::OffBearing(Box::new(OffBearing {
                                    off_m: off,
                                    bearing_deg,
                                    reported_by: id.to_owned(),
                                    reach_m: reach,
                                })),
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
                    return (off <= reach).then_some((
                        off / reach.max(1.0),
                        "on_bearing",
                        Detail::OnBearing {
                            bearing_deg,
                            off_m: off,
                            along_m: along,
                            reach_m: reach,
                        },
                    ));
                }
                // Rays only: look for a crossing inside both bands.
                (0..r.members.len()).find_map(|i| match r.members[i].place {
                    Place::Ray {
                        from: f2,
                        bearing_deg: b2,
                        min_m: lo2,
                        max_m: hi2,
                    } if r.observer(i) != observer => {
                        let (at, da, db) = geo::cross_bearings(from, bearing_deg, f2, b2)?;
                        let tol = |d: f64| p.slack_m + d * p.bearing_tolerance_deg.to_radians();
                        let inside =
                            |d: f64, lo: f64, hi: f64| d >= lo - tol(d) && d <= hi + tol(d);
                        (inside(da, min_m, max_m) && inside(db, lo2, hi2)).then(|| {
                            (
                                0.5,
                                "crossing",
                                Detail::Crossing(Box::new(Crossing {
                                    bearing_deg,
                                    other: inc.observations[i].clone(),
                                    other_bearing_deg: b2,
                                    range_m: da,
                                    other_range_m: db,
                                    lat: at.lat,
                                    lon: at.lon,
                                })),
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
                        (turn <= p.bearing_tolerance_deg && min_m <= hi2 && lo2 <= max_m).then(
                            || {
                                (
                                    0.8,
                                    "on_bearing",
                                    Detail::SamePost(Box::new(SamePost {
                                        other: inc.observations[i].clone(),
                                        turn_deg: turn,
                                    })),
                                )
                            },
                        )
                    }
                    Place::Point { .. } => None,
                })
            }
        }
    }

    fn open(
        &mut self,
        kind: EventKind,
        members: Vec<Named>,
        rule: &'static str,
        detail: Detail,
    ) -> u64 {
        let id = self.incidents.len() as u64 + 1;
        let mut observations = Vec::with_capacity(members.len());
        let mut reasons = Vec::with_capacity(members.len());
        let mut kept = Vec::with_capacity(members.len());
        for (oid, m) in members {
            self.by_observation.insert(oid.clone(), id);
            reasons.push(Reason {
                observation: oid.clone(),
                rule,
                detail: detail.clone(),
            });
            observations.push(oid);
            kept.push(m);
        }
        let incident = Incident {
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
            observations,
            reasons,
            observers: Vec::new(),
        };
        self.incidents.push(Some(Box::new(Record {
            incident,
            members: kept,
        })));
        self.refresh(id, true);
        id
    }

    fn attach(&mut self, id: u64, observation: String, m: Member, reason: Reason) {
        self.by_observation.insert(observation.clone(), id);
        let Some(r) = self.record_mut(id) else {
            return;
        };
        let observer = m.observer.as_deref().unwrap_or(&observation);
        if let Err(at) = r
            .incident
            .observers
            .binary_search_by(|x| x.as_str().cmp(observer))
        {
            r.incident.observers.reserve_exact(1);
            r.incident.observers.insert(at, observer.to_owned());
        }
        // Incidents are many and small: keep their lists exactly as long as they are.
        r.incident.observations.reserve_exact(1);
        r.incident.observations.push(observation);
        r.incident.reasons.reserve_exact(1);
        r.incident.reasons.push(reason);
        r.members.reserve_exact(1);
        r.members.push(m);
        self.refresh(id, false);
    }

    /// Recomputes an incident from its members (its observers too, with `observers`) and
    /// re-files it in the grid.
    fn refresh(&mut self, id: u64, observers: bool) {
        let p = self.params;
        let Some(r) = self.record_mut(id) else {
            return;
        };
        let (location, radius, has_point) = place_of(&p, &r.members, r.incident.location);
        let inc = &mut r.incident;
        inc.location = location;
        inc.radius_m = radius;
        inc.from = r
            .members
            .iter()
            .map(|m| m.window.0)
            .min()
            .unwrap_or(inc.from);
        inc.to = r.members.iter().map(|m| m.window.1).max().unwrap_or(inc.to);
        inc.count = r
            .members
            .iter()
            .map(|m| m.count)
            .max_by_key(|c| (c.best, c.high))
            .unwrap_or(inc.count);
        inc.against_coalition = r.members.iter().any(|m| m.against_coalition);
        if observers {
            let mut list: Vec<String> = (0..r.members.len())
                .map(|i| r.observer(i).to_owned())
                .collect();
            list.sort();
            list.dedup();
            list.shrink_to_fit();
            r.incident.observers = list;
        }
        let (kind, s) = (r.incident.kind, summary(&r.incident, has_point));
        self.grid.put(kind, s);
    }

    fn remove(&mut self, id: u64) -> Option<Record> {
        let r = self.incidents.get_mut(slot(id)?)?.take()?;
        self.grid.remove(id);
        Some(*r)
    }

    /// Would [`Correlator::split`] succeed?
    pub fn check_split(
        &self,
        incident: u64,
        observations: &[String],
    ) -> Result<(), CorrelateError> {
        let inc = self
            .incident(incident)
            .ok_or(CorrelateError::NoIncident(incident))?;
        for o in observations {
            if !inc.observations.contains(o) {
                return Err(CorrelateError::NotInIncident(o.clone(), incident));
            }
        }
        if observations.is_empty() || inc.observations.iter().all(|m| observations.contains(m)) {
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
        let r = self
            .record_mut(incident)
            .ok_or(CorrelateError::NoIncident(incident))?;
        let kind = r.incident.kind;
        let ids = std::mem::take(&mut r.incident.observations);
        let members = std::mem::take(&mut r.members);
        let (moved, kept): (Vec<Named>, Vec<Named>) = ids
            .into_iter()
            .zip(members)
            .partition(|(id, _)| observations.contains(id));
        (r.incident.observations, r.members) = kept.into_iter().unzip();
        r.incident
            .reasons
            .retain(|x| !observations.contains(&x.observation));
        self.refresh(incident, true);
        Ok(self.open(
            kind,
            moved,
            "split",
            Detail::Split {
                from: incident,
                why: why.to_owned(),
            },
        ))
    }

    /// Merges incident `b` into `a`; returns `a`.
    pub fn merge(&mut self, a: u64, b: u64, why: &str) -> Result<u64, CorrelateError> {
        self.check_merge(a, b)?;
        if a == b {
            return Ok(a);
        }
        let moved = self.remove(b).ok_or(CorrelateError::NoIncident(b))?;
        for id in &moved.incident.observations {
            self.by_observation.insert(id.clone(), a);
        }
        let r = self.record_mut(a).ok_or(CorrelateError::NoIncident(a))?;
        for (id, m) in moved.incident.observations.into_iter().zip(moved.members) {
            r.incident.reasons.push(Reason {
                observation: id.clone(),
                rule: "merged",
                detail: Detail::Merged {
                    from: b,
                    why: why.to_owned(),
                },
            });
            r.incident.observations.push(id);
            r.members.push(m);
        }
        self.refresh(a, true);
        Ok(a)
    }
}

/// What the grid keeps of an incident.
fn summary(inc: &Incident, has_point: bool) -> Summary {
    Summary {
        id: inc.id,
        from: inc.from,
        to: inc.to,
        location: inc.location,
        radius_m: inc.radius_m,
        has_point,
    }
}

/// A point near an incident located by points: within the two radii combined and the slack,
/// and never further than `max_join_m`. The radii are combined as independent errors are
/// (the root of the sum of their squares), as the incident's own radius is.
fn near(p: &Params, at: LatLon, radius_m: f64, s: &Summary) -> Option<Agreement> {
    let d = geo::distance_m(at, s.location);
    let reach = radius_m.hypot(s.radius_m) + p.slack_m;
    (d <= reach && d <= p.max_join_m).then_some((
        d / reach.max(1.0),
        "near",
        Detail::Near {
            distance_m: d,
            radius_m,
            incident_radius_m: s.radius_m,
            slack_m: p.slack_m,
        },
    ))
}

/// Where the members put the incident, how far off that may be, and whether a point (not
/// only bearings) locates it: the inverse-variance mean of the points; failing that, the mean
/// of the bearings' crossings; failing that, the first member's place.
fn place_of(p: &Params, members: &[Member], fallback: LatLon) -> (LatLon, f64, bool) {
    let points = || {
        members.iter().filter_map(|m| match m.place {
            Place::Point { at, radius_m } => Some((at, radius_m.max(1.0))),
            Place::Ray { .. } => None,
        })
    };
    if let Some((origin, _)) = points().next() {
        let (mut sx, mut sy, mut sw) = (0.0, 0.0, 0.0);
        for (at, r) in points() {
            let w = 1.0 / (r * r);
            let (x, y) = geo::local_xy(origin, at);
            sx += w * x;
            sy += w * y;
            sw += w;
        }
        return (
            geo::from_local_xy(origin, sx / sw, sy / sw),
            (1.0 / sw).sqrt(),
            true,
        );
    }
    let mut crossings = Vec::new();
    for (i, a) in members.iter().enumerate() {
        for b in &members[i + 1..] {
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
                false,
            )
        }
        None => members.first().map_or((fallback, 0.0, false), |m| {
            (m.place.centre(), m.place.radius_m(), false)
        }),
    }
}
