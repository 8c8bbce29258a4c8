//! The planner against its checker, exhaustive search and hand-built gaps.
#![expect(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use domain::Scenario;
use planner::generate::{generate, Size};
use planner::plan::ReasonCode;
use planner::{solve, verify, Options, Params, Plan};
use serde_json::{json, Value};
use std::collections::HashMap;

fn params(iterations: u64) -> Params {
    Params {
        seed: 7,
        max_iterations: iterations,
        stall_iterations: 300,
        threads: 1,
    }
}

fn plan(s: &Scenario, opts: &Options, iterations: u64) -> Plan {
    solve(
        s,
        opts,
        &params(iterations),
        &mut |_: &planner::Progress| true,
    )
    .unwrap()
}

fn exercise() -> Scenario {
    Scenario::parse(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/exercise.json"
        ))
        .unwrap(),
    )
    .unwrap()
}

fn assert_valid(s: &Scenario, p: &Plan, opts: &Options) {
    let violations = verify(s, p, opts);
    assert!(violations.is_empty(), "{}: {violations:?}", s.name());
    assert!(p.bound.unmet_weighted <= p.objective.unmet_weighted);
}

#[test]
fn plans_of_the_exercise_verify_under_what_ifs() {
    let s = exercise();
    let base = plan(&s, &Options::default(), 4_000);
    assert_valid(&s, &base, &Options::default());
    assert_full(&s, &base, &Options::default());
    assert!(!base.tours.is_empty());
    // What-ifs: no US backstop, two lead nations withdrawn, only firm offers.
    let mut no_us = Options::default();
    no_us.assume.insert("us_backstop".parse().unwrap(), false);
    let no_lead = Options {
        withdraw: Options::parse_withdraw("GBR,FRA").unwrap(),
        ..Options::default()
    };
    let firm = Options {
        min_status: domain::offer::OfferStatus::Confirmed,
        ..Options::default()
    };
    for opts in [no_us, no_lead, firm] {
        let p = plan(&s, &opts, 2_000);
        assert_valid(&s, &p, &opts);
        assert_full(&s, &p, &opts);
        assert!(
            p.objective.unmet_weighted >= base.bound.unmet_weighted,
            "fewer offers cannot beat the baseline's bound"
        );
        // The baseline plan uses offers these options exclude, so it must not verify under them.
        let strict = verify(&s, &base, &opts);
        assert!(strict
            .iter()
            .any(|v| v.code == "offer_not_counted" || v.code == "objective_mismatch"));
    }
}

#[test]
fn two_threads_give_one_reproducible_plan_and_stop_together() {
    let s = exercise();
    let opts = Options::default();
    let two = Params {
        threads: 2,
        ..params(3_000)
    };
    let (mut seen, mut lowest) = (0, u64::MAX);
    let a = solve(&s, &opts, &two, &mut |p: &planner::Progress| {
        seen = seen.max(p.iteration);
        lowest = lowest.min(p.unmet_weighted);
        true
    })
    .unwrap();
    assert_valid(&s, &a, &opts);
    // Progress counts every component from the first report on: never below the final plan.
    assert!(
        lowest >= a.objective.unmet_weighted,
        "progress showed {lowest}, the plan leaves {}",
        a.objective.unmet_weighted
    );
    // Each thread runs up to 3,000 iterations; the caller sees their sum.
    assert!(seen > 3_000, "progress sums the threads ({seen})");
    assert!(a.stats.iterations >= seen);
    let b = solve(&s, &opts, &two, &mut |_: &planner::Progress| true).unwrap();
    assert_eq!(
        a.tours, b.tours,
        "a seed gives one plan however the threads run"
    );
    assert_eq!(a.bound, b.bound);

    // Once the caller says stop, both threads stop: the plan is cut short but valid.
    let mut calls = 0;
    let cut = solve(&s, &opts, &two, &mut |_: &planner::Progress| {
        calls += 1;
        calls < 20
    })
    .unwrap();
    assert_eq!(cut.status, planner::plan::Status::TimeLimit);
    assert_valid(&s, &cut, &opts);
    // Each thread asks every 64 iterations: 19 yeses, then at most one round more each.
    assert!(
        cut.stats.iterations <= 21 * 64,
        "{} iterations after the stop",
        cut.stats.iterations
    );
}

/// A tour that could be added to the plan, if any: one more unit of an offer on a requirement of
/// its capability from some week, such that the plan with it breaks no rule (the checker says),
/// other than leaving a different objective. A plan the planner writes has none.
///
/// Only tours that neither overfill the requirement nor overload the offer are put to the
/// checker: the others break a rule on their face.
fn addable(s: &Scenario, p: &Plan, opts: &Options) -> Option<String> {
    let h = s.weeks();
    // Units on tour per requirement and week, and busy per offer and week, from the plan.
    let mut cover: HashMap<&str, Vec<u32>> = HashMap::new();
    let mut busy: HashMap<&str, Vec<u32>> = HashMap::new();
    for t in &p.tours {
        let dwell = s
            .offers()
            .iter()
            .find(|o| o.id.as_str() == t.offer)
            .map_or(0, |o| o.dwell_weeks);
        let c = cover
            .entry(&t.requirement)
            .or_insert_with(|| vec![0; h as usize]);
        for w in t.start_week..t.start_week + t.weeks {
            c[w as usize] += t.units;
        }
        let b = busy.entry(&t.offer).or_insert_with(|| vec![0; h as usize]);
        for w in t.start_week..(t.start_week + t.weeks + dwell).min(h) {
            b[w as usize] += t.units;
        }
    }
    let none = vec![0; h as usize];
    let breaks = |plan: &Plan| {
        verify(s, plan, opts)
            .iter()
            .any(|v| !matches!(v.code, "objective_mismatch" | "bound_above_unmet"))
    };
    let mut bare = Plan {
        tours: Vec::new(),
        ..p.clone()
    };
    for o in s.offers() {
        let busy = busy.get(o.id.as_str()).unwrap_or(&none);
        for r in s
            .requirements()
            .iter()
            .filter(|r| r.capability == o.capability)
        {
            let cover = cover.get(r.id.as_str()).unwrap_or(&none);
            let end = (h - 1).min(r.to_week).min(o.to_week);
            for start in 0..=end {
                let weeks = o.tour_weeks.min(end - start + 1);
                let busy_end = (start + weeks + o.dwell_weeks).min(h);
                if (start..start + weeks).any(|w| cover[w as usize] >= r.demand(w))
                    || (start..busy_end).any(|w| busy[w as usize] >= o.units)
                {
                    continue;
                }
                let tour = planner::plan::PlannedTour {
                    offer: o.id.to_string(),
                    nation: o.nation.to_string(),
                    requirement: r.id.to_string(),
                    start_week: start,
                    weeks,
                    units: 1,
                    unit_numbers: Vec::new(),
                };
                // A tour no plan may hold (caveats, notice, options) is told apart cheaply, on
                // its own; the rest are checked with the whole plan.
                bare.tours.push(tour.clone());
                let alone = breaks(&bare);
                bare.tours.clear();
                if alone {
                    continue;
                }
                let mut more = p.clone();
                more.tours.push(tour);
                if !breaks(&more) {
                    return Some(format!("{} on {} from week {start}", o.id, r.id));
                }
            }
        }
    }
    None
}

fn assert_full(s: &Scenario, p: &Plan, opts: &Options) {
    if let Some(tour) = addable(s, p, opts) {
        panic!("{}: one more unit of {tour} fits the plan", s.name());
    }
}

#[test]
fn plans_of_fifty_generated_instances_verify() {
    for seed in 1..=50 {
        let s = generate(Size::TEST, seed);
        let p = plan(&s, &Options::default(), 1_500);
        assert_valid(&s, &p, &Options::default());
        assert_full(&s, &p, &Options::default());
        // The check of fullness finds the place of a unit taken out of the plan.
        if let Some(i) = p.tours.iter().position(|t| t.units == 1) {
            let mut less = p.clone();
            less.tours.remove(i);
            assert!(addable(&s, &less, &Options::default()).is_some());
        }
        let text = p.to_json_pretty();
        assert_eq!(Plan::parse(&text).unwrap(), p, "plan files round-trip");
    }
}

#[test]
fn the_checker_rejects_each_kind_of_invalid_plan() {
    let s = generate(Size::TEST, 3);
    let opts = Options::default();
    let good = plan(&s, &opts, 1_500);
    assert_valid(&s, &good, &opts);
    assert!(good.tours.len() >= 3);
    let codes = |p: &Plan| {
        verify(&s, p, &opts)
            .into_iter()
            .map(|v| v.code)
            .collect::<Vec<_>>()
    };
    let mutate = |f: &dyn Fn(&mut Plan)| {
        let mut p = good.clone();
        f(&mut p);
        p
    };
    let cases: Vec<(&str, Plan)> = vec![
        (
            "unknown_offer",
            mutate(&|p| p.tours[0].offer = "NOPE".into()),
        ),
        ("bad_length", mutate(&|p| p.tours[0].weeks += 1)),
        (
            "bad_start",
            mutate(&|p| p.tours[0].start_week = s.weeks() + 5),
        ),
        ("offer_overloaded", mutate(&|p| p.tours[0].units += 50)),
        (
            "requirement_overfilled",
            mutate(&|p| p.tours[0].units += 50),
        ),
        (
            "objective_mismatch",
            mutate(&|p| p.objective.unmet_weighted += 1),
        ),
        ("objective_mismatch", mutate(&|p| p.objective.cost += 1.0)),
        (
            "bound_above_unmet",
            mutate(&|p| p.bound.unmet_weighted = p.objective.unmet_weighted + 1),
        ),
        ("format", mutate(&|p| p.format = "coalition.plan/9".into())),
        (
            "incompatible",
            mutate(&|p| p.tours[0].nation = "ZZZ".into()),
        ),
        (
            "unit_numbers",
            mutate(&|p| p.tours[0].unit_numbers = vec![99]),
        ),
    ];
    for (code, bad) in &cases {
        let got = codes(bad);
        assert!(got.contains(code), "expected {code}, got {got:?}");
    }
    // A tour on a requirement of another capability.
    let other = s.requirements().iter().find(|r| {
        let o = s
            .offers()
            .iter()
            .find(|o| o.id.as_str() == good.tours[0].offer)
            .unwrap();
        r.capability != o.capability
    });
    if let Some(r) = other {
        let bad = mutate(&|p| p.tours[0].requirement = r.id.to_string());
        assert!(codes(&bad).contains(&"incompatible"));
    }
    // An offer that does not count under the options.
    let mut strict = Options::default();
    strict.withdraw.insert(
        s.offers()
            .iter()
            .find(|o| o.id.as_str() == good.tours[0].offer)
            .unwrap()
            .nation
            .clone(),
    );
    assert!(verify(&s, &good, &strict)
        .iter()
        .any(|v| v.code == "offer_not_counted"));
}

#[test]
fn max_nations_is_respected_and_checked() {
    let s = scenario(
        vec![
            offer("A1", "AAA", 1, 4, 0, None),
            offer("B1", "BBB", 1, 4, 0, None),
        ],
        vec![
            json!({"id": "R", "line": "land", "capability": "CAP.X", "region": "UA-30", "units": 2,
                    "from_week": 0, "to_week": 7, "roe": "mandate", "priority": 5, "max_nations": 1}),
        ],
        8,
    );
    let p = plan(&s, &Options::default(), 500);
    assert_valid(&s, &p, &Options::default());
    let nations: std::collections::BTreeSet<_> = p.tours.iter().map(|t| t.nation.clone()).collect();
    assert_eq!(nations.len(), 1);
    let mut two = p.clone();
    let other = if nations.contains("AAA") {
        ("B1", "BBB")
    } else {
        ("A1", "AAA")
    };
    two.tours.push(planner::plan::PlannedTour {
        offer: other.0.into(),
        nation: other.1.into(),
        requirement: "R".into(),
        start_week: 0,
        weeks: 4,
        units: 1,
        unit_numbers: Vec::new(),
    });
    assert!(verify(&s, &two, &Options::default())
        .iter()
        .any(|v| v.code == "max_nations"));
}

// ---- hand-built scenarios ----

fn offer(
    id: &str,
    nation: &str,
    units: u32,
    tour: u32,
    dwell: u32,
    regions: Option<Vec<&str>>,
) -> Value {
    let mut o = json!({"id": id, "nation": nation, "capability": "CAP.X", "units": units, "from_week": 0,
        "to_week": 7, "notice_weeks": 0, "tour_weeks": tour, "dwell_weeks": dwell, "roe": "robust",
        "status": "confirmed", "cost_per_unit_week": 1});
    if let Some(r) = regions {
        o["regions"] = json!(r);
    }
    o
}

fn requirement(id: &str, units: u32, priority: u32) -> Value {
    json!({"id": id, "line": "land", "capability": "CAP.X", "region": "UA-30", "units": units,
           "from_week": 0, "to_week": 7, "roe": "mandate", "priority": priority})
}

fn scenario(offers: Vec<Value>, requirements: Vec<Value>, weeks: u32) -> Scenario {
    let v = json!({"format": "coalition.scenario/1", "name": "Exercise hand-built", "start": "2026-01-05",
        "weeks": weeks, "assumptions": {"us_backstop": true},
        "nations": [{"code": "AAA", "name": "A"}, {"code": "BBB", "name": "B"}],
        "capabilities": [{"code": "CAP.X", "name": "X", "domain": "land", "personnel": 100, "sidc": "10031000001211000000"},
                         {"code": "CAP.Y", "name": "Y", "domain": "land", "personnel": 100, "sidc": "10031000001211000000"}],
        "offers": offers, "requirements": requirements});
    Scenario::from_value(&v).unwrap()
}

fn first_reason(s: &Scenario, opts: &Options, req: &str) -> ReasonCode {
    let p = solve(s, opts, &params(500), &mut |_: &planner::Progress| true).unwrap();
    assert_valid(s, &p, opts);
    let gap = p
        .gaps
        .iter()
        .find(|g| g.requirement == req)
        .unwrap_or_else(|| panic!("no gap on {req}: {p:?}"));
    gap.reasons[0].code
}

#[test]
fn every_gap_reason_on_a_case_built_for_it() {
    let base = Options::default();
    let with = |f: &dyn Fn(&mut Value)| {
        let mut o = offer("A1", "AAA", 1, 8, 0, None);
        f(&mut o);
        scenario(vec![o], vec![requirement("R", 1, 5)], 8)
    };
    let mut y = requirement("R", 1, 5);
    y["capability"] = json!("CAP.Y");
    let none = scenario(vec![offer("A1", "AAA", 1, 8, 0, None)], vec![y], 8);
    assert_eq!(
        first_reason(&none, &base, "R"),
        ReasonCode::NoOfferOfCapability
    );
    assert_eq!(
        first_reason(&with(&|o| o["regions"] = json!(["PL-EAST"])), &base, "R"),
        ReasonCode::ExcludedByRegion
    );
    assert_eq!(
        first_reason(&with(&|o| o["roe"] = json!("self_defence")), &base, "R"),
        ReasonCode::ExcludedByRoe
    );
    let mut no_us = Options::default();
    no_us.assume.insert("us_backstop".parse().unwrap(), false);
    assert_eq!(
        first_reason(
            &with(&|o| o["requires"] = json!(["us_backstop"])),
            &no_us,
            "R"
        ),
        ReasonCode::RequiresAssumption
    );
    let firm = Options {
        min_status: domain::offer::OfferStatus::Confirmed,
        ..Options::default()
    };
    assert_eq!(
        first_reason(&with(&|o| o["status"] = json!("offered")), &firm, "R"),
        ReasonCode::BelowMinStatus
    );
    assert_eq!(
        first_reason(&with(&|o| o["status"] = json!("withdrawn")), &base, "R"),
        ReasonCode::OfferWithdrawn
    );
    let mut out = Options::default();
    out.withdraw.insert("AAA".parse().unwrap());
    assert_eq!(
        first_reason(&with(&|_| ()), &out, "R"),
        ReasonCode::NationWithdrawn
    );
    let mut early = requirement("R", 1, 5);
    early["to_week"] = json!(3);
    let mut slow = offer("A1", "AAA", 1, 8, 0, None);
    slow["notice_weeks"] = json!(5);
    assert_eq!(
        first_reason(&scenario(vec![slow], vec![early.clone()], 8), &base, "R"),
        ReasonCode::NoticeTooLong
    );
    let mut late = offer("A1", "AAA", 1, 8, 0, None);
    late["from_week"] = json!(5);
    assert_eq!(
        first_reason(&scenario(vec![late], vec![early], 8), &base, "R"),
        ReasonCode::OutsideOfferWindow
    );
    // One unit, two weeks on and two off: it cannot cover every week.
    let rotation = scenario(
        vec![offer("A1", "AAA", 1, 2, 2, None)],
        vec![requirement("R", 1, 5)],
        8,
    );
    assert_eq!(
        first_reason(&rotation, &base, "R"),
        ReasonCode::RotationCapacity
    );
    // Two nations could each cover one of two units, but only one nation is allowed.
    let mut capped = requirement("R", 2, 5);
    capped["max_nations"] = json!(1);
    let two = scenario(
        vec![
            offer("A1", "AAA", 1, 8, 0, None),
            offer("B1", "BBB", 1, 8, 0, None),
        ],
        vec![capped],
        8,
    );
    assert_eq!(first_reason(&two, &base, "R"), ReasonCode::MaxNations);
    // Two units needed, one offered, on tour all along.
    let short = scenario(
        vec![offer("A1", "AAA", 1, 8, 0, None)],
        vec![requirement("R", 2, 5)],
        8,
    );
    assert_eq!(
        first_reason(&short, &base, "R"),
        ReasonCode::InsufficientUnits
    );
    // One unit, two requirements: the lower priority one goes short.
    let compete = scenario(
        vec![offer("A1", "AAA", 1, 8, 0, None)],
        vec![requirement("HI", 1, 9), requirement("LO", 1, 1)],
        8,
    );
    assert_eq!(
        first_reason(&compete, &base, "LO"),
        ReasonCode::CompetingPriority
    );
}

#[test]
fn a_grown_requirement_asks_more_and_plans_verify_against_the_larger_demand() {
    let s = exercise();
    let base = plan(&s, &Options::default(), 2_000);
    let r = &s.requirements()[0];
    let window = u64::from(r.to_week.min(s.weeks() - 1) - r.from_week + 1);
    let mut grown = Options::default();
    grown.grow.insert(r.id.clone(), 3);
    grown.check(&s).unwrap();
    assert_eq!(grown.demand(r, r.from_week), r.demand(r.from_week) + 3);
    if r.from_week > 0 {
        assert_eq!(
            grown.demand(r, r.from_week - 1),
            0,
            "no growth outside the window"
        );
    }
    let p = plan(&s, &grown, 2_000);
    assert_valid(&s, &p, &grown);
    let required = |p: &planner::Plan| {
        p.lines
            .iter()
            .find(|l| l.line == r.line.to_string())
            .unwrap()
            .required_unit_weeks
    };
    assert_eq!(required(&p), required(&base) + 3 * window);
    // More demand on the same offers: the grown plan cannot leave less unmet than the
    // baseline's proven bound, and the baseline, judged against the larger demand, no longer
    // adds up.
    assert!(p.objective.unmet_weighted >= base.bound.unmet_weighted);
    assert!(verify(&s, &base, &grown)
        .iter()
        .any(|v| v.code == "objective_mismatch"));
    // Growth that names no requirement, or absurd growth, is refused before planning.
    let mut unknown = Options::default();
    unknown
        .grow
        .insert(domain::ids::RequirementId::parse("NO-SUCH-REQ").unwrap(), 1);
    assert!(unknown.check(&s).unwrap_err().contains("NO-SUCH-REQ"));
    let mut absurd = Options::default();
    absurd
        .grow
        .insert(r.id.clone(), planner::options::MAX_GROWTH + 1);
    assert!(absurd.check(&s).is_err());
    assert_eq!(
        Options::parse_growth("LAND-KYIV-1=+2").unwrap().1,
        2,
        "a leading + is accepted"
    );
    assert!(Options::parse_growth("LAND-KYIV-1=-2").is_err());
    assert!(Options::parse_growth("LAND-KYIV-1").is_err());
}
