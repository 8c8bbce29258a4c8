//! A whole batch at once, in order of time, on several threads.
//!
//! A batch (a file of observations) is correlated in order of observed time, the start of each
//! window, ties in batch order, whatever the order of its rows: a correlator that meets an
//! area's sightings in the order they happened joins them as it would have live. Each
//! observation then starts no earlier than the one before, so the index drops the time buckets
//! no lookup reaches any more, and stays small.
//!
//! Observations join only incidents of their own kind, so the kinds are correlated apart, each
//! thread taking some kinds. Incidents are numbered by the batch row that opened them. Ids
//! sent twice are found first, over the whole batch, and the first row counts: a re-sent id
//! changes nothing even when its kind or time differs.

use std::hash::BuildHasher;

use hashbrown::hash_table::Entry;

use crate::model::{Observation, Place};

use super::{window_of, Correlator, Hasher, Millis, Params, NONE};

/// What a batch became: the incident of every row (a re-sent id gets its first row's), and
/// how many incidents there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assigned {
    pub incidents: Vec<u64>,
    pub count: usize,
}

/// One thread's kinds, run: its rows in order of time, each row's incident (a local slot), and
/// the row that opened each slot.
struct Part {
    rows: Vec<u32>,
    slots: Vec<u32>,
    openers: Vec<u32>,
}

/// Correlates `batch` as an empty correlator fed the first sending of each id in order of
/// time would, on up to `threads` threads, and says which incident each row is in. Incidents
/// are numbered in the order of the rows that opened them.
pub fn correlate_batch(params: Params, batch: &[(Observation, Place)], threads: usize) -> Assigned {
    correlate_in_chunks(params, batch, threads, CHUNK)
}

/// [`correlate_batch`], each thread copying out and correlating `chunk` rows at a time.
pub(super) fn correlate_in_chunks(
    params: Params,
    batch: &[(Observation, Place)],
    threads: usize,
    chunk: usize,
) -> Assigned {
    let threads = threads.max(1);
    let Rows {
        first,
        kinds,
        windows,
        named,
    } = first_rows(batch, threads);
    let (thread_of, load) = deal_kinds(&first, &kinds, threads);
    let (first, kinds, windows, named, thread_of, load) = (
        &first[..],
        &kinds[..],
        &windows[..],
        &named[..],
        &thread_of,
        &load,
    );
    let run: Vec<Part> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    // Its kinds' rows, first sendings only, with the start of their windows.
                    let mut rows: Vec<(Millis, u32)> =
                        Vec::with_capacity(load.get(t).copied().unwrap_or(0));
                    rows.extend(
                        first
                            .iter()
                            .zip(kinds)
                            .zip(windows)
                            .zip(0..)
                            .filter(|&(((&f, &k), _), r)| {
                                f == r && thread_of.get(usize::from(k)) == Some(&t)
                            })
                            .map(|((_, &(start, _)), r)| (start, r)),
                    );
                    correlate_part(params, batch, (windows, named), rows, chunk)
                })
            })
            .collect();
        handles.into_iter().map(joined).collect()
    });
    number(batch.len(), first, &run)
}

/// What is worked out of every row before correlating.
struct Rows {
    /// The first row with the same id (itself when it is the first).
    first: Vec<u32>,
    /// The kind, as a number.
    kinds: Vec<u8>,
    /// The window ([`window_of`]).
    windows: Vec<(Millis, Millis)>,
    /// Whether the row names its observer: a row that does not is not read there again.
    named: Vec<bool>,
}

/// The rows' first sendings, kinds, windows and whether they name their observer. The rows
/// are hashed in shares of the batch, one per thread; then each thread looks after the ids
/// whose hash falls to it.
fn first_rows(batch: &[(Observation, Place)], threads: usize) -> Rows {
    let hasher = Hasher::default();
    let hasher = &hasher;
    let mut hashes = vec![0u64; batch.len()];
    let mut kinds = vec![0u8; batch.len()];
    let mut windows = vec![(0, 0); batch.len()];
    let mut named = vec![false; batch.len()];
    let chunk = batch.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for ((((rows, hs), ks), ws), ns) in batch
            .chunks(chunk)
            .zip(hashes.chunks_mut(chunk))
            .zip(kinds.chunks_mut(chunk))
            .zip(windows.chunks_mut(chunk))
            .zip(named.chunks_mut(chunk))
        {
            scope.spawn(move || {
                for (((((o, _), h), k), w), n) in rows.iter().zip(hs).zip(ks).zip(ws).zip(ns) {
                    *h = hasher.hash_one(o.id.as_str());
                    *k = o.kind as u8;
                    *w = window_of(o);
                    *n = o.observer_id.is_some();
                }
            });
        }
    });
    let share = threads as u64;
    let hashes = &hashes;
    let repeats: Vec<Vec<(u32, u32)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..share)
            .map(|t| {
                scope.spawn(move || {
                    let id_of = |r: u64| batch.get(row_of(r) as usize).map_or("", |(x, _)| &x.id);
                    // Each entry keeps its row and the top half of its id's hash, so that
                    // an id is read only when the whole hash matches.
                    let mut seen = hashbrown::HashTable::<u64>::with_capacity(
                        batch.len() / threads + batch.len() / 16,
                    );
                    let mut repeats = Vec::new();
                    for (row, &hash) in hashes.iter().enumerate() {
                        // Shared out by middle bits: the table places by the low ones and
                        // tags by the top ones.
                        if (hash >> 32) % share != t {
                            continue;
                        }
                        let entry = (hash & !u64::from(u32::MAX)) | row as u64;
                        // One probe finds the id or makes room for it.
                        match seen.entry(
                            hash,
                            |&e| e >> 32 == entry >> 32 && id_of(e) == id_of(entry),
                            |&e| hasher.hash_one(id_of(e)),
                        ) {
                            Entry::Occupied(earlier) => {
                                repeats.push((row as u32, row_of(*earlier.get())));
                            }
                            Entry::Vacant(room) => {
                                room.insert(entry);
                            }
                        }
                    }
                    repeats
                })
            })
            .collect();
        handles.into_iter().map(joined).collect()
    });
    let mut first: Vec<u32> = (0..batch.len() as u32).collect();
    for (row, earlier) in repeats.into_iter().flatten() {
        if let Some(f) = first.get_mut(row as usize) {
            *f = earlier;
        }
    }
    Rows {
        first,
        kinds,
        windows,
        named,
    }
}

/// The row of an entry in the table of ids seen: its low half.
fn row_of(entry: u64) -> u32 {
    (entry & u64::from(u32::MAX)) as u32
}

/// The thread of each kind (by number), and how many rows each thread has: kinds dealt out
/// largest first to the thread with the fewest rows so far.
fn deal_kinds(first: &[u32], kinds: &[u8], threads: usize) -> (Vec<usize>, Vec<usize>) {
    let mut per_kind = vec![0usize; usize::from(u8::MAX) + 1];
    for (row, (&f, &k)) in first.iter().zip(kinds).enumerate() {
        if f as usize == row {
            if let Some(n) = per_kind.get_mut(usize::from(k)) {
                *n += 1;
            }
        }
    }
    let mut order: Vec<usize> = (0..per_kind.len()).collect();
    order.sort_by_key(|&k| (std::cmp::Reverse(per_kind.get(k).copied().unwrap_or(0)), k));
    let mut load = vec![0usize; threads];
    let mut thread_of = vec![0usize; per_kind.len()];
    for k in order {
        let n = per_kind.get(k).copied().unwrap_or(0);
        if n == 0 {
            continue;
        }
        let t = (0..threads).min_by_key(|&t| (load[t], t)).unwrap_or(0);
        load[t] += n;
        thread_of[k] = t;
    }
    (thread_of, load)
}

/// Rows copied out and correlated at a time. What correlation needs of them is copied first,
/// in order of time, so that the correlation after reads it in one pass; then the incidents
/// no lookup can reach any more are let go of, and their room is used again.
pub(super) const CHUNK: usize = 4096;

/// How many rows ahead a thread asks for the row it will read.
const AHEAD: usize = 12;

/// Correlates one thread's rows, each given with the start of its window, in order of time
/// (ties in batch order), `chunk` at a time; `windows` holds every row's window, `named`
/// whether it names its observer.
fn correlate_part(
    params: Params,
    batch: &[(Observation, Place)],
    (windows, named): (&[(Millis, Millis)], &[bool]),
    mut rows: Vec<(Millis, u32)>,
    chunk: usize,
) -> Part {
    rows.sort_unstable();
    let rows: Vec<u32> = rows.into_iter().map(|(_, r)| r).collect();
    let mut c = Correlator::in_order_of_time(params);
    let mut done = Done {
        slots: vec![NONE; rows.len()],
        openers: Vec::new(),
    };
    let chunk = chunk.max(1);
    for (n, slice) in rows.chunks(chunk).enumerate() {
        let start = c.members.len();
        for (j, &row) in slice.iter().enumerate() {
            // The row a little ahead (in the next chunk too) is asked for now, so that it is
            // in cache when reached: a thread reads about every other row, too irregularly for
            // the processor to guess. Asked for: the fields a member copies (the count, with
            // the small fields beside it, and the place), not the observer id, read only when
            // named.
            let ahead = n * chunk + j + AHEAD;
            if let Some((o, place)) = rows.get(ahead).and_then(|&r| batch.get(r as usize)) {
                mem_prefetch::prefetch_read_data::<_, 3>(&o.count);
                mem_prefetch::prefetch_read_data::<_, 3>(place);
            }
            let row = row as usize;
            if let (Some((o, place)), Some(&window)) = (batch.get(row), windows.get(row)) {
                c.push_row(o, *place, window, named.get(row) == Some(&true));
            }
        }
        for i in start..c.members.len() {
            if let Some(m) = c.members.get(i) {
                // Later rows start no earlier: no lookup reaches back before this one any more.
                c.grid.retire_before(m.window.0);
            }
            c.correlate_member(i as u32);
        }
        c.let_go(&rows, &mut done, false);
    }
    c.let_go(&rows, &mut done, true);
    Part {
        rows,
        slots: done.slots,
        openers: done.openers,
    }
}

/// What a thread's correlator has let go of: the incident (slot) of each observation, by
/// position, and the row that opened each incident, by slot.
struct Done {
    slots: Vec<u32>,
    openers: Vec<u32>,
}

impl Correlator {
    /// Lets go of the oldest incidents no lookup can reach any more (of all, when `all`) and
    /// of the observations before the first observation of an incident still held, noting
    /// where each went in `done`.
    fn let_go(&mut self, rows: &[u32], done: &mut Done, all: bool) {
        while let Some(r) = self.records.front() {
            if !all && !self.grid.gone(r.slot) {
                break;
            }
            let head = r.head;
            done.openers
                .push(rows.get(head as usize).copied().unwrap_or(NONE));
            self.records.pop_front();
        }
        let held = self.records.first() as u32;
        self.grid.let_go_before(held);
        while let Some(m) = self.members.front() {
            if !all && m.incident >= held {
                break;
            }
            let incident = m.incident;
            if let Some(s) = done.slots.get_mut(self.members.first()) {
                *s = incident;
            }
            self.members.pop_front();
        }
    }
}

/// A thread's result; its panic (a bug) goes on in the caller rather than losing its rows.
fn joined<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
}

/// Incident ids in the order of the rows that opened them.
fn number(n: usize, first: &[u32], parts: &[Part]) -> Assigned {
    // Openers marked, then numbered in row order.
    let mut rank = vec![0u32; n];
    for p in parts {
        for &row in &p.openers {
            if let Some(r) = rank.get_mut(row as usize) {
                *r = 1;
            }
        }
    }
    let mut count = 0u32;
    for r in rank.iter_mut().filter(|r| **r != 0) {
        count += 1;
        *r = count;
    }
    let mut incidents = vec![0u64; n];
    for p in parts {
        for (&row, &slot) in p.rows.iter().zip(&p.slots) {
            let opener = p.openers.get(slot as usize).copied().unwrap_or(NONE);
            if let (Some(i), Some(&id)) =
                (incidents.get_mut(row as usize), rank.get(opener as usize))
            {
                *i = u64::from(id);
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
