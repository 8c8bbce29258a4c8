//! Comparing two plans of the same scenario: coverage by line, gaps opened and closed, and which
//! nations carry more or less.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::plan::{Gap, Plan};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineDelta {
    pub line: String,
    /// Unit-weeks the baseline's requirements ask of this line.
    pub required_unit_weeks: u64,
    /// Unit-weeks the other plan's requirements ask (more when a requirement grew).
    pub other_required_unit_weeks: u64,
    pub baseline_covered: u64,
    pub other_covered: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NationDelta {
    pub nation: String,
    pub baseline_unit_weeks: u64,
    pub other_unit_weeks: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub baseline_unmet_weighted: u64,
    pub other_unmet_weighted: u64,
    pub baseline_unmet_unit_weeks: u64,
    pub other_unmet_unit_weeks: u64,
    pub lines: Vec<LineDelta>,
    /// Gaps of the other plan on weeks the baseline covered.
    pub new_gaps: Vec<Gap>,
    /// Gaps of the baseline that the other plan closes.
    pub closed_gaps: Vec<Gap>,
    /// Nations whose tour unit-weeks differ, largest change first.
    pub nations: Vec<NationDelta>,
}

fn gap_weeks(p: &Plan) -> BTreeSet<(String, u32)> {
    p.gaps
        .iter()
        .flat_map(|g| (g.from_week..=g.to_week).map(move |w| (g.requirement.clone(), w)))
        .collect()
}

/// Gaps of `p` with at least one week that is not a gap week in `elsewhere`.
fn gaps_outside(p: &Plan, elsewhere: &BTreeSet<(String, u32)>) -> Vec<Gap> {
    p.gaps
        .iter()
        .filter(|g| {
            (g.from_week..=g.to_week).any(|w| !elsewhere.contains(&(g.requirement.clone(), w)))
        })
        .cloned()
        .collect()
}

fn by_nation(p: &Plan) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for t in &p.tours {
        *m.entry(t.nation.clone()).or_default() += u64::from(t.units) * u64::from(t.weeks);
    }
    m
}

pub fn compare(baseline: &Plan, other: &Plan) -> Comparison {
    let mut lines: BTreeMap<String, LineDelta> = BTreeMap::new();
    for l in &baseline.lines {
        lines.insert(
            l.line.clone(),
            LineDelta {
                line: l.line.clone(),
                required_unit_weeks: l.required_unit_weeks,
                other_required_unit_weeks: 0,
                baseline_covered: l.covered_unit_weeks,
                other_covered: 0,
            },
        );
    }
    for l in &other.lines {
        let e = lines.entry(l.line.clone()).or_insert(LineDelta {
            line: l.line.clone(),
            required_unit_weeks: 0,
            other_required_unit_weeks: 0,
            baseline_covered: 0,
            other_covered: 0,
        });
        e.other_required_unit_weeks = l.required_unit_weeks;
        e.other_covered = l.covered_unit_weeks;
    }
    let new_gaps = gaps_outside(other, &gap_weeks(baseline));
    let closed_gaps = gaps_outside(baseline, &gap_weeks(other));
    let (na, nb) = (by_nation(baseline), by_nation(other));
    let names: BTreeSet<&String> = na.keys().chain(nb.keys()).collect();
    let mut nations: Vec<NationDelta> = names
        .into_iter()
        .map(|n| NationDelta {
            nation: n.clone(),
            baseline_unit_weeks: na.get(n).copied().unwrap_or(0),
            other_unit_weeks: nb.get(n).copied().unwrap_or(0),
        })
        .filter(|d| d.baseline_unit_weeks != d.other_unit_weeks)
        .collect();
    nations.sort_by_key(|d| std::cmp::Reverse(d.other_unit_weeks.abs_diff(d.baseline_unit_weeks)));
    Comparison {
        baseline_unmet_weighted: baseline.objective.unmet_weighted,
        other_unmet_weighted: other.objective.unmet_weighted,
        baseline_unmet_unit_weeks: baseline.objective.unmet_unit_weeks,
        other_unmet_unit_weeks: other.objective.unmet_unit_weeks,
        lines: lines.into_values().collect(),
        new_gaps,
        closed_gaps,
        nations,
    }
}
