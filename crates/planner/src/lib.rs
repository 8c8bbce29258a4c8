//! Force sourcing and rotation: turn offers into a plan that covers the statement of
//! requirements week by week, with units rotating home to rest, and say how close to the best
//! possible the plan is and why each gap exists. Pure: no I/O, no clock (the caller's
//! [`Control`] decides when to stop).

mod bound;
pub mod compare;
mod construct;
pub mod generate;
mod model;
pub mod options;
pub mod plan;
mod report;
pub mod resilience;
mod rng;
mod solve;
mod state;
mod units;
mod verify;
mod weekly;

pub use compare::{compare, Comparison};
pub use options::Options;
pub use plan::Plan;
pub use resilience::{resilience, Resilience};
pub use solve::{solve, Control, Params, PlanError, Progress};
pub use verify::{verify, Violation};
