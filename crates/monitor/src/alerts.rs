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
/// in one sector within `window_min` minutes of each other (a sliding window).
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
    /// `coalition:<incident>`, or `rule:<name>:<sector>:<start of the burst>` (the sector `-`
    /// when there is none; the start as RFC 3339, e.g. `2025-03-18T10:05:00Z`).
    pub id: String,
    pub rule: String,
    pub sector: Option<String>,
    pub raised_at: Timestamp,
    pub incidents: Vec<u64>,
    pub summary: String,
    /// For a rule's alert: when the first and the last of its incidents began.
    #[serde(skip)]
    pub span: Option<(Timestamp, Timestamp)>,
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
            span: None,
        });
    }
    for rule in &config.rules {
        let mut by_sector: BTreeMap<Option<&str>, Vec<&Head>> = BTreeMap::new();
        for l in incidents {
            let i = &l.incident;
            if !rule.kinds.is_empty() && !rule.kinds.contains(&i.kind) {
                continue;
            }
            if rule.sector.is_some() && rule.sector.as_deref() != l.sector {
                continue;
            }
            by_sector.entry(l.sector).or_default().push(i);
        }
        for (sector, mut list) in by_sector {
            list.sort_by_key(|i| (i.from, i.id));
            for burst in bursts(&list, rule) {
                out.push(burst_alert(rule, sector, &burst));
            }
        }
    }
    out.sort_by(|a, b| a.raised_at.cmp(&b.raised_at).then(a.id.cmp(&b.id)));
    out
}

/// The bursts of a rule in one sector's incidents (sorted by start): at least `threshold`
/// beginning within `window_min` minutes of each other, in any window (sliding, not aligned).
/// A burst holds the incidents in the window when the threshold was reached, and each later
/// one while the window up to it still holds `threshold`, for at most one window after the
/// incident that raised it. A surge that lasts longer raises a new alert each window, listing
/// the incidents since the last; a lull ends a burst.
fn bursts<'a>(list: &[&'a Head], rule: &Rule) -> Vec<Burst<'a>> {
    let window = SignedDuration::from_mins(i64::from(rule.window_min));
    let mut out: Vec<Burst<'a>> = Vec::new();
    // The burst taking incidents now, if any, and the first incident in no burst yet.
    let mut open = false;
    let mut taken = 0;
    let mut lo = 0;
    for (j, i) in list.iter().enumerate() {
        // The first incident beginning less than a window before this one.
        while list
            .get(lo)
            .is_some_and(|x| i.from.duration_since(x.from) >= window)
        {
            lo += 1;
        }
        if j + 1 - lo < rule.threshold.max(1) {
            open = false;
            continue;
        }
        match out.last_mut() {
            Some(b) if open && i.from.duration_since(b.raised_by.from) < window => {
                b.incidents.push(i);
            }
            _ => {
                out.push(Burst {
                    incidents: list.get(lo.max(taken)..=j).unwrap_or_default().to_vec(),
                    raised_by: i,
                });
                open = true;
            }
        }
        taken = j + 1;
    }
    out
}

struct Burst<'a> {
    incidents: Vec<&'a Head>,
    raised_by: &'a Head,
}

fn burst_alert(rule: &Rule, sector: Option<&str>, burst: &Burst<'_>) -> Alert {
    let first = burst
        .incidents
        .first()
        .map_or(burst.raised_by.from, |i| i.from);
    let last = burst.incidents.last().map_or(first, |i| i.from);
    Alert {
        id: format!("{}{first}", rule_prefix(&rule.name, sector)),
        rule: rule.name.clone(),
        sector: sector.map(str::to_owned),
        raised_at: burst.raised_by.from,
        incidents: burst.incidents.iter().map(|i| i.id).collect(),
        summary: format!(
            "{} {} in {}, at least {} within {}",
            counted(burst.incidents.len(), "incident"),
            if first == last {
                format!("at {first}")
            } else {
                format!("from {first} to {last}")
            },
            sector.unwrap_or("no sector"),
            rule.threshold,
            counted(rule.window_min as usize, "minute"),
        ),
        span: Some((first, last)),
    }
}

/// `n` things: "1 incident", "3 incidents".
fn counted(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// What the ids of a rule's alerts in one sector begin with; the start of the burst follows.
fn rule_prefix(name: &str, sector: Option<&str>) -> String {
    format!("rule:{name}:{}:", sector.unwrap_or("-"))
}

/// The acknowledgement that holds for `alert`: its own or, for a rule's alert, one given to
/// the same rule and sector under an id whose start lies within this burst. A late report of
/// an earlier incident can move a burst's start, and so its id; it is still the burst that was
/// acknowledged.
pub fn acknowledgement<'a>(
    alert: &Alert,
    acks: &'a BTreeMap<String, Acknowledgement>,
) -> Option<&'a Acknowledgement> {
    if let Some(a) = acks.get(&alert.id) {
        return Some(a);
    }
    let (first, last) = alert.span?;
    let prefix = rule_prefix(&alert.rule, alert.sector.as_deref());
    acks.range(prefix.clone()..)
        .take_while(|(id, _)| id.starts_with(&prefix))
        .find(|(id, _)| {
            id.get(prefix.len()..)
                .and_then(|t| t.parse::<Timestamp>().ok())
                .is_some_and(|t| first <= t && t <= last)
        })
        .map(|(_, a)| a)
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
            // Against coalition forces; and 2, 4 and 5 begin within the hour up to it.
            incident(5, EventKind::Shelling, "2025-03-18T11:05:00Z", true),
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
        assert_eq!(ids, ["rule:surge:S-1:2025-03-18T10:05:00Z", "coalition:5"]);
        assert_eq!(alerts[0].incidents, [1, 2, 4, 5]);
        assert_eq!(
            alerts[0].summary,
            "4 incidents from 2025-03-18T10:05:00Z to 2025-03-18T11:05:00Z in S-1, \
             at least 3 within 60 minutes"
        );
        assert_eq!(
            alerts[0].raised_at,
            ts("2025-03-18T10:40:00Z"),
            "raised by the third"
        );
        assert_eq!(alerts[1].sector.as_deref(), Some("S-1"));
    }

    /// Rule alerts of shellings in one sector, at these times, for at least `threshold` within
    /// an hour: each alert's id and incidents.
    fn surges(times: &[&str], threshold: usize) -> Vec<(String, Vec<u64>)> {
        let all: Vec<Head> = times
            .iter()
            .zip(1..)
            .map(|(t, id)| incident(id, EventKind::Shelling, t, false))
            .collect();
        in_one_sector(threshold, &all)
            .into_iter()
            .map(|a| (a.id, a.incidents))
            .collect()
    }

    /// The alerts of a rule "surge" (any kind, at least `threshold` within an hour) on
    /// incidents all in sector S-1.
    fn in_one_sector(threshold: usize, all: &[Head]) -> Vec<Alert> {
        let config = Config {
            rules: vec![Rule {
                name: "surge".into(),
                sector: None,
                kinds: vec![],
                window_min: 60,
                threshold,
            }],
            ladder: Ladder::default(),
        };
        let located: Vec<Located<'_>> = all
            .iter()
            .map(|i| Located {
                incident: *i,
                sector: Some("S-1"),
            })
            .collect();
        evaluate(&config, &located)
    }

    /// A rule that fires on a single incident says so in the singular, at one time.
    #[test]
    fn a_burst_of_one_incident_is_summed_up_in_the_singular() {
        let config = Config {
            rules: vec![Rule {
                name: "any".into(),
                sector: None,
                kinds: vec![],
                window_min: 1,
                threshold: 1,
            }],
            ladder: Ladder::default(),
        };
        let one = incident(1, EventKind::Shelling, "2025-03-18T10:05:00Z", false);
        let alerts = evaluate(
            &config,
            &[Located {
                incident: one,
                sector: None,
            }],
        );
        let summaries: Vec<&str> = alerts.iter().map(|a| a.summary.as_str()).collect();
        assert_eq!(
            summaries,
            ["1 incident at 2025-03-18T10:05:00Z in no sector, at least 1 within 1 minute"]
        );
    }

    #[test]
    fn windows_slide_so_a_surge_across_the_hour_is_seen() {
        // 10:50, 11:00 and 11:10: in no one clock hour, but within an hour of each other.
        assert_eq!(
            surges(
                &[
                    "2025-03-18T10:50:00Z",
                    "2025-03-18T11:00:00Z",
                    "2025-03-18T11:10:00Z"
                ],
                3
            ),
            [(
                "rule:surge:S-1:2025-03-18T10:50:00Z".to_owned(),
                vec![1, 2, 3]
            )]
        );
        // A whole window apart is not within it: 10:00 and 11:00 never count together.
        let edge = [
            "2025-03-18T10:00:00Z",
            "2025-03-18T10:30:00Z",
            "2025-03-18T11:00:00Z",
        ];
        assert!(surges(&edge, 3).is_empty());
        let inside = [
            "2025-03-18T10:00:00Z",
            "2025-03-18T10:30:00Z",
            "2025-03-18T10:59:59Z",
        ];
        assert_eq!(surges(&inside, 3).len(), 1);
        // A burst goes on while the hour up to each later one still holds the threshold, and
        // a lull ends it: a second burst is a second alert.
        let two = surges(
            &[
                "2025-03-18T10:00:00Z",
                "2025-03-18T10:10:00Z",
                "2025-03-18T10:50:00Z", // 10:00, 10:10, 10:50: reached
                "2025-03-18T11:05:00Z", // 10:10, 10:50, 11:05: goes on
                "2025-03-18T12:30:00Z", // alone: the burst is over
                "2025-03-18T13:00:00Z",
                "2025-03-18T13:20:00Z", // 12:30, 13:00, 13:20: a new one
            ],
            3,
        );
        assert_eq!(
            two,
            [
                (
                    "rule:surge:S-1:2025-03-18T10:00:00Z".to_owned(),
                    vec![1, 2, 3, 4]
                ),
                (
                    "rule:surge:S-1:2025-03-18T12:30:00Z".to_owned(),
                    vec![5, 6, 7]
                ),
            ]
        );
    }

    #[test]
    fn a_surge_that_lasts_raises_an_alert_each_window() {
        // Every 20 minutes from 10:00 to 13:00, two an hour the threshold: raised at 10:20,
        // again at 11:20 and 12:20, each listing the incidents since the last.
        let times: Vec<String> = (0..10)
            .map(|k| format!("2025-03-18T{:02}:{:02}:00Z", 10 + k * 20 / 60, k * 20 % 60))
            .collect();
        let times: Vec<&str> = times.iter().map(String::as_str).collect();
        assert_eq!(
            surges(&times, 2),
            [
                (
                    "rule:surge:S-1:2025-03-18T10:00:00Z".to_owned(),
                    vec![1, 2, 3, 4]
                ),
                (
                    "rule:surge:S-1:2025-03-18T11:20:00Z".to_owned(),
                    vec![5, 6, 7]
                ),
                (
                    "rule:surge:S-1:2025-03-18T12:20:00Z".to_owned(),
                    vec![8, 9, 10]
                ),
            ]
        );
    }

    #[test]
    fn an_acknowledged_burst_stays_acknowledged_when_a_late_report_moves_its_start() {
        let mut all = vec![
            incident(1, EventKind::Shelling, "2025-03-18T10:05:00Z", false),
            incident(2, EventKind::Shelling, "2025-03-18T10:20:00Z", false),
            incident(3, EventKind::Shelling, "2025-03-18T15:00:00Z", false),
            incident(4, EventKind::Shelling, "2025-03-18T15:10:00Z", false),
        ];
        let before = in_one_sector(2, &all);
        assert_eq!(before.len(), 2);
        let mut acks = BTreeMap::new();
        acks.insert(
            before[0].id.clone(),
            Acknowledgement {
                by: "gbr.officer".into(),
                at: ts("2025-03-18T10:30:00Z"),
            },
        );
        // Reported late: a shelling at 09:50, which now starts the morning's burst.
        all.push(incident(
            5,
            EventKind::Shelling,
            "2025-03-18T09:50:00Z",
            false,
        ));
        let after = in_one_sector(2, &all);
        assert_eq!(after[0].id, "rule:surge:S-1:2025-03-18T09:50:00Z");
        assert_eq!(after[0].incidents, [5, 1, 2]);
        assert_eq!(
            acknowledgement(&after[0], &acks).map(|a| a.by.as_str()),
            Some("gbr.officer")
        );
        // The afternoon's burst was not acknowledged, nor is an incident's alert by a rule's.
        assert!(acknowledgement(&after[1], &acks).is_none());
        let attack = Alert {
            id: "coalition:1".into(),
            rule: "surge".into(),
            sector: Some("S-1".into()),
            raised_at: ts("2025-03-18T10:05:00Z"),
            incidents: vec![1],
            summary: String::new(),
            span: None,
        };
        assert!(acknowledgement(&attack, &acks).is_none());
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
            span: None,
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
