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

mod batch;
mod detail;
mod grid;
mod numbered;
#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::hash::BuildHasher;

use jiff::Timestamp;
use serde::Serialize;

use domain::access::Releasability;

use crate::geo::{self, LatLon};
use crate::model::{Count, EventKind, Observation, Place};

pub use batch::{correlate_batch, Assigned};
pub use detail::{Crossing, Detail, OffBearing, SamePost};
use grid::{Grid, Summary};
use numbered::Numbered;

/// A time as the correlator keeps it: milliseconds since the Unix epoch. Window starts are
/// rounded down and ends up, so a window is never narrowed; every time jiff can hold fits.
type Millis = i64;

fn millis_down(t: Timestamp) -> Millis {
    // The fraction has the sign of the time: rounding it down rounds the time down.
    t.as_second() * 1000 + i64::from(t.subsec_nanosecond()).div_euclid(1_000_000)
}

fn millis_up(t: Timestamp) -> Millis {
    t.as_second() * 1000 - i64::from(-t.subsec_nanosecond()).div_euclid(1_000_000)
}

fn timestamp(ms: Millis) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
        Timestamp::MIN
    } else {
        Timestamp::MAX
    })
}

/// An observation's window widened by its precision ([`Observation::window`]), in
/// milliseconds.
fn window_of(o: &Observation) -> (Millis, Millis) {
    // Most windows are given to the minute or better: nothing to widen, and no need of the
    // timestamps' own (range-checked) arithmetic.
    if o.time_precision_min == 0 {
        return (millis_down(o.observed_from), millis_up(o.observed_to));
    }
    let (from, to) = o.window();
    (millis_down(from), millis_up(to))
}

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
    /// The strictest releasability of its observations: it may be shown only to those who may
    /// see every observation it rests on. (Not serialized: the server shows it beside.)
    #[serde(skip)]
    pub releasability: Releasability,
    pub observations: Vec<String>,
    pub reasons: Vec<Reason>,
    /// Observers (ids, or the observation id when none was given) that saw it.
    pub observers: Vec<String>,
}

/// An incident without its lists (observations, reasons, observers): enough to choose incidents
/// before writing them out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Head {
    pub id: u64,
    pub kind: EventKind,
    pub from: Timestamp,
    pub to: Timestamp,
    pub location: LatLon,
    pub radius_m: f64,
    pub against_coalition: bool,
    /// As [`Incident::releasability`].
    pub releasability: Releasability,
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

/// Who saw a member: a named observer (its number in [`Correlator::observer_names`]) or, when
/// the observation named none, the member itself (by position): two sightings by one observer
/// are not independent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seer {
    Named(u32),
    Itself(u32),
}

/// "No member": the end of an incident's list of members.
const NONE: u32 = u32::MAX;

/// What the correlator keeps of an observation (its id is in [`Ids`] at the same position).
#[derive(Debug, Clone)]
struct Member {
    kind: EventKind,
    place: Place,
    window: (Millis, Millis),
    count: Count,
    against_coalition: bool,
    releasability: Releasability,
    /// The observer's id (as a number, see [`Correlator::observer_names`]) when one was given;
    /// otherwise the observation itself stands for it ([`Seer::Itself`]).
    observer: Option<u32>,
    /// The incident it is in (its slot), and the next member of that incident.
    incident: u32,
    next: u32,
}

/// The reason of a member not kept: the correlator of a batch says only where each row went.
static OPENED: Detail = Detail::Opened;

/// A weighted mean of places, summed in metres about the first place added.
#[derive(Debug, Clone, Copy)]
struct LocalMean {
    origin: geo::Local,
    sx: f64,
    sy: f64,
    sw: f64,
}

impl LocalMean {
    fn new(origin: LatLon) -> Self {
        Self {
            origin: geo::Local::new(origin),
            sx: 0.0,
            sy: 0.0,
            sw: 0.0,
        }
    }

    fn add(&mut self, at: LatLon, w: f64) {
        let (x, y) = self.origin.xy(at);
        self.sx += w * x;
        self.sy += w * y;
        self.sw += w;
    }

    fn mean(&self) -> LatLon {
        self.origin.at(self.sx / self.sw, self.sy / self.sw)
    }
}

/// Where an incident's bearings cross each other (their mean), and the longest range from a
/// post to any of them. A bearing that joins adds its crossings with the bearings before it,
/// so locating an incident of many bearings stays cheap.
#[derive(Debug, Clone, Copy)]
struct Crossings {
    mean: LocalMean,
    range_m: f64,
}

impl Crossings {
    /// Adds the crossings of a bearing from `from` on `bearing_deg` with `earlier` bearings
    /// (post, bearing), in order.
    fn add(
        sums: &mut Option<Box<Self>>,
        earlier: impl Iterator<Item = (LatLon, f64)>,
        (from, bearing_deg): (LatLon, f64),
    ) {
        for (f, b) in earlier {
            if let Some((at, da, db)) = geo::cross_bearings(f, b, from, bearing_deg) {
                let s = sums.get_or_insert_with(|| {
                    Box::new(Crossings {
                        mean: LocalMean::new(at),
                        range_m: 0.0,
                    })
                });
                s.mean.add(at, 1.0);
                s.range_m = s.range_m.max(da.max(db));
            }
        }
    }

    /// The mean crossing, and how far off it may be: the slack plus the bearing tolerance at
    /// the longest range.
    fn place(&self, p: &Params) -> (LatLon, f64) {
        (
            self.mean.mean(),
            p.slack_m + self.range_m * p.bearing_tolerance_deg.to_radians(),
        )
    }
}

/// An incident as the correlator keeps it: its members, as a list through [`Member::next`],
/// and what they add up to.
#[derive(Debug, Clone)]
struct Record {
    slot: u32,
    kind: EventKind,
    /// False once merged into another incident.
    alive: bool,
    head: u32,
    tail: u32,
    len: u32,
    from: Millis,
    to: Millis,
    location: LatLon,
    radius_m: f64,
    /// Located by at least one point (not by bearings alone).
    has_point: bool,
    /// Inverse-variance mean of its point members.
    points: Option<LocalMean>,
    /// Where its bearings cross each other, kept up as bearings join (boxed: most incidents
    /// have none).
    crossings: Option<Box<Crossings>>,
    count: Count,
    against_coalition: bool,
    /// The strictest of its members'.
    releasability: Releasability,
}

impl Record {
    fn id(&self) -> u64 {
        u64::from(self.slot) + 1
    }

    fn head(&self) -> Head {
        Head {
            id: self.id(),
            kind: self.kind,
            from: timestamp(self.from),
            to: timestamp(self.to),
            location: self.location,
            radius_m: self.radius_m,
            against_coalition: self.against_coalition,
            releasability: self.releasability,
        }
    }

    /// What the index keeps of it; `gap` is how far apart windows still join.
    fn summary(&self, gap: Millis) -> Summary {
        Summary {
            slot: self.slot,
            has_point: self.has_point,
            from: self.from,
            to: self.to,
            until: self.to.saturating_add(gap),
            location: self.location,
            radius_m: self.radius_m,
        }
    }

    fn empty(slot: u32, kind: EventKind) -> Self {
        Self {
            slot,
            kind,
            alive: true,
            head: NONE,
            tail: NONE,
            len: 0,
            from: Millis::MAX,
            to: Millis::MIN,
            location: LatLon { lat: 0.0, lon: 0.0 },
            radius_m: 0.0,
            has_point: false,
            points: None,
            crossings: None,
            count: Count {
                low: 0,
                best: 0,
                high: 0,
            },
            against_coalition: false,
            releasability: Releasability::Public,
        }
    }

    /// Takes a new last member into the times, count, flag and point sums (the place is
    /// worked out after, by [`Correlator::locate`]). A later count as large as the largest
    /// replaces it.
    fn absorb(&mut self, m: &Member) {
        self.from = self.from.min(m.window.0);
        self.to = self.to.max(m.window.1);
        if (m.count.best, m.count.high) >= (self.count.best, self.count.high) {
            self.count = m.count;
        }
        self.against_coalition |= m.against_coalition;
        self.releasability = self.releasability.max(m.releasability);
        if let Place::Point { at, radius_m } = m.place {
            let r = radius_m.max(1.0);
            self.points
                .get_or_insert_with(|| LocalMean::new(at))
                .add(at, 1.0 / (r * r));
        }
    }
}

/// Observation ids, end to end in one string, with a hash index to their positions.
#[derive(Default)]
struct Ids {
    text: String,
    ends: Vec<usize>,
    index: hashbrown::HashTable<u32>,
    hasher: hashbrown::DefaultHashBuilder,
}

fn id_at<'a>(text: &'a str, ends: &[usize], i: u32) -> &'a str {
    let i = i as usize;
    let start = match i.checked_sub(1) {
        Some(before) => ends.get(before).copied().unwrap_or(0),
        None => 0,
    };
    let end = ends.get(i).copied().unwrap_or(start);
    text.get(start..end).unwrap_or("")
}

impl Ids {
    fn get(&self, i: u32) -> &str {
        id_at(&self.text, &self.ends, i)
    }

    fn find(&self, id: &str) -> Option<u32> {
        let hash = self.hasher.hash_one(id);
        self.index.find(hash, |&i| self.get(i) == id).copied()
    }

    fn reserve(&mut self, n: usize) {
        self.ends.reserve(n);
        // Ids seen so far give the length to expect of the rest.
        let each = self.text.len().checked_div(self.ends.len()).unwrap_or(8);
        self.text.reserve(n.saturating_mul(each));
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.index
            .reserve(n, |&j| hasher.hash_one(id_at(text, ends, j)));
    }

    /// Adds an id not yet known, at the next position.
    fn push(&mut self, id: &str) {
        let i = self.ends.len() as u32;
        self.text.push_str(id);
        self.ends.push(self.text.len());
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.index.insert_unique(hasher.hash_one(id), i, |&j| {
            hasher.hash_one(id_at(text, ends, j))
        });
    }
}

type Hasher = hashbrown::DefaultHashBuilder;

pub struct Correlator {
    params: Params,
    /// How far apart windows still join ([`Params::max_gap_min`]).
    gap: Millis,
    ids: Ids,
    /// False when ids are not kept (a batch's correlator, which says only where each row
    /// went): [`Correlator::ids`] is then empty.
    keep_ids: bool,
    /// One per observation, at the position of its id (in order of time, only those of
    /// incidents still held).
    members: Numbered<Member>,
    /// Why each member is in its incident, by position (the rule is the kind of detail);
    /// empty unless `explain`.
    details: Vec<Detail>,
    explain: bool,
    /// Incidents by slot (`id - 1`; ids are handed out in order), merged ones included.
    records: Numbered<Record>,
    live: usize,
    /// Observer ids given with observations, each once.
    observer_names: Vec<String>,
    observer_index: HashMap<String, u32, Hasher>,
    /// Each incident's summary, filed by kind, place and time.
    grid: Grid,
    /// Tests only: look through every incident instead of the index.
    #[cfg(test)]
    scan_all: bool,
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

/// A candidate join: its score (lower is closer) and why (the rule and the numbers behind it).
type Agreement = (f64, Detail);

/// The slot of incident `id`.
fn slot(id: u64) -> Option<usize> {
    usize::try_from(id.checked_sub(1)?).ok()
}

impl Correlator {
    pub fn new(params: Params) -> Self {
        Self {
            params,
            gap: i64::from(params.max_gap_min) * 60_000,
            ids: Ids::default(),
            keep_ids: true,
            members: Numbered::default(),
            details: Vec::new(),
            explain: true,
            records: Numbered::default(),
            live: 0,
            observer_names: Vec::new(),
            observer_index: HashMap::default(),
            grid: Grid::new(params.max_join_m),
            #[cfg(test)]
            scan_all: false,
        }
    }

    /// A correlator for observations that come in order of the start of their windows: its
    /// index forgets what no later observation can reach (see `Grid::sweeping`).
    /// It keeps no reasons and no ids: it serves a batch, which says only which incident each
    /// row is in.
    fn in_order_of_time(params: Params) -> Self {
        Self {
            grid: Grid::sweeping(params.max_join_m),
            explain: false,
            keep_ids: false,
            ..Self::new(params)
        }
    }

    /// Why member `i` is in its incident (`Opened` when reasons are not kept).
    fn detail(&self, i: u32) -> &Detail {
        self.details.get(i as usize).unwrap_or(&OPENED)
    }

    fn set_detail(&mut self, i: u32, detail: Detail) {
        if let Some(d) = self.details.get_mut(i as usize) {
            *d = detail;
        }
    }

    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Every incident, in the order they were opened, each written out when reached.
    pub fn incidents(&self) -> impl Iterator<Item = Incident> + '_ {
        self.incidents_where(|_| true)
    }

    /// The incidents whose [`Head`] `keep` accepts, in the order they were opened; only those
    /// are written out.
    pub fn incidents_where<'a>(
        &'a self,
        keep: impl Fn(&Head) -> bool + 'a,
    ) -> impl Iterator<Item = Incident> + 'a {
        self.write_out_where(self.records.iter(), keep)
    }

    /// As [`Correlator::incidents_where`], the last opened first.
    pub fn incidents_newest_first<'a>(
        &'a self,
        keep: impl Fn(&Head) -> bool + 'a,
    ) -> impl Iterator<Item = Incident> + 'a {
        self.write_out_where(self.records.iter().rev(), keep)
    }

    /// Every incident's [`Head`], in the order they were opened: nothing is written out.
    pub fn heads(&self) -> impl Iterator<Item = Head> + '_ {
        self.records.iter().filter(|r| r.alive).map(Record::head)
    }

    fn write_out_where<'a>(
        &'a self,
        records: impl Iterator<Item = &'a Record> + 'a,
        keep: impl Fn(&Head) -> bool + 'a,
    ) -> impl Iterator<Item = Incident> + 'a {
        records
            .filter(move |r| r.alive && keep(&r.head()))
            .map(|r| self.write_out(r))
    }

    /// How many incidents there are.
    pub fn incident_count(&self) -> usize {
        self.live
    }

    pub fn incident(&self, id: u64) -> Option<Incident> {
        self.record(id).map(|r| self.write_out(r))
    }

    /// Where an observation is now and why, as [`Correlator::add`] reports it: `Opened` when
    /// it opened its incident, otherwise `Joined` with its reason (a monitor's split or merge
    /// included).
    pub fn outcome_of(&self, observation: &str) -> Option<Outcome> {
        self.outcome(self.ids.find(observation)?, observation)
    }

    /// The outcome of member `i`, whose id is `observation`.
    fn outcome(&self, i: u32, observation: &str) -> Option<Outcome> {
        let m = self.members.get(i as usize)?;
        let incident = u64::from(m.incident) + 1;
        let detail = self.detail(i);
        Some(if matches!(detail, Detail::Opened) {
            Outcome::Opened { incident }
        } else {
            Outcome::Joined {
                incident,
                reason: Reason {
                    observation: observation.to_owned(),
                    rule: detail.rule(),
                    detail: detail.clone(),
                },
            }
        })
    }

    pub fn incident_of(&self, observation: &str) -> Option<u64> {
        let i = self.ids.find(observation)?;
        self.members
            .get(i as usize)
            .map(|m| u64::from(m.incident) + 1)
    }

    fn record(&self, id: u64) -> Option<&Record> {
        self.records.get(slot(id)?).filter(|r| r.alive)
    }

    /// The members of `r` in order, with their positions.
    fn members_of(&self, r: &Record) -> impl Iterator<Item = (u32, &Member)> + '_ {
        self.members_from(r.head)
    }

    /// Member `head` and those after it in its incident's list.
    fn members_from(&self, head: u32) -> impl Iterator<Item = (u32, &Member)> + '_ {
        let mut at = head;
        std::iter::from_fn(move || {
            let i = at;
            let m = self.members.get(i as usize)?;
            at = m.next;
            Some((i, m))
        })
    }

    /// Who observed member `i`: its named observer, or, when none was given, itself.
    fn observer_of(&self, i: u32) -> Seer {
        match self.members.get(i as usize).and_then(|m| m.observer) {
            Some(o) => Seer::Named(o),
            None => Seer::Itself(i),
        }
    }

    /// The name of who observed member `i`: its observer id, or its own id.
    fn observer_name(&self, i: u32) -> &str {
        match self.observer_of(i) {
            Seer::Named(o) => self
                .observer_names
                .get(o as usize)
                .map_or("", String::as_str),
            Seer::Itself(i) => self.ids.get(i),
        }
    }

    fn write_out(&self, r: &Record) -> Incident {
        let n = r.len as usize;
        let mut observations = Vec::with_capacity(n);
        let mut reasons = Vec::with_capacity(n);
        let mut observers = Vec::with_capacity(n);
        for (i, _) in self.members_of(r) {
            let id = self.ids.get(i).to_owned();
            let detail = self.detail(i);
            reasons.push(Reason {
                observation: id.clone(),
                rule: detail.rule(),
                detail: detail.clone(),
            });
            observations.push(id);
            observers.push(self.observer_name(i).to_owned());
        }
        observers.sort();
        observers.dedup();
        Incident {
            id: r.id(),
            kind: r.kind,
            from: timestamp(r.from),
            to: timestamp(r.to),
            location: r.location,
            radius_m: r.radius_m,
            count: r.count,
            against_coalition: r.against_coalition,
            releasability: r.releasability,
            observations,
            reasons,
            observers,
        }
    }

    /// Adds an observation whose place [`Observation::check`] worked out.
    pub fn add(&mut self, o: &Observation, place: Place) -> Outcome {
        let i = match self.insert(o, place) {
            Ok(i) => i,
            Err(incident) => return Outcome::AlreadyKnown { incident },
        };
        self.outcome(i, &o.id)
            .unwrap_or(Outcome::AlreadyKnown { incident: 0 })
    }

    /// Adds observations in order, as [`Correlator::add`] would one by one, without
    /// reporting what became of each.
    pub fn extend<'a>(&mut self, batch: impl IntoIterator<Item = (&'a Observation, Place)>) {
        let batch = batch.into_iter();
        self.reserve(batch.size_hint().0);
        for (o, place) in batch {
            // Ids sent before change nothing, as with `add`.
            let _ = self.insert(o, place);
        }
    }

    /// Makes room for `n` more observations at once, rather than growing as they come.
    fn reserve(&mut self, n: usize) {
        self.members.reserve(n);
        if self.explain {
            self.details.reserve(n);
        }
        if self.keep_ids {
            self.ids.reserve(n);
        }
        // Untouched room costs no memory, only address space; at most one incident each.
        self.records.reserve(n);
    }

    /// Adds the observation; its position, or the incident it is already in.
    fn insert(&mut self, o: &Observation, place: Place) -> Result<u32, u64> {
        if let Some(i) = self.ids.find(&o.id) {
            return Err(self
                .members
                .get(i as usize)
                .map_or(0, |m| u64::from(m.incident) + 1));
        }
        let i = self.push_member(o, place, window_of(o));
        self.correlate_member(i);
        Ok(i)
    }

    /// Keeps what correlation needs of an observation whose id is not yet known, in no
    /// incident yet, seen in `window` (its [`window_of`]); returns its position.
    fn push_member(&mut self, o: &Observation, place: Place, window: (Millis, Millis)) -> u32 {
        self.push_row(o, place, window, o.observer_id.is_some())
    }

    /// [`Correlator::push_member`] when whether `o` names its observer is known already
    /// (`named`): a row that does not is not read for it (a batch notes it in its first pass).
    fn push_row(
        &mut self,
        o: &Observation,
        place: Place,
        window: (Millis, Millis),
        named: bool,
    ) -> u32 {
        let observer = if named {
            o.observer_id.as_deref().map(|name| self.observer(name))
        } else {
            None
        };
        if self.keep_ids {
            self.ids.push(&o.id);
        }
        let i = self.members.len() as u32;
        self.members.push(Member {
            kind: o.kind,
            place,
            window,
            count: o.count,
            against_coalition: o.against_coalition,
            releasability: o.releasability,
            observer,
            incident: NONE,
            next: NONE,
        });
        if self.explain {
            self.details.push(Detail::Opened);
        }
        i
    }

    /// Puts member `i`, pushed and in no incident yet, in the closest incident it may join, or
    /// opens one.
    fn correlate_member(&mut self, i: u32) {
        let Some(m) = self.members.get(i as usize) else {
            return;
        };
        let (kind, place, window) = (m.kind, m.place, m.window);
        match self.best_match(kind, place, window, self.observer_of(i)) {
            Some((slot, detail)) => self.attach(slot, i, detail),
            None => {
                self.open(kind, &[i], &Detail::Opened);
            }
        }
    }

    /// The number standing for an observer id.
    fn observer(&mut self, name: &str) -> u32 {
        if let Some(&n) = self.observer_index.get(name) {
            return n;
        }
        let n = self.observer_names.len() as u32;
        self.observer_names.push(name.to_owned());
        self.observer_index.insert(name.to_owned(), n);
        n
    }

    /// The closest incident an observation may join (ties go to the older incident), with why.
    fn best_match(
        &self,
        kind: EventKind,
        place: Place,
        window: (Millis, Millis),
        observer: Seer,
    ) -> Option<(u32, Detail)> {
        // A window longer than an incident may span joins nothing: no lookup at all.
        if too_long(&self.params, window.0, window.1) {
            return None;
        }
        let until = window.1.saturating_add(self.gap);
        let centre = place.centre();
        let mut best: Option<(u32, Agreement)> = None;
        let mut consider = |s: &Summary| {
            if let Some(a) = self.candidate(s, place, centre, (window.0, window.1, until), observer)
            {
                if best
                    .as_ref()
                    .is_none_or(|(slot, b)| a.0 < b.0 || (a.0 == b.0 && s.slot < *slot))
                {
                    best = Some((s.slot, a));
                }
            }
        };
        #[cfg(test)]
        if self.scan_all {
            for r in self.records.iter().filter(|r| r.alive && r.kind == kind) {
                consider(&r.summary(self.gap));
            }
            return best.map(|(slot, (_, detail))| (slot, detail));
        }
        let fine = match place {
            Place::Point { radius_m, .. } => self.grid.fine_reach(radius_m, self.params.slack_m),
            Place::Ray { .. } => self.params.max_join_m,
        };
        self.grid
            .around(kind, centre, fine, (window.0, until), &mut consider);
        best.map(|(slot, (_, detail))| (slot, detail))
    }

    /// Does the incident `s` summarises take an observation at `place` (its centre worked out)
    /// seen in `(from, to, to plus the gap)`? How well, and why.
    fn candidate(
        &self,
        s: &Summary,
        place: Place,
        centre: LatLon,
        (from, to, until): (Millis, Millis, Millis),
        observer: Seer,
    ) -> Option<Agreement> {
        let p = &self.params;
        // The windows overlap, allowing the gap.
        if s.from > until || from > s.until {
            return None;
        }
        if too_long(p, s.from.min(from), s.to.max(to)) {
            return None;
        }
        match place {
            // The common case, worked out from the summary alone.
            Place::Point { at, radius_m } if s.has_point => {
                near(p, at, radius_m, s.location, s.radius_m)
            }
            _ if geo::distance_m(centre, s.location) > p.max_join_m => None,
            _ => self
                .records
                .get(s.slot as usize)
                .and_then(|r| self.agree(r, place, observer)),
        }
    }

    /// Does an observation at `place` agree with an incident located by bearings, or is it a
    /// bearing? (Points near a located incident are [`near`].)
    fn agree(&self, r: &Record, place: Place, observer: Seer) -> Option<Agreement> {
        let p = &self.params;
        match place {
            Place::Point { at, radius_m } if r.has_point => {
                near(p, at, radius_m, r.location, r.radius_m)
            }
            Place::Point { at, radius_m } => {
                // The incident is located by bearings only: the point must lie on one of them.
                self.members_of(r).find_map(|(i, x)| match x.place {
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
                                Detail::OffBearing(Box::new(OffBearing {
                                    off_m: off,
                                    bearing_deg,
                                    reported_by: self.ids.get(i).to_owned(),
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
                if r.has_point {
                    let (off, along) = off_ray(r.location, from, bearing_deg, min_m, max_m);
                    let reach =
                        r.radius_m + p.slack_m + along.abs() * p.bearing_tolerance_deg.to_radians();
                    return (off <= reach).then_some((
                        off / reach.max(1.0),
                        Detail::OnBearing {
                            bearing_deg,
                            off_m: off,
                            along_m: along,
                            reach_m: reach,
                        },
                    ));
                }
                // Rays only: look for a crossing inside both bands.
                self.members_of(r).find_map(|(i, x)| match x.place {
                    Place::Ray {
                        from: f2,
                        bearing_deg: b2,
                        min_m: lo2,
                        max_m: hi2,
                    } if self.observer_of(i) != observer => {
                        let (at, da, db) = geo::cross_bearings(from, bearing_deg, f2, b2)?;
                        let tol = |d: f64| p.slack_m + d * p.bearing_tolerance_deg.to_radians();
                        let inside =
                            |d: f64, lo: f64, hi: f64| d >= lo - tol(d) && d <= hi + tol(d);
                        (inside(da, min_m, max_m) && inside(db, lo2, hi2)).then(|| {
                            (
                                0.5,
                                Detail::Crossing(Box::new(Crossing {
                                    bearing_deg,
                                    other: self.ids.get(i).to_owned(),
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
                                    Detail::SamePost(Box::new(SamePost {
                                        other: self.ids.get(i).to_owned(),
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

    /// Opens an incident with `members` (in order), each there for the same reason.
    fn open(&mut self, kind: EventKind, members: &[u32], detail: &Detail) -> u64 {
        let slot = self.records.len() as u32;
        for &i in members {
            self.set_detail(i, detail.clone());
        }
        let (head, tail, len) = self.link(slot, members);
        let r = self.summed(slot, kind, (head, tail, len));
        self.records.push(r);
        self.live += 1;
        self.locate(slot);
        u64::from(slot) + 1
    }

    /// Makes `members` (in order) the whole list of incident `slot`.
    fn relink(&mut self, slot: u32, members: &[u32]) {
        let list = self.link(slot, members);
        if let Some(r) = self.records.get_mut(slot as usize) {
            (r.head, r.tail, r.len) = list;
        }
    }

    /// Chains `members` (in order) as incident `slot`'s; the list's head, tail and length.
    fn link(&mut self, slot: u32, members: &[u32]) -> (u32, u32, u32) {
        for (k, &i) in members.iter().enumerate() {
            let next = members.get(k + 1).copied().unwrap_or(NONE);
            if let Some(m) = self.members.get_mut(i as usize) {
                m.incident = slot;
                m.next = next;
            }
        }
        (
            members.first().copied().unwrap_or(NONE),
            members.last().copied().unwrap_or(NONE),
            members.len() as u32,
        )
    }

    fn attach(&mut self, slot: u32, i: u32, detail: Detail) {
        let Some(m) = self.members.get_mut(i as usize) else {
            return;
        };
        m.incident = slot;
        m.next = NONE;
        self.set_detail(i, detail);
        let Some(r) = self.records.get_mut(slot as usize) else {
            return;
        };
        let tail = std::mem::replace(&mut r.tail, i);
        r.len += 1;
        if tail == NONE {
            r.head = i;
        } else if let Some(t) = self.members.get_mut(tail as usize) {
            t.next = i;
        }
        if let (Some(r), Some(m)) = (
            self.records.get_mut(slot as usize),
            self.members.get(i as usize),
        ) {
            r.absorb(m);
        }
        if let Some(ray) = self.members.get(i as usize).and_then(|m| ray_of(&m.place)) {
            // Its crossings with the bearings before it.
            let earlier: Vec<(LatLon, f64)> =
                self.records.get(slot as usize).map_or_else(Vec::new, |r| {
                    self.members_of(r)
                        .take_while(|&(j, _)| j != i)
                        .filter_map(|(_, m)| ray_of(&m.place))
                        .collect()
                });
            if let Some(r) = self.records.get_mut(slot as usize) {
                Crossings::add(&mut r.crossings, earlier.into_iter(), ray);
            }
        }
        self.locate(slot);
    }

    /// Works an incident out afresh from its members.
    fn recompute(&mut self, slot: u32) {
        let Some(r) = self.records.get(slot as usize) else {
            return;
        };
        let fresh = self.summed(slot, r.kind, (r.head, r.tail, r.len));
        if let Some(r) = self.records.get_mut(slot as usize) {
            *r = fresh;
        }
        self.locate(slot);
    }

    /// Incident `slot` as its listed members (head, tail, length) add up: times, count, flags,
    /// point sums and crossings (its place is set after, by [`Correlator::locate`]).
    fn summed(&self, slot: u32, kind: EventKind, (head, tail, len): (u32, u32, u32)) -> Record {
        let mut r = Record::empty(slot, kind);
        (r.head, r.tail, r.len) = (head, tail, len);
        let mut rays: Vec<(LatLon, f64)> = Vec::new();
        for (_, m) in self.members_from(head) {
            r.absorb(m);
            if let Some(ray) = ray_of(&m.place) {
                Crossings::add(&mut r.crossings, rays.iter().copied(), ray);
                rays.push(ray);
            }
        }
        r
    }

    /// Sets where the incident is (from its point sums, or else its bearings) and files it.
    fn locate(&mut self, slot: u32) {
        let Some(r) = self.records.get(slot as usize) else {
            return;
        };
        let (location, radius_m, has_point) = match (&r.points, &r.crossings) {
            (Some(points), _) => (points.mean(), (1.0 / points.sw).sqrt(), true),
            (None, Some(crossings)) => {
                let (at, radius) = crossings.place(&self.params);
                (at, radius, false)
            }
            // Bearings that cross nowhere: the first observation's place stands for it.
            (None, None) => self
                .members
                .get(r.head as usize)
                .map_or((LatLon { lat: 0.0, lon: 0.0 }, 0.0, false), |m| {
                    (m.place.centre(), m.place.radius_m(), false)
                }),
        };
        let Some(r) = self.records.get_mut(slot as usize) else {
            return;
        };
        (r.location, r.radius_m, r.has_point) = (location, radius_m, has_point);
        // An incident already longer than the span cap can take no one more, so it is not
        // filed: a window of years would otherwise fill thousands of time buckets.
        if too_long(&self.params, r.from, r.to) {
            self.grid.remove(slot);
        } else {
            self.grid.put(r.kind, r.summary(self.gap));
        }
    }

    /// The positions of `observations` in incident `id`, once each, in no set order.
    fn listed(
        &self,
        id: u64,
        observations: &[String],
    ) -> Result<(&Record, Vec<u32>), CorrelateError> {
        let r = self.record(id).ok_or(CorrelateError::NoIncident(id))?;
        let mut listed = Vec::with_capacity(observations.len());
        for o in observations {
            match self.ids.find(o) {
                Some(i)
                    if self
                        .members
                        .get(i as usize)
                        .is_some_and(|m| m.incident == r.slot) =>
                {
                    listed.push(i);
                }
                _ => return Err(CorrelateError::NotInIncident(o.clone(), id)),
            }
        }
        listed.sort_unstable();
        listed.dedup();
        Ok((r, listed))
    }

    /// Would [`Correlator::split`] succeed?
    pub fn check_split(
        &self,
        incident: u64,
        observations: &[String],
    ) -> Result<(), CorrelateError> {
        self.to_split(incident, observations).map(|_| ())
    }

    /// The incident and the positions [`Correlator::split`] would move, if it may.
    fn to_split(
        &self,
        incident: u64,
        observations: &[String],
    ) -> Result<(&Record, Vec<u32>), CorrelateError> {
        let (r, listed) = self.listed(incident, observations)?;
        if listed.is_empty() || listed.len() == r.len as usize {
            return Err(CorrelateError::WouldEmpty(incident));
        }
        Ok((r, listed))
    }

    /// Would [`Correlator::merge`] succeed?
    pub fn check_merge(&self, a: u64, b: u64) -> Result<(), CorrelateError> {
        let kind_a = self.record(a).ok_or(CorrelateError::NoIncident(a))?.kind;
        let kind_b = self.record(b).ok_or(CorrelateError::NoIncident(b))?.kind;
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
        let (r, listed) = self.to_split(incident, observations)?;
        let (slot, kind) = (r.slot, r.kind);
        let (moved, kept): (Vec<u32>, Vec<u32>) = self
            .members_of(r)
            .map(|(i, _)| i)
            .partition(|i| listed.binary_search(i).is_ok());
        self.relink(slot, &kept);
        self.recompute(slot);
        Ok(self.open(
            kind,
            &moved,
            &Detail::Split {
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
        let (Some(ra), Some(rb)) = (self.record(a), self.record(b)) else {
            return Err(CorrelateError::NoIncident(b));
        };
        let (sa, sb) = (ra.slot, rb.slot);
        let list: Vec<u32> = self
            .members_of(ra)
            .chain(self.members_of(rb))
            .map(|(i, _)| i)
            .collect();
        let moved: Vec<u32> = self.members_of(rb).map(|(i, _)| i).collect();
        let detail = Detail::Merged {
            from: b,
            why: why.to_owned(),
        };
        for i in moved {
            self.set_detail(i, detail.clone());
        }
        if let Some(rb) = self.records.get_mut(sb as usize) {
            rb.alive = false;
            (rb.head, rb.tail, rb.len) = (NONE, NONE, 0);
        }
        self.live = self.live.saturating_sub(1);
        self.grid.remove(sb);
        self.relink(sa, &list);
        self.recompute(sa);
        Ok(a)
    }
}

/// Whether times `from` to `to` span more than an incident may ([`Params::max_span_min`]).
fn too_long(p: &Params, from: Millis, to: Millis) -> bool {
    to.saturating_sub(from) > i64::from(p.max_span_min) * 60_000
}

/// A bearing's post and direction.
fn ray_of(place: &Place) -> Option<(LatLon, f64)> {
    match *place {
        Place::Ray {
            from, bearing_deg, ..
        } => Some((from, bearing_deg)),
        Place::Point { .. } => None,
    }
}

/// How far apart two places with these error radii may be and still agree (metres): the radii
/// combined as independent errors are (the root of the sum of their squares), as an
/// incident's own radius is, plus `slack_m`.
fn within(radius_m: f64, other_radius_m: f64, slack_m: f64) -> f64 {
    // Radii are metres, far from overflowing when squared.
    (radius_m * radius_m + other_radius_m * other_radius_m).sqrt() + slack_m
}

/// A point near an incident located by points: [`within`] their radii and the slack, and never
/// further than `max_join_m`.
fn near(
    p: &Params,
    at: LatLon,
    radius_m: f64,
    location: LatLon,
    incident_radius_m: f64,
) -> Option<Agreement> {
    let reach = within(radius_m, incident_radius_m, p.slack_m);
    // The distance is never less than the difference in latitude: when that alone is out of
    // reach (by more than a metre, for rounding), the full distance need not be worked out.
    let dlat_m = (at.lat - location.lat).abs().to_radians() * geo::EARTH_RADIUS_M;
    if dlat_m > reach.min(p.max_join_m) + 1.0 {
        return None;
    }
    let d = geo::short_distance_m(at, location);
    (d <= reach && d <= p.max_join_m).then_some((
        d / reach.max(1.0),
        Detail::Near {
            distance_m: d,
            radius_m,
            incident_radius_m,
            slack_m: p.slack_m,
        },
    ))
}
