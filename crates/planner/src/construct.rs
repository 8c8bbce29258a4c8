//! Building plans: a sweep through the weeks that, for each requirement short of units (highest
//! priority first), starts the tour that scores best. Scores come from the Lagrangian prices when
//! they exist (how far a tour strays from the offer's best priced schedule) and from simple
//! rules otherwise (longer tours, less dwell, offers with fewer other uses, lower cost). Noise
//! lets the search try other choices.

use crate::bound::Lagrange;
use crate::model::Model;
use crate::rng::Rng;
use crate::state::{State, Tour};

#[derive(Debug, Clone, Copy)]
pub(crate) struct Weights {
    /// Use the Lagrangian prices.
    pub priced: bool,
    /// Relative size of random noise.
    pub noise: f64,
    /// Penalty for offers that could serve other (high-priority) requirements.
    pub flex: f64,
    /// Weight of cost (objective 2).
    pub cost: f64,
    /// With prices: skip tours whose loss against the offer's best priced schedule exceeds this
    /// share of their value (a later completing pass fills what is left).
    pub max_loss: f64,
    /// Chance of leaving a short week for later, so that a better-placed tour can take it.
    pub skip: f64,
}

impl Weights {
    pub const PLAIN: Weights = Weights {
        priced: false,
        noise: 0.0,
        flex: 0.5,
        cost: 0.05,
        max_loss: f64::INFINITY,
        skip: 0.0,
    };
    pub const PRICED: Weights = Weights {
        priced: true,
        noise: 0.0,
        flex: 0.0,
        cost: 0.05,
        max_loss: 0.05,
        skip: 0.0,
    };

    pub fn random(rng: &mut Rng, have_prices: bool) -> Weights {
        Weights {
            priced: have_prices && rng.unit() < 0.7,
            noise: [0.0, 0.05, 0.2, 0.5][rng.below(4)],
            flex: [0.0, 0.3, 1.0][rng.below(3)],
            cost: [0.0, 0.05, 0.2][rng.below(3)],
            max_loss: [f64::INFINITY, 0.0, 0.02, 0.1, 0.3][rng.below(5)],
            skip: [0.0, 0.0, 0.05, 0.2][rng.below(4)],
        }
    }
}

/// Per-offer facts the plain rules use, computed once per model.
#[derive(Debug, Clone)]
pub(crate) struct Hints {
    /// Share of the priority-weighted requirements an offer could serve besides the one at hand.
    flex: Vec<f64>,
    max_cost: f64,
}

impl Hints {
    pub fn new(m: &Model) -> Self {
        let flex = m
            .offers
            .iter()
            .map(|o| {
                let total: u64 = o.reqs.iter().map(|&r| m.reqs[r].priority).sum();
                total as f64
            })
            .collect();
        let max_cost = m.offers.iter().map(|o| o.cost).fold(0.0, f64::max);
        Self {
            flex,
            max_cost: max_cost.max(1e-9),
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the inner loop's inputs, kept flat for speed"
)]
fn score(
    m: &Model,
    st: &State,
    lag: Option<&Lagrange>,
    hints: &Hints,
    w: &Weights,
    o: usize,
    r: usize,
    s: u32,
    len: u32,
    rng: &mut Rng,
) -> Option<f64> {
    let of = &m.offers[o];
    let p = m.reqs[r].priority as f64;
    let nominal = p * f64::from(len);
    let mut v = match (w.priced, lag) {
        (true, Some(lag)) => {
            // Loss against the offer's best priced schedule from this week, per unit of value.
            let f = &lag.value_to_go[o];
            let next = m.busy_end(o, s, len) as usize;
            let loss = (f[s as usize] - (lag.tour_value(r, s, len) + f[next])) / nominal.max(1.0);
            if loss > w.max_loss {
                return None;
            }
            f64::from(len) / f64::from(of.tour.max(1)) - loss
        }
        _ => {
            let eff = f64::from(len) / f64::from(len + of.dwell);
            let other = (hints.flex[o] - p).max(0.0) / hints.flex[o].max(1.0);
            2.0 * f64::from(len) / f64::from(of.tour.max(1)) + eff - w.flex * other
        }
    };
    v -= w.cost * of.cost / hints.max_cost;
    if st.nation_tours[r][of.nation] > 0 {
        v += 0.05;
    }
    if w.noise > 0.0 {
        v += w.noise * (rng.unit() - 0.5);
    }
    Some(v)
}

/// Fills the requirements `reqs` as far as the offers allow: a pass with the given weights, then
/// (if that pass held back) a completing pass that takes whatever still fits.
pub(crate) fn fill(
    m: &Model,
    st: &mut State,
    reqs: &[usize],
    lag: Option<&Lagrange>,
    hints: &Hints,
    w: &Weights,
    rng: &mut Rng,
) {
    fill_weeks(m, st, reqs, lag, hints, w, rng, (0, u32::MAX));
}

/// As [`fill`], starting tours only in weeks `weeks.0..=weeks.1`. When the plan could take no
/// more tours before some were removed, new tours can only start where the removed ones freed
/// capacity or coverage, so the search sweeps just those weeks.
#[expect(
    clippy::too_many_arguments,
    reason = "the inner loop's inputs, kept flat for speed"
)]
pub(crate) fn fill_weeks(
    m: &Model,
    st: &mut State,
    reqs: &[usize],
    lag: Option<&Lagrange>,
    hints: &Hints,
    w: &Weights,
    rng: &mut Rng,
    weeks: (u32, u32),
) {
    sweep(m, st, reqs, lag, hints, w, rng, weeks);
    if w.skip > 0.0 || (w.priced && w.max_loss.is_finite()) {
        let complete = Weights {
            max_loss: f64::INFINITY,
            skip: 0.0,
            ..*w
        };
        sweep(m, st, reqs, lag, hints, &complete, rng, weeks);
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "the inner loop's inputs, kept flat for speed"
)]
fn sweep(
    m: &Model,
    st: &mut State,
    reqs: &[usize],
    lag: Option<&Lagrange>,
    hints: &Hints,
    w: &Weights,
    rng: &mut Rng,
    weeks: (u32, u32),
) {
    let mut order: Vec<(u64, u64, usize)> = reqs
        .iter()
        .map(|&r| {
            let tie = if w.noise > 0.0 { rng.next_u64() } else { 0 };
            (m.reqs[r].priority, tie, r)
        })
        .collect();
    order.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let from = reqs
        .iter()
        .map(|&r| m.reqs[r].from)
        .min()
        .unwrap_or(0)
        .max(weeks.0);
    let to = reqs
        .iter()
        .map(|&r| m.reqs[r].to)
        .max()
        .unwrap_or(0)
        .min(weeks.1);
    for week in from..=to {
        for &(_, _, r) in &order {
            let req = &m.reqs[r];
            if week < req.from || week > req.to {
                continue;
            }
            if w.skip > 0.0 && rng.unit() < w.skip {
                continue;
            }
            while st.cover[r][week as usize] < req.demand[week as usize] {
                // Weeks from this one on that are still short: a tour must fit within them.
                let run = (week as usize..m.horizon as usize)
                    .find(|&x| st.cover[r][x] >= req.demand[x])
                    .unwrap_or(m.horizon as usize)
                    - week as usize;
                let mut best: Option<(f64, Tour)> = None;
                for &o in &req.offers {
                    let Some(len) = m.tour_len(o, r, week) else {
                        continue;
                    };
                    // Cheapest tests first: does the tour fit the short weeks, is a unit of the
                    // offer free this very week, and then for the whole tour and dwell?
                    if len as usize > run
                        || st.busy[o][week as usize] >= m.offers[o].units
                        || !st.fits_offer(m, o, r, week, len)
                    {
                        continue;
                    }
                    let Some(v) = score(m, st, lag, hints, w, o, r, week, len, rng) else {
                        continue;
                    };
                    if best.as_ref().is_none_or(|(bv, _)| v > *bv) {
                        best = Some((
                            v,
                            Tour {
                                o,
                                r,
                                start: week,
                                len,
                            },
                        ));
                    }
                }
                match best {
                    Some((_, t)) => st.add(m, t),
                    None => break,
                }
            }
        }
    }
}

/// Schedules whole units, one at a time: for each offer in `offers` (in the given order), finds
/// by dynamic programming the schedule of one more unit that covers the most priority-weighted
/// open unit-weeks, over the whole horizon, and adds it; repeats while a unit is free and worth
/// sending. Unlike the week-by-week sweep, this places every tour of a unit with its dwell in view.
/// `priced` mixes in the Lagrangian prices (0 = plain priorities, 1 = prices only); `noise`
/// perturbs the value of each requirement.
#[expect(
    clippy::too_many_arguments,
    reason = "the inner loop's inputs, kept flat for speed"
)]
pub(crate) fn schedule_units(
    m: &Model,
    st: &mut State,
    offers: &[usize],
    lag: Option<&Lagrange>,
    priced: f64,
    noise: f64,
    rng: &mut Rng,
    max_units: u32,
) {
    let h = m.horizon as usize;
    let mut f = vec![0.0f64; h + 1];
    let mut choice: Vec<Option<(usize, u32)>> = vec![None; h];
    for &o in offers {
        let of = &m.offers[o];
        let weight: Vec<f64> = of
            .reqs
            .iter()
            .map(|&r| m.reqs[r].priority as f64 * (1.0 + noise * (rng.unit() - 0.5)))
            .collect();
        for _ in 0..of.units.min(max_units) {
            // First week at or after t where requirement r has no open demand, and where the
            // offer has no free unit.
            let open: Vec<Vec<u32>> = of
                .reqs
                .iter()
                .map(|&r| {
                    let mut next = vec![m.horizon; h + 1];
                    for t in (0..h).rev() {
                        next[t] = if st.cover[r][t] >= m.reqs[r].demand[t] {
                            t as u32
                        } else {
                            next[t + 1]
                        };
                    }
                    next
                })
                .collect();
            // Whether the offer's nation may serve each requirement (`max_nations`).
            let allowed: Vec<bool> = of
                .reqs
                .iter()
                .map(|&r| st.nation_allowed(m, o, r))
                .collect();
            let mut full = vec![m.horizon; h + 1];
            for t in (0..h).rev() {
                full[t] = if st.busy[o][t] >= of.units {
                    t as u32
                } else {
                    full[t + 1]
                };
            }
            f[h] = 0.0;
            for t in (0..h).rev() {
                f[t] = f[t + 1];
                choice[t] = None;
                let tw = t as u32;
                if tw < of.earliest || tw > of.last {
                    continue;
                }
                for (k, &r) in of.reqs.iter().enumerate() {
                    if !allowed[k] {
                        continue;
                    }
                    let Some(len) = m.tour_len(o, r, tw) else {
                        continue;
                    };
                    let end = m.busy_end(o, tw, len);
                    if open[k][t] < tw + len || full[t] < end {
                        continue;
                    }
                    let jitter = if noise > 0.0 {
                        1.0 + 0.5 * noise * (rng.unit() - 0.5)
                    } else {
                        1.0
                    };
                    let plain = weight[k] * f64::from(len) * jitter;
                    let value = match lag {
                        Some(lag) if priced > 0.0 => {
                            (1.0 - priced) * plain + priced * lag.tour_value(r, tw, len)
                        }
                        _ => plain,
                    };
                    let v = value + f[end as usize];
                    if v > f[t] + 1e-9 {
                        f[t] = v;
                        choice[t] = Some((r, len));
                    }
                }
            }
            if f[0] <= 1e-9 {
                break;
            }
            let mut t = 0usize;
            let mut added = false;
            while t < h {
                match choice[t] {
                    Some((r, len)) if st.fits(m, o, r, t as u32, len) => {
                        st.add(
                            m,
                            Tour {
                                o,
                                r,
                                start: t as u32,
                                len,
                            },
                        );
                        added = true;
                        t = m.busy_end(o, t as u32, len) as usize;
                    }
                    _ => t += 1,
                }
            }
            if !added {
                break;
            }
        }
    }
}
