//! Seeded synthetic instances for tests and benchmarks: nations with offers of a few
//! capabilities, region and assumption caveats, rules of engagement, deploy-to-dwell from 1:1 to
//! 1:3, demand profiles, and about 60–140 % supply per capability.

use serde_json::{json, Value};

use domain::Scenario;

use crate::rng::Rng;

#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub nations: usize,
    pub offers: usize,
    pub requirements: usize,
    pub weeks: u32,
}

impl Size {
    pub const TINY: Size = Size {
        nations: 3,
        offers: 3,
        requirements: 2,
        weeks: 10,
    };
    pub const TEST: Size = Size {
        nations: 6,
        offers: 16,
        requirements: 6,
        weeks: 30,
    };
    pub const SMALL: Size = Size {
        nations: 20,
        offers: 200,
        requirements: 60,
        weeks: 52,
    };
    pub const LARGE: Size = Size {
        nations: 50,
        offers: 2_000,
        requirements: 400,
        weeks: 104,
    };

    pub fn named(name: &str) -> Option<Size> {
        match name {
            "tiny" => Some(Size::TINY),
            "test" => Some(Size::TEST),
            "small" => Some(Size::SMALL),
            "large" => Some(Size::LARGE),
            _ => None,
        }
    }
}

const REGIONS: &[&str] = &[
    "UA-30",
    "UA-46",
    "UA-51",
    "UA-12",
    "PL-EAST",
    "RO-EAST",
    "BLACK-SEA",
];
const ROE: &[&str] = &["self_defence", "mandate", "robust"];

/// Builds an instance; the same size and seed always give the same scenario.
pub fn generate(size: Size, seed: u64) -> Scenario {
    let mut rng = Rng::new(seed);
    let weeks = size.weeks.max(2);
    let caps = (size.requirements / 3).clamp(1, 20);
    let nations: Vec<Value> = (0..size.nations)
        .map(|i| json!({"code": nation_code(i), "name": format!("Nation {}", nation_code(i))}))
        .collect();
    let capabilities: Vec<Value> = (0..caps)
        .map(|c| json!({"code": format!("CAP.C{c}"), "name": format!("Capability {c}"), "domain": "joint",
                        "personnel": 100 + 50 * c, "sidc": "10031000001211000000"}))
        .collect();
    // Requirements first, so supply can be sized against demand per capability.
    let mut requirements = Vec::new();
    let mut demand = vec![0.0f64; caps];
    for i in 0..size.requirements {
        let c = i % caps;
        let from = if rng.unit() < 0.7 {
            0
        } else {
            rng.below(weeks as usize / 3) as u32
        };
        let to = if rng.unit() < 0.7 {
            weeks - 1
        } else {
            (from + weeks / 2 + rng.below(weeks as usize / 2) as u32).min(weeks - 1)
        };
        let units = 1 + rng.below(3) as u32;
        let line = ["land", "air_policing", "maritime", "training"][c % 4];
        let mut r = json!({"id": format!("R{i:03}"), "line": line,
            "capability": format!("CAP.C{c}"), "region": REGIONS[rng.below(REGIONS.len())], "units": units,
            "from_week": from, "to_week": to, "roe": ROE[rng.below(2)], "priority": 1 + rng.below(10)});
        if rng.unit() < 0.2 {
            r["max_nations"] = json!(2 + rng.below(3));
        }
        let mut weeks_demand = f64::from(units * (to - from + 1));
        if rng.unit() < 0.3 && to - from > 8 {
            let a = from + rng.below(((to - from) / 2) as usize) as u32;
            let b = (a + 3 + rng.below(8) as u32).min(to);
            let u = rng.below(units as usize + 3) as u32;
            weeks_demand += (f64::from(u) - f64::from(units)) * f64::from(b - a + 1);
            r["profile"] = json!([{"from_week": a, "to_week": b, "units": u}]);
        }
        demand[c] += weeks_demand;
        requirements.push(r);
    }
    let target: Vec<f64> = demand
        .iter()
        .map(|d| d * (0.6 + 0.8 * rng.unit()))
        .collect();
    let mut supply = vec![0.0f64; caps];
    let mut offers = Vec::new();
    for i in 0..size.offers {
        // Give each offer to the capability furthest below its target supply.
        let c = (0..caps)
            .min_by(|&a, &b| {
                (supply[a] / target[a].max(1.0)).total_cmp(&(supply[b] / target[b].max(1.0)))
            })
            .unwrap_or(0);
        let tour = 4 + rng.below(((weeks / 4).max(5)) as usize) as u32;
        let dwell = tour * (1 + rng.below(3) as u32);
        let units = 1 + rng.below(3) as u32;
        let from = if rng.unit() < 0.8 {
            0
        } else {
            rng.below(weeks as usize / 4) as u32
        };
        let to = if rng.unit() < 0.8 {
            weeks - 1
        } else {
            (weeks / 2 + rng.below(weeks as usize / 2) as u32).min(weeks - 1)
        };
        let mut o = json!({"id": format!("O{i:04}"), "nation": nation_code(rng.below(size.nations)),
            "capability": format!("CAP.C{c}"), "units": units, "from_week": from, "to_week": to,
            "notice_weeks": rng.below(6), "tour_weeks": tour, "dwell_weeks": dwell});
        if rng.unit() < 0.25 {
            let mut rs: Vec<&str> = REGIONS
                .iter()
                .copied()
                .filter(|_| rng.unit() < 0.5)
                .collect();
            if rs.is_empty() {
                rs.push(REGIONS[0]);
            }
            o["regions"] = json!(rs);
        }
        o["roe"] = json!(ROE[rng.below(3)]);
        if rng.unit() < 0.15 {
            o["requires"] = json!(["us_backstop"]);
        }
        let status = ["indicated", "offered", "confirmed", "confirmed"][rng.below(4)];
        o["status"] = json!(status);
        o["cost_per_unit_week"] = json!(1 + rng.below(20));
        supply[c] += f64::from(units * (to - from + 1)) * f64::from(tour) / f64::from(tour + dwell);
        offers.push(o);
    }
    let v = json!({"format": "coalition.scenario/1", "name": format!("Generated {}x{}x{} seed {seed}", size.offers, size.requirements, weeks),
        "exercise": true, "start": "2026-01-05", "weeks": weeks, "assumptions": {"us_backstop": true},
        "nations": nations, "capabilities": capabilities, "offers": offers, "requirements": requirements});
    match Scenario::from_value(&v) {
        Ok(s) => s,
        // The generator only writes valid values; a failure here is a bug in it.
        Err(e) => unreachable!("generated scenario is invalid: {e}"),
    }
}

fn nation_code(i: usize) -> String {
    let a = b'A' + (i / 26 % 26) as u8;
    let b = b'A' + (i % 26) as u8;
    format!("X{}{}", a as char, b as char)
}
