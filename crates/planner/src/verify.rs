//! The plan checker: re-checks every rule of a plan against its scenario, independently of the
//! solver (it shares no code with the model or the search), and recomputes the objective.

use std::collections::{BTreeSet, HashMap};

use domain::offer::OfferStatus;
use domain::Scenario;

use crate::options::Options;
use crate::plan::{Plan, FORMAT};

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Stable code: `unknown_offer`, `offer_not_counted`, `incompatible`, `bad_start`,
    /// `bad_length`, `offer_overloaded`, `requirement_overfilled`, `max_nations`,
    /// `unit_numbers`, `objective_mismatch`, `bound_above_unmet`, `format`.
    pub code: &'static str,
    pub message: String,
}

fn v(code: &'static str, message: String) -> Violation {
    Violation { code, message }
}

/// Checks `plan` against `scenario` under `options`; an empty list means the plan is valid.
pub fn verify(scenario: &Scenario, plan: &Plan, options: &Options) -> Vec<Violation> {
    let mut out = Vec::new();
    if plan.format != FORMAT {
        out.push(v(
            "format",
            format!("format is \"{}\", expected \"{FORMAT}\"", plan.format),
        ));
    }
    let h = scenario.weeks();
    let offers: HashMap<&str, &domain::offer::Offer> = scenario
        .offers()
        .iter()
        .map(|o| (o.id.as_str(), o))
        .collect();
    let reqs: HashMap<&str, &domain::requirement::Requirement> = scenario
        .requirements()
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let mut busy: HashMap<&str, Vec<u64>> = HashMap::new();
    let mut cover: HashMap<&str, Vec<u64>> = HashMap::new();
    let mut nations: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    let mut cost = 0.0;
    for (i, t) in plan.tours.iter().enumerate() {
        let at = format!(
            "tours[{i}] ({} on {} from week {})",
            t.offer, t.requirement, t.start_week
        );
        let (Some(o), Some(r)) = (
            offers.get(t.offer.as_str()),
            reqs.get(t.requirement.as_str()),
        ) else {
            out.push(v(
                "unknown_offer",
                format!("{at}: unknown offer or requirement"),
            ));
            continue;
        };
        if t.units == 0 {
            out.push(v(
                "bad_length",
                format!("{at}: a tour needs at least one unit"),
            ));
            continue;
        }
        let holds = |a: &domain::ids::Assumption| {
            options
                .assume
                .get(a)
                .or_else(|| scenario.assumptions().get(a))
                .copied()
                .unwrap_or(false)
        };
        if o.status == OfferStatus::Withdrawn
            || o.status < options.min_status
            || options.withdraw.contains(&o.nation)
            || !o.requires.iter().all(holds)
        {
            out.push(v(
                "offer_not_counted",
                format!("{at}: offer {} does not count under the options", o.id),
            ));
        }
        if o.nation.as_str() != t.nation {
            out.push(v(
                "incompatible",
                format!(
                    "{at}: nation {} is not the offer's ({})",
                    t.nation, o.nation
                ),
            ));
        }
        if o.capability != r.capability {
            out.push(v(
                "incompatible",
                format!(
                    "{at}: capability {} does not match {}",
                    o.capability, r.capability
                ),
            ));
        }
        if let Some(regions) = &o.regions {
            if !regions.contains(&r.region) {
                out.push(v(
                    "incompatible",
                    format!("{at}: region {} is not in the offer's regions", r.region),
                ));
            }
        }
        if o.roe < r.roe {
            out.push(v(
                "incompatible",
                format!("{at}: the offer's rules of engagement are below the requirement's"),
            ));
        }
        let earliest = o.from_week.max(o.notice_weeks).max(r.from_week);
        if t.start_week < earliest
            || t.start_week > r.to_week
            || t.start_week > o.to_week
            || t.start_week >= h
        {
            out.push(v(
                "bad_start",
                format!(
                    "{at}: start week outside {earliest}..={}",
                    r.to_week.min(o.to_week).min(h - 1)
                ),
            ));
            continue;
        }
        let expected = o
            .tour_weeks
            .min(r.to_week - t.start_week + 1)
            .min(o.to_week - t.start_week + 1)
            .min(h - t.start_week);
        if t.weeks != expected {
            out.push(v(
                "bad_length",
                format!("{at}: lasts {} weeks, must last {expected}", t.weeks),
            ));
            continue;
        }
        let b = busy
            .entry(o.id.as_str())
            .or_insert_with(|| vec![0; h as usize]);
        let busy_end = (t.start_week + t.weeks + o.dwell_weeks).min(h);
        for w in t.start_week..busy_end {
            b[w as usize] += u64::from(t.units);
        }
        let c = cover
            .entry(r.id.as_str())
            .or_insert_with(|| vec![0; h as usize]);
        for w in t.start_week..t.start_week + t.weeks {
            c[w as usize] += u64::from(t.units);
        }
        nations
            .entry(r.id.as_str())
            .or_default()
            .insert(o.nation.as_str());
        cost += f64::from(t.units) * f64::from(t.weeks) * o.cost_per_unit_week;
    }
    // Named units, when given: the right count, within the offer's units, never double-booked.
    let mut unit_busy: HashMap<(&str, u32), Vec<(u32, u32)>> = HashMap::new();
    for (i, t) in plan.tours.iter().enumerate() {
        let Some(o) = offers.get(t.offer.as_str()) else {
            continue;
        };
        if t.unit_numbers.is_empty() {
            continue;
        }
        let end = t.start_week + t.weeks + o.dwell_weeks;
        if t.unit_numbers.len() != t.units as usize
            || t.unit_numbers.iter().any(|&u| u == 0 || u > o.units)
        {
            out.push(v(
                "unit_numbers",
                format!(
                    "tours[{i}]: unit numbers {:?} do not name {} of the offer's {} units",
                    t.unit_numbers, t.units, o.units
                ),
            ));
            continue;
        }
        for &u in &t.unit_numbers {
            let spans = unit_busy.entry((o.id.as_str(), u)).or_default();
            if spans.iter().any(|&(a, b)| t.start_week < b && a < end) {
                out.push(v(
                    "unit_numbers",
                    format!(
                        "tours[{i}]: unit {u} of offer {} is already busy then",
                        o.id
                    ),
                ));
            }
            spans.push((t.start_week, end));
        }
    }
    for o in scenario.offers() {
        if let Some(b) = busy.get(o.id.as_str()) {
            if let Some(w) = (0..h).find(|&w| b[w as usize] > u64::from(o.units)) {
                out.push(v(
                    "offer_overloaded",
                    format!(
                        "offer {}: {} units busy in week {w}, only {} offered",
                        o.id, b[w as usize], o.units
                    ),
                ));
            }
        }
    }
    let (mut unmet_w, mut unmet_uw, mut n_total) = (0u64, 0u64, 0u32);
    for r in scenario.requirements() {
        let c = cover.get(r.id.as_str());
        for w in 0..h {
            let d = u64::from(options.demand(r, w));
            let got = c.map_or(0, |c| c[w as usize]);
            if got > d {
                out.push(v(
                    "requirement_overfilled",
                    format!(
                        "requirement {}: {got} units on tour in week {w}, {d} required",
                        r.id
                    ),
                ));
                break;
            }
        }
        for w in 0..h {
            let d = u64::from(options.demand(r, w));
            let short = d.saturating_sub(c.map_or(0, |c| c[w as usize]));
            unmet_uw += short;
            unmet_w += short * u64::from(r.priority);
        }
        let n = nations.get(r.id.as_str()).map_or(0, BTreeSet::len) as u32;
        n_total += n;
        if let Some(max) = r.max_nations {
            if n > max {
                out.push(v(
                    "max_nations",
                    format!(
                        "requirement {}: served by {n} nations, at most {max} allowed",
                        r.id
                    ),
                ));
            }
        }
    }
    let obj = &plan.objective;
    if obj.unmet_weighted != unmet_w || obj.unmet_unit_weeks != unmet_uw || obj.nations != n_total {
        out.push(v(
            "objective_mismatch",
            format!(
                "plan says unmet {} weighted / {} unit-weeks / {} nations; recomputed {unmet_w} / {unmet_uw} / {n_total}",
                obj.unmet_weighted, obj.unmet_unit_weeks, obj.nations
            ),
        ));
    }
    if (obj.cost - cost).abs() > 1e-6 * (1.0 + cost.abs()) {
        out.push(v(
            "objective_mismatch",
            format!("plan says cost {}, recomputed {cost}", obj.cost),
        ));
    }
    if plan.bound.unmet_weighted > unmet_w {
        out.push(v(
            "bound_above_unmet",
            format!(
                "bound {} exceeds the plan's unmet {unmet_w}",
                plan.bound.unmet_weighted
            ),
        ));
    }
    out
}
