//! Single points of failure: re-plan with each contributing nation withdrawn in turn and with
//! each assumption flipped, and rank the cases by the coverage they cost.

use serde::Serialize;

use domain::Scenario;

use crate::model::offer_counts;
use crate::options::Options;
use crate::plan::Plan;
use crate::solve::{solve, Control, Params, PlanError};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Case {
    /// `withdraw GBR` or `us_backstop=false`.
    pub case: String,
    pub unmet_weighted: u64,
    pub unmet_unit_weeks: u64,
    /// Increase over the baseline plan.
    pub lost_weighted: i64,
    /// Proven: no plan of this case leaves less than the baseline plan plus this much unmet.
    pub lost_at_least: u64,
    pub lost_unit_weeks: i64,
    pub bound: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resilience {
    pub baseline_unmet_weighted: u64,
    pub baseline_unmet_unit_weeks: u64,
    pub baseline_bound: u64,
    /// Worst first.
    pub cases: Vec<Case>,
}

/// Runs the sweep on `threads` threads; `control(label)` supplies the budget for each re-plan.
pub fn resilience<C: Control + Send>(
    s: &Scenario,
    base: &Options,
    params: &Params,
    threads: usize,
    control: impl Fn(&str) -> C + Sync,
) -> Result<Resilience, PlanError> {
    base.check(s).map_err(PlanError::Options)?;
    let mut variants: Vec<(String, Options)> = vec![("baseline".to_owned(), base.clone())];
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
    // Cases are independent: hand them out to the threads one at a time.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<Plan>>> =
        std::sync::Mutex::new(vec![None; variants.len()]);
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some((label, opts)) = variants.get(i) else {
                    break;
                };
                let plan = solve(s, opts, params, &mut control(label)).ok();
                if let Ok(mut r) = results.lock() {
                    r[i] = plan;
                }
            });
        }
    });
    let plans = results.into_inner().unwrap_or_default();
    let Some(Some(baseline)) = plans.first() else {
        return Err(PlanError::Options(
            "the baseline could not be planned".into(),
        ));
    };
    let mut cases = Vec::with_capacity(variants.len());
    for ((label, _), plan) in variants.iter().zip(&plans).skip(1) {
        let Some(p) = plan else { continue };
        cases.push(Case {
            lost_weighted: p.objective.unmet_weighted as i64
                - baseline.objective.unmet_weighted as i64,
            lost_at_least: p
                .bound
                .unmet_weighted
                .saturating_sub(baseline.objective.unmet_weighted),
            lost_unit_weeks: p.objective.unmet_unit_weeks as i64
                - baseline.objective.unmet_unit_weeks as i64,
            unmet_weighted: p.objective.unmet_weighted,
            unmet_unit_weeks: p.objective.unmet_unit_weeks,
            bound: p.bound.unmet_weighted,
            case: label.clone(),
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
        baseline_bound: baseline.bound.unmet_weighted,
        cases,
    })
}
