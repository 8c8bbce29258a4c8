//! What-if options: nations withdrawn, assumptions overridden, the firmness an offer needs.

use std::collections::{BTreeMap, BTreeSet};

use domain::ids::{Assumption, NationCode};
use domain::offer::OfferStatus;
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
}

impl Default for Options {
    fn default() -> Self {
        Self {
            withdraw: BTreeSet::new(),
            assume: BTreeMap::new(),
            min_status: OfferStatus::Indicated,
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
