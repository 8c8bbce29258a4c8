//! Single points of failure: re-plan with each contributing nation withdrawn in turn and with
//! each assumption flipped, and rank the cases by the coverage they cost.

use serde::Serialize;

use domain::Scenario;

use crate::model::offer_counts;
use crate::options::Options;
use crate::solve::{solve, Control, Params, PlanError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// `withdraw GBR` or `us_backstop=false`.
    pub case: String,
    pub unmet_weighted: u64,
    pub unmet_unit_weeks: u64,
    /// Increase over the baseline plan.
    pub lost_weighted: i64,
    pub lost_unit_weeks: i64,
    pub bound: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resilience {
    pub baseline_unmet_weighted: u64,
    pub baseline_unmet_unit_weeks: u64,
    /// Worst first.
    pub cases: Vec<Case>,
}

/// Runs the sweep; `control(label)` supplies the budget for each re-plan.
pub fn resilience<C: Control>(
    s: &Scenario,
    base: &Options,
    params: &Params,
    mut control: impl FnMut(&str) -> C,
) -> Result<Resilience, PlanError> {
    let baseline = solve(s, base, params, &mut control("baseline"))?;
    let mut variants: Vec<(String, Options)> = Vec::new();
    let mut nations: Vec<_> = s
        .offers()
        .iter()
        .filter(|o| offer_counts(s, base, o))
        .map(|o| o.nation.clone())
        .collect();
    nations.sort();
    nations.dedup();
    for n in nations {
        let mut o = base.clone();
        o.withdraw.insert(n.clone());
        variants.push((format!("withdraw {n}"), o));
    }
    for a in s.assumptions().keys() {
        let mut o = base.clone();
        let flipped = !base.holds(s, a);
        o.assume.insert(a.clone(), flipped);
        variants.push((format!("{a}={flipped}"), o));
    }
    let mut cases = Vec::with_capacity(variants.len());
    for (label, opts) in variants {
        let p = solve(s, &opts, params, &mut control(&label))?;
        cases.push(Case {
            lost_weighted: p.objective.unmet_weighted as i64
                - baseline.objective.unmet_weighted as i64,
            lost_unit_weeks: p.objective.unmet_unit_weeks as i64
                - baseline.objective.unmet_unit_weeks as i64,
            unmet_weighted: p.objective.unmet_weighted,
            unmet_unit_weeks: p.objective.unmet_unit_weeks,
            bound: p.bound.unmet_weighted,
            case: label,
        });
    }
    cases.sort_by(|a, b| {
        b.lost_weighted
            .cmp(&a.lost_weighted)
            .then(a.case.cmp(&b.case))
    });
    Ok(Resilience {
        baseline_unmet_weighted: baseline.objective.unmet_weighted,
        baseline_unmet_unit_weeks: baseline.objective.unmet_unit_weeks,
        cases,
    })
}
