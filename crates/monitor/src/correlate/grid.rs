//! The correlator's index: incidents filed by kind, place and hour, each with a small summary
//! (where, how far off, when, whether it has a located point), so a lookup reads contiguous
//! summaries and reaches an incident's full record only for the few that could match.
//!
//! Cells are in degrees: rows `row_deg` of latitude high, columns about twice as wide in
//! longitude, so a cell is at most about `2 × reach` metres across. A lookup reads every cell the box
//! around its disc touches (two by two at mid latitudes), so it finds every incident within the
//! reach wherever it lies; the caller checks the real distance. An incident is filed in each
//! hour from its start to its end plus the gap, and a lookup reads the hours from the
//! observation's start to its end plus the gap: two windows within the gap share an hour.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::geo::{LatLon, EARTH_RADIUS_M};
use crate::model::EventKind;

/// Seconds per time bucket.
const BUCKET_S: i64 = 3600;

/// What a lookup needs to know of an incident without reading it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Summary {
    pub id: u64,
    pub from: Timestamp,
    pub to: Timestamp,
    pub location: LatLon,
    pub radius_m: f64,
    /// Located by at least one point (not by bearings alone).
    pub has_point: bool,
}

/// Where a summary is filed: one cell, and a run of hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Filing {
    kind: EventKind,
    cell: (i64, i64),
    hours: (i64, i64),
}

type Key = (EventKind, i64, i64, i64);

pub(super) struct Grid {
    row_deg: f64,
    col_deg: f64,
    cols: i64,
    /// Added to an incident's end before it is filed (seconds): the time gap that still joins.
    gap_s: i64,
    cells: HashMap<Key, Vec<Summary>>,
    /// Where each incident is filed, by id.
    filed: HashMap<u64, Filing>,
}

fn hour(t: Timestamp) -> i64 {
    t.as_second().div_euclid(BUCKET_S)
}

impl Grid {
    /// A grid for lookups up to `reach_m` around a point, joining windows up to `gap_s` apart.
    pub fn new(reach_m: f64, gap_s: i64) -> Self {
        let row_deg = (2.0 * reach_m.max(100.0) / EARTH_RADIUS_M).to_degrees();
        // A whole number of columns round the globe, so the last one meets the first.
        let cols = (180.0 / row_deg).floor().max(1.0);
        Self {
            row_deg,
            col_deg: 360.0 / cols,
            cols: cols as i64,
            gap_s,
            cells: HashMap::new(),
            filed: HashMap::new(),
        }
    }

    fn cell(&self, p: LatLon) -> (i64, i64) {
        let col = ((p.lon + 180.0) / self.col_deg).floor() as i64;
        (
            col.rem_euclid(self.cols),
            (p.lat / self.row_deg).floor() as i64,
        )
    }

    fn filing(&self, kind: EventKind, s: &Summary) -> Filing {
        let end = Timestamp::from_second(s.to.as_second().saturating_add(self.gap_s))
            .unwrap_or(Timestamp::MAX);
        Filing {
            kind,
            cell: self.cell(s.location),
            hours: (hour(s.from), hour(end).max(hour(s.from))),
        }
    }

    /// Files the incident's summary, or moves it where its new place and times put it.
    pub fn put(&mut self, kind: EventKind, s: Summary) {
        let new = self.filing(kind, &s);
        match self.filed.insert(s.id, new) {
            Some(old) if old == new => {
                for t in new.hours.0..=new.hours.1 {
                    if let Some(list) = self.cells.get_mut(&(kind, new.cell.0, new.cell.1, t)) {
                        if let Some(x) = list.iter_mut().find(|x| x.id == s.id) {
                            *x = s;
                        }
                    }
                }
                return;
            }
            Some(old) => self.unfile(s.id, old),
            None => {}
        }
        for t in new.hours.0..=new.hours.1 {
            self.cells
                .entry((kind, new.cell.0, new.cell.1, t))
                .or_default()
                .push(s);
        }
    }

    pub fn remove(&mut self, id: u64) {
        if let Some(old) = self.filed.remove(&id) {
            self.unfile(id, old);
        }
    }

    fn unfile(&mut self, id: u64, f: Filing) {
        for t in f.hours.0..=f.hours.1 {
            let key = (f.kind, f.cell.0, f.cell.1, t);
            if let Some(list) = self.cells.get_mut(&key) {
                if let Some(i) = list.iter().position(|x| x.id == id) {
                    list.swap_remove(i);
                }
                if list.is_empty() {
                    self.cells.remove(&key);
                }
            }
        }
    }

    /// Calls `f` once for every incident of `kind` filed within `reach_m` of `at` (and some a
    /// little further) in an hour the window `(from, to)` plus the gap reaches.
    pub fn around(
        &self,
        kind: EventKind,
        at: LatLon,
        reach_m: f64,
        window: (Timestamp, Timestamp),
        mut f: impl FnMut(&Summary),
    ) {
        let dlat = (reach_m / EARTH_RADIUS_M).to_degrees();
        let lat_max = (at.lat.abs() + dlat).min(89.999);
        let dlon = dlat / lat_max.to_radians().cos();
        let (lo, hi) = (
            LatLon {
                lat: at.lat - dlat,
                lon: at.lon - dlon,
            },
            LatLon {
                lat: at.lat + dlat,
                lon: at.lon + dlon,
            },
        );
        let rows = (lo.lat / self.row_deg).floor() as i64..=(hi.lat / self.row_deg).floor() as i64;
        let first_col = ((lo.lon + 180.0) / self.col_deg).floor() as i64;
        let last_col = ((hi.lon + 180.0) / self.col_deg)
            .floor()
            .min((first_col + self.cols - 1) as f64) as i64;
        let first_hour = hour(window.0);
        let last_hour = hour(
            Timestamp::from_second(window.1.as_second().saturating_add(self.gap_s))
                .unwrap_or(Timestamp::MAX),
        )
        .max(first_hour);
        for row in rows {
            for col in first_col..=last_col {
                let col = col.rem_euclid(self.cols);
                for t in first_hour..=last_hour {
                    let Some(list) = self.cells.get(&(kind, col, row, t)) else {
                        continue;
                    };
                    for s in list {
                        // Filed in the hour before too, so already seen there.
                        if t > first_hour && hour(s.from) < t {
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

    fn summary(id: u64, at: LatLon, minute: i64) -> Summary {
        let t = |m: i64| {
            Timestamp::from_second(1_742_292_000 + m * 60).unwrap_or(Timestamp::UNIX_EPOCH)
        };
        Summary {
            id,
            from: t(minute),
            to: t(minute + 2),
            location: at,
            radius_m: 100.0,
            has_point: true,
        }
    }

    /// Whatever the latitude, longitude or bearing, an incident within reach and within the
    /// gap is found once, and moving or removing it is seen by the next lookup.
    #[test]
    fn lookups_find_every_incident_within_reach_once() {
        let reach = 5_000.0;
        let mut g = Grid::new(reach, 600);
        let kind = EventKind::Shelling;
        let mut id = 0;
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
                for d in [0.0, 1_000.0, 2_500.0, 4_990.0] {
                    for minute in [-75, -13, -12, -5, 0, 12, 13, 31, 59, 75] {
                        id += 1;
                        let at = destination(centre, f64::from(bearing), d);
                        g.put(kind, summary(id, at, minute));
                        let window = (summary(0, centre, 0).from, summary(0, centre, 0).to);
                        let mut seen = Vec::new();
                        g.around(kind, centre, reach, window, |s| seen.push(s.id));
                        // Windows within the gap must be found; others may be (the caller
                        // checks), but never twice.
                        let found = seen.iter().filter(|x| **x == id).count();
                        let overlaps = (-12..=12).contains(&minute);
                        assert!(
                            found == usize::from(overlaps) || (!overlaps && found <= 1),
                            "{lat} {lon} {bearing}° {d} m {minute} min: {found}"
                        );
                        if minute.abs() >= 75 {
                            assert_eq!(found, 0, "an hour away is not read");
                        }
                        assert!(distance_m(at, centre) <= reach);
                        // Moved far away, then removed: gone from the lookup.
                        g.put(
                            kind,
                            summary(id, destination(centre, 0.0, 50_000.0), minute),
                        );
                        let mut again = Vec::new();
                        g.around(kind, centre, reach, window, |s| again.push(s.id));
                        assert!(!again.contains(&id));
                        g.remove(id);
                    }
                }
            }
        }
        assert!(g.cells.is_empty() && g.filed.is_empty());
    }
}
