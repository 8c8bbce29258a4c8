//! A whole batch at once, on several threads.
//!
//! Observations join only incidents of their own kind, so the kinds can be correlated apart:
//! each thread takes some kinds and runs a [`Correlator`] over their observations in batch
//! order. Numbering the incidents by the batch row that opened them then gives exactly the
//! incidents, and the ids, that one correlator fed the whole batch in order would give: within
//! a kind the same observations arrive in the same order, and ties between candidates go to
//! the older incident either way. Ids sent twice are found first, over the whole batch, so a
//! re-sent id changes nothing even when its kind differs.

use std::hash::BuildHasher;

use crate::model::{EventKind, Observation, Place};

use super::{Correlator, Hasher, Params, NONE};

/// What a batch became: the incident of every row (a re-sent id gets its first row's), and
/// how many incidents there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub incidents: Vec<u64>,
    pub count: usize,
}

/// One thread's kinds, run: its rows in batch order, each row's incident (a local slot), and
/// the row that opened each slot.
struct Part {
    rows: Vec<u32>,
    slots: Vec<u32>,
    openers: Vec<u32>,
}

/// Correlates `batch` as [`Correlator::extend`] would on an empty correlator, on up to
/// `threads` threads, and says which incident each row is in.
pub fn correlate_batch(params: Params, batch: &[(Observation, Place)], threads: usize) -> Assigned {
    let threads = threads.max(1);
    let first = first_rows(batch, threads);
    let parts = split_by_kind(batch, &first, threads);
    let run: Vec<Part> = std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|rows| scope.spawn(move || correlate_part(params, batch, rows)))
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    number(batch.len(), &first, &run)
}

/// For each row, the first row with the same id (itself when it is the first). Each thread
/// looks after the ids whose hash falls to it.
fn first_rows(batch: &[(Observation, Place)], threads: usize) -> Vec<u32> {
    let hasher = Hasher::default();
    let hasher = &hasher;
    let share = threads as u64;
    let repeats: Vec<Vec<(u32, u32)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..share)
            .map(|t| {
                scope.spawn(move || {
                    let mut seen = hashbrown::HashTable::<u32>::with_capacity(
                        batch.len() / threads + batch.len() / 16,
                    );
                    let mut repeats = Vec::new();
                    for (row, (o, _)) in batch.iter().enumerate() {
                        let hash = hasher.hash_one(o.id.as_str());
                        if hash % share != t {
                            continue;
                        }
                        let id_of = |&r: &u32| batch.get(r as usize).map_or("", |(x, _)| &x.id);
                        match seen.find(hash, |r| id_of(r) == o.id) {
                            Some(&earlier) => repeats.push((row as u32, earlier)),
                            None => {
                                seen.insert_unique(hash, row as u32, |r| hasher.hash_one(id_of(r)));
                            }
                        }
                    }
                    repeats
                })
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    let mut first: Vec<u32> = (0..batch.len() as u32).collect();
    for (row, earlier) in repeats.into_iter().flatten() {
        if let Some(f) = first.get_mut(row as usize) {
            *f = earlier;
        }
    }
    first
}

/// The rows (first sendings only) of each thread, kinds dealt out largest first to the
/// thread with the fewest rows so far.
fn split_by_kind(batch: &[(Observation, Place)], first: &[u32], threads: usize) -> Vec<Vec<u32>> {
    let fresh = |row: usize| first.get(row).is_some_and(|&f| f as usize == row);
    let mut per_kind: Vec<(EventKind, usize)> = EventKind::ALL.iter().map(|&k| (k, 0)).collect();
    for (row, (o, _)) in batch.iter().enumerate() {
        if fresh(row) {
            if let Some(k) = per_kind.iter_mut().find(|(k, _)| *k == o.kind) {
                k.1 += 1;
            }
        }
    }
    per_kind.sort_by_key(|&(k, n)| (std::cmp::Reverse(n), k));
    let mut load = vec![0usize; threads];
    let mut thread_of: Vec<(EventKind, usize)> = Vec::new();
    for (k, n) in per_kind.into_iter().filter(|&(_, n)| n > 0) {
        let t = (0..threads).min_by_key(|&t| (load[t], t)).unwrap_or(0);
        load[t] += n;
        thread_of.push((k, t));
    }
    let mut parts: Vec<Vec<u32>> = load.iter().map(|&n| Vec::with_capacity(n)).collect();
    for (row, (o, _)) in batch.iter().enumerate() {
        if !fresh(row) {
            continue;
        }
        if let Some(&(_, t)) = thread_of.iter().find(|(k, _)| *k == o.kind) {
            if let Some(p) = parts.get_mut(t) {
                p.push(row as u32);
            }
        }
    }
    parts.retain(|p| !p.is_empty());
    parts
}

fn correlate_part(params: Params, batch: &[(Observation, Place)], rows: Vec<u32>) -> Part {
    let mut c = Correlator::new(params);
    c.reserve_for(rows.len(), false);
    for &row in &rows {
        if let Some((o, place)) = batch.get(row as usize) {
            c.insert_new(o, *place, false);
        }
    }
    let slots = c.members.iter().map(|m| m.incident).collect();
    let openers = c
        .records
        .iter()
        .map(|r| rows.get(r.head as usize).copied().unwrap_or(NONE))
        .collect();
    Part {
        rows,
        slots,
        openers,
    }
}

/// Incident ids as one correlator would hand them out: in the order of the rows that opened
/// them.
fn number(n: usize, first: &[u32], parts: &[Part]) -> Assigned {
    let mut opens = vec![false; n];
    for p in parts {
        for &row in &p.openers {
            if let Some(o) = opens.get_mut(row as usize) {
                *o = true;
            }
        }
    }
    let mut rank = vec![0u64; n];
    let mut count = 0u64;
    for (r, &o) in rank.iter_mut().zip(&opens) {
        if o {
            count += 1;
            *r = count;
        }
    }
    let mut incidents = vec![0u64; n];
    for p in parts {
        for (&row, &slot) in p.rows.iter().zip(&p.slots) {
            let opener = p.openers.get(slot as usize).copied().unwrap_or(NONE);
            if let (Some(i), Some(&id)) =
                (incidents.get_mut(row as usize), rank.get(opener as usize))
            {
                *i = id;
            }
        }
    }
    for (row, &f) in first.iter().enumerate() {
        if f as usize != row {
            let id = incidents.get(f as usize).copied().unwrap_or(0);
            if let Some(i) = incidents.get_mut(row) {
                *i = id;
            }
        }
    }
    Assigned {
        incidents,
        count: count as usize,
    }
}
