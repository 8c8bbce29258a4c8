//! A second lower bound, week by week. In any plan, the units on tour in one week are a transport
//! of offers' units to requirements' demand: each offer sends at most its units, each
//! requirement takes at most what it requires that week, and only along pairs where some tour of
//! the offer on the requirement could cover the week. The least weighted unmet of each week's
//! transport, summed over the weeks, is a bound on the plan's.
//!
//! It ignores rotation (tours, dwell), which the Lagrangian of [`crate::bound`] prices, but it
//! holds every week's capacity exactly where the Lagrangian prices it only as its multipliers
//! settle. That matters where many requirements start together and few units are ready: on
//! `large`, most of what its plans leave unmet lies in week 0, before most offers' notice has
//! run out. The search takes the higher of the two bounds per component.

use crate::model::{Component, Model};

/// The weekly transport bound on the weighted unmet of component `comp`.
pub(crate) fn weekly_bound(m: &Model, comp: &Component) -> u64 {
    let h = m.horizon as usize;
    let nr = comp.reqs.len();
    let mut local = vec![usize::MAX; m.reqs.len()];
    for (i, &r) in comp.reqs.iter().enumerate() {
        local[r] = i;
    }
    // The weeks each offer could cover of each of its requirements: starts marked by a
    // difference array over the weeks their tours cover.
    let reach: Vec<Vec<(usize, Vec<bool>)>> = comp
        .offers
        .iter()
        .map(|&o| {
            m.offers[o]
                .reqs
                .iter()
                .filter_map(|&r| {
                    let starts = m.starts(o, r);
                    let mut diff = vec![0i32; h + 1];
                    for s in starts.first..=starts.last {
                        if let Some(len) = starts.len(s) {
                            diff[s as usize] += 1;
                            diff[(s + len) as usize] -= 1;
                        }
                    }
                    let mut open = 0;
                    let weeks: Vec<bool> = diff[..h]
                        .iter()
                        .map(|&d| {
                            open += d;
                            open > 0
                        })
                        .collect();
                    weeks.contains(&true).then_some((local[r], weeks))
                })
                .collect()
        })
        .collect();
    // Requirements by priority, highest first: weights sit on the requirements alone, so
    // serving them in that order, each as far as augmenting paths allow, is optimal.
    let mut order: Vec<usize> = (0..nr).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(m.reqs[comp.reqs[i]].priority));
    let mut unmet = 0;
    for w in 0..h {
        let mut week = Week::new(comp.offers.len(), nr);
        for (i, pairs) in reach.iter().enumerate() {
            week.free[i] = m.offers[comp.offers[i]].units;
            for (j, weeks) in pairs {
                if weeks[w] {
                    week.offers_of[*j].push(i);
                }
            }
        }
        for &j in &order {
            let r = comp.reqs[j];
            let need = m.reqs[r].demand[w];
            let got = week.serve(j, need);
            unmet += m.reqs[r].priority * u64::from(need - got);
        }
    }
    unmet
}

/// One week's transport: units each offer has left, and what each offer sends each requirement.
struct Week {
    free: Vec<u32>,
    /// Offers that could cover each requirement this week.
    offers_of: Vec<Vec<usize>>,
    /// Units sent, by offer and requirement.
    sent: Vec<Vec<u32>>,
}

impl Week {
    fn new(offers: usize, reqs: usize) -> Self {
        Self {
            free: vec![0; offers],
            offers_of: vec![Vec::new(); reqs],
            sent: vec![vec![0; reqs]; offers],
        }
    }

    /// Serves requirement `j` up to `need` units along augmenting paths (other requirements
    /// moving to other offers to make way, none losing any unit); returns the units it got.
    fn serve(&mut self, j: usize, need: u32) -> u32 {
        let mut got = 0;
        while got < need {
            let Some(path) = self.path(j) else {
                break;
            };
            // path: j ← o1 (← j1 ← o2 …): offer o1 sends to j; j1 moves from o1 to o2; …
            let mut amount = need - got;
            let last = path.len() - 1;
            amount = amount.min(self.free[path[last].1]);
            for k in 1..path.len() {
                let (prev_req, _) = path[k];
                let (_, prev_offer) = path[k - 1];
                amount = amount.min(self.sent[prev_offer][prev_req]);
            }
            for (k, &(req, offer)) in path.iter().enumerate() {
                self.sent[offer][req] += amount;
                if k > 0 {
                    let (_, prev_offer) = path[k - 1];
                    self.sent[prev_offer][req] -= amount;
                }
            }
            self.free[path[last].1] -= amount;
            got += amount;
        }
        got
    }

    /// Shortest augmenting path from requirement `j` to an offer with a free unit, as
    /// `(requirement, offer)` steps: the first is `(j, o1)`, each next `(j_k, o_{k+1})` moves
    /// requirement `j_k` (served by the previous offer) to offer `o_{k+1}`.
    fn path(&self, j: usize) -> Option<Vec<(usize, usize)>> {
        let offers = self.free.len();
        // Breadth-first over offers; `from[o]` = (requirement that reached o, offer before).
        let mut from: Vec<Option<(usize, usize)>> = vec![None; offers];
        let mut queue = std::collections::VecDeque::new();
        for &o in &self.offers_of[j] {
            if from[o].is_none() {
                from[o] = Some((j, usize::MAX));
                queue.push_back(o);
            }
        }
        while let Some(o) = queue.pop_front() {
            if self.free[o] > 0 {
                let mut path = Vec::new();
                let mut cur = o;
                while let Some((req, before)) = from[cur] {
                    path.push((req, cur));
                    if before == usize::MAX {
                        break;
                    }
                    cur = before;
                }
                path.reverse();
                return Some(path);
            }
            // Requirements this offer serves could move elsewhere to free one of its units.
            for (req, &n) in self.sent[o].iter().enumerate() {
                if n == 0 || req == j {
                    continue;
                }
                for &next in &self.offers_of[req] {
                    if from[next].is_none() {
                        from[next] = Some((req, o));
                        queue.push_back(next);
                    }
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::weekly_bound;
    use crate::model::Model;
    use crate::options::Options;
    use domain::Scenario;
    use serde_json::{json, Value};

    /// One week; offer A (one unit) may serve both regions, offer B (one unit) only UA-30.
    fn model(requirements: Vec<Value>) -> Model {
        let offer = |id: &str, nation: &str, regions: &[&str]| {
            json!({"id": id, "nation": nation, "capability": "CAP.X", "units": 1,
                "from_week": 0, "to_week": 0, "notice_weeks": 0, "tour_weeks": 1,
                "dwell_weeks": 0, "roe": "robust", "status": "confirmed",
                "cost_per_unit_week": 1, "regions": regions})
        };
        let v = json!({"format": "coalition.scenario/1", "name": "Exercise week", "weeks": 1,
            "start": "2026-01-05", "assumptions": {},
            "nations": [{"code": "AAA", "name": "A"}, {"code": "BBB", "name": "B"}],
            "capabilities": [{"code": "CAP.X", "name": "X", "domain": "land", "personnel": 100,
                              "sidc": "10031000001211000000"}],
            "offers": [offer("A", "AAA", &["UA-30", "UA-46"]), offer("B", "BBB", &["UA-30"])],
            "requirements": requirements});
        Model::build(&Scenario::from_value(&v).unwrap(), &Options::default())
    }

    fn requirement(id: &str, region: &str, units: u32, priority: u32) -> Value {
        json!({"id": id, "line": "land", "capability": "CAP.X", "region": region,
            "units": units, "from_week": 0, "to_week": 0, "roe": "mandate",
            "priority": priority})
    }

    #[test]
    fn a_served_requirement_moves_to_another_offer_to_make_way() {
        // HIGH (UA-30) is served first and takes A; LOW (UA-46) can only have A, so HIGH moves
        // to B. Both are covered: nothing need be unmet.
        let m = model(vec![
            requirement("HIGH", "UA-30", 1, 9),
            requirement("LOW", "UA-46", 1, 5),
        ]);
        assert_eq!(m.components.len(), 1);
        assert_eq!(weekly_bound(&m, &m.components[0]), 0);
    }

    #[test]
    fn what_two_units_cannot_cover_is_left_at_the_lowest_priorities() {
        // Three units required, two offered: the least any plan leaves is the priority-3 unit.
        // HIGH needs two units, only one of which B can give; LOW takes A otherwise.
        let m = model(vec![
            requirement("HIGH", "UA-30", 2, 9),
            requirement("LOW", "UA-46", 1, 3),
        ]);
        assert_eq!(weekly_bound(&m, &m.components[0]), 3);
        let m = model(vec![
            requirement("HIGH", "UA-30", 1, 9),
            requirement("MID", "UA-46", 1, 5),
            requirement("LOW", "UA-46", 1, 3),
        ]);
        assert_eq!(weekly_bound(&m, &m.components[0]), 3);
    }
}
