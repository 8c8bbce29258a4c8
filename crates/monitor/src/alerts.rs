//! Alerts: thresholds per sector and time window, and any incident against coalition forces at
//! once; each alert climbs an escalation ladder (sector → contingent → HQ) until someone
//! acknowledges it within its level's deadline.
//!
//! Everything here is a function of the incidents, the acknowledgements and the time, so the
//! same inputs always give the same alerts.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::correlate::Head;
use crate::model::EventKind;

/// Raise an alert when at least `threshold` incidents (of `kinds`, or any kind when empty) begin
/// in one sector within one window of `window_min` minutes (windows are aligned to the epoch).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub name: String,
    /// One sector, or every sector when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector: Option<String>,
    #[serde(default)]
    pub kinds: Vec<EventKind>,
    pub window_min: u32,
    pub threshold: usize,
}

/// Who is told, in order, and how long each has to acknowledge before the next is told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ladder {
    pub levels: Vec<String>,
    /// Minutes each level has to acknowledge (one per level).
    pub ack_min: Vec<u32>,
}

impl Default for Ladder {
    fn default() -> Self {
        Self {
            levels: vec!["sector".into(), "contingent".into(), "hq".into()],
            ack_min: vec![15, 30, 60],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub rules: Vec<Rule>,
    #[serde(default)]
    pub ladder: Ladder,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            rules: vec![Rule {
                name: "shelling surge".into(),
                sector: None,
                kinds: vec![EventKind::Shelling],
                window_min: 60,
                threshold: 10,
            }],
            ladder: Ladder::default(),
        }
    }
}

impl Config {
    pub fn check(&self) -> Result<(), String> {
        if self.ladder.levels.is_empty() || self.ladder.levels.len() != self.ladder.ack_min.len() {
            return Err("the ladder needs one acknowledgement deadline per level".into());
        }
        if self.ladder.ack_min.contains(&0) {
            return Err("acknowledgement deadlines must be at least a minute".into());
        }
        for r in &self.rules {
            if r.name.trim().is_empty() || r.window_min == 0 || r.threshold == 0 {
                return Err(format!(
                    "rule \"{}\": needs a name, a window of at least a minute and a threshold of at least 1",
                    r.name
                ));
            }
            if r.window_min > 7 * 24 * 60 {
                return Err(format!(
                    "rule \"{}\": the window is longer than a week",
                    r.name
                ));
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Stable: `rule:<name>:<sector>:<window start>` or `coalition:<incident>`.
    pub id: String,
    pub rule: String,
    pub sector: Option<String>,
    pub raised_at: Timestamp,
    pub incidents: Vec<u64>,
    pub summary: String,
}

/// An incident (its head: alerting needs no lists) with its sector, as alerting sees it.
pub struct Located<'a> {
    pub incident: Head,
    pub sector: Option<&'a str>,
}

/// Every alert the incidents raise.
pub fn evaluate(config: &Config, incidents: &[Located<'_>]) -> Vec<Alert> {
    let mut out = Vec::new();
    for l in incidents.iter().filter(|l| l.incident.against_coalition) {
        let i = &l.incident;
        out.push(Alert {
            id: format!("coalition:{}", i.id),
            rule: "against coalition forces".into(),
            sector: l.sector.map(str::to_owned),
            raised_at: i.from,
            incidents: vec![i.id],
            summary: format!(
                "{} against coalition forces at {:.4}, {:.4}",
                i.kind.as_str(),
                i.location.lat,
                i.location.lon
            ),
        });
    }
    for rule in &config.rules {
        let window = i64::from(rule.window_min) * 60;
        let mut buckets: BTreeMap<(Option<&str>, i64), Vec<&Head>> = BTreeMap::new();
        for l in incidents {
            let i = &l.incident;
            if !rule.kinds.is_empty() && !rule.kinds.contains(&i.kind) {
                continue;
            }
            if rule.sector.is_some() && rule.sector.as_deref() != l.sector {
                continue;
            }
            let start = i.from.as_second().div_euclid(window) * window;
            buckets.entry((l.sector, start)).or_default().push(i);
        }
        for ((sector, start), mut list) in buckets {
            if list.len() < rule.threshold {
                continue;
            }
            list.sort_by_key(|i| (i.from, i.id));
            let crossing = list[rule.threshold - 1];
            let from = Timestamp::from_second(start).unwrap_or(crossing.from);
            out.push(Alert {
                id: format!("rule:{}:{}:{}", rule.name, sector.unwrap_or("-"), start),
                rule: rule.name.clone(),
                sector: sector.map(str::to_owned),
                raised_at: crossing.from,
                incidents: list.iter().map(|i| i.id).collect(),
                summary: format!(
                    "{} incidents in {} minutes from {from} in {} (threshold {})",
                    list.len(),
                    rule.window_min,
                    sector.unwrap_or("no sector"),
                    rule.threshold
                ),
            });
        }
    }
    out.sort_by(|a, b| a.raised_at.cmp(&b.raised_at).then(a.id.cmp(&b.id)));
    out
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Acknowledgement {
    pub by: String,
    pub at: Timestamp,
}

/// Where an alert stands on the ladder at `now`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standing {
    pub alert: Alert,
    /// Index into the ladder, and its name.
    pub level: usize,
    pub level_name: String,
    /// When the current level's time to acknowledge runs out (none once acknowledged, or at
    /// the top once its time has run out).
    pub due: Option<Timestamp>,
    pub overdue: bool,
    pub acknowledged: Option<Acknowledgement>,
}

/// The alert's level at `now`: it climbs one level each time a deadline passes before anyone
/// acknowledges; an acknowledgement stops it where it stood.
pub fn standing(
    alert: &Alert,
    ladder: &Ladder,
    ack: Option<&Acknowledgement>,
    now: Timestamp,
) -> Standing {
    let until = ack.map_or(now, |a| a.at.min(now));
    let mut level = 0;
    let mut due = alert.raised_at;
    loop {
        let minutes = ladder.ack_min.get(level).copied().unwrap_or(60);
        due = due
            .checked_add(SignedDuration::from_mins(i64::from(minutes)))
            .unwrap_or(due);
        if due > until || level + 1 >= ladder.levels.len() {
            break;
        }
        level += 1;
    }
    let acked = ack.filter(|a| a.at <= now).cloned();
    Standing {
        alert: alert.clone(),
        level,
        level_name: ladder.levels.get(level).cloned().unwrap_or_default(),
        due: acked.is_none().then_some(due),
        overdue: acked.is_none() && due <= now,
        acknowledged: acked,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::LatLon;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn incident(id: u64, kind: EventKind, at: &str, against: bool) -> Head {
        Head {
            id,
            kind,
            from: ts(at),
            to: ts(at),
            location: LatLon {
                lat: 48.0,
                lon: 38.0,
            },
            radius_m: 100.0,
            against_coalition: against,
            releasability: Default::default(),
        }
    }

    #[test]
    fn thresholds_per_sector_and_window_and_coalition_forces_at_once() {
        let config = Config {
            rules: vec![Rule {
                name: "surge".into(),
                sector: None,
                kinds: vec![EventKind::Shelling],
                window_min: 60,
                threshold: 3,
            }],
            ladder: Ladder::default(),
        };
        let all = [
            incident(1, EventKind::Shelling, "2025-03-18T10:05:00Z", false),
            incident(2, EventKind::Shelling, "2025-03-18T10:20:00Z", false),
            incident(3, EventKind::SmallArmsFire, "2025-03-18T10:25:00Z", false),
            incident(4, EventKind::Shelling, "2025-03-18T10:40:00Z", false),
            incident(5, EventKind::Shelling, "2025-03-18T11:05:00Z", true), // next window
            incident(6, EventKind::Shelling, "2025-03-18T10:30:00Z", false), // other sector
        ];
        let located: Vec<Located<'_>> = all
            .iter()
            .map(|i| Located {
                incident: *i,
                sector: Some(if i.id == 6 { "S-2" } else { "S-1" }),
            })
            .collect();
        let alerts = evaluate(&config, &located);
        let ids: Vec<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
        let start = ts("2025-03-18T10:00:00Z").as_second();
        assert_eq!(
            ids,
            [format!("rule:surge:S-1:{start}").as_str(), "coalition:5"]
        );
        assert_eq!(alerts[0].incidents, [1, 2, 4]);
        assert_eq!(
            alerts[0].raised_at,
            ts("2025-03-18T10:40:00Z"),
            "raised by the third"
        );
        assert_eq!(alerts[1].sector.as_deref(), Some("S-1"));
    }

    #[test]
    fn unacknowledged_alerts_climb_the_ladder_and_acknowledgement_stops_them() {
        let alert = Alert {
            id: "coalition:1".into(),
            rule: "x".into(),
            sector: None,
            raised_at: ts("2025-03-18T10:00:00Z"),
            incidents: vec![1],
            summary: String::new(),
        };
        let ladder = Ladder::default(); // 15, 30, 60 minutes
        let at = |now: &str, ack: Option<&Acknowledgement>| standing(&alert, &ladder, ack, ts(now));
        let s = at("2025-03-18T10:14:59Z", None);
        assert_eq!(
            (s.level_name.as_str(), s.due, s.overdue),
            ("sector", Some(ts("2025-03-18T10:15:00Z")), false)
        );
        assert_eq!(at("2025-03-18T10:15:00Z", None).level_name, "contingent");
        assert_eq!(at("2025-03-18T10:44:59Z", None).level_name, "contingent");
        let top = at("2025-03-18T10:45:00Z", None);
        assert_eq!(
            (top.level_name.as_str(), top.due),
            ("hq", Some(ts("2025-03-18T11:45:00Z")))
        );
        let late = at("2025-03-18T12:00:00Z", None);
        assert_eq!(
            (late.level_name.as_str(), late.overdue),
            ("hq", true),
            "it stays at the top, overdue"
        );
        // Acknowledged at 10:20 by the contingent: it stays there, with nothing due.
        let ack = Acknowledgement {
            by: "gbr.officer".into(),
            at: ts("2025-03-18T10:20:00Z"),
        };
        let s = at("2025-03-18T12:00:00Z", Some(&ack));
        assert_eq!(
            (s.level_name.as_str(), s.due, s.overdue),
            ("contingent", None, false)
        );
        // An acknowledgement in the future does not count yet.
        assert!(at("2025-03-18T10:10:00Z", Some(&ack))
            .acknowledged
            .is_none());
    }

    #[test]
    fn bad_configurations_are_refused() {
        let mut c = Config::default();
        c.check().unwrap_or_else(|e| panic!("{e}"));
        c.ladder.ack_min.pop();
        assert!(c.check().is_err());
        let mut c = Config::default();
        c.rules[0].threshold = 0;
        assert!(c.check().is_err());
    }
}
