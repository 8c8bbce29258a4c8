//! The proven lower bound: Lagrangian relaxation of "units on tour ≤ units required".
//!
//! With multipliers μ[r,w] ≥ 0 on the coverage limits, what is left splits by offer, and each
//! offer's best schedule is `units ×` a longest path through its weeks (idle, or a tour followed
//! by dwell). For any μ ≥ 0,
//! `L(μ) = Σ_o units_o · F_o(μ) + Σ_{r,w} μ[r,w] · demand[r,w]` is at least the best weighted
//! coverage of any plan, so `Σ priority · demand − L(μ)` is a lower bound on weighted unmet.
//! Subgradient steps (Polyak, with the best known plan as target) drive μ down towards the LP
//! bound. Once they settle, [`Lagrange::branch_nations`] branches on which nations serve each
//! requirement with `max_nations`, which the relaxation prices only on average. The same prices,
//! and each offer's value-to-go `F_o[t]`, guide the construction of plans and estimate what one
//! more unit of an offer is worth.

use crate::model::{Component, Model, Starts};

/// Components whose one step costs more DP cells ([`step_cells`]) than this take
/// shorter first steps ([`SHORT_FIRST_STEP`] of the Polyak length instead of all of it).
/// Their steps are few in any budget, their subgradient is coarse (all units of an offer move
/// together over a hundred weeks), and the best plan that stands in for the optimum in the
/// step length leaves far below it, so full steps overshoot for hundreds of steps: on `large`
/// (components of 0.2–2M cells), 700 steps per component reach a bound of 263 with short first
/// steps and stay at 0 with full ones. Components of the exercise and `small` (up to about
/// 12,000 cells) get many steps, and full first steps leave them the better bound there.
const COARSE_CELLS: usize = 100_000;
const SHORT_FIRST_STEP: f64 = 0.3;

#[derive(Debug, Clone)]
pub(crate) struct Lagrange {
    mu: Vec<Vec<f64>>,
    /// Requirements with `max_nations`: a cap on their total covered unit-weeks (the best the
    /// allowed number of nations could do alone) and its multiplier ν and search direction.
    cap: Vec<Option<f64>>,
    nu: Vec<f64>,
    nu_dir: Vec<f64>,
    /// Requirements whose `max_nations` binds: multiplier π on "nations serving ≤ max_nations",
    /// priced nation by nation (each nation decides which of them to serve).
    pi_on: Vec<bool>,
    pi: Vec<f64>,
    pi_dir: Vec<f64>,
    /// Nations allowed to serve each requirement (`None`: all). Set only in the branches of
    /// [`Lagrange::branch_nations`].
    allow: Vec<Option<Vec<usize>>>,
    /// Previous search direction (deflected subgradient), per requirement and week.
    dir: Vec<Vec<f64>>,
    /// Per component: best (lowest) L so far, step factor, iterations without improvement.
    best: Vec<f64>,
    lambda: Vec<f64>,
    stall: Vec<u32>,
    /// Prices at the best μ: prefix sums of (priority − μ) per requirement, and value-to-go per
    /// offer (for one unit idle from week t).
    pub prefix: Vec<Vec<f64>>,
    pub value_to_go: Vec<Vec<f64>>,
    pub iterations: u64,
}

/// Scratch for one DP pass.
struct Pass {
    prefix: Vec<Vec<f64>>,
    f: Vec<Vec<f64>>,
    x: Vec<Vec<u32>>,
    /// Nations serving each requirement (only counted where `max_nations` is dualised).
    z: Vec<u32>,
    l: f64,
}

impl Lagrange {
    /// Multipliers for `m`; `cells` is [`step_cells`] of it.
    pub fn new(m: &Model, cells: &[usize]) -> Self {
        let h = m.horizon as usize;
        Self {
            // Start at half the priority: covered weeks are worth something, but not everything.
            mu: m
                .reqs
                .iter()
                .map(|r| {
                    let p = if r.offers.is_empty() {
                        0.0
                    } else {
                        r.priority as f64 * 0.5
                    };
                    (0..h)
                        .map(|w| if r.demand[w] > 0 { p } else { 0.0 })
                        .collect()
                })
                .collect(),
            dir: vec![vec![0.0; h]; m.reqs.len()],
            cap: (0..m.reqs.len()).map(|r| nation_cap(m, r)).collect(),
            nu: vec![0.0; m.reqs.len()],
            nu_dir: vec![0.0; m.reqs.len()],
            pi_on: m
                .reqs
                .iter()
                .map(|r| {
                    let nations: std::collections::BTreeSet<usize> =
                        r.offers.iter().map(|&o| m.offers[o].nation).collect();
                    r.max_nations.is_some_and(|k| nations.len() > k as usize)
                })
                .collect(),
            pi: vec![0.0; m.reqs.len()],
            pi_dir: vec![0.0; m.reqs.len()],
            allow: vec![None; m.reqs.len()],
            best: vec![f64::INFINITY; m.components.len()],
            lambda: cells
                .iter()
                .map(|&n| {
                    if n > COARSE_CELLS {
                        SHORT_FIRST_STEP
                    } else {
                        1.0
                    }
                })
                .collect(),
            stall: vec![0; m.components.len()],
            prefix: vec![vec![0.0; h + 1]; m.reqs.len()],
            value_to_go: vec![vec![0.0; h + 1]; m.offers.len()],
            iterations: 0,
        }
    }

    /// Takes over component `c`'s multipliers, step state and prices from `other` (another
    /// thread's search of the same model).
    pub fn adopt(&mut self, m: &Model, other: &Lagrange, c: usize) {
        let comp = &m.components[c];
        for &r in &comp.reqs {
            self.mu[r].clone_from(&other.mu[r]);
            self.dir[r].clone_from(&other.dir[r]);
            self.prefix[r].clone_from(&other.prefix[r]);
            self.nu[r] = other.nu[r];
            self.nu_dir[r] = other.nu_dir[r];
            self.pi[r] = other.pi[r];
            self.pi_dir[r] = other.pi_dir[r];
        }
        for &o in &comp.offers {
            self.value_to_go[o].clone_from(&other.value_to_go[o]);
        }
        self.best[c] = other.best[c];
        self.lambda[c] = other.lambda[c];
        self.stall[c] = other.stall[c];
    }

    /// How far the Lagrangian has got in component `c`: the bound before it is rounded up and
    /// floored at zero, so that progress shows while it is still below zero.
    pub fn progress(&self, m: &Model, c: usize) -> f64 {
        weighted_demand(m, &m.components[c]) as f64 - self.best[c]
    }

    /// The proven lower bound on weighted unmet in component `c`.
    pub fn bound(&self, m: &Model, c: usize) -> u64 {
        let comp = &m.components[c];
        let total = weighted_demand(m, comp) as f64;
        if comp.offers.is_empty() {
            return total as u64;
        }
        let slack = 1e-7 * (1.0 + total);
        let b = (total - self.best[c] - slack).ceil();
        if b <= 0.0 {
            0
        } else {
            let parts: Vec<(u64, u64)> = comp
                .reqs
                .iter()
                .map(|&r| (m.reqs[r].priority, m.reqs[r].unit_weeks()))
                .collect();
            attainable_from(&parts, b as u64)
        }
    }

    fn pass(&self, m: &Model, comp: &Component) -> Pass {
        let h = m.horizon as usize;
        let mut prefix = Vec::with_capacity(comp.reqs.len());
        let mut l = 0.0;
        for &r in &comp.reqs {
            let req = &m.reqs[r];
            let mut p = vec![0.0; h + 1];
            let nu = self.nu[r];
            if let Some(cap) = self.cap[r] {
                l += nu * cap;
            }
            for w in 0..h {
                let mu = self.mu[r][w];
                l += mu * f64::from(req.demand[w]);
                p[w + 1] = p[w] + req.priority as f64 - mu - nu;
            }
            prefix.push(p);
        }
        let mut index = vec![usize::MAX; m.reqs.len()];
        for (i, &r) in comp.reqs.iter().enumerate() {
            index[r] = i;
        }
        let mut x = vec![vec![0u32; h]; comp.reqs.len()];
        let mut z = vec![0u32; comp.reqs.len()];
        let mut fs: Vec<Vec<f64>> = vec![Vec::new(); comp.offers.len()];
        for &r in &comp.reqs {
            if self.pi_on[r] {
                l += self.pi[r] * f64::from(m.reqs[r].max_nations.unwrap_or(0));
            }
        }
        // Nation by nation: choose which capped requirements the nation serves (paying π for
        // each), then each offer's best schedule among the requirements that leaves open.
        let mut by_nation: std::collections::BTreeMap<usize, Vec<usize>> = Default::default();
        for (i, &o) in comp.offers.iter().enumerate() {
            by_nation.entry(m.offers[o].nation).or_default().push(i);
        }
        for (&nation, members) in &by_nation {
            // Requirements this nation may not serve in this branch.
            let barred = |r: usize| {
                self.allow[r]
                    .as_ref()
                    .is_some_and(|allowed| !allowed.contains(&nation))
            };
            let mut capped: Vec<usize> = members
                .iter()
                .flat_map(|&i| m.offers[comp.offers[i]].reqs.iter().copied())
                .filter(|&r| self.pi_on[r])
                .collect();
            capped.sort_unstable();
            capped.dedup();
            // Each capped requirement doubles the work for this nation: price at most three.
            capped.truncate(3);
            let mut best: Option<(f64, u32, Vec<UnitPath>)> = None;
            for mask in 0u32..(1 << capped.len()) {
                let closed = |r: usize| {
                    barred(r)
                        || capped
                            .iter()
                            .position(|&c| c == r)
                            .is_some_and(|k| mask & (1 << k) == 0)
                };
                let mut value: f64 = capped
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| mask & (1 << k) != 0)
                    .map(|(_, &r)| -self.pi[r])
                    .sum();
                let mut paths = Vec::with_capacity(members.len());
                for &i in members {
                    let o = comp.offers[i];
                    let (f, choice) = offer_dp(m, o, &prefix, &index, &closed);
                    value += f64::from(m.offers[o].units) * f[0];
                    paths.push((f, choice));
                }
                if best.as_ref().is_none_or(|(bv, _, _)| value > *bv + 1e-12) {
                    best = Some((value, mask, paths));
                }
            }
            let Some((value, mask, paths)) = best else {
                continue;
            };
            l += value;
            for (k, &r) in capped.iter().enumerate() {
                if mask & (1 << k) != 0 {
                    z[index[r]] += 1;
                }
            }
            for (&i, (f, choice)) in members.iter().zip(paths) {
                let o = comp.offers[i];
                let units = m.offers[o].units;
                let mut t = 0usize;
                while t < h {
                    match choice[t] {
                        Some((lr, len)) => {
                            for xw in &mut x[lr][t..t + len as usize] {
                                *xw += units;
                            }
                            t = m.busy_end(o, t as u32, len) as usize;
                        }
                        None => t += 1,
                    }
                }
                fs[i] = f;
            }
        }
        Pass {
            prefix,
            f: fs,
            x,
            z,
            l,
        }
    }

    /// Runs `iters` subgradient steps on component `c`; `target` is the weighted coverage of the
    /// best known plan there. Returns true when the bound can no longer move (it met the target).
    pub fn improve(&mut self, m: &Model, c: usize, target: f64, iters: u32) -> bool {
        let comp = &m.components[c];
        if comp.offers.is_empty() {
            self.best[c] = 0.0;
            return true;
        }
        for _ in 0..iters {
            self.iterations += 1;
            let pass = self.pass(m, comp);
            if pass.l < self.best[c] - 1e-9 {
                self.best[c] = pass.l;
                self.stall[c] = 0;
                for (i, &r) in comp.reqs.iter().enumerate() {
                    self.prefix[r].clone_from(&pass.prefix[i]);
                }
                for (i, &o) in comp.offers.iter().enumerate() {
                    self.value_to_go[o].clone_from(&pass.f[i]);
                }
            } else {
                self.stall[c] += 1;
                if self.stall[c] >= 40 {
                    self.lambda[c] *= 0.85;
                    self.stall[c] = 0;
                }
            }
            if self.best[c] <= target + 0.5 || self.lambda[c] < 1e-5 {
                return true;
            }
            // Deflected subgradient: d = g + β·d_prev damps the zig-zag of plain steps.
            let beta = 0.5;
            let mut norm = 0.0;
            for (i, &r) in comp.reqs.iter().enumerate() {
                for (w, &d) in m.reqs[r].demand.iter().enumerate() {
                    let g = f64::from(d) - f64::from(pass.x[i][w]);
                    let dir = &mut self.dir[r][w];
                    *dir = g + beta * *dir;
                    norm += *dir * *dir;
                }
            }
            for (i, &r) in comp.reqs.iter().enumerate() {
                if self.pi_on[r] {
                    let k = f64::from(m.reqs[r].max_nations.unwrap_or(0));
                    self.pi_dir[r] = k - f64::from(pass.z[i]) + beta * self.pi_dir[r];
                    norm += self.pi_dir[r] * self.pi_dir[r];
                }
                if let Some(cap) = self.cap[r] {
                    let covered: f64 = pass.x[i].iter().map(|&x| f64::from(x)).sum();
                    self.nu_dir[r] = cap - covered + beta * self.nu_dir[r];
                    norm += self.nu_dir[r] * self.nu_dir[r];
                }
            }
            if norm == 0.0 {
                return true;
            }
            let theta = self.lambda[c] * (pass.l - target).max(1.0) / norm;
            for &r in &comp.reqs {
                if self.cap[r].is_some() {
                    self.nu[r] = (self.nu[r] - theta * self.nu_dir[r]).max(0.0);
                }
                if self.pi_on[r] {
                    // π is in weighted unit-weeks per nation: scale its step to the requirement's size.
                    let scale = m.reqs[r]
                        .demand
                        .iter()
                        .map(|&d| f64::from(d))
                        .sum::<f64>()
                        .max(1.0);
                    self.pi[r] = (self.pi[r] - theta * scale * self.pi_dir[r]).max(0.0);
                }
                for w in 0..m.horizon as usize {
                    let mu = &mut self.mu[r][w];
                    *mu = (*mu - theta * self.dir[r][w]).max(0.0);
                }
            }
        }
        false
    }

    /// Whether component `c`'s steps have shrunk to a hundredth of their first length: its
    /// multipliers have about settled.
    pub fn settled(&self, c: usize) -> bool {
        self.lambda[c] < 0.01
    }

    /// Integer reasoning on `max_nations`, which the multipliers π price only on average. Every
    /// plan serves a requirement with `max_nations = k` with at most k of its nations, so it
    /// lies within one choice of k nations; the least bound over the choices, each a Lagrangian
    /// of its own started from these multipliers, is a bound too, and often a stronger one.
    ///
    /// Branches on the capped requirements of component `c` with the fewest choices, up to
    /// [`MAX_BRANCHES`] combinations and [`BRANCH_CELLS`] DP cells in all; the rest stay priced.
    /// A branch takes at most `steps` subgradient steps and stops once its bound reaches
    /// `target` (the best plan's weighted coverage). Returns `None` when branching cannot raise
    /// `floor` (the bound already known): as soon as one branch settles at or below it, or when
    /// the steps taken use up the budget (or it could not give every branch a few dozen).
    pub fn branch_nations(
        &mut self,
        m: &Model,
        c: usize,
        target: f64,
        floor: u64,
        steps: u32,
        cells: usize,
    ) -> Option<u64> {
        let comp = &m.components[c];
        let mut choices: Vec<(usize, Vec<NationChoice>)> = comp
            .reqs
            .iter()
            .filter(|&&r| self.pi_on[r])
            .map(|&r| (r, nation_choices(m, r)))
            .collect();
        choices.sort_by_key(|(_, ch)| ch.len());
        let mut branches = 1usize;
        let mut used = 0;
        for (_, ch) in &choices {
            if branches * ch.len() > MAX_BRANCHES {
                break;
            }
            branches *= ch.len();
            used += 1;
        }
        choices.truncate(used);
        // Most branches stop within a few steps (their nations cannot match the best plan), so
        // the budget counts the steps taken; it allows every branch a few dozen at least.
        if choices.is_empty() || branches * cells.max(1) * MIN_BRANCH_STEPS > BRANCH_CELLS {
            return None;
        }
        let mut spent = 0usize;
        let mut least = u64::MAX;
        let mut pick = vec![0usize; used];
        loop {
            let mut b = self.clone();
            for ((r, ch), &i) in choices.iter().zip(&pick) {
                let r = *r;
                let (allowed, cap) = &ch[i];
                b.cap[r] = *cap;
                if cap.is_none() {
                    b.nu[r] = 0.0;
                }
                b.allow[r] = Some(allowed.clone());
                b.pi_on[r] = false;
                b.pi[r] = 0.0;
                b.pi_dir[r] = 0.0;
            }
            b.best[c] = f64::INFINITY;
            b.lambda[c] = BRANCH_FIRST_STEP;
            b.stall[c] = 0;
            b.improve(m, c, target, steps);
            spent += (b.iterations - self.iterations) as usize * cells;
            self.iterations = b.iterations;
            if spent > BRANCH_CELLS {
                return None;
            }
            let v = b.bound(m, c);
            if v <= floor {
                return None;
            }
            least = least.min(v);
            // The next combination of choices.
            let mut k = 0;
            loop {
                if k == used {
                    return Some(least);
                }
                pick[k] += 1;
                if pick[k] < choices[k].1.len() {
                    break;
                }
                pick[k] = 0;
                k += 1;
            }
        }
    }

    /// Value, in priority-weighted unit-weeks at the current prices, of a tour.
    pub fn tour_value(&self, r: usize, start: u32, len: u32) -> f64 {
        let p = &self.prefix[r];
        p[(start + len) as usize] - p[start as usize]
    }
}

/// Work of one bound step per component, in DP cells: offer × requirement × week, times the
/// nation choices priced for `max_nations` (up to three capped requirements a nation).
pub(crate) fn step_cells(m: &Model) -> Vec<usize> {
    m.components
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
        .collect()
}

/// Sums this large or larger are not rounded by [`attainable_from`]: its table, worked out on
/// every bound step, would cost more than the rounding (under one priority) is worth there.
const ROUNDING_LIMIT: u64 = 1 << 18;

/// The least weighted unmet at or above `b` that a plan can leave, where `parts` gives each
/// requirement's priority and demand in unit-weeks. A plan leaves a whole number of unit-weeks
/// of each requirement uncovered, at most its demand, so its weighted unmet is a sum of
/// priorities, each taken at most that often: a bound of 13 on one requirement of priority 5
/// is a bound of 15. Returns `b` unchanged when no such sum is found at or below the limit.
pub(crate) fn attainable_from(parts: &[(u64, u64)], b: u64) -> u64 {
    let top = parts.iter().map(|&(p, _)| p).max().unwrap_or(0);
    let Some(limit) = b.checked_add(top).filter(|&l| l < ROUNDING_LIMIT) else {
        return b;
    };
    let limit = limit as usize;
    let mut reach = vec![false; limit + 1];
    reach[0] = true;
    for &(p, weeks) in parts {
        let p = p as usize;
        if p == 0 || weeks == 0 {
            continue;
        }
        if (p as u64).saturating_mul(weeks) >= limit as u64 {
            // As often as wanted, within the table.
            for v in p..=limit {
                reach[v] |= reach[v - p];
            }
        } else {
            // At most `weeks` times: in lots of 1, 2, 4, … and the rest, each taken once.
            let mut left = weeks as usize;
            let mut lot = 1;
            while left > 0 {
                let take = lot.min(left);
                let step = take * p;
                for v in (step..=limit).rev() {
                    reach[v] |= reach[v - step];
                }
                left -= take;
                lot *= 2;
            }
        }
    }
    reach
        .iter()
        .skip(b as usize)
        .position(|&r| r)
        .map_or(b, |i| b + i as u64)
}

pub(crate) fn weighted_demand(m: &Model, comp: &Component) -> u64 {
    comp.reqs
        .iter()
        .map(|&r| m.reqs[r].priority * m.reqs[r].unit_weeks())
        .sum()
}

/// Branches [`Lagrange::branch_nations`] may make for one component, and DP cells it may spend.
const MAX_BRANCHES: usize = 256;
const BRANCH_CELLS: usize = 200_000_000;
/// A branch starts from multipliers that have settled for the whole component, so it takes
/// shorter first steps than a fresh start (on the exercise, 300 steps from 0.3 of the Polyak
/// length got further than 1,000 from the full length).
const BRANCH_FIRST_STEP: f64 = 0.3;
/// Branching is not tried unless [`BRANCH_CELLS`] would allow every branch this many steps:
/// fewer leave a branch's bound too far from settled to be worth the work.
const MIN_BRANCH_STEPS: usize = 40;

/// Nations allowed to serve a requirement, and the cap on its covered unit-weeks they make.
type NationChoice = (Vec<usize>, Option<f64>);

/// Every choice of `max_nations` nations for requirement `r`, strongest nations first (by the
/// unit-weeks each could cover alone), so that the likeliest choices come first; each with the
/// cap on covered unit-weeks its nations make ([`cap_from`]).
fn nation_choices(m: &Model, r: usize) -> Vec<NationChoice> {
    let req = &m.reqs[r];
    let mut nations: Vec<(u64, usize)> = nation_strength(m, r)
        .into_iter()
        .map(|(n, s)| (s, n))
        .collect();
    nations.sort_by(|a, b| b.cmp(a));
    let k = req.max_nations.map_or(0, |k| k as usize).min(nations.len());
    let need = req.unit_weeks();
    let mut out = Vec::new();
    let mut idx: Vec<usize> = (0..k).collect();
    loop {
        let chosen = || idx.iter().map(|&i| nations[i]);
        out.push((
            chosen().map(|(_, n)| n).collect(),
            cap_from(chosen().map(|(s, _)| s), k, need),
        ));
        // The next k-combination in lexicographic order of positions.
        let Some(i) = (0..k).rev().find(|&i| idx[i] < nations.len() - k + i) else {
            return out;
        };
        idx[i] += 1;
        for j in i + 1..k {
            idx[j] = idx[j - 1] + 1;
        }
    }
}

/// For a requirement with `max_nations = k`: the most unit-weeks the k strongest nations could
/// cover if each served it alone (`None` when that does not bind).
fn nation_cap(m: &Model, r: usize) -> Option<f64> {
    let req = &m.reqs[r];
    let k = req.max_nations? as usize;
    cap_from(nation_strength(m, r).into_values(), k, req.unit_weeks())
}

/// The unit-weeks each nation's offers could cover of requirement `r` if it served `r` alone.
pub(crate) fn nation_strength(m: &Model, r: usize) -> std::collections::BTreeMap<usize, u64> {
    let mut strength: std::collections::BTreeMap<usize, u64> = Default::default();
    for &o in &m.reqs[r].offers {
        *strength.entry(m.offers[o].nation).or_default() +=
            u64::from(m.offers[o].units) * best_single(m, o, r);
    }
    strength
}

/// The cap on a requirement's covered unit-weeks (`need` in all) when at most `k` nations of
/// these strengths serve it: the k strongest together (`None` when that does not bind).
fn cap_from(strengths: impl Iterator<Item = u64>, k: usize, need: u64) -> Option<f64> {
    let mut caps: Vec<u64> = strengths.map(|c| c.min(need)).collect();
    caps.sort_unstable_by(|a, b| b.cmp(a));
    let cap: u64 = caps.iter().take(k).sum();
    (cap < need).then_some(cap as f64)
}

/// The most weeks with demand one unit of offer `o` can spend on requirement `r` alone.
fn best_single(m: &Model, o: usize, r: usize) -> u64 {
    let h = m.horizon as usize;
    let useful: Vec<u64> = std::iter::once(0)
        .chain(m.reqs[r].demand.iter().scan(0u64, |acc, &d| {
            *acc += u64::from(d > 0);
            Some(*acc)
        }))
        .collect();
    let mut f = vec![0u64; h + 1];
    for t in (0..h).rev() {
        f[t] = f[t + 1];
        if let Some(len) = m.tour_len(o, r, t as u32) {
            let next = m.busy_end(o, t as u32, len) as usize;
            f[t] = f[t].max(useful[t + len as usize] - useful[t] + f[next]);
        }
    }
    f[0]
}

/// Value-to-go per week and the choice made there (requirement index and tour length).
type UnitPath = (Vec<f64>, Vec<Option<(usize, u32)>>);

/// One unit of offer `o`: the best schedule value from each week at the given prices, and the
/// choice made there (requirements for which `closed` holds are not served).
fn offer_dp(
    m: &Model,
    o: usize,
    prefix: &[Vec<f64>],
    index: &[usize],
    closed: &dyn Fn(usize) -> bool,
) -> UnitPath {
    let of = &m.offers[o];
    // Each open requirement's start weeks and prices, worked out once rather than week by week.
    let open: Vec<(usize, Starts, &[f64])> = of
        .reqs
        .iter()
        .filter(|&&r| !closed(r))
        .filter_map(|&r| {
            let lr = index[r];
            Some((lr, m.starts(o, r), prefix.get(lr)?.as_slice()))
        })
        .collect();
    // Most requirements have no gaps in their profile; their loop skips the check for gaps.
    if open.iter().any(|(_, starts, _)| starts.has_gaps()) {
        unit_dp::<true>(m, o, &open)
    } else {
        unit_dp::<false>(m, o, &open)
    }
}

/// [`offer_dp`] over its open requirements; `GAPS`: whether any has gaps in its profile.
fn unit_dp<const GAPS: bool>(m: &Model, o: usize, open: &[(usize, Starts, &[f64])]) -> UnitPath {
    let h = m.horizon as usize;
    let of = &m.offers[o];
    let mut f = vec![0.0; h + 1];
    let mut choice: Vec<Option<(usize, u32)>> = vec![None; h];
    for t in (0..h).rev() {
        f[t] = f[t + 1];
        let tw = t as u32;
        if tw < of.earliest || tw > of.last {
            continue;
        }
        for &(lr, starts, p) in open {
            let len = if GAPS {
                starts.len(tw)
            } else {
                starts.len_in_window(tw)
            };
            let Some(len) = len else {
                continue;
            };
            let next = m.busy_end(o, tw, len) as usize;
            let v = p[t + len as usize] - p[t] + f[next];
            if v > f[t] + 1e-12 {
                f[t] = v;
                choice[t] = Some((lr, len));
            }
        }
    }
    (f, choice)
}

#[cfg(test)]
mod tests {
    use super::{attainable_from, step_cells, Lagrange};
    use crate::model::Model;
    use crate::options::Options;
    use domain::Scenario;
    use serde_json::json;

    #[test]
    fn no_tour_covers_a_week_that_requires_no_unit() {
        // One unit on tours of four weeks, no dwell, for a requirement of priority 5 over ten
        // weeks that requires nothing in weeks 3 and 4. A tour from week 0 would cover week 3,
        // so weeks 0-2 cannot be covered; weeks 5-8 and 9 can. The optimum leaves 3 × 5 = 15.
        let v = json!({"format": "coalition.scenario/1", "name": "Exercise gap", "weeks": 10,
            "start": "2026-01-05", "assumptions": {},
            "nations": [{"code": "AAA", "name": "A"}],
            "capabilities": [{"code": "CAP.X", "name": "X", "domain": "land", "personnel": 100,
                              "sidc": "10031000001211000000"}],
            "offers": [{"id": "O1", "nation": "AAA", "capability": "CAP.X", "units": 1,
                "from_week": 0, "to_week": 9, "notice_weeks": 0, "tour_weeks": 4,
                "dwell_weeks": 0, "roe": "robust", "status": "confirmed",
                "cost_per_unit_week": 1}],
            "requirements": [{"id": "R1", "line": "land", "capability": "CAP.X",
                "region": "UA-30", "units": 1, "from_week": 0, "to_week": 9, "roe": "mandate",
                "priority": 5, "profile": [{"from_week": 3, "to_week": 4, "units": 0}]}]});
        let s = Scenario::from_value(&v).unwrap();
        let m = Model::build(&s, &Options::default());
        assert_eq!(m.tour_len(0, 0, 0), None, "would cover week 3");
        assert_eq!(m.tour_len(0, 0, 2), None, "would cover weeks 3 and 4");
        assert_eq!(
            m.tour_len(0, 0, 3),
            None,
            "starts in a week requiring nothing"
        );
        assert_eq!(m.tour_len(0, 0, 5), Some(4));
        assert_eq!(
            m.tour_len(0, 0, 7),
            Some(3),
            "cut short at the window's end"
        );
        // At zero prices the relaxation already proves the optimum: it has no tour through the
        // gap to count weeks 0-2 (or 3 and 4) as covered.
        let mut lag = Lagrange::new(&m, &step_cells(&m));
        lag.mu[0].fill(0.0);
        lag.improve(&m, 0, 0.0, 1);
        assert_eq!(lag.bound(&m, 0), 15);
    }

    #[test]
    fn a_bound_rises_to_the_next_sum_of_priorities_a_plan_can_leave() {
        // One requirement of priority 5: only multiples of 5.
        assert_eq!(attainable_from(&[(5, 100)], 13), 15);
        assert_eq!(attainable_from(&[(5, 100)], 15), 15);
        // Priorities 6 and 4 make only even sums.
        assert_eq!(attainable_from(&[(6, 100), (4, 100)], 13), 14);
        // 7 and 8 make every sum from 42 on, but not 41.
        assert_eq!(attainable_from(&[(7, 100), (8, 100)], 41), 42);
        assert_eq!(attainable_from(&[(7, 100), (8, 100)], 43), 43);
        // Demand caps how often a priority can be taken: with at most 2 unit-weeks of
        // priority 10 and 3 of priority 3, the sums are 0, 3, 6, 9, 10, 13, 16, 19, 20, 23, …
        assert_eq!(attainable_from(&[(10, 2), (3, 3)], 11), 13);
        assert_eq!(attainable_from(&[(10, 2), (3, 3)], 21), 23);
        assert_eq!(attainable_from(&[(10, 2), (3, 3)], 17), 19);
        // Priority 1 leaves every bound as it is; no requirement, or beyond all demand, too.
        assert_eq!(attainable_from(&[(1, 50), (9, 50)], 37), 37);
        assert_eq!(attainable_from(&[], 37), 37);
        assert_eq!(attainable_from(&[(10, 2), (3, 3)], 30), 30);
    }
}
