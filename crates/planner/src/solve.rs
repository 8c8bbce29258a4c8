//! The solver: build a plan, bound it, and improve both until the gap closes or the budget ends.
//!
//! 1. Construct a plan with the plain rules, bound it (Lagrangian steps, fewer where a step is
//!    expensive), then construct twice more with the bound's prices (week by week, and whole
//!    units at a time) and keep the best per component.
//! 2. Ruin and recreate (large neighbourhood search): remove the tours of a requirement, one or
//!    two offers, a nation, a stretch of weeks or a random share of a component; rebuild with
//!    whole-unit scheduling and the sweep under randomised weights, sweeping only the weeks the
//!    ruin freed; accept by simulated annealing, each cycle restarting from the best plan.
//!    Components with the largest gap to their bound get the most attention; bound steps continue
//!    alongside, more often where they pay off.

use domain::Scenario;

use crate::bound::{weighted_demand, Lagrange};
use crate::construct::{fill, fill_weeks, schedule_units, Hints, Weights};
use crate::model::Model;
use crate::options::Options;
use crate::plan::{Plan, Status};
use crate::rng::Rng;
use crate::state::{State, Tour};

/// Search effort. The caller adds a time limit through [`Control`].
#[derive(Debug, Clone)]
pub struct Params {
    pub seed: u64,
    /// Ruin-and-recreate iterations at most.
    pub max_iterations: u64,
    /// Once every component's gap to its bound is closed, stop after this many iterations
    /// without improvement (cost and cohesion can still improve until then).
    pub stall_iterations: u64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            seed: 1,
            max_iterations: 200_000,
            stall_iterations: 2_000,
        }
    }
}

/// Where the search stands, for progress bars.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub iteration: u64,
    pub max_iterations: u64,
    pub unmet_weighted: u64,
    pub bound: u64,
}

/// Asked now and then whether to go on (time limits, cancellation, progress display).
pub trait Control {
    fn keep_going(&mut self, progress: &Progress) -> bool;
}

impl<F: FnMut(&Progress) -> bool> Control for F {
    fn keep_going(&mut self, progress: &Progress) -> bool {
        self(progress)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("{0}")]
    Options(String),
}

pub(crate) struct Solution {
    pub model: Model,
    pub state: State,
    pub lag: Lagrange,
    pub bounds: Vec<u64>,
    pub iterations: u64,
    pub stopped: bool,
}

fn target(m: &Model, st: &State, c: usize) -> f64 {
    let comp = &m.components[c];
    (weighted_demand(m, comp) - st.unmet_of(m, &comp.reqs)) as f64
}

pub(crate) fn search(
    s: &Scenario,
    opts: &Options,
    params: &Params,
    control: &mut dyn Control,
) -> Solution {
    let m = Model::build(s, opts);
    let hints = Hints::new(&m);
    let mut rng = Rng::new(params.seed);
    let all_reqs: Vec<usize> = (0..m.reqs.len()).collect();
    let mut st = State::empty(&m);
    fill(
        &m,
        &mut st,
        &all_reqs,
        None,
        &hints,
        &Weights::PLAIN,
        &mut rng,
    );

    let mut lag = Lagrange::new(&m);
    let n = m.components.len();
    let mut bounds = vec![0u64; n];
    let mut closed = vec![false; n];
    // Work of one bound step per component, in DP cells (offer × requirement × week × the
    // nation choices priced for max_nations).
    let cells: Vec<usize> = m
        .components
        .iter()
        .map(|comp| {
            let capped = comp
                .reqs
                .iter()
                .filter(|&&r| m.reqs[r].max_nations.is_some())
                .count()
                .min(3);
            comp.offers
                .iter()
                .map(|&o| m.offers[o].reqs.len())
                .sum::<usize>()
                * m.horizon as usize
                * (1 << capped)
        })
        .collect();
    for (c, b) in bounds.iter_mut().enumerate() {
        // Up to 100 first steps, fewer where a step is expensive (about 4M DP cells in all).
        let steps = (4_000_000 / cells[c].max(1)).clamp(5, 100) as u32;
        lag.improve(&m, c, target(&m, &st, c), steps);
        *b = lag.bound(&m, c);
    }
    // Two more constructions, guided by the prices: week by week, and whole units at a time
    // (least flexible offers first). Keep the best per component.
    let mut priced = State::empty(&m);
    fill(
        &m,
        &mut priced,
        &all_reqs,
        Some(&lag),
        &hints,
        &Weights::PRICED,
        &mut rng,
    );
    let mut by_unit = State::empty(&m);
    let mut order: Vec<usize> = (0..m.offers.len()).collect();
    order.sort_by_key(|&o| (m.offers[o].reqs.len(), o));
    schedule_units(
        &m,
        &mut by_unit,
        &order,
        Some(&lag),
        0.5,
        0.0,
        &mut rng,
        u32::MAX,
    );
    fill(
        &m,
        &mut by_unit,
        &all_reqs,
        None,
        &hints,
        &Weights::PLAIN,
        &mut rng,
    );
    for alt in [&priced, &by_unit] {
        for comp in &m.components {
            if alt.unmet_of(&m, &comp.reqs) < st.unmet_of(&m, &comp.reqs) {
                st.remove_where(&m, |t| comp.reqs.contains(&t.r));
                let better: Vec<Tour> = alt
                    .tours
                    .iter()
                    .filter(|t| comp.reqs.contains(&t.r))
                    .copied()
                    .collect();
                for t in better {
                    st.add(&m, t);
                }
            }
        }
    }
    let comp_of: Vec<usize> = {
        let mut v = vec![0; m.reqs.len()];
        for (c, comp) in m.components.iter().enumerate() {
            for &r in &comp.reqs {
                v[r] = c;
            }
        }
        v
    };
    let spans: Vec<u32> = m
        .components
        .iter()
        .map(|comp| {
            comp.offers
                .iter()
                .map(|&o| m.offers[o].tour + m.offers[o].dwell)
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut unmet_c: Vec<u64> = m
        .components
        .iter()
        .map(|comp| st.unmet_of(&m, &comp.reqs))
        .collect();
    let searchable: Vec<usize> = (0..n)
        .filter(|&c| !m.components[c].offers.is_empty())
        .collect();
    // Annealing: worse plans are accepted with a chance that shrinks over each cycle; every cycle
    // starts again from the best plan found.
    let mean_priority =
        m.reqs.iter().map(|r| r.priority as f64).sum::<f64>() / m.reqs.len().max(1) as f64;
    const CYCLE: u64 = 4_000;
    let mut best = (st.score(), st.tours.clone());
    let mut bound_every = vec![25u64; n];
    let mut next_bound = vec![0u64; n];

    let mut iterations = 0;
    let mut stall = 0;
    let mut stopped = false;
    while iterations < params.max_iterations && !searchable.is_empty() {
        let open = searchable.iter().any(|&c| unmet_c[c] > bounds[c]);
        if !open && stall >= params.stall_iterations {
            break;
        }
        if iterations % 64 == 0 {
            let progress = Progress {
                iteration: iterations,
                max_iterations: params.max_iterations,
                unmet_weighted: best.0.unmet,
                bound: bounds.iter().sum(),
            };
            if !control.keep_going(&progress) {
                stopped = true;
                break;
            }
        }
        if iterations % CYCLE == 0 && best.0.better_than(&st.score()) {
            restore(&m, &mut st, &best.1);
            for (c, comp) in m.components.iter().enumerate() {
                unmet_c[c] = st.unmet_of(&m, &comp.reqs);
            }
        }
        let temperature = 0.5 * mean_priority * (1.0 - (iterations % CYCLE) as f64 / CYCLE as f64);
        iterations += 1;
        // Components with a gap get picked in proportion to it; closed ones now and then (cost).
        let weights: Vec<f64> = searchable
            .iter()
            .map(|&c| {
                (unmet_c[c] - bounds[c].min(unmet_c[c])) as f64 + if open { 0.0 } else { 1.0 }
            })
            .collect();
        let total: f64 = weights.iter().sum();
        let c = if total <= 0.0 {
            searchable[rng.below(searchable.len())]
        } else {
            let mut x = rng.unit() * total;
            let mut pick = searchable[0];
            for (i, &wt) in weights.iter().enumerate() {
                if x < wt {
                    pick = searchable[i];
                    break;
                }
                x -= wt;
            }
            pick
        };
        // Bound steps for this component now and then: more often while they pay off, less
        // often when they do not (on large components they cost more than the search).
        if iterations >= next_bound[c] && unmet_c[c] > bounds[c] && !closed[c] {
            closed[c] = lag.improve(&m, c, target(&m, &st, c), 5);
            let raised = lag.bound(&m, c);
            bound_every[c] = if raised > bounds[c] {
                (bound_every[c] / 2).max(25)
            } else {
                // Cheap components keep stepping often; expensive ones back off further.
                (bound_every[c] * 2).min((cells[c] as u64 / 100).clamp(25, 800))
            };
            next_bound[c] = iterations + bound_every[c];
            bounds[c] = bounds[c].max(raised);
        }
        let before = st.score();
        let removed = ruin(&m, &mut st, c, &comp_of, &mut rng);
        let added_from = st.tours.len();
        let w = Weights::random(&mut rng, true);
        if rng.unit() < 0.5 {
            // Re-plan the units that lost tours, whole schedules at a time, in random order.
            let mut affected: Vec<usize> = removed.iter().map(|t| t.o).collect();
            affected.sort_unstable();
            affected.dedup();
            for i in (1..affected.len()).rev() {
                affected.swap(i, rng.below(i + 1));
            }
            let priced = [0.0, 0.5, 1.0][rng.below(3)];
            let units = if rng.unit() < 0.5 { 1 } else { u32::MAX };
            schedule_units(
                &m,
                &mut st,
                &affected,
                Some(&lag),
                priced,
                w.noise,
                &mut rng,
                units,
            );
        }
        // The plan could take no more tours before the ruin, so new ones can only start where
        // the removed tours (with their dwell) freed capacity or coverage.
        let span = spans[c];
        let lo = removed
            .iter()
            .map(|t| t.start)
            .min()
            .unwrap_or(0)
            .saturating_sub(span);
        let hi = removed
            .iter()
            .map(|t| m.busy_end(t.o, t.start, t.len))
            .max()
            .unwrap_or(0);
        if !removed.is_empty() {
            fill_weeks(
                &m,
                &mut st,
                &m.components[c].reqs,
                Some(&lag),
                &hints,
                &w,
                &mut rng,
                (lo, hi.saturating_sub(1)),
            );
        }
        let after = st.score();
        let worse_by = after.unmet.saturating_sub(before.unmet) as f64;
        let accept = !before.better_than(&after)
            || (worse_by > 0.0
                && temperature > 0.0
                && rng.unit() < (-worse_by / temperature).exp());
        if accept {
            unmet_c[c] = st.unmet_of(&m, &m.components[c].reqs);
            if after.better_than(&best.0) {
                best = (after, st.tours.clone());
                stall = 0;
            } else {
                stall += 1;
            }
        } else {
            while st.tours.len() > added_from {
                st.remove_at(&m, st.tours.len() - 1);
            }
            for t in removed {
                st.add(&m, t);
            }
            stall += 1;
        }
    }
    if best.0.better_than(&st.score()) {
        restore(&m, &mut st, &best.1);
        for (c, comp) in m.components.iter().enumerate() {
            unmet_c[c] = st.unmet_of(&m, &comp.reqs);
        }
    }
    // A last push on the bound where a gap remains, unless the caller's budget is spent.
    for &c in &searchable {
        let progress = Progress {
            iteration: iterations,
            max_iterations: params.max_iterations,
            unmet_weighted: st.unmet,
            bound: bounds.iter().sum(),
        };
        if stopped && !control.keep_going(&progress) {
            break;
        }
        if unmet_c[c] > bounds[c] && !closed[c] {
            lag.improve(&m, c, target(&m, &st, c), 60);
            bounds[c] = bounds[c].max(lag.bound(&m, c));
        }
    }
    for (c, comp) in m.components.iter().enumerate() {
        if comp.offers.is_empty() {
            bounds[c] = weighted_demand(&m, comp);
        }
    }
    Solution {
        model: m,
        state: st,
        lag,
        bounds,
        iterations,
        stopped,
    }
}

fn restore(m: &Model, st: &mut State, tours: &[Tour]) {
    *st = State::empty(m);
    for &t in tours {
        st.add(m, t);
    }
}

fn ruin(m: &Model, st: &mut State, c: usize, comp_of: &[usize], rng: &mut Rng) -> Vec<Tour> {
    let comp = &m.components[c];
    match rng.below(7) {
        0 => {
            let r = comp.reqs[rng.below(comp.reqs.len())];
            st.remove_where(m, |t| t.r == r)
        }
        4 => {
            // Two offers at once, so they can swap roles.
            let a = comp.offers[rng.below(comp.offers.len())];
            let b = comp.offers[rng.below(comp.offers.len())];
            st.remove_where(m, |t| t.o == a || t.o == b)
        }
        5 => {
            // A whole nation, so another can take its place where max_nations binds.
            let n = m.offers[comp.offers[rng.below(comp.offers.len())]].nation;
            st.remove_where(m, |t| comp_of[t.r] == c && m.offers[t.o].nation == n)
        }
        6 => {
            // A stretch of weeks on one requirement.
            let r = comp.reqs[rng.below(comp.reqs.len())];
            let k = 4 + rng.below(40) as u32;
            let t0 = rng.below(m.horizon as usize) as u32;
            st.remove_where(m, |t| t.r == r && t.start < t0 + k && t.start + t.len > t0)
        }
        1 => {
            let o = comp.offers[rng.below(comp.offers.len())];
            st.remove_where(m, |t| t.o == o)
        }
        2 => {
            let longest = comp
                .offers
                .iter()
                .map(|&o| m.offers[o].tour + m.offers[o].dwell)
                .max()
                .unwrap_or(4);
            let k = 2 + rng.below(2 * longest as usize) as u32;
            let t0 = rng.below(m.horizon as usize) as u32;
            st.remove_where(m, |t| {
                comp_of[t.r] == c && t.start < t0 + k && t.start + t.len > t0
            })
        }
        _ => {
            let share = 0.1 + 0.3 * rng.unit();
            let mut picks = Vec::new();
            for (i, t) in st.tours.iter().enumerate() {
                if comp_of[t.r] == c && rng.unit() < share {
                    picks.push(i);
                }
            }
            let mut removed = Vec::with_capacity(picks.len());
            for &i in picks.iter().rev() {
                removed.push(st.remove_at(m, i));
            }
            removed
        }
    }
}

/// Plans a scenario under the options.
pub fn solve(
    s: &Scenario,
    opts: &Options,
    params: &Params,
    control: &mut dyn Control,
) -> Result<Plan, PlanError> {
    opts.check(s).map_err(PlanError::Options)?;
    let sol = search(s, opts, params, control);
    let bound: u64 = sol.bounds.iter().sum();
    let status = if sol.state.unmet <= bound {
        Status::Optimal
    } else if sol.stopped {
        Status::TimeLimit
    } else {
        Status::Feasible
    };
    Ok(crate::report::plan(s, opts, &sol, status, bound))
}
