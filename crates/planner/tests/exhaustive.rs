//! On instances small enough to enumerate every plan, the proven bound is at most the optimum,
//! and the planner's plan reaches it.

use domain::offer::OfferStatus;
use domain::Scenario;
use planner::generate::{generate, Size};
use planner::{solve, verify, Options, Params};

/// A candidate tour: offer index, requirement index, start, length.
struct Cand {
    o: usize,
    r: usize,
    start: u32,
    len: u32,
    busy_end: u32,
}

/// The least priority-weighted unmet over all plans, by depth-first enumeration of how many units
/// start each possible tour (written from the rules, sharing no code with the planner).
fn optimum(s: &Scenario) -> u64 {
    let h = s.weeks();
    let holds = |a: &domain::ids::Assumption| s.assumptions().get(a).copied().unwrap_or(false);
    let mut cands = Vec::new();
    for (oi, o) in s.offers().iter().enumerate() {
        if o.status == OfferStatus::Withdrawn || !o.requires.iter().all(holds) {
            continue;
        }
        for (ri, r) in s.requirements().iter().enumerate() {
            let ok = o.capability == r.capability
                && o.regions.as_ref().is_none_or(|rs| rs.contains(&r.region))
                && o.roe >= r.roe;
            if !ok {
                continue;
            }
            let first = o.from_week.max(o.notice_weeks).max(r.from_week);
            let last = o.to_week.min(r.to_week).min(h - 1);
            for start in first..=last {
                let len = o
                    .tour_weeks
                    .min(r.to_week - start + 1)
                    .min(o.to_week - start + 1)
                    .min(h - start);
                cands.push(Cand {
                    o: oi,
                    r: ri,
                    start,
                    len,
                    busy_end: (start + len + o.dwell_weeks).min(h),
                });
            }
        }
    }
    let mut busy = vec![vec![0u32; h as usize]; s.offers().len()];
    let mut cover = vec![vec![0u32; h as usize]; s.requirements().len()];
    let mut nations: Vec<Vec<String>> = vec![Vec::new(); s.requirements().len()];
    let mut best = u64::MAX;
    dfs(s, &cands, 0, &mut busy, &mut cover, &mut nations, &mut best);
    best
}

fn dfs(
    s: &Scenario,
    cands: &[Cand],
    i: usize,
    busy: &mut Vec<Vec<u32>>,
    cover: &mut Vec<Vec<u32>>,
    nations: &mut Vec<Vec<String>>,
    best: &mut u64,
) {
    if i == cands.len() {
        let mut unmet = 0u64;
        for (ri, r) in s.requirements().iter().enumerate() {
            for w in 0..s.weeks() {
                unmet += u64::from(r.demand(w).saturating_sub(cover[ri][w as usize]))
                    * u64::from(r.priority);
            }
        }
        *best = (*best).min(unmet);
        return;
    }
    dfs(s, cands, i + 1, busy, cover, nations, best);
    let c = &cands[i];
    let o = &s.offers()[c.o];
    let r = &s.requirements()[c.r];
    let mut added = 0;
    loop {
        let offer_ok = (c.start..c.busy_end).all(|w| busy[c.o][w as usize] < o.units);
        let req_ok = (c.start..c.start + c.len).all(|w| cover[c.r][w as usize] < r.demand(w));
        let nation = o.nation.to_string();
        let distinct = nations[c.r]
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len() as u32;
        let nation_ok =
            nations[c.r].contains(&nation) || r.max_nations.is_none_or(|k| distinct < k);
        if !(offer_ok && req_ok && nation_ok) {
            break;
        }
        for w in c.start..c.busy_end {
            busy[c.o][w as usize] += 1;
        }
        for w in c.start..c.start + c.len {
            cover[c.r][w as usize] += 1;
        }
        nations[c.r].push(nation);
        added += 1;
        dfs(s, cands, i + 1, busy, cover, nations, best);
    }
    for _ in 0..added {
        for w in c.start..c.busy_end {
            busy[c.o][w as usize] -= 1;
        }
        for w in c.start..c.start + c.len {
            cover[c.r][w as usize] -= 1;
        }
        nations[c.r].pop();
    }
}

/// Plans `s` and checks the plan and `bound ≤ optimum ≤ unmet`; returns the three.
fn check(
    s: &Scenario,
    seed: u64,
    search_seed: u64,
    iterations: u64,
    stall: u64,
    threads: usize,
) -> (u64, u64, u64) {
    let opt = optimum(s);
    let params = Params {
        seed: search_seed,
        max_iterations: iterations,
        stall_iterations: stall,
        threads,
    };
    let p = solve(
        s,
        &Options::default(),
        &params,
        &mut |_: &planner::Progress| true,
    )
    .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    assert!(verify(s, &p, &Options::default()).is_empty());
    let (bound, unmet) = (p.bound.unmet_weighted, p.objective.unmet_weighted);
    assert!(
        bound <= opt,
        "seed {seed}: bound {bound} above the optimum {opt}"
    );
    assert!(
        opt <= unmet,
        "seed {seed}: plan {unmet} better than the optimum {opt}: enumeration is wrong"
    );
    eprintln!("seed {seed}: bound {bound} optimum {opt} plan {unmet}");
    (bound, opt, unmet)
}

#[test]
fn bound_le_optimum_le_plan_on_enumerable_instances() {
    let mut reached = 0;
    let total = 40;
    for seed in 1..=total {
        let s = generate(Size::TINY, seed);
        // Odd seeds search on two threads (components dealt out and merged), even ones on one.
        let (_, opt, unmet) = check(&s, seed, 3, 3_000, 300, 1 + (seed % 2) as usize);
        if unmet == opt {
            reached += 1;
        }
    }
    assert_eq!(
        reached,
        total,
        "the planner missed the optimum on {} of {total} instances",
        total - reached
    );
}

/// A xorshift stream of numbers below `n`, seeded from `seed` and `mix`: instances vary with the
/// seed, reproducibly, without the planner's own generator.
fn numbers(seed: u64, mix: u64) -> impl FnMut(u64) -> u64 {
    let mut x = seed.wrapping_mul(mix) | 1;
    move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x % n
    }
}

/// Numbers below the argument, as [`numbers`] draws them.
type Draw = dyn FnMut(u64) -> u64;
/// The fields of an offer or requirement that vary, drawn from the numbers given.
type Fields = dyn Fn(&mut Draw) -> serde_json::Value;

/// A scenario of one capability, `CAP.X`, over `weeks`: one offer per nation and `reqs`
/// requirements over the whole horizon. `offer` and `requirement` give the fields that vary
/// (drawn from `next`); the rest are fixed.
fn one_capability(
    name: &str,
    weeks: u64,
    nations: &[&str],
    reqs: usize,
    next: &mut Draw,
    offer: &Fields,
    requirement: &Fields,
) -> Scenario {
    let merge = |mut fixed: serde_json::Value, varying: serde_json::Value| {
        if let (Some(f), serde_json::Value::Object(v)) = (fixed.as_object_mut(), varying) {
            f.extend(v);
        }
        fixed
    };
    let offers: Vec<serde_json::Value> = nations
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let fixed = serde_json::json!({"id": format!("O{i}"), "nation": n,
                "capability": "CAP.X", "from_week": 0, "to_week": weeks - 1, "roe": "robust",
                "status": "confirmed"});
            merge(fixed, offer(next))
        })
        .collect();
    let requirements: Vec<serde_json::Value> = (0..reqs)
        .map(|i| {
            let fixed = serde_json::json!({"id": format!("R{i}"), "line": "land",
                "capability": "CAP.X", "region": "UA-30", "from_week": 0, "to_week": weeks - 1,
                "roe": "mandate"});
            merge(fixed, requirement(next))
        })
        .collect();
    let nations: Vec<serde_json::Value> = nations
        .iter()
        .map(|n| serde_json::json!({"code": n, "name": n}))
        .collect();
    let v = serde_json::json!({"format": "coalition.scenario/1", "name": name,
        "start": "2026-01-05", "weeks": weeks, "assumptions": {},
        "nations": nations,
        "capabilities": [{"code": "CAP.X", "name": "X", "domain": "land", "personnel": 100,
                          "sidc": "10031000001211000000"}],
        "offers": offers, "requirements": requirements});
    Scenario::from_value(&v).unwrap_or_else(|e| panic!("the instance {name:?} is invalid: {e}"))
}

/// Instances where `max_nations` binds: four nations offer one capability to two requirements
/// capped at one or two nations each, so the bound chooses nations for them (by pricing, then by
/// branching on the choices once its multipliers settle). Tours, dwell, units and priorities
/// vary with the seed.
fn capped(seed: u64) -> Scenario {
    let offer = |next: &mut Draw| {
        let tour = 2 + next(4);
        serde_json::json!({"units": 1 + next(2), "notice_weeks": next(3), "tour_weeks": tour,
            "dwell_weeks": tour * (1 + next(2)), "cost_per_unit_week": 1 + next(5)})
    };
    let requirement = |next: &mut Draw| {
        serde_json::json!({"units": 1 + next(2), "priority": 1 + next(9),
            "max_nations": 1 + next(2)})
    };
    let mut next = numbers(seed, 0x9E37_79B9_7F4A_7C15);
    let nations = ["AAA", "BBB", "CCC", "DDD"];
    one_capability(
        "Exercise capped",
        8,
        &nations,
        2,
        &mut next,
        &offer,
        &requirement,
    )
}

#[test]
fn bound_le_optimum_where_max_nations_binds() {
    let total = 40;
    let mut proved = 0;
    for seed in 1..=total {
        let (bound, opt, _) = check(&capped(seed), seed, 5, 20_000, 20_000, 1);
        if bound == opt {
            proved += 1;
        }
    }
    // Pricing the nations alone leaves five of these below the optimum (seeds 11, 16, 29, 30
    // and 32); branching on the choice of nations closes them.
    assert_eq!(
        proved,
        total,
        "the bound fell short of the optimum on {} of {total} instances",
        total - proved
    );
}

/// Instances whose requirements have a gap in their profile: some weeks inside the window
/// require no unit, so no tour may cover them, and the weeks just before a gap can be covered
/// only by tours short enough to end before it. Three nations offer one capability to two
/// requirements; tours, dwell, notice, units, gaps and priorities vary with the seed.
fn gapped(seed: u64) -> Scenario {
    let offer = |next: &mut Draw| {
        let tour = 2 + next(4);
        serde_json::json!({"units": 1 + next(2), "notice_weeks": next(3), "tour_weeks": tour,
            "dwell_weeks": next(tour + 1), "cost_per_unit_week": 1 + next(5)})
    };
    let requirement = |next: &mut Draw| {
        let from = 2 + next(5);
        serde_json::json!({"units": 1 + next(2), "priority": 1 + next(9),
            "profile": [{"from_week": from, "to_week": from + next(3), "units": 0}]})
    };
    let mut next = numbers(seed, 0xD1B5_4A32_D192_ED03);
    let nations = ["AAA", "BBB", "CCC"];
    one_capability(
        "Exercise gapped",
        10,
        &nations,
        2,
        &mut next,
        &offer,
        &requirement,
    )
}

#[test]
fn bound_le_optimum_where_profiles_have_gaps() {
    let total = 40;
    let mut proved = 0;
    let mut reached = 0;
    for seed in 1..=total {
        let (bound, opt, unmet) = check(&gapped(seed), seed, 7, 3_000, 300, 1);
        proved += u64::from(bound == opt);
        reached += u64::from(unmet == opt);
    }
    eprintln!("gapped: the bound proved the optimum on {proved} of {total}, the plan reached it on {reached}");
    assert_eq!(reached, total, "the planner missed the optimum");
    // Seeds 11, 13 and 39 stay 2-4 below: tours of fixed length cannot tile what the
    // relaxation covers in fractions.
    assert!(
        proved >= 37,
        "the bound proved only {proved} optima of {total}"
    );
}
