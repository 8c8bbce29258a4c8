//! The planning model: the scenario reduced, under the options, to offers that count, requirement
//! demand week by week, the compatible (offer, requirement) pairs, and the independent components
//! they form.

use domain::ids::NationCode;
use domain::offer::{Offer, OfferStatus};
use domain::requirement::Requirement;
use domain::Scenario;

use crate::options::Options;

#[derive(Debug, Clone)]
pub(crate) struct MOffer {
    /// Index into `scenario.offers()`.
    pub src: usize,
    pub nation: usize,
    pub units: u32,
    /// First week a tour may start: `max(from_week, notice_weeks)`.
    pub earliest: u32,
    /// Last week the offer serves (`to_week`).
    pub last: u32,
    pub tour: u32,
    pub dwell: u32,
    pub cost: f64,
    /// Compatible requirements.
    pub reqs: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct MReq {
    pub src: usize,
    pub priority: u64,
    pub from: u32,
    pub to: u32,
    /// Units required in each week of the horizon.
    pub demand: Vec<u32>,
    /// For each week, the first week from it on that requires no unit (the horizon if none):
    /// no tour may cover such a week (units on tour ≤ units required). Empty when every week
    /// of the window requires some unit, as for most requirements (their window already ends
    /// every tour).
    pub open_until: Vec<u32>,
    pub max_nations: Option<u32>,
    /// Compatible offers.
    pub offers: Vec<usize>,
    /// Σ demand, kept: the search asks for it on every iteration.
    unit_weeks: u64,
}

impl MReq {
    /// Unit-weeks required over the horizon: the most a plan can leave unmet of it.
    pub fn unit_weeks(&self) -> u64 {
        self.unit_weeks
    }
}

/// The weeks a tour of one offer on one requirement may start, and where it must end.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Starts<'a> {
    pub first: u32,
    pub last: u32,
    /// The last week a tour may cover: the requirement's or the offer's end, or the horizon's.
    end: u32,
    tour: u32,
    /// The requirement's [`MReq::open_until`].
    open_until: &'a [u32],
}

impl Starts<'_> {
    /// Length of a tour starting in week `s`, or `None` when it may not start then. Tours last
    /// `tour_weeks`, cut short only at the end of the requirement's window, the offer's
    /// `to_week` or the horizon. A tour that would cover a week requiring no unit (a gap in the
    /// requirement's profile) may not start at all: no plan can hold it.
    #[inline]
    pub fn len(&self, s: u32) -> Option<u32> {
        let len = self.len_in_window(s)?;
        match self.open_until.get(s as usize) {
            Some(&open) if open < s + len => None,
            _ => Some(len),
        }
    }

    /// [`Starts::len`] for a requirement without gaps in its profile ([`Starts::has_gaps`]):
    /// the window alone decides.
    #[inline]
    pub fn len_in_window(&self, s: u32) -> Option<u32> {
        if s < self.first || s > self.last {
            return None;
        }
        Some(self.tour.min(self.end.checked_sub(s)? + 1))
    }

    /// Whether some week of the requirement's window requires no unit.
    pub fn has_gaps(&self) -> bool {
        !self.open_until.is_empty()
    }
}

/// Offers and requirements that interact only with each other.
#[derive(Debug, Clone, Default)]
pub(crate) struct Component {
    pub offers: Vec<usize>,
    pub reqs: Vec<usize>,
}

#[derive(Debug, Clone)]
pub(crate) struct Model {
    pub horizon: u32,
    pub offers: Vec<MOffer>,
    pub reqs: Vec<MReq>,
    pub nations: Vec<NationCode>,
    pub components: Vec<Component>,
    /// The component of each requirement.
    pub comp_of: Vec<usize>,
}

/// Whether an offer counts at all under the options (before looking at any requirement).
pub(crate) fn offer_counts(s: &Scenario, opts: &Options, o: &Offer) -> bool {
    o.status != OfferStatus::Withdrawn
        && o.status >= opts.min_status
        && !opts.withdraw.contains(&o.nation)
        && o.requires.iter().all(|a| opts.holds(s, a))
}

/// Whether an offer may serve a requirement (capability, region, rules of engagement).
pub(crate) fn compatible(o: &Offer, r: &Requirement) -> bool {
    o.capability == r.capability && o.allows_region(&r.region) && o.roe >= r.roe
}

impl Model {
    pub fn build(s: &Scenario, opts: &Options) -> Self {
        let horizon = s.weeks();
        let nations: Vec<NationCode> = s.nations().iter().map(|n| n.code.clone()).collect();
        let mut reqs: Vec<MReq> = s
            .requirements()
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let demand: Vec<u32> = (0..horizon).map(|w| opts.demand(r, w)).collect();
                MReq {
                    src: i,
                    priority: u64::from(r.priority),
                    from: r.from_week,
                    to: r.to_week.min(horizon - 1),
                    open_until: open_until(&demand, r.from_week, r.to_week),
                    unit_weeks: demand.iter().map(|&d| u64::from(d)).sum(),
                    demand,
                    max_nations: r.max_nations,
                    offers: Vec::new(),
                }
            })
            .collect();
        let mut offers = Vec::new();
        for (i, o) in s.offers().iter().enumerate() {
            if !offer_counts(s, opts, o) {
                continue;
            }
            let earliest = o.from_week.max(o.notice_weeks);
            let last = o.to_week.min(horizon - 1);
            if earliest > last {
                continue;
            }
            let idx = offers.len();
            let mut compat = Vec::new();
            for (j, r) in s.requirements().iter().enumerate() {
                let window_overlaps = earliest.max(r.from_week) <= last.min(r.to_week);
                if compatible(o, r) && window_overlaps {
                    compat.push(j);
                    reqs[j].offers.push(idx);
                }
            }
            if compat.is_empty() {
                continue;
            }
            offers.push(MOffer {
                src: i,
                nation: nations.iter().position(|n| *n == o.nation).unwrap_or(0),
                units: o.units,
                earliest,
                last,
                tour: o.tour_weeks,
                dwell: o.dwell_weeks,
                cost: o.cost_per_unit_week,
                reqs: compat,
            });
        }
        let components = components(&offers, reqs.len());
        let mut comp_of = vec![0; reqs.len()];
        for (c, comp) in components.iter().enumerate() {
            for &r in &comp.reqs {
                comp_of[r] = c;
            }
        }
        Self {
            horizon,
            offers,
            reqs,
            nations,
            components,
            comp_of,
        }
    }

    /// When tours of offer `o` on requirement `r` may start, and how long each lasts: worked
    /// out once for loops over many weeks.
    pub fn starts(&self, o: usize, r: usize) -> Starts<'_> {
        let (of, rq) = (&self.offers[o], &self.reqs[r]);
        Starts {
            first: of.earliest.max(rq.from),
            last: of.last.min(rq.to),
            end: rq.to.min(of.last).min(self.horizon.saturating_sub(1)),
            tour: of.tour,
            open_until: &rq.open_until,
        }
    }

    /// Length of a tour of offer `o` on requirement `r` starting in week `s`, or `None` when it
    /// may not start then (see [`Starts::len`]).
    pub fn tour_len(&self, o: usize, r: usize, s: u32) -> Option<u32> {
        self.starts(o, r).len(s)
    }

    /// Weeks a tour keeps its units busy (tour plus dwell), clipped to the horizon.
    pub fn busy_end(&self, o: usize, s: u32, len: u32) -> u32 {
        (s + len + self.offers[o].dwell).min(self.horizon)
    }

    /// `Σ_r priority × Σ_w demand`: the weighted unmet of the empty plan.
    pub fn total_weighted_demand(&self) -> u64 {
        self.reqs.iter().map(|r| r.priority * r.unit_weeks()).sum()
    }
}

/// [`MReq::open_until`] of a requirement with this demand and window.
fn open_until(demand: &[u32], from: u32, to: u32) -> Vec<u32> {
    let window = demand
        .get(from as usize..=(to as usize).min(demand.len().saturating_sub(1)))
        .unwrap_or_default();
    if !window.contains(&0) {
        return Vec::new();
    }
    let mut next = demand.len() as u32;
    let mut out = vec![next; demand.len()];
    for (w, &d) in demand.iter().enumerate().rev() {
        if d == 0 {
            next = w as u32;
        }
        out[w] = next;
    }
    out
}

fn components(offers: &[MOffer], n_reqs: usize) -> Vec<Component> {
    // Union-find over requirements, joined through the offers they share.
    let mut parent: Vec<usize> = (0..n_reqs).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    for o in offers {
        if let Some((&first, rest)) = o.reqs.split_first() {
            for &r in rest {
                let (a, b) = (find(&mut parent, first), find(&mut parent, r));
                parent[a] = b;
            }
        }
    }
    let mut by_root: std::collections::BTreeMap<usize, Component> = Default::default();
    for r in 0..n_reqs {
        let root = find(&mut parent, r);
        by_root.entry(root).or_default().reqs.push(r);
    }
    for (i, o) in offers.iter().enumerate() {
        if let Some(&r) = o.reqs.first() {
            let root = find(&mut parent, r);
            by_root.entry(root).or_default().offers.push(i);
        }
    }
    by_root.into_values().collect()
}
