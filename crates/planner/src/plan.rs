//! The plan file `coalition.plan/1`.

use serde::{Deserialize, Serialize};

use crate::options::Options;

pub const FORMAT: &str = "coalition.plan/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Weighted unmet equals the proven bound: no plan leaves less unmet (objective 1).
    Optimal,
    /// A valid plan; the search stopped without closing the gap to the bound.
    Feasible,
    /// A valid plan; the time limit stopped the search.
    TimeLimit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Objective {
    /// `Σ_r priority_r × Σ_w (required − covered)`.
    pub unmet_weighted: u64,
    pub unmet_unit_weeks: u64,
    /// `Σ units × weeks × cost_per_unit_week`.
    pub cost: f64,
    /// `Σ_r` distinct nations serving requirement r.
    pub nations: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    /// No plan can leave less priority-weighted unmet than this.
    pub unmet_weighted: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedTour {
    pub offer: String,
    pub nation: String,
    pub requirement: String,
    pub start_week: u32,
    pub weeks: u32,
    pub units: u32,
    /// Which of the offer's units (numbered from 1) go, for the rotation chart: no unit is on
    /// two tours, or resting from one, at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unit_numbers: Vec<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    /// Units that could serve went to a requirement of equal or higher priority.
    CompetingPriority,
    /// Offers can serve, but their tours and dwell cannot cover every week.
    RotationCapacity,
    /// The requirement already has as many nations as it allows.
    MaxNations,
    /// Every unit that could serve is already on tour here: more units are needed.
    InsufficientUnits,
    NoOfferOfCapability,
    ExcludedByRegion,
    ExcludedByRoe,
    RequiresAssumption,
    BelowMinStatus,
    OfferWithdrawn,
    NationWithdrawn,
    NoticeTooLong,
    OutsideOfferWindow,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub code: ReasonCode,
    /// Offers this reason applies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub offers: Vec<String>,
    /// Units of those offers.
    pub units: u32,
    /// Assumptions, competing requirements or other names that explain the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub detail: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gap {
    pub requirement: String,
    pub line: String,
    pub from_week: u32,
    pub to_week: u32,
    /// Most units missing in any week of the gap.
    pub missing: u32,
    pub unit_weeks: u64,
    pub weighted: u64,
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineCoverage {
    pub line: String,
    pub required_unit_weeks: u64,
    pub covered_unit_weeks: u64,
}

impl LineCoverage {
    pub fn fraction(&self) -> f64 {
        if self.required_unit_weeks == 0 {
            1.0
        } else {
            self.covered_unit_weeks as f64 / self.required_unit_weeks as f64
        }
    }
}

/// What one more unit of an offer would be worth, in priority-weighted unit-weeks (estimated
/// from the Lagrangian prices).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marginal {
    pub offer: String,
    pub nation: String,
    pub value_per_unit: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stats {
    pub solve_ms: u64,
    pub iterations: u64,
    pub bound_iterations: u64,
    pub components: usize,
    /// `[milliseconds, unmet_weighted, bound]` each time either moved (filled in by the caller,
    /// which owns the clock).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trajectory: Vec<[u64; 3]>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub format: String,
    pub scenario: String,
    pub options: Options,
    pub status: Status,
    pub objective: Objective,
    pub bound: Bound,
    pub tours: Vec<PlannedTour>,
    pub gaps: Vec<Gap>,
    #[serde(default)]
    pub lines: Vec<LineCoverage>,
    #[serde(default)]
    pub marginal: Vec<Marginal>,
    pub stats: Stats,
}

impl Plan {
    /// `(unmet − bound) / unmet`, 0 when nothing is unmet.
    pub fn gap(&self) -> f64 {
        let u = self.objective.unmet_weighted;
        if u == 0 {
            0.0
        } else {
            u.saturating_sub(self.bound.unmet_weighted) as f64 / u as f64
        }
    }

    pub fn to_json_pretty(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let plan: Plan =
            serde_json::from_str(text).map_err(|e| format!("not a valid plan file: {e}"))?;
        if plan.format != FORMAT {
            return Err(format!(
                "unsupported plan format \"{}\"; expected \"{FORMAT}\"",
                plan.format
            ));
        }
        Ok(plan)
    }
}
