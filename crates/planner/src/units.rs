//! Named units: which of an offer's identical units goes on each tour. Tours (with their dwell)
//! are intervals, and an offer never has more busy than it has units, so giving each tour the
//! lowest-numbered unit free at its start never needs more numbers than units (interval
//! partitioning is optimal on interval graphs).

use std::collections::BTreeMap;

use crate::plan::PlannedTour;

/// Fills `unit_numbers` on every tour; `dwell(offer)` gives the offer's dwell weeks.
pub(crate) fn assign(tours: &mut [PlannedTour], dwell: impl Fn(&str) -> u32) {
    let mut by_offer: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, t) in tours.iter().enumerate() {
        by_offer.entry(t.offer.clone()).or_default().push(i);
    }
    for (offer, mut idx) in by_offer {
        idx.sort_by_key(|&i| (tours[i].start_week, i));
        let rest = dwell(&offer);
        // free_at[u] = first week unit u+1 is free again.
        let mut free_at: Vec<u32> = Vec::new();
        for i in idx {
            let (start, end) = (
                tours[i].start_week,
                tours[i].start_week + tours[i].weeks + rest,
            );
            let mut numbers = Vec::with_capacity(tours[i].units as usize);
            for _ in 0..tours[i].units {
                let unit = match (0..free_at.len())
                    .find(|&u| free_at[u] <= start && !numbers.contains(&(u as u32 + 1)))
                {
                    Some(u) => u,
                    None => {
                        free_at.push(0);
                        free_at.len() - 1
                    }
                };
                free_at[unit] = end;
                numbers.push(unit as u32 + 1);
            }
            numbers.sort_unstable();
            tours[i].unit_numbers = numbers;
        }
    }
}
