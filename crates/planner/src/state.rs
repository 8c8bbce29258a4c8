//! A plan under construction: tours with the per-week load they put on offers and requirements,
//! and the objective kept up to date incrementally.

use crate::model::Model;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Tour {
    pub o: usize,
    pub r: usize,
    pub start: u32,
    pub len: u32,
}

/// Lexicographic objective: weighted unmet, then cost, then distinct nations per requirement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Score {
    pub unmet: u64,
    pub cost: f64,
    pub nations: u32,
}

impl Score {
    /// Strictly better than `other`.
    pub fn better_than(&self, other: &Score) -> bool {
        if self.unmet != other.unmet {
            return self.unmet < other.unmet;
        }
        let tol = 1e-9 * (1.0 + other.cost.abs());
        if (self.cost - other.cost).abs() > tol {
            return self.cost < other.cost;
        }
        self.nations < other.nations
    }
}

#[derive(Debug, Clone)]
pub(crate) struct State {
    /// Units busy (on tour or resting) per offer and week.
    pub busy: Vec<Vec<u32>>,
    /// Units on tour per requirement and week.
    pub cover: Vec<Vec<u32>>,
    /// One entry per unit on tour (identical entries mean several units).
    pub tours: Vec<Tour>,
    /// Tours per requirement and nation, for `max_nations` and objective (3).
    pub nation_tours: Vec<Vec<u32>>,
    pub unmet: u64,
    pub cost: f64,
    pub nations: u32,
}

impl State {
    pub fn empty(m: &Model) -> Self {
        let h = m.horizon as usize;
        Self {
            busy: vec![vec![0; h]; m.offers.len()],
            cover: vec![vec![0; h]; m.reqs.len()],
            tours: Vec::new(),
            nation_tours: vec![vec![0; m.nations.len()]; m.reqs.len()],
            unmet: m.total_weighted_demand(),
            cost: 0.0,
            nations: 0,
        }
    }

    pub fn score(&self) -> Score {
        Score {
            unmet: self.unmet,
            cost: self.cost,
            nations: self.nations,
        }
    }

    /// The nations serving requirement `r`.
    pub fn serving(&self, r: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.nation_tours[r].len()).filter(move |&n| self.nation_tours[r][n] > 0)
    }

    /// Distinct nations serving requirement `r`.
    pub fn nations_on(&self, r: usize) -> u32 {
        self.serving(r).count() as u32
    }

    /// Whether one more unit of offer `o` may start a tour of `len` weeks on `r` in week `s`.
    pub fn fits(&self, m: &Model, o: usize, r: usize, s: u32, len: u32) -> bool {
        let (su, eu) = (s as usize, (s + len) as usize);
        let demand = &m.reqs[r].demand[su..eu];
        if self.cover[r][su..eu]
            .iter()
            .zip(demand)
            .any(|(c, d)| c >= d)
        {
            return false;
        }
        self.fits_offer(m, o, r, s, len)
    }

    /// [`State::fits`] less the test of coverage, for callers that have made it already: a
    /// unit of `o` free for the tour and its dwell, and the nation allowed on `r`.
    pub fn fits_offer(&self, m: &Model, o: usize, r: usize, s: u32, len: u32) -> bool {
        let units = m.offers[o].units;
        let be = m.busy_end(o, s, len) as usize;
        if self.busy[o][s as usize..be].iter().any(|&b| b >= units) {
            return false;
        }
        self.nation_allowed(m, o, r)
    }

    pub fn nation_allowed(&self, m: &Model, o: usize, r: usize) -> bool {
        let n = m.offers[o].nation;
        match m.reqs[r].max_nations {
            Some(max) if self.nation_tours[r][n] == 0 => self.nations_on(r) < max,
            _ => true,
        }
    }

    pub fn add(&mut self, m: &Model, t: Tour) {
        let (su, eu) = (t.start as usize, (t.start + t.len) as usize);
        let req = &m.reqs[t.r];
        for w in su..eu {
            if self.cover[t.r][w] < req.demand[w] {
                self.unmet -= req.priority;
            }
            self.cover[t.r][w] += 1;
        }
        for b in &mut self.busy[t.o][su..m.busy_end(t.o, t.start, t.len) as usize] {
            *b += 1;
        }
        let n = m.offers[t.o].nation;
        if self.nation_tours[t.r][n] == 0 {
            self.nations += 1;
        }
        self.nation_tours[t.r][n] += 1;
        self.cost += f64::from(t.len) * m.offers[t.o].cost;
        self.tours.push(t);
    }

    /// Removes the tour at index `i` (order of `tours` is not kept).
    pub fn remove_at(&mut self, m: &Model, i: usize) -> Tour {
        let t = self.tours.swap_remove(i);
        let (su, eu) = (t.start as usize, (t.start + t.len) as usize);
        let req = &m.reqs[t.r];
        for w in su..eu {
            self.cover[t.r][w] -= 1;
            if self.cover[t.r][w] < req.demand[w] {
                self.unmet += req.priority;
            }
        }
        for b in &mut self.busy[t.o][su..m.busy_end(t.o, t.start, t.len) as usize] {
            *b -= 1;
        }
        let n = m.offers[t.o].nation;
        self.nation_tours[t.r][n] -= 1;
        if self.nation_tours[t.r][n] == 0 {
            self.nations -= 1;
        }
        self.cost -= f64::from(t.len) * m.offers[t.o].cost;
        t
    }

    /// Removes every tour matching `pick`; returns them.
    pub fn remove_where(&mut self, m: &Model, pick: impl Fn(&Tour) -> bool) -> Vec<Tour> {
        let mut removed = Vec::new();
        let mut i = 0;
        while i < self.tours.len() {
            if pick(&self.tours[i]) {
                removed.push(self.remove_at(m, i));
            } else {
                i += 1;
            }
        }
        removed
    }

    /// Replaces the tours of component `c` with those `other` (a plan of the same model) has
    /// there.
    pub fn take_component(&mut self, m: &Model, other: &State, c: usize) {
        self.remove_where(m, |t| m.comp_of[t.r] == c);
        for &t in other.tours.iter().filter(|t| m.comp_of[t.r] == c) {
            self.add(m, t);
        }
    }

    /// Weighted unmet of the requirements in `reqs`.
    pub fn unmet_of(&self, m: &Model, reqs: &[usize]) -> u64 {
        reqs.iter()
            .map(|&r| {
                let req = &m.reqs[r];
                let short: u64 = req
                    .demand
                    .iter()
                    .zip(&self.cover[r])
                    .map(|(&d, &c)| u64::from(d.saturating_sub(c)))
                    .sum();
                req.priority * short
            })
            .sum()
    }
}
