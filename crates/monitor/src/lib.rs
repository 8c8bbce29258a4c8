//! Ceasefire monitoring: observations in, deduplicated incidents out, sector reports.
//!
//! Pure: plain inputs, plain outputs, no I/O. The server and the command line store and
//! serve what this crate computes.

pub mod alerts;
pub mod correlate;
pub mod cot;
pub mod dtg;
pub mod geo;
pub mod ingest;
pub mod mgrs;
pub mod model;
pub mod report;
pub mod sectors;
pub mod utm;

pub use correlate::{Correlator, Head, Incident, Outcome, Params};
pub use model::{EventKind, Observation, ObserverKind, Place};
