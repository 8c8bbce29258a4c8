//! The correlator's index: incidents filed by kind, place and time, each with a small summary
//! (where, how far off, when, whether it has a located point), so a lookup reads contiguous
//! summaries and reaches an incident's full record only for the few that could match.
//!
//! Two levels. Incidents located by points with a small radius (most of them) are filed in
//! fine cells, and a point looks only as far as its own radius and the largest radius filed
//! there reach; the rest (located by bearings, or very uncertain) are filed in coarse cells of
//! the largest join distance, where every lookup of that kind also looks.
//!
//! Cells are in degrees: rows of latitude twice the level's reach high, columns about twice as
//! wide in longitude, so a cell is at most about `2 × reach` metres across. A lookup reads
//! every cell the box around its disc touches, so it finds every incident within the reach
//! wherever it lies; the caller checks the real distance. An incident is filed in each time
//! bucket from its start to its end plus the gap, and a lookup reads the buckets from the
//! observation's start to its end plus the gap: two windows within the gap share a bucket.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use crate::geo::{LatLon, EARTH_RADIUS_M};
use crate::model::EventKind;

use super::numbered::Numbered;
use super::Millis;

/// Milliseconds per time bucket: long enough that most windows sit in one, short enough that
/// a cell's list stays short.
const BUCKET_MS: i64 = 3600 * 1000;

/// Reach of the fine level (metres): its cells are about twice this across.
const FINE_REACH_M: f64 = 500.0;

/// Incidents located more loosely than this (metres) are filed in the coarse level.
const FINE_MAX_RADIUS_M: f64 = 1_000.0;

/// What a lookup needs to know of an incident without reading it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Summary {
    /// The incident's position in the correlator's list.
    pub slot: u32,
    /// Located by at least one point (not by bearings alone).
    pub has_point: bool,
    pub from: Millis,
    pub to: Millis,
    /// `to` plus the gap that still joins.
    pub until: Millis,
    pub location: LatLon,
    pub radius_m: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Fine,
    Coarse,
}

/// A cell of one level and kind in one bucket, packed in a word: the column, row and bucket
/// each keep their low bits (20, 20 and 18: every column, rows within 90° and buckets less than
/// about 30 years apart stay apart). Cells further out may share a key; a lookup then reads a
/// few incidents more, which the caller's own checks of distance and time turn away.
type Key = u64;

/// Buckets this far apart share a key.
const KEY_BUCKETS: i64 = 1 << 18;

fn key(level: Level, kind: EventKind, col: i64, row: i64, t: i64) -> Key {
    const LOW20: u64 = (1 << 20) - 1;
    const LOW18: u64 = (KEY_BUCKETS - 1) as u64;
    (col as u64 & LOW20)
        | ((row as u64 & LOW20) << 20)
        | ((t as u64 & LOW18) << 40)
        | ((kind as u64 & 0x1f) << 58)
        | (u64::from(level == Level::Coarse) << 63)
}

/// The incidents filed under one key: most hold one, kept in place rather than in a list of
/// its own.
#[derive(Debug)]
enum Cell {
    One(Summary),
    Many(Vec<Summary>),
}

impl Cell {
    fn as_slice(&self) -> &[Summary] {
        match self {
            Cell::One(s) => std::slice::from_ref(s),
            Cell::Many(v) => v,
        }
    }

    fn as_mut_slice(&mut self) -> &mut [Summary] {
        match self {
            Cell::One(s) => std::slice::from_mut(s),
            Cell::Many(v) => v,
        }
    }

    fn push(&mut self, s: Summary) {
        match self {
            Cell::One(first) => *self = Cell::Many(vec![*first, s]),
            Cell::Many(v) => v.push(s),
        }
    }

    /// The cell's key was filed for bucket `t`, now before the `floor`: drops its incidents,
    /// but for any also filed here for a bucket from the floor on (one [`KEY_BUCKETS`] later
    /// shares the key). True when nothing is left.
    fn retire(&mut self, t: i64, floor: i64) -> bool {
        let needed = |s: &Summary| {
            let (first, last) = (
                bucket(s.from).max(floor),
                bucket(s.until).max(bucket(s.from)),
            );
            // The first bucket from `first` on that shares `t`'s key.
            let periods = ((first - t).max(0) + KEY_BUCKETS - 1) / KEY_BUCKETS;
            let next = t + periods * KEY_BUCKETS;
            next <= last
        };
        match self {
            Cell::One(s) => !needed(s),
            Cell::Many(v) => {
                v.retain(needed);
                let empty = v.is_empty();
                if let [only] = v[..] {
                    *self = Cell::One(only);
                }
                empty
            }
        }
    }

    /// Removes incident `slot`; true when nothing is left.
    fn remove(&mut self, slot: u32) -> bool {
        match self {
            Cell::One(s) => s.slot == slot,
            Cell::Many(v) => {
                if let Some(i) = v.iter().position(|x| x.slot == slot) {
                    v.swap_remove(i);
                }
                let empty = v.is_empty();
                if let [only] = v[..] {
                    *self = Cell::One(only);
                }
                empty
            }
        }
    }
}

/// Where a summary is filed: one cell of one level, and a run of buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Filing {
    level: Level,
    kind: EventKind,
    cell: (i64, i64),
    buckets: (i64, i64),
}

/// The cell shape of one level.
#[derive(Debug, Clone, Copy)]
struct Cells {
    /// Rows and columns per degree: a place's cell is found by multiplying, not dividing.
    rows_per_deg: f64,
    cols_per_deg: f64,
    cols: i64,
}

impl Cells {
    fn new(reach_m: f64) -> Self {
        let row_deg = (2.0 * reach_m.max(100.0) / EARTH_RADIUS_M).to_degrees();
        // A whole number of columns round the globe, so the last one meets the first.
        let cols = (180.0 / row_deg).floor().max(1.0);
        Self {
            rows_per_deg: 1.0 / row_deg,
            cols_per_deg: cols / 360.0,
            cols: cols as i64,
        }
    }

    fn cell(&self, p: LatLon) -> (i64, i64) {
        (
            wrap(floor((p.lon + 180.0) * self.cols_per_deg), self.cols),
            floor(p.lat * self.rows_per_deg),
        )
    }
}

type Hasher = hashbrown::DefaultHashBuilder;

pub(super) struct Grid {
    fine: Cells,
    coarse: Cells,
    /// The largest reach any lookup needs (metres): the coarse level's.
    max_reach_m: f64,
    /// The secant (one over the cosine) of each whole degree of latitude, 0 to 90.
    sec_deg: [f64; 91],
    cells: HashMap<Key, Cell, Hasher>,
    /// Where each incident is filed, by slot (from the oldest not yet let go).
    filed: Numbered<Option<Filing>>,
    /// The largest radius ever filed in the fine level: how far beyond its own radius a point
    /// must look there.
    fine_radius_m: f64,
    /// How many incidents of each kind the coarse level holds (a point skips it when none).
    coarse_count: HashMap<EventKind, usize, Hasher>,
    /// Only when lookups come in order of time: see [`Grid::sweeping`].
    sweep: Option<Sweep>,
}

/// Buckets before `floor` are never read again; the keys filed in each later bucket, to drop
/// when the floor passes it.
struct Sweep {
    floor: i64,
    keys: std::collections::BTreeMap<i64, Vec<Key>>,
}

fn bucket(t: Millis) -> i64 {
    t.div_euclid(BUCKET_MS)
}

/// `x` rounded down, as an integer (saturating), without a call to the maths library.
fn floor(x: f64) -> i64 {
    let i = x as i64;
    i.saturating_sub(i64::from((i as f64) > x))
}

/// The column `col` is, round the globe (`0..cols`).
fn wrap(col: i64, cols: i64) -> i64 {
    if (0..cols).contains(&col) {
        col
    } else {
        col.rem_euclid(cols)
    }
}

impl Grid {
    /// A grid for lookups up to `max_reach_m` around a point.
    pub fn new(max_reach_m: f64) -> Self {
        Self {
            fine: Cells::new(FINE_REACH_M.min(max_reach_m)),
            coarse: Cells::new(max_reach_m),
            max_reach_m,
            sec_deg: std::array::from_fn(|d| 1.0 / (d as f64).to_radians().cos()),
            cells: HashMap::default(),
            filed: Numbered::default(),
            fine_radius_m: 0.0,
            coarse_count: HashMap::default(),
            sweep: None,
        }
    }

    /// A grid whose lookups come in order of time, never reaching back before the last
    /// [`Grid::retire_before`]: it keeps a note of the keys filed in each bucket, to drop them.
    pub fn sweeping(max_reach_m: f64) -> Self {
        Self {
            sweep: Some(Sweep {
                floor: i64::MIN,
                keys: Default::default(),
            }),
            ..Self::new(max_reach_m)
        }
    }

    /// No lookup reaches back before `t` any more: on a [`Grid::sweeping`] grid, cells of
    /// earlier buckets are dropped and nothing is filed there again. Other grids keep all.
    pub fn retire_before(&mut self, t: Millis) {
        let floor = bucket(t);
        let Some(sweep) = &mut self.sweep else {
            return;
        };
        if floor <= sweep.floor {
            return;
        }
        sweep.floor = floor;
        let kept = sweep.keys.split_off(&floor);
        for (t, key) in std::mem::replace(&mut sweep.keys, kept)
            .into_iter()
            .flat_map(|(t, keys)| keys.into_iter().map(move |k| (t, k)))
        {
            if self.cells.get_mut(&key).is_some_and(|c| c.retire(t, floor)) {
                self.cells.remove(&key);
            }
        }
    }

    /// How many cells hold incidents.
    #[cfg(test)]
    pub fn cell_count(&self) -> usize {
        self.cells.len()
    }

    /// How far a point with this radius must look among the fine cells so that every
    /// incident there within their radii combined and `slack_m` is found.
    pub fn fine_reach(&self, radius_m: f64, slack_m: f64) -> f64 {
        super::within(radius_m, self.fine_radius_m, slack_m).min(self.max_reach_m)
    }

    fn filing(&self, kind: EventKind, s: &Summary) -> Filing {
        let level = if s.has_point && s.radius_m <= FINE_MAX_RADIUS_M {
            Level::Fine
        } else {
            Level::Coarse
        };
        let cells = self.cells_of(level);
        let floor = self.sweep.as_ref().map_or(i64::MIN, |w| w.floor);
        let last = bucket(s.until).max(bucket(s.from));
        Filing {
            level,
            kind,
            cell: cells.cell(s.location),
            buckets: (bucket(s.from).max(floor).min(last), last),
        }
    }

    /// A secant no smaller than that of `lat` (degrees, 0 to 90): the next whole degree's.
    fn sec_at_least(&self, lat: f64) -> f64 {
        let d = (lat as usize).saturating_add(1).min(90);
        self.sec_deg.get(d).copied().unwrap_or(f64::INFINITY)
    }

    fn cells_of(&self, level: Level) -> &Cells {
        match level {
            Level::Fine => &self.fine,
            Level::Coarse => &self.coarse,
        }
    }

    fn key(f: &Filing, t: i64) -> Key {
        key(f.level, f.kind, f.cell.0, f.cell.1, t)
    }

    /// Files the incident's summary, or moves it where its new place and times put it.
    pub fn put(&mut self, kind: EventKind, s: Summary) {
        let new = self.filing(kind, &s);
        let slot = s.slot as usize;
        while self.filed.len() <= slot {
            self.filed.push(None);
        }
        match self.filed.get(slot).copied().flatten() {
            Some(old) if old == new => {
                for t in new.buckets.0..=new.buckets.1 {
                    if let Some(list) = self.cells.get_mut(&Self::key(&new, t)) {
                        let list = list.as_mut_slice();
                        if let Some(x) = list.iter_mut().find(|x| x.slot == s.slot) {
                            *x = s;
                        }
                    }
                }
                return;
            }
            Some(old) => self.unfile(s.slot, old),
            None => {}
        }
        if let Some(f) = self.filed.get_mut(slot) {
            *f = Some(new);
        }
        match new.level {
            Level::Fine => self.fine_radius_m = self.fine_radius_m.max(s.radius_m),
            Level::Coarse => *self.coarse_count.entry(kind).or_default() += 1,
        }
        for t in new.buckets.0..=new.buckets.1 {
            match self.cells.entry(Self::key(&new, t)) {
                Entry::Occupied(mut cell) => cell.get_mut().push(s),
                Entry::Vacant(cell) => {
                    let key = *cell.key();
                    cell.insert(Cell::One(s));
                    if let Some(w) = &mut self.sweep {
                        w.keys.entry(t).or_default().push(key);
                    }
                }
            }
        }
    }

    pub fn remove(&mut self, slot: u32) {
        if let Some(old) = self.filed.get_mut(slot as usize).and_then(Option::take) {
            self.unfile(slot, old);
        }
    }

    /// On a [`Grid::sweeping`] grid, whether no lookup can reach incident `slot` any more:
    /// it is not filed, or only in buckets before the floor. Never on other grids.
    pub fn gone(&self, slot: u32) -> bool {
        let Some(sweep) = &self.sweep else {
            return false;
        };
        match self.filed.get(slot as usize) {
            Some(Some(f)) => f.buckets.1 < sweep.floor,
            // Taken out, let go already, or never filed.
            Some(None) | None => true,
        }
    }

    /// Lets go of the filings of incidents before `slot`, all [`Grid::gone`].
    pub fn let_go_before(&mut self, slot: u32) {
        while self.filed.first() < slot as usize && self.filed.pop_front().is_some() {}
    }

    fn unfile(&mut self, slot: u32, f: Filing) {
        if f.level == Level::Coarse {
            if let Some(n) = self.coarse_count.get_mut(&f.kind) {
                *n = n.saturating_sub(1);
            }
        }
        for t in f.buckets.0..=f.buckets.1 {
            let key = Self::key(&f, t);
            if self.cells.get_mut(&key).is_some_and(|c| c.remove(slot)) {
                self.cells.remove(&key);
            }
        }
    }

    /// Calls `f` once for every incident of `kind` that could lie within the reach of `at` in
    /// a bucket the window `(from, until)` reaches: those in fine cells within `fine_reach_m`
    /// (and some a little further), and those in coarse cells within the grid's largest reach.
    pub fn around(
        &self,
        kind: EventKind,
        at: LatLon,
        fine_reach_m: f64,
        window: (Millis, Millis),
        mut f: impl FnMut(&Summary),
    ) {
        let first = bucket(window.0);
        let last = bucket(window.1).max(first);
        self.visit(Level::Fine, kind, at, fine_reach_m, (first, last), &mut f);
        if self.coarse_count.get(&kind).is_some_and(|n| *n > 0) {
            self.visit(
                Level::Coarse,
                kind,
                at,
                self.max_reach_m,
                (first, last),
                &mut f,
            );
        }
    }

    fn visit(
        &self,
        level: Level,
        kind: EventKind,
        at: LatLon,
        reach_m: f64,
        (first, last): (i64, i64),
        f: &mut impl FnMut(&Summary),
    ) {
        let cells = self.cells_of(level);
        // A metre more than asked, so rounding never leaves out an incident at the edge.
        let dlat = (reach_m + 1.0) * (180.0 / (std::f64::consts::PI * EARTH_RADIUS_M));
        let lat_max = (at.lat.abs() + dlat).min(89.999);
        let dlon = dlat * self.sec_at_least(lat_max);
        let rows = floor((at.lat - dlat) * cells.rows_per_deg)
            ..=floor((at.lat + dlat) * cells.rows_per_deg);
        let first_col = floor((at.lon - dlon + 180.0) * cells.cols_per_deg);
        let last_col = floor((at.lon + dlon + 180.0) * cells.cols_per_deg)
            .min(first_col.saturating_add(cells.cols - 1));
        for row in rows {
            for col in first_col..=last_col {
                let col = wrap(col, cells.cols);
                for t in first..=last {
                    let Some(list) = self.cells.get(&key(level, kind, col, row, t)) else {
                        continue;
                    };
                    for s in list.as_slice() {
                        // Filed in the bucket before too, so already seen there.
                        if t > first && bucket(s.from) < t {
                            continue;
                        }
                        f(s);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::{destination, distance_m};

    fn summary(slot: u32, at: LatLon, minute: i64, radius_m: f64, has_point: bool) -> Summary {
        let t = |m: i64| (1_742_292_000 + m * 60) * 1000;
        Summary {
            slot,
            has_point,
            from: t(minute),
            to: t(minute + 2),
            until: t(minute + 12),
            location: at,
            radius_m,
        }
    }

    /// Where the tests' incidents are.
    const AT: LatLon = LatLon {
        lat: 48.0,
        lon: 37.9,
    };

    /// The slots a lookup reads for a point with a 100 m radius at `at`, seen at `minute`,
    /// sorted.
    fn read_around(g: &Grid, kind: EventKind, at: LatLon, minute: i64) -> Vec<u32> {
        let q = summary(0, at, minute, 100.0, true);
        let mut seen = Vec::new();
        g.around(
            kind,
            at,
            g.fine_reach(100.0, 150.0),
            (q.from, q.until),
            |s| seen.push(s.slot),
        );
        seen.sort_unstable();
        seen
    }

    /// Several incidents under one key, the same cell or a far one whose packed key is the
    /// same (2^18 buckets later): each is read, once, until it is removed.
    #[test]
    fn incidents_sharing_a_key_are_each_read_until_removed() {
        let mut g = Grid::new(5_000.0);
        let kind = EventKind::Shelling;
        let at = AT;
        let far = (1_i64 << 18) * BUCKET_MS / 60_000;
        let same_key = [
            summary(1, at, 0, 100.0, true),
            summary(2, at, 1, 100.0, true),
            summary(3, at, far, 100.0, true),
        ];
        let k = |s: &Summary| Grid::key(&g.filing(kind, s), bucket(s.from));
        assert!(same_key.iter().all(|s| k(s) == k(&same_key[0])));
        for s in same_key {
            g.put(kind, s);
        }
        let read = |g: &Grid| read_around(g, kind, at, 0);
        // The far one may be read (the caller turns it away by its time), never twice.
        let seen = read(&g);
        assert!(seen == [1, 2] || seen == [1, 2, 3], "{seen:?}");
        g.remove(1);
        let seen = read(&g);
        assert!(seen == [2] || seen == [2, 3], "{seen:?}");
        g.remove(3);
        assert_eq!(read(&g), [2]);
        g.remove(2);
        assert!(read(&g).is_empty() && g.cells.is_empty());
    }

    /// Retiring drops the cells of earlier buckets and files nothing there again; incidents
    /// that reach the floor are still found from it.
    #[test]
    fn retired_buckets_are_dropped_and_not_filed_again() {
        let mut g = Grid::sweeping(5_000.0);
        let kind = EventKind::Shelling;
        let at = AT;
        let hours = |h: i64| h * 60;
        // One incident in each of eight buckets, and a long one over all of them.
        for b in 0..8 {
            g.put(kind, summary(b as u32, at, hours(2 * b), 100.0, true));
        }
        let mut long = summary(8, at, 0, 100.0, true);
        long.until = summary(0, at, hours(15), 100.0, true).from;
        g.put(kind, long);
        let found_at = |g: &Grid, minute: i64| read_around(g, kind, at, minute);
        let before = g.cells.len();
        let filed = g.filing(kind, &long);
        let floor = summary(0, at, hours(10), 100.0, true).from;
        g.retire_before(floor);
        assert!(g.cells.len() < before);
        let floor_bucket = bucket(floor);
        let keys_before_floor = |g: &Grid| {
            (filed.buckets.0..floor_bucket)
                .filter(|&t| g.cells.contains_key(&Grid::key(&filed, t)))
                .count()
        };
        assert_eq!(keys_before_floor(&g), 0);
        assert_eq!(found_at(&g, hours(10)), [5, 8]);
        // The long incident grows: filed again, from the floor on only.
        long.to = summary(0, at, hours(11), 100.0, true).from;
        long.until = summary(0, at, hours(17), 100.0, true).from;
        g.put(kind, long);
        assert_eq!(keys_before_floor(&g), 0);
        assert_eq!(found_at(&g, hours(16)), [8]);
        // Retiring past everything leaves nothing.
        g.retire_before(summary(0, at, hours(48), 100.0, true).from);
        assert!(g.cells.is_empty());
        // An incident whose bucket shares a cell's key with an earlier one, KEY_BUCKETS later,
        // stays when the earlier one is retired.
        let far = KEY_BUCKETS * BUCKET_MS / 60_000;
        g.put(kind, summary(20, at, hours(50), 100.0, true));
        g.put(kind, summary(21, at, hours(50) + far, 100.0, true));
        assert_eq!(g.cells.len(), 1);
        g.retire_before(summary(0, at, hours(60), 100.0, true).from);
        assert_eq!(found_at(&g, hours(50) + far), [21]);
    }

    /// Whatever the latitude, longitude, bearing, level or time, an incident within reach and
    /// within the gap is found once, and moving or removing it is seen by the next lookup.
    #[test]
    fn lookups_find_every_incident_within_reach_once() {
        let reach = 5_000.0;
        let mut g = Grid::new(reach);
        let kind = EventKind::Shelling;
        let mut slot = 0;
        for (lat, lon) in [
            (48.0, 37.9),
            (0.0, 0.0),
            (-33.9, 18.4),
            (69.6, 18.9),
            (64.8, -147.7),
            (-51.7, 179.99),
            (-51.7, -179.99),
        ] {
            let centre = LatLon { lat, lon };
            for bearing in (0..360).step_by(15) {
                for (d, radius, has_point) in [
                    (0.0, 100.0, true),
                    (240.0, 90.0, true),
                    (590.0, 300.0, true),
                    (1_000.0, 2_000.0, true),
                    (2_500.0, 400.0, false),
                    (4_990.0, 50.0, false),
                ] {
                    for minute in [-375, -13, -12, -5, 0, 12, 13, 31, 59, 75, 375] {
                        slot += 1;
                        let at = destination(centre, f64::from(bearing), d);
                        g.put(kind, summary(slot, at, minute, radius, has_point));
                        let query = summary(0, centre, 0, 100.0, true);
                        let fine = g.fine_reach(100.0, 150.0);
                        let mut seen = Vec::new();
                        g.around(kind, centre, fine, (query.from, query.until), |s| {
                            seen.push(s.slot)
                        });
                        // Within reach and within the gap must be found; others may be (the
                        // caller checks), but never twice.
                        let found = seen.iter().filter(|x| **x == slot).count();
                        let overlaps = (-12..=12).contains(&minute);
                        let coarse = !has_point || radius > FINE_MAX_RADIUS_M;
                        let within = coarse || d <= radius.hypot(100.0) + 150.0;
                        let must = overlaps && within;
                        assert!(
                            found == usize::from(must) || (!must && found <= 1),
                            "{lat} {lon} {bearing}° {d} m {minute} min: {found}"
                        );
                        if minute.abs() >= 375 {
                            assert_eq!(found, 0, "six hours away is not read");
                        }
                        assert!(distance_m(at, centre) <= reach);
                        // Moved far away, then removed: gone from the lookup.
                        g.put(
                            kind,
                            summary(
                                slot,
                                destination(centre, 0.0, 50_000.0),
                                minute,
                                radius,
                                has_point,
                            ),
                        );
                        let mut again = Vec::new();
                        g.around(kind, centre, fine, (query.from, query.until), |s| {
                            again.push(s.slot)
                        });
                        assert!(!again.contains(&slot));
                        g.remove(slot);
                    }
                }
            }
        }
        assert!(g.cells.is_empty() && g.filed.iter().all(Option::is_none));
        assert!(g.coarse_count.values().all(|n| *n == 0));
    }
}
