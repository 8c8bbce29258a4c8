//! Turning a solved state into the plan file: merged tours, coverage by line, gaps with their
//! reasons, and the marginal value of more units.

use std::collections::{BTreeMap, BTreeSet};

use domain::offer::Offer;
use domain::requirement::Requirement;
use domain::Scenario;

use crate::model::{compatible, Model};
use crate::options::Options;
use crate::plan::{
    Bound, Gap, LineCoverage, Marginal, Objective, Plan, PlannedTour, Reason, ReasonCode, Stats,
    Status, FORMAT,
};
use crate::solve::Solution;
use crate::state::{State, Tour};

pub(crate) fn plan(
    s: &Scenario,
    opts: &Options,
    sol: &Solution,
    status: Status,
    bound: u64,
) -> Plan {
    let (m, st) = (&sol.model, &sol.state);
    let mut merged: BTreeMap<(usize, usize, u32, u32), u32> = BTreeMap::new();
    for t in &st.tours {
        *merged
            .entry((m.offers[t.o].src, t.r, t.start, t.len))
            .or_default() += 1;
    }
    let mut tours: Vec<PlannedTour> = merged
        .into_iter()
        .map(|((o, r, start, len), units)| PlannedTour {
            offer: s.offers()[o].id.to_string(),
            nation: s.offers()[o].nation.to_string(),
            requirement: s.requirements()[m.reqs[r].src].id.to_string(),
            start_week: start,
            weeks: len,
            units,
            unit_numbers: Vec::new(),
        })
        .collect();
    tours.sort_by(|a, b| {
        (a.requirement.as_str(), a.start_week, a.offer.as_str()).cmp(&(
            b.requirement.as_str(),
            b.start_week,
            b.offer.as_str(),
        ))
    });
    crate::units::assign(&mut tours, |id| {
        s.offers()
            .iter()
            .find(|o| o.id.as_str() == id)
            .map_or(0, |o| o.dwell_weeks)
    });
    let unmet_unit_weeks: u64 = m
        .reqs
        .iter()
        .enumerate()
        .map(|(r, req)| {
            req.demand
                .iter()
                .zip(&st.cover[r])
                .map(|(&d, &c)| u64::from(d.saturating_sub(c)))
                .sum::<u64>()
        })
        .sum();
    let mut marginal: Vec<Marginal> = m
        .offers
        .iter()
        .enumerate()
        .map(|(o, of)| Marginal {
            offer: s.offers()[of.src].id.to_string(),
            nation: s.offers()[of.src].nation.to_string(),
            value_per_unit: (sol.lag.value_to_go[o][0] * 10.0).round() / 10.0,
        })
        .filter(|x| x.value_per_unit >= 1.0)
        .collect();
    marginal.sort_by(|a, b| {
        b.value_per_unit
            .total_cmp(&a.value_per_unit)
            .then(a.offer.cmp(&b.offer))
    });
    marginal.truncate(25);
    Plan {
        format: FORMAT.to_owned(),
        scenario: s.name().to_owned(),
        options: opts.clone(),
        status,
        objective: Objective {
            unmet_weighted: st.unmet,
            unmet_unit_weeks,
            cost: (st.cost * 1e6).round() / 1e6,
            nations: st.nations,
        },
        bound: Bound {
            unmet_weighted: bound,
        },
        tours,
        gaps: gaps(s, opts, m, st),
        lines: lines(s, m, st),
        marginal,
        stats: Stats {
            solve_ms: 0,
            iterations: sol.iterations,
            bound_iterations: sol.lag.iterations,
            components: m.components.len(),
            trajectory: Vec::new(),
        },
    }
}

fn lines(s: &Scenario, m: &Model, st: &State) -> Vec<LineCoverage> {
    let mut by: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (r, req) in m.reqs.iter().enumerate() {
        let e = by
            .entry(s.requirements()[req.src].line.to_string())
            .or_default();
        for (&d, &c) in req.demand.iter().zip(&st.cover[r]) {
            e.0 += u64::from(d);
            e.1 += u64::from(c.min(d));
        }
    }
    by.into_iter()
        .map(|(line, (req, cov))| LineCoverage {
            line,
            required_unit_weeks: req,
            covered_unit_weeks: cov,
        })
        .collect()
}

/// What explaining gaps needs, indexed once: the model offer of each scenario offer, and each
/// model offer's tours.
struct Ctx<'a> {
    s: &'a Scenario,
    opts: &'a Options,
    m: &'a Model,
    st: &'a State,
    model_offer: Vec<Option<usize>>,
    tours_of: Vec<Vec<Tour>>,
}

fn gaps(s: &Scenario, opts: &Options, m: &Model, st: &State) -> Vec<Gap> {
    let mut model_offer = vec![None; s.offers().len()];
    for (o, of) in m.offers.iter().enumerate() {
        model_offer[of.src] = Some(o);
    }
    let mut tours_of = vec![Vec::new(); m.offers.len()];
    for t in &st.tours {
        tours_of[t.o].push(*t);
    }
    let ctx = Ctx {
        s,
        opts,
        m,
        st,
        model_offer,
        tours_of,
    };
    let mut out = Vec::new();
    for (r, req) in m.reqs.iter().enumerate() {
        let mut w = req.from;
        while w <= req.to {
            let short = |w: u32| req.demand[w as usize].saturating_sub(st.cover[r][w as usize]);
            if short(w) == 0 {
                w += 1;
                continue;
            }
            let a = w;
            let (mut missing, mut unit_weeks) = (0, 0u64);
            while w <= req.to && short(w) > 0 {
                missing = missing.max(short(w));
                unit_weeks += u64::from(short(w));
                w += 1;
            }
            let sr = &s.requirements()[req.src];
            out.push(Gap {
                requirement: sr.id.to_string(),
                line: sr.line.to_string(),
                from_week: a,
                to_week: w - 1,
                missing,
                unit_weeks,
                weighted: unit_weeks * req.priority,
                reasons: reasons(&ctx, r, a, w - 1),
            });
        }
    }
    out.sort_by(|a, b| {
        b.weighted
            .cmp(&a.weighted)
            .then(a.requirement.cmp(&b.requirement))
            .then(a.from_week.cmp(&b.from_week))
    });
    out
}

/// Why no offer covered requirement `r` in weeks `a..=b`, offer by offer, grouped by reason.
fn reasons(ctx: &Ctx<'_>, r: usize, a: u32, b: u32) -> Vec<Reason> {
    let (s, opts, m) = (ctx.s, ctx.opts, ctx.m);
    let sr: &Requirement = &s.requirements()[m.reqs[r].src];
    let mut grouped: BTreeMap<ReasonCode, (Vec<String>, u32, BTreeSet<String>)> = BTreeMap::new();
    let mut note = |code: ReasonCode, o: &Offer, detail: Vec<String>| {
        let e = grouped.entry(code).or_default();
        e.0.push(o.id.to_string());
        e.1 += o.units;
        e.2.extend(detail);
    };
    let same_cap: Vec<(usize, &Offer)> = s
        .offers()
        .iter()
        .enumerate()
        .filter(|(_, o)| o.capability == sr.capability)
        .collect();
    if same_cap.is_empty() {
        return vec![Reason {
            code: ReasonCode::NoOfferOfCapability,
            offers: Vec::new(),
            units: 0,
            detail: vec![sr.capability.to_string()],
        }];
    }
    // Every offer of the capability is looked at; one fully on tour here explains nothing.
    for (i, o) in same_cap {
        if opts.withdraw.contains(&o.nation) {
            note(ReasonCode::NationWithdrawn, o, vec![o.nation.to_string()]);
        } else if o.status == domain::offer::OfferStatus::Withdrawn {
            note(ReasonCode::OfferWithdrawn, o, Vec::new());
        } else if o.status < opts.min_status {
            note(
                ReasonCode::BelowMinStatus,
                o,
                vec![o.status.as_str().to_owned()],
            );
        } else if let Some(a) = o.requires.iter().find(|a| !opts.holds(s, a)) {
            note(ReasonCode::RequiresAssumption, o, vec![a.to_string()]);
        } else if !o.allows_region(&sr.region) {
            note(ReasonCode::ExcludedByRegion, o, vec![sr.region.to_string()]);
        } else if !compatible(o, sr) {
            note(ReasonCode::ExcludedByRoe, o, Vec::new());
        } else if !can_reach(o, sr, a, b, s.weeks(), true) {
            let code = if can_reach(o, sr, a, b, s.weeks(), false) {
                ReasonCode::NoticeTooLong
            } else {
                ReasonCode::OutsideOfferWindow
            };
            note(code, o, Vec::new());
        } else if let Some(mo) = ctx.model_offer[i] {
            if let Some((code, detail)) = binding(ctx, mo, r, a, b) {
                note(code, o, detail);
            }
        }
    }
    if grouped.is_empty() {
        return vec![Reason {
            code: ReasonCode::InsufficientUnits,
            offers: Vec::new(),
            units: 0,
            detail: Vec::new(),
        }];
    }
    let mut out: Vec<Reason> = grouped
        .into_iter()
        .map(|(code, (offers, units, detail))| Reason {
            code,
            offers,
            units,
            detail: detail.into_iter().collect(),
        })
        .collect();
    // Binding reasons first (they name the offers that could have served), then exclusions by
    // the number of units they keep out.
    let binding_code = |c: ReasonCode| {
        matches!(
            c,
            ReasonCode::CompetingPriority | ReasonCode::RotationCapacity | ReasonCode::MaxNations
        )
    };
    out.sort_by(|x, y| {
        binding_code(y.code)
            .cmp(&binding_code(x.code))
            .then(y.units.cmp(&x.units))
            .then(x.code.cmp(&y.code))
    });
    out
}

/// Whether some tour of the offer could cover a week in `a..=b` (ignoring notice if `notice` is false).
fn can_reach(o: &Offer, r: &Requirement, a: u32, b: u32, horizon: u32, notice: bool) -> bool {
    let earliest = if notice {
        o.from_week.max(o.notice_weeks)
    } else {
        o.from_week
    }
    .max(r.from_week);
    let last_start = o.to_week.min(r.to_week).min(horizon - 1).min(b);
    (earliest..=last_start).any(|s| {
        let end = r.to_week.min(o.to_week).min(horizon - 1);
        let len = o.tour_weeks.min(end - s + 1);
        s + len > a
    })
}

/// Why an offer that could serve did not: its units were busy elsewhere, resting after this
/// requirement's own tours, or idle but unable to fit a tour (or blocked by `max_nations`).
/// `None` when its units were on tour on this requirement throughout the gap.
fn binding(ctx: &Ctx<'_>, o: usize, r: usize, a: u32, b: u32) -> Option<(ReasonCode, Vec<String>)> {
    let (s, m, st) = (ctx.s, ctx.m, ctx.st);
    let units = m.offers[o].units;
    if (a..=b).any(|w| st.busy[o][w as usize] < units) {
        if !st.nation_allowed(m, o, r) {
            return Some((
                ReasonCode::MaxNations,
                vec![format!(
                    "max_nations {}",
                    m.reqs[r].max_nations.unwrap_or(0)
                )],
            ));
        }
        return Some((ReasonCode::RotationCapacity, Vec::new()));
    }
    let mut others = BTreeSet::new();
    let mut resting_here = false;
    for t in &ctx.tours_of[o] {
        let end = m.busy_end(o, t.start, t.len);
        if t.start > b || end <= a {
            continue;
        }
        if t.r != r {
            let other = &s.requirements()[m.reqs[t.r].src];
            others.insert(format!("{} (priority {})", other.id, other.priority));
        } else if t.start + t.len <= b && end > a.max(t.start + t.len) {
            resting_here = true;
        }
    }
    if !others.is_empty() {
        Some((ReasonCode::CompetingPriority, others.into_iter().collect()))
    } else if resting_here {
        Some((ReasonCode::RotationCapacity, Vec::new()))
    } else {
        None
    }
}
