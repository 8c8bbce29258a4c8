//! Force offers and their status lifecycle.

use serde::Serialize;
use serde_json::Value;

use crate::access::Releasability;
use crate::ids::{Assumption, CapabilityCode, NationCode, OfferId, Region, SourceId};
use crate::read::{
    int, list, non_negative, one_of, scalar, string, timestamp, Fields, ParseErrors,
};

/// Rules of engagement, ordered: an offer accepts up to its level, a requirement needs at least its level.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Roe {
    SelfDefence,
    Mandate,
    Robust,
}

impl Roe {
    pub const ALL: &'static [(&'static str, Roe)] = &[
        ("self_defence", Roe::SelfDefence),
        ("mandate", Roe::Mandate),
        ("robust", Roe::Robust),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Roe::SelfDefence => "self_defence",
            Roe::Mandate => "mandate",
            Roe::Robust => "robust",
        }
    }
}

/// `indicated → offered → confirmed → deployed`, or `withdrawn`. Ordered by firmness.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    Withdrawn,
    Indicated,
    Offered,
    Confirmed,
    Deployed,
}

impl OfferStatus {
    pub const ALL: &'static [(&'static str, OfferStatus)] = &[
        ("indicated", OfferStatus::Indicated),
        ("offered", OfferStatus::Offered),
        ("confirmed", OfferStatus::Confirmed),
        ("deployed", OfferStatus::Deployed),
        ("withdrawn", OfferStatus::Withdrawn),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Withdrawn => "withdrawn",
            OfferStatus::Indicated => "indicated",
            OfferStatus::Offered => "offered",
            OfferStatus::Confirmed => "confirmed",
            OfferStatus::Deployed => "deployed",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        one_of(Self::ALL)(&Value::String(s.to_owned()))
    }

    /// Whether an offer may move from `self` to `next`: forward (skipping allowed), withdrawal
    /// from any live state, and a renewed offer (`indicated` or `offered`) after withdrawal.
    pub fn can_move_to(self, next: OfferStatus) -> bool {
        use OfferStatus::{Indicated, Offered, Withdrawn};
        match (self, next) {
            (Withdrawn, Indicated | Offered) => true,
            (Withdrawn, _) => false,
            (_, Withdrawn) => true,
            (from, to) => to > from,
        }
    }
}

/// One recorded change of an offer's status (bi-temporal: when it takes effect, when we learnt it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    pub status: OfferStatus,
    pub effective: jiff::civil::Date,
    pub recorded_at: jiff::Timestamp,
    pub recorded_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl StatusChange {
    pub fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let status = f.req("status", errs, scalar(one_of(OfferStatus::ALL)));
        let effective = f.req("effective", errs, scalar(crate::read::date));
        let recorded_at = f.req("recorded_at", errs, scalar(timestamp));
        let recorded_by = f.req("recorded_by", errs, scalar(string));
        let source = f.opt("source", errs, scalar(SourceId::from_json));
        let note = f.opt("note", errs, scalar(string));
        f.finish(errs);
        Some(Self {
            status: status?,
            effective: effective?,
            recorded_at: recorded_at?,
            recorded_by: recorded_by?,
            source: source.ok()?,
            note: note.ok()?,
        })
    }
}

/// The status that a history gives for date `on`, counting only what was recorded by `known_at`:
/// the entry with the latest `effective ≤ on` (the later-recorded one wins a tie).
/// `None` when nothing recorded by then was in effect on that date.
pub fn status_as_of(
    history: &[StatusChange],
    on: jiff::civil::Date,
    known_at: jiff::Timestamp,
) -> Option<OfferStatus> {
    history
        .iter()
        .filter(|c| c.recorded_at <= known_at && c.effective <= on)
        .max_by_key(|c| (c.effective, c.recorded_at))
        .map(|c| c.status)
}

/// Checks a history: recorded in order, each step an allowed move from the one before it
/// (ordered by effective date). Returns (index, reason) for each problem.
pub fn check_history(history: &[StatusChange]) -> Vec<(usize, String)> {
    let mut problems = Vec::new();
    for (i, pair) in history.windows(2).enumerate() {
        if pair[1].recorded_at < pair[0].recorded_at {
            problems.push((
                i + 1,
                "recorded_at goes back in time; list changes in the order they were recorded"
                    .to_owned(),
            ));
        }
    }
    let mut order: Vec<usize> = (0..history.len()).collect();
    order.sort_by_key(|&i| (history[i].effective, history[i].recorded_at));
    for pair in order.windows(2) {
        let (a, b) = (&history[pair[0]], &history[pair[1]]);
        if !a.status.can_move_to(b.status) {
            problems.push((
                pair[1],
                format!(
                    "an offer cannot move from {} to {}",
                    a.status.as_str(),
                    b.status.as_str()
                ),
            ));
        }
    }
    problems
}

/// A nation's pledge of units of one capability.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Offer {
    pub id: OfferId,
    pub nation: NationCode,
    pub capability: CapabilityCode,
    pub units: u32,
    pub from_week: u32,
    pub to_week: u32,
    pub notice_weeks: u32,
    pub tour_weeks: u32,
    pub dwell_weeks: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regions: Option<Vec<Region>>,
    pub roe: Roe,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<Assumption>,
    pub status: OfferStatus,
    #[serde(serialize_with = "crate::read::whole_if_integral")]
    pub cost_per_unit_week: f64,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<SourceId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Releasability::is_default")]
    pub releasability: Releasability,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<StatusChange>,
}

pub const MAX_WEEK: u64 = 1039;

/// The largest cost of one unit for one week (EUR): far above any real figure, low enough
/// that a plan's total (units × weeks × cost) stays a finite number.
pub const MAX_COST_PER_UNIT_WEEK: f64 = 1e12;

fn cost_per_unit_week(v: &Value) -> Result<f64, String> {
    let n = non_negative(v)?;
    if n > MAX_COST_PER_UNIT_WEEK {
        return Err(format!(
            "must be at most {MAX_COST_PER_UNIT_WEEK}, found {n}"
        ));
    }
    Ok(n)
}

impl Offer {
    /// Reads one offer; checks that need the rest of the scenario are done by the scenario.
    pub fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let id = f.req("id", errs, scalar(OfferId::from_json));
        let nation = f.req("nation", errs, scalar(NationCode::from_json));
        let capability = f.req("capability", errs, scalar(CapabilityCode::from_json));
        let units = f.req("units", errs, scalar(int(1, 10_000)));
        let from_week = f.req("from_week", errs, scalar(int(0, MAX_WEEK)));
        let to_week = f.req("to_week", errs, scalar(int(0, MAX_WEEK)));
        let notice_weeks = f.req("notice_weeks", errs, scalar(int(0, MAX_WEEK)));
        let tour_weeks = f.req("tour_weeks", errs, scalar(int(1, MAX_WEEK + 1)));
        let dwell_weeks = f.req("dwell_weeks", errs, scalar(int(0, MAX_WEEK + 1)));
        let regions = f.opt("regions", errs, |v, p, e| {
            list(v, p, e, scalar(Region::from_json))
        });
        let roe = f.req("roe", errs, scalar(one_of(Roe::ALL)));
        let requires = f.list("requires", errs, scalar(Assumption::from_json));
        let status = f.req("status", errs, scalar(one_of(OfferStatus::ALL)));
        let cost = f.req("cost_per_unit_week", errs, scalar(cost_per_unit_week));
        let sources = f.list("sources", errs, scalar(SourceId::from_json));
        let notes = f.opt("notes", errs, scalar(string));
        let releasability = f.opt("releasability", errs, scalar(one_of(Releasability::ALL)));
        let history = f.list("history", errs, StatusChange::from_json);
        f.finish(errs);
        let (from_week, to_week) = (from_week?, to_week?);
        if from_week > to_week {
            errs.push(
                &crate::read::join(path, "to_week"),
                format!("must not be before from_week ({from_week}), found {to_week}"),
            );
            return None;
        }
        let offer = Self {
            id: id?,
            nation: nation?,
            capability: capability?,
            units: units?,
            from_week,
            to_week,
            notice_weeks: notice_weeks?,
            tour_weeks: tour_weeks?,
            dwell_weeks: dwell_weeks?,
            regions: regions.ok()?,
            roe: roe?,
            requires: requires?,
            status: status?,
            cost_per_unit_week: cost?,
            sources: sources?,
            notes: notes.ok()?,
            releasability: releasability.ok()?.unwrap_or_default(),
            history: history?,
        };
        let mut ok = true;
        for (i, reason) in check_history(&offer.history) {
            errs.push(&format!("{path}.history[{i}]"), reason);
            ok = false;
        }
        if let Some(last) = offer
            .history
            .iter()
            .max_by_key(|c| (c.effective, c.recorded_at))
        {
            if last.status != offer.status {
                errs.push(
                    &crate::read::join(path, "status"),
                    format!(
                        "is \"{}\" but the latest change in history says \"{}\"",
                        offer.status.as_str(),
                        last.status.as_str()
                    ),
                );
                ok = false;
            }
        }
        ok.then_some(offer)
    }

    /// Records a status change, keeping the history valid: it must be recorded no earlier than
    /// the last change and be an allowed move; the offer's status becomes the latest in effect.
    pub fn apply_change(&mut self, change: StatusChange) -> Result<(), String> {
        if let Some(last) = self.history.last() {
            if change.recorded_at < last.recorded_at {
                return Err("a change cannot be recorded before the offer's last change".into());
            }
        } else if !self.status.can_move_to(change.status) {
            return Err(format!(
                "an offer cannot move from {} to {}",
                self.status.as_str(),
                change.status.as_str()
            ));
        }
        let mut history = self.history.clone();
        history.push(change);
        if let Some((_, reason)) = check_history(&history).into_iter().next() {
            return Err(reason);
        }
        if let Some(latest) = history.iter().max_by_key(|c| (c.effective, c.recorded_at)) {
            self.status = latest.status;
        }
        self.history = history;
        Ok(())
    }

    /// Whether the offer may serve in `region` (no allow-list means anywhere).
    pub fn allows_region(&self, region: &Region) -> bool {
        self.regions.as_ref().is_none_or(|rs| rs.contains(region))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn change(status: OfferStatus, effective: (i16, i8, i8), recorded: &str) -> StatusChange {
        StatusChange {
            status,
            effective: date(effective.0, effective.1, effective.2),
            recorded_at: recorded.parse().unwrap(),
            recorded_by: "j5".into(),
            source: None,
            note: None,
        }
    }

    #[test]
    fn transitions() {
        use OfferStatus::*;
        let cases = [
            (Indicated, Offered, true),
            (Indicated, Confirmed, true),
            (Offered, Deployed, true),
            (Confirmed, Offered, false),
            (Deployed, Deployed, false),
            (Confirmed, Withdrawn, true),
            (Withdrawn, Offered, true),
            (Withdrawn, Confirmed, false),
            (Withdrawn, Withdrawn, false),
        ];
        for (from, to, ok) in cases {
            assert_eq!(from.can_move_to(to), ok, "{from:?} -> {to:?}");
        }
    }

    #[test]
    fn as_of_answers_what_was_known_then() {
        use OfferStatus::*;
        let h = vec![
            change(Indicated, (2025, 3, 2), "2025-03-02T18:00:00Z"),
            change(Offered, (2025, 3, 15), "2025-03-16T09:00:00Z"),
            // Confirmed with effect from 10 March, but only learnt on 20 March.
            change(Confirmed, (2025, 3, 17), "2025-03-20T09:00:00Z"),
        ];
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        assert_eq!(
            status_as_of(&h, date(2025, 3, 1), t("2025-04-01T00:00:00Z")),
            None
        );
        assert_eq!(
            status_as_of(&h, date(2025, 3, 18), t("2025-03-18T00:00:00Z")),
            Some(Offered)
        );
        assert_eq!(
            status_as_of(&h, date(2025, 3, 18), t("2025-03-21T00:00:00Z")),
            Some(Confirmed)
        );
        assert_eq!(
            status_as_of(&h, date(2025, 3, 10), t("2025-03-21T00:00:00Z")),
            Some(Indicated)
        );
        assert!(check_history(&h).is_empty());
    }

    #[test]
    fn apply_change_checks_the_move_and_updates_status() {
        use OfferStatus::*;
        let v = serde_json::json!({"id": "O", "nation": "GBR", "capability": "LAND.INF.BN", "units": 1,
            "from_week": 0, "to_week": 9, "notice_weeks": 0, "tour_weeks": 4, "dwell_weeks": 4,
            "roe": "mandate", "status": "confirmed", "cost_per_unit_week": 1});
        let mut errs = ParseErrors::default();
        let mut o = Offer::from_json(&v, "o", &mut errs).unwrap();
        let back = change(Offered, (2025, 4, 1), "2025-04-01T00:00:00Z");
        assert_eq!(
            o.apply_change(back),
            Err("an offer cannot move from confirmed to offered".into())
        );
        o.apply_change(change(Deployed, (2025, 4, 1), "2025-04-01T00:00:00Z"))
            .unwrap();
        assert_eq!(o.status, Deployed);
        let late = change(Withdrawn, (2025, 5, 1), "2025-03-01T00:00:00Z");
        assert!(o.apply_change(late).is_err());
        o.apply_change(change(Withdrawn, (2025, 5, 1), "2025-05-01T00:00:00Z"))
            .unwrap();
        assert_eq!((o.status, o.history.len()), (Withdrawn, 2));
    }

    #[test]
    fn history_problems_are_found() {
        use OfferStatus::*;
        let h = vec![
            change(Confirmed, (2025, 3, 2), "2025-03-02T18:00:00Z"),
            change(Offered, (2025, 3, 5), "2025-03-01T09:00:00Z"),
        ];
        let problems = check_history(&h);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }
}
