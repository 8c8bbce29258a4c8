//! The solver: build a plan, bound it, and improve both until the gap closes or the budget ends.
//!
//! 1. Construct a plan with the plain rules, bound it (Lagrangian steps, fewer where a step is
//!    expensive; and once, week by week, as transports: [`weekly_bound`]), then construct twice
//!    more with the Lagrangian's prices (week by week, and whole units at a time) and keep the
//!    best per component. The proven bound of a component is the higher of its two bounds.
//! 2. Ruin and recreate (large neighbourhood search): remove the tours of a requirement, one or
//!    two offers, a nation, a stretch of weeks or a random share of a component, or give a
//!    requirement with `max_nations` that many nations could serve to others; rebuild with
//!    whole-unit scheduling and the sweep under randomised weights, sweeping only the weeks the
//!    ruin freed; accept by simulated annealing. Each component keeps its own best plan and
//!    returns to it every cycle of its iterations; one that has long stopped improving starts
//!    again from a fresh randomised construction. Components with the largest gap to their
//!    bound get the most attention; bound steps continue alongside, more often where they pay
//!    off, and once a component's multipliers settle the bound branches on its choice of
//!    nations.
//! 3. With more than one thread, step 2 runs on each: components share no offer or requirement,
//!    so they are dealt out by the gap each has to close, searched apart, and their plans, prices
//!    and bounds put back together. The threads share the caller's [`Control`], which sees their
//!    summed progress; when it says stop, all stop.

use std::sync::Mutex;

use domain::Scenario;

use crate::bound::{nation_strength, step_cells, weighted_demand, Lagrange};
use crate::construct::{fill, fill_weeks, schedule_units, Hints, Weights};
use crate::model::Model;
use crate::options::Options;
use crate::plan::{Plan, Status};
use crate::rng::Rng;
use crate::state::{Score, State, Tour};
use crate::weekly::weekly_bound;

/// Search effort. The caller adds a time limit through [`Control`].
#[derive(Debug, Clone)]
pub struct Params {
    pub seed: u64,
    /// Ruin-and-recreate iterations at most.
    pub max_iterations: u64,
    /// Once every component's gap to its bound is closed, stop after this many iterations
    /// without improvement (cost and cohesion can still improve until then).
    pub stall_iterations: u64,
    /// Threads to search on. Components are independent, so they are dealt out to the threads
    /// by the gap each has to close; iteration limits apply to each thread.
    pub threads: usize,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            seed: 1,
            max_iterations: 200_000,
            stall_iterations: 2_000,
            threads: 1,
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
    control: &mut (dyn Control + Send),
) -> Solution {
    let m = Model::build(s, opts);
    let hints = Hints::new(&m);
    let mut rng = Rng::new(params.seed);
    let mut base = begin(&m, &hints, &mut rng);
    let parts = partition(&m, &base, params.threads);
    // Weighted unmet and bound of a set of components, as the first constructions left them.
    let figures = |comps: &[usize]| {
        comps.iter().fold((0, 0), |(u, b), &c| {
            (
                u + base.st.unmet_of(&m, &m.components[c].reqs),
                b + base.bounds[c].max(base.weekly[c]),
            )
        })
    };
    // The components no part searches (nobody can serve them) count in progress as they are.
    let searched: Vec<usize> = parts.iter().flatten().copied().collect();
    let unsearched: Vec<usize> = (0..m.components.len())
        .filter(|c| !searched.contains(c))
        .collect();
    let rest = figures(&unsearched);
    // Each part starts from its first figures, so the caller's progress is whole from the first
    // report on, whichever thread makes it.
    let start: Vec<Progress> = parts
        .iter()
        .map(|part| {
            let (unmet_weighted, bound) = figures(part);
            Progress {
                iteration: 0,
                max_iterations: params.max_iterations,
                unmet_weighted,
                bound,
            }
        })
        .collect();
    let shared = Mutex::new(Shared {
        control,
        parts: start,
        rest,
        stop: false,
    });
    let bound_iterations = base.lag.iterations;
    let mut iterations = 0;
    let mut stopped = false;
    std::thread::scope(|scope| {
        let mut others = Vec::new();
        for (i, part) in parts.iter().enumerate().skip(1) {
            let mut fork = base.clone();
            let (m, hints, shared) = (&m, &hints, &shared);
            others.push(scope.spawn(move || {
                let mut rng = Rng::new(params.seed.wrapping_add(0x5851_F42D_4C95_7F2D * i as u64));
                let mut control = PartControl { shared, part: i };
                let (n, stop) = improve(m, hints, &mut fork, part, params, &mut rng, &mut control);
                (fork, n, stop)
            }));
        }
        if let Some(part) = parts.first() {
            let mut control = PartControl {
                shared: &shared,
                part: 0,
            };
            let (n, stop) = improve(&m, &hints, &mut base, part, params, &mut rng, &mut control);
            iterations += n;
            stopped |= stop;
        }
        for (handle, part) in others.into_iter().zip(parts.iter().skip(1)) {
            // A part that panicked leaves its components as the first constructions planned them.
            let Ok((fork, n, stop)) = handle.join() else {
                continue;
            };
            iterations += n;
            stopped |= stop;
            base.adopt(&m, &fork, part);
            base.lag.iterations += fork.lag.iterations - bound_iterations;
        }
    });
    // Moves re-fill only where they freed room; a last plain sweep over the whole horizon makes
    // sure no tour can be added to the plan returned.
    let every: Vec<usize> = (0..m.reqs.len()).collect();
    fill(
        &m,
        &mut base.st,
        &every,
        None,
        &hints,
        &Weights::PLAIN,
        &mut rng,
    );
    let Search {
        st,
        lag,
        mut bounds,
        weekly,
        ..
    } = base;
    for (c, comp) in m.components.iter().enumerate() {
        bounds[c] = bounds[c].max(weekly[c]);
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

/// The plan, prices and bounds as one search thread holds them.
#[derive(Clone)]
struct Search {
    st: State,
    lag: Lagrange,
    bounds: Vec<u64>,
    /// The weekly transport bound of each component ([`weekly_bound`]). The proven bound is
    /// the higher of it and `bounds`. The search steers by `bounds`, since the weekly bound,
    /// worked out once, would otherwise hide where the Lagrangian has yet to rise (on the
    /// exercise it leads only at the start, and steering by it left worse plans at 2 s); only
    /// a component whose plan the weekly bound proves optimal counts as having no gap.
    weekly: Vec<u64>,
    /// Components whose bound can no longer move.
    closed: Vec<bool>,
    /// Work of one bound step per component ([`step_cells`]).
    cells: Vec<usize>,
}

impl Search {
    /// Takes over the plan, prices and bounds of the components in `part` from `other`.
    fn adopt(&mut self, m: &Model, other: &Search, part: &[usize]) {
        for &c in part {
            self.st.take_component(m, &other.st, c);
            self.lag.adopt(m, &other.lag, c);
            self.bounds[c] = other.bounds[c];
            self.closed[c] = other.closed[c];
        }
    }
}

/// First plans and bounds, for the whole model.
fn begin(m: &Model, hints: &Hints, rng: &mut Rng) -> Search {
    let all_reqs: Vec<usize> = (0..m.reqs.len()).collect();
    let mut st = State::empty(m);
    fill(m, &mut st, &all_reqs, None, hints, &Weights::PLAIN, rng);

    let cells = step_cells(m);
    let mut lag = Lagrange::new(m, &cells);
    let n = m.components.len();
    let mut bounds = vec![0u64; n];
    for (c, b) in bounds.iter_mut().enumerate() {
        // Up to 100 first steps, fewer where a step is expensive (about 4M DP cells in all).
        let steps = (4_000_000 / cells[c].max(1)).clamp(5, 100) as u32;
        lag.improve(m, c, target(m, &st, c), steps);
        *b = lag.bound(m, c);
    }
    // Two more constructions, guided by the prices: week by week, and whole units at a time
    // (least flexible offers first). Keep the best per component.
    let mut priced = State::empty(m);
    fill(
        m,
        &mut priced,
        &all_reqs,
        Some(&lag),
        hints,
        &Weights::PRICED,
        rng,
    );
    let mut by_unit = State::empty(m);
    let mut order: Vec<usize> = (0..m.offers.len()).collect();
    order.sort_by_key(|&o| (m.offers[o].reqs.len(), o));
    schedule_units(m, &mut by_unit, &order, Some(&lag), 0.5, 0.0, rng, u32::MAX);
    fill(
        m,
        &mut by_unit,
        &all_reqs,
        None,
        hints,
        &Weights::PLAIN,
        rng,
    );
    for alt in [&priced, &by_unit] {
        for (c, comp) in m.components.iter().enumerate() {
            if alt.unmet_of(m, &comp.reqs) < st.unmet_of(m, &comp.reqs) {
                st.take_component(m, alt, c);
            }
        }
    }
    Search {
        st,
        lag,
        bounds,
        weekly: m
            .components
            .iter()
            .map(|comp| weekly_bound(m, comp))
            .collect(),
        closed: vec![false; n],
        cells,
    }
}

/// The gap the search steers by, for a component whose plan leaves `unmet`: to the Lagrangian's
/// bound, or none once the weekly bound proves the plan optimal (the weekly bound does not rise,
/// so no search or bound step can gain there; below the plan it is left out of the steering, see
/// [`Search::weekly`]).
fn steering_gap(unmet: u64, lagrangian: u64, weekly: u64) -> u64 {
    if unmet <= weekly {
        0
    } else {
        unmet.saturating_sub(lagrangian)
    }
}

/// Deals the components someone can serve to at most `threads` parts, balancing the gap each
/// part has to close (largest first, each to the part with least so far). Components never
/// touch each other's offers or requirements, so the parts are searched independently.
fn partition(m: &Model, sr: &Search, threads: usize) -> Vec<Vec<usize>> {
    let mut comps: Vec<(u64, usize)> = (0..m.components.len())
        .filter(|&c| !m.components[c].offers.is_empty())
        .map(|c| {
            let unmet = sr.st.unmet_of(m, &m.components[c].reqs);
            // Closed components still get a share (cost and cohesion can improve).
            (steering_gap(unmet, sr.bounds[c], sr.weekly[c]).max(1), c)
        })
        .collect();
    comps.sort_by(|a, b| b.cmp(a));
    let k = threads.clamp(1, comps.len().max(1));
    let mut parts = vec![(0u64, Vec::new()); k];
    for (w, c) in comps {
        if let Some(p) = parts.iter_mut().min_by_key(|p| p.0) {
            p.0 += w;
            p.1.push(c);
        }
    }
    parts
        .into_iter()
        .map(|(_, mut p)| {
            p.sort_unstable();
            p
        })
        .filter(|p| !p.is_empty())
        .collect()
}

/// What the threads share: the caller's control, each part's latest progress, and whether to
/// stop.
struct Shared<'c> {
    control: &'c mut (dyn Control + Send),
    parts: Vec<Progress>,
    /// Unmet and bound of the components no part searches.
    rest: (u64, u64),
    stop: bool,
}

/// One part's view of the caller's control: its progress is added to the others' before the
/// caller sees it, and once the caller says stop, every part stops.
struct PartControl<'a, 'c> {
    shared: &'a Mutex<Shared<'c>>,
    part: usize,
}

impl Control for PartControl<'_, '_> {
    fn keep_going(&mut self, progress: &Progress) -> bool {
        let Ok(mut sh) = self.shared.lock() else {
            return false;
        };
        if sh.stop {
            return false;
        }
        if let Some(slot) = sh.parts.get_mut(self.part) {
            *slot = *progress;
        }
        let mut total = Progress {
            unmet_weighted: sh.rest.0,
            bound: sh.rest.1,
            ..Progress::default()
        };
        for p in &sh.parts {
            total.iteration += p.iteration;
            total.max_iterations = total.max_iterations.saturating_add(p.max_iterations);
            total.unmet_weighted += p.unmet_weighted;
            total.bound += p.bound;
        }
        let go = sh.control.keep_going(&total);
        sh.stop = !go;
        go
    }
}

/// Iterations on one component between returns to its best plan; the annealing temperature
/// falls over each.
const CYCLE: u64 = 4_000;
/// Iterations on one component without a better plan there after which it starts again from a
/// fresh randomised construction (its best plan is kept). Ruin and recreate from one plan tends
/// to settle in one family of rotations; which family it finds varies from run to run far more
/// than the search improves within one.
const RESTART_AFTER: u64 = 40_000;

/// A component's best plan in this search: its score (weighted unmet, cost and nations of its own
/// requirements) and its tours.
struct Best {
    score: Score,
    tours: Vec<Tour>,
}

/// Score of component `c` alone.
fn component_score(m: &Model, st: &State, c: usize) -> Score {
    let comp = &m.components[c];
    Score {
        unmet: st.unmet_of(m, &comp.reqs),
        cost: st
            .tours
            .iter()
            .filter(|t| m.comp_of[t.r] == c)
            .map(|t| f64::from(t.len) * m.offers[t.o].cost)
            .sum(),
        nations: comp.reqs.iter().map(|&r| st.nations_on(r)).sum(),
    }
}

fn component_best(m: &Model, st: &State, c: usize) -> Best {
    Best {
        score: component_score(m, st, c),
        tours: st
            .tours
            .iter()
            .filter(|t| m.comp_of[t.r] == c)
            .copied()
            .collect(),
    }
}

/// Replaces component `c`'s tours with `tours`.
fn set_component(m: &Model, st: &mut State, c: usize, tours: &[Tour]) {
    st.remove_where(m, |t| m.comp_of[t.r] == c);
    for &t in tours {
        st.add(m, t);
    }
}

/// Ruin and recreate on the components in `part`, until the control says stop, the iterations
/// run out or every gap is closed and nothing improves. Each component keeps its own best plan,
/// returns to it now and then, and starts afresh when it has long stopped improving. Returns
/// the iterations run and whether the control stopped the search.
fn improve(
    m: &Model,
    hints: &Hints,
    sr: &mut Search,
    part: &[usize],
    params: &Params,
    rng: &mut Rng,
    control: &mut dyn Control,
) -> (u64, bool) {
    let Search {
        st,
        lag,
        bounds,
        weekly,
        closed,
        cells,
    } = sr;
    let n = m.components.len();
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
    let strength = wide_strengths(m, part);
    let mut wide = vec![false; n];
    for (r, s) in strength.iter().enumerate() {
        wide[m.comp_of[r]] |= !s.is_empty();
    }
    // Each component's current and best score; only the components in `part` change here.
    let mut cur: Vec<Score> = (0..n).map(|c| component_score(m, st, c)).collect();
    let mut best: Vec<Best> = (0..n)
        .map(|c| {
            if part.contains(&c) {
                component_best(m, st, c)
            } else {
                Best {
                    score: cur[c],
                    tours: Vec::new(),
                }
            }
        })
        .collect();
    let part_unmet = |best: &[Best]| part.iter().map(|&c| best[c].score.unmet).sum::<u64>();
    let part_bound = |bounds: &[u64]| part.iter().map(|&c| bounds[c].max(weekly[c])).sum::<u64>();
    let gap = |bounds: &[u64], c: usize, unmet: u64| steering_gap(unmet, bounds[c], weekly[c]);
    // Annealing: worse plans are accepted with a chance that shrinks over each cycle.
    let mean_priority =
        m.reqs.iter().map(|r| r.priority as f64).sum::<f64>() / m.reqs.len().max(1) as f64;
    let mut runs = vec![0u64; n];
    let mut since_best = vec![0u64; n];
    let mut bound_every = vec![25u64; n];
    let mut next_bound = vec![0u64; n];
    let mut branched = vec![false; n];

    let mut iterations = 0;
    let mut stall = 0;
    let mut stopped = false;
    while iterations < params.max_iterations && !part.is_empty() {
        let open = part
            .iter()
            .any(|&c| gap(bounds, c, best[c].score.unmet) > 0);
        if !open && stall >= params.stall_iterations {
            break;
        }
        if iterations % 64 == 0 {
            let progress = Progress {
                iteration: iterations,
                max_iterations: params.max_iterations,
                unmet_weighted: part_unmet(&best),
                bound: part_bound(bounds),
            };
            if !control.keep_going(&progress) {
                stopped = true;
                break;
            }
        }
        iterations += 1;
        // Components with a gap get picked in proportion to it; closed ones now and then (cost).
        let weights: Vec<f64> = part
            .iter()
            .map(|&c| gap(bounds, c, best[c].score.unmet) as f64 + if open { 0.0 } else { 1.0 })
            .collect();
        let c = match rng.weighted(&weights) {
            Some(i) => part[i],
            None => part[rng.below(part.len())],
        };
        if runs[c] > 0 && runs[c].is_multiple_of(CYCLE) {
            if since_best[c] >= RESTART_AFTER {
                restart(m, hints, st, lag, c, rng);
                since_best[c] = 0;
            } else if best[c].score.better_than(&cur[c]) {
                set_component(m, st, c, &best[c].tours);
            }
            cur[c] = component_score(m, st, c);
        }
        let temperature = 0.5 * mean_priority * (1.0 - (runs[c] % CYCLE) as f64 / CYCLE as f64);
        runs[c] += 1;
        let weighted = weighted_demand(m, &m.components[c]) as f64;
        let target = weighted - best[c].score.unmet as f64;
        // Bound steps for this component now and then: more often while they pay off, less
        // often when they do not (on large components they cost more than the search).
        if iterations >= next_bound[c] && gap(bounds, c, best[c].score.unmet) > 0 && !closed[c] {
            let before = lag.progress(m, c);
            closed[c] = lag.improve(m, c, target, 5);
            let raised = lag.bound(m, c);
            // Paying off: the Lagrangian moved by half a unit-week or more (the bound itself
            // stays at zero while it climbs from below).
            bound_every[c] = if lag.progress(m, c) > before + 0.5 {
                (bound_every[c] / 2).max(25)
            } else {
                // Cheap components keep stepping often; expensive ones back off further.
                (bound_every[c] * 2).min((cells[c] as u64 / 100).clamp(25, 800))
            };
            next_bound[c] = iterations + bound_every[c];
            bounds[c] = bounds[c].max(raised);
            if !branched[c] && lag.settled(c) {
                // Once the multipliers have settled: choose the nations of capped requirements.
                branched[c] = true;
                if let Some(b) = lag.branch_nations(m, c, target, bounds[c], 1000, cells[c]) {
                    bounds[c] = bounds[c].max(b);
                }
            }
        }
        let before = st.score();
        let regive_now = wide[c] && rng.below(REGIVE_ONE_IN) == 0;
        let Ruin { removed, first } = ruin(m, st, c, rng, regive_now, &strength);
        let added_from = st.tours.len();
        let w = Weights::random(rng, true);
        if let Some((r, nations)) = &first {
            serve_with(m, st, *r, nations);
        }
        if rng.unit() < 0.5 {
            // Re-plan the units that lost tours, whole schedules at a time, in random order.
            let mut affected: Vec<usize> = removed.iter().map(|t| t.o).collect();
            affected.sort_unstable();
            affected.dedup();
            rng.shuffle(&mut affected);
            let priced = [0.0, 0.5, 1.0][rng.below(3)];
            let units = if rng.unit() < 0.5 { 1 } else { u32::MAX };
            schedule_units(m, st, &affected, Some(lag), priced, w.noise, rng, units);
        }
        // New tours can start only where the removed tours (with their dwell) freed capacity or
        // coverage, with one exception: a ruin that takes a nation's last tour from a
        // requirement with `max_nations` frees a place for another nation over its whole
        // window. Sweeping such requirements whole was measured and did not pay, so a plan may
        // take more tours than this sweep finds; the last sweep in `search` adds them.
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
                m,
                st,
                &m.components[c].reqs,
                Some(lag),
                hints,
                &w,
                rng,
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
            // Only component c changed, so the whole plan's change is its change.
            let sc = &mut cur[c];
            sc.unmet = (sc.unmet + after.unmet) - before.unmet;
            debug_assert_eq!(sc.unmet, st.unmet_of(m, &m.components[c].reqs));
            sc.cost += after.cost - before.cost;
            sc.nations = (sc.nations + after.nations).saturating_sub(before.nations);
            if sc.better_than(&best[c].score) {
                best[c] = component_best(m, st, c);
                since_best[c] = 0;
                stall = 0;
            } else {
                since_best[c] += 1;
                stall += 1;
            }
        } else {
            while st.tours.len() > added_from {
                st.remove_at(m, st.tours.len() - 1);
            }
            for t in removed {
                st.add(m, t);
            }
            since_best[c] += 1;
            stall += 1;
        }
    }
    for &c in part {
        if best[c].score.better_than(&component_score(m, st, c)) {
            set_component(m, st, c, &best[c].tours);
        }
    }
    // A last push on the bound where a gap remains, unless the caller's budget is spent.
    for &c in part {
        let progress = Progress {
            iteration: iterations,
            max_iterations: params.max_iterations,
            unmet_weighted: part_unmet(&best),
            bound: part_bound(bounds),
        };
        if stopped && !control.keep_going(&progress) {
            break;
        }
        if gap(bounds, c, best[c].score.unmet) > 0 && !closed[c] {
            lag.improve(m, c, target(m, st, c), 60);
            bounds[c] = bounds[c].max(lag.bound(m, c));
        }
    }
    (iterations, stopped)
}

/// Throws away component `c`'s plan and builds a new one with randomised rules: sometimes whole
/// units at a time first (in random order), then the week-by-week sweep.
fn restart(m: &Model, hints: &Hints, st: &mut State, lag: &Lagrange, c: usize, rng: &mut Rng) {
    let comp = &m.components[c];
    st.remove_where(m, |t| m.comp_of[t.r] == c);
    let w = Weights::random(rng, true);
    if rng.unit() < 0.5 {
        let mut order = comp.offers.clone();
        rng.shuffle(&mut order);
        let priced = [0.0, 0.5, 1.0][rng.below(3)];
        schedule_units(m, st, &order, Some(lag), priced, w.noise, rng, u32::MAX);
    }
    fill(m, st, &comp.reqs, Some(lag), hints, &w, rng);
}

/// Requirements with `max_nations` that at least this many nations could serve get their own
/// move ([`regive`]): with a handful of nations the ruins by nation and by requirement try the
/// choices often enough, with dozens they seldom free the right ones.
const WIDE: usize = 12;
/// Share of the iterations on a component with such a requirement that use that move.
const REGIVE_ONE_IN: usize = 8;

/// For each requirement of the components in `part` with `max_nations` that at least [`WIDE`]
/// nations could serve: the nations and how much of it each could cover alone
/// ([`nation_strength`]). Empty for every other requirement.
fn wide_strengths(m: &Model, part: &[usize]) -> Vec<Vec<(usize, u64)>> {
    (0..m.reqs.len())
        .map(|r| {
            if m.reqs[r].max_nations.is_none() || !part.contains(&m.comp_of[r]) {
                return Vec::new();
            }
            let strength = nation_strength(m, r);
            if strength.len() >= WIDE {
                strength.into_iter().collect()
            } else {
                Vec::new()
            }
        })
        .collect()
}

/// What a ruin took away, and a requirement to serve first when re-planning, with the nations
/// to serve it (if any).
struct Ruin {
    removed: Vec<Tour>,
    first: Option<(usize, Vec<usize>)>,
}

fn ruin(
    m: &Model,
    st: &mut State,
    c: usize,
    rng: &mut Rng,
    regive_now: bool,
    strength: &[Vec<(usize, u64)>],
) -> Ruin {
    let comp = &m.components[c];
    if regive_now {
        if let Some(r) = pick_capped(m, st, c, strength, rng) {
            return regive(m, st, r, &strength[r], rng);
        }
    }
    let removed = match rng.below(7) {
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
            st.remove_where(m, |t| m.comp_of[t.r] == c && m.offers[t.o].nation == n)
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
                m.comp_of[t.r] == c && t.start < t0 + k && t.start + t.len > t0
            })
        }
        _ => {
            let share = 0.1 + 0.3 * rng.unit();
            let mut picks = Vec::new();
            for (i, t) in st.tours.iter().enumerate() {
                if m.comp_of[t.r] == c && rng.unit() < share {
                    picks.push(i);
                }
            }
            let mut removed = Vec::with_capacity(picks.len());
            for &i in picks.iter().rev() {
                removed.push(st.remove_at(m, i));
            }
            removed
        }
    };
    Ruin {
        removed,
        first: None,
    }
}

/// At random, a requirement of component `c` with its own move (`strength` not empty) that has
/// all the nations it may have and is short in a week where an offer of another nation has a
/// unit free: the cap, not the units, holds it back. `None` if there is none.
fn pick_capped(
    m: &Model,
    st: &State,
    c: usize,
    strength: &[Vec<(usize, u64)>],
    rng: &mut Rng,
) -> Option<usize> {
    let short: Vec<usize> = m.components[c]
        .reqs
        .iter()
        .copied()
        .filter(|&r| {
            let req = &m.reqs[r];
            !strength[r].is_empty()
                && req.max_nations.is_some_and(|k| st.nations_on(r) >= k)
                && (0..m.horizon as usize).any(|w| {
                    // Short this week, while another nation's offer has a unit free.
                    st.cover[r][w] < req.demand[w]
                        && req.offers.iter().any(|&o| {
                            st.nation_tours[r][m.offers[o].nation] == 0
                                && st.busy[o][w] < m.offers[o].units
                                && m.offers[o].earliest <= w as u32
                                && w as u32 <= m.offers[o].last
                        })
                })
        })
        .collect();
    (!short.is_empty()).then(|| short[rng.below(short.len())])
}

/// Gives capped requirement `r` to other nations, so that the re-plan, serving `r` first, can
/// hand it to them: either one of the nations serving it makes way for another, or all do and
/// `max_nations` others are picked. New nations are drawn in proportion to how much of `r` they
/// could cover alone (`strength`), and their tours on whatever `r` competes with go too. The
/// search otherwise keeps the nations that first took a capped requirement: a move that would
/// bring another in finds the requirement already full of nations.
fn regive(m: &Model, st: &mut State, r: usize, strength: &[(usize, u64)], rng: &mut Rng) -> Ruin {
    let k = m.reqs[r].max_nations.unwrap_or(0) as usize;
    let serving: Vec<usize> = st.serving(r).collect();
    let (leaving, mut kept): (Vec<usize>, Vec<usize>) = if rng.unit() < 0.5 && !serving.is_empty() {
        let out = serving[rng.below(serving.len())];
        (
            vec![out],
            serving.into_iter().filter(|&n| n != out).collect(),
        )
    } else {
        (serving, Vec::new())
    };
    let mut pool: Vec<(usize, u64)> = strength
        .iter()
        .copied()
        .filter(|(n, s)| *s > 0 && !kept.contains(n) && !leaving.contains(n))
        .collect();
    let mut coming = Vec::new();
    while kept.len() + coming.len() < k && !pool.is_empty() {
        let total: u64 = pool.iter().map(|p| p.1).sum();
        let mut x = rng.below(total as usize) as u64;
        let mut i = 0;
        while x >= pool[i].1 {
            x -= pool[i].1;
            i += 1;
        }
        coming.push(pool.swap_remove(i).0);
    }
    let removed = st.remove_where(m, |t| {
        let n = m.offers[t.o].nation;
        (t.r == r && leaving.contains(&n))
            || (coming.contains(&n) && m.offers[t.o].reqs.contains(&r))
    });
    kept.extend(coming);
    Ruin {
        removed,
        first: Some((r, kept)),
    }
}

/// Serves requirement `r` week by week with the offers of `nations` only (in that order), as far
/// as their free units allow.
fn serve_with(m: &Model, st: &mut State, r: usize, nations: &[usize]) {
    let req = &m.reqs[r];
    let mut offers: Vec<usize> = req
        .offers
        .iter()
        .copied()
        .filter(|&o| nations.contains(&m.offers[o].nation))
        .collect();
    offers.sort_by_key(|&o| nations.iter().position(|&n| n == m.offers[o].nation));
    for w in req.from..=req.to {
        while st.cover[r][w as usize] < req.demand[w as usize] {
            let next = offers.iter().find_map(|&o| {
                let len = m.tour_len(o, r, w)?;
                st.fits(m, o, r, w, len).then_some(Tour {
                    o,
                    r,
                    start: w,
                    len,
                })
            });
            match next {
                Some(t) => st.add(m, t),
                None => break,
            }
        }
    }
}

/// Plans a scenario under the options.
pub fn solve(
    s: &Scenario,
    opts: &Options,
    params: &Params,
    control: &mut (dyn Control + Send),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Fourteen nations, one offer each for eight weeks; nations 0 and 1 have one unit, the
    /// others two. Requirement 0 needs three units from at most two nations; requirement 1 (low
    /// priority) takes whatever is left.
    fn model() -> Model {
        let codes: Vec<String> = (0..14u8)
            .map(|i| format!("N{}A", char::from(b'A' + i)))
            .collect();
        let offers: Vec<_> = codes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                json!({"id": format!("O{i:02}"), "nation": n, "capability": "CAP.X",
                       "units": if i < 2 { 1 } else { 2 }, "from_week": 0, "to_week": 7,
                       "notice_weeks": 0, "tour_weeks": 8, "dwell_weeks": 0, "roe": "robust",
                       "status": "confirmed", "cost_per_unit_week": 1})
            })
            .collect();
        let nations: Vec<_> = codes
            .iter()
            .map(|n| json!({"code": n, "name": n}))
            .collect();
        let req = |id: &str, units: u32, priority: u32, max: Option<u32>| {
            let mut r = json!({"id": id, "line": "land", "capability": "CAP.X", "region": "UA-30",
                               "units": units, "from_week": 0, "to_week": 7, "roe": "mandate",
                               "priority": priority});
            if let Some(k) = max {
                r["max_nations"] = json!(k);
            }
            r
        };
        let v = json!({"format": "coalition.scenario/1", "name": "Exercise hand-built",
            "start": "2026-01-05", "weeks": 8, "assumptions": {"us_backstop": true},
            "nations": nations,
            "capabilities": [{"code": "CAP.X", "name": "X", "domain": "land", "personnel": 100,
                              "sidc": "10031000001211000000"}],
            "offers": offers,
            "requirements": [req("R-CAPPED", 3, 10, Some(2)), req("R-REST", 30, 1, None)]});
        Model::build(&Scenario::from_value(&v).unwrap(), &Options::default())
    }

    fn tour(m: &Model, nation: usize, r: usize) -> Tour {
        let o = (0..m.offers.len())
            .find(|&o| m.offers[o].nation == nation)
            .unwrap();
        Tour {
            o,
            r,
            start: 0,
            len: 8,
        }
    }

    #[test]
    fn a_capped_requirement_held_by_weak_nations_goes_to_stronger_ones() {
        let m = model();
        let strength = wide_strengths(&m, &[0]);
        let hints = Hints::new(&m);
        for seed in 1..=20 {
            let mut rng = Rng::new(seed);
            // Nations 0 and 1 (one unit each) hold the capped requirement: one unit short.
            let mut st = State::empty(&m);
            st.add(&m, tour(&m, 0, 0));
            st.add(&m, tour(&m, 1, 0));
            assert_eq!(pick_capped(&m, &st, 0, &strength, &mut rng), Some(0));
            let Ruin { removed, first } = regive(&m, &mut st, 0, &strength[0], &mut rng);
            let (r, nations) = first.unwrap();
            assert_eq!(r, 0);
            assert_eq!(nations.len(), 2);
            assert!(!removed.is_empty());
            serve_with(&m, &mut st, 0, &nations);
            // The other requirement takes what is left, as the re-plan would.
            fill(
                &m,
                &mut st,
                &[0, 1],
                None,
                &hints,
                &Weights::PLAIN,
                &mut rng,
            );
            // Whichever way it went (one nation made way, or both), two nations now cover it.
            assert!(st.nations_on(0) <= 2);
            assert!(
                st.cover[0].iter().all(|&c| c == 3),
                "seed {seed}: {:?}",
                st.cover[0]
            );
        }
    }

    #[test]
    fn only_a_requirement_that_another_nation_could_help_is_picked() {
        let m = model();
        let strength = wide_strengths(&m, &[0]);
        let mut rng = Rng::new(1);
        // Full: nothing to give.
        let mut st = State::empty(&m);
        st.add(&m, tour(&m, 2, 0));
        st.add(&m, tour(&m, 3, 0));
        st.add(&m, tour(&m, 3, 0));
        assert_eq!(pick_capped(&m, &st, 0, &strength, &mut rng), None);
        // Short, but every other nation's units are busy elsewhere: the cap is not what holds it.
        let mut st = State::empty(&m);
        st.add(&m, tour(&m, 0, 0));
        st.add(&m, tour(&m, 1, 0));
        for n in 2..14 {
            st.add(&m, tour(&m, n, 1));
            st.add(&m, tour(&m, n, 1));
        }
        assert_eq!(pick_capped(&m, &st, 0, &strength, &mut rng), None);
        // One of them free again: now it is.
        st.remove_where(&m, |t| m.offers[t.o].nation == 7);
        assert_eq!(pick_capped(&m, &st, 0, &strength, &mut rng), Some(0));
    }
}
