//! Ceasefire monitoring: observations in, deduplicated incidents out, sector reports.
//!
//! Pure: plain inputs, plain outputs, no I/O. The server and the command line store and
//! serve what this crate computes.

pub mod mgrs;
pub mod utm;
