//! What-if options: nations withdrawn, assumptions overridden, the firmness an offer needs,
//! requirements grown.

use std::collections::{BTreeMap, BTreeSet};

use domain::ids::{Assumption, NationCode, RequirementId};
use domain::offer::OfferStatus;
use domain::requirement::Requirement;
use domain::Scenario;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    /// Nations removed from the plan.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub withdraw: BTreeSet<NationCode>,
    /// Assumptions overridden (the rest keep the scenario's values).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub assume: BTreeMap<Assumption, bool>,
    /// Offers below this status are ignored; `withdrawn` never counts.
    pub min_status: OfferStatus,
    /// Extra units required in every week of a requirement's window ("the requirement grows").
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub grow: BTreeMap<RequirementId, u32>,
}

/// The most a requirement may grow by, in units per week.
pub const MAX_GROWTH: u32 = 10_000;

impl Default for Options {
    fn default() -> Self {
        Self {
            withdraw: BTreeSet::new(),
            assume: BTreeMap::new(),
            min_status: OfferStatus::Indicated,
            grow: BTreeMap::new(),
        }
    }
}

impl Options {
    /// Parses `GBR,FRA`.
    pub fn parse_withdraw(list: &str) -> Result<BTreeSet<NationCode>, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(NationCode::parse)
            .collect()
    }

    /// Parses `us_backstop=false`.
    pub fn parse_assumption(kv: &str) -> Result<(Assumption, bool), String> {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("\"{kv}\" is not NAME=true|false"))?;
        let value = match v.trim() {
            "true" => true,
            "false" => false,
            other => return Err(format!("\"{other}\" is not true or false")),
        };
        Ok((Assumption::parse(k.trim())?, value))
    }

    /// Parses `LAND-KYIV-1=2` (two more units each week).
    pub fn parse_growth(kv: &str) -> Result<(RequirementId, u32), String> {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("\"{kv}\" is not REQUIREMENT=UNITS"))?;
        let units: u32 = v
            .trim()
            .trim_start_matches('+')
            .parse()
            .map_err(|_| format!("\"{}\" is not a whole number of units", v.trim()))?;
        Ok((RequirementId::parse(k.trim())?, units))
    }

    /// Units `r` requires in `week` under these options: the scenario's demand, plus any growth
    /// in every week of the requirement's window.
    pub fn demand(&self, r: &Requirement, week: u32) -> u32 {
        let base = r.demand(week);
        if week < r.from_week || week > r.to_week {
            return base;
        }
        base.saturating_add(self.grow.get(&r.id).copied().unwrap_or(0))
    }

    /// Checks the options against a scenario: every named nation and assumption must exist.
    pub fn check(&self, s: &Scenario) -> Result<(), String> {
        for n in &self.withdraw {
            if !s.nations().iter().any(|x| &x.code == n) {
                return Err(format!(
                    "cannot withdraw \"{n}\": not a nation of the scenario"
                ));
            }
        }
        for a in self.assume.keys() {
            if !s.assumptions().contains_key(a) {
                return Err(format!("unknown assumption \"{a}\""));
            }
        }
        for (id, units) in &self.grow {
            if !s.requirements().iter().any(|r| &r.id == id) {
                return Err(format!(
                    "cannot grow \"{id}\": not a requirement of the scenario"
                ));
            }
            if *units > MAX_GROWTH {
                return Err(format!(
                    "cannot grow \"{id}\" by {units} units: at most {MAX_GROWTH}"
                ));
            }
        }
        if self.min_status == OfferStatus::Withdrawn {
            return Err("min-status cannot be withdrawn".into());
        }
        Ok(())
    }

    /// The value an assumption has under these options.
    pub fn holds(&self, s: &Scenario, a: &Assumption) -> bool {
        self.assume
            .get(a)
            .or_else(|| s.assumptions().get(a))
            .copied()
            .unwrap_or(false)
    }
}
