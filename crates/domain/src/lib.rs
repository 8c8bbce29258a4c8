//! Coalition's domain: validated types and the rules between them.
//!
//! Everything here is pure: no I/O, no clock, no async. Values are built once at the edge by
//! parsing (see [`scenario::Scenario::parse`]) and are valid from then on.

pub mod access;
pub mod burden;
pub mod capability;
pub mod commitment;
pub mod fx;
pub mod ids;
pub mod kiel;
pub mod nation;
pub mod offer;
pub mod read;
pub mod requirement;
pub mod scenario;
pub mod source;

pub use read::{FieldError, ParseErrors};
pub use scenario::Scenario;
