//! Daily sector reports: for a reporting period (by default 19:30 to 19:30 Kyiv time, as the
//! OSCE Special Monitoring Mission reported), the incidents by kind against the previous period,
//! notable incidents, restrictions of freedom of movement, and the observation effort behind
//! the numbers, so that a quiet day nobody watched is not read as a quiet day.

use std::collections::BTreeMap;

use jiff::civil::{Date, Time};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::correlate::Incident;
use crate::geo::LatLon;
use crate::model::{EventKind, ObserverKind};

/// When a reporting day ends, in which time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodSpec {
    /// An IANA time zone, e.g. `Europe/Kyiv`.
    pub time_zone: String,
    /// Local time at which each period ends (and the next begins).
    pub boundary: Time,
}

impl Default for PeriodSpec {
    fn default() -> Self {
        Self {
            time_zone: "Europe/Kyiv".into(),
            boundary: Time::constant(19, 30, 0, 0),
        }
    }
}

impl PeriodSpec {
    /// The period that ends at the boundary on `day` (local): [start, end).
    pub fn period(&self, day: Date) -> Result<(Timestamp, Timestamp), String> {
        let tz = jiff::tz::TimeZone::get(&self.time_zone)
            .map_err(|_| format!("\"{}\" is not a known time zone", self.time_zone))?;
        let at = |d: Date| {
            d.to_datetime(self.boundary)
                .to_zoned(tz.clone())
                .map(|z| z.timestamp())
                .map_err(|e| e.to_string())
        };
        let before = day.yesterday().map_err(|e| e.to_string())?;
        Ok((at(before)?, at(day)?))
    }

    /// The reporting day a moment falls in.
    pub fn day_of(&self, t: Timestamp) -> Result<Date, String> {
        let tz = jiff::tz::TimeZone::get(&self.time_zone)
            .map_err(|_| format!("\"{}\" is not a known time zone", self.time_zone))?;
        let local = t.to_zoned(tz);
        let day = local.date();
        if local.time() >= self.boundary {
            day.tomorrow().map_err(|e| e.to_string())
        } else {
            Ok(day)
        }
    }
}

/// A stretch of observing: a patrol, a UAV sortie, a camera or sensor up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Effort {
    pub observer: ObserverKind,
    pub observer_id: String,
    pub from: Timestamp,
    pub to: Timestamp,
    /// Where (to assign it to a sector) unless the sector is given.
    #[serde(default)]
    pub position: Option<LatLon>,
    #[serde(default)]
    pub sector: Option<String>,
}

/// An incident as the report sees it: in which sector, and may the public see it.
#[derive(Debug, Clone)]
pub struct Placed<'a> {
    pub incident: &'a Incident,
    pub sector: Option<&'a str>,
    pub public: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct KindLine {
    pub incidents: usize,
    /// Sum of the incidents' best counts (rounds, explosions…).
    pub count: u64,
    pub previous_incidents: usize,
    pub previous_count: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EffortLine {
    pub patrol_hours: f64,
    pub uav_sorties: usize,
    pub uav_hours: f64,
    /// Hours cameras and acoustic or seismic sensors were up.
    pub sensor_hours: f64,
    pub observers: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentLine {
    pub id: u64,
    pub kind: EventKind,
    pub from: Timestamp,
    pub location: LatLon,
    pub count: u32,
    pub observers: usize,
    pub against_coalition: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SectorReport {
    pub sector: String,
    pub period_start: Timestamp,
    pub period_end: Timestamp,
    pub by_kind: BTreeMap<&'static str, KindLine>,
    pub notable: Vec<IncidentLine>,
    pub movement_restrictions: Vec<IncidentLine>,
    pub effort: EffortLine,
    /// Nothing was observed, and nobody was observing either: no information, not calm.
    pub unobserved: bool,
}

/// How large a count makes an incident notable.
pub const NOTABLE_COUNT: u32 = 50;

fn line(i: &Incident) -> IncidentLine {
    IncidentLine {
        id: i.id,
        kind: i.kind,
        from: i.from,
        location: i.location,
        count: i.count.best,
        observers: i.observers.len(),
        against_coalition: i.against_coalition,
    }
}

fn hours_within(from: Timestamp, to: Timestamp, start: Timestamp, end: Timestamp) -> f64 {
    let a = from.max(start);
    let b = to.min(end);
    if b <= a {
        0.0
    } else {
        (b.as_second() - a.as_second()) as f64 / 3600.0
    }
}

/// The times a daily report for `day` reads incidents from: the start of the period before and
/// the end of the day's own period.
pub fn span(spec: &PeriodSpec, day: Date) -> Result<(Timestamp, Timestamp), String> {
    let (_, end) = spec.period(day)?;
    let (prev_start, _) = spec.period(day.yesterday().map_err(|e| e.to_string())?)?;
    Ok((prev_start, end))
}

/// One report per sector (plus `unassigned` when incidents of the day or the day before, or
/// the day's effort, fall outside every sector) for the period ending on `day`. With
/// `public_only`, restricted incidents are left out entirely.
pub fn daily(
    spec: &PeriodSpec,
    day: Date,
    sectors: &[String],
    incidents: &[Placed<'_>],
    effort: &[(Effort, Option<String>)],
    public_only: bool,
) -> Result<Vec<SectorReport>, String> {
    let (start, end) = spec.period(day)?;
    let (prev_start, _) = span(spec, day)?;
    let mut names: Vec<String> = sectors.to_vec();
    let outside = incidents.iter().any(|p| {
        p.sector.is_none()
            && (!public_only || p.public)
            && p.incident.from >= prev_start
            && p.incident.from < end
    }) || effort
        .iter()
        .any(|(x, s)| s.is_none() && hours_within(x.from, x.to, start, end) > 0.0);
    if outside {
        names.push("unassigned".into());
    }
    let mut out = Vec::new();
    for name in names {
        let here = |s: Option<&str>| s.unwrap_or("unassigned") == name;
        let mut by_kind: BTreeMap<&'static str, KindLine> = EventKind::ALL
            .iter()
            .map(|k| (k.as_str(), KindLine::default()))
            .collect();
        let mut notable = Vec::new();
        let mut movement = Vec::new();
        for p in incidents
            .iter()
            .filter(|p| here(p.sector) && (!public_only || p.public))
        {
            let i = p.incident;
            let entry = by_kind.entry(i.kind.as_str()).or_default();
            if i.from >= start && i.from < end {
                entry.incidents += 1;
                entry.count += u64::from(i.count.best);
                if i.kind.is_movement_restriction() {
                    movement.push(line(i));
                }
                if i.against_coalition
                    || i.kind == EventKind::CivilianHarm
                    || i.count.best >= NOTABLE_COUNT
                {
                    notable.push(line(i));
                }
            } else if i.from >= prev_start && i.from < start {
                entry.previous_incidents += 1;
                entry.previous_count += u64::from(i.count.best);
            }
        }
        let mut e = EffortLine::default();
        let mut who = std::collections::BTreeSet::new();
        for (x, _) in effort.iter().filter(|(_, s)| here(s.as_deref())) {
            let h = hours_within(x.from, x.to, start, end);
            if h <= 0.0 {
                continue;
            }
            who.insert(x.observer_id.clone());
            match x.observer {
                ObserverKind::Patrol => e.patrol_hours += h,
                ObserverKind::Uav => {
                    e.uav_sorties += 1;
                    e.uav_hours += h;
                }
                ObserverKind::FixedCamera | ObserverKind::AcousticSensor => e.sensor_hours += h,
                ObserverKind::CivilianReport | ObserverKind::Partner => {}
            }
        }
        e.observers = who.len();
        let seen: usize = by_kind.values().map(|k| k.incidents).sum();
        notable.sort_by_key(|l| l.from);
        movement.sort_by_key(|l| l.from);
        out.push(SectorReport {
            unobserved: seen == 0 && e.observers == 0,
            sector: name,
            period_start: start,
            period_end: end,
            by_kind,
            notable,
            movement_restrictions: movement,
            effort: e,
        });
    }
    Ok(out)
}

/// The reports as CSV: one row per sector and kind.
pub fn to_csv(reports: &[SectorReport]) -> String {
    let mut out = String::from(
        "sector,period_start,period_end,kind,incidents,count,previous_incidents,previous_count,patrol_hours,uav_sorties,sensor_hours,unobserved\n",
    );
    for r in reports {
        for (kind, k) in &r.by_kind {
            out.push_str(&format!(
                "{},{},{},{kind},{},{},{},{},{:.1},{},{:.1},{}\n",
                r.sector.replace([',', '"', '\n'], " "),
                r.period_start,
                r.period_end,
                k.incidents,
                k.count,
                k.previous_incidents,
                k.previous_count,
                r.effort.patrol_hours,
                r.effort.uav_sorties,
                r.effort.sensor_hours,
                r.unobserved
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Count;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn d(s: &str) -> Date {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn periods_run_from_1930_to_1930_kyiv_time_across_summer_time() {
        let spec = PeriodSpec::default();
        // Winter: Kyiv is UTC+2, so 19:30 local is 17:30Z.
        assert_eq!(
            spec.period(d("2025-03-18")),
            Ok((ts("2025-03-17T17:30:00Z"), ts("2025-03-18T17:30:00Z")))
        );
        // The night clocks go forward (30 March 2025) the period is 23 hours long.
        let (a, b) = spec.period(d("2025-03-30")).unwrap_or_default();
        assert_eq!(
            (a, b),
            (ts("2025-03-29T17:30:00Z"), ts("2025-03-30T16:30:00Z"))
        );
        // Boundaries: 19:29 local belongs to today's report, 19:30 to tomorrow's.
        assert_eq!(spec.day_of(ts("2025-03-18T17:29:59Z")), Ok(d("2025-03-18")));
        assert_eq!(spec.day_of(ts("2025-03-18T17:30:00Z")), Ok(d("2025-03-19")));
        let bad = PeriodSpec {
            time_zone: "Mars/Olympus".into(),
            ..PeriodSpec::default()
        };
        assert!(bad.period(d("2025-03-18")).is_err());
    }

    fn incident(id: u64, kind: EventKind, from: &str, best: u32) -> Incident {
        Incident {
            id,
            kind,
            from: ts(from),
            to: ts(from),
            location: LatLon {
                lat: 48.0,
                lon: 37.9,
            },
            radius_m: 100.0,
            count: Count {
                low: best,
                best,
                high: best,
            },
            against_coalition: false,
            releasability: Default::default(),
            observations: vec![format!("o{id}")],
            reasons: Vec::new(),
            observers: vec!["P1".into()],
        }
    }

    #[test]
    fn a_day_against_the_day_before_with_the_effort_behind_it() {
        let spec = PeriodSpec::default();
        let mut big = incident(3, EventKind::Shelling, "2025-03-18T10:00:00Z", 80);
        big.against_coalition = true;
        let all = [
            incident(1, EventKind::Shelling, "2025-03-17T17:30:00Z", 4), // first second of the period
            incident(2, EventKind::Shelling, "2025-03-17T17:29:59Z", 2), // the day before
            big,
            incident(4, EventKind::MovementDenied, "2025-03-18T08:00:00Z", 1),
            incident(5, EventKind::Shelling, "2025-03-18T17:30:00Z", 9), // the next period
        ];
        // The next period's incident is in no sector: that is no reason for an `unassigned`
        // report today.
        let placed: Vec<Placed<'_>> = all
            .iter()
            .map(|i| Placed {
                incident: i,
                sector: (i.id != 5).then_some("S-1"),
                public: i.id != 4,
            })
            .collect();
        let effort = vec![
            (
                Effort {
                    observer: ObserverKind::Patrol,
                    observer_id: "P1".into(),
                    from: ts("2025-03-18T06:00:00Z"),
                    to: ts("2025-03-18T20:00:00Z"), // ends after the period: 11.5 h count
                    position: None,
                    sector: Some("S-1".into()),
                },
                Some("S-1".to_owned()),
            ),
            (
                Effort {
                    observer: ObserverKind::Uav,
                    observer_id: "UAV-7".into(),
                    from: ts("2025-03-18T09:00:00Z"),
                    to: ts("2025-03-18T10:30:00Z"),
                    position: None,
                    sector: Some("S-1".into()),
                },
                Some("S-1".to_owned()),
            ),
        ];
        let sectors = vec!["S-1".to_owned(), "S-2".to_owned()];
        let reports =
            daily(&spec, d("2025-03-18"), &sectors, &placed, &effort, false).unwrap_or_default();
        assert_eq!(reports.len(), 2);
        let s1 = &reports[0];
        let shelling = &s1.by_kind["shelling"];
        assert_eq!((shelling.incidents, shelling.count), (2, 84));
        assert_eq!(
            (shelling.previous_incidents, shelling.previous_count),
            (1, 2)
        );
        assert_eq!(s1.notable.iter().map(|l| l.id).collect::<Vec<_>>(), [3]);
        assert_eq!(
            s1.movement_restrictions
                .iter()
                .map(|l| l.id)
                .collect::<Vec<_>>(),
            [4]
        );
        assert!((s1.effort.patrol_hours - 11.5).abs() < 1e-9);
        assert_eq!((s1.effort.uav_sorties, s1.effort.observers), (1, 2));
        assert!(!s1.unobserved);
        // Sector 2 saw nothing and nobody watched it: unobserved, not quiet.
        assert!(reports[1].unobserved);
        // The public version leaves the restricted incident out.
        let public =
            daily(&spec, d("2025-03-18"), &sectors, &placed, &effort, true).unwrap_or_default();
        assert!(public[0].movement_restrictions.is_empty());
        assert_eq!(public[0].by_kind["movement_denied"].incidents, 0);
        // One of the day's incidents in no sector is reported as `unassigned` (not in the
        // public version when it is restricted).
        let mut outside = placed.clone();
        outside[3].sector = None;
        let with =
            daily(&spec, d("2025-03-18"), &sectors, &outside, &effort, false).unwrap_or_default();
        assert_eq!(
            with.iter().map(|r| r.sector.as_str()).collect::<Vec<_>>(),
            ["S-1", "S-2", "unassigned"]
        );
        assert_eq!(with[2].movement_restrictions.len(), 1);
        let public_with =
            daily(&spec, d("2025-03-18"), &sectors, &outside, &effort, true).unwrap_or_default();
        assert_eq!(public_with.len(), 2);
        assert_eq!(
            span(&spec, d("2025-03-18")),
            Ok((ts("2025-03-16T17:30:00Z"), ts("2025-03-18T17:30:00Z")))
        );
        let csv = to_csv(&reports);
        assert!(
            csv.lines()
                .any(|l| l.starts_with("S-1,") && l.contains(",shelling,2,84,1,2,11.5,1,")),
            "{csv}"
        );
    }
}
